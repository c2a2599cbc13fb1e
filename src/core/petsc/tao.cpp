#include "core/petsc/tao.hpp"

#include "core/petsc/session.hpp"

namespace sampo::petsc {

TaoOutcome tao_outcome(Tao tao) {
  TaoConvergedReason reason;
  PetscInt its = 0;
  PetscReal f = 0, gnorm = 0, cnorm = 0, xdiff = 0;
  SAMPO_PETSC(TaoGetSolutionStatus(tao, &its, &f, &gnorm, &cnorm, &xdiff, &reason));
  TaoType type = nullptr;
  SAMPO_PETSC(TaoGetType(tao, &type));
  TaoOutcome out;
  out.iterations = its;
  out.type = type ? type : "";
  out.reason = TaoConvergedReasons[reason];
  out.converged = reason > 0;
  return out;
}

ReplicatedIterate::ReplicatedIterate(Vec x) { SAMPO_PETSC(VecScatterCreateToAll(x, &to_all_, &all_)); }

ReplicatedIterate::~ReplicatedIterate() {
  if (to_all_) VecScatterDestroy(&to_all_);
  if (all_) VecDestroy(&all_);
}

PetscErrorCode ReplicatedIterate::gather(Vec x, std::span<double> out) const {
  PetscCall(VecScatterBegin(to_all_, x, all_, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(to_all_, x, all_, INSERT_VALUES, SCATTER_FORWARD));
  const PetscScalar* a = nullptr;
  PetscCall(VecGetArrayRead(all_, &a));
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = PetscRealPart(a[i]);
  PetscCall(VecRestoreArrayRead(all_, &a));
  return 0;
}

}  // namespace sampo::petsc
