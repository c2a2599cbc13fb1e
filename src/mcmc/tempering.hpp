#pragma once
// Parallel tempering across ranks (non-reversible even–odd swaps, Syed et al. 2022). Replica r lives on rank
// ⌊r·P/K⌋ and keeps its state; temperatures move between replicas. Each round: every replica makes one NUTS
// transition on π^β (step size ε₀/√β, unit metric), then pairs (k, k+1) of temperature indices with k ≡ round
// (mod 2) try to swap with probability min(1, exp((β_k − β_{k+1})(log π(x_{k+1}) − log π(x_k)))). Every rank
// knows every replica's untempered log π (one allgather of K doubles) and draws the decision for pair k from
// Stream(seed, purpose_swap, k, round): all ranks take the same decisions without further messages.
#include <cstdint>
#include <span>
#include <vector>

#include "core/mpi/communicator.hpp"
#include "mcmc/sampler.hpp"

namespace sampo::mcmc {

// π^β with the cached density and gradient scaled (the sampler's state holds the tempered values).
class TemperedTarget final : public Target {
 public:
  TemperedTarget(const Target& base, double beta) : base_(base), beta_(beta) {}
  std::string name() const override { return base_.name(); }
  int dim() const override { return base_.dim(); }
  double log_density_gradient(const Vec& q, Vec& grad) const override {
    const double lp = base_.log_density_gradient(q, grad);
    grad *= beta_;
    return beta_ * lp;
  }
  std::vector<Variable> variables() const override { return base_.variables(); }
  Vec constrain(const Vec& q) const override { return base_.constrain(q); }

 private:
  const Target& base_;
  double beta_;
};

struct TemperingParams {
  int replicas = 8;
  double beta_min = 0.01;  // β_k = beta_min^(k/(K−1))
  double step = 0.25;      // ε₀ at β = 1
  int max_depth = 8;
  [[nodiscard]] std::vector<double> ladder() const;
};

// Syed, Bouchard-Côté, Deligiannidis & Doucet (2022), schedule tuning: given a descending ladder (β_0 = 1 > … >
// β_{K−1}) and each pair's estimated rejection rate r_k = 1 − E[min(1, swap ratio)], the ladder whose cumulative
// rejection Λ (piecewise linear in β through the points Σ_{j} r_j) is split into K−1 equal parts; end points kept.
// Equal rejections are the fixed point (the optimum of the round-trip rate for non-reversible PT).
std::vector<double> equalise_ladder(std::span<const double> betas, std::span<const double> rejection);

struct TemperingState {
  std::vector<std::uint64_t> local;  // replica ids on this rank
  std::vector<ChainState> chains;    // their states (tempered lp/grad)
  std::vector<int> temp_of_replica;  // replicated, size K
  std::int64_t round = 0;
  std::vector<std::int64_t> attempts, accepts;  // per pair k = 0..K−2, replicated
  std::vector<double> accept_prob_sum;          // Σ of swap probabilities (Rao–Blackwellised rate)
};

class Tempering {
 public:
  Tempering(mpi::Communicator comm, const Target& base, TemperingParams p, std::uint64_t seed);
  // Collective: every replica starts at `x0` (unconstrained) when given, else at the target's initial point.
  [[nodiscard]] TemperingState init(const Vec* x0) const;
  // Collective: one round (local transitions, then swaps). Returns, on the rank holding β = 1 after the swaps, its
  // constrained draw followed by its log density (untempered, with Jacobian) in `cold` (empty elsewhere);
  // `cold_owner` is that rank on every rank. When `transition` is given, the rank whose replica made this round's
  // β = 1 transition (before the swaps) stores its statistics there, and `transition_owner` names that rank.
  void round(TemperingState& s, std::vector<double>& cold, int& cold_owner, DrawStats* transition = nullptr,
             int* transition_owner = nullptr) const;
  [[nodiscard]] const std::vector<double>& betas() const { return betas_; }
  // Replaces the ladder (same K, descending, β_0 = 1); every local replica's cached tempered density, gradient and
  // step size are rescaled to its temperature's new β. Counters are the caller's to reset. Not collective (the same
  // ladder must be given on every rank).
  void set_ladder(TemperingState& s, std::vector<double> betas);

 private:
  void build();
  mpi::Communicator comm_;
  const Target& base_;
  TemperingParams p_;
  std::uint64_t seed_;
  std::vector<double> betas_;
  std::vector<TemperedTarget> targets_;
  std::vector<Sampler> samplers_;
};

}  // namespace sampo::mcmc
