#include "smc/resample.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include <omp.h>

#include "core/error/error.hpp"
#include "core/rng/batch.hpp"
#include "core/rng/stream.hpp"
#include "core/simd/clones.hpp"

namespace sampo::smc {

using u128 = __uint128_t;
constexpr std::size_t kBlock = 512;  // weights per SIMD exp call

namespace {
// w[i] = ⌊e[i]·scale⌋ (e·scale < 2^63: through int64, exact truncation on every clone — AVX-512's vcvttpd2qq, the
// others' scalar cvttsd2si), returning Σ w[i] (no wrap: the caller's weights sum below 2^63).
SAMPO_CLONES std::uint64_t to_fixed_block(const double* e, std::size_t m, double scale, std::uint64_t* w) {
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < m; ++i) {
    const auto v = static_cast<std::uint64_t>(static_cast<std::int64_t>(e[i] * scale));
    w[i] = v;
    sum += v;
  }
  return sum;
}
}  // namespace

Scheme parse_scheme(const std::string& name) {
  if (name == "multinomial") return Scheme::multinomial;
  if (name == "systematic") return Scheme::systematic;
  if (name == "stratified") return Scheme::stratified;
  if (name == "residual") return Scheme::residual;
  throw ConfigError("unknown resampling scheme '" + name + "' (multinomial, systematic, stratified, residual)");
}
std::string to_string(Scheme s) {
  switch (s) {
    case Scheme::multinomial: return "multinomial";
    case Scheme::systematic: return "systematic";
    case Scheme::stratified: return "stratified";
    case Scheme::residual: return "residual";
  }
  return "?";
}

int fixed_shift(std::uint64_t n) { return 62 - static_cast<int>(std::bit_width(n)); }

namespace {
FixedWeights place_weights(const mpi::Communicator& comm, std::vector<std::uint64_t> w, std::uint64_t local) {
  FixedWeights fw;
  fw.w = std::move(w);
  const auto all = comm.allgather(static_cast<unsigned long long>(local));
  fw.rank_offsets.assign(all.size() + 1, 0);
  for (std::size_t r = 0; r < all.size(); ++r) fw.rank_offsets[r + 1] = fw.rank_offsets[r] + all[r];
  fw.offset = fw.rank_offsets[static_cast<std::size_t>(comm.rank())];
  fw.total = fw.rank_offsets.back();
  return fw;
}
}  // namespace

FixedWeights place_weights(const mpi::Communicator& comm, std::vector<std::uint64_t> w) {
  std::uint64_t local = 0;
  for (auto v : w) local += v;
  return place_weights(comm, std::move(w), local);
}

FixedWeights fixed_from_exp(const mpi::Communicator& comm, std::span<const double> e, std::uint64_t n_global,
                            std::vector<std::uint64_t> storage) {
  const double scale = std::ldexp(1.0, fixed_shift(n_global));
  std::vector<std::uint64_t> w = std::move(storage);
  w.resize(e.size());  // every entry is written below
  const std::size_t n = e.size(), blocks = (n + kBlock - 1) / kBlock;
  std::uint64_t local = 0;
#pragma omp parallel for schedule(static) reduction(+ : local)
  for (std::int64_t b = 0; b < static_cast<std::int64_t>(blocks); ++b) {
    const std::size_t i0 = static_cast<std::size_t>(b) * kBlock;
    local += to_fixed_block(e.data() + i0, std::min(kBlock, n - i0), scale, w.data() + i0);
  }
  return place_weights(comm, std::move(w), local);
}

FixedWeights fixed_weights(const mpi::Communicator& comm, std::span<const double> logw, std::uint64_t n_global,
                           std::vector<std::uint64_t> storage) {
  double mx = -std::numeric_limits<double>::infinity();
  const double* lw = logw.data();
#pragma omp simd reduction(max : mx)
  for (std::size_t i = 0; i < logw.size(); ++i) mx = lw[i] > mx ? lw[i] : mx;  // max is exact in any order
  // (written as a comparison, not std::max, which GCC keeps scalar even under `omp simd`; a NaN is skipped as before)
  mx = comm.allreduce(mx, mpi::Op::max);
  SAMPO_VERIFY(std::isfinite(mx), "all particle weights are zero or not finite");
  const int shift = fixed_shift(n_global);
  std::vector<std::uint64_t> w = std::move(storage);
  w.resize(logw.size());  // every entry is written below
  const std::size_t n = logw.size(), blocks = (n + kBlock - 1) / kBlock;
  const double scale = std::ldexp(1.0, shift);
  std::uint64_t local = 0;
#pragma omp parallel reduction(+ : local)
  {
    double e[kBlock];
#pragma omp for schedule(static)
    for (std::int64_t b = 0; b < static_cast<std::int64_t>(blocks); ++b) {  // to_fixed(), a block at a time
      const std::size_t i0 = static_cast<std::size_t>(b) * kBlock, m = std::min(kBlock, n - i0);
      simd::exp_shifted(logw.data() + i0, mx, m, e);
      local += to_fixed_block(e, m, scale, w.data() + i0);
    }
  }
  return place_weights(comm, std::move(w), local);
}

