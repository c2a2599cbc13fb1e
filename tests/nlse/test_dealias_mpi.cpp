// Dealiasing of the cubic term (model.dealiasing) against exact answers, on 1-4 ranks: the 2/3 rule, 3/2 zero
// padding (redistributed between the N and 3N/2 FFTW-MPI layouts) and the source's exponential filter.
#include <gtest/gtest.h>

#include <cmath>

#include "nlse/solver.hpp"

using namespace sampo;
using namespace sampo::nlse;

namespace {

constexpr double pi = 3.14159265358979323846;

// Mode number of global FFT index g on an n-point grid (the grid's convention: g < (n+1)/2 is non-negative).
std::int64_t mode(std::int64_t g, std::int64_t n) {
  return g < (n + 1) / 2 ? g : g - n;
}

// A deterministic spectrum living in |m| ≤ kmax: ψ̂_m = N · a_m e^{iφ_m} (smooth amplitudes, fixed phases).
cplx coefficient(std::int64_t m, std::int64_t n, std::int64_t kmax) {
  if (std::abs(m) > kmax) return 0.0;
  const double a = 0.5 / (1.0 + 0.002 * static_cast<double>(m * m)),
               ph = 0.7 * static_cast<double>(m) + 0.3 * static_cast<double>(m * m % 7);
  return static_cast<double>(n) * std::polar(a, ph);
}

cvec band_limited(const Grid& g, std::int64_t kmax) {
  cvec u(static_cast<std::size_t>(g.k_count()));
  for (std::int64_t j = 0; j < g.k_count(); ++j)
    u[static_cast<std::size_t>(j)] = coefficient(mode(g.k_start() + j, g.n()), g.n(), kmax);
  return u;
}

// The exact nonlinear term i|ψ|²ψ of the band-limited field, truncated to the N-grid's modes: computed on one rank
// on a 4N grid, where the cubic product (modes ≤ 3 kmax ≤ N) has no alias landing in |m| < N/2.
std::vector<cplx> exact_product(std::int64_t n, std::int64_t kmax) {
  auto self = mpi::Communicator(MPI_COMM_WORLD).split(mpi::Communicator(MPI_COMM_WORLD).rank(), 0);
  const std::int64_t nf = 4 * n;
  Grid fine(self, nf, 0.0, 2.0 * pi);
  cvec uf(static_cast<std::size_t>(nf), 0.0), xf, of;
  for (std::int64_t m = -kmax; m <= kmax; ++m)
    uf[static_cast<std::size_t>(m >= 0 ? m : nf + m)] = 4.0 * coefficient(m, n, kmax);
  fine.to_x(uf, xf);
  for (auto& v : xf) v *= cplx(0.0, 1.0) * std::norm(v);
  fine.to_k(xf, of);
  std::vector<cplx> out(static_cast<std::size_t>(n));
  for (std::int64_t g = 0; g < n; ++g) {
    const std::int64_t m = mode(g, n);
    out[static_cast<std::size_t>(g)] = of[static_cast<std::size_t>(m >= 0 ? m : nf + m)] * 0.25;
  }
  return out;
}

Dealiasing kind(Dealias d) {
  Dealiasing x;
  x.kind = d;
  return x;
}

// max_j |a_j − b_j| / max_j |b_j| over the whole distributed block (collective).
double rel_diff(const Grid& g, const cvec& a, const cvec& b) {
  double loc[2] = {0, 0};
  for (std::size_t j = 0; j < a.size(); ++j)
    loc[0] = std::max(loc[0], std::abs(a[j] - b[j])), loc[1] = std::max(loc[1], std::abs(b[j]));
  g.comm().allreduce_inplace(std::span<double>(loc, 2), mpi::Op::max);
  return loc[0] / loc[1];
}

cvec nonlinear_with(Grid& g, Dealias d, const cvec& u) {
  Stepper s(g, Model{}, Method::rk4ip, kind(d));
  Controller ctl;
  cvec out;
  s.nonlinear(u, out, ctl);
  return out;
}

}  // namespace

