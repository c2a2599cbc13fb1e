// Batched normals: SIMD Philox4x32-10 and a branch-free Box–Muller (see batch.hpp for the definition).
// Compiled with -O3 -ffp-contract=off (src/core/CMakeLists.txt): the loops over kLanes lanes vectorise, and no
// multiply–add is fused in any clone, so every clone (AVX-512, AVX2, baseline) computes the same bits.
#include "core/rng/batch.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include "core/rng/stream.hpp"

namespace sampo::rng {
namespace {

constexpr int kLanes = 16;  // entities computed side by side
constexpr std::uint64_t kPairStream = std::uint64_t{1} << 63;  // entity bit of normals_paired's pair streams
constexpr std::uint32_t kM0 = 0xD2511F53U, kM1 = 0xCD9E8D57U;  // Philox4x32 multipliers (Salmon et al. 2011)
constexpr std::uint32_t kW0 = 0x9E3779B9U, kW1 = 0xBB67AE85U;  // its Weyl key increments

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
#define SAMPO_RNG_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define SAMPO_RNG_CLONES
#endif

std::uint64_t stream_key(std::uint64_t seed, std::uint32_t purpose) {
  return splitmix64(seed ^ splitmix64(0x5a3bULL + purpose));  // as rng::Stream's constructor
}

// One Philox4x32-10 block (block, sub, entity) under key: Random123's rounds (multiply, xor with the key, key
// bumped by the Weyl constants between rounds), written on scalars so that a loop over entities vectorises.
[[gnu::always_inline]] inline void philox_one(std::uint32_t k0, std::uint32_t k1, std::uint32_t block, std::uint32_t sub, std::uint64_t e,
                       std::uint32_t& w0, std::uint32_t& w1, std::uint32_t& w2, std::uint32_t& w3) {
  std::uint32_t x0 = block, x1 = sub, x2 = static_cast<std::uint32_t>(e), x3 = static_cast<std::uint32_t>(e >> 32);
  auto round = [&](std::uint32_t r) {  // written out ten times below: a loop here would keep the caller scalar
    const std::uint64_t p0 = static_cast<std::uint64_t>(kM0) * x0;
    const std::uint64_t p1 = static_cast<std::uint64_t>(kM1) * x2;
    x0 = static_cast<std::uint32_t>(p1 >> 32) ^ x1 ^ (k0 + r * kW0);
    x2 = static_cast<std::uint32_t>(p0 >> 32) ^ x3 ^ (k1 + r * kW1);
    x1 = static_cast<std::uint32_t>(p1);
    x3 = static_cast<std::uint32_t>(p0);
  };
  round(0), round(1), round(2), round(3), round(4), round(5), round(6), round(7), round(8), round(9);
  w0 = x0, w1 = x1, w2 = x2, w3 = x3;
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

SAMPO_RNG_CLONES void normals_lanes(std::uint64_t key, std::uint32_t sub, std::uint64_t e0, int k, double* out,
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

// kLanes Box–Muller pairs (pair streams m0 … m0 + kLanes − 1): out[2i] = r cos φ, out[2i + 1] = r sin φ of pair m0 + i.
SAMPO_RNG_CLONES void pairs_lanes(std::uint64_t key, std::uint32_t sub, std::uint64_t m0, double* out) {
  const auto k0 = static_cast<std::uint32_t>(key), k1 = static_cast<std::uint32_t>(key >> 32);
  double z0[kLanes], z1[kLanes];
#pragma omp simd
  for (int i = 0; i < kLanes; ++i) {
    std::uint32_t w0, w1, w2, w3;
    philox_one(k0, k1, 0, sub, kPairStream | (m0 + static_cast<std::uint64_t>(i)), w0, w1, w2, w3);
    const double r = std::sqrt(-2.0 * log_unit(uniform_of(w0, w1)));
    double c = 0, s = 0;
    sincos_turn(uniform_of(w2, w3), c, s);
    z0[i] = r * c;
    z1[i] = r * s;
  }
  for (int i = 0; i < kLanes; ++i) out[2 * i] = z0[i], out[2 * i + 1] = z1[i];
}

SAMPO_RNG_CLONES void blocks_lanes(std::uint64_t key, std::uint32_t block, std::uint32_t sub, std::uint64_t e0,
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

void normals_paired(std::uint64_t seed, std::uint32_t purpose, std::uint64_t first, std::uint32_t substream,
                    std::size_t count, double* out) noexcept {
  const std::uint64_t key = stream_key(seed, purpose), end = first + count;
  constexpr std::uint64_t span = 2 * kLanes;  // entities per pairs_lanes call
  double tmp[span];
  for (std::uint64_t e = first; e < end;) {
    const std::uint64_t m0 = e >> 1;
    if ((e & 1) == 0 && end - e >= span) {  // aligned and whole: straight into out
      pairs_lanes(key, substream, m0, out + (e - first));
      e += span;
      continue;
    }
    pairs_lanes(key, substream, m0, tmp);
    const std::uint64_t stop = std::min(end, 2 * m0 + span);
    std::copy(tmp + (e - 2 * m0), tmp + (stop - 2 * m0), out + (e - first));
    e = stop;
  }
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
