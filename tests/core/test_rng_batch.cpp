// Batched normals (rng::normals, rng::philox_blocks): the same Philox words as rng::Stream, Box–Muller values equal
// to the stream's up to the last bits of log/cos/sin, values independent of how the entities are batched, and the
// standard normal law (moments and a χ² test on equiprobable bins).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/rng/batch.hpp"
#include "core/rng/stream.hpp"

using sampo::rng::Stream;

TEST(RngBatch, PhiloxBlocksAreTheStreamsWords) {
  // Entities straddling 2^32 (the high counter word) and a count that is not a multiple of the lane width.
  const std::uint64_t first = (1ULL << 32) - 7;
  const std::size_t n = 37;
  for (std::uint32_t block : {0U, 1U, 5U}) {
    std::vector<std::uint32_t> w(4 * n);
    sampo::rng::philox_blocks(11, sampo::rng::purpose_transition, first, 9, block, n, w.data());
    for (std::size_t i = 0; i < n; ++i) {
      Stream s(11, sampo::rng::purpose_transition, first + i, 9);
      s.set_position({block, 4});
      for (int c = 0; c < 4; ++c) ASSERT_EQ(w[4 * i + c], s.next_u32()) << "entity " << i << " block " << block;
    }
  }
}

TEST(RngBatch, NormalsMatchTheStreamsBoxMullerAndDoNotDependOnBatching) {
  // Tolerance 1e-14 (1 + |z|): the same uniforms, Sampo's log and sincos (≤ 1 ulp) against libm's (≤ 1 ulp), and
  // libm's cos(2πu) rounds 2πu first (≈ 1 ulp of an argument up to 2π).
  const std::size_t n = 5000;
  for (int k : {1, 2, 3}) {
    std::vector<double> z(n * static_cast<std::size_t>(k));
    sampo::rng::normals(3, sampo::rng::purpose_test, 1000, 4, n, k, z.data());
    for (std::size_t i = 0; i < n; ++i) {
      Stream s(3, sampo::rng::purpose_test, 1000 + i, 4);
      std::vector<double> ref;
      while (ref.size() < static_cast<std::size_t>(k)) {
        const auto [a, b] = s.normal_pair();
        ref.push_back(a);
        ref.push_back(b);
      }
      for (int r = 0; r < k; ++r) {
        const double v = z[i * static_cast<std::size_t>(k) + static_cast<std::size_t>(r)];
        ASSERT_NEAR(v, ref[static_cast<std::size_t>(r)], 1e-14 * (1 + std::abs(v))) << "entity " << i << " k " << k;
      }
    }
    // Any split into calls gives the same bits (a particle's noise must not depend on its rank or thread).
    std::vector<double> parts(z.size());
    std::size_t done = 0;
    for (std::size_t len : {1UL, 3UL, 16UL, 17UL, 250UL, 4713UL}) {
      sampo::rng::normals(3, sampo::rng::purpose_test, 1000 + done, 4, len, k,
                          parts.data() + done * static_cast<std::size_t>(k));
      done += len;
    }
    ASSERT_EQ(done, n);
    EXPECT_EQ(parts, z);
  }
}

TEST(RngBatch, FirstNormalDoesNotDependOnHowManyAreDrawn) {
  // z_0 of an entity is the same number whether 1, 2 or 3 normals are drawn (k = 1 skips the sine).
  const std::size_t n = 100;
  std::vector<double> a(n), b(2 * n), c(3 * n);
  sampo::rng::normals(8, sampo::rng::purpose_test, 40, 2, n, 1, a.data());
  sampo::rng::normals(8, sampo::rng::purpose_test, 40, 2, n, 2, b.data());
  sampo::rng::normals(8, sampo::rng::purpose_test, 40, 2, n, 3, c.data());
  for (std::size_t i = 0; i < n; ++i) {
    ASSERT_EQ(a[i], b[2 * i]);
    ASSERT_EQ(a[i], c[3 * i]);
    ASSERT_EQ(b[2 * i + 1], c[3 * i + 1]);
  }
}

