#pragma once
// State-space models for the particle methods, and their observations.
//
// A model is a hidden Markov chain x_0 ~ χ_θ, x_t | x_{t-1} ~ m_θ(x_{t-1}, ·), observed through y_t | x_t ~ g_θ(x_t, ·)
// for t = 0..n (n transitions, n+1 observations). States and observations are flat arrays of dim() and obs_dim()
// doubles. Every sampler takes the caller's rng::Stream, so the caller decides the key (seed, purpose, global
// particle id, time) and the model never owns randomness. Methods are const and thread-safe (called from OpenMP).
//
// To add a model: derive from Model, implement the pure virtual methods, and optionally
//   - log_transition_bound(t): log ε̄_t ≥ sup log m(x, x') — enables PaRIS accept–reject (else the MH/exact sampler);
//   - has_proposal()/sample_proposal()/log_proposal(): a guided filter's proposal q(x_t | x_{t-1}, y_t);
//   - param_names()/params()/set_params() and the grad_* methods: the score by Fisher's identity (SA-MLE).
// A worked example (a random walk observed in Student noise) is in docs/smc.md.
#include <Eigen/Dense>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/config/config.hpp"
#include "core/mpi/communicator.hpp"
#include "core/rng/stream.hpp"

namespace sampo::smc {

class Model {
 public:
  virtual ~Model() = default;
  [[nodiscard]] virtual std::string name() const = 0;
  [[nodiscard]] virtual int dim() const = 0;
  [[nodiscard]] virtual int obs_dim() const = 0;
  [[nodiscard]] virtual std::unique_ptr<Model> clone() const = 0;

  virtual void sample_initial(rng::Stream& s, double* x) const = 0;
  [[nodiscard]] virtual double log_initial(const double* x) const = 0;
  // x_t given x_{t-1} (t ≥ 1).
  virtual void sample_transition(int t, const double* xprev, rng::Stream& s, double* x) const = 0;
  [[nodiscard]] virtual double log_transition(int t, const double* xprev, const double* x) const = 0;
  // log ε̄_t with ε̄_t ≥ sup_{x, x'} m(x, x'); +inf when no bound is known.
  [[nodiscard]] virtual double log_transition_bound(int t) const { return std::numeric_limits<double>::infinity(); }
  [[nodiscard]] virtual double log_observation(int t, const double* x, const double* y) const = 0;
  virtual void sample_observation(int t, const double* x, rng::Stream& s, double* y) const = 0;

  // Optional batched bootstrap propagation (the filter's hot loop). A model whose transition is
  // x_t = T_t(x_{t-1}, ε) with ε ~ N(0, I_k) returns k from transition_noise_dim() and implements
  // transition_from_noise() for n particles at once; the bootstrap filter then draws the ε of a block of particles
  // with rng::normals (keyed by seed, purpose_transition, global particle id, t: SIMD Philox + Box–Muller,
  // ~10 ns per particle instead of ~50) and never calls sample_transition(). sample_transition() must draw from the
  // same law (it still serves simulation and the guided filter's proposals are separate).
  [[nodiscard]] virtual int transition_noise_dim() const { return 0; }
  virtual void transition_from_noise(int t, std::size_t n, const double* xprev, const double* eps, double* x) const;
  // out[i] = log_observation(t, x + i·dim(), y) for i < n. Override with a loop the compiler can vectorise.
  virtual void log_observation_batch(int t, std::size_t n, const double* x, const double* y, double* out) const;

  // Optional proposal for the guided filter: t = 0 proposes x_0 given y_0 (xprev unused), t ≥ 1 x_t given x_{t-1}, y_t.
  [[nodiscard]] virtual bool has_proposal() const { return false; }
  virtual void sample_proposal(int t, const double* xprev, const double* y, rng::Stream& s, double* x) const;
  [[nodiscard]] virtual double log_proposal(int t, const double* xprev, const double* y, const double* x) const;

