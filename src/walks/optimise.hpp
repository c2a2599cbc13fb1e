#pragma once
// SA-SRRW token optimisation (Hu, Doshi, Eun 2024): each vertex (agent) i owns a loss f_i(θ); the token carries θ
// and updates θ ← θ − β_{n+1} ∇f_{X_{n+1}}(θ) at every visit, which minimises F(θ) = Σ_i μ_i f_i(θ) when the
// visits follow μ. Losses:
//   quadratic: f_i(θ) = ½ Σ_q a_iq (θ_q − c_iq)², a_iq ∈ [0.5, 2], c_iq ~ N(0, 1); θ* in closed form.
//   logistic:  f_i(θ) = (1/m) Σ_s log(1 + exp(−y_s ⟨z_s, θ⟩)) + (λ/2)‖θ‖², with m samples per agent whose
//              features are N(s_i, I) (a per-agent shift s_i ~ N(0, I), so agents are heterogeneous) and labels
//              drawn from a logistic model with a seeded θ_true.
// θ* = argmin F: PETSc TAO (solve_tao, collective, what the driver uses) and, independently, a damped Newton in Eigen
// (Objective::solve, serial, the tests' cross-check).
// Data are generated from Stream(seed, purpose_sa_data, vertex): the same on every rank.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/petsc/session.hpp"
#include "walks/walkers.hpp"

namespace sampo::walks {

inline constexpr std::uint32_t purpose_sa_data = 1031;

enum class Loss { quadratic, logistic };
Loss loss_from(const std::string& s);

class Objective final : public TokenTask {
 public:
  Objective(Vertex vertices, Loss loss, int dim, int samples, double l2, std::uint64_t seed);
  [[nodiscard]] int dim() const override { return dim_; }
  [[nodiscard]] std::vector<double> initial() const override { return std::vector<double>(static_cast<std::size_t>(dim_), 0.0); }
  void drift(Vertex i, const double* theta, double* out) const noexcept override;  // −∇f_i(θ)

  [[nodiscard]] double loss(Vertex i, const double* theta) const noexcept;
  // F(θ) = Σ μ_i f_i(θ) for normalised weights μ.
  [[nodiscard]] double total_loss(std::span<const double> mu, std::span<const double> theta) const;
  // θ* = argmin Σ μ_i f_i(θ) (Newton; exact in one step for the quadratic). Deterministic.
  [[nodiscard]] std::vector<double> solve(std::span<const double> mu, int* iterations = nullptr) const;
  // Adds Σ_{i∈[lo,hi)} μ_i f_i(θ) to *F, its gradient to grad (dim) and, when hess is not null, its Hessian to hess
  // (dim × dim, row-major). Vertices in increasing order.
  void accumulate(Vertex lo, Vertex hi, std::span<const double> mu, const double* theta, double* F, double* grad,
                  double* hess) const noexcept;
  [[nodiscard]] Vertex vertices() const noexcept { return n_; }

 private:
  Vertex n_;
  Loss loss_;
  int dim_, m_;
  double l2_;
  std::vector<double> a_, c_;     // quadratic: curvature and centre, n × dim
  std::vector<double> z_, y_;     // logistic: features (n·m × dim) and labels ±1 (n·m)
};

struct TaoOptions {
  std::string type = "nls";  // TAO type (nls: Newton line search with our Hessian; lmvm, blmvm, ntr, ... work too)
  double gatol = 1e-12;      // stop when ‖∇F‖ ≤ gatol
  std::int64_t max_it = 500;
};

struct ThetaStar {
  std::vector<double> theta;
  double gradient_norm = 0.0;  // ‖∇F(θ*)‖ recomputed after the solve (the same partial sums)
  double value = 0.0;          // F(θ*)
  std::int64_t iterations = 0;
  std::string type, reason;    // TAO type used and its converged reason
};

// Collective over session.comm(): θ* = argmin_θ Σ_i μ_i f_i(θ) by PETSc TAO (options prefix `theta_`, e.g.
// `-- -theta_tao_monitor -theta_tao_type lmvm`), objective, gradient and Hessian callbacks. The vertex sum is split
// into a fixed number of chunks (independent of the rank count) shared out over the ranks; the chunk partial sums
// are gathered and added in chunk order, and θ lives on rank 0 of the TAO vector, so θ* is bitwise the same on every
// rank and for every rank count. Throws NumericalError when TAO stops without reaching ‖∇F‖ ≤ gatol.
ThetaStar solve_tao(const petsc::Session& session, const Objective& obj, std::span<const double> mu,
                    const TaoOptions& opt = {});

}  // namespace sampo::walks
