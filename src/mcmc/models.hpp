#pragma once
// Data models and vector transforms for the MCMC targets.
//
// Vector transforms (unconstrained u → constrained x, log-Jacobian, and the chain rule back to u):
//   ordered  K → K:   x_1 = u_1, x_k = x_{k−1} + e^{u_k};  log J = Σ_{k≥2} u_k
//   simplex  K−1 → K: x = softmax(u_1, …, u_{K−1}, 0) (additive log-ratio);  log J = Σ_{k=1..K} log x_k
//                     (det(diag(x_{1:K−1}) − x xᵀ) = Π_k x_k)
// backprop(u, g = ∂f/∂x) returns ∂(f ∘ T + log J)/∂u.
//
// Data models (each reads a CSV file, or simulates its data from a seed when no file is given; gradients by hand,
// checked against finite differences in tests/mcmc):
//   logistic_regression      y_i ~ Bernoulli(logit⁻¹(α + x_iᵀβ)), α ~ N(0, 5²), β_j ~ N(0, 2.5²);
//                            CSV rows "x_1,…,x_p,y" with y ∈ {0, 1}. The likelihood is summed in fixed blocks of
//                            4096 rows (OpenMP over blocks when a chain runs alone, partial sums added in block
//                            order), so it is bitwise the same for any thread count.
//   hierarchical_regression  y_i ~ N(α_{g_i} + β x_i, σ_y), α_j = μ + τ α̃_j, α̃_j ~ N(0, 1), μ ~ N(0, 10²),
//                            τ ~ half-N(0, 5²), β ~ N(0, 10²), σ_y ~ half-N(0, 5²) (non-centred); CSV rows
//                            "group,x,y" with groups numbered 1..J. Unconstrained (μ, log τ, β, log σ_y, α̃).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mcmc/target.hpp"

namespace sampo::mcmc {

struct Ordered {
  static void apply(const double* u, int K, double* x);
  static double log_jacobian(const double* u, int K);
  static void backprop(const double* u, int K, const double* g, double* gu);
};

struct Simplex {  // K = number of simplex entries; u has K − 1 entries
  static void apply(const double* u, int K, double* x);
  static double log_jacobian(const double* u, int K);
  static void backprop(const double* u, int K, const double* g, double* gu);
};

class LogisticRegression final : public Target {
 public:
  // X: n × p row-major; y: n values in {0, 1}.
  LogisticRegression(std::vector<double> X, std::vector<double> y, int p);
  static LogisticRegression from_csv(const std::string& path);
  static LogisticRegression simulate(int p, std::int64_t n, std::uint64_t seed);
  std::string name() const override { return "logistic_regression"; }
  int dim() const override { return p_ + 1; }
  double log_density_gradient(const Vec& q, Vec& grad) const override;
  std::vector<Variable> variables() const override { return {{"alpha", {}}, {"beta", {p_}}}; }
  [[nodiscard]] std::int64_t rows() const { return static_cast<std::int64_t>(y_.size()); }

 private:
  std::vector<double> X_, y_;
  int p_;
};

class HierarchicalRegression final : public Target {
 public:
  // group: 0-based group of each row (J groups), x and y per row.
  HierarchicalRegression(std::vector<int> group, std::vector<double> x, std::vector<double> y, int J);
  static HierarchicalRegression from_csv(const std::string& path);
  static HierarchicalRegression simulate(int J, std::int64_t n, std::uint64_t seed);
  std::string name() const override { return "hierarchical_regression"; }
  int dim() const override { return 4 + J_; }
  double log_density_gradient(const Vec& q, Vec& grad) const override;
  double log_jacobian(const Vec& q, Vec& grad) const override;  // log tau + log sigma_y = q[1] + q[3]
  std::vector<Variable> variables() const override;
  Vec constrain(const Vec& q) const override;

 private:
  std::vector<int> g_;
  std::vector<double> x_, y_;
  int J_;
};

// Everything that names a target in a deck.
struct TargetSpec {
  std::string name = "correlated_gaussian";
  int dim = 100;
  double rho = 0.9;
  std::string data;             // CSV file of a data model ("" = simulate)
  std::int64_t rows = 1000;     // simulated rows
  std::uint64_t data_seed = 1;  // seed of the simulated data
};
// Built-ins and data models by name (throws ConfigError naming `key` for an unknown name, InputError for a bad file).
std::unique_ptr<Target> make_target(const TargetSpec& spec, const std::string& key);

}  // namespace sampo::mcmc
