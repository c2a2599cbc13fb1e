#pragma once
// i ψ_t + (β/2) ψ_xx + g|ψ|²ψ − V(x)ψ = 0 on a periodic grid, integrated in Fourier space.
// The state is ψ̂ (k-space block of this rank). Linear part L(k) = −iβk²/2 (exact in the interaction-picture and
// split-step methods); nonlinear part N(ψ) = i(g|ψ|² − V)ψ evaluated in x-space.
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
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
  // soliton | two_soliton | akhmediev | akhmediev_tiled | peregrine | cw_mi | source_mi | source_two_soliton |
  // source_breather
  std::string name = "soliton";
  double amplitude = 2.0, velocity = 1.0, position = -10.0, phase = 0.0;  // soliton
  double amplitude2 = 1.5, velocity2 = -2.0, position2 = 10.0;            // two_soliton
  double a = 0.25, p0 = 1.0, t0 = 0.0;                                    // akhmediev, peregrine, cw_mi
  double epsilon = 1e-4, mode_k = 1.0;                                    // cw_mi seed ε cos(Kx)
  std::int64_t tiles = 1;  // akhmediev_tiled: spatial periods of the breather in the box
  [[nodiscard]] bool has_exact() const {
    return name == "soliton" || name == "two_soliton" || name == "akhmediev" || name == "akhmediev_tiled" ||
           name == "peregrine";
  }
  // The Akhmediev breather's spatial period 2π/(Ω√P0), Ω = 2√(1 − 2a).
  [[nodiscard]] double akhmediev_period() const;
  // ψ(x, t) of the exact solution (t absolute; akhmediev/peregrine are centred at t = 0).
  [[nodiscard]] cplx exact(double x, double t) const;
};

// Fills ψ(x, t0) on this rank's x block (noise keyed by global index and seed).
cvec initial_state(const Grid& grid, const Case& c, std::uint64_t seed);

