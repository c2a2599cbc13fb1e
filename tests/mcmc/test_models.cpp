// Data models and vector transforms: gradients against finite differences, transforms' log-Jacobians against the
// log-determinant of their finite-difference Jacobian, the blocked likelihood bitwise equal for any thread count,
// CSV reading and its errors.
#include <gtest/gtest.h>
#include <omp.h>

#include <cstdio>
#include <fstream>

#include "core/error/error.hpp"
#include "mcmc/models.hpp"

namespace sampo::mcmc {
namespace {

void check_gradient(const Target& t, std::uint64_t seed) {
  rng::Stream s(seed, rng::purpose_test, 0);
  for (int rep = 0; rep < 3; ++rep) {
    const Vec q = t.initial_point(s);
    Vec g;
    (void)t.log_density_gradient(q, g);
    for (int i = 0; i < t.dim(); ++i) {
      Vec a = q, b = q;
      const double h = 1e-5;
      a[i] += h, b[i] -= h;
      const double fd = (t.log_density(a) - t.log_density(b)) / (2 * h);
      // Central differences: truncation O(h²·f''') plus round-off O(ε|f|/h); |f| ~ 1e3 for these data sizes.
      EXPECT_NEAR(g[i], fd, 1e-5 * std::max(1.0, std::abs(fd))) << t.name() << " coordinate " << i;
    }
  }
}

TEST(McmcModels, GradientsMatchFiniteDifferences) {
  check_gradient(LogisticRegression::simulate(3, 200, 4), 1);
  check_gradient(HierarchicalRegression::simulate(4, 60, 5), 2);
}

// log|det J| by finite differences of a map R^m → R^m (for the simplex: its first K−1 coordinates).
double fd_log_det(const std::function<void(const double*, double*)>& f, std::vector<double> u) {
  const int m = static_cast<int>(u.size());
  Eigen::MatrixXd J(m, m);
  std::vector<double> a(static_cast<std::size_t>(m + 1)), b(static_cast<std::size_t>(m + 1));
  for (int j = 0; j < m; ++j) {
    auto up = u, dn = u;
    up[static_cast<std::size_t>(j)] += 1e-6, dn[static_cast<std::size_t>(j)] -= 1e-6;
    f(up.data(), a.data());
    f(dn.data(), b.data());
    for (int i = 0; i < m; ++i) J(i, j) = (a[static_cast<std::size_t>(i)] - b[static_cast<std::size_t>(i)]) / 2e-6;
  }
  return std::log(std::abs(J.determinant()));
}

TEST(McmcModels, VectorTransformsAndJacobians) {
  const std::vector<double> u = {0.3, -1.2, 0.7, 0.1};
  // Ordered (K = 4): increasing, log J against FD, backprop against FD of f∘T + log J with f = Σ c_k x_k².
  std::vector<double> x(4);
  Ordered::apply(u.data(), 4, x.data());
  for (int k = 1; k < 4; ++k) EXPECT_GT(x[static_cast<std::size_t>(k)], x[static_cast<std::size_t>(k - 1)]);
  EXPECT_NEAR(Ordered::log_jacobian(u.data(), 4),
              fd_log_det([](const double* a, double* o) { Ordered::apply(a, 4, o); }, u), 1e-7);
  const double c[] = {0.5, -1.0, 2.0, 0.25, 1.5};
  auto h_ord = [&](const std::vector<double>& v) {
    std::vector<double> y(4);
    Ordered::apply(v.data(), 4, y.data());
    double f = Ordered::log_jacobian(v.data(), 4);
    for (int k = 0; k < 4; ++k) f += c[k] * y[static_cast<std::size_t>(k)] * y[static_cast<std::size_t>(k)];
    return f;
  };
  std::vector<double> g(4), gu(4);
  for (int k = 0; k < 4; ++k) g[static_cast<std::size_t>(k)] = 2 * c[k] * x[static_cast<std::size_t>(k)];
  Ordered::backprop(u.data(), 4, g.data(), gu.data());
  for (int j = 0; j < 4; ++j) {
    auto up = u, dn = u;
    up[static_cast<std::size_t>(j)] += 1e-6, dn[static_cast<std::size_t>(j)] -= 1e-6;
    EXPECT_NEAR(gu[static_cast<std::size_t>(j)], (h_ord(up) - h_ord(dn)) / 2e-6, 1e-6) << "ordered " << j;
  }
  // Simplex (K = 5 from 4 unconstrained): sums to 1, positive, log J against FD on the first K−1 coordinates.
  std::vector<double> sx(5);
  Simplex::apply(u.data(), 5, sx.data());
  double sum = 0;
  for (double v : sx) {
    EXPECT_GT(v, 0.0);
    sum += v;
  }
  EXPECT_NEAR(sum, 1.0, 1e-15);
  EXPECT_NEAR(Simplex::log_jacobian(u.data(), 5),
              fd_log_det([](const double* a, double* o) { Simplex::apply(a, 5, o); }, u), 1e-7);
  auto h_sim = [&](const std::vector<double>& v) {
    std::vector<double> y(5);
    Simplex::apply(v.data(), 5, y.data());
    double f = Simplex::log_jacobian(v.data(), 5);
    for (int k = 0; k < 5; ++k) f += c[k] * y[static_cast<std::size_t>(k)] * y[static_cast<std::size_t>(k)];
    return f;
  };
  std::vector<double> gs(5), gus(4);
  for (int k = 0; k < 5; ++k) gs[static_cast<std::size_t>(k)] = 2 * c[k] * sx[static_cast<std::size_t>(k)];
  Simplex::backprop(u.data(), 5, gs.data(), gus.data());
  for (int j = 0; j < 4; ++j) {
    auto up = u, dn = u;
    up[static_cast<std::size_t>(j)] += 1e-6, dn[static_cast<std::size_t>(j)] -= 1e-6;
    EXPECT_NEAR(gus[static_cast<std::size_t>(j)], (h_sim(up) - h_sim(dn)) / 2e-6, 1e-6) << "simplex " << j;
  }
}

TEST(McmcModels, BlockedLikelihoodIsThreadIndependent) {
  const auto t = LogisticRegression::simulate(5, 20000, 9);  // 5 blocks of 4096 rows
  rng::Stream s(2, rng::purpose_test, 0);
  const Vec q = t.initial_point(s);
  Vec g1, g3;
  omp_set_num_threads(1);
  const double a = t.log_density_gradient(q, g1);
  omp_set_num_threads(3);
  const double b = t.log_density_gradient(q, g3);
  omp_set_num_threads(1);
  EXPECT_EQ(a, b);
  EXPECT_EQ(g1, g3);
}

TEST(McmcModels, CsvDataAndErrors) {
  const std::string path = ::testing::TempDir() + "sampo_logistic.csv";
  {
    std::ofstream f(path);
    f << "# a comment\nx1,x2,y\n0.5,1.0,1\n-1.0,2.0,0\n\n0.0,-0.5,1\n";
  }
  const auto t = LogisticRegression::from_csv(path);
  EXPECT_EQ(t.dim(), 3);
  EXPECT_EQ(t.rows(), 3);
  auto error_of = [&](const std::string& text, bool hier) {
    {
      std::ofstream f(path);
      f << text;
    }
    try {
      if (hier)
        (void)HierarchicalRegression::from_csv(path);
      else
        (void)LogisticRegression::from_csv(path);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(error_of("1,2,0\n1,2\n", false).find(":2: 2 columns, but the first row has 3"), std::string::npos);
  EXPECT_NE(error_of("1,2,0\n1,x,1\n", false).find(":2: not a row of finite numbers"), std::string::npos);
  EXPECT_NE(error_of("1,2,0.5\n", false).find("must be 0 or 1"), std::string::npos);
  EXPECT_NE(error_of("0,1.0,2.0\n", true).find("must be an integer 1..J"), std::string::npos);
  EXPECT_NE(error_of("# only a comment\n", true).find("no data rows"), std::string::npos);
  {
    std::ofstream f(path);
    f << "group,x,y\n1,0.1,1\n3,0.2,2\n";
  }
  const auto h = HierarchicalRegression::from_csv(path);
  EXPECT_EQ(h.dim(), 4 + 3);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace sampo::mcmc