namespace {

std::uint32_t shared_u32(std::uint64_t seed, std::uint32_t t) {
  return rng::Stream(seed, rng::purpose_resample, ~std::uint64_t{0}, t).next_u32();
}
std::uint64_t strat_point(std::uint64_t k, std::uint32_t u, std::uint64_t total, std::uint64_t n) {
  return static_cast<std::uint64_t>((((static_cast<u128>(k) << 32) + u) * total) / (static_cast<u128>(n) << 32));
}
std::uint64_t iid_point(std::uint64_t seed, std::uint32_t purpose, std::uint64_t k, std::uint32_t t,
                        std::uint64_t total) {
  return rng::Stream(seed, purpose, k, t).below(total);
}

// Adds to counts[i] the number of sorted points in [base + S_i, base + S_i + w_i).
void sweep(std::span<const std::uint64_t> w, std::uint64_t base, std::span<const std::uint64_t> sorted_points,
           std::vector<std::uint64_t>& counts) {
  std::size_t i = 0;
  std::uint64_t end = base + (w.empty() ? 0 : w[0]);
  for (auto p : sorted_points) {
    while (i < w.size() && p >= end) {
      ++i;
      if (i < w.size()) end += w[i];
    }
    SAMPO_VERIFY(i < w.size(), "resampling point beyond the cumulative weights");
    ++counts[i];
  }
}

// iid_point(seed, purpose, k, t, total) for k = k0 … k0 + n − 1: the first Philox block of each point's stream
// computed 256 at a time (core::rng::philox_blocks), Lemire's method on its first 64-bit word exactly as
// Stream::below; the rare point that needs another word takes its Stream.
void iid_points(std::uint64_t seed, std::uint32_t purpose, std::uint64_t k0, std::uint32_t t, std::uint64_t total,
                std::span<unsigned long long> out) {
  constexpr std::size_t kBatch = 256;
  const auto n = static_cast<std::int64_t>(out.size());
#pragma omp parallel
  {
    std::uint32_t words[4 * kBatch];
#pragma omp for schedule(static)
    for (std::int64_t j0 = 0; j0 < n; j0 += static_cast<std::int64_t>(kBatch)) {
      const std::size_t m = std::min<std::size_t>(kBatch, static_cast<std::size_t>(n - j0));
      const std::uint64_t first = k0 + static_cast<std::uint64_t>(j0);
      rng::philox_blocks(seed, purpose, first, t, 0, m, words);
      for (std::size_t i = 0; i < m; ++i) {
        const std::uint64_t x = (static_cast<std::uint64_t>(words[4 * i]) << 32) | words[4 * i + 1];
        const u128 prod = static_cast<u128>(x) * total;
        out[static_cast<std::size_t>(j0) + i] =
            static_cast<std::uint64_t>(prod) < total ? iid_point(seed, purpose, first + i, t, total)  // maybe rejected
                                                     : static_cast<std::uint64_t>(prod >> 64);
      }
    }
  }
}

// Adds to counts[i] the number of points (in any order) in [base + S_i, base + S_i + w_i), without sorting: a
// bucket index over the cumulative weights (bucket b = ⌊(p − base)·B/W⌋ in double, monotone in p) gives the first
// particle that can hold a point of bucket b, and a short walk finds the one that does. O(n + points).
void count_points(std::span<const std::uint64_t> w, std::uint64_t base, std::span<const unsigned long long> points,
                  std::vector<std::uint64_t>& counts) {
  const std::size_t n = w.size();
  if (points.empty()) return;
  SAMPO_VERIFY(n > 0 && n < (std::uint64_t{1} << 32), "multinomial resampling: 1 to 2^32 − 1 particles per rank");
  std::vector<std::uint64_t> end(n);  // end[i] = base + S_{i+1}
  std::uint64_t acc = base;
  for (std::size_t i = 0; i < n; ++i) end[i] = acc += w[i];
  const std::uint64_t width = acc - base;
  const std::size_t B = n;
  const double scale = width > 0 ? static_cast<double>(B) / static_cast<double>(width) : 0.0;
  const auto bucket = [&](std::uint64_t v) -> std::size_t {  // monotone in v
    if (v <= base) return 0;
    const auto b = static_cast<std::size_t>(static_cast<double>(v - base) * scale);
    return std::min(b, B - 1);
  };
  std::vector<std::uint32_t> start(B + 1);  // first particle whose last point maps to a bucket ≥ b
  std::size_t b = 0;
  for (std::size_t i = 0; i < n && b < B; ++i) {
    const std::size_t last = end[i] > base ? bucket(end[i] - 1) : 0;
    for (; b <= last && b < B; ++b) start[b] = static_cast<std::uint32_t>(i);
  }
  for (; b < B; ++b) start[b] = static_cast<std::uint32_t>(n - 1);
  // The points are first grouped by coarse bucket (a counting-sort pass into kCoarse runs), so that the lookups
  // below touch one small window of the arrays at a time instead of missing the cache at every point.
  constexpr std::size_t kCoarse = 2048;
  const std::size_t C = std::min(kCoarse, B);
  const auto coarse = [&](std::size_t fine) { return fine * C / B; };
  std::vector<std::size_t> pos(C + 1, 0);
  for (const auto p : points) {
    SAMPO_VERIFY(p >= base && p < acc, "resampling point beyond the cumulative weights");
    ++pos[coarse(bucket(p)) + 1];
  }
  for (std::size_t c = 0; c < C; ++c) pos[c + 1] += pos[c];
  std::vector<std::uint64_t> grouped(points.size());
  for (const auto p : points) grouped[pos[coarse(bucket(p))]++] = p;
  for (const auto p : grouped) {
    std::size_t i = start[bucket(p)];
    while (end[i] <= p) ++i;
    ++counts[i];
  }
}

// Multinomial with n_pts iid points over the distributed weights: each rank draws its block of points, routes
// each to the rank whose cumulative range holds it; the owner counts them. Collective.
void multinomial_counts(const mpi::Communicator& comm, const FixedWeights& fw, std::uint64_t n_pts,
                        std::uint64_t seed, std::uint32_t purpose, std::uint32_t t,
                        std::vector<std::uint64_t>& counts) {
  const int P = comm.size();
  const Layout pl{n_pts, P};
  const std::uint64_t k0 = pl.first(comm.rank()), k1 = pl.first(comm.rank() + 1);
  std::vector<unsigned long long> pts(k1 - k0);
  iid_points(seed, purpose, k0, t, fw.total, pts);
  std::vector<unsigned long long> mine;
  if (P == 1) {
    mine = std::move(pts);
  } else {
    std::vector<std::vector<unsigned long long>> send(static_cast<std::size_t>(P));
    for (auto p : pts) {
      const auto it = std::upper_bound(fw.rank_offsets.begin(), fw.rank_offsets.end(), static_cast<std::uint64_t>(p));
      send[static_cast<std::size_t>(it - fw.rank_offsets.begin() - 1)].push_back(p);
    }
    mine = comm.alltoallv(send);
  }
  count_points(fw.w, fw.offset, mine, counts);
}

}  // namespace