// Integrators. `step` advances ψ̂ by h (adaptive methods may reject and shrink h; they return the step taken).
enum class Method {
  rk4ip, erk43ip, strang, yoshida4, kahanli6, suzukiumeno8, dop853, ipdop853, petscts,
  etdabm  // exponential Adams–Bashforth–Moulton, PECE (nlse/etd_adams.hpp)
};
Method method_from(const std::string& name);
std::string to_string(Method m);
// The split-step methods (strang, yoshida4, kahan-li6, suzuki-umeno8): symmetric compositions of Strang steps
// S(γ_i h) = e^{Lγ_i h/2} Φ_N(γ_i h) e^{Lγ_i h/2} with palindromic weights γ_1 … γ_s (Σγ_i = 1), Φ_N the exact nonlinear
// flow. Empty for the other methods.
[[nodiscard]] std::span<const double> composition_weights(Method m);
[[nodiscard]] inline bool split_step(Method m) { return !composition_weights(m).empty(); }
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
  // order: etd-abm's step count k (1 … etd::max_order; the other methods ignore it).
  Stepper(Grid& grid, Model model, Method method, Dealiasing dealias = {}, int order = 7);  // collective
  // The same, sharing an existing 3/2 grid (padding; null: its own): etd-abm's ip-dop853 starter uses its parent's,
  // so the padded plans and buffers exist once and the parent's padded_fft_count() sees the starter's transforms.
  Stepper(Grid& grid, Model model, Method method, Dealiasing dealias, int order, std::shared_ptr<Padding> padding);
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
  // erk43-ip after an accepted step from t_old to t_new (psi_new = ψ̂(t_new), as advance left it), no
  // communication: ψ̂ at t_out in [t_old, t_new] from the cubic Hermite interpolant of v(s) = e^{−Ls}ψ̂(t_old + s)
  // through v(0) = ψ̂(t_old), v'(0) = N̂(ψ̂(t_old)), v(h) = e^{−Lh}ψ̂(t_new), v'(h) = e^{−Lh}N̂(ψ̂(t_new)) (the
  // step's start, its FSAL stages and its end: no extra evaluation), mapped back by e^{L(t_out − t_old)}. Third
  // order: the interpolation error is h⁴/384 times the largest fourth derivative of v.
  void erk43_dense(double t_old, double t_new, double t_out, const cvec& psi_new, cvec& out) const;
  // FSAL state: the right-hand side at the current state kept from the last accepted step (empty when none).
  // Part of the checkpoint, so a restart continues with the bits the uninterrupted run used.
  [[nodiscard]] const cvec& fsal() const noexcept;
  void set_fsal(const cvec& f);

  // etd-abm (exponential Adams–Bashforth–Moulton, PECE; nlse/etd_adams.hpp): every step has the same h. Each step
  // needs N̂ at the k last states; the first k − 1 steps come from ip-dop853 (time.rtol/atol, at most 1e-10/1e-12;
  // its steps ≤ h, landing on each multiple of h), then every step is one predictor pass, N̂, one corrector pass, N̂
  // (four FFTs). The weights (k + 2 complex numbers per mode) are computed once per h. A call with another h than
  // the history's starts over.
  // The history (N̂ at the last multistep_count() states, newest first) and its h are the checkpoint's state.
  [[nodiscard]] int multistep_count() const noexcept { return etd_count_; }
  [[nodiscard]] double multistep_h() const noexcept { return etd_h_; }
  void multistep_history(int age, cvec& out) const;  // N̂ at the state `age` steps back (0: the current one)
  void set_multistep_state(double h, const std::vector<cvec>& newest_first);

  // Collective: the (dealiased) nonlinear term F[N(F⁻¹ u)] as the integrators see it (for tests).
  void nonlinear(const cvec& u_k, cvec& out_k, Controller& ctl);
  // FFTs of the 3N/2 grid (padding), which the N grid's fft_count() does not see.
  [[nodiscard]] std::int64_t padded_fft_count() const noexcept;
  [[nodiscard]] double padded_fft_seconds() const noexcept;  // and their time (Grid::fft_seconds)
  // The padded grid's plans came from FFTW wisdom (true without padding).
  [[nodiscard]] bool padded_from_wisdom() const noexcept;
  // σβk²/2 per local mode: the linear operator is L = −i·rate (e^{Ls} = e^{−i·rate·s}).
  [[nodiscard]] const std::vector<double>& linear_phase_rate() const noexcept { return k2_; }
  // σ(k) per local mode (all ones without the filter).
  [[nodiscard]] const std::vector<double>& sigma() const noexcept { return sigma_; }
  // e[i] = e^{+i·rate_i·s} for every local mode (the interaction picture's e^{−Ls}). Without the filter the rate is
  // κm² (κ = β(2π/L)²/2, m the signed mode number), so the factors follow by recurrences in m instead of a sincos per
  // mode. A group of 256 consecutive modes m0 … m0+255 runs as G = 16 lanes of consecutive modes, each leaping G
  // modes at a time: e^{iκs(m+G)²} = e^{iκsm²}·q_m, q_m = e^{iκs(2Gm+G²)}, q_{m+G} = q_m·e^{2G²iκs}. The lanes' first
  // values follow from the group's direct e^{i·rate·s} at m0 by e^{iκs(m+1)²} = e^{iκsm²}·e^{iκs(2m+1)}, their leap
  // factors from a direct e^{iκs(2Gm0+G²)} by e^{2Giκs}: 3 sincos per 256 modes (the steps e^{2iκs}, e^{2Giκs},
  // e^{2G²iκs} once per s). Every value is at most 15 + 16 products from a direct sincos: rounding ≲ (15² + 16²)/2
  // ulp ≈ 5e-14. Each value then gets one Newton step to modulus 1, e(3 − |e|²)/2, so the products' modulus drift
  // does not drift the mass. A group holding the wrap of FFT order, or the ragged end, goes by blocks of 16
  // restarted from direct values (2 per block). With the filter (σ(k) not quadratic) every factor is direct. Direct
  // values come from simd::expi (core/simd/vmath.hpp: within 2 ulp of libm, vectorised over a group).
  // Public for the tests.
  void phase_factors(double s, cvec& e) const;
  // The recurrences' steps for one s: e^{2iκs}, e^{2Giκs}, e^{2G²iκs} (direct sincos; G = phase_groups).
  struct PhaseSteps {
    cplx w2, w2g, wleap;
  };
  // The same factors for one group of phase_group_size modes (group q: local modes [q·256, min(nk, q·256 + 256))),
  // into e[0 .. group length): bit for bit what phase_factors writes there. w = phase_step(s), computed once per s.
  // The fused stage loops generate their factors group by group, in cache, instead of a separate pass.
  void phase_group(double s, const PhaseSteps& w, std::int64_t q, cplx* e) const;
  [[nodiscard]] PhaseSteps phase_step(double s) const;
  static constexpr std::int64_t phase_block = 16;   // the fallback's blocks (wrap of FFT order, ragged end)
  static constexpr std::int64_t phase_groups = 16;  // lanes of the recurrence
  static constexpr std::int64_t phase_leaps = 16;   // values per lane (leaps of phase_groups modes)
  static constexpr std::int64_t phase_group_size = phase_groups * phase_leaps;

 private:
  // e^{Lh} per mode, cached for the last h (direct sincos; erk43-ip, whose h changes every step: the recurrence of
  // phase_factors, 3 sincos per 256 modes).
  const cplx* linear_factors(double h) const;
  // One step h of a split-step method, on FFTW's in-place buffer: the state stays in k_buffer() from the first
  // pass to the last; per sub-step one k pass (e^{Lc_j h}, after a nonlinear flow the 2/3 rule's zeroing), the
  // backward FFT, the exact nonlinear flow on x, the forward FFT. Adjacent linear halves are merged: c_0 = γ_1/2,
  // c_j = (γ_j + γ_{j+1})/2, c_s = γ_s/2 (c_j = c_{s−j}). The factors e^{Lc_j h} come from phase_group's recurrence
  // inside the k pass, 256 modes at a time (no stored tables; their steps kept per h).
  void composition(cvec& psi_k, double h);
  void nonlinear_flow_in_buffer(double h);  // ψ ← e^{i(g|ψ|² − V)h}ψ on x_buffer() (with FFTW's 1/N)
  void pointwise(cvec& x, const Grid& g) const;  // x ← i(g|x|² − V)x on grid g's x block
  // The nonlinear term on FFTW's own buffers: on entry grid_.k_buffer() holds the (σ-multiplied, see Io in
  // solver.cpp) input spectrum, on return F[i(g|ψ|² − V)ψ] before the 2/3 rule's zeroing or the filter's σ (the
  // callers' loops apply them as they read the buffer). Backward FFT, one pass over x (1/N, the cubic term), forward
  // FFT: no copies. Padding goes through the 3/2 grid (copies in and out). Counts one evaluation.
  void rhs_in_buffers(Controller& ctl);
  double erk43_try(const cvec& psi_k, double h, cvec& out, Controller& ctl);
  void etd_step(cvec& psi_k, double h, Controller& ctl);
  cplx& etd_hist(std::int64_t j, int slot);  // mode j's history value in slot `slot` (pair layout, solver.cpp)
  [[nodiscard]] const cplx& etd_hist(std::int64_t j, int slot) const;
  // DOP853: stage s (0..15) at fraction c of the step h from y_s (full: f(y_s); IP: e^{−Lch} N(e^{Lch} y_s)).
  void dop_stage(const cvec& ys, double ch, cvec& k, Controller& ctl);
  double dop_initial_step(const cvec& y, Controller& ctl);
  // IP-DOP853 trial step from y (stages K0 = f_ .. K11 fused: per stage one pass that generates the phase factors
  // e^{−L c_s h} group by group (phase_group, in cache) and forms the stage sum y + h Σ a_i K_i times e^{L c_s h}
  // into the backward FFT's input; the nonlinear term in place; one pass that generates the factors again and
  // multiplies the forward FFT's output by them into K_s; zero tableau entries skipped). Then one pass over K0,
  // K5..K11 gives y_new, the 5th/3rd-order error sums and e^{Lh} y_new (into d_ and the backward FFT's input, for
  // K12 if the step is accepted). Returns the error norm (scipy's formula).
  double ip_try(const cvec& y, double h, Controller& ctl);
  // Sum of per-group partial sums part_[q·stride + c] over the groups, in group order (so the same for any thread
  // count), then over ranks.
  void reduce_parts(std::int64_t groups, int stride, double* out) const;
  double sum_norm2_scaled(const cvec& v, const cvec& y) const;  // collective: Σ|v/(atol + rtol|y|)|²
  Grid& grid_;
  Model model_;
  Method method_;
  Dealiasing dealias_;
  std::vector<double> k2_;                   // σ β k² / 2
  std::vector<double> sigma_;                // σ(k)
  std::vector<char> keep_;                   // two_thirds: 1 where |k| ≤ (2/3) k_Nyquist
  double kappa_ = 0;                         // β(2π/L)²/2: rate = κm² without the filter
  bool no_potential_ = true;                 // V ≡ 0: the pointwise term skips Model::V
  cvec a_, b_, d_, e_, k5_, acc_, out_;      // work arrays of the integrators, allocated once (padding's: in Padding)
  std::vector<double> v_;                    // V(x) at this rank's x points (empty without a potential)
  std::vector<double> part_;                 // per-group partial sums of the fused loops' reductions
  bool have_k5_ = false;                     // FSAL: N̂ at the current state from the last accepted erk43 step
  // DOP853 state: stages K0..K15, the step's start y_old (frame of the step start), y_new in that frame, FSAL f.
  std::vector<cvec> K_;
  cvec y_old_, y_new_, ys_, f_, f_next_;
  cvec empty_;  // fsal() without an FSAL state
  double t_old_ = 0, t_new_ = 0, h_last_ = 0, atol_ = 0, rtol_ = 0;
  bool have_f_ = false, extra_stages_ = false, stepped_ = false;
  std::shared_ptr<Padding> pad_;  // shared with etd-abm's starter
  bool k12_ = false;  // IP-DOP853: K12 = e^{−Lh} f_ formed (dense output needs it; the step itself does not)
  bool lin_by_recurrence_ = false;  // erk43-ip: linear_factors by phase_factors' recurrence
  mutable cvec lin_phase_;          // e^{L lin_h_} (linear_factors()'s cache)
  std::vector<PhaseSteps> comp_steps_;  // split-step methods: phase_step(−c_j h) for the distinct c_j
  double comp_h_ = std::numeric_limits<double>::quiet_NaN();
  mutable double lin_h_ = std::numeric_limits<double>::quiet_NaN();
  // etd-abm: order k, weights (k + 2 per mode) for w_h_, the history ring (k per mode; slot etd_head_ holds the
  // newest of etd_count_ values, spaced etd_h_), both stored by pairs of modes; the corrector's partial sum; the
  // ip-dop853 stepper of the first k − 1 steps.
  int order_ = 7;
  cvec etd_w_, etd_hist_, etd_c_;
  std::vector<double> etd_x_;  // the predictor's extrapolation coefficients x_j (etd::extrapolation)
  int etd_count_ = 0, etd_head_ = 0;
  double etd_h_ = std::numeric_limits<double>::quiet_NaN(), w_h_ = std::numeric_limits<double>::quiet_NaN();
  std::unique_ptr<Stepper> starter_;
};

}  // namespace sampo::nlse
