// Deterministic SIMD exp (simd::exp_shifted): accuracy against libm, the documented edge cases, and values that do
// not depend on how an array is split into calls.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cmath>
#include <complex>
#include <limits>
#include <numbers>
#include <random>
#include <vector>

#include "core/simd/vmath.hpp"

TEST(Simd, ExpShiftedIsWithinItsErrorBound) {
  // Against long double (64-bit significand, exact to ~1e-19 here): the table-driven exp's analysis gives ≤ 1.3e-16
  // relative (the final rounding of T_hi + (T_hi·q + T_lo), at most 2^−53 relative, plus ≲ 2e-17 from q and the
  // small terms); 4·10^6 arguments over the normal range, random and near the 16-way reduction's boundaries.
  const std::size_t n = 4000000;
  std::vector<double> x(n), y(n);
  std::uint64_t s = 12345;
  for (std::size_t i = 0; i < n; ++i) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    const double u = static_cast<double>(s >> 11) * 0x1p-53;
    x[i] = i % 2 ? -708.0 + 1417.0 * u : std::ldexp(std::log(2.0), -5) * (static_cast<double>(i % 60000) - 30000.0) + (u - 0.5) * 1e-12;
  }
  sampo::simd::exp_shifted(x.data(), 0.0, n, y.data());
  double worst = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const long double e = std::exp(static_cast<long double>(x[i]));
    worst = std::max(worst, static_cast<double>(std::fabs((static_cast<long double>(y[i]) - e) / e)));
  }
  EXPECT_LE(worst, 1.3e-16);
}

TEST(Simd, ExpShiftedKernelsGiveTheSameBits) {
  // The AVX-512 kernel (where the CPU has it) and the portable clones: the same operations, so the same bits,
  // including −∞, the cut-off at −708.39, the largest argument and a NaN.
  std::vector<double> x;
  for (int i = 0; i < 200003; ++i) x.push_back(-709.0 + 1418.0 * i / 200003.0);
  for (double v : {-std::numeric_limits<double>::infinity(), -708.39, -708.3899999, 709.0, 0.0, -0.0})
    x.push_back(v);
  x.push_back(std::numeric_limits<double>::quiet_NaN());
  std::vector<double> a(x.size()), b(x.size());
  sampo::simd::exp_shifted(x.data(), 0.25, x.size(), a.data());
  sampo::simd::detail::exp_shifted_portable(x.data(), 0.25, x.size(), b.data());
  for (std::size_t i = 0; i < x.size(); ++i)
    ASSERT_EQ(std::bit_cast<std::uint64_t>(a[i]), std::bit_cast<std::uint64_t>(b[i])) << "x = " << x[i];
}