std::vector<std::uint64_t> offspring(const mpi::Communicator& comm, const FixedWeights& fw, Scheme s,
                                     std::uint64_t n_out, std::uint64_t n_particles, std::uint64_t seed,
                                     std::uint32_t t) {
  std::vector<std::uint64_t> counts(fw.w.size(), 0);
  SAMPO_VERIFY(fw.total > 0, "resampling needs a positive total weight");
  const std::uint64_t lo = fw.offset, hi = fw.offset + (fw.rank_offsets[static_cast<std::size_t>(comm.rank()) + 1] -
                                                        fw.rank_offsets[static_cast<std::size_t>(comm.rank())]);
  switch (s) {
    case Scheme::systematic:
    case Scheme::stratified: {
      if (hi == lo) break;
      const std::uint32_t u = s == Scheme::systematic ? shared_u32(seed, t) : 0;
      // p_k ∈ [k T/n, (k+1) T/n): only strata that meet [lo, hi) can land here.
      const auto k_start = static_cast<std::uint64_t>((static_cast<u128>(lo) * n_out) / fw.total);
      auto k_end = static_cast<std::uint64_t>((static_cast<u128>(hi) * n_out + fw.total - 1) / fw.total);
      k_end = std::min(k_end, n_out);
      if (s == Scheme::systematic) {
        // p_k = ⌊(k·2^32 + u)·T / (n·2^32)⌋ kept as quotient and remainder: one u128 division to start, then an add
        // per point (the same integers as strat_point), swept into the counts as they come (they increase with k).
        const u128 D = static_cast<u128>(n_out) << 32, step = (static_cast<u128>(fw.total) << 32);
        const u128 step_q = step / D, step_r = step % D;
        const u128 num = ((static_cast<u128>(k_start) << 32) + u) * fw.total;
        u128 q = num / D, r = num % D;
        std::size_t i = 0;
        std::uint64_t end = fw.offset + (fw.w.empty() ? 0 : fw.w[0]);
        for (std::uint64_t k = k_start; k < k_end; ++k) {
          const auto p = static_cast<std::uint64_t>(q);
          if (p >= lo && p < hi) {
            while (i < fw.w.size() && p >= end) {
              ++i;
              if (i < fw.w.size()) end += fw.w[i];
            }
            SAMPO_VERIFY(i < fw.w.size(), "resampling point beyond the cumulative weights");
            ++counts[i];
          }
          q += step_q;
          r += step_r;
          if (r >= D) ++q, r -= D;
        }
        break;
      }
      std::vector<std::uint64_t> pts;
      for (std::uint64_t k = k_start; k < k_end; ++k) {
        const auto p = strat_point(k, rng::Stream(seed, rng::purpose_resample, k, t).next_u32(), fw.total, n_out);
        if (p >= lo && p < hi) pts.push_back(p);
      }
      sweep(fw.w, fw.offset, pts, counts);
      break;
    }
    case Scheme::multinomial:
      multinomial_counts(comm, fw, n_out, seed, rng::purpose_resample, t, counts);
      break;
    case Scheme::residual: {
      const int shift = static_cast<int>(std::bit_width(n_particles));
      std::vector<std::uint64_t> rem(fw.w.size());
      unsigned long long det = 0;
      for (std::size_t i = 0; i < fw.w.size(); ++i) {
        const u128 nw = static_cast<u128>(fw.w[i]) * n_out;
        counts[i] = static_cast<std::uint64_t>(nw / fw.total);
        rem[i] = static_cast<std::uint64_t>(nw - static_cast<u128>(counts[i]) * fw.total) >> shift;
        det += counts[i];
      }
      det = comm.allreduce(det, mpi::Op::sum);
      const std::uint64_t left = n_out - det;
      if (left == 0) break;
      auto rw = place_weights(comm, std::move(rem));
      if (rw.total == 0) rw = place_weights(comm, fw.w);  // remainders all truncated: fall back to the weights
      multinomial_counts(comm, rw, left, seed, purpose_residual, t, counts);
      break;
    }
  }
  return counts;
}

