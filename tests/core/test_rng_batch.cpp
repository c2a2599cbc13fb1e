// Batched normals (rng::normals, rng::normals_ziggurat, rng::philox_blocks): the same Philox words as rng::Stream, Box–Muller values equal
// to the stream's up to the last bits of log/cos/sin, values independent of how the entities are batched, and the
// standard normal law (moments and a χ² test on equiprobable bins).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/rng/batch.hpp"
#include "core/rng/stream.hpp"
#include "core/rng/ziggurat_tables.hpp"

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

namespace {
namespace zig = sampo::rng::detail;

// The ziggurat normal of entity e from its definition (batch.hpp), written independently of batch.cpp: the fast
// path bit for bit; a miss finished with libm's log and exp (batch.cpp uses its own), so only to 1e-13.
double ziggurat_reference(std::uint64_t seed, std::uint32_t purpose, std::uint64_t e, std::uint32_t sub,
                          bool& fast) {
  const std::uint64_t g = e / 64, i = e % 16, j = (e / 16) % 4;
  Stream blk(seed, purpose, (3ULL << 62) | (16 * g + i), sub);
  std::uint32_t w = 0;
  for (std::uint64_t c = 0; c <= j; ++c) w = blk.next_u32();
  auto value = [](std::uint32_t word) {
    return (static_cast<double>(word >> 9) + 0.5) * 0x1.0p-23 * zig::kZigX[word & 255u];
  };
  auto sign = [](std::uint32_t word) { return (word & 256u) ? -1.0 : 1.0; };
  fast = value(w) < zig::kZigX[(w & 255u) + 1];
  if (fast) return sign(w) * value(w);
  Stream retry(seed, purpose, (1ULL << 62) | e, sub);  // round t reads its block t: four words
  for (;;) {
    const double u1 = retry.uniform(), u2 = retry.uniform();  // words 0–1 and 2–3 of the round's block
    const std::uint32_t L = w & 255u;
    if (L == 0) {
      const double a = -std::log(u1) / zig::kZigR, b = -std::log(u2);
      if (2 * b > a * a) return sign(w) * (zig::kZigR + a);
      continue;
    }
    const double z = value(w);
    if (zig::kZigF[L] + u1 * (zig::kZigF[L + 1] - zig::kZigF[L]) < std::exp(-0.5 * z * z)) return sign(w) * z;
    auto pos = retry.position();  // the new try's word is word 2 of this round's block
    retry.set_position({pos.block, 2});
    w = retry.next_u32();
    retry.set_position(pos);
    if (value(w) < zig::kZigX[(w & 255u) + 1]) return sign(w) * value(w);
  }
}

std::vector<double> normal_quantiles(int bins) {  // Φ^{-1}(k/bins), k = 1 … bins − 1, by bisection on erfc
  std::vector<double> edges;
  for (int k = 1; k < bins; ++k) {
    double lo = -10, hi = 10;
    for (int it = 0; it < 200; ++it) {
      const double mid = 0.5 * (lo + hi);
      (0.5 * std::erfc(-mid / std::sqrt(2.0)) < static_cast<double>(k) / bins ? lo : hi) = mid;
    }
    edges.push_back(0.5 * (lo + hi));
  }
  return edges;
}
}  // namespace

TEST(RngBatch, ZigguratTablesAreTheLayersOfTheNormalDensity) {
  // Every layer has the same area v = x_0·f(r) (the base layer, its tail included), x_L (f(x_{L+1}) − f(x_L)) = v,
  // and the tail beyond r has area v − r f(r): to 1e-12 relative (the tables are doubles rounded from 60 digits;
  // the recursion's differences lose a few digits near the top). f(x_L) = exp(−x_L²/2) to 1e-15 relative.
  const double r = zig::kZigR, v = zig::kZigX[0] * zig::kZigF[1];
  EXPECT_EQ(zig::kZigX[1], r);
  EXPECT_EQ(zig::kZigX[256], 0.0);
  EXPECT_EQ(zig::kZigF[256], 1.0);
  EXPECT_NEAR(v - r * std::exp(-0.5 * r * r), std::sqrt(M_PI / 2) * std::erfc(r / std::sqrt(2.0)), 1e-12 * v);
  for (int L = 0; L <= 256; ++L)
    EXPECT_NEAR(zig::kZigF[L], std::exp(-0.5 * zig::kZigX[L] * zig::kZigX[L]), 1e-15 * zig::kZigF[L]) << L;
  for (int L = 1; L < 256; ++L) {
    EXPECT_GT(zig::kZigX[L], zig::kZigX[L + 1]);
    EXPECT_NEAR(zig::kZigX[L] * (zig::kZigF[L + 1] - zig::kZigF[L]), v, 1e-12 * v) << "layer " << L;
  }
}

