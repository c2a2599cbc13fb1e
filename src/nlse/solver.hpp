#pragma once
// i ψ_t + (β/2) ψ_xx + g|ψ|²ψ − V(x)ψ = 0 on a periodic grid, integrated in Fourier space.
// The state is ψ̂ (k-space block of this rank). Linear part L(k) = −iβk²/2 (exact in the interaction-picture and
// split-step methods); nonlinear part N(ψ) = i(g|ψ|² − V)ψ evaluated in x-space.
#include <cstdint>
#include <limits>
#include <memory>
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
// Collective: the filter-consistent Hamiltonian H_σ = L/N² Σ_k (β/2)σk²|ψ̂|² + dx Σ_x (−(g/2)|ψ_f|⁴ + V|ψ_f|²),
// ψ_f = F⁻¹[σψ̂], which the filtered semi-discrete system ψ̂' = −iσ(β/2)k²ψ̂ + σF[i(g|ψ_f|² − V)ψ_f] conserves
// exactly (it is −i(N/dx)∂H_σ/∂ψ̂*). sigma: σ per local mode (Stepper::sigma()); equals the energy when σ ≡ 1.
double filtered_hamiltonian(Grid& grid, const Model& m, const cvec& psi_k, const std::vector<double>& sigma);

// Modulation instability of the CW √P0 e^{igP0t}: a perturbation e^{iKx} grows at σ(K) = ½|β||K| √(4gP0/β − K²)
// where the root is real (g/β > 0, K² < 4gP0/β), else 0.
double mi_growth_theory(const Model& m, double p0, double K);
// Collective: amplitude of the modes ±K, √(|ψ̂_K|² + |ψ̂_−K|²)/N (K a multiple of 2π/L).
double mode_amplitude(const Grid& grid, const cvec& psi_k, double K);
// Least-squares slope of ln a(t) over the samples with t ≥ t_from and a ≤ a_max (the linear stage: past the
// decaying eigenmode's transient, before saturation). NaN with fewer than 3 such samples.
double fit_growth_rate(const std::vector<double>& t, const std::vector<double>& a, double t_from, double a_max);

// Initial conditions and exact solutions of the named cases (β = g = 1 conventions of the reference).
struct Case {
  std::string name = "soliton";  // soliton | two_soliton | akhmediev | peregrine | cw_mi | source_mi
  double amplitude = 2.0, velocity = 1.0, position = -10.0, phase = 0.0;  // soliton
  double amplitude2 = 1.5, velocity2 = -2.0, position2 = 10.0;            // two_soliton
  double a = 0.25, p0 = 1.0, t0 = 0.0;                                    // akhmediev, peregrine, cw_mi
  double epsilon = 1e-4, mode_k = 1.0;                                    // cw_mi seed ε cos(Kx)
  [[nodiscard]] bool has_exact() const { return name != "cw_mi" && name != "source_mi"; }
  // ψ(x, t) of the exact solution (t absolute; akhmediev/peregrine are centred at t = 0).
  [[nodiscard]] cplx exact(double x, double t) const;
};

// Fills ψ(x, t0) on this rank's x block (noise keyed by global index and seed).
cvec initial_state(const Grid& grid, const Case& c, std::uint64_t seed);

// Integrators. `step` advances ψ̂ by h (adaptive methods may reject and shrink h; they return the step taken).
enum class Method { rk4ip, erk43ip, strang, yoshida4, dop853, ipdop853, petscts };
Method method_from(const std::string& name);
std::string to_string(Method m);
[[nodiscard]] bool adaptive(Method m);
// DOP853 methods step with scipy's controller to the end time and give output times by dense output.
[[nodiscard]] bool dense_output(Method m);

// Treatment of the aliasing of the cubic term (deck key model.dealiasing).
//   none: plain pseudo-spectral product;
//   two_thirds: the nonlinear term's modes with |k| > (2/3) k_Nyquist are zeroed after each evaluation;
//   padding: N(ψ) is evaluated on a 3N/2 grid (zero-padded spectrum) and truncated back to N modes; the kept modes
//            are alias-free when ψ's spectrum lies in |k| < (2/3) k_Nyquist (3K < N; a full spectrum needs 2N);
//   filter: the source's exponential filter σ(k) = exp(−α(|k|/k_c)^p) applied as the source applies it:
//           ψ̂_t = −iσ(k)(β/2)k²ψ̂ + σ F[N(F⁻¹[σψ̂])], so the linear part carries σ too.
enum class Dealias { none, two_thirds, padding, filter };
Dealias dealias_from(const std::string& name);
std::string to_string(Dealias d);
struct Dealiasing {
  Dealias kind = Dealias::none;
  double alpha = 36.0, order = 36.0;  // filter strength α and order p
  double kc = 2.0 / 3.0;              // filter cut-off k_c as a fraction of the Nyquist wavenumber π N / L
  // σ(k) of the filter (1 for the other kinds); k_nyquist = π N / L.
  [[nodiscard]] double sigma(double k, double k_nyquist) const noexcept;
};

