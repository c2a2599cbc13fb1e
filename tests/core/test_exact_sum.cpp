// numeric::ExactSum: exact cancellation, correct rounding (ties to even, sticky bits far below, subnormals, the
// overflow threshold), bitwise independence of the order and of the split into partial sums (merged, or sent as
// wire records, or restored from raw limbs), and agreement with an exact 128-bit integer reference.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "core/numeric/exact_sum.hpp"

using sampo::numeric::ExactSum;

namespace {

__extension__ typedef __int128 i128;

std::uint64_t bits(double x) { return std::bit_cast<std::uint64_t>(x); }

double sum_of(const std::vector<double>& x) {
  ExactSum s;
  for (double v : x) s.add(v);
  return s.round();
}

// Terms of wildly different magnitudes: random 53-bit significands at binary exponents over [−1074, 1000], both
// signs, and pairs that cancel exactly.
std::vector<double> wild_terms(std::mt19937_64& g, int n) {
  std::vector<double> x;
  std::uniform_int_distribution<int> ex(-1074, 1000);
  std::uniform_real_distribution<double> u(0.5, 1.0);
  for (int k = 0; k < n; ++k) {
    const double v = std::ldexp(u(g), ex(g)) * (g() & 1 ? -1.0 : 1.0);
    x.push_back(v);
    if (k % 7 == 0) x.push_back(-v);
  }
  return x;
}

}  // namespace

TEST(ExactSum, KnownCases) {
  EXPECT_EQ(sum_of({1e308, 1.0, -1e308}), 1.0);  // a plain double sum gives 0
  EXPECT_EQ(sum_of({1e100, 1.0, -1e100, 1e-300, -1e-300}), 1.0);
  EXPECT_EQ(sum_of({}), 0.0);
  EXPECT_EQ(sum_of({0.1, 0.2}), 0.1 + 0.2);  // one rounding of the exact sum: the same as the double sum here
  EXPECT_EQ(sum_of({0.1, 0.2, -0.3}), std::ldexp(1.0, -55));  // exact; the double sum gives 2^-54
  // Ties to even, and a sticky bit far below breaking the tie.
  const double e53 = std::ldexp(1.0, -53), e52 = std::ldexp(1.0, -52);
  EXPECT_EQ(sum_of({1.0, e53}), 1.0);                                   // tie, 1 is even
  EXPECT_EQ(sum_of({1.0 + e52, e53}), 1.0 + 2 * e52);                   // tie, rounds up to the even neighbour
  EXPECT_EQ(sum_of({1.0, e53, std::ldexp(1.0, -1074)}), 1.0 + e52);     // just above the tie
  EXPECT_EQ(sum_of({1.0, e53, -std::ldexp(1.0, -1074)}), 1.0);          // just below
  EXPECT_EQ(sum_of({-1.0, -e53}), -1.0);                                // symmetric for negative sums
  EXPECT_EQ(sum_of({-1.0 - e52, -e53}), -1.0 - 2 * e52);
  // Subnormals are exact; the range ends at the largest double (beyond: inf); inf or NaN terms give NaN.
  const double dmin = std::numeric_limits<double>::denorm_min(), dmax = std::numeric_limits<double>::max();
  EXPECT_EQ(sum_of({dmin, dmin, dmin}), 3 * dmin);
  EXPECT_EQ(sum_of({dmin, dmax, -dmax}), dmin);
  EXPECT_EQ(sum_of({std::numeric_limits<double>::min(), -dmin}), std::numeric_limits<double>::min() - dmin);
  EXPECT_EQ(sum_of({dmax, dmax, -dmax}), dmax);
  EXPECT_EQ(sum_of({dmax, dmax}), std::numeric_limits<double>::infinity());
  EXPECT_EQ(sum_of({-dmax, -dmax}), -std::numeric_limits<double>::infinity());
  // The exact sum dmax + half an ulp of dmax is the overflow threshold (ties to even: to inf); just below: dmax.
  const double half_ulp = std::ldexp(1.0, 970);
  EXPECT_EQ(sum_of({dmax, half_ulp}), std::numeric_limits<double>::infinity());
  EXPECT_EQ(sum_of({dmax, half_ulp, -dmin}), dmax);
  EXPECT_TRUE(std::isnan(sum_of({1.0, std::numeric_limits<double>::infinity()})));
  EXPECT_TRUE(std::isnan(sum_of({std::numeric_limits<double>::quiet_NaN()})));
  ExactSum s;
  s.add(3.0);
  s.sub(5.0);
  EXPECT_EQ(s.round(), -2.0);
}

