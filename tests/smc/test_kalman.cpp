// The exact oracle checks itself: the Kalman log-likelihood and the RTS moments against dense Gaussian algebra on
// the joint law of (x_{0:n}, y_{0:n}), and the Fisher-identity score against finite differences.
#include <gtest/gtest.h>

#include <cmath>

#include "smc/kalman.hpp"

namespace sampo::smc {
namespace {

struct Dense {
  Eigen::VectorXd mx;  // E x
  Eigen::MatrixXd Sx;  // Cov x
};
// x = c + A z for the scalar model: the joint law of x_{0:n}.
Dense dense_prior(double rho, double sx, double m0, double s0, int n) {
  Eigen::MatrixXd A = Eigen::MatrixXd::Zero(n + 1, n + 1);
  Eigen::VectorXd c(n + 1);
  for (int t = 0; t <= n; ++t) {
    c[t] = std::pow(rho, t) * m0;
    A(t, 0) = std::pow(rho, t) * s0;
    for (int j = 1; j <= t; ++j) A(t, j) = std::pow(rho, t - j) * sx;
  }
  return {c, A * A.transpose()};
}

TEST(Kalman, LoglikAndSmootherMatchDenseGaussianAlgebra) {
  const double rho = 0.8, sx = 0.7, sy = 0.5, m0 = 0.3, s0 = 1.2;
  const int n = 6;
  ScalarLinearGaussian m(rho, sx, sy, m0, s0);
  const auto obs = simulate(m, n, 42);
  const auto k = kalman_filter(m.spec(), obs);
  const auto r = rts_smoother(m.spec(), k);
  const auto dp = dense_prior(rho, sx, m0, s0, n);
  const Eigen::MatrixXd Sy = dp.Sx + sy * sy * Eigen::MatrixXd::Identity(n + 1, n + 1);
  Eigen::VectorXd y(n + 1);
  for (int t = 0; t <= n; ++t) y[t] = obs.at(t)[0];
  const Eigen::VectorXd e = y - dp.mx;
  Eigen::LLT<Eigen::MatrixXd> llt(Sy);
  const double logdet = 2.0 * Eigen::MatrixXd(llt.matrixL()).diagonal().array().log().sum();
  const double ll = -0.5 * ((n + 1) * std::log(2 * M_PI) + logdet + e.dot(llt.solve(e)));
  // Tolerances: both sides are O(10) flops per entry in double precision on well-conditioned 7×7 matrices.
  EXPECT_NEAR(k.loglik, ll, 1e-10);
  const Eigen::VectorXd post_m = dp.mx + dp.Sx * llt.solve(e);
  const Eigen::MatrixXd post_S = dp.Sx - dp.Sx * llt.solve(dp.Sx);
  for (int t = 0; t <= n; ++t) {
    EXPECT_NEAR(r.m[t](0), post_m[t], 1e-10);
    EXPECT_NEAR(r.P[t](0, 0), post_S(t, t), 1e-10);
    if (t < n) {
      EXPECT_NEAR(r.cross[t](0, 0), post_S(t, t + 1) + post_m[t] * post_m[t + 1], 1e-10);
    }
  }
  // Filtering moment at the last time equals the smoothing one.
  EXPECT_NEAR(k.m_filt[n](0), post_m[n], 1e-10);
}

TEST(Kalman, ScoreMatchesFiniteDifferences) {
  const double rho = 0.9, sx = 1.0, sy = 1.0;
  ScalarLinearGaussian m(rho, sx, sy, 0.0, sx / std::sqrt(1 - rho * rho));
  const auto obs = simulate(m, 100, 7);
  const auto score = exact_score(m, obs);
  const double h = 1e-5;
  for (int i = 0; i < 3; ++i) {
    auto up = m.params(), dn = m.params();
    up[i] += h, dn[i] -= h;
    ScalarLinearGaussian mu(up[0], up[1], up[2], 0.0, sx / std::sqrt(1 - rho * rho));
    ScalarLinearGaussian md(dn[0], dn[1], dn[2], 0.0, sx / std::sqrt(1 - rho * rho));
    const double fd = (kalman_filter(mu.spec(), obs).loglik - kalman_filter(md.spec(), obs).loglik) / (2 * h);
    // Central differences: truncation O(h²·|f'''|) ~ 1e-8, round-off ~ 1e-16·|f|/h ~ 1e-9.
    EXPECT_NEAR(score[i], fd, 1e-5 * (1 + std::abs(fd))) << "parameter " << i;
  }
}

TEST(Kalman, MultivariateMatchesScalarOnDiagonalModel) {
  // A 2-D model made of two independent scalar models: loglik adds up, moments agree.
  ScalarLinearGaussian a(0.9, 1.0, 0.5, 0.0, 2.0), b(-0.5, 0.3, 0.8, 1.0, 0.7);
  LinearGaussianSpec s;
  s.F = Eigen::Vector2d(0.9, -0.5).asDiagonal();
  s.Q = Eigen::Vector2d(1.0, 0.09).asDiagonal();
  s.G = Eigen::Matrix2d::Identity();
  s.R = Eigen::Vector2d(0.25, 0.64).asDiagonal();
  s.P0 = Eigen::Vector2d(4.0, 0.49).asDiagonal();
  s.m0 = Eigen::Vector2d(0.0, 1.0);
  LinearGaussian mv(s);
  const auto obs = simulate(mv, 50, 3);
  Observations oa, ob;
  for (int t = 0; t <= 50; ++t) oa.y.push_back(obs.at(t)[0]), ob.y.push_back(obs.at(t)[1]);
  const double ll = kalman_filter(s, obs).loglik;
  EXPECT_NEAR(ll, kalman_filter(a.spec(), oa).loglik + kalman_filter(b.spec(), ob).loglik, 1e-9);
  // The model's own densities agree with the scalar ones.
  const double x[2] = {0.3, -0.2}, xp[2] = {1.0, 0.5}, y[2] = {0.1, 0.4};
  EXPECT_NEAR(mv.log_transition(1, xp, x), a.log_transition(1, &xp[0], &x[0]) + b.log_transition(1, &xp[1], &x[1]), 1e-12);
  EXPECT_NEAR(mv.log_observation(1, x, y), a.log_observation(1, &x[0], &y[0]) + b.log_observation(1, &x[1], &y[1]), 1e-12);
}

TEST(Models, GradientsMatchFiniteDifferences) {
  // Every built-in model's θ-gradients of log m and log g against central differences.
  auto check = [](Model& m, int t, double xp, double x, double y) {
    const auto th = m.params();
    const int p = m.n_params();
    std::vector<double> gm(p), gg(p), g0(p);
    m.grad_log_transition(t, &xp, &x, gm.data());
    m.grad_log_observation(t, &x, &y, gg.data());
    m.grad_log_initial(&x, g0.data());
    for (int i = 0; i < p; ++i) {
      auto up = th, dn = th;
      const double h = 1e-6;
      up[i] += h, dn[i] -= h;
      auto f = [&](const std::vector<double>& v, int which) {
        m.set_params(v);
        const double r = which == 0 ? m.log_transition(t, &xp, &x) : which == 1 ? m.log_observation(t, &x, &y) : m.log_initial(&x);
        return r;
      };
      EXPECT_NEAR(gm[i], (f(up, 0) - f(dn, 0)) / (2 * h), 1e-6) << m.name() << " transition " << i;
      EXPECT_NEAR(gg[i], (f(up, 1) - f(dn, 1)) / (2 * h), 1e-6) << m.name() << " observation " << i;
      if (m.name() != "linear_gaussian" && m.name() != "growth") {  // their initial law is θ-free by design
        EXPECT_NEAR(g0[i], (f(up, 2) - f(dn, 2)) / (2 * h), 1e-6) << m.name() << " initial " << i;
      }
      m.set_params(th);
    }
  };
  ScalarLinearGaussian lg(0.7, 0.8, 1.3, 0.0, 1.0);
  StochasticVolatility sv(-1.02, 0.9702, 0.178);
  NonlinearGrowth gr(std::sqrt(10.0), 1.0, std::sqrt(5.0));
  check(lg, 3, 0.4, -0.2, 0.9);
  check(sv, 3, -1.0, -0.9, 0.3);
  check(gr, 3, 2.0, 5.0, 1.1);
  PoissonCox pc(1.0, 0.9, 0.3);
  check(pc, 3, 0.5, 1.2, 4.0);
}

TEST(Models, TransitionBoundsHold) {
  ScalarLinearGaussian lg(0.7, 0.8, 1.3, 0.0, 1.0);
  StochasticVolatility sv(-1.02, 0.9702, 0.178);
  NonlinearGrowth gr(std::sqrt(10.0), 1.0, std::sqrt(5.0));
  PoissonCox pc(1.0, 0.9, 0.3);
  for (const Model* m : std::initializer_list<const Model*>{&lg, &sv, &gr, &pc})
    for (double a = -3; a <= 3; a += 0.25)
      for (double b = -3; b <= 3; b += 0.25) EXPECT_LE(m->log_transition(2, &a, &b), m->log_transition_bound(2) + 1e-12);
}

}  // namespace
}  // namespace sampo::smc

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/io/hdf5.hpp"

