#include "mcmc/models.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "core/error/error.hpp"
#include "core/rng/stream.hpp"

namespace sampo::mcmc {

// ---- vector transforms ------------------------------------------------------------------------------------------
void Ordered::apply(const double* u, int K, double* x) {
  x[0] = u[0];
  for (int k = 1; k < K; ++k) x[k] = x[k - 1] + std::exp(u[k]);
}
double Ordered::log_jacobian(const double* u, int K) {
  double s = 0.0;
  for (int k = 1; k < K; ++k) s += u[k];
  return s;
}
void Ordered::backprop(const double* u, int K, const double* g, double* gu) {
  double tail = 0.0;  // Σ_{m ≥ k} g_m
  for (int k = K - 1; k >= 1; --k) {
    tail += g[k];
    gu[k] = std::exp(u[k]) * tail + 1.0;
  }
  gu[0] = tail + g[0];
}

void Simplex::apply(const double* u, int K, double* x) {
  double mx = 0.0;  // the reference coordinate u_K = 0
  for (int k = 0; k + 1 < K; ++k) mx = std::max(mx, u[k]);
  double s = std::exp(-mx);
  for (int k = 0; k + 1 < K; ++k) s += std::exp(u[k] - mx);
  for (int k = 0; k + 1 < K; ++k) x[k] = std::exp(u[k] - mx) / s;
  x[K - 1] = std::exp(-mx) / s;
}
double Simplex::log_jacobian(const double* u, int K) {
  double mx = 0.0;
  for (int k = 0; k + 1 < K; ++k) mx = std::max(mx, u[k]);
  double s = std::exp(-mx);
  for (int k = 0; k + 1 < K; ++k) s += std::exp(u[k] - mx);
  const double log_s = mx + std::log(s);  // log Σ e^{u}
  double lj = -log_s;                     // log x_K
  for (int k = 0; k + 1 < K; ++k) lj += u[k] - log_s;
  return lj;
}
void Simplex::backprop(const double* u, int K, const double* g, double* gu) {
  std::vector<double> x(static_cast<std::size_t>(K));
  apply(u, K, x.data());
  double xg = 0.0;
  for (int k = 0; k < K; ++k) xg += x[static_cast<std::size_t>(k)] * g[k];
  // ∂x_k/∂u_j = x_k(δ_kj − x_j): ∂f/∂u_j = x_j (g_j − Σ_k x_k g_k); ∂ log J/∂u_j = 1 − K x_j.
  for (int j = 0; j + 1 < K; ++j) {
    const double xj = x[static_cast<std::size_t>(j)];
    gu[j] = xj * (g[j] - xg) + 1.0 - K * xj;
  }
}

// ---- CSV --------------------------------------------------------------------------------------------------------
namespace {

// Numeric rows of a CSV file: blank lines and '#' comments skipped, a first non-numeric line taken as a header.
std::vector<std::vector<double>> read_rows(const std::string& path, std::size_t columns_min) {
  std::ifstream in(path);
  if (!in) throw InputError("mcmc.data = \"" + path + "\": cannot open the data file (check the path)");
  std::vector<std::vector<double>> rows;
  std::string line;
  int lineno = 0;
  std::size_t width = 0;
  while (std::getline(in, line)) {
    ++lineno;
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    std::vector<double> row;
    std::stringstream ss(line);
    bool numeric = true;
    for (std::string cell; std::getline(ss, cell, ',');) {
      char* end = nullptr;
      const double v = std::strtod(cell.c_str(), &end);
      while (end && (*end == ' ' || *end == '\t' || *end == '\r')) ++end;
      if (end == cell.c_str() || (end && *end != '\0') || !std::isfinite(v)) {
        numeric = false;
        break;
      }
      row.push_back(v);
    }
    if (!numeric) {
      if (rows.empty() && width == 0) {
        width = 1;  // the header (at most one, before any data)
        continue;
      }
      throw InputError(path + ":" + std::to_string(lineno) + ": not a row of finite numbers: '" + line + "'");
    }
    if (row.size() < columns_min)
      throw InputError(path + ":" + std::to_string(lineno) + ": " + std::to_string(row.size()) + " columns, need at least " +
                       std::to_string(columns_min));
    if (!rows.empty() && row.size() != rows.front().size())
      throw InputError(path + ":" + std::to_string(lineno) + ": " + std::to_string(row.size()) + " columns, but the first row has " +
                       std::to_string(rows.front().size()));
    rows.push_back(std::move(row));
  }
  if (rows.empty()) throw InputError(path + ": no data rows");
  return rows;
}

constexpr std::size_t block_rows = 4096;

}  // namespace

// ---- logistic regression ----------------------------------------------------------------------------------------
LogisticRegression::LogisticRegression(std::vector<double> X, std::vector<double> y, int p)
    : X_(std::move(X)), y_(std::move(y)), p_(p) {
  SAMPO_VERIFY(p_ >= 1 && X_.size() == y_.size() * static_cast<std::size_t>(p_), "logistic regression: X is n x p");
}

LogisticRegression LogisticRegression::from_csv(const std::string& path) {
  const auto rows = read_rows(path, 2);
  const int p = static_cast<int>(rows.front().size()) - 1;
  std::vector<double> X, y;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const double v = rows[i].back();
    if (v != 0.0 && v != 1.0)
      throw InputError(path + ": data row " + std::to_string(i + 1) + ": the last column (y) must be 0 or 1, got " +
                       std::to_string(v));
    X.insert(X.end(), rows[i].begin(), rows[i].end() - 1);
    y.push_back(v);
  }
  return {std::move(X), std::move(y), p};
}

