// Counter-based streams: known answers, determinism, position save/restore, and the laws of each draw.
#include <gtest/gtest.h>

#include <cmath>
#include <algorithm>
#include <numeric>
#include <vector>

#include "core/rng/stream.hpp"

using sampo::rng::AliasTable;
using sampo::rng::Stream;

TEST(Rng, PhiloxKnownAnswer) {
  // Random123's published known-answer vector for philox4x32-10 (zero key, zero counter).
  r123::Philox4x32 p;
  r123::Philox4x32::ctr_type c = {{0, 0, 0, 0}};
  r123::Philox4x32::key_type k = {{0, 0}};
  const auto out = p(c, k);
  EXPECT_EQ(out[0], 0x6627e8d5u);
  EXPECT_EQ(out[1], 0xe169c58du);
  EXPECT_EQ(out[2], 0xbc57ac4cu);
  EXPECT_EQ(out[3], 0x9b00dbd8u);
}

TEST(Rng, SameKeySameNumbersDifferentKeyDifferent) {
  Stream a(7, sampo::rng::purpose_test, 123), b(7, sampo::rng::purpose_test, 123);
  Stream c(7, sampo::rng::purpose_test, 124), d(8, sampo::rng::purpose_test, 123), e(7, sampo::rng::purpose_init, 123);
  Stream f(7, sampo::rng::purpose_test, 123, 1);
  int same_c = 0, same_d = 0, same_e = 0, same_f = 0;
  for (int i = 0; i < 1000; ++i) {
    const auto x = a.next_u32();
    EXPECT_EQ(x, b.next_u32());
    same_c += x == c.next_u32();
    same_d += x == d.next_u32();
    same_e += x == e.next_u32();
    same_f += x == f.next_u32();
  }
  EXPECT_LT(same_c + same_d + same_e + same_f, 4);
}

TEST(Rng, PositionSaveRestoreIsExact) {
  Stream a(1, 2, 3);
  for (int skip = 0; skip < 9; ++skip) {
    Stream s(1, 2, 3);
    for (int i = 0; i < skip; ++i) s.next_u32();
    const auto pos = s.position();
    std::vector<std::uint32_t> expect;
    for (int i = 0; i < 11; ++i) expect.push_back(s.next_u32());
    Stream r(1, 2, 3);
    r.set_position(pos);
    for (int i = 0; i < 11; ++i) EXPECT_EQ(r.next_u32(), expect[static_cast<std::size_t>(i)]) << "skip " << skip;
  }
}

TEST(Rng, UniformMoments) {
  // Mean 1/2 and variance 1/12; n = 1e6 gives standard errors 2.9e-4 and 7.5e-5: 5 sigma tolerances.
  Stream s(11, 1, 0);
  const int n = 1000000;
  double m = 0, m2 = 0, lo = 1, hi = 0;
  for (int i = 0; i < n; ++i) {
    const double u = s.uniform();
    m += u, m2 += u * u, lo = std::min(lo, u), hi = std::max(hi, u);
  }
  m /= n, m2 /= n;
  EXPECT_NEAR(m, 0.5, 5 * 2.9e-4);
  EXPECT_NEAR(m2 - m * m, 1.0 / 12, 5 * 7.5e-5);
  EXPECT_GT(lo, 0.0);
  EXPECT_LT(hi, 1.0);
}

TEST(Rng, NormalMoments) {
  // Mean 0, variance 1, kurtosis 3: n = 1e6 → standard errors 1e-3, 1.4e-3, 4.9e-3.
  Stream s(12, 1, 0);
  const int n = 1000000;
  double m = 0, m2 = 0, m4 = 0;
  for (int i = 0; i < n / 2; ++i) {
    const double x = s.normal();
    const auto [y, z] = s.normal_pair();
    for (double v : {x, y}) m += v, m2 += v * v, m4 += v * v * v * v;
    (void)z;
  }
  m /= n, m2 /= n, m4 /= n;
  EXPECT_NEAR(m, 0.0, 5e-3);
  EXPECT_NEAR(m2, 1.0, 5 * 1.4e-3);
  EXPECT_NEAR(m4, 3.0, 5 * 4.9e-3 * 2);
}

