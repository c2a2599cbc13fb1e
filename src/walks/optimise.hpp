#pragma once
// SA-SRRW token optimisation (Hu, Doshi, Eun 2024): each vertex (agent) i owns a loss f_i(θ); the token carries θ
// and updates θ ← θ − β_{n+1} ∇f_{X_{n+1}}(θ) at every visit, which minimises F(θ) = Σ_i μ_i f_i(θ) when the
// visits follow μ. Losses:
//   quadratic: f_i(θ) = ½ Σ_q a_iq (θ_q − c_iq)², a_iq ∈ [0.5, 2], c_iq ~ N(0, 1); θ* in closed form.
//   logistic:  f_i(θ) = (1/m) Σ_s log(1 + exp(−y_s ⟨z_s, θ⟩)) + (λ/2)‖θ‖², with m samples per agent whose
//              features are N(s_i, I) (a per-agent shift s_i ~ N(0, I), so agents are heterogeneous) and labels
//              drawn from a logistic model with a seeded θ_true. θ* by damped Newton to ‖∇F‖ ≤ 1e-13.
// Data are generated from Stream(seed, purpose_sa_data, vertex): the same on every rank.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

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

 private:
  Vertex n_;
  Loss loss_;
  int dim_, m_;
  double l2_;
  std::vector<double> a_, c_;     // quadratic: curvature and centre, n × dim
  std::vector<double> z_, y_;     // logistic: features (n·m × dim) and labels ±1 (n·m)
};

}  // namespace sampo::walks
