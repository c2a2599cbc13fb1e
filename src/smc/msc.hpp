#pragma once
// Markov score climbing (Naesseth, Lindsten & Blei 2020) of a Gaussian proposal family for conditional SMC.
//
// For a model with a scalar state and a scalar observation, the family is
//   q_λ(x_0 | y_0) = χ(x_0) (the model's initial law), q_λ(x_t | x_{t-1}, y_t) = N(a x_{t-1} + b y_t + c, e^{2ℓ}), t ≥ 1,
// λ = (a, b, c, ℓ). MSC minimises the inclusive KL(p(x_{0:n} | y) ‖ q_λ) by stochastic approximation,
//   λ_k = λ_{k-1} + γ_k D_k,   D_k = (Ḡ_k⁻¹ (1/n) Σ_t r_t φ_t,  ½ (1/n) Σ_t (r_t²/s² − 1)),
// φ_t = (x_{t-1}, y_t, 1), r_t = x_t − (a, b, c)·φ_t at the path ζ^k: the score (1/n) Σ ∇_λ log q_λ(ζ_t^k | ζ_{t-1}^k, y_t)
// preconditioned by the Fisher information of q_λ, with the path's Gram matrix replaced by its running average
// Ḡ_k = mean of (1/n) Σ φφᵀ over iterations 1..k. Ḡ_k converges to a constant, so the fixed point stays the zero of
// the expected score (a path-wise F⁻¹ biases it: measured a = 0.39 against 0.41). Plain gradient steps move ℓ ~5×
// slower than (a, b) on the reference case and diverge when x is large; D_k is scale-free (γ = 1 jumps to the fit).
// where ζ^k is the reference path after iteration k of a Markov kernel that leaves p(x_{0:n} | y) invariant whatever
// λ is: here a PaRIS particle Gibbs sweep whose conditional SMC proposes with q_{λ_{k-1}} (a guided filter). The
// fixed point solves E_p[∇_λ log q_λ] = 0: (a, b, c) is the least-squares regression of x_t on (x_{t-1}, y_t, 1)
// under the smoothing law and e^{2ℓ} the mean squared residual — for linear Gaussian models computable exactly
// from the RTS moments (msc_optimum), which the tests and the output use as the exact answer.
//
// ProposalModel wraps a model and exposes λ as its parameters, so the PPG/learning machinery (chains, checkpoints,
// trajectories) runs MSC unchanged; the wrapped model's own θ stays fixed.
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "smc/model.hpp"

namespace sampo::smc {

class ProposalModel final : public Model {
 public:
  // base: a model with dim() = obs_dim() = 1. lambda: (a, b, c, ℓ).
  ProposalModel(const Model& base, std::vector<double> lambda);
  ProposalModel(const ProposalModel& o) : base_(o.base_->clone()), lambda_(o.lambda_) {}
  [[nodiscard]] std::string name() const override { return base_->name(); }
  [[nodiscard]] int dim() const override { return 1; }
  [[nodiscard]] int obs_dim() const override { return 1; }
  [[nodiscard]] std::unique_ptr<Model> clone() const override { return std::make_unique<ProposalModel>(*this); }
  void sample_initial(rng::Stream& s, double* x) const override { base_->sample_initial(s, x); }
  [[nodiscard]] double log_initial(const double* x) const override { return base_->log_initial(x); }
  void sample_transition(int t, const double* xp, rng::Stream& s, double* x) const override {
    base_->sample_transition(t, xp, s, x);
  }
  [[nodiscard]] double log_transition(int t, const double* xp, const double* x) const override {
    return base_->log_transition(t, xp, x);
  }
  [[nodiscard]] double log_transition_bound(int t) const override { return base_->log_transition_bound(t); }
  [[nodiscard]] double log_observation(int t, const double* x, const double* y) const override {
    return base_->log_observation(t, x, y);
  }
  void sample_observation(int t, const double* x, rng::Stream& s, double* y) const override {
    base_->sample_observation(t, x, s, y);
  }
  [[nodiscard]] bool has_proposal() const override { return true; }
  void sample_proposal(int t, const double* xprev, const double* y, rng::Stream& s, double* x) const override;
  [[nodiscard]] double log_proposal(int t, const double* xprev, const double* y, const double* x) const override;
  [[nodiscard]] std::vector<std::string> param_names() const override { return {"q_a", "q_b", "q_c", "q_log_sd"}; }
  [[nodiscard]] std::vector<double> params() const override { return lambda_; }
  void set_params(std::span<const double> lambda) override;
  void project_params(std::span<double> lambda) const override;  // ℓ kept in [-20, 20]
  [[nodiscard]] std::string invalid_observation(const double* y) const override { return base_->invalid_observation(y); }
  [[nodiscard]] const Model& base() const noexcept { return *base_; }

 private:
  std::unique_ptr<Model> base_;
  std::vector<double> lambda_;
};

// What one path contributes: (1/n) Σ r_t φ_t, (1/n) Σ φ_t φ_tᵀ (row-major 3×3), (1/n) Σ (r_t²/s² − 1).
struct MscStatistics {
  std::vector<double> residual, gram;
  double log_sd_gradient = 0.0;
};
MscStatistics msc_statistics(std::span<const double> lambda, std::span<const double> path, const Observations& y);
// The direction D_k given the running Gram average Ḡ_k (9 values, the current path's already averaged in).
std::vector<double> msc_direction(const MscStatistics& st, std::span<const double> gram_average);

// The exact fixed point λ* for the scalar linear Gaussian model on these observations (RTS moments).
std::vector<double> msc_optimum(const ScalarLinearGaussian& m, const Observations& y);

}  // namespace sampo::smc