std::vector<std::uint64_t> offspring_serial(std::span<const std::uint64_t> w, Scheme s, std::uint64_t n_out,
                                            std::uint64_t seed, std::uint32_t t) {
  std::uint64_t total = 0;
  for (auto v : w) total += v;
  std::vector<std::uint64_t> counts(w.size(), 0), pts;
  switch (s) {
    case Scheme::systematic:
    case Scheme::stratified: {
      const std::uint32_t u = shared_u32(seed, t);
      for (std::uint64_t k = 0; k < n_out; ++k)
        pts.push_back(strat_point(
            k, s == Scheme::systematic ? u : rng::Stream(seed, rng::purpose_resample, k, t).next_u32(), total, n_out));
      break;
    }
    case Scheme::multinomial:
      for (std::uint64_t k = 0; k < n_out; ++k) pts.push_back(iid_point(seed, rng::purpose_resample, k, t, total));
      break;
    case Scheme::residual: {
      const int shift = static_cast<int>(std::bit_width(static_cast<std::uint64_t>(w.size())));
      std::vector<std::uint64_t> rem(w.size());
      std::uint64_t det = 0, rtot = 0;
      for (std::size_t i = 0; i < w.size(); ++i) {
        const u128 nw = static_cast<u128>(w[i]) * n_out;
        counts[i] = static_cast<std::uint64_t>(nw / total);
        rem[i] = static_cast<std::uint64_t>(nw - static_cast<u128>(counts[i]) * total) >> shift;
        det += counts[i];
        rtot += rem[i];
      }
      if (det == n_out) return counts;
      std::span<const std::uint64_t> rw = rem;
      if (rtot == 0) rw = w, rtot = total;
      for (std::uint64_t k = 0; k < n_out - det; ++k) pts.push_back(iid_point(seed, purpose_residual, k, t, rtot));
      std::sort(pts.begin(), pts.end());
      sweep(rw, 0, pts, counts);
      return counts;
    }
  }
  std::sort(pts.begin(), pts.end());
  sweep(w, 0, pts, counts);
  return counts;
}

