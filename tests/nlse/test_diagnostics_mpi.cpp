// Output-time diagnostics against closed forms: entropies of |ψ|²/M and of the power spectrum, trigonometric
// interpolation, and the two-soliton shift measurement on the exact Hirota solution. At 1, 2 and 3 ranks.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "nlse/diagnostics.hpp"

using namespace sampo;
using namespace sampo::nlse;
using std::numbers::pi;

namespace {

struct Field {
  cvec x, k;
};
template <class F>
Field sample(Grid& grid, F f) {
  Field u;
  u.x.resize(static_cast<std::size_t>(grid.x_count()));
  for (std::int64_t j = 0; j < grid.x_count(); ++j) u.x[static_cast<std::size_t>(j)] = f(grid.x(j));
  grid.to_k(u.x, u.k);
  return u;
}

// Closed forms of a density whose ∫ρ^q = iq(q) and Shannon entropy h.
struct Closed {
  double h;
  double (*iq)(double, double);  // (q, parameter)
  double par;
};
void expect_entropies(const Entropies& e, double h, double iq, double q, double tol, const char* what) {
  EXPECT_NEAR(e.shannon, h, tol) << what;
  EXPECT_NEAR(e.renyi, std::log(iq) / (1.0 - q), tol) << what;
  EXPECT_NEAR(e.tsallis, (1.0 - iq) / (q - 1.0), tol) << what;
}

}  // namespace

TEST(NlseEntropy, GaussianClosedForm) {
  // |ψ|² = exp(−x²/(2s²)): ρ_x is N(0, s²), ρ_k is N(0, 1/(4s²)). h = ½ ln(2πe σ²), ∫ρ^q = (2πσ²)^{(1−q)/2} q^{−1/2}.
  // The periodic rectangle rule is exponentially accurate for both (Poisson: e^{−200} here), so only round-off
  // remains: 1e-12. h_x + h_k = ln(πe) (the entropic uncertainty bound, saturated by Gaussians).
  auto comm = mpi::Communicator(MPI_COMM_WORLD);
  Grid grid(comm, 512, -30.0, 60.0);
  const double s = 1.5;
  const auto u = sample(grid, [&](double x) { return cplx(std::exp(-x * x / (4 * s * s)), 0.0); });
  for (double q : {2.0, 0.5, 3.7}) {
    const auto e = field_entropies(grid, u.x, u.k, q);
    for (int sp = 0; sp < 2; ++sp) {
      const double var = sp == 0 ? s * s : 1.0 / (4 * s * s);
      expect_entropies(e[static_cast<std::size_t>(sp)], 0.5 * std::log(2 * pi * std::exp(1.0) * var),
                       std::pow(2 * pi * var, 0.5 * (1 - q)) / std::sqrt(q), q, 1e-12, sp == 0 ? "x" : "k");
    }
    EXPECT_NEAR(e[0].shannon + e[1].shannon, std::log(pi * std::exp(1.0)), 1e-12);
  }
  const auto e1 = field_entropies(grid, u.x, u.k, 1.0);  // q = 1: Rényi and Tsallis are Shannon
  EXPECT_EQ(e1[0].renyi, e1[0].shannon);
  EXPECT_EQ(e1[1].tsallis, e1[1].shannon);
}

TEST(NlseEntropy, SingleFourierMode) {
  // ψ = e^{2πi·3(x−x0)/L}: ρ_x = 1/L (h = R_q = ln L, T_q = (1 − L^{1−q})/(q−1)); one mode in k, ρ_k = δ/dk
  // (h = R_q = ln dk, dk = 2π/L). ψ̂ is set exactly, so the only error is round-off in ψ(x): 1e-12.
  auto comm = mpi::Communicator(MPI_COMM_WORLD);
  const double L = 40.0;
  Grid grid(comm, 256, -7.0, L);
  Field u;
  u.k.assign(static_cast<std::size_t>(grid.k_count()), cplx(0, 0));
  for (std::int64_t j = 0; j < grid.k_count(); ++j)
    if (grid.k_start() + j == 3) u.k[static_cast<std::size_t>(j)] = cplx(0.6, 0.8) * 256.0;
  grid.to_x(u.k, u.x);
  const double dk = 2 * pi / L;
  for (double q : {2.0, 0.5}) {
    const auto e = field_entropies(grid, u.x, u.k, q);
    expect_entropies(e[0], std::log(L), std::pow(L, 1 - q), q, 1e-12, "x");
    expect_entropies(e[1], std::log(dk), std::pow(dk, 1 - q), q, 1e-12, "k");
  }
}