TEST(NlseDealias, NarrowBandIsUntouched) {
  // ψ in |k| < k_N/3 (|m| < N/6): its cubic term lives in |m| < N/2, so the plain product has no alias and padding
  // must reproduce it; with |m| ≤ N/9 the cubic term lies inside the 2/3 band, so the 2/3 rule must not touch it
  // either. Tolerance 1e-13 relative: FFT rounding of N = 240-point transforms is ~1e-15.
  auto comm = mpi::Communicator(MPI_COMM_WORLD);
  const std::int64_t n = 240;
  Grid g(comm, n, 0.0, 2.0 * pi);
  const auto u6 = band_limited(g, n / 6 - 1), u9 = band_limited(g, n / 9);
  EXPECT_LT(rel_diff(g, nonlinear_with(g, Dealias::padding, u6), nonlinear_with(g, Dealias::none, u6)), 1e-13);
  EXPECT_LT(rel_diff(g, nonlinear_with(g, Dealias::two_thirds, u9), nonlinear_with(g, Dealias::none, u9)), 1e-13);
}

TEST(NlseDealias, PaddingGivesTheExactProduct) {
  // ψ in |m| ≤ (N−1)/3, i.e. |k| < (2/3) k_N: the plain pseudo-spectral product aliases (modes up to N − 1 fold
  // back), the 3/2-padded one is exact for every kept mode (an alias of mode m'' lands at m'' − 3N/2, kept only if
  // m'' ≥ N; with 3|m| = N, for even N, it would land on the Nyquist mode −N/2). Reference: the product on a 4N
  // grid (one rank). Tolerance 1e-13 relative (rounding).
  auto comm = mpi::Communicator(MPI_COMM_WORLD);
  for (std::int64_t n : {240, 256}) {
    Grid g(comm, n, 0.0, 2.0 * pi);
    const std::int64_t kmax = (n - 1) / 3;
    const auto u = band_limited(g, kmax);
    const auto ex_all = exact_product(n, kmax);
    cvec ex(static_cast<std::size_t>(g.k_count()));
    for (std::int64_t j = 0; j < g.k_count(); ++j)
      ex[static_cast<std::size_t>(j)] = ex_all[static_cast<std::size_t>(g.k_start() + j)];
    EXPECT_LT(rel_diff(g, nonlinear_with(g, Dealias::padding, u), ex), 1e-13) << "N = " << n;
    EXPECT_GT(rel_diff(g, nonlinear_with(g, Dealias::none, u), ex), 1e-3)
        << "N = " << n << ": the test field must alias";
    // The 2/3 rule: exactly zero above (2/3) k_Nyquist, the plain (aliased) product below.
    const auto tt = nonlinear_with(g, Dealias::two_thirds, u), plain = nonlinear_with(g, Dealias::none, u);
    int bad = 0;
    for (std::int64_t j = 0; j < g.k_count(); ++j) {
      const auto i = static_cast<std::size_t>(j);
      const bool keep = 3 * std::abs(mode(g.k_start() + j, n)) <= n;
      bad += keep ? (tt[i] != plain[i]) : (tt[i] != cplx(0.0, 0.0));
    }
    EXPECT_EQ(comm.allreduce(bad, mpi::Op::sum), 0);
  }
}

