// Deterministic SIMD exp (see vmath.hpp). Compiled with -O3 -ffp-contract=off (src/core/CMakeLists.txt).
#include "core/simd/vmath.hpp"

#include <bit>
#include <cstdint>

namespace sampo::simd {
namespace {

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
#define SAMPO_SIMD_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define SAMPO_SIMD_CLONES
#endif

// exp(a): k = round(a / ln 2) by the 1.5·2^52 bias (k is then in the low bits of t), r = a − k ln 2 in two parts
// (ln 2's high part has 32 significant bits, so k·ln2_hi is exact for |k| < 2^21), |r| ≤ ln 2 / 2, exp(r) by its
// Taylor series to r^13 (truncation < 1e-17 relative), times 2^k built from the exponent bits.
[[gnu::always_inline]] inline double exp_one(double a) {
  constexpr double bias = 0x1.8p52;
  const double t = a * 1.44269504088896338700e+00 + bias;
  const double kd = t - bias;
  const std::int64_t k = std::bit_cast<std::int64_t>(t) - std::bit_cast<std::int64_t>(bias);
  const double r = (a - kd * 6.93147180369123816490e-01) - kd * 1.90821492927058770002e-10;
  const double p =
      1.0 + r * (1.0 + r * (1.0 / 2 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120 + r * (1.0 / 720 +
      r * (1.0 / 5040 + r * (1.0 / 40320 + r * (1.0 / 362880 + r * (1.0 / 3628800 + r * (1.0 / 39916800.0 +
      r * (1.0 / 479001600.0 + r * (1.0 / 6227020800.0)))))))))))));
  const double scale = std::bit_cast<double>(static_cast<std::uint64_t>(k + 1023) << 52);
  return a < -708.39 ? 0.0 : p * scale;  // below: k + 1023 ≤ 0 would not be a normal scale
}

SAMPO_SIMD_CLONES void exp_shifted_kernel(const double* x, double shift, std::size_t n, double* out) {
  for (std::size_t i = 0; i < n; ++i) out[i] = exp_one(x[i] - shift);
}

// round(t) for |t| ≤ 2^51 as an integer, exactly: t + 1.5·2^52 lies in [2^52, 2^53), where the ulp is 1.
[[gnu::always_inline]] inline std::int64_t round_to_int(double t, double& rounded) {
  constexpr double bias = 0x1.8p52;
  const double tb = t + bias;
  rounded = tb - bias;
  return std::bit_cast<std::int64_t>(tb) - std::bit_cast<std::int64_t>(bias);
}

// round(v·2^80) = hi·2^40 + lo with hi = round(v·2^40) and lo = round((v·2^40 − hi)·2^40): every product by a power
// of two and the difference are exact, so the pair is exactly the rounded term.
SAMPO_SIMD_CLONES void fixed80_kernel(const double* v, std::size_t n, std::int64_t* acc) {
  std::int64_t h1 = 0, l1 = 0, h2 = 0, l2 = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double x = v[i], x2 = x * x;
    double r1 = 0, r2 = 0;
    const double t1 = x * 0x1p40, t2 = x2 * 0x1p40;
    h1 += round_to_int(t1, r1);
    h2 += round_to_int(t2, r2);
    double unused = 0;
    l1 += round_to_int((t1 - r1) * 0x1p40, unused);
    l2 += round_to_int((t2 - r2) * 0x1p40, unused);
  }
  acc[0] = h1, acc[1] = l1, acc[2] = h2, acc[3] = l2;
}

SAMPO_SIMD_CLONES void fixed80_one_kernel(const double* v, std::size_t n, std::int64_t* acc) {
  std::int64_t h = 0, l = 0;
  for (std::size_t i = 0; i < n; ++i) {
    double r = 0, unused = 0;
    const double t = v[i] * 0x1p40;
    h += round_to_int(t, r);
    l += round_to_int((t - r) * 0x1p40, unused);
  }
  acc[0] = h, acc[1] = l;
}

}  // namespace

void fixed80_sum(const double* v, std::size_t n, __int128_t& sum) noexcept {
  std::int64_t acc[2];
  fixed80_one_kernel(v, n, acc);
  sum += static_cast<__int128_t>(acc[0]) * (static_cast<__int128_t>(1) << 40) + acc[1];
}

void fixed80_sums(const double* v, std::size_t n, __int128_t& sum, __int128_t& sum_sq) noexcept {
  std::int64_t acc[4];
  fixed80_kernel(v, n, acc);
  constexpr auto two40 = static_cast<__int128_t>(1) << 40;
  sum += static_cast<__int128_t>(acc[0]) * two40 + acc[1];
  sum_sq += static_cast<__int128_t>(acc[2]) * two40 + acc[3];
}

void exp_shifted(const double* x, double shift, std::size_t n, double* out) noexcept {
  exp_shifted_kernel(x, shift, n, out);
}

}  // namespace sampo::simd