TEST(NlseEntropy, SolitonSech2) {
  // ψ = A sech(A(x − x0)) e^{ivx}: ρ_x = (a/2) sech²(a(x − x0)) with a = A; its transform π sech(π(k − v)/(2A)) gives
  // ρ_k of the same form with a = π/(2A). For ρ = (a/2)sech²(ax): h = 2 − ln(2a) (∫sech²u ln cosh u du = 2 − 2 ln 2),
  // ∫ρ^q = (a/2)^q B(q, ½)/a. The k-space tail beyond the Nyquist wavenumber k_N enters ∫ρ^q as e^{−2qa(k_N − v)}
  // (2.7e-11 for q = ½ at N = 512): N = 1024 on L = 50 (k_N = 64) leaves e^{−49}, so round-off: 1e-11.
  auto comm = mpi::Communicator(MPI_COMM_WORLD);
  Grid grid(comm, 1024, -25.0, 50.0);
  const double A = 2.0, v = 1.0;
  const auto u = sample(grid, [&](double x) { return A / std::cosh(A * (x + 5.0)) * std::exp(cplx(0, v * x)); });
  auto iq = [](double q, double a) {
    return std::pow(a / 2, q) / a * std::tgamma(q) * std::sqrt(pi) / std::tgamma(q + 0.5);
  };
  for (double q : {2.0, 0.5}) {
    const auto e = field_entropies(grid, u.x, u.k, q);
    expect_entropies(e[0], 2.0 - std::log(2 * A), iq(q, A), q, 1e-11, "x");
    expect_entropies(e[1], 2.0 - std::log(pi / A), iq(q, pi / (2 * A)), q, 1e-11, "k");
  }
}

TEST(NlseDiagnostics, TrigonometricInterpolation) {
  // ψ = e^{cos(2π(x − x0)/L)} + i sin(4π(x − x0)/L) between grid points, with ψ' and ψ'': band-limited to round-off.
  auto comm = mpi::Communicator(MPI_COMM_WORLD);
  const double L = 10.0, x0 = -3.0, w = 2 * pi / L;
  Grid grid(comm, 64, x0, L);
  const auto u =
      sample(grid, [&](double x) { return cplx(std::exp(std::cos(w * (x - x0))), std::sin(2 * w * (x - x0))); });
  for (double x : {-2.71, 0.123, 6.9}) {
    const double c = std::cos(w * (x - x0)), s = std::sin(w * (x - x0)), ex = std::exp(c);
    const auto d = interpolate(grid, u.k, x);
    EXPECT_NEAR(std::abs(d[0] - cplx(ex, std::sin(2 * w * (x - x0)))), 0.0, 1e-13);
    EXPECT_NEAR(std::abs(d[1] - cplx(-w * s * ex, 2 * w * std::cos(2 * w * (x - x0)))), 0.0, 1e-12);
    EXPECT_NEAR(std::abs(d[2] - cplx(w * w * (s * s - c) * ex, -4 * w * w * std::sin(2 * w * (x - x0)))), 0.0, 1e-11);
  }
}

TEST(NlseDiagnostics, TwoSolitonShiftsOfTheExactSolution) {
  // The measurement on the exact Hirota solution (L = 100, N = 2048): at t = 0 the solitons sit at x1, x2 with phase
  // 0 (shifts 0); at t = 10, 20 apart after the collision at t = 5, the shifts are the asymptotic Δx, Δθ up to the
  // overlap e^{−A2·20} ≈ 1e-13. Newton on the interpolant finds the centre to round-off: 1e-9.
  auto comm = mpi::Communicator(MPI_COMM_WORLD);
  Grid grid(comm, 2048, -50.0, 100.0);
  Case c;
  c.name = "two_soliton", c.velocity = 2.0;
  const auto th = two_soliton_shift_theory(c);
  EXPECT_NEAR(th[0], 0.276500, 1e-6);  // reference nlse.md §2 for (A, v) = (2, 2), (1.5, −2)
  EXPECT_NEAR(th[1], -0.368667, 1e-6);
  EXPECT_NEAR(th[2], 1.188950, 1e-6);
  EXPECT_NEAR(th[3], 1.686370, 1e-6);
  for (double t : {0.0, 10.0}) {
    const auto u = sample(grid, [&](double x) { return c.exact(x, t); });
    const auto m = measure_two_soliton(grid, u.k, u.x, c, t);
    for (std::size_t j = 0; j < 2; ++j) {
      EXPECT_NEAR(m.dx[j], t > 0 ? th[j] : 0.0, 1e-9) << "t = " << t;
      EXPECT_NEAR(m.dtheta[j], t > 0 ? th[2 + j] : 0.0, 1e-9) << "t = " << t;
    }
  }
  const auto u = sample(grid, [&](double x) { return c.exact(x, 5.0); });  // overlapping: NaN
  EXPECT_TRUE(std::isnan(measure_two_soliton(grid, u.k, u.x, c, 5.0).dx[0]));
}