TEST(NlseDealias, FilterValues) {
  // σ(k) = exp(−α(|k|/k_c)^p), α = p = 36, k_c = (2/3) k_N: σ(0) = 1, σ(k_c) = e^{−36} (the source's "machine
  // zero"), σ(k_c/2) = exp(−36·2^−36) = 1 − 5.2e-10, σ(1.1 k_c) = exp(−36·1.1^36) ≈ e^{−1104}, which is 0 in
  // double; decreasing in |k| and even. Per-mode values of the stepper equal the formula at the grid's k.
  Dealiasing f = kind(Dealias::filter);
  const double kn = 100.0, kc = 2.0 / 3.0 * kn;
  EXPECT_EQ(f.sigma(0.0, kn), 1.0);
  EXPECT_NEAR(f.sigma(kc, kn), std::exp(-36.0), 1e-15 * std::exp(-36.0));
  EXPECT_NEAR(f.sigma(-kc, kn), std::exp(-36.0), 1e-15 * std::exp(-36.0));
  EXPECT_NEAR(1.0 - f.sigma(0.5 * kc, kn), 36.0 * std::pow(2.0, -36.0), 1e-6 * 36.0 * std::pow(2.0, -36.0));
  EXPECT_EQ(f.sigma(1.1 * kc, kn), 0.0);
  EXPECT_EQ(f.sigma(kn, kn), 0.0);
  for (double k = 0; k < kn; k += 0.5) EXPECT_GE(f.sigma(k, kn), f.sigma(k + 0.5, kn));
  EXPECT_EQ(kind(Dealias::padding).sigma(kn, kn), 1.0);
  f.alpha = 2.0, f.order = 4.0, f.kc = 0.5;  // deck keys model.filter_alpha, filter_order, filter_kc
  EXPECT_NEAR(f.sigma(0.5 * kn, kn), std::exp(-2.0), 1e-15);
  EXPECT_NEAR(f.sigma(0.25 * kn, kn), std::exp(-2.0 / 16.0), 1e-15);

  auto comm = mpi::Communicator(MPI_COMM_WORLD);
  Grid g(comm, 512, -25.0, 50.0);
  Stepper s(g, Model{}, Method::rk4ip, kind(Dealias::filter));
  for (std::int64_t j = 0; j < g.k_count(); ++j)
    EXPECT_NEAR(s.sigma()[static_cast<std::size_t>(j)],
                std::exp(-36.0 * std::pow(std::abs(g.k(j)) / (2.0 / 3.0 * pi * 512 / 50.0), 36.0)), 1e-14);
}

TEST(NlseDealias, PaddedSolitonStaysExact) {
  // A resolved soliton (spectrum ~e^{−πk/4} at k_N/3 ≈ 1e-9 of its peak) barely feels padding or the 2/3 rule:
  // IP-DOP853 with either stays within the 1e-10 of the exact solution over T = 1.
  auto comm = mpi::Communicator(MPI_COMM_WORLD);
  for (auto d : {Dealias::padding, Dealias::two_thirds}) {
    Grid g(comm, 768, -25.0, 50.0);
    Stepper s(g, Model{}, Method::ipdop853, kind(d));
    Controller ctl;
    ctl.h = 0.0, ctl.rtol = 1e-11, ctl.atol = 1e-13;
    Case c;
    c.name = "soliton", c.amplitude = 2.0, c.velocity = 1.0, c.position = -5.0;
    cvec psi, x;
    g.to_k(initial_state(g, c, 1), psi);
    double t = 0;
    while (t < 1.0) t = s.advance_to(psi, t, 1.0, ctl);
    g.to_x(psi, x);
    double e = 0;
    for (std::int64_t j = 0; j < g.x_count(); ++j)
      e = std::max(e, std::abs(x[static_cast<std::size_t>(j)] - c.exact(g.x(j), 1.0)));
    EXPECT_LT(comm.allreduce(e, mpi::Op::max), 1e-10) << to_string(d) << ", " << ctl.accepted << " steps";
  }
}