  // Parameters θ and gradients in θ (each grad_* writes n_params() values). Defaults: no parameters.
  [[nodiscard]] virtual std::vector<std::string> param_names() const { return {}; }
  [[nodiscard]] virtual std::vector<double> params() const { return {}; }
  virtual void set_params(std::span<const double> theta);
  // Moves θ back into the parameter space (used by stochastic approximation after a step).
  virtual void project_params(std::span<double> theta) const {}
  virtual void grad_log_initial(const double* x, double* g) const;
  virtual void grad_log_transition(int t, const double* xprev, const double* x, double* g) const;
  virtual void grad_log_observation(int t, const double* x, const double* y, double* g) const;
  [[nodiscard]] int n_params() const { return static_cast<int>(param_names().size()); }
  // Why an observation row is outside the model's support (e.g. a negative count), or empty when it is valid.
  // Files are checked with it when read, so a bad row is an input error naming the row, not a NaN weight later.
  [[nodiscard]] virtual std::string invalid_observation(const double* /*y*/) const { return {}; }
};

// Matrices of a linear Gaussian model: x_0 ~ N(m0, P0), x_t = F x_{t-1} + N(0, Q), y_t = G x_t + N(0, R).
struct LinearGaussianSpec {
  Eigen::MatrixXd F, Q, G, R, P0;
  Eigen::VectorXd m0;
};

// Scalar linear Gaussian: x_t = ρ x_{t-1} + σx ε_t, y_t = x_t + σy η_t, x_0 ~ N(m0, s0²). θ = (ρ, σx, σy).
// The initial law does not depend on θ. Optimal (locally) proposal for the guided filter is built in.
class ScalarLinearGaussian final : public Model {
 public:
  ScalarLinearGaussian(double rho, double sigma_x, double sigma_y, double m0, double s0);
  [[nodiscard]] std::string name() const override { return "linear_gaussian"; }
  [[nodiscard]] int dim() const override { return 1; }
  [[nodiscard]] int obs_dim() const override { return 1; }
  [[nodiscard]] std::unique_ptr<Model> clone() const override { return std::make_unique<ScalarLinearGaussian>(*this); }
  void sample_initial(rng::Stream& s, double* x) const override { x[0] = m0_ + s0_ * s.normal(); }
  [[nodiscard]] double log_initial(const double* x) const override;
  void sample_transition(int, const double* xp, rng::Stream& s, double* x) const override {
    x[0] = rho_ * xp[0] + sx_ * s.normal();
  }
  [[nodiscard]] double log_transition(int, const double* xp, const double* x) const override {
    const double e = x[0] - rho_ * xp[0];
    return lcx_ - 0.5 * e * e * isx2_;
  }
  [[nodiscard]] double log_transition_bound(int) const override { return lcx_; }
  [[nodiscard]] double log_observation(int, const double* x, const double* y) const override {
    const double e = y[0] - x[0];
    return lcy_ - 0.5 * e * e * isy2_;
  }
  [[nodiscard]] int transition_noise_dim() const override { return 1; }
  // (vectorised kernels in model.cpp: the same bits as log_observation() and the scalar transition)
  void transition_from_noise(int, std::size_t n, const double* xp, const double* eps, double* x) const override;
  void log_observation_batch(int, std::size_t n, const double* x, const double* y, double* out) const override;
  void sample_observation(int, const double* x, rng::Stream& s, double* y) const override {
    y[0] = x[0] + sy_ * s.normal();
  }
  [[nodiscard]] bool has_proposal() const override { return true; }
  void sample_proposal(int t, const double* xprev, const double* y, rng::Stream& s, double* x) const override;
  [[nodiscard]] double log_proposal(int t, const double* xprev, const double* y, const double* x) const override;
  [[nodiscard]] std::vector<std::string> param_names() const override { return {"rho", "sigma_x", "sigma_y"}; }
  [[nodiscard]] std::vector<double> params() const override { return {rho_, sx_, sy_}; }
  void set_params(std::span<const double> theta) override;
  void project_params(std::span<double> theta) const override;
  void grad_log_initial(const double*, double* g) const override { g[0] = g[1] = g[2] = 0.0; }
  void grad_log_transition(int t, const double* xprev, const double* x, double* g) const override;
  void grad_log_observation(int t, const double* x, const double* y, double* g) const override;
  [[nodiscard]] LinearGaussianSpec spec() const;

