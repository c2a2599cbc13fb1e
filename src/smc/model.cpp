#include "smc/model.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numbers>
#include <sstream>

#include "core/error/error.hpp"
#include "core/io/hdf5.hpp"
#include "core/simd/clones.hpp"

namespace sampo::smc {

namespace {
constexpr double half_log_2pi = 0.91893853320467274178;  // ½ log(2π)
[[noreturn]] void no_proposal(const std::string& name) {
  throw InternalError("model '" + name + "' has no proposal (use the bootstrap filter)");
}
}  // namespace

// ---- Model defaults --------------------------------------------------------------------------------------------
void Model::sample_proposal(int, const double*, const double*, rng::Stream&, double*) const { no_proposal(name()); }
double Model::log_proposal(int, const double*, const double*, const double*) const { no_proposal(name()); }
void Model::transition_from_noise(int, std::size_t, const double*, const double*, double*) const {
  // Only called when transition_noise_dim() > 0, which a model must not declare without overriding this.
  SAMPO_VERIFY(false, "model '" + name() + "' declares transition noise but has no transition_from_noise");
}
void Model::log_observation_batch(int t, std::size_t n, const double* x, const double* y, double* out) const {
  const auto d = static_cast<std::size_t>(dim());
  for (std::size_t i = 0; i < n; ++i) out[i] = log_observation(t, x + i * d, y);
}
void Model::set_params(std::span<const double> theta) {
  SAMPO_VERIFY(theta.empty(), "model '" + name() + "' has no parameters to set");
}
void Model::grad_log_initial(const double*, double*) const {}
void Model::grad_log_transition(int, const double*, const double*, double*) const {}
void Model::grad_log_observation(int, const double*, const double*, double*) const {}

// ---- Scalar linear Gaussian -----------------------------------------------------------------------------------
namespace {
// The scalar linear Gaussian model's batch kernels, in AVX-512/AVX2/baseline clones. model.cpp is compiled with
// -ffp-contract=off (src/smc/CMakeLists.txt): no clone fuses a multiply–add, so every clone gives the same bits.
SAMPO_CLONES void slg_transition(std::size_t n, double rho, double sx, const double* xp, const double* eps, double* x) {
  for (std::size_t i = 0; i < n; ++i) x[i] = rho * xp[i] + sx * eps[i];
}
SAMPO_CLONES void slg_observation(std::size_t n, double y, double lc, double is2, const double* x, double* out) {
  for (std::size_t i = 0; i < n; ++i) {
    const double e = y - x[i];
    out[i] = lc - 0.5 * e * e * is2;
  }
}
}  // namespace

void ScalarLinearGaussian::transition_from_noise(int, std::size_t n, const double* xp, const double* eps,
                                                 double* x) const {
  slg_transition(n, rho_, sx_, xp, eps, x);
}
void ScalarLinearGaussian::log_observation_batch(int, std::size_t n, const double* x, const double* y,
                                                 double* out) const {
  slg_observation(n, y[0], lcy_, isy2_, x, out);
}

ScalarLinearGaussian::ScalarLinearGaussian(double rho, double sigma_x, double sigma_y, double m0, double s0)
    : rho_(rho), sx_(sigma_x), sy_(sigma_y), m0_(m0), s0_(s0) {
  update();
}
void ScalarLinearGaussian::update() {
  lcx_ = -half_log_2pi - std::log(sx_);
  lcy_ = -half_log_2pi - std::log(sy_);
  isx2_ = 1.0 / (sx_ * sx_);
  isy2_ = 1.0 / (sy_ * sy_);
}
double ScalarLinearGaussian::log_initial(const double* x) const {
  const double e = (x[0] - m0_) / s0_;
  return -half_log_2pi - std::log(s0_) - 0.5 * e * e;
}
void ScalarLinearGaussian::sample_proposal(int t, const double* xprev, const double* y, rng::Stream& s,
                                           double* x) const {
  const double prec_prior = t == 0 ? 1.0 / (s0_ * s0_) : isx2_;
  const double mean_prior = t == 0 ? m0_ : rho_ * xprev[0];
  const double v = 1.0 / (prec_prior + isy2_);
  x[0] = v * (mean_prior * prec_prior + y[0] * isy2_) + std::sqrt(v) * s.normal();
}
double ScalarLinearGaussian::log_proposal(int t, const double* xprev, const double* y, const double* x) const {
  const double prec_prior = t == 0 ? 1.0 / (s0_ * s0_) : isx2_;
  const double mean_prior = t == 0 ? m0_ : rho_ * xprev[0];
  const double v = 1.0 / (prec_prior + isy2_);
  const double e = x[0] - v * (mean_prior * prec_prior + y[0] * isy2_);
  return -half_log_2pi - 0.5 * std::log(v) - 0.5 * e * e / v;
}
void ScalarLinearGaussian::set_params(std::span<const double> theta) {
  SAMPO_VERIFY(theta.size() == 3, "linear_gaussian has 3 parameters (rho, sigma_x, sigma_y)");
  rho_ = theta[0], sx_ = theta[1], sy_ = theta[2];
  update();
}
void ScalarLinearGaussian::project_params(std::span<double> theta) const {
  theta[0] = std::clamp(theta[0], -0.999, 0.999);
  theta[1] = std::max(theta[1], 1e-3);
  theta[2] = std::max(theta[2], 1e-3);
}
void ScalarLinearGaussian::grad_log_transition(int, const double* xp, const double* x, double* g) const {
  const double e = x[0] - rho_ * xp[0];
  g[0] = e * xp[0] * isx2_;
  g[1] = -1.0 / sx_ + e * e * isx2_ / sx_;
  g[2] = 0.0;
}
void ScalarLinearGaussian::grad_log_observation(int, const double* x, const double* y, double* g) const {
  const double e = y[0] - x[0];
  g[0] = 0.0;
  g[1] = 0.0;
  g[2] = -1.0 / sy_ + e * e * isy2_ / sy_;
}
LinearGaussianSpec ScalarLinearGaussian::spec() const {
  LinearGaussianSpec s;
  s.F = Eigen::MatrixXd::Constant(1, 1, rho_);
  s.Q = Eigen::MatrixXd::Constant(1, 1, sx_ * sx_);
  s.G = Eigen::MatrixXd::Constant(1, 1, 1.0);
  s.R = Eigen::MatrixXd::Constant(1, 1, sy_ * sy_);
  s.P0 = Eigen::MatrixXd::Constant(1, 1, s0_ * s0_);
  s.m0 = Eigen::VectorXd::Constant(1, m0_);
  return s;
}

// ---- Multivariate linear Gaussian ------------------------------------------------------------------------------
namespace {
// Lower Cholesky factor, inverse and ½ log det of an SPD matrix; throws ConfigError naming `what` otherwise.
void factor(const Eigen::MatrixXd& a, const std::string& what, Eigen::MatrixXd& l, Eigen::MatrixXd& inv,
            double& half_logdet) {
  Eigen::LLT<Eigen::MatrixXd> llt(a);
  if (llt.info() != Eigen::Success || !a.isApprox(a.transpose()))
    throw ConfigError("model." + what + " must be symmetric positive definite (give it row-major, e.g. [1, 0, 0, 1])");
  l = llt.matrixL();
  inv = llt.solve(Eigen::MatrixXd::Identity(a.rows(), a.cols()));
  half_logdet = l.diagonal().array().log().sum();
}
double gauss_logpdf(const Eigen::Ref<const Eigen::VectorXd>& e, const Eigen::MatrixXd& inv, double lc) {
  return lc - 0.5 * e.dot(inv * e);
}
}  // namespace

LinearGaussian::LinearGaussian(LinearGaussianSpec spec) : s_(std::move(spec)) {
  double hq = 0, hr = 0, h0 = 0;
  factor(s_.Q, "Q", lq_, qinv_, hq);
  factor(s_.R, "R", lr_, rinv_, hr);
  factor(s_.P0, "P0", lp0_, p0inv_, h0);
  lcq_ = -half_log_2pi * static_cast<double>(dim()) - hq;
  lcr_ = -half_log_2pi * static_cast<double>(obs_dim()) - hr;
  lc0_ = -half_log_2pi * static_cast<double>(dim()) - h0;
}
void LinearGaussian::sample_initial(rng::Stream& s, double* x) const {
  Eigen::VectorXd z(dim());
  for (int k = 0; k < dim(); ++k) z[k] = s.normal();
  Eigen::Map<Eigen::VectorXd>(x, dim()) = s_.m0 + lp0_ * z;
}
double LinearGaussian::log_initial(const double* x) const {
  return gauss_logpdf(Eigen::Map<const Eigen::VectorXd>(x, dim()) - s_.m0, p0inv_, lc0_);
}
void LinearGaussian::sample_transition(int, const double* xprev, rng::Stream& s, double* x) const {
  Eigen::VectorXd z(dim());
  for (int k = 0; k < dim(); ++k) z[k] = s.normal();
  Eigen::Map<Eigen::VectorXd>(x, dim()) = s_.F * Eigen::Map<const Eigen::VectorXd>(xprev, dim()) + lq_ * z;
}
void LinearGaussian::transition_from_noise(int, std::size_t n, const double* xprev, const double* eps,
                                           double* x) const {
  // Particle by particle (not one matrix product over the block): a particle's bits must not depend on how many
  // particles share its block.
  const auto d = static_cast<std::size_t>(dim());
  for (std::size_t i = 0; i < n; ++i)
    Eigen::Map<Eigen::VectorXd>(x + i * d, dim()) = s_.F * Eigen::Map<const Eigen::VectorXd>(xprev + i * d, dim()) +
                                                     lq_ * Eigen::Map<const Eigen::VectorXd>(eps + i * d, dim());
}
double LinearGaussian::log_transition(int, const double* xprev, const double* x) const {
  return gauss_logpdf(Eigen::Map<const Eigen::VectorXd>(x, dim()) - s_.F * Eigen::Map<const Eigen::VectorXd>(xprev, dim()),
                      qinv_, lcq_);
}
double LinearGaussian::log_observation(int, const double* x, const double* y) const {
  return gauss_logpdf(Eigen::Map<const Eigen::VectorXd>(y, obs_dim()) - s_.G * Eigen::Map<const Eigen::VectorXd>(x, dim()),
                      rinv_, lcr_);
}
void LinearGaussian::sample_observation(int, const double* x, rng::Stream& s, double* y) const {
  Eigen::VectorXd z(obs_dim());
  for (int k = 0; k < obs_dim(); ++k) z[k] = s.normal();
  Eigen::Map<Eigen::VectorXd>(y, obs_dim()) = s_.G * Eigen::Map<const Eigen::VectorXd>(x, dim()) + lr_ * z;
}

// ---- Stochastic volatility --------------------------------------------------------------------------------------
StochasticVolatility::StochasticVolatility(double mu, double phi, double sigma) : mu_(mu), phi_(phi), sigma_(sigma) {}
void StochasticVolatility::sample_initial(rng::Stream& s, double* x) const {
  x[0] = mu_ + sigma_ / std::sqrt(1.0 - phi_ * phi_) * s.normal();
}
double StochasticVolatility::log_initial(const double* x) const {
  const double v = sigma_ * sigma_ / (1.0 - phi_ * phi_), e = x[0] - mu_;
  return -half_log_2pi - 0.5 * std::log(v) - 0.5 * e * e / v;
}
double StochasticVolatility::log_transition(int, const double* xp, const double* x) const {
  const double e = x[0] - mu_ - phi_ * (xp[0] - mu_);
  return -half_log_2pi - std::log(sigma_) - 0.5 * e * e / (sigma_ * sigma_);
}
double StochasticVolatility::log_transition_bound(int) const { return -half_log_2pi - std::log(sigma_); }
double StochasticVolatility::log_observation(int, const double* x, const double* y) const {
  return -half_log_2pi - 0.5 * x[0] - 0.5 * y[0] * y[0] * std::exp(-x[0]);
}
void StochasticVolatility::sample_observation(int, const double* x, rng::Stream& s, double* y) const {
  y[0] = std::exp(0.5 * x[0]) * s.normal();
}
void StochasticVolatility::set_params(std::span<const double> theta) {
  SAMPO_VERIFY(theta.size() == 3, "stochastic_volatility has 3 parameters (mu, phi, sigma)");
  mu_ = theta[0], phi_ = theta[1], sigma_ = theta[2];
}
void StochasticVolatility::project_params(std::span<double> theta) const {
  theta[1] = std::clamp(theta[1], -0.999, 0.999);
  theta[2] = std::max(theta[2], 1e-3);
}
void StochasticVolatility::grad_log_initial(const double* x, double* g) const {
  const double s2 = sigma_ * sigma_, e = x[0] - mu_, c = 1.0 - phi_ * phi_;
  g[0] = e * c / s2;
  g[1] = -phi_ / c + phi_ * e * e / s2;
  g[2] = -1.0 / sigma_ + e * e * c / (s2 * sigma_);
}
void StochasticVolatility::grad_log_transition(int, const double* xp, const double* x, double* g) const {
  const double s2 = sigma_ * sigma_, e = x[0] - mu_ - phi_ * (xp[0] - mu_);
  g[0] = e * (1.0 - phi_) / s2;
  g[1] = e * (xp[0] - mu_) / s2;
  g[2] = -1.0 / sigma_ + e * e / (s2 * sigma_);
}

// ---- Poisson / Cox ---------------------------------------------------------------------------------------------
double PoissonCox::log_observation(int, const double* x, const double* y) const {
  int sign = 0;  // lgamma_r: std::lgamma writes the global signgam (a race under OpenMP)
  return y[0] * x[0] - std::exp(x[0]) - ::lgamma_r(y[0] + 1.0, &sign);
}
void PoissonCox::sample_observation(int, const double* x, rng::Stream& s, double* y) const {
  y[0] = static_cast<double>(s.poisson(std::exp(std::min(x[0], 34.0))));  // e^34 ≈ 5.8e14 < the sampler's 1e15
}
std::string PoissonCox::invalid_observation(const double* y) const {
  if (!(y[0] >= 0.0) || y[0] != std::floor(y[0]) || y[0] > 1e15)
    return "a Poisson count must be a non-negative integer, got " + std::to_string(y[0]);
  return {};
}

// ---- Nonlinear growth -------------------------------------------------------------------------------------------
NonlinearGrowth::NonlinearGrowth(double sigma_v, double sigma_w, double s0) : sv_(sigma_v), sw_(sigma_w), s0_(s0) {}
double NonlinearGrowth::log_initial(const double* x) const {
  const double e = x[0] / s0_;
  return -half_log_2pi - std::log(s0_) - 0.5 * e * e;
}
double NonlinearGrowth::log_transition(int t, const double* xp, const double* x) const {
  const double e = (x[0] - drift(t, xp[0])) / sv_;
  return -half_log_2pi - std::log(sv_) - 0.5 * e * e;
}
double NonlinearGrowth::log_transition_bound(int) const { return -half_log_2pi - std::log(sv_); }
double NonlinearGrowth::log_observation(int, const double* x, const double* y) const {
  const double e = (y[0] - x[0] * x[0] / 20.0) / sw_;
  return -half_log_2pi - std::log(sw_) - 0.5 * e * e;
}
void NonlinearGrowth::sample_observation(int, const double* x, rng::Stream& s, double* y) const {
  y[0] = x[0] * x[0] / 20.0 + sw_ * s.normal();
}
void NonlinearGrowth::set_params(std::span<const double> theta) {
  SAMPO_VERIFY(theta.size() == 2, "growth has 2 parameters (sigma_v, sigma_w)");
  sv_ = theta[0], sw_ = theta[1];
}
void NonlinearGrowth::project_params(std::span<double> theta) const {
  theta[0] = std::max(theta[0], 1e-3);
  theta[1] = std::max(theta[1], 1e-3);
}
void NonlinearGrowth::grad_log_transition(int t, const double* xp, const double* x, double* g) const {
  const double e = x[0] - drift(t, xp[0]);
  g[0] = -1.0 / sv_ + e * e / (sv_ * sv_ * sv_);
  g[1] = 0.0;
}
void NonlinearGrowth::grad_log_observation(int, const double* x, const double* y, double* g) const {
  const double e = y[0] - x[0] * x[0] / 20.0;
  g[0] = 0.0;
  g[1] = -1.0 / sw_ + e * e / (sw_ * sw_ * sw_);
}

// ---- Observations -----------------------------------------------------------------------------------------------
Observations simulate(const Model& m, int n, std::uint64_t seed) {
  Observations o;
  o.dy = m.obs_dim();
  o.dx = m.dim();
  const auto dx = static_cast<std::size_t>(o.dx), dy = static_cast<std::size_t>(o.dy);
  o.truth.resize((static_cast<std::size_t>(n) + 1) * dx);
  o.y.resize((static_cast<std::size_t>(n) + 1) * dy);
  for (int t = 0; t <= n; ++t) {
    rng::Stream sx(seed, rng::purpose_observation, 0, static_cast<std::uint32_t>(t));
    rng::Stream sy(seed, rng::purpose_observation, 1, static_cast<std::uint32_t>(t));
    double* x = o.truth.data() + static_cast<std::size_t>(t) * dx;
    if (t == 0)
      m.sample_initial(sx, x);
    else
      m.sample_transition(t, x - dx, sx, x);
    m.sample_observation(t, x, sy, o.y.data() + static_cast<std::size_t>(t) * dy);
  }
  return o;
}

Observations read_csv(const std::string& path, int dy) {
  std::ifstream in(path);
  if (!in) throw InputError("cannot open observation file '" + path + "' (set data.path to an existing CSV file)");
  Observations o;
  o.dy = dy;
  std::string line;
  int lineno = 0;
  bool header_allowed = true;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty() || line[0] == '#') continue;
    for (auto& c : line)
      if (c == ',' || c == ';' || c == '\t') c = ' ';
    std::istringstream ss(line);
    std::vector<double> row;
    std::string tok;
    bool numeric = true;
    while (ss >> tok) {
      try {
        std::size_t used = 0;
        row.push_back(std::stod(tok, &used));
        if (used != tok.size()) numeric = false;
      } catch (const std::exception&) {
        numeric = false;
      }
    }
    if (row.empty() && !numeric && header_allowed) {
      header_allowed = false;
      continue;
    }
    if (!numeric) {
      if (header_allowed && o.y.empty()) {
        header_allowed = false;
        continue;  // a header line
      }
      throw InputError(path + ":" + std::to_string(lineno) + ": not a number in '" + line + "'");
    }
    header_allowed = false;
    if (static_cast<int>(row.size()) != dy)
      throw InputError(path + ":" + std::to_string(lineno) + ": " + std::to_string(row.size()) +
                       " columns, but the model observes " + std::to_string(dy) + " per time step");
    o.y.insert(o.y.end(), row.begin(), row.end());
  }
  if (o.y.size() < 2 * static_cast<std::size_t>(dy))
    throw InputError("observation file '" + path + "' holds fewer than 2 time steps");
  return o;
}