namespace {

// The vectorised part of SystematicSlots::firsts: for x_j = s_j·ratio − uf, K[j] = ⌊x_j⌋ + 1 and whether that is
// certainly ⌈s_j·n/T − u/2^32⌉ (margin < x_j ≤ top and x_j's fraction outside the margin). Whatever the clone
// rounds (with or without a fused multiply–add), x_j is within the margin's error bound, so a certain K is exact.
// Returns the number of uncertain ones. (A certain x_j is below top = n with its fraction above the margin, so
// K[j] ≤ n.)
SAMPO_CLONES std::int64_t slot_estimates(const std::uint64_t* S, std::size_t m, double ratio, double uf,
                                             double margin, double top, std::uint64_t* K, std::int64_t* sure) {
  std::int64_t n_sure = 0;
  for (std::size_t j = 0; j < m; ++j) {
    const double x = static_cast<double>(static_cast<std::int64_t>(S[j])) * ratio - uf;  // S_j < 2^63
    const auto ti = static_cast<std::int64_t>(x);                                         // ⌊x⌋ for x > 0
    const double f = x - static_cast<double>(ti);
    K[j] = static_cast<std::uint64_t>(ti + 1);
    sure[j] = static_cast<std::int64_t>(x > margin) & static_cast<std::int64_t>(x <= top) &
              static_cast<std::int64_t>(f > margin) & static_cast<std::int64_t>(f < 1.0 - margin);
    n_sure += sure[j];
  }
  return static_cast<std::int64_t>(m) - n_sure;
}

// Particle a + j owns the slots [K[j−1], K[j]) (K[−1] = k): writes its id at out[slot − base], four slots whatever
// the run's length (most runs are 0–2 long), then the rest of a longer run. Slots past a run's end are written again
// by the later particles owning them, so the caller needs each run's first slot + 4 and K[m−1] to be ≤ the end of
// the slots its particles own (K[m−1] + 4 ≤ that end implies both). Returns K[m − 1].
std::uint64_t fill_runs(std::uint64_t* out, const std::uint64_t* K, std::size_t m, std::uint64_t k, std::uint64_t a,
                        std::uint64_t base = 0) {
  for (std::size_t j = 0; j < m; ++j, ++a) {
    const std::uint64_t kn = K[j];
    std::uint64_t* const o = out + (k - base);
    o[0] = a, o[1] = a, o[2] = a, o[3] = a;
    for (std::uint64_t q = 4; q < kn - k; ++q) o[q] = a;
    k = kn;
  }
  return k;
}

// Systematic points p_k = ⌊(k·2^32 + u)·T / (n·2^32)⌋ (as offspring()). The particle with cumulative range [s, s + w)
// owns the slots [K(s), K(s + w)), K(s) = #{k : p_k < s} = the least k with (k·2^32 + u)·T ≥ s·n·2^32, i.e.
// ⌈s·n/T − u/2^32⌉ in [0, n]. K is estimated in double and made exact by the integer test where it could be off.
class SystematicSlots {
 public:
  SystematicSlots(std::uint64_t total, std::uint64_t n_out, std::uint32_t u)
      : T_(total), n_(n_out), u_(u), ratio_(static_cast<double>(n_out) / static_cast<double>(total)),
        uf_(static_cast<double>(u) * 0x1p-32), margin_(std::ldexp(static_cast<double>(n_out), -48)),
        top_(static_cast<double>(n_out)) {
    SAMPO_VERIFY(total > 0, "resampling needs a positive total weight");
    SAMPO_VERIFY(n_out < (std::uint64_t{1} << 32), "systematic resampling supports fewer than 2^32 particles");
    SAMPO_VERIFY(total < (std::uint64_t{1} << 63), "systematic resampling needs a total weight below 2^63");
  }
  // The double x = s·(n/T) − u·2^−32 is within 4·2^−53·n of the exact value (three roundings of numbers ≤ n), so
  // outside a margin of 2^−48·n around the integers ⌈x⌉ is exact; inside it, the integer test decides.
  // s ≤ total < 2^63 and 0 < x ≤ n < 2^32: the conversions go through int64 (one instruction each; the unsigned
  // ones branch on the sign bit).
  [[nodiscard]] std::uint64_t first(std::uint64_t s) const {
    const double x = static_cast<double>(static_cast<std::int64_t>(s)) * ratio_ - uf_;
    if (x < -margin_) return 0;
    if (x > top_) return n_;
    if (x > margin_) {
      const auto ti = static_cast<std::uint64_t>(static_cast<std::int64_t>(x));  // ⌊x⌋ (x > 0)
      const double f = x - static_cast<double>(ti);
      if (f > margin_ && f < 1.0 - margin_) return std::min(ti + 1, n_);
    }
    auto k = static_cast<std::uint64_t>(std::max(0.0, std::min(x, top_)));
    while (k < n_ && !at_or_after(k, s)) ++k;
    while (k > 0 && at_or_after(k - 1, s)) --k;
    return k;
  }

