#pragma once
// Particle filters over a population sharded across ranks, with PaRIS online smoothing and conditional SMC.
//
// Global particle i lives on the rank whose block [N r/P, N (r+1)/P) holds it; OpenMP threads share a rank's block.
// Every random number is keyed by (seed, purpose, global particle id, time): initial draws (purpose_init, i, 0),
// transitions/proposals (purpose_transition, i, t), backward draws (purpose_backward, i, t), resampling points (see
// resample.hpp). Every sum over particles is exact (ExactSum, or integer fixed point: the weights' Σ e and Σ e² with
// 80 fractional bits, the moments' terms on a global power-of-two scale), so the particles, the likelihood, the
// moments and the smoothed estimates are bitwise identical for any rank and thread count.
//
// Step t → t+1: resample (if ESS < threshold·N; always, multinomially, in conditional mode) and rebalance;
// propagate (bootstrap: m, guided: the model's proposal); weight and normalise (log-sum-exp with a global max);
// Fast path of the bootstrap step (models with transition_from_noise): the noise of 1024 particles at a time from
// core::rng batches (scalar noise: rng::normals_ziggurat, four particles per Philox block), and systematic
// resampling fused with rebalancing (systematic_ancestors / systematic_rebalance): each slot's parent is read where
// it lies while the block is propagated, with no offspring counts or copied population.
// then PaRIS: K̃ backward draws J ~ Λ_t(i, ℓ) ∝ W_t^ℓ m(ξ_t^ℓ, ξ_{t+1}^i) per particle and
// τ_{t+1}^i = (1/K̃) Σ_j [τ_t^J + h̃_t(ξ_t^J, ξ_{t+1}^i)]. Over MPI the backward draws use an Allgather of
// (ξ_t, W_t, τ_t): O(N) memory and traffic per rank and step, fine for moderate N (≲ 10^6 particles · dims).
//
// PaRIS by requests (opt.remote_requests; rejection sampler only): no rank holds the global (ξ_t, W_t, τ_t). A
// proposal J ~ Cat(W_t) is an integer point p = below(T) on the exact fixed-point cumulative weights (resample.hpp):
// its owner is found from the P+1 rank offsets and the index by a search in the owner's prefix sums, so J is the
// same for any layout. Each round, every particle still drawing sends `request_batch` points (its tries, drawn in
// order from its own stream) to their owners in one all-to-all, gets (J, ξ_t^J, τ_t^J) back in another, and takes
// its first accepted try (a particle's batch doubles after each failed round, so a draw takes O(log) rounds). After
// max_tries (0: N) failed tries the draw is exact: all ranks evaluate W_t^ℓ m(ξ_t^ℓ, x) for the few such particles
// in fixed point against the global maximum, so the cumulative sums and the index are layout-free. Memory O(N/P) per rank; traffic O(batch · (d + m)) per particle and round; results
// bitwise identical for any rank and thread count (they differ from the Allgather mode's, which uses an alias table).
//
// Island mode (opt.islands = I > 0; Vergé, Dubarry, Del Moral & Moulines 2015, the "double bootstrap"): the
// population is I islands of S = N/I consecutive global ids, each a particle filter that resamples on its own when its
// ESS < ess_threshold·S (island mass kept), and the islands are resampled as wholes by their masses when the
// island-level ESS < island_ess_threshold·I (each copy carries its parent's particles and within-island weights,
// every island then has mass 1/I). Weights stay globally normalised, so the likelihood estimate and the moments are
// the usual ones, and the estimator is unbiased. Islands never straddle ranks (I is a multiple of the rank count),
// so within-island resampling needs no communication; whole islands travel in one all-to-all. Island i's local
// resampling uses its own stream (seed mixed with i), island-level resampling another; all sums inside an island are
// serial, so the run is bitwise identical for any rank and thread count with the same I. No PaRIS or conditional
// SMC in island mode.
//
// Conditional SMC (PPG): a reference path ζ_{0:n} is frozen in slot N-1; the other N-1 particles are resampled
// multinomially from all N (which keeps the invariance of the conditional kernel); backward draws of every slot
// (the frozen one included) are stored so that select_path() can draw the next reference.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "core/io/hdf5.hpp"
#include "core/mpi/communicator.hpp"
#include "smc/functional.hpp"
#include "smc/model.hpp"
#include "smc/resample.hpp"

