// Deterministic SIMD exp and e^{ix} (see vmath.hpp). Compiled with -O3 -ffp-contract=off (src/core/CMakeLists.txt).
#include "core/simd/vmath.hpp"
#include "core/simd/clones.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>

#include <immintrin.h>

namespace sampo::simd {
namespace {

// exp(a) = 2^K · 2^(j/16) · exp(r): k = round(a·16/ln 2) by the 1.5·2^52 bias (k is then in the low bits of t),
// K = ⌊k/16⌋, j = k mod 16, r = a − k·ln2/16 in two parts (ln 2's high part has 32 significant bits, so k·ln2_hi/16 is
// exact for |k| < 2^21), |r| ≤ ln 2/32. 2^(j/16) = T_hi + T_lo from two 16-entry tables (tools/gen_exp_tables.py:
// T_hi the double nearest, T_lo the rest), exp(r) − 1 = q by its Taylor series to r^7 (truncation < 1.3e-18), and
// exp(a) = 2^K·(T_hi + (T_hi·q + T_lo)): within 1.2e-16 relative of the exact value (measured against long double).
// Every path below does these operations in this order, without fused multiply–adds: the same bits everywhere.
alignas(64) constexpr double kExp2Hi[16] = {
    0x1.0000000000000p+0, 0x1.0b5586cf9890fp+0, 0x1.172b83c7d517bp+0, 0x1.2387a6e756238p+0, 0x1.306fe0a31b715p+0,
    0x1.3dea64c123422p+0, 0x1.4bfdad5362a27p+0, 0x1.5ab07dd485429p+0, 0x1.6a09e667f3bcdp+0, 0x1.7a11473eb0187p+0,
    0x1.8ace5422aa0dbp+0, 0x1.9c49182a3f090p+0, 0x1.ae89f995ad3adp+0, 0x1.c199bdd85529cp+0, 0x1.d5818dcfba487p+0,
    0x1.ea4afa2a490dap+0};
alignas(64) constexpr double kExp2Lo[16] = {
    0x0.0p+0, 0x1.8a62e4adc610bp-54, -0x1.19041b9d78a76p-55, 0x1.9b07eb6c70573p-54, 0x1.6f46ad23182e4p-55,
    0x1.ada0911f09ebcp-55, 0x1.d4397afec42e2p-56, 0x1.6324c054647adp-54, -0x1.bdd3413b26456p-54,
    -0x1.41577ee04992fp-55, 0x1.6e9f156864b27p-54, 0x1.c7c46b071f2bep-56, 0x1.7a1cd345dcc81p-54,
    0x1.11065895048ddp-55, 0x1.2ed02d75b3707p-55, -0x1.e9c23179c2893p-54};
constexpr double kBias = 0x1.8p52;
constexpr double kSixteenOverLn2 = 16 * 1.44269504088896338700e+00;  // (×16 is exact)
constexpr double kLn2HiOver16 = 6.93147180369123816490e-01 / 16, kLn2LoOver16 = 1.90821492927058770002e-10 / 16;
constexpr double kUnderflow = -708.39;  // below: 2^K would not be a normal double; the result is 0

[[gnu::always_inline]] inline double exp_one(double a) {
  const double t = a * kSixteenOverLn2 + kBias;
  const double kd = t - kBias;
  const std::int64_t k = std::bit_cast<std::int64_t>(t) - std::bit_cast<std::int64_t>(kBias);
  const double r = (a - kd * kLn2HiOver16) - kd * kLn2LoOver16;
  const double q = r * (1.0 + r * (1.0 / 2 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120 + r * (1.0 / 720 +
                   r * (1.0 / 5040)))))));
  const std::int64_t j = k & 15;
  const double th = kExp2Hi[j], p = th + (th * q + kExp2Lo[j]);
  const double scale = std::bit_cast<double>(static_cast<std::uint64_t>((k >> 4) + 1023) << 52);
  return a < kUnderflow ? 0.0 : p * scale;
}

// The portable kernel (the compiler's clones gather the table entries).
SAMPO_CLONES void exp_shifted_kernel(const double* x, double shift, std::size_t n, double* out) {
  for (std::size_t i = 0; i < n; ++i) out[i] = exp_one(x[i] - shift);
}

