#pragma once
// PaRIS particle Gibbs (PPG): conditional SMC + PaRIS with path selection from the stored backward indices, its
// roll-out estimator, and stochastic-approximation MLE driven by PPG (or, for comparison, by plain PaRIS).
//
// Iteration 0 is an unconditional PaRIS run that supplies the first reference path; iteration k ≥ 1 runs the
// conditional filter (keyed by a seed derived from (seed, k)) on the reference ζ_{k-1}, returns
// Π_k = Σ_i W_n^i τ_n^i and selects ζ_k. At stationarity Π_k is unbiased for the smoothed functional; the bias
// decays geometrically in k. The roll-out estimator averages Π over iterations k0+1..k.
// Learning: θ_{k} = θ_{k-1} + γ_k (Π_k(score) restricted to the learned coordinates) / (n+1), γ_k = γ0 k^-α,
// then projected into the parameter space.
#include <cstdint>
#include <vector>

#include "core/mpi/communicator.hpp"
#include "smc/filter.hpp"

namespace sampo::smc {

// Seed of iteration k of chain c (independent streams per iteration).
std::uint64_t iteration_seed(std::uint64_t seed, std::uint64_t chain, std::uint64_t k);

class PpgChain {
 public:
  // model is updated in place when learning. h must include the score first when learning.
  PpgChain(mpi::Communicator comm, Model& model, const Observations& obs, const Functional& h, FilterOptions base,
           std::uint64_t seed, std::uint64_t chain_id);
  // Collective: iteration 0 (unconditional PaRIS → first reference); returns its PaRIS estimate.
  std::vector<double> initialise();
  // Collective: one PPG iteration; returns Π_k. With conditional = false: one independent PaRIS run instead.
  std::vector<double> iterate(bool conditional = true);
  [[nodiscard]] int iteration() const noexcept { return k_; }
  [[nodiscard]] const std::vector<double>& reference() const noexcept { return ref_; }
  void restore(int k, std::vector<double> ref) { k_ = k, ref_ = std::move(ref); }

 private:
  mpi::Communicator comm_;
  Model& model_;
  const Observations& obs_;
  const Functional& h_;
  FilterOptions base_;
  std::uint64_t seed_, chain_;
  int k_ = -1;
  std::vector<double> ref_;
};

struct LearnOptions {
  std::vector<int> index;  // learned parameter indices (into Model::params())
  double step0 = 0.2;      // γ0
  double decay = 0.6;      // α
};

// θ ← proj(θ + γ_k g / (n+1)) on the learned coordinates; `score` holds the full gradient.
std::vector<double> sa_update(const Model& m, std::vector<double> theta, std::span<const double> score,
                              const LearnOptions& o, int k, int n);

}  // namespace sampo::smc
