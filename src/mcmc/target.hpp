#pragma once
// Targets for the MCMC samplers: a log density with its gradient in unconstrained space (Jacobian included),
// constraining transforms, parameter names/shapes and an initial-point generator (uniform(-2, 2) like Stan).
// Built-ins have hand-coded gradients (Eigen), each checked against finite differences in tests/mcmc.
#include <Eigen/Dense>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "core/rng/stream.hpp"

namespace sampo::mcmc {

using Vec = Eigen::VectorXd;

// One scalar transform unconstrained u → constrained x, with log |dx/du| and its derivative in u.
struct Transform {
  enum class Kind { identity, lower, upper, interval } kind = Kind::identity;
  double lo = 0.0, hi = 0.0;
  struct Result {
    double x, log_jac, dlog_jac_du, dx_du;
  };
  static Transform lower_bound(double lo) { return {Kind::lower, lo, 0.0}; }
  static Transform upper_bound(double hi) { return {Kind::upper, 0.0, hi}; }
  static Transform bounded(double lo, double hi) { return {Kind::interval, lo, hi}; }
  [[nodiscard]] Result apply(double u) const noexcept {
    switch (kind) {
      case Kind::lower: {
        const double e = std::exp(u);
        return {lo + e, u, 1.0, e};
      }
      case Kind::upper: {
        const double e = std::exp(u);
        return {hi - e, u, 1.0, -e};
      }
      case Kind::interval: {
        const double s = u >= 0 ? 1.0 / (1.0 + std::exp(-u)) : std::exp(u) / (1.0 + std::exp(u));
        const double w = hi - lo;
        // log σ(u) + log(1 − σ(u)) = −|u| − 2 log(1 + e^{−|u|})
        const double lj = std::log(w) - std::abs(u) - 2.0 * std::log1p(std::exp(-std::abs(u)));
        return {lo + w * s, lj, 1.0 - 2.0 * s, w * s * (1.0 - s)};
      }
      default:
        return {u, 0.0, 0.0, 1.0};
    }
  }
  // Inverse (constrained → unconstrained), for user-supplied initial values.
  [[nodiscard]] double inverse(double x) const noexcept {
    switch (kind) {
      case Kind::lower:
        return std::log(x - lo);
      case Kind::upper:
        return std::log(hi - x);
      case Kind::interval: {
        const double s = (x - lo) / (hi - lo);
        return std::log(s / (1.0 - s));
      }
      default:
        return x;
    }
  }
};

// A named output variable: its constrained values are a contiguous block of constrain()'s result.
struct Variable {
  std::string name;
  std::vector<int> shape;  // {} for a scalar
  [[nodiscard]] int size() const {
    int n = 1;
    for (int s : shape) n *= s;
    return n;
  }
};

class Target {
 public:
  virtual ~Target() = default;
  [[nodiscard]] virtual std::string name() const = 0;
  [[nodiscard]] virtual int dim() const = 0;  // unconstrained dimension
  // Log density (up to a constant) at unconstrained q including the log Jacobian; fills grad (size dim()).
  // Thread-safe (const, no shared scratch).
  virtual double log_density_gradient(const Vec& q, Vec& grad) const = 0;
  // The log Jacobian of constrain() at q (the part of log_density_gradient() it includes); its gradient is written
  // to grad (size dim()). Unconstrained targets: 0.
  virtual double log_jacobian(const Vec& q, Vec& grad) const {
    (void)q;
    grad.setZero(dim());
    return 0.0;
  }
  // With (jacobian = true: the sampling density, log_density_gradient(q, grad)) or without the log Jacobian: the
  // objective of MAP / penalised MLE, as CmdStan's optimize with jacobian = false. Targets with a direct form
  // override log_density_gradient_nojac (BridgeStan passes the flag to the model); the default subtracts
  // log_jacobian().
  double log_density_gradient(const Vec& q, Vec& grad, bool jacobian) const {
    return jacobian ? log_density_gradient(q, grad) : log_density_gradient_nojac(q, grad);
  }
  virtual double log_density_gradient_nojac(const Vec& q, Vec& grad) const {
    Vec jg(dim());
    const double lp = log_density_gradient(q, grad);
    const double lj = log_jacobian(q, jg);
    grad -= jg;
    return lp - lj;
  }
  [[nodiscard]] double log_density(const Vec& q) const {
    Vec g(dim());
    return log_density_gradient(q, g);
  }
  // Output variables (constrained, possibly with derived quantities) and the constraining map.
  [[nodiscard]] virtual std::vector<Variable> variables() const { return {{"x", {dim()}}}; }
  [[nodiscard]] virtual Vec constrain(const Vec& q) const { return q; }
  // Flat names like "theta[3]" of constrain()'s entries.
  [[nodiscard]] std::vector<std::string> param_names() const;
  [[nodiscard]] int constrained_dim() const;
  // Initial point: uniform(-2, 2) in unconstrained space (Stan's default), from the given stream.
  [[nodiscard]] virtual Vec initial_point(rng::Stream& s) const {
    Vec q(dim());
    for (int i = 0; i < dim(); ++i) q[i] = s.uniform(-2.0, 2.0);
    return q;
  }
};

// Σ_ij = ρ^|i−j| (AR(1)); exact marginals N(0, 1). Precision is tridiagonal: O(d) density and gradient.
class CorrelatedGaussian final : public Target {
 public:
  CorrelatedGaussian(int d, double rho);
  std::string name() const override { return "correlated_gaussian"; }
  int dim() const override { return d_; }
  double log_density_gradient(const Vec& q, Vec& grad) const override;
  [[nodiscard]] double rho() const { return rho_; }