namespace sampo::smc {

enum class Backward { rejection, mh, exact };
Backward parse_backward(const std::string& name);
std::string to_string(Backward b);

struct FilterOptions {
  std::uint64_t particles = 1000;     // N (global)
  Scheme scheme = Scheme::systematic;
  double ess_threshold = 0.5;         // resample when ESS < threshold · N (1: every step, 0: never)
  bool guided = false;                // the model's proposal instead of the transition
  Backward backward = Backward::rejection;
  int backward_draws = 2;             // K̃
  std::int64_t max_tries = 0;         // accept–reject tries before the exact O(N) draw (0: N)
  int mh_steps = 1;                   // independent-MH steps per backward draw
  bool mh_fallback = false;           // after max_tries rejections: MH from the ancestor instead of the O(N) draw
  bool moments = true;                // filtering means and variances every step
  bool keep_history = false;          // keep global ξ_t and backward indices (conditional SMC path selection)
  std::uint64_t seed = 1;
  std::uint64_t backward_seed = 0;    // key of the backward draws (0: seed); tests vary it alone
  bool remote_requests = false;       // PaRIS over MPI by batched requests instead of the Allgather (rejection)
  int request_batch = 4;              // accept–reject tries per request round and particle (requests mode)
  std::uint64_t islands = 0;          // island mode with this many islands (0: one population)
  double island_ess_threshold = 0.5;  // resample islands when the island ESS < threshold · islands
};

struct StepRecord {
  double loglik_increment = 0.0;
  double ess = 0.0;
  int resampled = 0;                  // 1 when the population was resampled before this step's propagation
                                      // (island mode: bit 0 some island resampled inside, bit 1 islands resampled)
  std::int64_t fallbacks = 0;         // accept–reject draws that needed the exact fallback
  std::vector<double> mean, var;      // filtering moments (dim each) when options.moments
};

class ParticleFilter {
 public:
  // model, obs and h (nullable: no smoothing) must outlive the filter. reference: (n+1)·d values of ζ_{0:n} for
  // conditional SMC, or empty.
  ParticleFilter(mpi::Communicator comm, const Model& model, const Observations& obs, const Functional* h,
                 FilterOptions opt, std::vector<double> reference = {});

  void start();  // collective: t = 0
  void step();   // collective: t → t+1
  void run();    // collective: start() then step() to the end
  [[nodiscard]] int time() const noexcept { return t_; }
  [[nodiscard]] bool finished() const noexcept { return t_ >= obs_.steps(); }
  [[nodiscard]] double loglik() const noexcept { return loglik_; }
  [[nodiscard]] const std::vector<StepRecord>& records() const noexcept { return records_; }
  [[nodiscard]] const FilterOptions& options() const noexcept { return opt_; }

  // Collective: PaRIS estimate Σ_i W_n^i τ_n^i of the smoothed functional at the current time.
  [[nodiscard]] std::vector<double> estimate() const;
  // The next reference path (keep_history): b_n ~ Cat(W_n), b_{t-1} = J_t^{b_t, U}, U ~ Unif{1..K̃}; the same on
  // every rank (no communication). (n+1)·d values.
  [[nodiscard]] std::vector<double> select_path(std::uint64_t seed) const;