#if defined(__GNUC__) && defined(__x86_64__)
#define SAMPO_SIMD_AVX512 1
// The same operations written for AVX-512: the tables live in four registers and one two-register permute looks an
// entry up for eight lanes (a gather of eight doubles costs several times as much). 1.7× the portable kernel's
// throughput here.
__attribute__((target("avx512f"))) void exp_shifted_avx512(const double* x, double shift, std::size_t n,
                                                           double* out) {
  const __m512d h0 = _mm512_load_pd(kExp2Hi), h1 = _mm512_load_pd(kExp2Hi + 8);
  const __m512d l0 = _mm512_load_pd(kExp2Lo), l1 = _mm512_load_pd(kExp2Lo + 8);
  const __m512d bias = _mm512_set1_pd(kBias), sh = _mm512_set1_pd(shift);
  const __m512d c[7] = {_mm512_set1_pd(1.0 / 720), _mm512_set1_pd(1.0 / 120), _mm512_set1_pd(1.0 / 24),
                        _mm512_set1_pd(1.0 / 6),   _mm512_set1_pd(1.0 / 2),   _mm512_set1_pd(1.0),
                        _mm512_set1_pd(1.0 / 5040)};
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m512d a = _mm512_sub_pd(_mm512_loadu_pd(x + i), sh);
    const __m512d t = _mm512_add_pd(_mm512_mul_pd(a, _mm512_set1_pd(kSixteenOverLn2)), bias);
    const __m512d kd = _mm512_sub_pd(t, bias);
    const __m512i k = _mm512_sub_epi64(_mm512_castpd_si512(t), _mm512_castpd_si512(bias));
    const __m512d r = _mm512_sub_pd(_mm512_sub_pd(a, _mm512_mul_pd(kd, _mm512_set1_pd(kLn2HiOver16))),
                                    _mm512_mul_pd(kd, _mm512_set1_pd(kLn2LoOver16)));
    __m512d q = c[6];
    for (int d = 0; d < 6; ++d) q = _mm512_add_pd(_mm512_mul_pd(r, q), c[d]);
    q = _mm512_mul_pd(r, q);
    const __m512d th = _mm512_permutex2var_pd(h0, k, h1), tl = _mm512_permutex2var_pd(l0, k, l1);
    const __m512d p = _mm512_add_pd(th, _mm512_add_pd(_mm512_mul_pd(th, q), tl));
    // (maskz forms with every lane set: the plain shifts' undefined source trips GCC 12's -Wmaybe-uninitialized)
    const __m512i e = _mm512_maskz_slli_epi64(
        0xFF, _mm512_add_epi64(_mm512_maskz_srai_epi64(0xFF, k, 4), _mm512_set1_epi64(1023)), 52);
    const __mmask8 under = _mm512_cmp_pd_mask(a, _mm512_set1_pd(kUnderflow), _CMP_LT_OQ);
    _mm512_storeu_pd(out + i, _mm512_mask_blend_pd(under, _mm512_mul_pd(p, _mm512_castsi512_pd(e)), _mm512_setzero_pd()));
  }
  for (; i < n; ++i) out[i] = exp_one(x[i] - shift);
}
#endif

// round(t) for |t| ≤ 2^51 as an integer, exactly: t + 1.5·2^52 lies in [2^52, 2^53), where the ulp is 1.
[[gnu::always_inline]] inline std::int64_t round_to_int(double t, double& rounded) {
  constexpr double bias = 0x1.8p52;
  const double tb = t + bias;
  rounded = tb - bias;
  return std::bit_cast<std::int64_t>(tb) - std::bit_cast<std::int64_t>(bias);
}

