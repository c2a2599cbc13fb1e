#pragma once
// What a finished PETSc TAO solve reports, in one place for every workload that optimises with TAO (walks θ*,
// mcmc MAP): iterations, the type actually used (after -<prefix>tao_type), and the converged reason by name.
#include <petsctao.h>

#include <cstdint>
#include <string>

namespace sampo::petsc {

struct TaoOutcome {
  std::int64_t iterations = 0;
  std::string type, reason;  // e.g. "lmvm", "CONVERGED_GATOL" / "DIVERGED_MAXITS"
  bool converged = false;    // TAO's reason > 0
};

// Not collective (TAO's status is replicated). Throws NumericalError if PETSc fails.
TaoOutcome tao_outcome(Tao tao);

}  // namespace sampo::petsc