  static constexpr std::size_t kChunk = 256;  // particles per firsts() call
  // K[j] = first(s_j) for the running sums s_j = s + w_0 + … + w_j, j < m ≤ kChunk; s is advanced by them all: the
  // prefix sums, the estimates in one vectorised loop (slot_estimates), first() for the rare uncertain ones.
  void firsts(const std::uint64_t* w, std::size_t m, std::uint64_t& s, std::uint64_t* K) const {
    alignas(64) std::uint64_t S[kChunk];
    alignas(64) std::int64_t sure[kChunk];
    for (std::size_t j = 0; j < m; ++j) S[j] = s += w[j];
    if (slot_estimates(S, m, ratio_, uf_, margin_, top_, K, sure) > 0)
      for (std::size_t j = 0; j < m; ++j)
        if (!sure[j]) K[j] = first(S[j]);
  }

 private:
  [[nodiscard]] bool at_or_after(std::uint64_t k, std::uint64_t s) const {  // p_k ≥ s
    return static_cast<u128>((k << 32) | u_) * T_ >= (static_cast<u128>(s) * n_) << 32;
  }
  std::uint64_t T_, n_;
  std::uint32_t u_;
  double ratio_, uf_, margin_, top_;
};

// Inside an OpenMP parallel region: this thread's block [i0, i1) of the weights w, its weight sum, and the weight
// before it (`base` plus the lower threads' sums). `part` is shared, one slot per thread. Contains a barrier.
struct ThreadBlock {
  std::size_t i0, i1, thread;
  std::uint64_t sum, before;
};
// `local`: Σ w (known to the caller), which is one thread's whole sum.
ThreadBlock thread_block(std::span<const std::uint64_t> w, std::uint64_t base, std::uint64_t local,
                         std::vector<std::uint64_t>& part) {
  const auto nt = static_cast<std::size_t>(omp_get_num_threads()), id = static_cast<std::size_t>(omp_get_thread_num());
  ThreadBlock b{w.size() * id / nt, w.size() * (id + 1) / nt, id, 0, base};
  if (nt == 1) {
    b.sum = local;
    return b;
  }
  for (std::size_t i = b.i0; i < b.i1; ++i) b.sum += w[i];
  part[id] = b.sum;
#pragma omp barrier
  for (std::size_t j = 0; j < id; ++j) b.before += part[j];
  return b;
}

}  // namespace

void systematic_ancestors(const FixedWeights& fw, std::uint64_t n_out, std::uint64_t seed, std::uint32_t t,
                          std::uint64_t first_id, std::vector<std::uint64_t>& anc) {
  SAMPO_VERIFY(fw.offset == 0 && fw.rank_offsets.size() == 2, "systematic_ancestors needs one rank's weights");
  const SystematicSlots slots(fw.total, n_out, shared_u32(seed, t));
  anc.resize(n_out);
  std::vector<std::uint64_t> part(static_cast<std::size_t>(omp_get_max_threads()), 0);
  std::uint64_t* const out = anc.data();
#pragma omp parallel
  {
    const auto blk = thread_block(fw.w, 0, fw.total, part);
    std::uint64_t s = blk.before, k = slots.first(s);
    const std::uint64_t k1 = slots.first(s + blk.sum);  // this thread's slots are [k, k1)
    alignas(64) std::uint64_t K[SystematicSlots::kChunk];
    for (std::size_t i = blk.i0; i < blk.i1; i += SystematicSlots::kChunk) {
      const std::size_t m = std::min(SystematicSlots::kChunk, blk.i1 - i);
      slots.firsts(fw.w.data() + i, m, s, K);
      if (K[m - 1] + 4 <= k1) {  // runs written four slots at a time
        k = fill_runs(out, K, m, k, first_id + i);
      } else {  // near the end of this thread's slots: exact stores
        for (std::size_t c = 0; c < m; ++c) {
          for (std::uint64_t j = k; j < K[c]; ++j) out[j] = first_id + i + c;
          k = K[c];
        }
      }
    }
  }
  SAMPO_VERIFY(slots.first(fw.total) == n_out, "systematic resampling: the points do not cover the weights");
}