Observations read_hdf5(const std::string& path, const std::string& dataset, int dy) {
  Observations o;
  o.dy = dy;
  try {
    auto f = io::File::open_serial(path);
    const auto shape = f.root().shape(dataset);
    const std::uint64_t cols = shape.size() >= 2 ? shape[1] : 1;
    if (static_cast<int>(cols) != dy)
      throw InputError(path + ":" + dataset + " has " + std::to_string(cols) + " columns, but the model observes " +
                       std::to_string(dy));
    o.y = f.root().read_all<double>(dataset);
  } catch (const IoError& e) {
    throw InputError(std::string("cannot read observations: ") + e.what() +
                     " (set data.path and data.dataset to an existing HDF5 dataset)");
  }
  if (o.y.size() < 2 * static_cast<std::size_t>(dy))
    throw InputError(path + ":" + dataset + " holds fewer than 2 time steps");
  return o;
}

// ---- Deck --------------------------------------------------------------------------------------------------------
config::Schema model_schema() {
  config::Schema s;
  s.string("model.type", "linear_gaussian", "state-space model",
           {"linear_gaussian", "linear_gaussian_mv", "stochastic_volatility", "growth", "poisson"});
  s.real("model.rho", 0.9, "linear_gaussian: autoregression coefficient ρ", -0.9999, 0.9999);
  s.real("model.sigma_x", 1.0, "linear_gaussian: state noise sd σx", 1e-6, 1e6);
  s.real("model.sigma_y", 1.0, "linear_gaussian: observation noise sd σy", 1e-6, 1e6);
  s.real("model.m0", 0.0, "linear_gaussian: mean of x_0", -1e12, 1e12);
  s.real("model.s0", 0.0, "sd of x_0 (linear_gaussian: 0 = stationary σx/sqrt(1-ρ²); growth: 0 = sqrt(5))", 0.0, 1e6);
  s.integer("model.dim", 2, "linear_gaussian_mv: state dimension", 1, 64);
  s.integer("model.obs_dim", 2, "linear_gaussian_mv: observation dimension", 1, 64);
  s.real_list("model.F", {0.9, 0.1, -0.1, 0.8}, "linear_gaussian_mv: transition matrix F (row-major dim×dim)");
  s.real_list("model.Q", {1.0, 0.0, 0.0, 1.0}, "linear_gaussian_mv: state noise covariance Q (row-major)");
  s.real_list("model.G", {1.0, 0.0, 0.0, 1.0}, "linear_gaussian_mv: observation matrix G (row-major obs_dim×dim)");
  s.real_list("model.R", {1.0, 0.0, 0.0, 1.0}, "linear_gaussian_mv: observation covariance R (row-major)");
  s.real_list("model.mean0", {0.0, 0.0}, "linear_gaussian_mv: mean of x_0");
  s.real_list("model.P0", {1.0, 0.0, 0.0, 1.0}, "linear_gaussian_mv: covariance of x_0 (row-major)");
  s.real("model.mu", -1.02, "stochastic_volatility: mean log-volatility μ; poisson: mean log-intensity", -1e3, 1e3);
  s.real("model.phi", 0.9702, "stochastic_volatility, poisson: persistence φ of the latent AR(1)", -0.9999, 0.9999);
  s.real("model.sigma", 0.178, "stochastic_volatility, poisson: innovation sd σ of the latent AR(1)", 1e-6, 1e3);
  s.real("model.sigma_v", std::sqrt(10.0), "growth: state noise sd σv", 1e-6, 1e6);
  s.real("model.sigma_w", 1.0, "growth: observation noise sd σw", 1e-6, 1e6);
  s.string("data.source", "simulate", "observations: simulated from the model, or read from a file",
           {"simulate", "csv", "hdf5"});
  s.integer("data.steps", 100, "simulate: number of transitions n (observations y_0..y_n)", 1, 1e8);
  s.integer("data.seed", 1, "simulate: seed of the simulated data (independent of run.seed)", 0, 9.2e18);
  s.real_list("data.theta", {}, "simulate: parameters θ of the data-generating model (empty: the model's own); "
              "e.g. the truth when learning from a different starting θ");
  s.string("data.path", "", "csv/hdf5: observation file (one row per time step)");
  s.string("data.dataset", "y", "hdf5: dataset holding the observations");
  return s;
}

