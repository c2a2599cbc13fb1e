#include "nlse/petsc_ts.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#include "core/error/error.hpp"

namespace sampo::nlse {

PetscTs::PetscTs(const petsc::Session& session, Grid& grid, Stepper& stepper, const Controller& ctl)
    : grid_(grid), stepper_(stepper) {
  (void)session;  // PETSc must be initialised for the lifetime of this object
  const auto nk = static_cast<PetscInt>(2 * grid.k_count());
  SAMPO_VERIFY(2 * grid.n() <= std::numeric_limits<PetscInt>::max(), "petsc-ts: 2N exceeds PetscInt");
  SAMPO_PETSC(VecCreateMPI(grid.comm().get(), nk, static_cast<PetscInt>(2 * grid.n()), u_.out()));
  SAMPO_PETSC(TSCreate(grid.comm().get(), ts_.out()));
  SAMPO_PETSC(TSSetOptionsPrefix(ts_, "nlse_"));
  SAMPO_PETSC(TSSetProblemType(ts_, TS_NONLINEAR));
  SAMPO_PETSC(TSSetType(ts_, TSRK));
  SAMPO_PETSC(TSRKSetType(ts_, TSRK5DP));
  SAMPO_PETSC(TSSetRHSFunction(ts_, nullptr, &PetscTs::rhs, this));
  SAMPO_PETSC(TSSetSolution(ts_, u_));
  // Output times are the driver's (it clips the trial step); no final-time snapping by PETSc.
  SAMPO_PETSC(TSSetMaxTime(ts_, 1e300));  // TSStep insists on a finite one
  SAMPO_PETSC(TSSetExactFinalTime(ts_, TS_EXACTFINALTIME_STEPOVER));
  SAMPO_PETSC(TSSetMaxStepRejections(ts_, 100));
  SAMPO_PETSC(TSSetTolerances(ts_, ctl.atol, nullptr, ctl.rtol, nullptr));
  TSAdapt adapt = nullptr;
  SAMPO_PETSC(TSGetAdapt(ts_, &adapt));
  SAMPO_PETSC(TSAdaptSetType(adapt, TSADAPTBASIC));
  if (ctl.hmax > 0) SAMPO_PETSC(TSAdaptSetStepLimits(adapt, PETSC_DEFAULT, ctl.hmax));
  SAMPO_PETSC(TSSetTimeStep(ts_, ctl.h));
  SAMPO_PETSC(TSSetFromOptions(ts_));
  SAMPO_PETSC(TSSetUp(ts_));
}

PetscTs::~PetscTs() = default;

std::string PetscTs::describe() const {
  TSType type = nullptr;
  TSGetType(ts_, &type);
  std::string s = type ? type : "?";
  PetscBool is_rk = PETSC_FALSE;
  PetscObjectTypeCompare(reinterpret_cast<PetscObject>(static_cast<TS>(ts_)), TSRK, &is_rk);
  if (is_rk) {
    TSRKType rk = nullptr;
    TSRKGetType(ts_, &rk);
    s += std::string(" ") + (rk ? rk : "?");
  }
  TSAdapt adapt = nullptr;
  TSAdaptType at = nullptr;
  TSGetAdapt(ts_, &adapt);
  if (adapt) TSAdaptGetType(adapt, &at);
  return s + " adapt " + (at ? at : "?");
}

PetscTs::Tableau PetscTs::tableau() const {
  PetscBool is_rk = PETSC_FALSE;
  SAMPO_PETSC(PetscObjectTypeCompare(reinterpret_cast<PetscObject>(static_cast<TS>(ts_)), TSRK, &is_rk));
  Tableau t;
  if (!is_rk) return t;
  t.rk = true;
  PetscInt s = 0, p = 0;
  const PetscReal *a = nullptr, *b = nullptr, *c = nullptr, *bembed = nullptr, *binterp = nullptr;
  PetscBool fsal = PETSC_FALSE;
  SAMPO_PETSC(TSRKGetTableau(ts_, &s, &a, &b, &c, &bembed, &p, &binterp, &fsal));
  t.embedded = bembed != nullptr;
  t.interpolation_order = binterp ? static_cast<int>(p) : 0;
  return t;
}

int PetscTs::interpolation_order() const { return tableau().interpolation_order; }

std::string PetscTs::option_problem() const {
  const Tableau t = tableau();
  if (!t.rk) return "";
  TSAdapt adapt = nullptr;
  TSAdaptType at = nullptr;
  SAMPO_PETSC(TSGetAdapt(ts_, &adapt));
  SAMPO_PETSC(TSAdaptGetType(adapt, &at));
  if (t.embedded || (at && std::strcmp(at, TSADAPTNONE) == 0)) return "";
  return "PETSc TS " + describe() + ": the scheme has no embedded error estimate, so the adaptor '" +
         std::string(at ? at : "?") + "' cannot control the step; choose a scheme with one (e.g. -nlse_ts_rk_type " +
         "5dp, 3bs, 5f, 5bs, 6vr, 7vr, 8vr) or fixed steps of time.dt with -nlse_ts_adapt_type none";
}

void PetscTs::interpolate(double t_out, cvec& psi_out) {
  SAMPO_VERIFY(interpolation_order() > 0, "petsc-ts: the TS type has no interpolant");
  if (!w_) SAMPO_PETSC(VecDuplicate(u_, w_.out()));
  SAMPO_PETSC(TSInterpolate(ts_, t_out, w_));
  psi_out.resize(static_cast<std::size_t>(grid_.k_count()));
  out_of_picture(w_, t_out - t_anchor_, psi_out);
}

void PetscTs::out_of_picture(Vec v_vec, double s, cvec& psi) const {
  const auto& rate = stepper_.linear_phase_rate();
  const PetscScalar* r = nullptr;
  SAMPO_PETSC(VecGetArrayRead(v_vec, &r));
  const auto* v = reinterpret_cast<const cplx*>(r);
  for (std::size_t j = 0; j < psi.size(); ++j) {
    const double ph = -rate[j] * s;
    psi[j] = v[j] * cplx(std::cos(ph), std::sin(ph));
  }
  SAMPO_PETSC(VecRestoreArrayRead(v_vec, &r));
}

// F(t, v) = e^{−L(t − t_n)} N̂(e^{L(t − t_n)} v), v as interleaved reals (the layout of std::complex<double>).
PetscErrorCode PetscTs::rhs(TS, PetscReal t, Vec u, Vec f, void* p) {
  auto& self = *static_cast<PetscTs*>(p);
  if (self.error_) return PETSC_ERR_LIB;
  const PetscScalar* ua = nullptr;
  PetscScalar* fa = nullptr;
  PetscCall(VecGetArrayRead(u, &ua));
  const auto n = static_cast<std::size_t>(self.grid_.k_count());
  const double s = t - self.t_anchor_;
  self.in_.resize(n);
  // e^{−Ls} = e^{+i·rate·s} by ip-dop853's recurrence (3 sincos per 256 modes, ≲ 5e-14 from the direct values)
  // instead of a sincos per mode in every evaluation.
  self.stepper_.phase_factors(s, self.phase_);
  const auto* v = reinterpret_cast<const cplx*>(ua);
  for (std::size_t j = 0; j < n; ++j) self.in_[j] = v[j] * std::conj(self.phase_[j]);  // e^{Ls} v
  PetscCall(VecRestoreArrayRead(u, &ua));
  try {
    self.stepper_.nonlinear(self.in_, self.out_, *self.ctl_);  // collective: every rank gets here
  } catch (...) {
    self.error_ = std::current_exception();
    return PETSC_ERR_LIB;
  }
  PetscCall(VecGetArray(f, &fa));
  auto* w = reinterpret_cast<cplx*>(fa);
  for (std::size_t j = 0; j < n; ++j) w[j] = self.out_[j] * self.phase_[j];
  PetscCall(VecRestoreArray(f, &fa));
  return 0;
}

double PetscTs::advance(cvec& psi, double t, double h_max_here, Controller& ctl) {
  const auto n = psi.size();
  ctl_ = &ctl;
  t_anchor_ = t;
  PetscScalar* a = nullptr;
  SAMPO_PETSC(VecGetArray(u_, &a));
  std::memcpy(static_cast<void*>(a), psi.data(), n * sizeof(cplx));
  SAMPO_PETSC(VecRestoreArray(u_, &a));
  double h = std::min(ctl.h, h_max_here);
  if (ctl.hmax > 0) h = std::min(h, ctl.hmax);
  SAMPO_PETSC(TSSetTime(ts_, t));
  SAMPO_PETSC(TSSetTimeStep(ts_, h));
  SAMPO_PETSC(TSRestartStep(ts_));  // the picture moved: no FSAL stage from the previous step
  PetscInt rej0 = 0, rej1 = 0;
  SAMPO_PETSC(TSGetStepRejections(ts_, &rej0));
  const PetscErrorCode ierr = TSStep(ts_);
  if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  petsc::check(ierr, "TSStep(ts)", __FILE__, __LINE__);
  TSConvergedReason reason = TS_CONVERGED_ITERATING;
  SAMPO_PETSC(TSGetConvergedReason(ts_, &reason));
  if (reason < 0)
    throw NumericalError("petsc-ts: PETSc TS step failed (TSConvergedReason " + std::to_string(reason) +
                         ") at t = " + std::to_string(t) + " with step " + std::to_string(h) +
                         "; try a smaller time.dt, looser -nlse_ts_rtol or another -nlse_ts_rk_type");
  SAMPO_PETSC(TSGetStepRejections(ts_, &rej1));
  PetscReal t_new = 0, h_next = 0;
  SAMPO_PETSC(TSGetTime(ts_, &t_new));
  SAMPO_PETSC(TSGetTimeStep(ts_, &h_next));
  const double taken = t_new - t;
  out_of_picture(u_, taken, psi);  // ψ̂(t + h) = e^{Lh} v(h)
  // -nlse_ts_monitor and friends (TSSolve would call them; TSStep does not): on ψ̂ at the new time.
  PetscScalar* m = nullptr;
  SAMPO_PETSC(VecGetArray(u_, &m));
  std::memcpy(static_cast<void*>(m), psi.data(), n * sizeof(cplx));
  SAMPO_PETSC(VecRestoreArray(u_, &m));
  SAMPO_PETSC(TSMonitor(ts_, static_cast<PetscInt>(ctl.accepted + 1), t_new, u_));
  ctl.rejected += rej1 - rej0;
  ++ctl.accepted;
  // A step clipped to an output time does not shrink the next trial step (as erk43-ip).
  if (taken >= ctl.h * 0.999999 || h_next < taken) ctl.h = h_next;
  ctl_ = nullptr;
  return taken;
}

}  // namespace sampo::nlse