void systematic_rebalance(const mpi::Communicator& comm, const FixedWeights& fw, std::uint64_t n_out,
                          std::uint64_t seed, std::uint32_t t, const Layout& layout, std::uint64_t first_id,
                          std::vector<double>& records, std::size_t width, std::vector<std::uint64_t>& anc,
                          std::vector<std::uint64_t>& parent) {
  const SystematicSlots slots(fw.total, n_out, shared_u32(seed, t));
  const int P = comm.size(), me = comm.rank();
  const std::uint64_t blk_lo = std::min(layout.first(me), n_out), blk_hi = std::min(layout.first(me + 1), n_out);
  const auto mine = static_cast<std::size_t>(blk_hi - blk_lo);
  anc.resize(mine);
  parent.resize(mine);
  // Runs of copies: particle i owns slots [K_i, K_i+1); the part in this rank's block is written here, the rest
  // travels as (first slot, count, id, record) to the block's owner — once per destination. Threads take blocks of
  // particles (their first slot from one search each); their runs are sent in thread order (any order would do:
  // every run carries its slots).
  const auto nt_max = static_cast<std::size_t>(omp_get_max_threads());
  std::vector<std::uint64_t> part(nt_max, 0), filled_by(nt_max, 0), bounds(static_cast<std::size_t>(P) + 1);
  for (int r = 0; r <= P; ++r) bounds[static_cast<std::size_t>(r)] = std::min(layout.first(r), n_out);
  std::vector<std::vector<std::vector<double>>> tsend(nt_max, std::vector<std::vector<double>>(static_cast<std::size_t>(P)));
#pragma omp parallel
  {
    const auto blk = thread_block(fw.w, fw.offset, fw.rank_offsets[static_cast<std::size_t>(me) + 1] - fw.offset, part);
    std::uint64_t s = blk.before, k = slots.first(s), filled = 0;
    auto& send_t = tsend[blk.thread];
    int dest = k < n_out ? layout.owner(k) : P - 1;  // the slots only increase: the owner is advanced, not searched
    // Runs wholly inside [local_lo, local_hi) — this rank's block ∩ this thread's slots — take the one-rank path's
    // four unconditional stores (later particles overwrite the slots past a run's end).
    const std::uint64_t local_lo = blk_lo, local_hi = std::min(blk_hi, slots.first(blk.before + blk.sum));
    alignas(64) std::uint64_t K[SystematicSlots::kChunk];
    for (std::size_t i0 = blk.i0; i0 < blk.i1; i0 += SystematicSlots::kChunk) {
      const std::size_t m = std::min(SystematicSlots::kChunk, blk.i1 - i0);
      slots.firsts(fw.w.data() + i0, m, s, K);
      if (k >= local_lo && K[m - 1] + 4 <= local_hi) {  // the whole chunk's runs are local: fill_runs, both arrays
        fill_runs(anc.data(), K, m, k, first_id + i0, blk_lo);
        fill_runs(parent.data(), K, m, k, i0, blk_lo);
        filled += K[m - 1] - k;
        k = K[m - 1];
        continue;
      }
      for (std::size_t c = 0; c < m; ++c) {
        const std::size_t i = i0 + c;
        const std::uint64_t kn = K[c], id = first_id + i;
        if (k >= local_lo && k + 4 <= local_hi && kn <= local_hi) {  // this run alone is local
          fill_runs(anc.data(), K + c, 1, k, id, blk_lo);
          fill_runs(parent.data(), K + c, 1, k, i, blk_lo);
          filled += kn - k;
          k = kn;
          continue;
        }
        for (std::uint64_t a = k; a < kn;) {
          while (a >= bounds[static_cast<std::size_t>(dest) + 1]) ++dest;
          const std::uint64_t e = std::min(kn, bounds[static_cast<std::size_t>(dest) + 1]);
          if (dest == me) {
            for (std::uint64_t j = a; j < e; ++j) anc[j - blk_lo] = id, parent[j - blk_lo] = i;
            filled += e - a;
          } else {
            auto& b = send_t[static_cast<std::size_t>(dest)];
            b.push_back(static_cast<double>(a));  // exact: slots and ids < 2^53
            b.push_back(static_cast<double>(e - a));
            b.push_back(static_cast<double>(id));
            b.insert(b.end(), records.begin() + static_cast<std::ptrdiff_t>(i * width),
                     records.begin() + static_cast<std::ptrdiff_t>((i + 1) * width));
          }
          a = e;
        }
        k = kn;
      }
    }
    filled_by[blk.thread] = filled;
  }
  std::uint64_t filled = 0;
  for (auto f : filled_by) filled += f;
  std::vector<std::vector<double>> send(static_cast<std::size_t>(P));
  for (auto& ts : tsend)
    for (int r = 0; r < P; ++r) send[static_cast<std::size_t>(r)].insert(send[static_cast<std::size_t>(r)].end(), ts[static_cast<std::size_t>(r)].begin(), ts[static_cast<std::size_t>(r)].end());
  const auto recv = comm.alltoallv(send);
  // Received parents are appended to `records`; their slots point there.
  const std::size_t rec = 3 + width;
  for (std::size_t o = 0; o < recv.size(); o += rec) {
    const auto a = static_cast<std::uint64_t>(recv[o]), c = static_cast<std::uint64_t>(recv[o + 1]);
    const auto id = static_cast<std::uint64_t>(recv[o + 2]);
    const std::size_t where = records.size() / width;
    records.insert(records.end(), recv.begin() + static_cast<std::ptrdiff_t>(o + 3),
                   recv.begin() + static_cast<std::ptrdiff_t>(o + rec));
    SAMPO_VERIFY(a >= blk_lo && a + c <= blk_hi, "systematic rebalancing: a run arrived at the wrong rank");
    for (std::uint64_t j = a; j < a + c; ++j) anc[j - blk_lo] = id, parent[j - blk_lo] = where;
    filled += c;
  }
  SAMPO_VERIFY(filled == mine, "systematic rebalancing left the wrong number of particles on a rank");
}