// round(v·2^80) = hi·2^40 + lo with hi = round(v·2^40) and lo = round((v·2^40 − hi)·2^40): every product by a power
// of two and the difference are exact, so the pair is exactly the rounded term.
SAMPO_CLONES void fixed80_kernel(const double* v, std::size_t n, std::int64_t* acc) {
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

SAMPO_CLONES void fixed80_one_kernel(const double* v, std::size_t n, std::int64_t* acc) {
  std::int64_t h = 0, l = 0;
  for (std::size_t i = 0; i < n; ++i) {
    double r = 0, unused = 0;
    const double t = v[i] * 0x1p40;
    h += round_to_int(t, r);
    l += round_to_int((t - r) * 0x1p40, unused);
  }
  acc[0] = h, acc[1] = l;
}

// e^{ix} for |x| < expi_max (see vmath.hpp): returns (cos x, sin x) in c and s.
[[gnu::always_inline]] inline void expi_one(double x, double& co, double& si) {
  constexpr double two_over_pi = 0.63661977236758134308;
  constexpr double shifter = 6755399441055744.0;  // 1.5·2^52: the sum's units digit is the rounded value
  constexpr double p1 = 1.57079632673412561417e+00, p2 = 6.07710050630396597660e-11,
                   p3 = 2.02226624879595063154e-21;  // π/2 = p1 + p2 + p3 + O(1e-32)
  const double q = (x * two_over_pi + shifter) - shifter;
  const double n = q - 4.0 * ((0.25 * q + shifter) - shifter);  // q mod 4 as −2, −1, 0, 1 or 2 (exact)
  const double r = ((x - q * p1) - q * p2) - q * p3;
  const double r2 = r * r;
  // sin r = r + r³(−1/3! + r²(1/5! − …)), cos r = 1 − r²/2 + r⁴(1/4! − r²(1/6! − …)).
  const double ps = -1.0 / 6.0 +
                    r2 * (1.0 / 120.0 +
                          r2 * (-1.0 / 5040.0 +
                                r2 * (1.0 / 362880.0 +
                                      r2 * (-1.0 / 39916800.0 +
                                            r2 * (1.0 / 6227020800.0 +
                                                  r2 * (-1.0 / 1307674368000.0 + r2 * (1.0 / 355687428096000.0)))))));
  const double pc = 1.0 / 24.0 +
                    r2 * (-1.0 / 720.0 +
                          r2 * (1.0 / 40320.0 +
                                r2 * (-1.0 / 3628800.0 +
                                      r2 * (1.0 / 479001600.0 +
                                            r2 * (-1.0 / 87178291200.0 +
                                                  r2 * (1.0 / 20922789888000.0 + r2 * (-1.0 / 6402373705728000.0)))))));
  const double s = r + r * r2 * ps;
  const double c = (1.0 - 0.5 * r2) + r2 * r2 * pc;
  // i^q: q ≡ 0 (c, s), 1 (−s, c), ±2 (−c, −s), −1 (s, −c) (compares of doubles: SSE2 has no 64-bit integer compare).
  const double an = n < 0.0 ? -n : n;  // not std::abs: a clone cannot inline it under -march=native (other target)
  co = an == 0.0 ? c : an == 2.0 ? -c : n == 1.0 ? -s : s;
  si = an == 0.0 ? s : an == 2.0 ? -s : n == 1.0 ? c : -c;
}

SAMPO_CLONES void expi_kernel(const double* x, std::size_t n, double* re, double* im) {
#pragma omp simd
  for (std::size_t i = 0; i < n; ++i) expi_one(x[i], re[i], im[i]);
}

}  // namespace

std::complex<double> expi(double x) noexcept {
  if (!(std::abs(x) < expi_max)) return {std::cos(x), std::sin(x)};
  double c, s;
  expi_one(x, c, s);
  return {c, s};
}

void expi(const double* x, std::size_t n, std::complex<double>* out) noexcept {
  constexpr std::size_t chunk = 256;
  double re[chunk], im[chunk];
  for (std::size_t c0 = 0; c0 < n; c0 += chunk) {
    const std::size_t len = std::min(chunk, n - c0);
    bool in_range = true;
    for (std::size_t i = 0; i < len; ++i) in_range &= std::abs(x[c0 + i]) < expi_max;  // false for NaN too
    if (in_range) {
      expi_kernel(x + c0, len, re, im);
      for (std::size_t i = 0; i < len; ++i) out[c0 + i] = {re[i], im[i]};
    } else {
      for (std::size_t i = 0; i < len; ++i) out[c0 + i] = {std::cos(x[c0 + i]), std::sin(x[c0 + i])};
    }
  }
}

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
#ifdef SAMPO_SIMD_AVX512
  if (n >= 8 && __builtin_cpu_supports("avx512f")) {
    exp_shifted_avx512(x, shift, n, out);
    return;
  }
#endif
  exp_shifted_kernel(x, shift, n, out);
}

namespace detail {
void exp_shifted_portable(const double* x, double shift, std::size_t n, double* out) noexcept {
  exp_shifted_kernel(x, shift, n, out);
}
}  // namespace detail

}  // namespace sampo::simd
