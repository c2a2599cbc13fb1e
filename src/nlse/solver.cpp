#include "nlse/solver.hpp"

#include <cmath>
#include <numbers>

#include "core/error/error.hpp"
#include "core/rng/stream.hpp"

namespace sampo::nlse {

using std::numbers::pi;
constexpr cplx I(0.0, 1.0);

double Model::V(double x) const noexcept {
  if (potential == "harmonic") return v0 * x * x;
  if (potential == "lattice") {
    const double c = std::cos(lattice_k * x);
    return v0 * c * c;
  }
  return 0.0;
}

Invariants invariants(Grid& grid, const Model& m, const cvec& psi_k) {
  cvec psi_x;
  grid.to_x(psi_k, psi_x);
  const double n = static_cast<double>(grid.n()), dx = grid.dx();
  double loc[3] = {0, 0, 0};  // mass, momentum (k-space part), energy
  double kin = 0, mom = 0;
  for (std::int64_t j = 0; j < grid.k_count(); ++j) {
    const double k = grid.k(j), a2 = std::norm(psi_k[static_cast<std::size_t>(j)]);
    mom += k * a2;
    kin += k * k * a2;
  }
  double mass = 0, pot = 0;
  for (std::int64_t j = 0; j < grid.x_count(); ++j) {
    const double a2 = std::norm(psi_x[static_cast<std::size_t>(j)]);
    mass += a2;
    pot += -0.5 * m.g * a2 * a2 + m.V(grid.x(j)) * a2;
  }
  loc[0] = mass * dx;
  loc[1] = mom * dx / n;
  loc[2] = 0.5 * m.beta * kin * dx / n + pot * dx;
  grid.comm().allreduce_inplace(std::span<double>(loc, 3), mpi::Op::sum);
  return {loc[0], loc[1], loc[2]};
}

cplx Case::exact(double x, double t) const {
  if (name == "soliton") {
    const double A = amplitude, v = velocity;
    return A / std::cosh(A * (x - position - v * t)) * std::exp(I * (v * x + 0.5 * (A * A - v * v) * t + phase));
  }
  if (name == "two_soliton") {
    // Hirota's two-soliton (reference nlse.md §2); soliton 1 starts at `position`, soliton 2 at `position2`.
    const cplx k1(amplitude, velocity), k2(amplitude2, velocity2);
    const cplx e10 = -amplitude * position + std::log(2.0 * amplitude);
    const cplx e20 = -amplitude2 * position2 + std::log(2.0 * amplitude2) -
                     std::log((k1 - k2) * (k1 - k2) / ((k2 + std::conj(k1)) * (k2 + std::conj(k1))));
    const cplx eta1 = k1 * x + 0.5 * I * k1 * k1 * t + e10, eta2 = k2 * x + 0.5 * I * k2 * k2 * t + e20;
    auto aa = [](cplx ki, cplx kj) { return 1.0 / ((ki + std::conj(kj)) * (ki + std::conj(kj))); };
    const cplx b = (k1 - k2) * (k1 - k2);
    const cplx g = std::exp(eta1) + std::exp(eta2) +
                   b * aa(k1, k1) * aa(k2, k1) * std::exp(eta1 + eta2 + std::conj(eta1)) +
                   b * aa(k1, k2) * aa(k2, k2) * std::exp(eta1 + eta2 + std::conj(eta2));
    const cplx f = 1.0 + aa(k1, k1) * std::exp(eta1 + std::conj(eta1)) + aa(k1, k2) * std::exp(eta1 + std::conj(eta2)) +
                   aa(k2, k1) * std::exp(eta2 + std::conj(eta1)) + aa(k2, k2) * std::exp(eta2 + std::conj(eta2)) +
                   std::norm(b) * aa(k1, k1) * aa(k1, k2) * aa(k2, k1) * aa(k2, k2) *
                       std::exp(eta1 + eta2 + std::conj(eta1) + std::conj(eta2));
    return g / f;
  }
  if (name == "akhmediev") {
    const double X = std::sqrt(p0) * x, T = p0 * t;
    const double om = 2.0 * std::sqrt(1.0 - 2.0 * a), bb = std::sqrt(8.0 * a * (1.0 - 2.0 * a));
    const cplx num = (1.0 - 4.0 * a) * std::cosh(bb * T) + std::sqrt(2.0 * a) * std::cos(om * X) + I * bb * std::sinh(bb * T);
    const double den = std::sqrt(2.0 * a) * std::cos(om * X) - std::cosh(bb * T);
    return std::sqrt(p0) * std::exp(I * T) * num / den;
  }
  if (name == "peregrine") {
    const double X = std::sqrt(p0) * x, T = p0 * t;
    return std::sqrt(p0) * std::exp(I * T) * (1.0 - 4.0 * (1.0 + 2.0 * I * T) / (1.0 + 4.0 * X * X + 4.0 * T * T));
  }
  throw ConfigError("case '" + name + "' has no exact solution");
}

cvec initial_state(const Grid& grid, const Case& c, std::uint64_t seed) {
  cvec psi(static_cast<std::size_t>(grid.x_count()));
  for (std::int64_t j = 0; j < grid.x_count(); ++j) {
    const double x = grid.x(j);
    cplx v;
    if (c.name == "cw_mi") {
      v = std::sqrt(c.p0) * (1.0 + c.epsilon * std::cos(c.mode_k * x));
    } else if (c.name == "source_mi") {
      // The source's case: exp(−x²/50) + 0.01(ξ + iη), noise keyed by global grid index (rank-independent).
      rng::Stream s(seed, rng::purpose_noise, static_cast<std::uint64_t>(grid.x_start() + j));
      const auto [re, im] = s.normal_pair();
      v = std::exp(-x * x / 50.0) + 0.01 * cplx(re, im);
    } else {
      v = c.exact(x, c.t0);
    }
    psi[static_cast<std::size_t>(j)] = v;
  }
  return psi;
}

Method method_from(const std::string& name) {
  if (name == "rk4ip") return Method::rk4ip;
  if (name == "erk43-ip") return Method::erk43ip;
  if (name == "strang") return Method::strang;
  if (name == "yoshida4") return Method::yoshida4;
  throw ConfigError("unknown integrator '" + name + "'");
}
std::string to_string(Method m) {
  switch (m) {
    case Method::rk4ip: return "rk4ip";
    case Method::erk43ip: return "erk43-ip";
    case Method::strang: return "strang";
    case Method::yoshida4: return "yoshida4";
  }
  return "?";
}
bool adaptive(Method m) { return m == Method::erk43ip; }

Stepper::Stepper(Grid& grid, Model model, Method method) : grid_(grid), model_(std::move(model)), method_(method) {
  k2_.resize(static_cast<std::size_t>(grid.k_count()));
  for (std::int64_t j = 0; j < grid.k_count(); ++j) k2_[static_cast<std::size_t>(j)] = 0.5 * model_.beta * grid.k(j) * grid.k(j);
}

void Stepper::linear(cvec& u, double h) const {
  const auto n = static_cast<std::int64_t>(u.size());
#pragma omp parallel for schedule(static) if (n > (1 << 15))
  for (std::int64_t j = 0; j < n; ++j) {
    const double ph = -k2_[static_cast<std::size_t>(j)] * h;
    u[static_cast<std::size_t>(j)] *= cplx(std::cos(ph), std::sin(ph));
  }
}

void Stepper::nonlinear(const cvec& u, cvec& out, Controller& ctl) {
  grid_.to_x(u, x_);
  const auto n = static_cast<std::int64_t>(x_.size());
#pragma omp parallel for schedule(static) if (n > (1 << 15))
  for (std::int64_t j = 0; j < n; ++j) {
    auto& v = x_[static_cast<std::size_t>(j)];
    v *= I * (model_.g * std::norm(v) - model_.V(grid_.x(j)));
  }
  grid_.to_k(x_, out);
  ++ctl.rhs;
}

void Stepper::nonlinear_flow(cvec& u, double h) {
  grid_.to_x(u, x_);
  const auto n = static_cast<std::int64_t>(x_.size());
#pragma omp parallel for schedule(static) if (n > (1 << 15))
  for (std::int64_t j = 0; j < n; ++j) {
    auto& v = x_[static_cast<std::size_t>(j)];
    const double ph = (model_.g * std::norm(v) - model_.V(grid_.x(j))) * h;
    v *= cplx(std::cos(ph), std::sin(ph));
  }
  grid_.to_k(x_, u);
}

// One ERK4(3)-IP trial step (Balac & Mahé 2013): the 4th-order RK4IP solution and an embedded 3rd-order one
// from the FSAL stage k5 = N̂(ψ4). Returns the weighted RMS error norm; the 4th-order solution goes to `out`.
double Stepper::erk43_try(const cvec& psi, double h, cvec& out, Controller& ctl) {
  const auto n = psi.size();
  a_ = psi;  // ψ_I = e^{Lh/2} ψ
  linear(a_, 0.5 * h);
  if (!have_k5_) {
    nonlinear(psi, k5_, ctl);
    have_k5_ = true;
  }
  b_ = k5_;  // k1 = e^{Lh/2} N̂(ψ)
  linear(b_, 0.5 * h);
  cvec& k1 = b_;
  c_.resize(n);
  for (std::size_t j = 0; j < n; ++j) c_[j] = a_[j] + 0.5 * h * k1[j];
  nonlinear(c_, d_, ctl);  // k2 in d_
  cvec& acc = acc_;
  acc.resize(n);
  for (std::size_t j = 0; j < n; ++j) acc[j] = a_[j] + h / 6.0 * (k1[j] + 2.0 * d_[j]), c_[j] = a_[j] + 0.5 * h * d_[j];
  nonlinear(c_, e_, ctl);  // k3 in e_
  for (std::size_t j = 0; j < n; ++j) acc[j] += h / 3.0 * e_[j], c_[j] = a_[j] + h * e_[j];
  linear(c_, 0.5 * h);
  nonlinear(c_, d_, ctl);  // k4 in d_
  linear(acc, 0.5 * h);
  out.resize(n);
  for (std::size_t j = 0; j < n; ++j) out[j] = acc[j] + h / 6.0 * d_[j];
  nonlinear(out, e_, ctl);  // k5 = N̂(ψ4): FSAL for the next step
  // Error norm in physical units: RMS over x of ψ4 − ψ3 against atol + rtol · RMS(ψ) (Parseval: RMS_x = ||·||_k / N).
  // A per-mode relative test would demand relative accuracy of modes that are only round-off, and crawl.
  double loc[3] = {0.0, 0.0, 0.0};
  for (std::size_t j = 0; j < n; ++j) {
    loc[0] += std::norm(h / 10.0 * (d_[j] - e_[j]));  // ψ4 − ψ3, ψ3 = e^{Lh/2}acc + h/30 (2k4 + 3k5)
    loc[1] += std::norm(out[j]);
    loc[2] += std::norm(psi[j]);
  }
  grid_.comm().allreduce_inplace(std::span<double>(loc, 3), mpi::Op::sum);
  const double nn = static_cast<double>(grid_.n());
  const double rms_err = std::sqrt(loc[0]) / nn, rms_psi = std::sqrt(std::max(loc[1], loc[2])) / nn;
  return rms_err / (ctl.atol + ctl.rtol * rms_psi);
}

double Stepper::advance(cvec& psi, double h_here, Controller& ctl) {
  const auto n = psi.size();
  switch (method_) {
    case Method::strang:
      linear(psi, 0.5 * h_here);
      nonlinear_flow(psi, h_here);
      linear(psi, 0.5 * h_here);
      ++ctl.accepted;
      return h_here;
    case Method::yoshida4: {
      const double w1 = 1.0 / (2.0 - std::cbrt(2.0)), w0 = 1.0 - 2.0 * w1;
      for (double w : {w1, w0, w1}) {
        linear(psi, 0.5 * w * h_here);
        nonlinear_flow(psi, w * h_here);
        linear(psi, 0.5 * w * h_here);
      }
      ++ctl.accepted;
      return h_here;
    }
    case Method::rk4ip: {
      const double h = h_here;
      a_ = psi;
      linear(a_, 0.5 * h);  // ψ_I
      nonlinear(psi, b_, ctl);
      linear(b_, 0.5 * h);  // k1
      cvec& acc = acc_;
      acc.resize(n);
      c_.resize(n);
      for (std::size_t j = 0; j < n; ++j) acc[j] = a_[j] + h / 6.0 * b_[j], c_[j] = a_[j] + 0.5 * h * b_[j];
      nonlinear(c_, d_, ctl);  // k2
      for (std::size_t j = 0; j < n; ++j) acc[j] += h / 3.0 * d_[j], c_[j] = a_[j] + 0.5 * h * d_[j];
      nonlinear(c_, e_, ctl);  // k3
      for (std::size_t j = 0; j < n; ++j) acc[j] += h / 3.0 * e_[j], c_[j] = a_[j] + h * e_[j];
      linear(c_, 0.5 * h);
      nonlinear(c_, d_, ctl);  // k4
      linear(acc, 0.5 * h);
      for (std::size_t j = 0; j < n; ++j) psi[j] = acc[j] + h / 6.0 * d_[j];
      ++ctl.accepted;
      return h;
    }
    case Method::erk43ip: {
      for (int tries = 0; tries < 100; ++tries) {
        double h = std::min(ctl.h, h_here);
        if (ctl.hmax > 0) h = std::min(h, ctl.hmax);
        cvec& out = out_;
        const double err = erk43_try(psi, h, out, ctl);
        if (!std::isfinite(err)) throw NumericalError("erk43-ip: the solution is not finite at step size " + std::to_string(h));
        // PI controller (exponents 0.7/4 and 0.4/4, as in Hairer & Wanner for 4th-order pairs).
        double fac = err == 0.0 ? ctl.fmax
                                : ctl.safety * std::pow(err, -0.7 / 4.0) * std::pow(ctl.err_prev, 0.4 / 4.0);
        fac = std::clamp(fac, ctl.fmin, ctl.fmax);
        if (err <= 1.0) {
          psi.swap(out);
          k5_.swap(e_);  // FSAL stage at the new state
          ctl.err_prev = std::max(err, 1e-4);
          if (h >= ctl.h * 0.999999 || fac < 1.0) ctl.h = h * fac;  // clipped steps do not grow h from the clip
          ++ctl.accepted;
          return h;
        }
        have_k5_ = true;  // k5_ still holds N̂(ψ) at the unchanged state
        ctl.h = h * std::min(1.0, fac);
        ++ctl.rejected;
      }
      throw NumericalError("erk43-ip: 100 rejected steps in a row (h = " + std::to_string(ctl.h) + ")");
    }
  }
  return h_here;
}

}  // namespace sampo::nlse