TEST(Simd, ExpShiftedMatchesLibm) {
  // 10^6 arguments over the whole normal range: relative error ≤ 3.5e-16 against libm (libm's exp is < 1 ulp,
  // ≤ 2.2e-16, and Sampo's within 1.3e-16).
  const std::size_t n = 1000000;
  std::vector<double> x(n), y(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = -708.0 + 1417.0 * static_cast<double>(i) / n + 1e-7 * static_cast<double>(i % 13);
  sampo::simd::exp_shifted(x.data(), 0.0, n, y.data());
  double worst = 0;
  for (std::size_t i = 0; i < n; ++i) worst = std::max(worst, std::abs(y[i] - std::exp(x[i])) / std::exp(x[i]));
  EXPECT_LE(worst, 3.5e-16);
  // The shift is subtracted first: exp(x − s).
  std::vector<double> z(n);
  sampo::simd::exp_shifted(x.data(), 3.0, n, z.data());
  for (std::size_t i = 0; i < n; i += 997) {
    if (x[i] - 3.0 < -708.39) {
      EXPECT_EQ(z[i], 0.0);  // the documented cut-off below the normal range
    } else {
      EXPECT_NEAR(z[i], std::exp(x[i] - 3.0), 4.5e-16 * std::exp(x[i] - 3.0));
    }
  }
}

TEST(Simd, ExpShiftedEdgeCases) {
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> x = {0.0, -inf, -708.4, -708.38, -1e300, 1.0, -1e-300};
  std::vector<double> y(x.size());
  sampo::simd::exp_shifted(x.data(), 0.0, x.size(), y.data());
  EXPECT_EQ(y[0], 1.0);  // the largest weight is exactly 1
  EXPECT_EQ(y[1], 0.0);
  EXPECT_EQ(y[2], 0.0);  // below the normal range
  EXPECT_GT(y[3], 0.0);
  EXPECT_EQ(y[4], 0.0);
  EXPECT_NEAR(y[5], std::exp(1.0), 1e-15);
  EXPECT_EQ(y[6], 1.0);
}

TEST(Simd, ExpShiftedDoesNotDependOnTheSplit) {
  const std::size_t n = 1003;
  std::vector<double> x(n), whole(n), parts(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = -0.37 * static_cast<double>(i) + 0.01 * static_cast<double>(i % 7);
  sampo::simd::exp_shifted(x.data(), 0.5, n, whole.data());
  std::size_t done = 0;
  for (std::size_t len : {1UL, 7UL, 8UL, 9UL, 64UL, 914UL}) {
    sampo::simd::exp_shifted(x.data() + done, 0.5, len, parts.data() + done);
    done += len;
  }
  ASSERT_EQ(done, n);
  EXPECT_EQ(parts, whole);
}

namespace {
// round(v·2^80) (ties to even) for v in [0, 1], from the exact binary expansion of v.
__int128_t rounded80(double v) {
  if (v == 0.0) return 0;
  int e = 0;
  const double m = std::frexp(v, &e);                       // v = m·2^e, m in [0.5, 1)
  const auto mi = static_cast<__int128_t>(std::ldexp(m, 53));  // exact 53-bit integer
  const int sh = e - 53 + 80;                               // v·2^80 = mi·2^sh
  if (sh >= 0) return mi << sh;
  if (sh <= -60) return 0;
  const __int128_t q = mi >> -sh, r = mi - (q << -sh), half = static_cast<__int128_t>(1) << (-sh - 1);
  return (r > half || (r == half && (q & 1))) ? q + 1 : q;
}
}  // namespace

TEST(Simd, Fixed80SumsAreExactAndDoNotDependOnTheGrouping) {
  // Terms spanning 1 down to 2^-90 (below the 2^-80 resolution, where rounding to nearest decides), exact ties, 1
  // and 0: the sums must equal Σ round(v·2^80) and Σ round(fl(v²)·2^80) computed from the exact expansions, and any
  // split of the array into calls gives the same integers.
  std::vector<double> v;
  std::uint64_t s = 88172645463325252ULL;
  for (int i = 0; i < 20000; ++i) {
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    const double u = static_cast<double>(s >> 11) * 0x1p-53;
    v.push_back(std::ldexp(u, -static_cast<int>(s % 90)));
  }
  v.push_back(1.0), v.push_back(0.0), v.push_back(0x1p-81), v.push_back(3 * 0x1p-81), v.push_back(0x1p-80);
  __int128_t ref1 = 0, ref2 = 0;
  for (double x : v) ref1 += rounded80(x), ref2 += rounded80(x * x);
  __int128_t a = 0, b = 0;
  sampo::simd::fixed80_sums(v.data(), v.size(), a, b);
  EXPECT_TRUE(a == ref1 && b == ref2);
  __int128_t c = 0, d = 0;
  for (std::size_t i = 0, len = 1; i < v.size(); i += len, len = len * 3 + 1)
    sampo::simd::fixed80_sums(v.data() + i, std::min(len, v.size() - i), c, d);
  EXPECT_TRUE(c == a && d == b);
  // Ties go to even: 2^-81 → 0, 3·2^-81 → 2·2^-80 (1.5 ulp rounds up to 2), 2^-80 → 1.
  __int128_t t1 = 0, t2 = 0;
  const double ties[] = {0x1p-81, 3 * 0x1p-81, 0x1p-80};
  sampo::simd::fixed80_sums(ties, 3, t1, t2);
  EXPECT_TRUE(t1 == 3);
}

TEST(Simd, Fixed80SumOfSignedTermsIsExact) {
  // Terms in [−1, 1] of both signs (the moments' scaled terms): Σ round(v·2^80), rounding symmetric in the sign.
  std::vector<double> v;
  std::uint64_t s = 0x9E3779B97F4A7C15ULL;
  __int128_t ref = 0;
  for (int i = 0; i < 20000; ++i) {
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    const double u = std::ldexp(static_cast<double>(s >> 11) * 0x1p-53, -static_cast<int>(s % 90));
    const bool neg = (s >> 7) & 1;
    v.push_back(neg ? -u : u);
    ref += neg ? -rounded80(u) : rounded80(u);
  }
  v.push_back(-1.0), v.push_back(1.0), v.push_back(-3 * 0x1p-81);
  ref += -2;  // −1 + 1 − round(1.5) = −2 (ties to even)
  __int128_t a = 0, b = 0;
  sampo::simd::fixed80_sum(v.data(), v.size(), a);
  for (std::size_t i = 0, len = 1; i < v.size(); i += len, len = 2 * len + 1)
    sampo::simd::fixed80_sum(v.data() + i, std::min(len, v.size() - i), b);
  EXPECT_TRUE(a == ref);
  EXPECT_TRUE(b == a);
}

TEST(Simd, ExpiMatchesLibm) {
  // e^{ix} against libm's cos and sin: within 2 ulp of 1 (4.5e-16) absolute over the range the polynomial serves
  // (|x| < expi_max: the reduction's first two products stay exact), within 4 ulp relative for the sine of small
  // angles, and beyond the range (libm itself) equal to libm.
  std::mt19937_64 gen(7);
  std::vector<double> x(100000);
  std::vector<std::complex<double>> e(x.size());
  for (double range : {1e-6, 1e-3, 0.5, 3.0, 100.0, 1e4, 0.99 * sampo::simd::expi_max}) {
    std::uniform_real_distribution<double> u(-range, range);
    for (auto& v : x) v = u(gen);
    sampo::simd::expi(x.data(), x.size(), e.data());
    double worst = 0.0, worst_rel_sin = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      worst = std::max({worst, std::abs(e[i].real() - std::cos(x[i])), std::abs(e[i].imag() - std::sin(x[i]))});
      if (std::abs(x[i]) < 0.5) worst_rel_sin = std::max(worst_rel_sin, std::abs(e[i].imag() / std::sin(x[i]) - 1.0));
    }
    EXPECT_LE(worst, 4.5e-16) << "|x| < " << range;
    EXPECT_LE(worst_rel_sin, 9e-16) << "|x| < " << range;
  }
  for (double v : {0.0, std::numbers::pi / 2, std::numbers::pi, -std::numbers::pi / 2, 1.5 * std::numbers::pi}) {
    EXPECT_NEAR(sampo::simd::expi(v).real(), std::cos(v), 2.3e-16) << v;
    EXPECT_NEAR(sampo::simd::expi(v).imag(), std::sin(v), 2.3e-16) << v;
  }
  EXPECT_EQ(sampo::simd::expi(0.0), std::complex<double>(1.0, 0.0));
  for (double v : {2e6, -3.7e9, 1e300}) EXPECT_EQ(sampo::simd::expi(v), std::complex<double>(std::cos(v), std::sin(v)));
  EXPECT_TRUE(std::isnan(sampo::simd::expi(std::numeric_limits<double>::quiet_NaN()).real()));
}

TEST(Simd, ExpiArrayAndScalarGiveTheSameBits) {
  // The array version runs the clone of this CPU (AVX-512, AVX2 or baseline) on chunks of 256, the scalar one plain
  // code; compiled without contraction they must agree bit for bit, for any length and any chunk a value falls in
  // (a chunk holding one out-of-range value goes to libm as a whole).
  std::mt19937_64 gen(11);
  std::uniform_real_distribution<double> u(-50.0, 50.0);
  for (std::size_t n : {1u, 7u, 255u, 256u, 257u, 1000u}) {
    std::vector<double> x(n);
    for (auto& v : x) v = u(gen);
    if (n == 1000) x[600] = 5e6;  // chunk 2 (512–767) by libm
    std::vector<std::complex<double>> e(n);
    sampo::simd::expi(x.data(), n, e.data());
    for (std::size_t i = 0; i < n; ++i) {
      const bool libm_chunk = n == 1000 && i / 256 == 2;
      const auto ref = libm_chunk ? std::complex<double>(std::cos(x[i]), std::sin(x[i])) : sampo::simd::expi(x[i]);
      EXPECT_EQ(std::bit_cast<std::uint64_t>(e[i].real()), std::bit_cast<std::uint64_t>(ref.real())) << n << " " << i;
      EXPECT_EQ(std::bit_cast<std::uint64_t>(e[i].imag()), std::bit_cast<std::uint64_t>(ref.imag())) << n << " " << i;
    }
  }
}