// Against an exact reference: terms m·2^(e + shift) with m < 2^53 and e in [0, 64) have an exact sum
// 2^shift·Σ m·2^e that fits in a signed 128-bit integer for ≤ 2^9 terms; converting it to double is correctly
// rounded (to nearest, ties to even), and scaling by 2^shift is exact while the result stays normal.
TEST(ExactSum, CorrectlyRoundedAgainstInt128) {
  std::mt19937_64 g(7);
  std::uniform_int_distribution<int> ex(0, 63), cnt(1, 400);
  for (int trial = 0; trial < 400; ++trial) {
    for (int shift : {-1000, -300, 0, 200, 800}) {
      i128 exact = 0;
      ExactSum s;
      const int n = cnt(g);
      for (int k = 0; k < n; ++k) {
        const auto m = static_cast<std::int64_t>(g() >> 11);  // 53 bits
        const int e = ex(g);
        const bool neg = (g() & 3) == 0;
        exact += (neg ? -1 : 1) * (static_cast<i128>(m) << e);
        s.add((neg ? -1.0 : 1.0) * std::ldexp(static_cast<double>(m), e + shift));
      }
      const double want = std::ldexp(static_cast<double>(exact), shift);
      if (want != 0.0 && std::fabs(want) < std::numeric_limits<double>::min() * 0x1p53) continue;  // subnormal
      ASSERT_EQ(bits(s.round()), bits(want)) << "trial " << trial << " shift " << shift;
    }
  }
}

// Any order, any split into partial accumulators (merged, sent as wire records, or restored from raw limbs):
// bitwise the same double and, after normalise(), the same limbs.
TEST(ExactSum, OrderAndSplitIndependent) {
  std::mt19937_64 g(11);
  for (int trial = 0; trial < 20; ++trial) {
    auto x = wild_terms(g, 3000);
    ExactSum ref;
    for (double v : x) ref.add(v);
    ref.normalise();
    const double want = ref.round();
    for (int parts : {1, 2, 3, 7, 64}) {
      std::shuffle(x.begin(), x.end(), g);
      std::vector<ExactSum> part(static_cast<std::size_t>(parts));
      for (std::size_t k = 0; k < x.size(); ++k) part[k % part.size()].add(x[k]);
      ExactSum merged, wired, restored;
      std::vector<std::uint64_t> wire;
      for (auto& p : part) {
        merged.merge(p);
        ExactSum copy;
        copy.set_raw(p.raw(), p.nonfinite());
        restored.add(copy);
        p.append_to(wire);
      }
      for (std::size_t pos = 0; pos < wire.size();) pos += wired.add_from(wire.data() + pos);
      for (ExactSum* a : {&merged, &wired, &restored}) {
        EXPECT_EQ(bits(a->round()), bits(want)) << parts << " parts";
        a->normalise();
        EXPECT_TRUE(std::equal(a->raw().begin(), a->raw().end(), ref.raw().begin())) << parts << " parts";
      }
    }
    // Subtracting every term again leaves exactly zero.
    for (double v : x) ref.sub(v);
    EXPECT_EQ(bits(ref.round()), bits(0.0));
  }
}

// More additions than fit between normalisations (2^29 per carry pass) stay exact.
TEST(ExactSum, ManyAdditions) {
  ExactSum s;
  const double big = std::ldexp(1.0, 40) - 1.0;  // digits near 2^32 in two limbs
  const std::int64_t n = (std::int64_t{1} << 29) + 12345;
  for (std::int64_t k = 0; k < n; ++k) s.add(big);
  EXPECT_EQ(s.round(), static_cast<double>(static_cast<i128>(n) * ((std::int64_t{1} << 40) - 1)));
}

// add_times(x, n) is n additions of x (the same limbs, so the same value and rounding), including subnormals, zero
// counts and terms of mixed sign already in the sum.
TEST(ExactSum, AddTimesEqualsRepeatedAddition) {
  for (double x : {0.1, 1.0 / 3.0, 5e-324, 1e-300, 12345.678, -2.5e-7})
    for (std::uint64_t n : {0ull, 1ull, 2ull, 3ull, 1000ull, 123457ull}) {
      ExactSum a, b;
      a.add(-0.7);
      b.add(-0.7);
      a.add_times(x, n);
      for (std::uint64_t k = 0; k < n; ++k) b.add(x);
      a.normalise();
      b.normalise();
      EXPECT_TRUE(std::equal(a.raw().begin(), a.raw().end(), b.raw().begin())) << x << " x " << n;
      EXPECT_EQ(a.round(), b.round()) << x << " x " << n;
    }
}
