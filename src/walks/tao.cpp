// θ* = argmin Σ μ_i f_i(θ) by PETSc TAO on the run's communicator (see optimise.hpp).
#include <petsctao.h>

#include <algorithm>
#include <cmath>

#include "core/error/error.hpp"
#include "core/petsc/tao.hpp"
#include "walks/optimise.hpp"

namespace sampo::walks {

namespace {

using PVec = petsc::Handle<Vec, VecDestroy>;
using PMat = petsc::Handle<Mat, MatDestroy>;
using PTao = petsc::Handle<Tao, TaoDestroy>;

struct Ctx {
  const Objective* obj;
  std::span<const double> mu;
  MPI_Comm comm;
  int rank, size, dim, chunks;
  const petsc::ReplicatedIterate* iterate;  // θ on every rank
  std::vector<double> theta, sums;  // sums: F, ∇F (dim), H (dim²)
};

// Collective: F, ∇F and (with_hess) the Hessian at x into c.sums, bitwise independent of the rank count.
PetscErrorCode evaluate(Ctx& c, Vec x, bool with_hess) {
  PetscCall(c.iterate->gather(x, c.theta));
  const auto d = static_cast<std::size_t>(c.dim);
  const std::size_t rec = 1 + d + (with_hess ? d * d : 0);
  const Vertex N = c.obj->vertices();
  const auto C = static_cast<std::int64_t>(c.chunks), P = static_cast<std::int64_t>(c.size), r = static_cast<std::int64_t>(c.rank);
  const std::int64_t q0 = C * r / P, q1 = C * (r + 1) / P;
  std::vector<double> mine(static_cast<std::size_t>(q1 - q0) * rec, 0.0);
  for (std::int64_t q = q0; q < q1; ++q) {
    double* out = mine.data() + static_cast<std::size_t>(q - q0) * rec;
    c.obj->accumulate(N * q / C, N * (q + 1) / C, c.mu, c.theta.data(), out, out + 1,
                      with_hess ? out + 1 + d : nullptr);
  }
  std::vector<int> counts(static_cast<std::size_t>(P)), displs(static_cast<std::size_t>(P));
  for (std::int64_t k = 0; k < P; ++k) {
    counts[static_cast<std::size_t>(k)] = static_cast<int>((C * (k + 1) / P - C * k / P) * static_cast<std::int64_t>(rec));
    displs[static_cast<std::size_t>(k)] = static_cast<int>((C * k / P) * static_cast<std::int64_t>(rec));
  }
  std::vector<double> all(static_cast<std::size_t>(C) * rec);
  PetscCallMPI(MPI_Allgatherv(mine.data(), static_cast<int>(mine.size()), MPI_DOUBLE, all.data(), counts.data(),
                              displs.data(), MPI_DOUBLE, c.comm));
  c.sums.assign(rec, 0.0);
  for (std::int64_t q = 0; q < C; ++q)  // chunk order: the same additions for any rank count
    for (std::size_t k = 0; k < rec; ++k) c.sums[k] += all[static_cast<std::size_t>(q) * rec + k];
  return 0;
}

PetscErrorCode objective_and_gradient(Tao, Vec x, PetscReal* f, Vec g, void* ctx) {
  auto& c = *static_cast<Ctx*>(ctx);
  PetscCall(evaluate(c, x, false));
  *f = c.sums[0];
  PetscInt lo = 0, hi = 0;
  PetscCall(VecGetOwnershipRange(g, &lo, &hi));
  PetscScalar* ga = nullptr;
  PetscCall(VecGetArray(g, &ga));
  for (PetscInt q = lo; q < hi; ++q) ga[q - lo] = c.sums[1 + static_cast<std::size_t>(q)];
  PetscCall(VecRestoreArray(g, &ga));
  return 0;
}

PetscErrorCode hessian(Tao, Vec x, Mat H, Mat, void* ctx) {
  auto& c = *static_cast<Ctx*>(ctx);
  PetscCall(evaluate(c, x, true));
  PetscInt lo = 0, hi = 0;
  PetscCall(MatGetOwnershipRange(H, &lo, &hi));
  const auto d = static_cast<std::size_t>(c.dim);
  std::vector<PetscInt> cols(d);
  for (std::size_t k = 0; k < d; ++k) cols[k] = static_cast<PetscInt>(k);
  for (PetscInt q = lo; q < hi; ++q)
    PetscCall(MatSetValues(H, 1, &q, c.dim, cols.data(), c.sums.data() + 1 + d + static_cast<std::size_t>(q) * d,
                           INSERT_VALUES));
  PetscCall(MatAssemblyBegin(H, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(H, MAT_FINAL_ASSEMBLY));
  return 0;
}

}  // namespace

ThetaStar solve_tao(const petsc::Session& session, const Objective& obj, std::span<const double> mu,
                    const TaoOptions& opt) {
  const auto& comm = session.comm();
  const int d = obj.dim();
  SAMPO_VERIFY(static_cast<Vertex>(mu.size()) == obj.vertices(), "solve_tao: mu needs one weight per vertex");
  // Chunks: at most 64, fewer for large dim so the gathered Hessians stay below 32 MiB; never more than N.
  const double rec = 1.0 + d + static_cast<double>(d) * d;
  const int chunks = static_cast<int>(std::clamp<double>(std::floor(4194304.0 / rec), 1.0,
                                                         std::min<double>(64.0, static_cast<double>(obj.vertices()))));
  Ctx c{&obj, mu, comm.get(), comm.rank(), comm.size(), d, chunks, nullptr,
        std::vector<double>(static_cast<std::size_t>(d)), {}};
  // θ and the Hessian live on rank 0: TAO's vector algebra (norms, dots, the Newton solve) is then serial arithmetic
  // whatever the rank count, so θ* is bitwise rank-count independent; the work is in the vertex sums.
  const PetscInt local = comm.rank() == 0 ? d : 0;
  PVec x;
  SAMPO_PETSC(VecCreateMPI(comm.get(), local, d, x.out()));
  SAMPO_PETSC(VecSet(x, 0.0));  // the tokens' start θ_0 = 0
  const petsc::ReplicatedIterate iterate(x);
  c.iterate = &iterate;
  PMat H;
  SAMPO_PETSC(MatCreateDense(comm.get(), local, local, d, d, nullptr, H.out()));
  SAMPO_PETSC(MatSetOption(H, MAT_SYMMETRIC, PETSC_TRUE));
  PTao tao;
  SAMPO_PETSC(TaoCreate(comm.get(), tao.out()));
  SAMPO_PETSC(TaoSetType(tao, opt.type.c_str()));
  SAMPO_PETSC(TaoSetSolution(tao, x));
  SAMPO_PETSC(TaoSetObjectiveAndGradient(tao, nullptr, objective_and_gradient, &c));
  SAMPO_PETSC(TaoSetHessian(tao, H, H, hessian, &c));
  SAMPO_PETSC(TaoSetTolerances(tao, opt.gatol, 0.0, 0.0));
  SAMPO_PETSC(TaoSetMaximumIterations(tao, static_cast<PetscInt>(opt.max_it)));
  // Newton-type TAOs: Jacobi-preconditioned Krylov solves, whatever the rank count (PETSc's default PC differs
  // between one rank and several, which would change θ* in the last bits).
  KSP ksp = nullptr;
  SAMPO_PETSC(TaoGetKSP(tao, &ksp));
  if (ksp) {
    PC pc;
    SAMPO_PETSC(KSPGetPC(ksp, &pc));
    SAMPO_PETSC(PCSetType(pc, PCJACOBI));
  }
  SAMPO_PETSC(TaoSetOptionsPrefix(tao, "theta_"));
  SAMPO_PETSC(TaoSetFromOptions(tao));
  SAMPO_PETSC(TaoSolve(tao));
  const auto outcome = petsc::tao_outcome(tao);
  ThetaStar res;
  res.iterations = outcome.iterations;
  res.type = outcome.type;
  res.reason = outcome.reason;
  // The returned θ (on every rank) and ‖∇F‖ there, from the same sums TAO saw.
  SAMPO_PETSC(evaluate(c, x, false));
  res.theta = c.theta;
  res.value = c.sums[0];
  double g2 = 0.0;
  for (int q = 0; q < d; ++q) g2 += c.sums[1 + static_cast<std::size_t>(q)] * c.sums[1 + static_cast<std::size_t>(q)];
  res.gradient_norm = std::sqrt(g2);
  if (!outcome.converged || !(res.gradient_norm <= opt.gatol))
    throw NumericalError("theta*: TAO (" + res.type + ") stopped with " + res.reason + " after " +
                         std::to_string(res.iterations) + " iterations at |grad F| = " + std::to_string(res.gradient_norm) +
                         " > sa.theta_gatol = " + std::to_string(opt.gatol) +
                         "; loosen sa.theta_gatol or try -- -theta_tao_type nls|lmvm -theta_tao_monitor");
  return res;
}

}  // namespace sampo::walks