 private:
  void update();
  double rho_, sx_, sy_, m0_, s0_;
  double lcx_ = 0, lcy_ = 0, isx2_ = 0, isy2_ = 0;
};

// Multivariate linear Gaussian (Eigen). No θ gradients (the scalar model carries the score).
class LinearGaussian final : public Model {
 public:
  explicit LinearGaussian(LinearGaussianSpec spec);
  [[nodiscard]] std::string name() const override { return "linear_gaussian_mv"; }
  [[nodiscard]] int dim() const override { return static_cast<int>(s_.F.rows()); }
  [[nodiscard]] int obs_dim() const override { return static_cast<int>(s_.G.rows()); }
  [[nodiscard]] std::unique_ptr<Model> clone() const override { return std::make_unique<LinearGaussian>(*this); }
  void sample_initial(rng::Stream& s, double* x) const override;
  [[nodiscard]] double log_initial(const double* x) const override;
  void sample_transition(int t, const double* xprev, rng::Stream& s, double* x) const override;
  [[nodiscard]] int transition_noise_dim() const override { return dim(); }
  void transition_from_noise(int t, std::size_t n, const double* xprev, const double* eps, double* x) const override;
  [[nodiscard]] double log_transition(int t, const double* xprev, const double* x) const override;
  [[nodiscard]] double log_transition_bound(int) const override { return lcq_; }
  [[nodiscard]] double log_observation(int t, const double* x, const double* y) const override;
  void sample_observation(int t, const double* x, rng::Stream& s, double* y) const override;
  [[nodiscard]] const LinearGaussianSpec& spec() const noexcept { return s_; }

 private:
  LinearGaussianSpec s_;
  Eigen::MatrixXd lq_, lr_, lp0_, qinv_, rinv_, p0inv_;
  double lcq_ = 0, lcr_ = 0, lc0_ = 0;
};

// Stochastic volatility (Pitt & Shephard): x_0 ~ N(μ, σ²/(1-φ²)), x_t = μ + φ(x_{t-1} - μ) + σ η_t,
// y_t = exp(x_t / 2) ε_t. θ = (μ, φ, σ); the score includes the stationary initial law.
class StochasticVolatility final : public Model {
 public:
  StochasticVolatility(double mu, double phi, double sigma);
  [[nodiscard]] std::string name() const override { return "stochastic_volatility"; }
  [[nodiscard]] int dim() const override { return 1; }
  [[nodiscard]] int obs_dim() const override { return 1; }
  [[nodiscard]] std::unique_ptr<Model> clone() const override { return std::make_unique<StochasticVolatility>(*this); }
  void sample_initial(rng::Stream& s, double* x) const override;
  [[nodiscard]] double log_initial(const double* x) const override;
  void sample_transition(int, const double* xp, rng::Stream& s, double* x) const override {
    x[0] = mu_ + phi_ * (xp[0] - mu_) + sigma_ * s.normal();
  }
  [[nodiscard]] int transition_noise_dim() const override { return 1; }
  void transition_from_noise(int, std::size_t n, const double* xp, const double* eps, double* x) const override {
    for (std::size_t i = 0; i < n; ++i) x[i] = mu_ + phi_ * (xp[i] - mu_) + sigma_ * eps[i];
  }
  [[nodiscard]] double log_transition(int, const double* xp, const double* x) const override;
  [[nodiscard]] double log_transition_bound(int) const override;
  [[nodiscard]] double log_observation(int, const double* x, const double* y) const override;
  void sample_observation(int, const double* x, rng::Stream& s, double* y) const override;
  [[nodiscard]] std::vector<std::string> param_names() const override { return {"mu", "phi", "sigma"}; }
  [[nodiscard]] std::vector<double> params() const override { return {mu_, phi_, sigma_}; }
  void set_params(std::span<const double> theta) override;
  void project_params(std::span<double> theta) const override;
  void grad_log_initial(const double* x, double* g) const override;
  void grad_log_transition(int t, const double* xprev, const double* x, double* g) const override;
  void grad_log_observation(int, const double*, const double*, double* g) const override { g[0] = g[1] = g[2] = 0; }