Moved rebalance(const mpi::Communicator& comm, std::span<const std::uint64_t> counts, std::span<const double> records,
                std::size_t width, std::uint64_t first_id, const Layout& layout, std::uint64_t n_out) {
  const int P = comm.size();
  if (P == 1) {  // everything stays: expand in place (the same order the exchange would give)
    // Offspring i goes to slots [start_i, start_i + counts_i): a prefix sum, then the copies in parallel (the same
    // layout as the serial expansion, for any thread count).
    Moved out;
    const std::size_t n = counts.size();
    std::vector<std::uint64_t> start(n + 1, 0);
    for (std::size_t i = 0; i < n; ++i) start[i + 1] = start[i] + counts[i];
    SAMPO_VERIFY(start[n] == n_out, "rebalancing produced the wrong number of particles");
    out.records.resize(std::min(n_out, layout.n) * width);
    out.ancestors.resize(n_out);
#pragma omp parallel for schedule(static)
    for (std::int64_t ii = 0; ii < static_cast<std::int64_t>(n); ++ii) {
      const auto i = static_cast<std::size_t>(ii);
      for (std::uint64_t slot = start[i]; slot < start[i + 1]; ++slot) {
        out.ancestors[slot] = first_id + i;
        std::copy_n(records.data() + i * width, width, out.records.data() + slot * width);
      }
    }
    return out;
  }
  unsigned long long local = 0;
  for (auto c : counts) local += c;
  std::uint64_t start = comm.exscan_sum(local);
  const std::size_t rec = width + 2;
  std::vector<std::vector<double>> send(static_cast<std::size_t>(P));
  for (std::size_t i = 0; i < counts.size(); ++i) {
    std::uint64_t a = start, b = start + counts[i];
    start = b;
    while (a < b) {
      const int dest = layout.owner(a);
      const std::uint64_t e = std::min(b, layout.first(dest + 1));
      auto& s = send[static_cast<std::size_t>(dest)];
      s.push_back(static_cast<double>(first_id + i));
      s.push_back(static_cast<double>(e - a));
      s.insert(s.end(), records.begin() + static_cast<std::ptrdiff_t>(i * width),
               records.begin() + static_cast<std::ptrdiff_t>((i + 1) * width));
      a = e;
    }
  }
  const auto recv = P == 1 ? std::move(send[0]) : comm.alltoallv(send);
  Moved out;
  const std::uint64_t mine_lo = std::min(layout.first(comm.rank()), n_out);
  const std::uint64_t mine_hi = std::min(layout.first(comm.rank() + 1), n_out);
  out.records.reserve((mine_hi - mine_lo) * width);
  out.ancestors.reserve(mine_hi - mine_lo);
  for (std::size_t o = 0; o < recv.size(); o += rec) {
    const auto anc = static_cast<std::uint64_t>(recv[o]);
    const auto copies = static_cast<std::uint64_t>(recv[o + 1]);
    for (std::uint64_t c = 0; c < copies; ++c) {
      out.ancestors.push_back(anc);
      out.records.insert(out.records.end(), recv.begin() + static_cast<std::ptrdiff_t>(o + 2),
                         recv.begin() + static_cast<std::ptrdiff_t>(o + rec));
    }
  }
  SAMPO_VERIFY(out.ancestors.size() == mine_hi - mine_lo, "rebalancing produced the wrong number of particles");
  return out;
}

}  // namespace sampo::smc