  // Local state (this rank's block), for tests and checkpoints.
  [[nodiscard]] const std::vector<double>& states() const noexcept { return x_; }
  [[nodiscard]] const std::vector<double>& log_weights() const {
    normalised();
    return logw_;
  }
  [[nodiscard]] const std::vector<double>& statistics() const noexcept { return tau_; }
  [[nodiscard]] std::uint64_t first() const noexcept { return first_; }
  // Global ids of the parents (time t-1) of this rank's particles after the latest step.
  [[nodiscard]] const std::vector<std::uint64_t>& ancestors() const {
    if (anc_identity_) {  // not resampled: written on demand (not thread-safe)
      anc_.resize(n_loc_);
      for (std::uint64_t j = 0; j < n_loc_; ++j) anc_[j] = first_ + j;
      anc_identity_ = false;
    }
    return anc_;
  }
  // keep_history: global backward indices J_t (N × K̃, row i = particle i at time t ≥ 1, entries index time t-1).
  [[nodiscard]] const std::vector<std::uint64_t>& backward_indices(int t) const {
    return hist_j_.at(static_cast<std::size_t>(t - 1));
  }

  // Collective: the whole particle system into a checkpoint group / back from one (any rank count).
  void save(const io::Group& g) const;
  void load(const io::Group& g);

 private:
  // Collective: log-sum-exp normalisation of lw in place; the likelihood increment and ESS into rec. local_max:
  // this rank's max of lw if the caller already has it (NaN: computed here).
  void normalise(std::vector<double>& lw, StepRecord& rec, double local_max = std::numeric_limits<double>::quiet_NaN());
  void moments(StepRecord& rec);
  void remember(const std::vector<std::uint64_t>& backward);
  // Collective: PaRIS backward draws by batched requests (opt.remote_requests), for this step's new particles xn.
  void paris_by_requests(int t, const std::vector<double>& xn, std::vector<double>& taun,
                         std::vector<std::uint64_t>& backward, StepRecord& rec) const;
  // Collective: island mode's resampling; fills the parents of this step's propagation (always) and rec.resampled.
  void island_resample(int t, std::vector<double>& px, std::vector<double>& plw, std::vector<std::uint64_t>& anc,
                       StepRecord& rec) const;

  mpi::Communicator comm_;
  const Model& model_;
  const Observations& obs_;
  const Functional* h_;
  FilterOptions opt_;
  std::vector<double> ref_;
  Layout layout_;
  std::uint64_t first_ = 0, n_loc_ = 0;
  int d_ = 1, m_ = 0;
  int t_ = -1;
  double loglik_ = 0.0;
  std::vector<double> x_, tau_;
  // The normalised log-weights are logw_[i] − lw_shift_: normalise() records the shift instead of a pass over the
  // array; normalised() subtracts it in place (the same bits as subtracting at once) before anything reads logw_,
  // and the bootstrap propagation reads through it. Mutable: a lazily finished normalisation, not state
  // (checkpoints hold the normalised values).
  mutable std::vector<double> logw_;
  mutable double lw_shift_ = 0.0;
  void normalised() const;
  std::vector<double> spare_x_, spare_lw_;  // last step's arrays, reused as the next step's (not state)
  std::vector<std::uint64_t> spare_w_;       // the fixed-point weights' storage, reused (not state)
  // exp(lw_i − max) of the latest normalise(), lw the unnormalised log-weights: the next resampling's fixed-point
  // weights come from these (no second exp). Checkpointed ("wexp") when the next step resamples; wexp_valid_ is
  // false after loading a checkpoint without them (the weights are then recomputed from logw_).
  std::vector<double> wexp_;
  bool wexp_valid_ = false;
  double wexp_sum_ = 0.0;  // Σ wexp_ over all ranks (exact fixed-point sum, rounded once), for the moments
  std::vector<std::uint64_t> parent_;        // fused resampling over ranks: row of each slot's parent in x_
  mutable std::vector<std::uint64_t> anc_;  // after a step without resampling: the identity, filled on demand
  mutable bool anc_identity_ = false;
  std::vector<StepRecord> records_;
  std::vector<std::vector<double>> hist_x_;          // global ξ_t (keep_history)
  std::vector<std::vector<std::uint64_t>> hist_j_;   // global J_t (t ≥ 1), N × K̃
  std::vector<double> final_logw_;                   // global log W_t at the latest time (keep_history)
};

}  // namespace sampo::smc