namespace {
Eigen::MatrixXd matrix(const config::Config& c, const std::string& key, std::int64_t rows, std::int64_t cols) {
  const auto& v = c.get_real_list(key);
  if (static_cast<std::int64_t>(v.size()) != rows * cols)
    throw ConfigError(key + " has " + std::to_string(v.size()) + " entries but must have " + std::to_string(rows) +
                      "×" + std::to_string(cols) + " = " + std::to_string(rows * cols) +
                      " (row-major; check model.dim and model.obs_dim)");
  Eigen::MatrixXd m(rows, cols);
  for (std::int64_t i = 0; i < rows; ++i)
    for (std::int64_t j = 0; j < cols; ++j) m(i, j) = v[static_cast<std::size_t>(i * cols + j)];
  return m;
}
}  // namespace

std::unique_ptr<Model> make_model(const config::Config& c) {
  const auto& type = c.get_string("model.type");
  if (type == "linear_gaussian") {
    const double rho = c.get_real("model.rho"), sx = c.get_real("model.sigma_x");
    double s0 = c.get_real("model.s0");
    if (s0 == 0.0) s0 = sx / std::sqrt(1.0 - rho * rho);
    return std::make_unique<ScalarLinearGaussian>(rho, sx, c.get_real("model.sigma_y"), c.get_real("model.m0"), s0);
  }
  if (type == "linear_gaussian_mv") {
    const auto d = c.get_int("model.dim"), dy = c.get_int("model.obs_dim");
    LinearGaussianSpec s;
    s.F = matrix(c, "model.F", d, d);
    s.Q = matrix(c, "model.Q", d, d);
    s.G = matrix(c, "model.G", dy, d);
    s.R = matrix(c, "model.R", dy, dy);
    s.P0 = matrix(c, "model.P0", d, d);
    s.m0 = matrix(c, "model.mean0", d, 1);
    return std::make_unique<LinearGaussian>(std::move(s));
  }
  if (type == "poisson")
    return std::make_unique<PoissonCox>(c.get_real("model.mu"), c.get_real("model.phi"), c.get_real("model.sigma"));
  if (type == "stochastic_volatility")
    return std::make_unique<StochasticVolatility>(c.get_real("model.mu"), c.get_real("model.phi"),
                                                  c.get_real("model.sigma"));
  double s0 = c.get_real("model.s0");
  if (s0 == 0.0) s0 = std::sqrt(5.0);
  return std::make_unique<NonlinearGrowth>(c.get_real("model.sigma_v"), c.get_real("model.sigma_w"), s0);
}

