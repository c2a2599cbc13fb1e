// Batched normals: SIMD Philox4x32-10 and a branch-free Box–Muller (see batch.hpp for the definition).
// Compiled with -O3 -ffp-contract=off (src/core/CMakeLists.txt): the loops over kLanes lanes vectorise, and no
// multiply–add is fused in any clone, so every clone (AVX-512, AVX2, baseline) computes the same bits.
#include "core/rng/batch.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include "core/rng/stream.hpp"
#include "core/rng/ziggurat_tables.hpp"
#include "core/simd/vmath.hpp"
#include "core/simd/clones.hpp"

namespace sampo::rng {
namespace {

constexpr int kLanes = 16;  // entities computed side by side
constexpr std::uint64_t kQuadStream = std::uint64_t{3} << 62;  // entity bits of normals_ziggurat's block streams
constexpr std::uint64_t kZigRetry = std::uint64_t{1} << 62;    // entity bit of its per-entity retry streams
constexpr int kZigGroup = 4 * kLanes;                          // entities per group (kLanes Philox blocks)
constexpr std::uint32_t kM0 = 0xD2511F53U, kM1 = 0xCD9E8D57U;  // Philox4x32 multipliers (Salmon et al. 2011)
constexpr std::uint32_t kW0 = 0x9E3779B9U, kW1 = 0xBB67AE85U;  // its Weyl key increments

std::uint64_t stream_key(std::uint64_t seed, std::uint32_t purpose) {
  return splitmix64(seed ^ splitmix64(0x5a3bULL + purpose));  // as rng::Stream's constructor
}

// One Philox4x32-10 block (block, sub, entity) under key: Random123's rounds (multiply, xor with the key, key
// bumped by the Weyl constants between rounds), written on scalars so that a loop over entities vectorises. The
// four 32-bit words are kept in 64-bit variables (high halves zero): the vectorised loop then works on 64-bit lanes
// throughout instead of widening and narrowing 32-bit lanes around every multiplication (2.3× faster with AVX-512).
[[gnu::always_inline]] inline void philox_one(std::uint32_t k0, std::uint32_t k1, std::uint32_t block, std::uint32_t sub, std::uint64_t e,
                       std::uint32_t& w0, std::uint32_t& w1, std::uint32_t& w2, std::uint32_t& w3) {
  constexpr std::uint64_t lo = 0xFFFFFFFFULL;
  std::uint64_t x0 = block, x1 = sub, x2 = e & lo, x3 = e >> 32;
  auto round = [&](std::uint32_t r) {  // written out ten times below: a loop here would keep the caller scalar
    const std::uint64_t p0 = std::uint64_t{kM0} * (x0 & lo);
    const std::uint64_t p1 = std::uint64_t{kM1} * (x2 & lo);
    x0 = ((p1 >> 32) ^ x1 ^ static_cast<std::uint32_t>(k0 + r * kW0)) & lo;
    x2 = ((p0 >> 32) ^ x3 ^ static_cast<std::uint32_t>(k1 + r * kW1)) & lo;
    x1 = p1 & lo;
    x3 = p0 & lo;
  };
  round(0), round(1), round(2), round(3), round(4), round(5), round(6), round(7), round(8), round(9);
  w0 = static_cast<std::uint32_t>(x0), w1 = static_cast<std::uint32_t>(x1);
  w2 = static_cast<std::uint32_t>(x2), w3 = static_cast<std::uint32_t>(x3);
}

// Stream::uniform() of two words, with the same operations: ((hi·2^32 + lo) >> 11) + 0.5, times 2^−53. The 53-bit
// integer is converted exactly through the 2^52 bias trick (vectorises without a 64-bit integer conversion).
[[gnu::always_inline]] inline double uniform_of(std::uint32_t hi, std::uint32_t lo) {
  const std::uint64_t x = ((static_cast<std::uint64_t>(hi) << 32) | lo) >> 11;
  const double low = std::bit_cast<double>((x & 0xFFFFFFFFFFFFFULL) | 0x4330000000000000ULL) - 0x1.0p52;
  const double top = (x >> 52) ? 0x1.0p52 : 0.0;
  return ((low + top) + 0.5) * 0x1.0p-53;
}

// log u for u in (0, 1): u = 2^e m, m in [√2/2, √2), log(1 + f) by fdlibm's minimax polynomial in s = f/(2 + f)
// (Sun Microsystems' e_log.c, |error| < 1 ulp), e·ln 2 in two parts. No branches, no tables.
[[gnu::always_inline]] inline double log_unit(double u) {
  const auto b = std::bit_cast<std::uint64_t>(u);
  std::uint64_t mb = (b & 0xFFFFFFFFFFFFFULL) | 0x3FF0000000000000ULL;  // m in [1, 2)
  const std::uint64_t big = mb > 0x3FF6A09E667F3BCDULL ? 1 : 0;         // m > √2: m / 2, e + 1
  mb -= big << 52;
  // e as a double without an int64 conversion (AVX2 and AVX-512F have none): 2^52 + biased exponent, exactly.
  const double de = std::bit_cast<double>(0x4330000000000000ULL + (b >> 52) + big) - (0x1.0p52 + 1023.0);
  const double f = std::bit_cast<double>(mb) - 1.0;
  const double s = f / (2.0 + f), z = s * s, w = z * z;
  const double t1 = w * (3.999999999940941908e-01 + w * (2.222219843214978396e-01 + w * 1.531383769920937332e-01));
  const double t2 = z * (6.666666666666735130e-01 +
                         w * (2.857142874366239149e-01 + w * (1.818357216161805012e-01 + w * 1.479819860511658591e-01)));
  const double R = t2 + t1, hfsq = 0.5 * f * f;
  return de * 6.93147180369123816490e-01 - ((hfsq - (s * (hfsq + R) + de * 1.90821492927058770002e-10)) - f);
}

// cos(2πu), sin(2πu) for u in (0, 1): q = nearest quarter (ties to even), r = u − q/4 exact (|r| ≤ 1/8), a = 2πr, Taylor series of
// cos a and sin a to a^18 and a^17 (truncation < 1e-19 for |a| ≤ π/4), then the quadrant rotation.
[[gnu::always_inline]] inline void sincos_turn(double u, double& c, double& s) {
  const double qd = (4.0 * u + 0x1.8p52) - 0x1.8p52;  // round(4u) in 0 .. 4 (no floor: it would not vectorise)
  const double a = (u - 0.25 * qd) * 6.283185307179586232;
  const double a2 = a * a;
  const double sa =
      a + a * a2 * (-1.0 / 6 + a2 * (1.0 / 120 + a2 * (-1.0 / 5040 + a2 * (1.0 / 362880 + a2 * (-1.0 / 39916800 +
                    a2 * (1.0 / 6227020800.0 + a2 * (-1.0 / 1307674368000.0 + a2 * (1.0 / 355687428096000.0))))))));
  const double ca =
      1.0 + a2 * (-0.5 + a2 * (1.0 / 24 + a2 * (-1.0 / 720 + a2 * (1.0 / 40320 + a2 * (-1.0 / 3628800 +
                  a2 * (1.0 / 479001600.0 + a2 * (-1.0 / 87178291200.0 + a2 * (1.0 / 20922789888000.0 +
                  a2 * (-1.0 / 6402373705728000.0)))))))));
  const bool odd = (qd == 1.0) | (qd == 3.0);  // compares on doubles only, so the quadrant logic vectorises too
  const double cs = odd ? sa : ca, sn = odd ? ca : sa;
  c = ((qd == 1.0) | (qd == 2.0)) ? -cs : cs;
  s = ((qd == 2.0) | (qd == 3.0)) ? -sn : sn;
}

SAMPO_CLONES void normals_lanes(std::uint64_t key, std::uint32_t sub, std::uint64_t e0, int k, double* out,
                                    int stored) {
  const auto k0 = static_cast<std::uint32_t>(key), k1 = static_cast<std::uint32_t>(key >> 32);
  double z0[kLanes], z1[kLanes];
  for (int b = 0; 2 * b < k; ++b) {
#pragma omp simd
    for (int i = 0; i < kLanes; ++i) {
      std::uint32_t w0, w1, w2, w3;
      philox_one(k0, k1, static_cast<std::uint32_t>(b), sub, e0 + static_cast<std::uint64_t>(i), w0, w1, w2, w3);
      const double r = std::sqrt(-2.0 * log_unit(uniform_of(w0, w1)));
      double c = 0, s = 0;
      sincos_turn(uniform_of(w2, w3), c, s);
      z0[i] = r * c;
      z1[i] = r * s;
    }
    const auto j = static_cast<std::size_t>(2 * b), uk = static_cast<std::size_t>(k);
    for (int i = 0; i < stored; ++i) out[static_cast<std::size_t>(i) * uk + j] = z0[i];
    if (j + 1 < uk)
      for (int i = 0; i < stored; ++i) out[static_cast<std::size_t>(i) * uk + j + 1] = z1[i];
  }
}

// One round's decisions for kLanes retry lanes (zig_retry_lanes), branch-free so that it vectorises. A separate
// function: inlined into the round loop, GCC 12 no longer if-converts it.
SAMPO_CLONES void zig_decide(const double* F, const double* X, const double* u1, const double* fz,
                                 const double* ta, const double* z, const std::uint32_t* next, std::uint32_t* w,
                                 std::int32_t* open, double* val) {
#pragma omp simd
  for (int i = 0; i < kLanes; ++i) {
    const std::uint32_t wi = w[i];
    const int L = static_cast<int>(wi & 255u);
    const double sign = (wi & 256u) ? -1.0 : 1.0;
    const std::int32_t tail = L == 0 ? 1 : 0;
    const std::int32_t wedge_ok = F[L] + u1[i] * (F[L + 1] - F[L]) < fz[i] ? 1 : 0;
    const std::uint32_t wn = next[i];
    const int Ln = static_cast<int>(wn & 255u);
    const double zn = (static_cast<double>(static_cast<std::int32_t>(wn >> 9)) + 0.5) * 0x1.0p-23 * X[Ln];
    const std::int32_t fast_n = zn < X[Ln + 1] ? 1 : 0;
    const std::int32_t tail_ok = ta[i] > 0.0 ? 1 : 0;
    const std::int32_t done = (tail & tail_ok) | ((1 - tail) & (wedge_ok | fast_n));
    const double vw = wedge_ok ? sign * z[i] : ((wn & 256u) ? -zn : zn);
    const double v = tail ? sign * ta[i] : vw;
    const std::int32_t op = open[i];
    val[i] = (op & done) ? v : val[i];
    w[i] = (op & (1 - tail) & (1 - wedge_ok)) ? wn : wi;  // a rejected wedge continues from the new try's word
    open[i] = op & (1 - done);
  }
}

// The rest of the ziggurat draws whose first try (word w: layer, sign and magnitude) missed the fast path, for up to
// kLanes entities side by side. Round t uses block t of the entity's retry stream (seed, purpose, 2^62 | e, sub),
// words a0–a3, U1 = uniform of (a0, a1), U2 = uniform of (a2, a3) (as Stream::uniform):
//  - layer 0 (the tail beyond r, Marsaglia's method): a = −log(U1)/r, b = −log(U2); accept ±(r + a) if 2b > a²,
//    else the next round samples the tail again;
//  - layer L ≥ 1 (the wedge): accept ±z if f(x_L) + U1 (f(x_{L+1}) − f(x_L)) < exp(−z²/2); else a new try from
//    the word a2: accepted if it falls in its fast region, otherwise it is the next round's w.
// log and exp are Sampo's own (log_unit, simd::exp_shifted), so the values are the same bits on every machine and
// in every clone. Each round computes every lane (done lanes keep their value); rounds go on while a lane is open
// (after round 0 about 1 % of lanes are).
SAMPO_CLONES void zig_retry_lanes(std::uint64_t key, std::uint32_t sub, const std::uint64_t* ent,
                                      const std::uint32_t* word, double* out, int n) {
  const double* const X = detail::kZigX;
  const double* const F = detail::kZigF;
  constexpr double r = detail::kZigR;
  const auto k0 = static_cast<std::uint32_t>(key), k1 = static_cast<std::uint32_t>(key >> 32);
  // Local copies (no aliasing, whole-array selects): both loops below vectorise.
  alignas(64) double h[kLanes], fz[kLanes], u1[kLanes], ta[kLanes], z[kLanes], val[kLanes];
  alignas(64) std::uint64_t e[kLanes];
  alignas(64) std::uint32_t w[kLanes], next[kLanes];
  alignas(64) std::int32_t open[kLanes];
  for (int i = 0; i < kLanes; ++i) e[i] = ent[i], w[i] = word[i], open[i] = i < n ? 1 : 0, val[i] = 0.0;
  for (std::uint32_t t = 0;; ++t) {
    std::int32_t any = 0;
    for (int i = 0; i < kLanes; ++i) any |= open[i];
    if (any == 0) break;
#pragma omp simd
    for (int i = 0; i < kLanes; ++i) {
      std::uint32_t a0, a1, a2, a3;
      philox_one(k0, k1, t, sub, kZigRetry | e[i], a0, a1, a2, a3);
      const int L = static_cast<int>(w[i] & 255u);
      const double zi = (static_cast<double>(static_cast<std::int32_t>(w[i] >> 9)) + 0.5) * 0x1.0p-23 * X[L];
      u1[i] = uniform_of(a0, a1);
      const double a = -log_unit(u1[i]) / r, b = -log_unit(uniform_of(a2, a3));
      ta[i] = b + b > a * a ? r + a : -1.0;  // the tail's value, or −1: rejected
      z[i] = zi;
      h[i] = -0.5 * zi * zi;
      next[i] = a2;
    }
    simd::exp_shifted(h, 0.0, kLanes, fz);
    zig_decide(F, X, u1, fz, ta, z, next, w, open, val);
  }
  for (int i = 0; i < n; ++i) out[i] = val[i];
}

// One group of kZigGroup entities, g·kZigGroup + j·kLanes + i for i < kLanes, j < 4: the kLanes Philox blocks
// (block 0 of entity kQuadStream | (g·kLanes + i)) side by side, then every word's fast-path ziggurat try
// vectorised; the rare misses (≈ 1.5 %) are finished by zig_retry_lanes afterwards. `miss[k]` flags entity k's miss.
SAMPO_CLONES void zig_lanes(std::uint64_t key, std::uint32_t sub, std::uint64_t g, std::uint32_t* words,
                                double* out, unsigned char* miss) {
  const double* const X = detail::kZigX;  // through a pointer: GCC 12 does not vectorise lookups in the array itself
  const auto k0 = static_cast<std::uint32_t>(key), k1 = static_cast<std::uint32_t>(key >> 32);
#pragma omp simd
  for (int i = 0; i < kLanes; ++i)
    philox_one(k0, k1, 0, sub, kQuadStream | (g * kLanes + static_cast<std::uint64_t>(i)), words[i],
               words[kLanes + i], words[2 * kLanes + i], words[3 * kLanes + i]);
#pragma omp simd
  for (int k = 0; k < kZigGroup; ++k) {
    const std::uint32_t w = words[k];
    const int L = static_cast<int>(w & 255u);  // a signed index: the gathers take signed 32-bit indices
    // 23-bit magnitude m → u = (m + 1/2)·2^−23 in (0, 1), exactly (an int32 → double conversion).
    const double m = static_cast<double>(static_cast<std::int32_t>(w >> 9));
    const double z = (m + 0.5) * 0x1.0p-23 * X[L];
    miss[k] = z < X[L + 1] ? 0 : 1;
    out[k] = (w & 256u) ? -z : z;
  }
}

SAMPO_CLONES void blocks_lanes(std::uint64_t key, std::uint32_t block, std::uint32_t sub, std::uint64_t e0,
                                   std::uint32_t* words, int stored) {
  const auto k0 = static_cast<std::uint32_t>(key), k1 = static_cast<std::uint32_t>(key >> 32);
  for (int i = 0; i < stored; ++i)
    philox_one(k0, k1, block, sub, e0 + static_cast<std::uint64_t>(i), words[4 * i], words[4 * i + 1],
               words[4 * i + 2], words[4 * i + 3]);
}

}  // namespace

void normals(std::uint64_t seed, std::uint32_t purpose, std::uint64_t first, std::uint32_t substream,
             std::size_t count, int k, double* out) noexcept {
  const std::uint64_t key = stream_key(seed, purpose);
  for (std::size_t i = 0; i < count; i += kLanes) {
    const int stored = static_cast<int>(std::min<std::size_t>(kLanes, count - i));
    normals_lanes(key, substream, first + i, k, out + i * static_cast<std::size_t>(k), stored);
  }
}

void normals_ziggurat(std::uint64_t seed, std::uint32_t purpose, std::uint64_t first, std::uint32_t substream,
                      std::size_t count, double* out) noexcept {
  const std::uint64_t key = stream_key(seed, purpose), end = first + count;
  alignas(64) std::uint32_t words[kZigGroup];
  alignas(64) double tmp[kZigGroup];
  unsigned char miss[kZigGroup];
  // Misses wait here until a batch of kLanes (or the end of a partial group or of the call) finishes them together.
  alignas(64) std::uint64_t ment[kLanes];
  alignas(64) std::uint32_t mword[kLanes];
  alignas(64) double mval[kLanes];
  double* mdst[kLanes];
  int nm = 0;
  auto flush = [&] {
    if (nm == 0) return;
    for (int i = nm; i < kLanes; ++i) ment[i] = ment[0], mword[i] = mword[0];  // padding lanes: any valid input
    zig_retry_lanes(key, substream, ment, mword, mval, nm);
    for (int i = 0; i < nm; ++i) *mdst[i] = mval[i];
    nm = 0;
  };
  for (std::uint64_t e = first; e < end;) {
    const std::uint64_t g = e / kZigGroup, base = g * kZigGroup;
    const std::uint64_t stop = std::min(end, base + kZigGroup);
    const bool whole = e == base && stop == base + kZigGroup;  // aligned and whole: straight into out
    double* z = whole ? out + (e - first) : tmp;
    zig_lanes(key, substream, g, words, z, miss);
    for (int q = 0; q < kZigGroup; q += 8) {  // eight flags at a time: a miss is rare (≈ 1 per group)
      std::uint64_t flags = 0;
      std::memcpy(&flags, miss + q, 8);
      while (flags != 0) {
        const int k = q + std::countr_zero(flags) / 8;
        flags &= flags - 1;  // the flag byte is 1: clears it
        if (static_cast<std::uint64_t>(k) < e - base || static_cast<std::uint64_t>(k) >= stop - base) continue;
        ment[nm] = base + static_cast<std::uint64_t>(k), mword[nm] = words[k], mdst[nm] = z + k;
        if (++nm == kLanes) flush();
      }
    }
    if (!whole) {
      flush();
      std::copy(tmp + (e - base), tmp + (stop - base), out + (e - first));
    }
    e = stop;
  }
  flush();
}

void philox_blocks(std::uint64_t seed, std::uint32_t purpose, std::uint64_t first, std::uint32_t substream,
                   std::uint32_t block, std::size_t count, std::uint32_t* words) noexcept {
  const std::uint64_t key = stream_key(seed, purpose);
  for (std::size_t i = 0; i < count; i += kLanes) {
    const int stored = static_cast<int>(std::min<std::size_t>(kLanes, count - i));
    blocks_lanes(key, block, substream, first + i, words + 4 * i, stored);
  }
}

}  // namespace sampo::rng