LogisticRegression LogisticRegression::simulate(int p, std::int64_t n, std::uint64_t seed) {
  std::vector<double> X, y;
  for (std::int64_t i = 0; i < n; ++i) {
    rng::Stream s(seed, rng::purpose_noise, static_cast<std::uint64_t>(i));
    double eta = 0.5;  // α = 0.5, β_j = (−1)^j / (j + 1)
    for (int j = 0; j < p; ++j) {
      const double x = s.normal();
      X.push_back(x);
      eta += ((j % 2) ? -1.0 : 1.0) / (j + 1.0) * x;
    }
    y.push_back(s.uniform() < 1.0 / (1.0 + std::exp(-eta)) ? 1.0 : 0.0);
  }
  return {std::move(X), std::move(y), p};
}

double LogisticRegression::log_density_gradient(const Vec& q, Vec& grad) const {
  const auto n = y_.size(), p = static_cast<std::size_t>(p_);
  const std::size_t nb = (n + block_rows - 1) / block_rows, w = p + 2;
  std::vector<double> part(nb * w, 0.0);  // per block: log-likelihood, ∂α, ∂β
#pragma omp parallel for schedule(static) if (nb > 1 && !omp_in_parallel())
  for (std::int64_t bb = 0; bb < static_cast<std::int64_t>(nb); ++bb) {
    const auto b = static_cast<std::size_t>(bb);
    double* acc = part.data() + b * w;
    for (std::size_t i = b * block_rows; i < std::min(n, (b + 1) * block_rows); ++i) {
      const double* x = X_.data() + i * p;
      double eta = q[0];
      for (std::size_t j = 0; j < p; ++j) eta += x[j] * q[static_cast<Eigen::Index>(j + 1)];
      const double softplus = eta > 0 ? eta + std::log1p(std::exp(-eta)) : std::log1p(std::exp(eta));
      const double mu = eta > 0 ? 1.0 / (1.0 + std::exp(-eta)) : std::exp(eta) / (1.0 + std::exp(eta));
      acc[0] += y_[i] * eta - softplus;
      const double r = y_[i] - mu;
      acc[1] += r;
      for (std::size_t j = 0; j < p; ++j) acc[2 + j] += r * x[j];
    }
  }
  grad.resize(p_ + 1);
  double lp = -0.5 * q[0] * q[0] / 25.0;
  grad[0] = -q[0] / 25.0;
  for (int j = 0; j < p_; ++j) {
    lp += -0.5 * q[j + 1] * q[j + 1] / 6.25;
    grad[j + 1] = -q[j + 1] / 6.25;
  }
  for (std::size_t b = 0; b < nb; ++b) {  // fixed order: the same bits for any thread count
    lp += part[b * w];
    for (std::size_t j = 0; j <= p; ++j) grad[static_cast<Eigen::Index>(j)] += part[b * w + 1 + j];
  }
  return lp;
}

// ---- hierarchical regression ------------------------------------------------------------------------------------
HierarchicalRegression::HierarchicalRegression(std::vector<int> group, std::vector<double> x, std::vector<double> y,
                                               int J)
    : g_(std::move(group)), x_(std::move(x)), y_(std::move(y)), J_(J) {
  SAMPO_VERIFY(J_ >= 1 && g_.size() == x_.size() && x_.size() == y_.size(), "hierarchical regression: bad data");
}

HierarchicalRegression HierarchicalRegression::from_csv(const std::string& path) {
  const auto rows = read_rows(path, 3);
  std::vector<int> g;
  std::vector<double> x, y;
  int J = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const double gv = rows[i][0];
    if (gv < 1 || gv != std::floor(gv) || gv > 1e6)
      throw InputError(path + ": data row " + std::to_string(i + 1) + ": the group (first column) must be an integer "
                       "1..J, got " + std::to_string(gv));
    g.push_back(static_cast<int>(gv) - 1);
    J = std::max(J, static_cast<int>(gv));
    x.push_back(rows[i][1]);
    y.push_back(rows[i][2]);
  }
  return {std::move(g), std::move(x), std::move(y), J};
}

