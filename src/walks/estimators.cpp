#include "walks/estimators.hpp"

#include <cmath>
#include <fstream>

#include "core/error/error.hpp"
#include "core/numeric/exact_sum.hpp"

namespace sampo::walks {

std::vector<VertexFunction> standard_functions(const BaseChain& c, double indicator_fraction) {
  const auto& g = c.graph();
  const auto n = static_cast<std::size_t>(g.vertices());
  const auto mu = c.mu_norm();
  VertexFunction deg{"degree", std::vector<double>(n), 0.0}, ind{"indicator", std::vector<double>(n), 0.0};
  const auto cut = static_cast<double>(n) * indicator_fraction;
  ExactSum sd, si;
  for (std::size_t i = 0; i < n; ++i) {
    deg.values[i] = static_cast<double>(g.degree(static_cast<Vertex>(i)));
    ind.values[i] = static_cast<double>(i) < cut ? 1.0 : 0.0;
    sd.add(mu[i] * deg.values[i]);
    si.add(mu[i] * ind.values[i]);
  }
  deg.exact = sd.round();
  ind.exact = si.round();
  return {deg, ind};
}

namespace {
// Streams a vertex-function file (one number per line; blank lines and '#' comments skipped), keeps the values of
// vertices [lo, hi) and checks that it has exactly n values. Throws InputError naming the file and line.
std::vector<double> read_function_values(const std::string& path, std::size_t n, std::size_t lo, std::size_t hi) {
  std::ifstream in(path);
  if (!in) throw InputError("cannot open vertex-function file '" + path + "' (check estimate.function_file)");
  std::vector<double> values;
  std::string line;
  std::int64_t lineno = 0;
  std::size_t count = 0;
  while (std::getline(in, line)) {
    ++lineno;
    const auto p = line.find_first_not_of(" \t\r");
    if (p == std::string::npos || line[p] == '#') continue;
    double x = 0.0;
    try {
      std::size_t used = 0;
      x = std::stod(line.substr(p), &used);
    } catch (const std::exception&) {
      throw InputError(path + ":" + std::to_string(lineno) + ": not a number: '" + line + "'");
    }
    if (count >= lo && count < hi) values.push_back(x);
    ++count;
  }
  if (count != n)
    throw InputError("vertex-function file '" + path + "' has " + std::to_string(count) +
                     " values but the graph has " + std::to_string(n) + " vertices (one value per vertex)");
  return values;
}
}  // namespace

VertexFunction function_from_file(const BaseChain& c, const std::string& path) {
  const auto n = static_cast<std::size_t>(c.graph().vertices());
  VertexFunction f{"file", read_function_values(path, n, 0, n), 0.0};
  ExactSum e;
  for (std::size_t i = 0; i < n; ++i) e.add(c.mu_norm()[i] * f.values[i]);
  f.exact = e.round();
  return f;
}

double allreduce_exact(const mpi::Communicator& comm, ExactSum& s) {
  ExactSum t = s;
  ExactSum::allreduce(comm, std::span<ExactSum>(&t, 1));
  return t.round();
}

std::vector<double> block_mu_norm(const DistributedGraph& g, Chain chain) {
  // BaseChain: μ_i = d_i (SRW, NBRW) or 1 (MHRW), divided by their sum (an exact integer: 2|E| or N).
  const double total = chain == Chain::mhrw ? static_cast<double>(g.vertices()) : 2.0 * static_cast<double>(g.edges());
  std::vector<double> mu;
  mu.reserve(static_cast<std::size_t>(g.hi() - g.lo()));
  for (Vertex v = g.lo(); v < g.hi(); ++v)
    mu.push_back((chain == Chain::mhrw ? 1.0 : static_cast<double>(g.degree(v))) / total);
  return mu;
}

std::vector<VertexFunction> block_functions(const mpi::Communicator& comm, const DistributedGraph& g,
                                            std::span<const double> mu_block, double indicator_fraction,
                                            const std::string& file) {
  const auto n = static_cast<std::size_t>(g.vertices());
  const auto lo = static_cast<std::size_t>(g.lo()), hi = static_cast<std::size_t>(g.hi());
  VertexFunction deg{"degree", {}, 0.0}, ind{"indicator", {}, 0.0};
  const auto cut = static_cast<double>(n) * indicator_fraction;
  ExactSum sd, si;
  for (std::size_t i = lo; i < hi; ++i) {
    deg.values.push_back(static_cast<double>(g.degree(static_cast<Vertex>(i))));
    ind.values.push_back(static_cast<double>(i) < cut ? 1.0 : 0.0);
    sd.add(mu_block[i - lo] * deg.values.back());
    si.add(mu_block[i - lo] * ind.values.back());
  }
  deg.exact = allreduce_exact(comm, sd);
  ind.exact = allreduce_exact(comm, si);
  std::vector<VertexFunction> out{deg, ind};
  if (!file.empty()) {
    // Every rank streams the file and keeps the values of its block.
    VertexFunction f{"file", {}, 0.0};
    mpi::all_or_throw(comm, [&] { f.values = read_function_values(file, n, lo, hi); });
    ExactSum e;
    for (std::size_t i = lo; i < hi; ++i) e.add(mu_block[i - lo] * f.values[i - lo]);
    f.exact = allreduce_exact(comm, e);
    out.push_back(std::move(f));
  }
  return out;
}

double tvd(const Token& t, std::span<const double> mu_norm) {
  ExactSum s;
  for (std::size_t i = 0; i < mu_norm.size(); ++i) s.add(tvd_term(t.w[i], t.scale, mu_norm[i]));
  return 0.5 * s.round();
}

double integral(const Token& t, std::span<const double> f) {
  ExactSum s;
  for (std::size_t i = 0; i < f.size(); ++i) s.add(t.w[i] * f[i]);
  return s.round() * t.scale;
}

double visit_average(const Token& t, std::span<const double> f, std::int64_t n) {
  double s = 0.0;
  for (std::size_t i = 0; i < f.size(); ++i) s += (t.w[i] - 1.0) * f[i];
  return s / static_cast<double>(n);
}

Summary summarise(const mpi::Communicator& comm, const Walkers& w, const std::vector<VertexFunction>& fs,
                  std::span<const double> theta_star) {
  const auto& toks = w.tokens();
  const std::size_t nf = fs.size(), width = nf + 2;
  std::vector<double> local(toks.size() * width);
  const auto mu = w.chain().mu_norm();
#pragma omp parallel for schedule(dynamic, 1)
  for (std::size_t k = 0; k < toks.size(); ++k) {
    double* row = local.data() + k * width;
    row[0] = tvd(toks[k], mu);
    for (std::size_t q = 0; q < nf; ++q) row[1 + q] = integral(toks[k], fs[q].values);
    double e = 0.0;
    if (!theta_star.empty() && toks[k].theta.size() == theta_star.size())
      for (std::size_t q = 0; q < theta_star.size(); ++q) {
        const double d = toks[k].theta[q] - theta_star[q];
        e += d * d;
      }
    row[width - 1] = e;
  }
  return summarise_rows(comm, local, fs);
}

Summary summarise_rows(const mpi::Communicator& comm, std::span<const double> local,
                       const std::vector<VertexFunction>& fs) {
  const std::size_t nf = fs.size(), width = nf + 2;
  const auto all = comm.allgatherv<double>(local);
  const std::size_t T = all.size() / width;
  Summary s;
  s.mean.assign(nf, 0.0);
  s.nrmse.assign(nf, 0.0);
  s.var.assign(nf, 0.0);
  for (std::size_t k = 0; k < T; ++k) {
    const double* row = all.data() + k * width;
    s.tvd_mean += row[0];
    s.mse += row[width - 1];
    for (std::size_t q = 0; q < nf; ++q) {
      s.mean[q] += row[1 + q];
      const double d = row[1 + q] - fs[q].exact;
      s.nrmse[q] += d * d;
    }
  }
  const double Td = static_cast<double>(T);
  s.tvd_mean /= Td;
  s.mse /= Td;
  for (std::size_t q = 0; q < nf; ++q) {
    s.mean[q] /= Td;
    s.nrmse[q] = std::sqrt(s.nrmse[q] / Td) / std::abs(fs[q].exact);
    double v = 0.0;
    for (std::size_t k = 0; k < T; ++k) {
      const double d = all[k * width + 1 + q] - s.mean[q];
      v += d * d;
    }
    s.var[q] = T > 1 ? v / (Td - 1.0) : 0.0;
  }
  return s;
}

std::vector<double> mean_measure(const mpi::Communicator& comm, const Walkers& w) {
  const auto n = static_cast<std::size_t>(w.chain().graph().vertices());
  std::vector<double> x(n, 0.0);
  for (const auto& t : w.tokens())
    for (std::size_t i = 0; i < n; ++i) x[i] += t.w[i] * t.scale;
  comm.allreduce_inplace<double>(x, mpi::Op::sum);
  const double T = static_cast<double>(w.params().tokens);
  for (auto& v : x) v /= T;
  return x;
}

}  // namespace sampo::walks
