#pragma once
// i ψ_t + (β/2) ψ_xx + g|ψ|²ψ − V(x)ψ = 0 on a periodic grid, integrated in Fourier space.
// The state is ψ̂ (k-space block of this rank). Linear part L(k) = −iβk²/2 (exact in the interaction-picture and
// split-step methods); nonlinear part N(ψ) = i(g|ψ|² − V)ψ evaluated in x-space.
#include <cstdint>
#include <string>

#include "core/config/config.hpp"
#include "nlse/grid.hpp"

namespace sampo::nlse {

struct Model {
  double beta = 1.0;
  double g = 1.0;
  std::string potential = "none";  // none | harmonic | lattice
  double v0 = 0.0;                 // harmonic: V = v0 x²; lattice: V = v0 cos²(kl x)
  double lattice_k = 1.0;
  [[nodiscard]] double V(double x) const noexcept;
};

// Invariants computed spectrally (periodic derivatives).
struct Invariants {
  double mass = 0, momentum = 0, energy = 0;
};
Invariants invariants(Grid& grid, const Model& m, const cvec& psi_k);  // collective

// Initial conditions and exact solutions of the named cases (β = g = 1 conventions of the reference).
struct Case {
  std::string name = "soliton";  // soliton | two_soliton | akhmediev | peregrine | cw_mi | source_mi
  double amplitude = 2.0, velocity = 1.0, position = -10.0, phase = 0.0;          // soliton
  double amplitude2 = 1.5, velocity2 = -2.0, position2 = 10.0;                     // two_soliton
  double a = 0.25, p0 = 1.0, t0 = 0.0;                                             // akhmediev, peregrine, cw_mi
  double epsilon = 1e-4, mode_k = 1.0;                                             // cw_mi seed ε cos(Kx)
  [[nodiscard]] bool has_exact() const { return name != "cw_mi" && name != "source_mi"; }
  // ψ(x, t) of the exact solution (t absolute; akhmediev/peregrine are centred at t = 0).
  [[nodiscard]] cplx exact(double x, double t) const;
};

// Fills ψ(x, t0) on this rank's x block (noise keyed by global index and seed).
cvec initial_state(const Grid& grid, const Case& c, std::uint64_t seed);

// Integrators. `step` advances ψ̂ by h (adaptive methods may reject and shrink h; they return the step taken).
enum class Method { rk4ip, erk43ip, strang, yoshida4 };
Method method_from(const std::string& name);
std::string to_string(Method m);
[[nodiscard]] bool adaptive(Method m);

struct Controller {  // adaptive step-size state (part of the checkpoint)
  double h = 1e-3;
  double err_prev = 1.0;
  double rtol = 1e-9, atol = 1e-11, safety = 0.9, fmin = 0.2, fmax = 5.0, hmax = 0.0;
  std::int64_t accepted = 0, rejected = 0, rhs = 0;
};

class Stepper {
 public:
  Stepper(Grid& grid, Model model, Method method);
  // Collective: advances psi_k from t by at most `h_max_here` (adaptive: the controller's step, clipped; fixed: exactly
  // h_max_here). Returns the step taken.
  double advance(cvec& psi_k, double h_max_here, Controller& ctl);

 private:
  void nonlinear(const cvec& u_k, cvec& out_k, Controller& ctl);  // F[N(F⁻¹ u)]
  void linear(cvec& u_k, double h) const;                          // u ← e^{Lh} u
  void nonlinear_flow(cvec& u_k, double h);                        // exact |ψ|-preserving phase rotation
  double erk43_try(const cvec& psi_k, double h, cvec& out, Controller& ctl);
  Grid& grid_;
  Model model_;
  Method method_;
  std::vector<double> k2_;  // β k² / 2
  cvec a_, b_, c_, d_, e_, x_, k5_, acc_, out_;  // work arrays, allocated once
  bool have_k5_ = false;    // FSAL: N̂ at the current state from the last accepted erk43 step
};

}  // namespace sampo::nlse