HierarchicalRegression HierarchicalRegression::simulate(int J, std::int64_t n, std::uint64_t seed) {
  std::vector<double> alpha(static_cast<std::size_t>(J));
  for (int j = 0; j < J; ++j) alpha[static_cast<std::size_t>(j)] = 1.0 + 0.5 * rng::Stream(seed, rng::purpose_noise, 0, static_cast<std::uint32_t>(j) + 1).normal();
  std::vector<int> g;
  std::vector<double> x, y;
  for (std::int64_t i = 0; i < n; ++i) {
    rng::Stream s(seed, rng::purpose_noise, static_cast<std::uint64_t>(i) + 1);
    const int j = static_cast<int>(i % J);
    const double xi = s.normal();
    g.push_back(j);
    x.push_back(xi);
    y.push_back(alpha[static_cast<std::size_t>(j)] + 0.7 * xi + s.normal());  // β = 0.7, σ_y = 1
  }
  return {std::move(g), std::move(x), std::move(y), J};
}

double HierarchicalRegression::log_jacobian(const Vec& q, Vec& grad) const {
  grad.setZero(4 + J_);
  grad[1] = grad[3] = 1.0;
  return q[1] + q[3];
}

double HierarchicalRegression::log_density_gradient(const Vec& q, Vec& grad) const {
  grad.setZero(4 + J_);
  const double mu = q[0], ltau = q[1], tau = std::exp(ltau), beta = q[2], lsig = q[3], sig = std::exp(lsig);
  const double is2 = 1.0 / (sig * sig);
  double lp = -0.5 * mu * mu / 100.0 + (-0.5 * tau * tau / 25.0 + ltau) - 0.5 * beta * beta / 100.0 +
              (-0.5 * sig * sig / 25.0 + lsig);
  grad[0] = -mu / 100.0;
  grad[1] = -tau * tau / 25.0 + 1.0;
  grad[2] = -beta / 100.0;
  grad[3] = -sig * sig / 25.0 + 1.0;
  for (int j = 0; j < J_; ++j) {
    lp += -0.5 * q[4 + j] * q[4 + j];
    grad[4 + j] = -q[4 + j];
  }
  double se = 0.0, sea = 0.0, sex = 0.0, sr2 = 0.0;
  for (std::size_t i = 0; i < y_.size(); ++i) {
    const int j = g_[i];
    const double at = q[4 + j];
    const double r = y_[i] - (mu + tau * at + beta * x_[i]);
    const double e = r * is2;
    se += e, sea += e * at, sex += e * x_[i], sr2 += r * r;
    grad[4 + j] += tau * e;
  }
  const auto n = static_cast<double>(y_.size());
  lp += -n * lsig - 0.5 * sr2 * is2;
  grad[0] += se;
  grad[1] += tau * sea;
  grad[2] += sex;
  grad[3] += -n + sr2 * is2;
  return lp;
}

std::vector<Variable> HierarchicalRegression::variables() const {
  return {{"mu", {}}, {"tau", {}}, {"beta", {}}, {"sigma_y", {}}, {"alpha_tilde", {J_}}, {"alpha", {J_}}};
}

Vec HierarchicalRegression::constrain(const Vec& q) const {
  Vec x(4 + 2 * J_);
  const double tau = std::exp(q[1]);
  x[0] = q[0], x[1] = tau, x[2] = q[2], x[3] = std::exp(q[3]);
  for (int j = 0; j < J_; ++j) {
    x[4 + j] = q[4 + j];
    x[4 + J_ + j] = q[0] + tau * q[4 + j];
  }
  return x;
}

std::unique_ptr<Target> make_target(const TargetSpec& spec, const std::string& key) {
  if (spec.name == "logistic_regression")
    return std::make_unique<LogisticRegression>(spec.data.empty() ? LogisticRegression::simulate(spec.dim, spec.rows, spec.data_seed)
                                                                  : LogisticRegression::from_csv(spec.data));
  if (spec.name == "hierarchical_regression")
    return std::make_unique<HierarchicalRegression>(
        spec.data.empty() ? HierarchicalRegression::simulate(spec.dim, spec.rows, spec.data_seed)
                          : HierarchicalRegression::from_csv(spec.data));
  return make_target(spec.name, spec.dim, spec.rho, key);
}

}  // namespace sampo::mcmc