struct Controller {  // adaptive step-size state (part of the checkpoint)
  double h = 1e-3;   // next trial step (DOP853 methods: h ≤ 0 asks for scipy's initial-step rule)
  double err_prev = 1.0;
  double rtol = 1e-9, atol = 1e-11, safety = 0.9, fmin = 0.2, fmax = 5.0, hmax = 0.0;
  std::int64_t accepted = 0, rejected = 0, rhs = 0;
};

class Padding;  // the 3/2-rule grid and its redistribution (solver.cpp)

class Stepper {
 public:
  Stepper(Grid& grid, Model model, Method method, Dealiasing dealias = {});  // collective
  ~Stepper();
  Stepper(const Stepper&) = delete;
  Stepper& operator=(const Stepper&) = delete;
  // Collective: advances psi_k from t by at most `h_max_here` (adaptive: the controller's step, clipped; fixed: exactly
  // h_max_here). Returns the step taken. Not for the DOP853 methods (use advance_to).
  double advance(cvec& psi_k, double h_max_here, Controller& ctl);
  // Collective, DOP853 methods: one accepted step from t towards t_bound with scipy's controller (safety 0.9, factors
  // 0.2-10, exponent -1/8, max step ctl.hmax, the last step clipped to t_bound). Returns the new time.
  double advance_to(cvec& psi_k, double t, double t_bound, Controller& ctl);
  // Collective, DOP853 methods: ψ̂ at t_out in [t_old, t_new] of the last accepted step from the 7th-order dense
  // output (three extra stages, computed once per step on first use).
  void dense(double t_out, cvec& out, Controller& ctl);
  // FSAL state: the right-hand side at the current state kept from the last accepted step (empty when none).
  // Part of the checkpoint, so a restart continues with the bits the uninterrupted run used.
  [[nodiscard]] const cvec& fsal() const noexcept;
  void set_fsal(const cvec& f);

  // Collective: the (dealiased) nonlinear term F[N(F⁻¹ u)] as the integrators see it (for tests).
  void nonlinear(const cvec& u_k, cvec& out_k, Controller& ctl);
  // FFTs of the 3N/2 grid (padding), which the N grid's fft_count() does not see.
  [[nodiscard]] std::int64_t padded_fft_count() const noexcept;
  // The padded grid's plans came from FFTW wisdom (true without padding).
  [[nodiscard]] bool padded_from_wisdom() const noexcept;
  // σβk²/2 per local mode: the linear operator is L = −i·rate (e^{Ls} = e^{−i·rate·s}).
  [[nodiscard]] const std::vector<double>& linear_phase_rate() const noexcept { return k2_; }
  // σ(k) per local mode (all ones without the filter).
  [[nodiscard]] const std::vector<double>& sigma() const noexcept { return sigma_; }

 private:
  void linear(cvec& u_k, double h) const;        // u ← e^{Lh} u
  void nonlinear_flow(cvec& u_k, double h);      // exact |ψ|-preserving phase rotation
  void pointwise(cvec& x, const Grid& g) const;  // x ← i(g|x|² − V)x on grid g's x block
  double erk43_try(const cvec& psi_k, double h, cvec& out, Controller& ctl);
  // DOP853: stage s (0..15) at fraction c of the step h from y_s (full: f(y_s); IP: e^{−Lch} N(e^{Lch} y_s)).
  // raw (IP only): receives N̂(e^{Lch} y_s) before its phase factor.
  void dop_stage(const cvec& ys, double ch, cvec& k, Controller& ctl, cvec* raw = nullptr);
  double dop_initial_step(const cvec& y, Controller& ctl);
  double sum_norm2_scaled(const cvec& v, const cvec& y) const;  // collective: Σ|v/(atol + rtol|y|)|²
  Grid& grid_;
  Model model_;
  Method method_;
  Dealiasing dealias_;
  std::vector<double> k2_;                       // σ β k² / 2
  std::vector<double> sigma_;                    // σ(k)
  std::vector<char> keep_;                       // two_thirds: 1 where |k| ≤ (2/3) k_Nyquist
  cvec a_, b_, c_, d_, e_, x_, k5_, acc_, out_;  // work arrays of the integrators, allocated once
  cvec filtered_, fine_k_;                       // work arrays of nonlinear() (σψ̂; the 3N/2 spectrum)
  bool have_k5_ = false;                         // FSAL: N̂ at the current state from the last accepted erk43 step
  // DOP853 state: stages K0..K15, the step's start y_old (frame of the step start), y_new in that frame, FSAL f.
  std::vector<cvec> K_;
  cvec y_old_, y_new_, ys_, f_, f_next_;
  cvec empty_;  // fsal() without an FSAL state
  double t_old_ = 0, t_new_ = 0, h_last_ = 0, atol_ = 0, rtol_ = 0;
  bool have_f_ = false, extra_stages_ = false, stepped_ = false;
  std::unique_ptr<Padding> pad_;
  mutable cvec lin_phase_;  // e^{L lin_h_} (linear()'s cache)
  mutable double lin_h_ = std::numeric_limits<double>::quiet_NaN();
};

}  // namespace sampo::nlse
