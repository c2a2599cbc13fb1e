#pragma once
// Parallel tempering across ranks (non-reversible even–odd swaps, Syed et al. 2022). Replica r lives on rank
// ⌊r·P/K⌋ and keeps its state; temperatures move between replicas. Each round: every replica makes one NUTS
// transition on π^β (step size ε₀/√β, unit metric), then pairs (k, k+1) of temperature indices with k ≡ round
// (mod 2) try to swap with probability min(1, exp((β_k − β_{k+1})(log π(x_{k+1}) − log π(x_k)))). Every rank
// knows every replica's untempered log π (one allgather of K doubles) and draws the decision for pair k from
// Stream(seed, purpose_swap, k, round): all ranks take the same decisions without further messages.
#include <cstdint>
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
  // Collective: one round (local transitions, then swaps). Returns, on the rank holding β = 1, its constrained
  // draw in `cold` (empty elsewhere); `cold_owner` is that rank on every rank.
  void round(TemperingState& s, std::vector<double>& cold, int& cold_owner) const;
  [[nodiscard]] const std::vector<double>& betas() const { return betas_; }

 private:
  mpi::Communicator comm_;
  const Target& base_;
  TemperingParams p_;
  std::uint64_t seed_;
  std::vector<double> betas_;
  std::vector<TemperedTarget> targets_;
  std::vector<Sampler> samplers_;
};

}  // namespace sampo::mcmc
