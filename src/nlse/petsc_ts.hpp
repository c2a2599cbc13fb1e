#pragma once
// `petsc-ts`: the interaction-picture system integrated by PETSc TS (any explicit Runge-Kutta method, adaptor and
// monitor from the PETSc options, prefix `nlse_`, given after "--" on the command line).
//
// Each step from t_n re-anchors the picture: v(s) = e^{−Ls} ψ̂(t_n + s), v' = e^{−Ls} N̂(e^{Ls} v), v(0) = ψ̂(t_n) —
// the system ip-dop853 integrates — and after PETSc's step ψ̂(t_n + h) = e^{Lh} v(h). The state is a distributed
// PETSc Vec over the grid's k blocks; PETSc here has real scalars (PETSC_USE_COMPLEX unset), so each complex mode
// is two interleaved reals (global size 2N). The nonlinear part is the Stepper's (its FFTs and dealiasing).
// Because the picture moves every step, TSRestartStep() discards PETSc's FSAL stage: an FSAL pair costs one more
// evaluation per step than in TSSolve, and every step starts from (ψ̂, t, h) alone, which is what the checkpoint
// holds (Controller::h). Error norm, tolerances and step-size control are PETSc's (TSAdapt), in v. With
// time.dense_output, output times inside a step come from the scheme's interpolant (TSInterpolate) in the step's
// picture instead of shortening the step.
#include <petscts.h>

#include <exception>
#include <memory>

#include "core/petsc/session.hpp"
#include "nlse/grid.hpp"
#include "nlse/solver.hpp"

namespace sampo::nlse {

class PetscTs {
 public:
  // Collective. Defaults TSRK 5dp with TSADAPTBASIC, tolerances ctl.rtol/atol, max step ctl.hmax; then
  // TSSetFromOptions, so -nlse_ts_type, -nlse_ts_rk_type, -nlse_ts_adapt_type, -nlse_ts_rtol, -nlse_ts_monitor ...
  // override them.
  PetscTs(const petsc::Session& session, Grid& grid, Stepper& stepper, const Controller& ctl);
  ~PetscTs();
  PetscTs(const PetscTs&) = delete;
  PetscTs& operator=(const PetscTs&) = delete;
  // Collective: one accepted PETSc step from t, of at most h_max_here (trial step ctl.h, clipped). Counts accepted
  // and rejected steps in ctl, sets ctl.h to the adaptor's next step (not grown from a clipped step). Returns the
  // step taken.
  double advance(cvec& psi_k, double t, double h_max_here, Controller& ctl);
  // The TS type, RK scheme and adaptor in use (after the options), e.g. "rk 5dp basic".
  [[nodiscard]] std::string describe() const;
  // The order p of the scheme's interpolant (PETSc's TSRK tableau `binterp`: 5 for 5dp; PETSc gives a scheme
  // without a dense-output formula the linear interpolant, p = 1); 0 for a TS type other than rk.
  [[nodiscard]] int interpolation_order() const;
  // What in the PETSc options cannot work, as a sentence for a ConfigError ("" when nothing): an adaptive
  // controller (any adaptor but none) on a scheme without an embedded error estimate (e.g. rk 4, 1fe), which PETSc
  // would refuse at the first step with "No support for this operation".
  [[nodiscard]] std::string option_problem() const;
  // Collective: ψ̂ at t_out inside the step just taken by advance() (t_n < t_out ≤ t_n + h), from PETSc's interpolant
  // of v (TSInterpolate: the step's start and stage derivatives) mapped out of the step's picture,
  // ψ̂(t_out) = e^{L(t_out − t_n)} v(t_out − t_n). Needs interpolation_order() > 0.
  void interpolate(double t_out, cvec& psi_out);

 private:
  static PetscErrorCode rhs(TS ts, PetscReal t, Vec u, Vec f, void* self);
  // What the TSRK tableau offers (all false/0 for another TS type).
  struct Tableau {
    bool rk = false, embedded = false;
    int interpolation_order = 0;
  };
  [[nodiscard]] Tableau tableau() const;
  // ψ = e^{Ls} v for v in the picture anchored s before (psi sized to the local modes).
  void out_of_picture(Vec v, double s, cvec& psi) const;
  Grid& grid_;
  Stepper& stepper_;
  petsc::Handle<TS, TSDestroy> ts_;
  petsc::Handle<Vec, VecDestroy> u_;
  petsc::Handle<Vec, VecDestroy> w_;  // interpolate()'s work Vec (made on first use)
  double t_anchor_ = 0;
  Controller* ctl_ = nullptr;  // the caller's controller during advance() (RHS counts)
  cvec in_, out_, phase_;      // work: e^{Ls}v, N̂ of it, e^{−Ls}
  std::exception_ptr error_;   // an exception inside the RHS, rethrown after TSStep
};

}  // namespace sampo::nlse