 private:
  int d_;
  double rho_;
};

// Haario's twisted Gaussian ("banana"): x1 ~ N(0, 100), x2 | x1 ~ N(100 b − b x1², 1). E[x1] = E[x2] = 0,
// Var x1 = 100, Var x2 = 1 + 2·10⁴ b².
class Banana final : public Target {
 public:
  explicit Banana(double b = 0.03) : b_(b) {}
  std::string name() const override { return "banana"; }
  int dim() const override { return 2; }
  double log_density_gradient(const Vec& q, Vec& grad) const override;

 private:
  double b_;
};

// Product of d independent copies of w N(m1, s1²) + (1 − w) N(m2, s2²); defaults 0.3 N(−5, 1) + 0.7 N(5, 0.5²).
class Mixture final : public Target {
 public:
  explicit Mixture(int d = 1, double w = 0.3, double m1 = -5.0, double s1 = 1.0, double m2 = 5.0, double s2 = 0.5);
  std::string name() const override { return "mixture"; }
  int dim() const override { return d_; }
  double log_density_gradient(const Vec& q, Vec& grad) const override;
  [[nodiscard]] double mean() const { return w_ * m1_ + (1 - w_) * m2_; }
  [[nodiscard]] double variance() const;

 private:
  int d_;
  double w_, m1_, s1_, m2_, s2_;
};

// Eight schools (Rubin 1981), Stan's priors: mu ~ N(0, 5), tau ~ half-Cauchy(0, 5), theta_j ~ N(mu, tau),
// y_j ~ N(theta_j, sigma_j). Unconstrained q = (mu, log tau, theta or theta_tilde[8]).
class EightSchools final : public Target {
 public:
  explicit EightSchools(bool centred) : centred_(centred) {}
  std::string name() const override { return centred_ ? "eight_schools_centred" : "eight_schools_noncentred"; }
  int dim() const override { return 10; }
  double log_density_gradient(const Vec& q, Vec& grad) const override;
  double log_jacobian(const Vec& q, Vec& grad) const override;  // log tau = q[1]
  std::vector<Variable> variables() const override;
  Vec constrain(const Vec& q) const override;
  static constexpr double y[8] = {28, 8, -3, 7, -1, 1, 18, 12};
  static constexpr double sigma[8] = {15, 10, 16, 11, 9, 11, 10, 18};

 private:
  bool centred_;
};

// A target by name: correlated_gaussian, banana, mixture, eight_schools_centred, eight_schools_noncentred.
// Throws ConfigError naming `key` for an unknown name.
std::unique_ptr<Target> make_target(const std::string& name, int dim, double rho, const std::string& key);

}  // namespace sampo::mcmc