Observations load_observations(const mpi::Communicator& comm, const config::Config& c, const Model& m) {
  const auto& src = c.get_string("data.source");
  if (src == "simulate") {
    const auto& theta = c.get_real_list("data.theta");
    auto truth = m.clone();
    if (!theta.empty()) {
      if (static_cast<int>(theta.size()) != m.n_params())
        throw ConfigError("data.theta has " + std::to_string(theta.size()) + " values but model '" + m.name() +
                              "' has " + std::to_string(m.n_params()) + " parameters (give them in this order: " +
                              [&] {
                                std::string s;
                                for (const auto& n : m.param_names()) s += (s.empty() ? "" : ", ") + n;
                                return s;
                              }() + ")",
                          true);
      truth->set_params(theta);
    }
    return simulate(*truth, static_cast<int>(c.get_int("data.steps")), static_cast<std::uint64_t>(c.get_int("data.seed")));
  }
  const auto& path = c.get_string("data.path");
  if (path.empty())
    throw ConfigError("data.source = \"" + src + "\" needs data.path (the observation file); or set data.source = "
                      "\"simulate\"",
                      true);
  Observations o;
  mpi::all_or_throw(comm, [&] {
    if (!comm.is_root()) return;
    o = src == "csv" ? read_csv(path, m.obs_dim()) : read_hdf5(path, c.get_string("data.dataset"), m.obs_dim());
    for (int t = 0; t <= o.steps(); ++t)
      if (const auto why = m.invalid_observation(o.at(t)); !why.empty())
        throw InputError(path + ": observation y_" + std::to_string(t) + " (the " + std::to_string(t + 1) +
                         "-th data row): " + why + " (model '" + m.name() + "')");
  });
  auto n = comm.broadcast_value(static_cast<std::uint64_t>(o.y.size()));
  o.y.resize(n);
  comm.broadcast(std::span<double>(o.y));
  o.dy = m.obs_dim();
  return o;
}

}  // namespace sampo::smc
