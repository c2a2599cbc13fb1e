#pragma once
// Resampling that gives bitwise the same offspring for any number of ranks and threads.
//
// Normalised weights are mapped to 64-bit fixed point, w_i = floor(exp(logw_i - M) · 2^s) with M the global maximum
// (an exact Allreduce) and s = 62 - bit_width(N), so Σ w_i < 2^63. Each w_i depends on particle i alone, and integer
// prefix sums are exact, so every rank agrees on the cumulative weights whatever the layout. (Weights below 2^-s
// of the largest become 0 and are never resampled: a deterministic truncation, 2^-s ≤ 2^-42 for N ≤ 10^6.)
// Resampling points live in [0, T), T = Σ w_i; particle i receives the points in [S_i, S_i + w_i), S_i = Σ_{j<i} w_j:
//   systematic  p_k = ⌊(k + u/2^32) T / n⌋ with one shared u = Stream(seed, resample, 2^64-1, t)
//   stratified  the same with u_k = Stream(seed, resample, k, t) per stratum
//   multinomial p_k = Stream(seed, resample, k, t).below(T), iid (routed to the owning rank, sorted there)
//   residual    ⌊n w_i / T⌋ copies, then multinomial on the remainders (purpose smc_residual)
// Offspring are laid out in ancestor order; rebalance() then moves them so every rank holds its block again.
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/mpi/communicator.hpp"
#include "core/simd/vmath.hpp"
#include "smc/layout.hpp"

namespace sampo::smc {

inline constexpr std::uint32_t purpose_residual = 1101;
inline constexpr std::uint32_t purpose_path = 1102;

enum class Scheme { multinomial, systematic, stratified, residual };
Scheme parse_scheme(const std::string& name);
std::string to_string(Scheme s);

// Fixed-point weights of this rank's particles and their place in the global cumulative sum.
struct FixedWeights {
  std::vector<std::uint64_t> w;
  std::uint64_t offset = 0;                 // Σ w over lower ranks
  std::uint64_t total = 0;                  // Σ w over all ranks
  std::vector<std::uint64_t> rank_offsets;  // P+1 cumulative per-rank sums
};
// Bits of fixed-point precision for a population of n particles.
int fixed_shift(std::uint64_t n);
// ⌊exp(logw − max)·2^shift⌋, with the same exp as fixed_weights() (simd::exp_shifted), so one weight has one
// fixed-point value wherever it is computed.
inline std::uint64_t to_fixed(double logw, double max, int shift) {
  double e = 0;
  simd::exp_shifted(&logw, max, 1, &e);
  return static_cast<std::uint64_t>(std::ldexp(e, shift));
}
// Collective: fixed-point weights from log-weights (any normalisation). storage: a vector whose memory the weights
// may reuse (a caller's buffer from the last call: no allocation, no zero-fill).
FixedWeights fixed_weights(const mpi::Communicator& comm, std::span<const double> logw, std::uint64_t n_global,
                           std::vector<std::uint64_t> storage = {});
// Collective: the same from e_i = exp(logw_i − M) already computed (simd::exp_shifted, M the global maximum):
// w_i = ⌊e_i·2^shift⌋, bitwise what fixed_weights() gives for log-weights whose maximum is M.
FixedWeights fixed_from_exp(const mpi::Communicator& comm, std::span<const double> e, std::uint64_t n_global,
                            std::vector<std::uint64_t> storage = {});
// Collective: offsets for integer weights that are already fixed point.
FixedWeights place_weights(const mpi::Communicator& comm, std::vector<std::uint64_t> w);

// Collective: offspring counts of this rank's particles for n_out draws. Identical to offspring_serial() on the
// concatenated weights, for any rank count. n_particles: global population (sizes the residual shift).
std::vector<std::uint64_t> offspring(const mpi::Communicator& comm, const FixedWeights& fw, Scheme s,
                                     std::uint64_t n_out, std::uint64_t n_particles, std::uint64_t seed,
                                     std::uint32_t t);
// Serial reference: every point built explicitly and swept against the cumulative weights.
std::vector<std::uint64_t> offspring_serial(std::span<const std::uint64_t> w, Scheme s, std::uint64_t n_out,
                                            std::uint64_t seed, std::uint32_t t);

// Systematic resampling on one rank, fused with the expansion (no offspring counts, no copies): anc[k] = first_id +
// the index of the particle that output slot k descends from, k < n_out — exactly the ancestors rebalance() gives
// from offspring(systematic) counts (tested). fw must be a single rank's weights (offset 0). OpenMP inside: each
// thread takes a block of particles, finds its first slot by one division and sweeps its points; the result does
// not depend on the thread count. Needs n_out < 2^32.
void systematic_ancestors(const FixedWeights& fw, std::uint64_t n_out, std::uint64_t seed, std::uint32_t t,
                          std::uint64_t first_id, std::vector<std::uint64_t>& anc);

// Collective: systematic resampling fused with rebalancing, any rank count. This rank's output slots (its `layout`
// block ∩ [0, n_out)) get their ancestors' global ids in `anc` and their parents' rows in `parent`: rows < the
// local count are this rank's own records; parents from other ranks are appended to `records` (each run of copies
// travels once per destination, as with rebalance()) and `parent` points at them. The same ancestors as
// offspring(systematic) + rebalance() (tested at np = 1–4). Needs n_out < 2^32.
void systematic_rebalance(const mpi::Communicator& comm, const FixedWeights& fw, std::uint64_t n_out,
                          std::uint64_t seed, std::uint32_t t, const Layout& layout, std::uint64_t first_id,
                          std::vector<double>& records, std::size_t width, std::vector<std::uint64_t>& anc,
                          std::vector<std::uint64_t>& parent);

// Collective: deterministic rebalancing. This rank's particles (records of `width` doubles, global ids from
// first_id) with the given offspring counts become output particles 0..n_out-1 in ancestor order, placed by
// `layout` (each rank gets its block ∩ [0, n_out)). Returns the records and each one's ancestor global id.
// Traffic ≈ the imbalance: a run of copies of one ancestor travels once per destination rank.
struct Moved {
  std::vector<double> records;
  std::vector<std::uint64_t> ancestors;
};
Moved rebalance(const mpi::Communicator& comm, std::span<const std::uint64_t> counts, std::span<const double> records,
                std::size_t width, std::uint64_t first_id, const Layout& layout, std::uint64_t n_out);

}  // namespace sampo::smc