TEST(NlseDealias, FilteredSystemConservesItsHamiltonian) {
  // The filtered system ψ̂' = −iσ(β/2)k²ψ̂ + σF[i g|ψ_f|²ψ_f] is Hamiltonian with H_σ (filtered_hamiltonian): on an
  // under-resolved two-soliton (N = 256, L = 50: the filter removes ~1e-5 of the spectrum near k_c) DOP853 at
  // rtol 1e-10 keeps H_σ to 1e-10 relative (measured 1e-13; the bound allows rounding and the integrator's
  // dissipation over ~300 steps) and the mass to 1e-12, while the unfiltered energy E changes by > 1e-4 (measured
  // 3e-3): H_σ, not E, is the invariant to monitor in filtered runs.
  auto comm = mpi::Communicator(MPI_COMM_WORLD);
  Grid g(comm, 256, -25.0, 50.0);
  Model model;
  Stepper s(g, model, Method::dop853, kind(Dealias::filter));
  Controller ctl;
  ctl.h = 0.0, ctl.rtol = 1e-10, ctl.atol = 1e-12;
  Case c;
  c.name = "two_soliton", c.amplitude = 2.0, c.velocity = 2.0, c.position = -10.0;
  c.amplitude2 = 1.5, c.velocity2 = -2.0, c.position2 = 10.0;
  cvec psi;
  g.to_k(initial_state(g, c, 1), psi);
  const double h0 = filtered_hamiltonian(g, model, psi, s.sigma());
  const auto i0 = invariants(g, model, psi);
  double t = 0, e_drift = 0;
  while (t < 5.0) {
    t = s.advance_to(psi, t, 5.0, ctl);
    e_drift = std::max(e_drift, std::abs(invariants(g, model, psi).energy - i0.energy) / std::abs(i0.energy));
  }
  const double h1 = filtered_hamiltonian(g, model, psi, s.sigma());
  EXPECT_LT(std::abs(h1 - h0) / std::abs(h0), 1e-10) << ctl.accepted << " steps";
  EXPECT_LT(std::abs(invariants(g, model, psi).mass - i0.mass) / i0.mass, 1e-12);
  EXPECT_GT(e_drift, 1e-4);
  // Without the filter (σ ≡ 1) H_σ is the energy.
  Stepper plain(g, model, Method::dop853);
  EXPECT_NEAR(filtered_hamiltonian(g, model, psi, plain.sigma()), invariants(g, model, psi).energy,
              1e-12 * std::abs(i0.energy));
}

TEST(NlseDealias, SplitStepTwoThirds) {
  // The split-step methods with the 2/3 rule zero the modes 3|m| > N after each exact nonlinear sub-step; the linear
  // sub-steps only rotate phases, so after any step those modes are exactly 0. A soliton resolved far inside the
  // kept band (N = 768: its spectrum is below e^{−30} beyond (2/3) k_N) ends where it ends without the rule, to 1e-9.
  auto comm = mpi::Communicator(MPI_COMM_WORLD);
  for (auto m : {Method::strang, Method::yoshida4, Method::kahanli6, Method::suzukiumeno8}) {
    Grid g(comm, 768, -25.0, 50.0);
    Case c;
    c.name = "soliton", c.amplitude = 2.0, c.velocity = 1.0, c.position = -5.0;
    cvec ref, psi;
    for (auto d : {Dealias::none, Dealias::two_thirds}) {
      Stepper s(g, Model{}, m, kind(d));
      Controller ctl;
      g.to_k(initial_state(g, c, 1), psi);
      for (int i = 0; i < 200; ++i) s.advance(psi, 1e-3, ctl);
      if (d == Dealias::none) ref = psi;
    }
    int nonzero = 0;
    for (std::int64_t j = 0; j < g.k_count(); ++j)
      nonzero +=
          3 * std::abs(mode(g.k_start() + j, g.n())) > g.n() && psi[static_cast<std::size_t>(j)] != cplx(0.0, 0.0);
    EXPECT_EQ(comm.allreduce(nonzero, mpi::Op::sum), 0) << to_string(m);
    double e = 0;  // max over x of |ψ_{2/3} − ψ_none| = max over k / N at most; use the spectral bound Σ|Δψ̂|/N
    for (std::size_t j = 0; j < psi.size(); ++j) e += std::abs(psi[j] - ref[j]);
    EXPECT_LT(comm.allreduce(e, mpi::Op::sum) / static_cast<double>(g.n()), 1e-9) << to_string(m);
  }
}
