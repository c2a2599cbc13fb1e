// Deterministic SIMD exp (simd::exp_shifted): accuracy against libm, the documented edge cases, and values that do
// not depend on how an array is split into calls.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "core/simd/vmath.hpp"

TEST(Simd, ExpShiftedMatchesLibm) {
  // 10^6 arguments over the whole normal range: relative error ≤ 4.5e-16 (≤ 2 ulp; libm's exp is < 1 ulp, so the
  // two may differ by 2 ulp at most where both are within their bounds).
  const std::size_t n = 1000000;
  std::vector<double> x(n), y(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = -708.0 + 1417.0 * static_cast<double>(i) / n + 1e-7 * static_cast<double>(i % 13);
  sampo::simd::exp_shifted(x.data(), 0.0, n, y.data());
  double worst = 0;
  for (std::size_t i = 0; i < n; ++i) worst = std::max(worst, std::abs(y[i] - std::exp(x[i])) / std::exp(x[i]));
  EXPECT_LE(worst, 4.5e-16);
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