namespace sampo::smc {
namespace {

TEST(Observations, CsvAndHdf5RoundTrip) {
  ScalarLinearGaussian m(0.9, 1.0, 1.0, 0.0, 2.0);
  const auto sim = simulate(m, 12, 5);
  const auto dir = std::filesystem::temp_directory_path() / ("smc_obs_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    std::ofstream out(dir / "y.csv");
    out << "# comment\ny\n";
    char buf[64];
    for (double v : sim.y) {
      std::snprintf(buf, sizeof buf, "%.17g\n", v);
      out << buf;
    }
  }
  const auto csv = read_csv((dir / "y.csv").string(), 1);
  EXPECT_EQ(csv.y, sim.y);
  EXPECT_EQ(csv.steps(), 12);
  {
    auto f = io::File::create(mpi::Communicator(MPI_COMM_SELF), (dir / "y.h5").string());
    f.root().write_replicated<double>("obs", sim.y, {13, 1});
    f.close();
  }
  const auto h5 = read_hdf5((dir / "y.h5").string(), "obs", 1);
  EXPECT_EQ(h5.y, sim.y);
  EXPECT_THROW(read_hdf5((dir / "y.h5").string(), "missing", 1), InputError);
  EXPECT_THROW(read_csv((dir / "nope.csv").string(), 1), InputError);
  EXPECT_THROW(read_csv((dir / "y.csv").string(), 2), InputError);  // wrong column count
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sampo::smc
