#include "walks/oracle.hpp"

#include <petscksp.h>

#include <Eigen/Dense>
#include <cmath>
#include <complex>
#include <numbers>

#include "core/error/error.hpp"

namespace sampo::walks {

namespace {

template <class T, PetscErrorCode (*Destroy)(T*)>
using PetscObj = petsc::Handle<T, Destroy>;
using PVec = PetscObj<Vec, VecDestroy>;
using PMat = PetscObj<Mat, MatDestroy>;
using PKsp = PetscObj<KSP, KSPDestroy>;

struct ShellCtx {
  Mat M;
  Vec mu;
};

PetscErrorCode shell_mult(Mat A, Vec x, Vec y) {
  ShellCtx* c = nullptr;
  PetscCall(MatShellGetContext(A, &c));
  PetscCall(MatMult(c->M, x, y));
  PetscScalar d = 0;
  PetscCall(VecDot(c->mu, x, &d));
  PetscCall(VecAXPY(y, d, c->mu));
  return 0;
}

PetscErrorCode shell_diagonal(Mat A, Vec diag) {
  ShellCtx* c = nullptr;
  PetscCall(MatShellGetContext(A, &c));
  PetscCall(MatGetDiagonal(c->M, diag));
  Vec sq;
  PetscCall(VecDuplicate(c->mu, &sq));
  PetscCall(VecPointwiseMult(sq, c->mu, c->mu));
  PetscCall(VecAXPY(diag, 1.0, sq));
  PetscCall(VecDestroy(&sq));
  return 0;
}

// Collective: CG + Jacobi on A x = b; returns the iteration count.
std::int64_t solve(MPI_Comm comm, Mat A, Vec b, Vec x, const OracleOptions& opt, const char* what) {
  PKsp ksp;
  SAMPO_PETSC(KSPCreate(comm, ksp.out()));
  SAMPO_PETSC(KSPSetOperators(ksp, A, A));
  SAMPO_PETSC(KSPSetType(ksp, KSPCG));
  PC pc;
  SAMPO_PETSC(KSPGetPC(ksp, &pc));
  SAMPO_PETSC(PCSetType(pc, PCJACOBI));
  SAMPO_PETSC(KSPSetTolerances(ksp, opt.rtol, 1e-300, PETSC_DEFAULT, static_cast<PetscInt>(opt.max_it)));
  SAMPO_PETSC(KSPSetOptionsPrefix(ksp, "oracle_"));
  SAMPO_PETSC(KSPSetFromOptions(ksp));
  SAMPO_PETSC(KSPSolve(ksp, b, x));
  KSPConvergedReason reason;
  SAMPO_PETSC(KSPGetConvergedReason(ksp, &reason));
  PetscInt its = 0;
  SAMPO_PETSC(KSPGetIterationNumber(ksp, &its));
  if (reason < 0)
    throw NumericalError(std::string("oracle: CG for ") + what + " did not converge (" + KSPConvergedReasons[reason] +
                         " after " + std::to_string(its) + " iterations); raise oracle.max_iterations or loosen "
                         "oracle.rtol");
  return its;
}

}  // namespace

OracleResult oracle_sigma2(const petsc::Session& session, const BaseChain& c, std::span<const double> f,
                           std::span<const double> alphas, const OracleOptions& opt) {
  if (!c.reversible())
    throw ConfigError("the variance oracle needs a reversible base chain (walk.chain = srw or mhrw, not " +
                      to_string(c.chain()) + ")", true);
  const auto& g = c.graph();
  SAMPO_VERIFY(g.has_rows(), "the oracle needs the graph's rows");
  const auto& comm = session.comm();
  const Vertex N = g.vertices();
  SAMPO_VERIFY(N < (Vertex{1} << 31), "the oracle uses 32-bit PETSc indices: graph too large");
  SAMPO_VERIFY(static_cast<Vertex>(f.size()) == N, "oracle: f needs one value per vertex");
  const auto P = static_cast<Vertex>(comm.size()), r = static_cast<Vertex>(comm.rank());
  const Vertex lo = N * r / P, hi = N * (r + 1) / P;
  const auto mu = c.mu_norm();

  // M = D(I − P) for the local rows, CSR with global column indices (sorted; the diagonal in place).
  std::vector<PetscInt> ia{0}, ja;
  std::vector<PetscScalar> va;
  for (Vertex i = lo; i < hi; ++i) {
    const double mi = mu[static_cast<std::size_t>(i)];
    bool diag_done = false;
    for (Vertex j : g.neighbours(i)) {
      if (!diag_done && j > i) {
        ja.push_back(static_cast<PetscInt>(i));
        va.push_back(mi * (1.0 - c.p_self(i)));
        diag_done = true;
      }
      ja.push_back(static_cast<PetscInt>(j));
      va.push_back(-mi * c.p(i, j));
    }
    if (!diag_done) {
      ja.push_back(static_cast<PetscInt>(i));
      va.push_back(mi * (1.0 - c.p_self(i)));
    }
    ia.push_back(static_cast<PetscInt>(ja.size()));
  }
  const auto m_local = static_cast<PetscInt>(hi - lo), n_global = static_cast<PetscInt>(N);
  PMat M;
  SAMPO_PETSC(MatCreateMPIAIJWithArrays(comm.get(), m_local, m_local, n_global, n_global, ia.data(), ja.data(),
                                        va.data(), M.out()));

  // μ, D f̄ (right-hand side) and f̄.
  double fmean = 0.0;
  for (Vertex i = 0; i < N; ++i) fmean += mu[static_cast<std::size_t>(i)] * f[static_cast<std::size_t>(i)];
  PVec vmu, rhs, fbar, sol;
  SAMPO_PETSC(VecCreateMPI(comm.get(), m_local, n_global, vmu.out()));
  SAMPO_PETSC(VecDuplicate(vmu, rhs.out()));
  SAMPO_PETSC(VecDuplicate(vmu, fbar.out()));
  SAMPO_PETSC(VecDuplicate(vmu, sol.out()));
  for (Vertex i = lo; i < hi; ++i) {
    const auto ii = static_cast<PetscInt>(i);
    const double fb = f[static_cast<std::size_t>(i)] - fmean, mi = mu[static_cast<std::size_t>(i)];
    SAMPO_PETSC(VecSetValue(vmu, ii, mi, INSERT_VALUES));
    SAMPO_PETSC(VecSetValue(rhs, ii, mi * fb, INSERT_VALUES));
    SAMPO_PETSC(VecSetValue(fbar, ii, fb, INSERT_VALUES));
  }
  for (Vec v : {static_cast<Vec>(vmu), static_cast<Vec>(rhs), static_cast<Vec>(fbar)}) {
    SAMPO_PETSC(VecAssemblyBegin(v));
    SAMPO_PETSC(VecAssemblyEnd(v));
  }

  OracleResult res;
  // g: (M + μμᵀ) g = D f̄.
  ShellCtx ctx{M, vmu};
  PMat A;
  SAMPO_PETSC(MatCreateShell(comm.get(), m_local, m_local, n_global, n_global, &ctx, A.out()));
  SAMPO_PETSC(MatShellSetOperation(A, MATOP_MULT, reinterpret_cast<void (*)(void)>(shell_mult)));
  SAMPO_PETSC(MatShellSetOperation(A, MATOP_GET_DIAGONAL, reinterpret_cast<void (*)(void)>(shell_diagonal)));
  SAMPO_PETSC(MatSetOption(A, MAT_SYMMETRIC, PETSC_TRUE));
  res.iterations_g = solve(comm.get(), A, rhs, sol, opt, "g = (I - P + 1 mu^T)^-1 fbar");
  PetscScalar fg = 0;
  SAMPO_PETSC(VecDot(rhs, sol, &fg));  // ⟨f̄, g⟩_μ = (D f̄)ᵀ g

  // D as a vector, for (1+4α) D − 2α M.
  for (double alpha : alphas) {
    PetscScalar fh = 0;
    std::int64_t its = 0;
    if (alpha == 0.0) {
      SAMPO_PETSC(VecDot(rhs, fbar, &fh));  // h = f̄
    } else {
      PMat H;
      SAMPO_PETSC(MatDuplicate(M, MAT_COPY_VALUES, H.out()));
      SAMPO_PETSC(MatScale(H, -2.0 * alpha));
      PVec dscaled;
      SAMPO_PETSC(VecDuplicate(vmu, dscaled.out()));
      SAMPO_PETSC(VecCopy(vmu, dscaled));
      SAMPO_PETSC(VecScale(dscaled, 1.0 + 4.0 * alpha));
      SAMPO_PETSC(MatDiagonalSet(H, dscaled, ADD_VALUES));
      SAMPO_PETSC(MatSetOption(H, MAT_SYMMETRIC, PETSC_TRUE));
      its = solve(comm.get(), H, rhs, sol, opt, "h = ((1+2a) I + 2a P)^-1 fbar");
      SAMPO_PETSC(VecDot(rhs, sol, &fh));
    }
    res.sigma2.push_back((2.0 * fg - fh) / (1.0 + 4.0 * alpha));
    res.iterations_h.push_back(its);
  }
  return res;
}

double dense_sigma2(const BaseChain& c, std::span<const double> f, double alpha) {
  SAMPO_VERIFY(c.reversible(), "dense_sigma2 needs a reversible chain");
  const auto& g = c.graph();
  const auto N = static_cast<Eigen::Index>(g.vertices());
  const auto mu = c.mu_norm();
  // S = D^{1/2} P D^{-1/2} is symmetric for a reversible P.
  Eigen::MatrixXd S = Eigen::MatrixXd::Zero(N, N);
  for (Eigen::Index i = 0; i < N; ++i) {
    S(i, i) = c.p_self(i);
    for (Vertex j : g.neighbours(i))
      S(i, j) = std::sqrt(mu[static_cast<std::size_t>(i)] / mu[static_cast<std::size_t>(j)]) * c.p(i, j);
  }
  S = 0.5 * (S + S.transpose());
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(S);
  Eigen::VectorXd sf(N);
  for (Eigen::Index i = 0; i < N; ++i) sf(i) = std::sqrt(mu[static_cast<std::size_t>(i)]) * f[static_cast<std::size_t>(i)];
  double s2 = 0.0;
  for (Eigen::Index k = 0; k + 1 < N; ++k) {  // eigenvalues ascending: the last is λ = 1 (constants)
    const double a = es.eigenvectors().col(k).dot(sf);
    s2 += a * a * srrw_mode_factor(es.eigenvalues()(k), alpha);
  }
  return s2;
}

double complete_graph_sigma2(std::int64_t n, std::span<const double> f, double alpha) {
  double m = 0.0, v = 0.0;
  for (double x : f) m += x;
  m /= static_cast<double>(n);
  for (double x : f) v += (x - m) * (x - m);
  v /= static_cast<double>(n);
  return v * srrw_mode_factor(-1.0 / static_cast<double>(n - 1), alpha);
}

double torus_lazy_sigma2(std::int64_t L, std::span<const double> f, double alpha) {
  const double N = static_cast<double>(L * L), w = 2.0 * std::numbers::pi / static_cast<double>(L);
  double s2 = 0.0;
  for (std::int64_t k = 0; k < L; ++k)
    for (std::int64_t l = 0; l < L; ++l) {
      if (k == 0 && l == 0) continue;
      std::complex<double> fh = 0.0;
      for (std::int64_t r = 0; r < L; ++r)
        for (std::int64_t col = 0; col < L; ++col)
          fh += f[static_cast<std::size_t>(r * L + col)] * std::polar(1.0, -w * static_cast<double>(k * r + l * col));
      fh /= N;
      const double lambda = 0.5 * (1.0 + 0.5 * (std::cos(w * static_cast<double>(k)) + std::cos(w * static_cast<double>(l))));
      s2 += std::norm(fh) * srrw_mode_factor(lambda, alpha);
    }
  return s2;
}

}  // namespace sampo::walks