TEST(RngBatch, StandardNormalLaw) {
  // 2·10^6 draws: mean and variance within 5 standard errors; χ² on 20 equiprobable bins (df 19: the 0.9999
  // quantile is 49.4), and the tails beyond ±4 (P = 6.33e-5) within 5 standard errors.
  const std::size_t n = 1000000;
  std::vector<double> z(2 * n);
  sampo::rng::normals(5, sampo::rng::purpose_test, 0, 0, n, 2, z.data());
  double m = 0, v = 0;
  for (double x : z) m += x;
  m /= static_cast<double>(z.size());
  for (double x : z) v += (x - m) * (x - m);
  v /= static_cast<double>(z.size() - 1);
  const double N = static_cast<double>(z.size());
  EXPECT_LT(std::abs(m), 5 / std::sqrt(N));
  EXPECT_LT(std::abs(v - 1), 5 * std::sqrt(2 / N));
  std::vector<double> edges;  // Φ^{-1}(b/20) by bisection on erfc
  for (int b = 1; b < 20; ++b) {
    double lo = -10, hi = 10;
    for (int it = 0; it < 200; ++it) {
      const double mid = 0.5 * (lo + hi);
      (0.5 * std::erfc(-mid / std::sqrt(2.0)) < b / 20.0 ? lo : hi) = mid;
    }
    edges.push_back(lo);
  }
  std::vector<double> count(20, 0);
  double tails = 0;
  for (double x : z) {
    count[static_cast<std::size_t>(std::upper_bound(edges.begin(), edges.end(), x) - edges.begin())] += 1;
    tails += std::abs(x) > 4;
  }
  double chi2 = 0;
  for (double c : count) chi2 += (c - N / 20) * (c - N / 20) / (N / 20);
  EXPECT_LT(chi2, 49.4);
  const double p4 = std::erfc(4 / std::sqrt(2.0));
  EXPECT_LT(std::abs(tails - N * p4), 5 * std::sqrt(N * p4));
}

TEST(RngBatch, PairedNormalsAreTheirPairStreamsBoxMullerAndDoNotDependOnTheCallRange) {
  // Entity e: r cos φ (e even) or r sin φ (e odd) of block 0 of the stream (seed, purpose, 2^63 | e/2, sub), the
  // same uniforms as Stream::normal_pair; tolerance 1e-14 (1 + |z|) as above.
  const std::size_t n = 3001;
  const std::uint64_t first = 77;  // odd: the first entity is the second of its pair
  std::vector<double> z(n);
  sampo::rng::normals_paired(5, sampo::rng::purpose_test, first, 6, n, z.data());
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t e = first + i;
    Stream s(5, sampo::rng::purpose_test, (1ULL << 63) | (e >> 1), 6);
    const auto [a, b] = s.normal_pair();
    const double ref = (e & 1) ? b : a;
    ASSERT_NEAR(z[i], ref, 1e-14 * (1 + std::abs(ref))) << "entity " << e;
  }
  std::vector<double> parts(n);
  std::size_t done = 0;
  for (std::size_t len : {1UL, 2UL, 31UL, 32UL, 33UL, 64UL, 255UL, 2583UL}) {
    sampo::rng::normals_paired(5, sampo::rng::purpose_test, first + done, 6, len, parts.data() + done);
    done += len;
  }
  ASSERT_EQ(done, n);
  EXPECT_EQ(parts, z);
}

TEST(RngBatch, PairedNormalsLawAndNoCorrelationWithinAPair) {
  // 2·10^6 draws: mean and variance within 5 standard errors; the lag-1 product moment (the two members of a pair
  // are r cos φ and r sin φ: independent) within 5 standard errors of 0; χ² on 20 equiprobable bins (df 19, 0.9999
  // quantile 49.4).
  const std::size_t n = 2000000;
  std::vector<double> z(n);
  sampo::rng::normals_paired(12, sampo::rng::purpose_test, 0, 1, n, z.data());
  double m = 0, v = 0, c = 0;
  for (std::size_t i = 0; i < n; ++i) m += z[i], v += z[i] * z[i];
  for (std::size_t i = 0; i + 1 < n; i += 2) c += z[i] * z[i + 1];
  m /= n, v = v / n - m * m, c /= n / 2;
  EXPECT_LT(std::abs(m), 5 / std::sqrt(n));
  EXPECT_LT(std::abs(v - 1), 5 * std::sqrt(2.0 / n));
  EXPECT_LT(std::abs(c), 5 / std::sqrt(n / 2.0));
  std::vector<double> edges;
  for (int k = 1; k < 20; ++k) {  // standard normal quantiles at k/20 by bisection on erfc
    double lo = -10, hi = 10;
    for (int it = 0; it < 200; ++it) {
      const double mid = 0.5 * (lo + hi);
      (0.5 * std::erfc(-mid / std::sqrt(2.0)) < k / 20.0 ? lo : hi) = mid;
    }
    edges.push_back(0.5 * (lo + hi));
  }
  std::vector<double> cnt(20, 0);
  for (double x : z) cnt[static_cast<std::size_t>(std::upper_bound(edges.begin(), edges.end(), x) - edges.begin())] += 1;
  double chi2 = 0;
  for (double o : cnt) chi2 += (o - n / 20.0) * (o - n / 20.0) / (n / 20.0);
  EXPECT_LT(chi2, 49.4);
}
