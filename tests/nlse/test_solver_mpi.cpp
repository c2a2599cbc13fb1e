// NLSE integrators against exact solutions, on 1-4 ranks.
#include <gtest/gtest.h>

#include <cmath>

#include "nlse/solver.hpp"

using namespace sampo;
using namespace sampo::nlse;

namespace {

struct Result {
  double max_error = 0, mass_drift = 0;
  std::int64_t steps = 0;
};

// Integrates `c` to t0 + T and measures the max error against the exact solution.
Result integrate(Method method, const Case& c, std::int64_t n, double L, double T, double dt, double rtol = 1e-10) {
  auto comm = mpi::Communicator(MPI_COMM_WORLD);
  Grid grid(comm, n, -0.5 * L, L);
  Model model;
  Stepper stepper(grid, model, method);
  Controller ctl;
  ctl.h = dt, ctl.rtol = rtol, ctl.atol = rtol * 1e-2;
  cvec psi_k;
  grid.to_k(initial_state(grid, c, 1), psi_k);
  const double m0 = invariants(grid, model, psi_k).mass;
  double t = c.t0;
  const double t_end = c.t0 + T;
  while (t < t_end - 1e-12) {
    const double h = stepper.advance(psi_k, adaptive(method) ? t_end - t : std::min(dt, t_end - t), ctl);
    t += h;
  }
  cvec psi_x;
  grid.to_x(psi_k, psi_x);
  double e = 0;
  for (std::int64_t j = 0; j < grid.x_count(); ++j)
    e = std::max(e, std::abs(psi_x[static_cast<std::size_t>(j)] - c.exact(grid.x(j), t_end)));
  Result r;
  r.max_error = comm.allreduce(e, mpi::Op::max);
  r.mass_drift = std::abs(invariants(grid, model, psi_k).mass - m0) / m0;
  r.steps = ctl.accepted;
  return r;
}

Case soliton() {
  Case c;
  c.name = "soliton", c.amplitude = 2.0, c.velocity = 1.0, c.position = -5.0;
  return c;
}

}  // namespace

TEST(NlseMpi, SolitonAdaptiveIP) {
  // Tolerance: the 1e-10 for a single soliton; N = 512 on L = 50 resolves sech(2x) to machine precision.
  const auto r = integrate(Method::erk43ip, soliton(), 512, 50.0, 2.0, 1e-3, 1e-12);
  EXPECT_LT(r.max_error, 1e-10) << r.steps << " steps";
  EXPECT_LT(r.mass_drift, 1e-12);
}

TEST(NlseMpi, TwoSolitonHirota) {
  // Exact two-soliton on L = 100 through the collision (from t = 1.5 to 3.5): max error ≤ 1e-9 (issue).
  Case c;
  c.name = "two_soliton", c.t0 = 1.5;
  const auto r = integrate(Method::erk43ip, c, 1024, 100.0, 2.0, 1e-3, 1e-12);
  EXPECT_LT(r.max_error, 1e-9) << r.steps << " steps";
}

TEST(NlseMpi, AkhmedievBreather) {
  // From t0 = -6 to the peak at t = 0 on a box of 2 spatial periods: within 1e-8 (issue).
  Case c;
  c.name = "akhmediev", c.a = 0.25, c.p0 = 1.0, c.t0 = -6.0;
  const double period = 2.0 * M_PI / (2.0 * std::sqrt(1.0 - 2.0 * c.a));
  const auto r = integrate(Method::erk43ip, c, 128, 2.0 * period, 6.0, 1e-3, 1e-12);
  EXPECT_LT(r.max_error, 1e-8) << r.steps << " steps";
}

TEST(NlseMpi, FixedStepOrders) {
  // Halving h divides the error by 2^p: p = 4 for rk4ip and yoshida4, 2 for strang (ratio within ±25 %).
  for (auto [m, p] : {std::pair{Method::rk4ip, 4.0}, {Method::yoshida4, 4.0}, {Method::strang, 2.0}}) {
    const double h = m == Method::strang ? 2e-3 : 2e-2;
    const auto e1 = integrate(m, soliton(), 512, 50.0, 1.0, h).max_error;
    const auto e2 = integrate(m, soliton(), 512, 50.0, 1.0, h / 2).max_error;
    const double order = std::log2(e1 / e2);
    EXPECT_NEAR(order, p, 0.25 * p) << to_string(m) << ": errors " << e1 << ", " << e2;
  }
}

TEST(NlseMpi, SameResultOnAnyRankCount) {
  // Each rank count computes the same final field; compare a checksum-like summary against np = 1 values
  // computed by the same code path on rank 0's communicator of size 1.
  auto world = mpi::Communicator(MPI_COMM_WORLD);
  const auto full = integrate(Method::erk43ip, soliton(), 256, 50.0, 1.0, 1e-3, 1e-9);
  auto self = world.split(world.rank(), 0);  // one-rank communicators
  Grid g1(self, 256, -25.0, 50.0);
  Model model;
  Stepper s1(g1, model, Method::erk43ip);
  Controller ctl;
  ctl.h = 1e-3, ctl.rtol = 1e-9, ctl.atol = 1e-11;
  cvec psi;
  g1.to_k(initial_state(g1, soliton(), 1), psi);
  double t = 0;
  while (t < 1.0 - 1e-12) t += s1.advance(psi, 1.0 - t, ctl);
  cvec x;
  g1.to_x(psi, x);
  double e = 0;
  for (std::int64_t j = 0; j < g1.x_count(); ++j) e = std::max(e, std::abs(x[static_cast<std::size_t>(j)] - soliton().exact(g1.x(j), 1.0)));
  EXPECT_EQ(full.steps, ctl.accepted);
  EXPECT_NEAR(full.max_error, e, 1e-12);
}