 private:
  double mu_, phi_, sigma_;
};

// Log-Gaussian Cox process in discrete time (Poisson counts with a latent AR(1) log-intensity):
// x_0 ~ N(μ, σ²/(1-φ²)), x_t = μ + φ(x_{t-1} - μ) + σ η_t, y_t | x_t ~ Poisson(exp(x_t)). θ = (μ, φ, σ); the latent
// chain and its score are those of StochasticVolatility, the observation density is θ-free.
class PoissonCox final : public Model {
 public:
  PoissonCox(double mu, double phi, double sigma) : latent_(mu, phi, sigma) {}
  [[nodiscard]] std::string name() const override { return "poisson"; }
  [[nodiscard]] int dim() const override { return 1; }
  [[nodiscard]] int obs_dim() const override { return 1; }
  [[nodiscard]] std::unique_ptr<Model> clone() const override { return std::make_unique<PoissonCox>(*this); }
  void sample_initial(rng::Stream& s, double* x) const override { latent_.sample_initial(s, x); }
  [[nodiscard]] double log_initial(const double* x) const override { return latent_.log_initial(x); }
  void sample_transition(int t, const double* xp, rng::Stream& s, double* x) const override {
    latent_.sample_transition(t, xp, s, x);
  }
  [[nodiscard]] int transition_noise_dim() const override { return 1; }
  void transition_from_noise(int t, std::size_t n, const double* xp, const double* eps, double* x) const override {
    latent_.transition_from_noise(t, n, xp, eps, x);
  }
  [[nodiscard]] double log_transition(int t, const double* xp, const double* x) const override {
    return latent_.log_transition(t, xp, x);
  }
  [[nodiscard]] double log_transition_bound(int t) const override { return latent_.log_transition_bound(t); }
  // y log λ − λ − log y!, λ = e^x.
  [[nodiscard]] double log_observation(int, const double* x, const double* y) const override;
  void sample_observation(int, const double* x, rng::Stream& s, double* y) const override;
  [[nodiscard]] std::vector<std::string> param_names() const override { return latent_.param_names(); }
  [[nodiscard]] std::vector<double> params() const override { return latent_.params(); }
  void set_params(std::span<const double> theta) override { latent_.set_params(theta); }
  void project_params(std::span<double> theta) const override { latent_.project_params(theta); }
  void grad_log_initial(const double* x, double* g) const override { latent_.grad_log_initial(x, g); }
  void grad_log_transition(int t, const double* xp, const double* x, double* g) const override {
    latent_.grad_log_transition(t, xp, x, g);
  }
  void grad_log_observation(int, const double*, const double*, double* g) const override { g[0] = g[1] = g[2] = 0; }
  [[nodiscard]] std::string invalid_observation(const double* y) const override;

