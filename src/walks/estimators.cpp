#include "walks/estimators.hpp"

#include <algorithm>
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

namespace {

// Σ term(i) over i in [0, n), exactly. (Four accumulators taking turns measured no faster: the cost is the
// accumulator's ~25 instructions per term, not a chain through its limbs.)
template <class Term>
ExactSum exact_sum(std::size_t n, Term&& term) {
  ExactSum acc;
  for (std::size_t i = 0; i < n; ++i) acc.add(term(i));
  return acc;
}

}  // namespace

double tvd(const Token& t, std::span<const double> mu_norm) {
  return 0.5 * exact_sum(mu_norm.size(), [&](std::size_t i) { return tvd_term(t.w[i], t.scale, mu_norm[i]); }).round();
}

double integral(const Token& t, std::span<const double> f) {
  return exact_sum(f.size(), [&](std::size_t i) { return t.w[i] * f[i]; }).round() * t.scale;
}

double visit_average(const Token& t, std::span<const double> f, std::int64_t n) {
  double s = 0.0;
  for (std::size_t i = 0; i < f.size(); ++i) s += (t.w[i] - 1.0) * f[i];
  return s / static_cast<double>(n);
}

namespace {

// The vertices whose weight is not 1 (unvisited in counts mode), in order; stops early (returns false) once more
// than `limit` are found. Blocks of 8 weights all equal to 1 are skipped with one branch.
bool gather_visited(const TokenArray& w, std::size_t limit, std::vector<std::uint32_t>& out) {
  const std::size_t n = w.size();
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    bool any = false;
    for (std::size_t q = 0; q < 8; ++q) any |= w[i + q] != 1.0;
    if (!any) continue;
    for (std::size_t q = 0; q < 8; ++q)
      if (w[i + q] != 1.0) out.push_back(static_cast<std::uint32_t>(i + q));
    if (out.size() > limit) return false;
  }
  for (; i < n; ++i)
    if (w[i] != 1.0) out.push_back(static_cast<std::uint32_t>(i));
  return out.size() <= limit;
}

}  // namespace

std::vector<std::pair<double, std::uint64_t>> distinct_counts(std::span<const double> v) {
  std::vector<double> sorted(v.begin(), v.end());
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::pair<double, std::uint64_t>> out;
  for (std::size_t i = 0; i < sorted.size();) {
    std::size_t j = i;
    while (j < sorted.size() && sorted[j] == sorted[i]) ++j;
    out.emplace_back(sorted[i], j - i);
    i = j;
  }
  return out;
}

Summariser::Summariser(const BaseChain& c, const std::vector<VertexFunction>& fs)
    : mu_(c.mu_norm()), fs_(&fs), mu_counts_(distinct_counts(mu_)) {
  for (const auto& f : fs)
    f_sums_.push_back(exact_sum(f.values.size(), [&](std::size_t i) { return 1.0 * f.values[i]; }));
}

Summary Summariser::operator()(const mpi::Communicator& comm, const Walkers& w,
                               std::span<const double> theta_star) const {
  SAMPO_VERIFY(w.chain().mu_norm().data() == mu_.data(), "Summariser: walkers of another chain than it was built for");
  const auto& toks = w.tokens();
  const auto& fs = *fs_;
  const std::size_t nf = fs.size(), width = nf + 2;
  std::vector<double> local(toks.size() * width);
  const auto mu = mu_;
  const std::size_t n = mu.size();
  // Counts mode: an unvisited vertex has weight 1, and every token has the same scale 1/(N + n). The sums over all
  // vertices at weight 1 are then shared by the tokens: Σ_i f_i per function (computed once per run) and the TVD's
  // Σ_i |scale − μ_i| (from the distinct values of μ and their multiplicities). A token that has visited at most
  // half of the vertices adds, for each visited one, its term minus the weight-1 term (the vertex engine's method).
  // The sums are exact, so the bits are those of tvd() and integral() over every vertex; an output time costs
  // O(distinct μ + visited) exact additions per token instead of O(N) per token and function (100 output times, 8
  // tokens, WS 2^20, 1e5 steps: 13.7 s in the loop for 0.25 s of walking before, 3.3 s now).
  const bool shared = w.counts_mode() && !toks.empty() && n < (std::size_t{1} << 32) &&
                      std::all_of(toks.begin(), toks.end(), [&](const Token& t) { return t.scale == toks[0].scale; });
  std::vector<ExactSum> base;
  if (shared) {
    base.emplace_back();
    for (const auto& [m, count] : mu_counts_) base[0].add_times(tvd_term(1.0, toks[0].scale, m), count);
    base.insert(base.end(), f_sums_.begin(), f_sums_.end());
  }
#pragma omp parallel for schedule(dynamic, 1)
  for (std::size_t k = 0; k < toks.size(); ++k) {
    double* row = local.data() + k * width;
    const Token& t = toks[k];
    // The visited vertices, gathered by one sequential pass, then their terms with the values a few vertices ahead
    // prefetched: visited vertices are scattered, and μ and each f are separate arrays.
    std::vector<std::uint32_t> visited;
    if (shared && gather_visited(t.w, n / 2, visited)) {
      constexpr std::size_t ahead = 16;
      std::vector<ExactSum> acc(base);
      for (std::size_t j = 0; j < visited.size(); ++j) {
        if (j + ahead < visited.size()) {
          const std::size_t a = visited[j + ahead];
          __builtin_prefetch(mu.data() + a);
          __builtin_prefetch(t.w.data() + a);
          for (const auto& f : fs) __builtin_prefetch(f.values.data() + a);
        }
        const std::size_t i = visited[j];
        const double wi = t.w[i];
        acc[0].add(tvd_term(wi, t.scale, mu[i]));
        acc[0].sub(tvd_term(1.0, t.scale, mu[i]));
        for (std::size_t q = 0; q < nf; ++q) {
          acc[1 + q].add(wi * fs[q].values[i]);
          acc[1 + q].sub(1.0 * fs[q].values[i]);
        }
      }
      row[0] = 0.5 * acc[0].round();
      for (std::size_t q = 0; q < nf; ++q) row[1 + q] = acc[1 + q].round() * t.scale;
    } else {
      row[0] = tvd(t, mu);
      for (std::size_t q = 0; q < nf; ++q) row[1 + q] = integral(t, fs[q].values);
    }
    double e = 0.0;
    if (!theta_star.empty() && t.theta.size() == theta_star.size())
      for (std::size_t q = 0; q < theta_star.size(); ++q) {
        const double d = t.theta[q] - theta_star[q];
        e += d * d;
      }
    row[width - 1] = e;
  }
  return summarise_rows(comm, local, fs);
}

Summary summarise(const mpi::Communicator& comm, const Walkers& w, const std::vector<VertexFunction>& fs,
                  std::span<const double> theta_star) {
  return Summariser(w.chain(), fs)(comm, w, theta_star);
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