TEST(Rng, GammaAndExponentialMoments) {
  Stream s(13, 1, 0);
  for (double shape : {0.3, 1.0, 2.5, 10.0}) {
    const int n = 200000;
    double m = 0, m2 = 0;
    for (int i = 0; i < n; ++i) {
      const double g = s.gamma(shape);
      m += g, m2 += g * g;
    }
    m /= n, m2 /= n;
    // Gamma(k,1): mean k, variance k; standard error of the mean sqrt(k/n).
    EXPECT_NEAR(m, shape, 5 * std::sqrt(shape / n)) << shape;
    EXPECT_NEAR(m2 - m * m, shape, 0.05 * shape + 5 * std::sqrt(6.0 * shape / n)) << shape;
  }
  double e = 0;
  for (int i = 0; i < 200000; ++i) e += s.exponential(2.0);
  EXPECT_NEAR(e / 200000, 0.5, 5 * 0.5 / std::sqrt(200000.0));
}

TEST(Rng, PoissonLaw) {
  // χ² goodness of fit against the exact pmf on both branches (inversion below 10, PTRS above), cells with
  // expected count ≥ 20 (tail cells merged); the 1e-4 upper quantile of χ²(df ≤ 60) is below df + 6√(2 df) + 12.
  Stream s(17, 1, 3);
  for (double lam : {0.0, 0.7, 4.0, 9.99, 10.0, 37.5, 1000.0}) {
    const int n = 100000;
    std::vector<double> count(static_cast<std::size_t>(lam + 12 * std::sqrt(lam) + 40), 0.0);
    double m = 0;
    for (int i = 0; i < n; ++i) {
      const auto k = s.poisson(lam);
      ASSERT_GE(k, 0);
      m += static_cast<double>(k);
      count[std::min<std::size_t>(static_cast<std::size_t>(k), count.size() - 1)] += 1;
    }
    if (lam == 0.0) {
      EXPECT_EQ(m, 0.0);
      continue;
    }
    EXPECT_NEAR(m / n, lam, 5 * std::sqrt(lam / n)) << lam;
    double chi2 = 0, obs = 0, expct = 0, cdf = 0;
    int df = -1;
    for (std::size_t k = 0; k < count.size(); ++k) {
      const double pk = std::exp(-lam + static_cast<double>(k) * std::log(lam) - std::lgamma(static_cast<double>(k) + 1));
      const double e = (k + 1 == count.size() ? 1.0 - cdf : pk) * n;
      cdf += pk;
      obs += count[k], expct += e;
      if (expct >= 20 && (1.0 - cdf) * n >= 20) {
        chi2 += (obs - expct) * (obs - expct) / expct, ++df, obs = expct = 0;
      }
    }
    if (expct > 0) chi2 += (obs - expct) * (obs - expct) / expct, ++df;
    EXPECT_LT(chi2, df + 6 * std::sqrt(2.0 * df) + 12) << "lambda " << lam << " df " << df;
  }
}

TEST(Rng, BelowIsUniform) {
  Stream s(14, 1, 0);
  const int k = 7, n = 700000;
  std::vector<int> count(k, 0);
  for (int i = 0; i < n; ++i) count[static_cast<std::size_t>(s.below(k))]++;
  double chi2 = 0;
  for (int c : count) chi2 += (c - n / k) * (c - n / k) / static_cast<double>(n / k);
  EXPECT_LT(chi2, 22.46);  // chi-square, 6 degrees of freedom, p = 0.001
}

TEST(Rng, AliasTableLaw) {
  const std::vector<double> w = {0.1, 0.0, 3.0, 1.5, 0.4, 5.0};
  AliasTable t(w);
  Stream s(15, 1, 0);
  const int n = 1000000;
  std::vector<int> count(w.size(), 0);
  for (int i = 0; i < n; ++i) count[t.sample(s)]++;
  const double total = std::accumulate(w.begin(), w.end(), 0.0);
  double chi2 = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    const double e = n * w[i] / total;
    if (e == 0) {
      EXPECT_EQ(count[i], 0);
      continue;
    }
    chi2 += (count[i] - e) * (count[i] - e) / e;
  }
  EXPECT_LT(chi2, 20.52);  // 5 degrees of freedom, p = 0.001
}
