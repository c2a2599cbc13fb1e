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

}  // namespace

void exp_shifted(const double* x, double shift, std::size_t n, double* out) noexcept {
  exp_shifted_kernel(x, shift, n, out);
}

}  // namespace sampo::simd
