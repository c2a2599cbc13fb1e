#pragma once
// MAP / penalised maximum likelihood by PETSc TAO (default L-BFGS, TAOLMVM), like CmdStan's optimize: the maximum
// in unconstrained space of the log density without the log Jacobian of the constraining transforms (CmdStan's
// default jacobian = false; with jacobian = true the mode of the sampling density). Options prefix `map_`, so
// `-- -map_tao_monitor -map_tao_type nls ...` reach the solver.
//
// The iterate lives on rank 0 and every rank evaluates the target at the same point (redundantly: one target
// evaluation per TAO call), so TAO's vector algebra is serial arithmetic and the optimum is bitwise independent of
// the rank and thread counts.
#include <cstdint>
#include <string>

#include "core/petsc/session.hpp"
#include "mcmc/target.hpp"

namespace sampo::mcmc {

struct MapOptions {
  std::string type = "lmvm";   // TAO type (overridable by -map_tao_type)
  double gatol = 1e-8;         // stop when |grad| <= gatol (absolute, unconstrained space)
  double grtol = 1e-8;         // or when |grad| / |lp| <= grtol (relative: large data sets, where |lp| is large)
  std::int64_t max_it = 2000;  // TAO iterations
  bool jacobian = false;       // include the log Jacobian (the sampling density's mode)
};

struct MapResult {
  Vec q;                    // the optimum (unconstrained), on every rank
  double lp = 0.0;          // the objective's log density there (without the Jacobian unless opt.jacobian)
  double gradient_norm = 0.0;
  std::int64_t iterations = 0, evaluations = 0;
  std::string type, reason;  // TAO type used; TaoConvergedReasons[reason], e.g. CONVERGED_GATOL, DIVERGED_MAXITS
  bool converged = false;    // TAO's reason > 0 (CONVERGED_*) at a finite log density
};

// Collective: maximises from `start`. A target that throws is rethrown after TAO stops; TAO errors throw
// NumericalError. Non-convergence is not an error: see MapResult::converged and reason.
MapResult find_map(const petsc::Session& session, const Target& target, const Vec& start, const MapOptions& opt);

}  // namespace sampo::mcmc
