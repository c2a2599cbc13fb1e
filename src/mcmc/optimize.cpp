#include "mcmc/optimize.hpp"

#include <petsctao.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>

#include "core/error/error.hpp"
#include "core/petsc/tao.hpp"

namespace sampo::mcmc {

namespace {

// PETSc's Vec is ::Vec here (mcmc::Vec is Eigen's).
using PVec = petsc::Handle<::Vec, VecDestroy>;
using PTao = petsc::Handle<Tao, TaoDestroy>;

struct Ctx {
  const Target* target;
  bool jacobian;
  int dim;
  const petsc::ReplicatedIterate* iterate;  // the iterate on every rank
  mcmc::Vec q, grad;   // the last evaluation
  double lp = 0.0;
  std::int64_t evaluations = 0;
  std::exception_ptr error;  // a target that threw (rethrown after TaoSolve)
};

// Collective: the iterate to every rank, then the target there (every rank the same arithmetic).
PetscErrorCode evaluate(Ctx& c, ::Vec x) {
  PetscCall(c.iterate->gather(x, std::span<double>(c.q.data(), static_cast<std::size_t>(c.dim))));
  ++c.evaluations;
  if (!c.error) {
    try {
      c.lp = c.target->log_density_gradient(c.q, c.grad, c.jacobian);
    } catch (...) {
      c.error = std::current_exception();
    }
  }
  PetscCheck(!c.error, PETSC_COMM_SELF, PETSC_ERR_USER, "the target threw (rethrown after TaoSolve)");
  return 0;
}

PetscErrorCode objective_and_gradient(Tao, ::Vec x, PetscReal* f, ::Vec g, void* ctx) {
  auto& c = *static_cast<Ctx*>(ctx);
  PetscCall(evaluate(c, x));
  const bool finite = std::isfinite(c.lp) && c.grad.allFinite();
  // Outside the support (log density -inf): a huge finite objective makes the line search step back.
  *f = finite ? -c.lp : 1e300;
  PetscInt lo = 0, hi = 0;
  PetscCall(VecGetOwnershipRange(g, &lo, &hi));
  PetscScalar* ga = nullptr;
  PetscCall(VecGetArray(g, &ga));
  for (PetscInt k = lo; k < hi; ++k) ga[k - lo] = finite ? -c.grad[static_cast<Eigen::Index>(k)] : 0.0;
  PetscCall(VecRestoreArray(g, &ga));
  return 0;
}

}  // namespace

MapResult find_map(const petsc::Session& session, const Target& target, const mcmc::Vec& start,
                   const MapOptions& opt) {
  const auto& comm = session.comm();
  const int d = target.dim();
  Ctx c{&target, opt.jacobian, d, nullptr, mcmc::Vec::Zero(d), mcmc::Vec::Zero(d), 0.0, 0, nullptr};
  const PetscInt local = comm.rank() == 0 ? d : 0;  // the iterate on rank 0: serial vector algebra
  PVec x;
  SAMPO_PETSC(VecCreateMPI(comm.get(), local, d, x.out()));
  if (comm.rank() == 0) {
    PetscScalar* a = nullptr;
    SAMPO_PETSC(VecGetArray(x, &a));
    std::copy_n(start.data(), d, a);
    SAMPO_PETSC(VecRestoreArray(x, &a));
  }
  const petsc::ReplicatedIterate iterate(x);
  c.iterate = &iterate;
  PTao tao;
  SAMPO_PETSC(TaoCreate(comm.get(), tao.out()));
  SAMPO_PETSC(TaoSetType(tao, opt.type.c_str()));
  SAMPO_PETSC(TaoSetSolution(tao, x));
  SAMPO_PETSC(TaoSetObjectiveAndGradient(tao, nullptr, objective_and_gradient, &c));
  SAMPO_PETSC(TaoSetTolerances(tao, opt.gatol, opt.grtol, 0.0));
  SAMPO_PETSC(TaoSetMaximumIterations(tao, static_cast<PetscInt>(opt.max_it)));
  SAMPO_PETSC(TaoSetMaximumFunctionEvaluations(tao, static_cast<PetscInt>(std::max<std::int64_t>(opt.max_it * 20, 100))));
  SAMPO_PETSC(TaoSetOptionsPrefix(tao, "map_"));
  SAMPO_PETSC(TaoSetFromOptions(tao));
  const PetscErrorCode solved = TaoSolve(tao);
  if (c.error) std::rethrow_exception(c.error);
  SAMPO_PETSC(solved);
  const auto outcome = petsc::tao_outcome(tao);
  MapResult res;
  res.iterations = outcome.iterations;
  res.type = outcome.type;
  res.reason = outcome.reason;
  // The returned point (on every rank) and the objective's value and gradient there.
  SAMPO_PETSC(evaluate(c, x));
  res.evaluations = c.evaluations;
  res.q = c.q;
  res.lp = c.lp;
  res.gradient_norm = c.grad.norm();
  res.converged = outcome.converged && std::isfinite(res.lp);
  return res;
}

}  // namespace sampo::mcmc
