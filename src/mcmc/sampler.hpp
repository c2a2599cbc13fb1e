#pragma once
// Single-chain samplers: NUTS (multinomial, generalised U-turn criterion, as in Stan), static HMC, MALA and
// random-walk Metropolis with adaptive covariance, all with Stan's windowed warm-up (dual-averaging step size,
// diagonal or dense metric estimated in windows 75 / 25·2^k / 50).
//
// A chain's randomness at iteration t comes from rng::Stream(seed, purpose_sampler, chain id, t): no stream
// position to carry, so draws depend only on (seed, chain id) — never on ranks, threads or restarts.
// ChainState is the complete restartable state of one chain.
#include <Eigen/Dense>
#include <cstdint>
#include <string>

#include "mcmc/target.hpp"

namespace sampo::mcmc {

enum class Algorithm { nuts, hmc, mala, rwm };
Algorithm parse_algorithm(const std::string& s, const std::string& key);  // ConfigError if unknown
std::string to_string(Algorithm a);

struct SamplerParams {
  Algorithm algorithm = Algorithm::nuts;
  std::int64_t warmup = 1000;
  std::int64_t draws = 1000;
  double delta = -1.0;  // target acceptance; < 0: 0.8 (NUTS, HMC), 0.574 (MALA), 0.234 (RWM)
  int max_depth = 10;
  int hmc_steps = 16;
  // Static HMC: each iteration's step is eps·(1 + jitter·(2u − 1)), u uniform (Stan's stepsize_jitter), so that a
  // fixed trajectory length L·eps cannot stay in resonance with a period of the target; 0: no jitter.
  double stepsize_jitter = 0.0;
  bool dense = false;  // dense metric (always dense covariance for RWM)
  double gamma = 0.05, kappa = 0.75, t0 = 10.0;
  int init_buffer = 75, term_buffer = 50, base_window = 25;
  double max_delta_h = 1000.0;
  [[nodiscard]] double target_accept() const;
};

// Stan's dual averaging of log step size (Hoffman & Gelman 2014).
struct DualAveraging {
  double mu = 0, s_bar = 0, x_bar = 0, counter = 0;
  void restart() { counter = s_bar = x_bar = 0; }
  void learn(double& eps, double stat, const SamplerParams& p);
};

// Stan's windowed adaptation schedule and Welford accumulators.
struct Windows {
  std::int64_t num_warmup = 0, init_buffer = 0, term_buffer = 0, base_window = 0;
  std::int64_t counter = 0, window_size = 0, next_window = 0;
  bool enabled = true;
  void configure(const SamplerParams& p);
  [[nodiscard]] bool in_window() const;
  [[nodiscard]] bool end_window() const;
  void compute_next_window();
};

struct ChainState {
  std::uint64_t id = 0;
  std::int64_t iteration = 0;  // iterations done (warm-up + sampling)
  Vec q, grad;
  double lp = 0;
  double eps = 1.0;
  DualAveraging da;
  Windows windows;
  double welford_n = 0;
  Vec welford_mean;
  Eigen::MatrixXd welford_m2;  // d×1 (diagonal) or d×d (dense)
  Eigen::MatrixXd inv_metric;  // d×1 (diagonal) or d×d (dense)
  Eigen::MatrixXd chol;        // Cholesky factor of the dense inverse metric (recomputed, not state)
};

struct DrawStats {
  double lp = 0, accept = 0, step_size = 0, energy = 0;
  int tree_depth = 0, n_steps = 0;
  bool divergent = false;
  bool warmup = false;
};

class Sampler {
 public:
  Sampler(const Target& target, SamplerParams p, std::uint64_t seed);
  // A fresh chain: initial point (up to 100 tries for a finite density), metric = identity, step size heuristic.
  // With `start` (e.g. the MAP): that point instead of the random initial point.
  [[nodiscard]] ChainState init(std::uint64_t chain_id, const Vec* start = nullptr) const;
  // One iteration (warm-up while state.iteration < warmup): transition plus adaptation.
  DrawStats iterate(ChainState& s) const;
  [[nodiscard]] const SamplerParams& params() const { return p_; }
  [[nodiscard]] bool dense() const { return p_.dense || p_.algorithm == Algorithm::rwm; }
  // Recompute derived data (Cholesky factor) after a restart.
  void refresh(ChainState& s) const;

 private:
  struct Point {
    Vec q, p, grad;
    double lp = 0;
  };
  DrawStats nuts(ChainState& s, rng::Stream& r) const;
  DrawStats hmc(ChainState& s, rng::Stream& r) const;
  DrawStats mala(ChainState& s, rng::Stream& r) const;
  DrawStats rwm(ChainState& s, rng::Stream& r) const;
  void init_stepsize(ChainState& s, rng::Stream& r) const;
  void sample_momentum(const ChainState& s, Vec& p, rng::Stream& r) const;
  [[nodiscard]] Vec velocity(const ChainState& s, const Vec& p) const;
  [[nodiscard]] double kinetic(const ChainState& s, const Vec& p) const { return 0.5 * p.dot(velocity(s, p)); }
  void leapfrog(const ChainState& s, Point& z, double eps) const;
  bool build_tree(const ChainState& s, int depth, Point& z, Point& propose, Vec& p_sharp_beg, Vec& p_sharp_end,
                  Vec& rho, Vec& p_beg, Vec& p_end, double H0, double sign, int& n_leapfrog, double& log_sum_weight,
                  double& sum_metro, bool& divergent, rng::Stream& r) const;
  void adapt(ChainState& s, double accept, rng::Stream& r) const;

  const Target& target_;
  SamplerParams p_;
  std::uint64_t seed_;
};

}  // namespace sampo::mcmc
