// Gradients of every built-in against central finite differences (h = 1e-5: truncation O(h²) ~ 1e-10 times
// third derivatives, rounding ~ 1e-16/h · |lp| ~ 1e-9; tolerance 1e-6 relative to max(1, |g|)).
#include <gtest/gtest.h>

#include "mcmc/target.hpp"

using namespace sampo::mcmc;

namespace {
void check_gradient(const Target& t, std::uint64_t seed) {
  sampo::rng::Stream s(seed, sampo::rng::purpose_test, 0);
  for (int trial = 0; trial < 5; ++trial) {
    Vec q = t.initial_point(s);
    Vec g;
    t.log_density_gradient(q, g);
    ASSERT_EQ(g.size(), t.dim());
    for (int i = 0; i < t.dim(); ++i) {
      const double h = 1e-5;
      Vec a = q, b = q;
      a[i] += h;
      b[i] -= h;
      const double fd = (t.log_density(a) - t.log_density(b)) / (2 * h);
      EXPECT_NEAR(g[i], fd, 1e-6 * std::max(1.0, std::abs(fd))) << t.name() << " coordinate " << i;
    }
  }
}
}  // namespace

TEST(McmcTarget, GradientsMatchFiniteDifferences) {
  check_gradient(CorrelatedGaussian(1, 0.9), 1);
  check_gradient(CorrelatedGaussian(2, 0.9), 2);
  check_gradient(CorrelatedGaussian(7, -0.5), 3);
  check_gradient(Banana(0.03), 4);
  check_gradient(Mixture(1), 5);
  check_gradient(Mixture(3), 6);
  check_gradient(EightSchools(true), 7);
  check_gradient(EightSchools(false), 8);
}

TEST(McmcTarget, CorrelatedGaussianDensityMatchesDenseInverse) {
  // x'Σ⁻¹x from a dense Σ_ij = ρ^|i−j| equals the tridiagonal form (tolerance 1e-10: condition number ~ 400).
  const int d = 6;
  const double rho = 0.9;
  Eigen::MatrixXd S(d, d);
  for (int i = 0; i < d; ++i)
    for (int j = 0; j < d; ++j) S(i, j) = std::pow(rho, std::abs(i - j));
  CorrelatedGaussian t(d, rho);
  Vec x = Vec::LinSpaced(d, -1.0, 2.0);
  const double exact = -0.5 * x.dot(S.ldlt().solve(x));
  EXPECT_NEAR(t.log_density(x), exact, 1e-10);
}

TEST(McmcTarget, TransformsAndJacobians) {
  for (const auto tr : {Transform::lower_bound(1.0), Transform::upper_bound(-2.0), Transform::bounded(-1.0, 3.0)}) {
    for (double u : {-3.0, -0.2, 0.0, 1.7, 25.0}) {
      const auto r = tr.apply(u);
      const double h = 1e-6;
      const double fd = (tr.apply(u + h).x - tr.apply(u - h).x) / (2 * h);
      EXPECT_NEAR(r.dx_du, fd, 1e-6 * std::max(1.0, std::abs(fd)));
      if (std::abs(u) < 20) {
        EXPECT_NEAR(r.log_jac, std::log(std::abs(r.dx_du)), 1e-9);
      }
      const double fdj = (tr.apply(u + h).log_jac - tr.apply(u - h).log_jac) / (2 * h);
      EXPECT_NEAR(r.dlog_jac_du, fdj, 1e-6);
      if (std::abs(u) < 20) {
        EXPECT_NEAR(tr.inverse(r.x), u, 1e-8);
      }
    }
  }
}

TEST(McmcTarget, EightSchoolsConstrainAndNames) {
  EightSchools nc(false);
  EXPECT_EQ(nc.constrained_dim(), 18);
  EXPECT_EQ(nc.param_names()[1], "tau");
  EXPECT_EQ(nc.param_names()[17], "theta[7]");
  Vec q = Vec::Zero(10);
  q[0] = 1.0;
  q[1] = std::log(2.0);
  q[2] = 0.5;
  const Vec x = nc.constrain(q);
  EXPECT_DOUBLE_EQ(x[1], 2.0);
  EXPECT_DOUBLE_EQ(x[10], 2.0);
}