 private:
  StochasticVolatility latent_;
};

// Nonlinear growth model (Kitagawa): x_t = x/2 + 25x/(1+x²) + 8 cos(1.2 t) + σv v_t, y_t = x_t²/20 + σw w_t,
// x_0 ~ N(0, s0²). θ = (σv, σw).
class NonlinearGrowth final : public Model {
 public:
  NonlinearGrowth(double sigma_v, double sigma_w, double s0);
  [[nodiscard]] std::string name() const override { return "growth"; }
  [[nodiscard]] int dim() const override { return 1; }
  [[nodiscard]] int obs_dim() const override { return 1; }
  [[nodiscard]] std::unique_ptr<Model> clone() const override { return std::make_unique<NonlinearGrowth>(*this); }
  void sample_initial(rng::Stream& s, double* x) const override { x[0] = s0_ * s.normal(); }
  [[nodiscard]] double log_initial(const double* x) const override;
  void sample_transition(int t, const double* xp, rng::Stream& s, double* x) const override {
    x[0] = drift(t, xp[0]) + sv_ * s.normal();
  }
  [[nodiscard]] int transition_noise_dim() const override { return 1; }
  void transition_from_noise(int t, std::size_t n, const double* xp, const double* eps, double* x) const override {
    const double c = 8.0 * std::cos(1.2 * t);
    for (std::size_t i = 0; i < n; ++i) x[i] = 0.5 * xp[i] + 25.0 * xp[i] / (1.0 + xp[i] * xp[i]) + c + sv_ * eps[i];
  }
  [[nodiscard]] double log_transition(int t, const double* xp, const double* x) const override;
  [[nodiscard]] double log_transition_bound(int) const override;
  [[nodiscard]] double log_observation(int, const double* x, const double* y) const override;
  void sample_observation(int, const double* x, rng::Stream& s, double* y) const override;
  [[nodiscard]] std::vector<std::string> param_names() const override { return {"sigma_v", "sigma_w"}; }
  [[nodiscard]] std::vector<double> params() const override { return {sv_, sw_}; }
  void set_params(std::span<const double> theta) override;
  void project_params(std::span<double> theta) const override;
  void grad_log_initial(const double*, double* g) const override { g[0] = g[1] = 0.0; }
  void grad_log_transition(int t, const double* xprev, const double* x, double* g) const override;
  void grad_log_observation(int t, const double* x, const double* y, double* g) const override;
  [[nodiscard]] static double drift(int t, double x) {
    return 0.5 * x + 25.0 * x / (1.0 + x * x) + 8.0 * std::cos(1.2 * t);
  }

 private:
  double sv_, sw_, s0_;
};

// Observations y_0..y_n (row t = y_t), and the simulated hidden states when known.
struct Observations {
  int dy = 1;
  int dx = 0;                  // 0 when truth is unknown
  std::vector<double> y;       // (n+1) × dy
  std::vector<double> truth;   // (n+1) × dx, or empty
  [[nodiscard]] int steps() const { return static_cast<int>(y.size() / static_cast<std::size_t>(dy)) - 1; }  // n
  [[nodiscard]] const double* at(int t) const { return y.data() + static_cast<std::size_t>(t) * dy; }
};

// Simulates x_0..x_n and y_0..y_n from the model with streams keyed by (seed, purpose_observation, 0|1, t).
Observations simulate(const Model& m, int n, std::uint64_t seed);
// Reads a CSV file (one row per time, obs_dim columns; a header line and '#' comments are skipped).
// Throws InputError naming the file and line.
Observations read_csv(const std::string& path, int dy);
// Reads an HDF5 dataset of shape (n+1) or (n+1, dy). Throws InputError.
Observations read_hdf5(const std::string& path, const std::string& dataset, int dy);

// The `model.*` and `data.*` deck keys, and construction from a validated deck (throws ConfigError on bad
// cross-key combinations, identically on every rank).
config::Schema model_schema();
std::unique_ptr<Model> make_model(const config::Config& c);
// Collective: observations as the deck asks (simulated, or read on rank 0 and broadcast). Throws a collective
// InputError when a file is missing or malformed.
Observations load_observations(const mpi::Communicator& comm, const config::Config& c, const Model& m);

}  // namespace sampo::smc
