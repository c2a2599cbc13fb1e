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

}  // namespace sampo::petsc