TEST(RngBatch, ZigguratNormalsFollowTheirDefinitionAndDoNotDependOnTheCallRange) {
  // Entities from an odd start straddling 2^32 (the counter's high word) and group boundaries: every value equals
  // the reference (fast path: bitwise; a miss: to 1e-13, the reference's libm log/exp against Sampo's own), and the
  // values do not depend on how the range is split into calls (bitwise).
  const std::size_t n = 20011;
  const std::uint64_t first = (1ULL << 32) - 4093;
  std::vector<double> z(n);
  sampo::rng::normals_ziggurat(5, sampo::rng::purpose_test, first, 6, n, z.data());
  std::size_t misses = 0;
  for (std::size_t k = 0; k < n; ++k) {
    bool fast = true;
    const double ref = ziggurat_reference(5, sampo::rng::purpose_test, first + k, 6, fast);
    if (fast) {
      ASSERT_EQ(z[k], ref) << "entity " << first + k;
    } else {
      ASSERT_NEAR(z[k], ref, 1e-13 * (1 + std::abs(ref))) << "entity " << first + k;
      ++misses;
    }
  }
  // The miss rate is 1 − Σ x_{L+1}/x_L / 256 = 1.49 %: 298 expected; 5 standard deviations.
  EXPECT_NEAR(static_cast<double>(misses), 0.01492 * n, 5 * std::sqrt(0.01492 * n));
  std::vector<double> parts(n);
  std::size_t done = 0;
  for (std::size_t len : {1UL, 2UL, 63UL, 64UL, 65UL, 128UL, 255UL, 1000UL, 18433UL}) {
    sampo::rng::normals_ziggurat(5, sampo::rng::purpose_test, first + done, 6, len, parts.data() + done);
    done += len;
  }
  ASSERT_EQ(done, n);
  EXPECT_EQ(parts, z);
}

TEST(RngBatch, ZigguratNormalsHaveTheNormalLaw) {
  // 4·10^6 draws (seed fixed, so the statistics are the same on every run): mean, variance and E z^4 = 3 within 5
  // standard errors; the products of entities that share a Philox block (e and e + 16) within 5 standard errors of 0;
  // χ² on 200 equiprobable bins (df 199, 0.9999 quantile 281.9); Kolmogorov–Smirnov √n·D < 1.95 (p = 0.001); the
  // mass beyond the base radius r (the tail branch) and beyond 4.5 within 5 standard deviations of n·erfc(x/√2).
  const std::size_t n = 4000000;
  std::vector<double> z(n);
  sampo::rng::normals_ziggurat(12, sampo::rng::purpose_test, 0, 1, n, z.data());
  double m = 0, v = 0, q = 0, c = 0;
  for (double x : z) m += x, v += x * x, q += x * x * x * x;
  std::size_t pairs = 0;
  for (std::size_t e = 0; e + 16 < n; ++e)
    if ((e / 16) % 4 != 3) c += z[e] * z[e + 16], ++pairs;
  const double dn = static_cast<double>(n);
  m /= dn, v = v / dn - m * m, q /= dn, c /= static_cast<double>(pairs);
  EXPECT_LT(std::abs(m), 5 / std::sqrt(dn));
  EXPECT_LT(std::abs(v - 1), 5 * std::sqrt(2.0 / dn));
  EXPECT_LT(std::abs(q - 3), 5 * std::sqrt(96.0 / dn));
  EXPECT_LT(std::abs(c), 5 / std::sqrt(static_cast<double>(pairs)));
  const auto edges = normal_quantiles(200);
  std::vector<double> cnt(200, 0);
  double beyond_r = 0, beyond_45 = 0;
  for (double x : z) {
    cnt[static_cast<std::size_t>(std::upper_bound(edges.begin(), edges.end(), x) - edges.begin())] += 1;
    beyond_r += std::abs(x) > zig::kZigR;
    beyond_45 += std::abs(x) > 4.5;
  }
  double chi2 = 0;
  for (double o : cnt) chi2 += (o - dn / 200) * (o - dn / 200) / (dn / 200);
  EXPECT_LT(chi2, 281.9);
  std::sort(z.begin(), z.end());
  double d = 0;
  for (std::size_t k = 0; k < n; k += 7) {  // every 7th order statistic: D to within 7/n
    const double F = 0.5 * std::erfc(-z[k] / std::sqrt(2.0));
    d = std::max({d, std::abs(F - static_cast<double>(k) / dn), std::abs(F - static_cast<double>(k + 1) / dn)});
  }
  EXPECT_LT(std::sqrt(dn) * d, 1.95);
  for (auto [count, x] : {std::pair{beyond_r, zig::kZigR}, std::pair{beyond_45, 4.5}}) {
    const double p = std::erfc(x / std::sqrt(2.0));
    EXPECT_LT(std::abs(count - dn * p), 5 * std::sqrt(dn * p)) << "beyond " << x;
  }
}

TEST(RngBatch, ZigguratTailBeyondTheBaseRadiusIsTheNormalTail) {
  // The tail branch (|z| > r, probability 2.6e-4) is rare in the law test above; here 3.2·10^7 draws give ~8 300
  // tail values, whose mean excess over r must be that of the normal tail, λ − r with λ = φ(r)/Q(r) (Mills ratio),
  // within 5 standard errors (the truncated normal's variance 1 + rλ − λ²). An accept-all tail (r + Exp(r)) is off by
  // 7 standard errors.
  const double r = zig::kZigR;
  const double Q = 0.5 * std::erfc(r / std::sqrt(2.0)), lambda = std::exp(-0.5 * r * r) / std::sqrt(2 * M_PI) / Q;
  const double mean = lambda - r, sd = std::sqrt(1 + r * lambda - lambda * lambda);
  const std::size_t chunk = 1 << 20, chunks = 32;
  std::vector<double> z(chunk);
  double sum = 0, count = 0;
  for (std::size_t c = 0; c < chunks; ++c) {
    sampo::rng::normals_ziggurat(13, sampo::rng::purpose_test, c * chunk, 2, chunk, z.data());
    for (double x : z)
      if (std::abs(x) > r) sum += std::abs(x) - r, count += 1;
  }
  const double n = static_cast<double>(chunk * chunks);
  EXPECT_LT(std::abs(count - n * 2 * Q), 5 * std::sqrt(n * 2 * Q));
  EXPECT_LT(std::abs(sum / count - mean), 5 * sd / std::sqrt(count)) << "mean excess " << sum / count;
}
