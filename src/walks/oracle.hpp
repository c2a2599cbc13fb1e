#pragma once
// Exact asymptotic variances of SRRW estimators (reference: two linear solves) and their cross-checks.
//
// For f̄ = f − μᵀf: σ²_α(f) = (2/(1+4α)) ⟨f̄, g⟩_μ − (1/(1+4α)) ⟨f̄, h⟩_μ with (I − P + 1μᵀ) g = f̄ and
// ((1+2α) I + 2α P) h = f̄; α = 0 is the base chain's asymptotic variance. Reversibility makes both systems
// symmetric after multiplying by D = diag(μ): with the weighted Laplacian M = D(I − P) (symmetric, positive
// semidefinite, kernel = constants), (M + μμᵀ) g = D f̄ and ((1+4α) D − 2α M) h = D f̄ are symmetric positive
// definite, so PETSc CG with Jacobi preconditioning solves them. Rows are distributed over the communicator.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/mpi/communicator.hpp"
#include "core/petsc/session.hpp"
#include "walks/walkers.hpp"

namespace sampo::walks {

struct OracleOptions {
  double rtol = 1e-13;        // CG relative residual tolerance
  std::int64_t max_it = 100000;
};

struct OracleResult {
  std::vector<double> sigma2;  // per α
  std::int64_t iterations_g = 0;
  std::vector<std::int64_t> iterations_h;  // per α
};

// Collective over session.comm(): σ²_α(f) for each α (one g solve, one h solve per α > 0). Throws ConfigError for
// a non-reversible chain; NumericalError when CG does not converge.
OracleResult oracle_sigma2(const petsc::Session& session, const BaseChain& c, std::span<const double> f,
                           std::span<const double> alphas, const OracleOptions& opt = {});

// Serial cross-check by a dense symmetric eigen-solve (Eigen): V(α) = Σ_{i≥2} (1+λ_i)/((1−λ_i)(2α(1+λ_i)+1)) ⟨f,u_i⟩²_μ.
double dense_sigma2(const BaseChain& c, std::span<const double> f, double alpha);

// Closed forms. Complete graph K_N with SRW (λ = −1/(N−1) for every non-trivial mode, μ uniform).
double complete_graph_sigma2(std::int64_t n, std::span<const double> f, double alpha);
// Odd L×L torus (vertex r·L + c), lazy SRW (laziness ½): Fourier modes with λ_kl = ½(1 + ½(cos 2πk/L + cos 2πl/L)).
double torus_lazy_sigma2(std::int64_t L, std::span<const double> f, double alpha);

// The SRRW asymptotic-variance factor of a mode with eigenvalue λ.
inline double srrw_mode_factor(double lambda, double alpha) {
  return (1.0 + lambda) / ((1.0 - lambda) * (2.0 * alpha * (1.0 + lambda) + 1.0));
}

}  // namespace sampo::walks
