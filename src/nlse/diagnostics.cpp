#include "nlse/diagnostics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace sampo::nlse {

using std::numbers::pi;

Entropies entropies(const mpi::Communicator& comm, const cvec& u, double cell, double q) {
  double s0 = 0;
  for (const auto& v : u) s0 += std::norm(v);
  s0 = comm.allreduce(s0, mpi::Op::sum);
  // Σ p ln p and Σ p^q with p normalised first (no overflow of |u|^{2q} for large q).
  double loc[2] = {0.0, 0.0};
  for (const auto& v : u) {
    const double p = std::norm(v) / s0;
    if (p > 0.0) loc[0] += p * std::log(p), loc[1] += std::pow(p, q);
  }
  comm.allreduce_inplace(std::span<double>(loc, 2), mpi::Op::sum);
  Entropies e;
  e.shannon = -loc[0] + std::log(cell);
  if (std::abs(q - 1.0) < 1e-12) {
    e.renyi = e.tsallis = e.shannon;
  } else {
    e.renyi = std::log(loc[1]) / (1.0 - q) + std::log(cell);
    e.tsallis = (1.0 - std::pow(cell, 1.0 - q) * loc[1]) / (q - 1.0);
  }
  return e;
}

std::array<Entropies, 2> field_entropies(const Grid& grid, const cvec& psi_x, const cvec& psi_k, double q) {
  return {entropies(grid.comm(), psi_x, grid.dx(), q), entropies(grid.comm(), psi_k, 2.0 * pi / grid.length(), q)};
}

std::array<cplx, 3> interpolate(const Grid& grid, const cvec& psi_k, double x) {
  double loc[6] = {0, 0, 0, 0, 0, 0};
  const double s = x - grid.x0();
  for (std::int64_t j = 0; j < grid.k_count(); ++j) {
    const double k = grid.k(j);
    const cplx a = psi_k[static_cast<std::size_t>(j)] * cplx(std::cos(k * s), std::sin(k * s));
    const cplx d1 = cplx(0.0, k) * a, d2 = -k * k * a;
    loc[0] += a.real(), loc[1] += a.imag(), loc[2] += d1.real(), loc[3] += d1.imag();
    loc[4] += d2.real(), loc[5] += d2.imag();
  }
  grid.comm().allreduce_inplace(std::span<double>(loc, 6), mpi::Op::sum);
  const double n = static_cast<double>(grid.n());
  return {cplx(loc[0], loc[1]) / n, cplx(loc[2], loc[3]) / n, cplx(loc[4], loc[5]) / n};
}

namespace {
double wrap_angle(double a) {
  return std::remainder(a, 2.0 * pi);  // (−π, π]
}
}  // namespace

std::array<double, 4> two_soliton_shift_theory(const Case& c) {
  const double A1 = c.amplitude, v1 = c.velocity, A2 = c.amplitude2, v2 = c.velocity2;
  const cplx k1(A1, v1), k2(A2, v2);
  const double R = ((A1 + A2) * (A1 + A2) + (v1 - v2) * (v1 - v2)) / ((A1 - A2) * (A1 - A2) + (v1 - v2) * (v1 - v2));
  return {std::log(R) / A1, -std::log(R) / A2, wrap_angle(2.0 * std::arg((k1 - k2) / (k1 + std::conj(k2)))),
          wrap_angle(2.0 * std::arg((k2 + std::conj(k1)) / (k2 - k1)))};
}

SolitonShifts measure_two_soliton(const Grid& grid, const cvec& psi_k, const cvec& psi_x, const Case& c, double t) {
  const double L = grid.length(), nan = std::numeric_limits<double>::quiet_NaN();
  const double A[2] = {c.amplitude, c.amplitude2}, v[2] = {c.velocity, c.velocity2}, x0[2] = {c.position, c.position2};
  const auto theory = two_soliton_shift_theory(c);
  auto pdist = [&](double a, double b) { return std::remainder(a - b, L); };  // periodic a − b in [−L/2, L/2]
  SolitonShifts r;
  const double free0 = x0[0] + v[0] * t, free1 = x0[1] + v[1] * t;
  if (std::abs(pdist(free0, free1)) < 12.0 / std::min(A[0], A[1])) {
    r.position = r.phase = r.dx = r.dtheta = {nan, nan};
    return r;
  }
  // Past the collision (on the line; the L ≥ 100 case does not wrap within T) the expected centre carries Δx_j.
  const bool past = (v[0] != v[1]) && t > (x0[1] - x0[0]) / (v[0] - v[1]);
  for (int s = 0; s < 2; ++s) {
    const double free = x0[s] + v[s] * t;
    const double expect = free + (past ? theory[static_cast<std::size_t>(s)] : 0.0);
    // Largest sample within 3/A of the expected centre; ties go to the smallest global index (rank-independent).
    double best = -1.0;
    std::int64_t bi = std::numeric_limits<std::int64_t>::max();
    for (std::int64_t j = 0; j < grid.x_count(); ++j) {
      if (std::abs(pdist(grid.x(j), expect)) > 3.0 / A[s]) continue;
      const double a2 = std::norm(psi_x[static_cast<std::size_t>(j)]);
      if (a2 > best) best = a2, bi = grid.x_start() + j;
    }
    const double gbest = grid.comm().allreduce(best, mpi::Op::max);
    const std::int64_t gi =
        grid.comm().allreduce(best == gbest ? bi : std::numeric_limits<std::int64_t>::max(), mpi::Op::min);
    double xc = grid.x0() + static_cast<double>(gi) * grid.dx();
    // Newton on f(x) = |ψ|²: f' = 2 Re(ψ*ψ'), f'' = 2(|ψ'|² + Re(ψ*ψ'')); a few steps reach round-off from within dx.
    for (int it = 0; it < 8; ++it) {
      const auto d = interpolate(grid, psi_k, xc);
      const double f1 = 2.0 * std::real(std::conj(d[0]) * d[1]);
      const double f2 = 2.0 * (std::norm(d[1]) + std::real(std::conj(d[0]) * d[2]));
      if (!(f2 < 0.0)) break;  // not near a maximum: keep the sample
      const double step = std::clamp(-f1 / f2, -grid.dx(), grid.dx());
      xc += step;
      if (std::abs(step) < 1e-15 * std::max(1.0, std::abs(xc))) break;
    }
    const cplx at = interpolate(grid, psi_k, xc)[0];
    const auto i = static_cast<std::size_t>(s);
    r.position[i] = xc;
    r.phase[i] = std::arg(at);
    r.dx[i] = pdist(xc, free);
    r.dtheta[i] = wrap_angle(std::arg(at) - (v[s] * xc + 0.5 * (A[s] * A[s] - v[s] * v[s]) * t));
  }
  return r;
}

}  // namespace sampo::nlse
