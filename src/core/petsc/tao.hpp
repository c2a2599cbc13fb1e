#pragma once
// What a finished PETSc TAO solve reports, in one place for every workload that optimises with TAO (walks θ*,
// mcmc MAP): iterations, the type actually used (after -<prefix>tao_type), and the converged reason by name.
#include <petsctao.h>

#include <cstdint>
#include <span>
#include <string>

namespace sampo::petsc {

struct TaoOutcome {
  std::int64_t iterations = 0;
  std::string type, reason;  // e.g. "lmvm", "CONVERGED_GATOL" / "DIVERGED_MAXITS"
  bool converged = false;    // TAO's reason > 0
};

// Not collective (TAO's status is replicated). Throws NumericalError if PETSc fails.
TaoOutcome tao_outcome(Tao tao);

// The distributed TAO iterate made available on every rank, so that every rank evaluates the objective with the
// same arithmetic (results independent of the rank count): one VecScatterCreateToAll, then gather() per
// evaluation. Owns the scatter and the replicated Vec.
class ReplicatedIterate {
 public:
  explicit ReplicatedIterate(Vec x);  // collective; x: the solver's distributed iterate (its layout is kept)
  ~ReplicatedIterate();
  ReplicatedIterate(const ReplicatedIterate&) = delete;
  ReplicatedIterate& operator=(const ReplicatedIterate&) = delete;
  // Collective: the values of x on every rank into out (out.size() = x's global size). Returns PETSc's error code
  // (for use inside TAO callbacks with PetscCall).
  PetscErrorCode gather(Vec x, std::span<double> out) const;

 private:
  VecScatter to_all_ = nullptr;
  Vec all_ = nullptr;
};

}  // namespace sampo::petsc
