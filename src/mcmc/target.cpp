#include "mcmc/target.hpp"

#include <numbers>

#include "core/error/error.hpp"

namespace sampo::mcmc {

std::vector<std::string> Target::param_names() const {
  std::vector<std::string> names;
  for (const auto& v : variables()) {
    if (v.shape.empty()) {
      names.push_back(v.name);
      continue;
    }
    for (int i = 0; i < v.size(); ++i) names.push_back(v.name + "[" + std::to_string(i) + "]");
  }
  return names;
}

int Target::constrained_dim() const {
  int n = 0;
  for (const auto& v : variables()) n += v.size();
  return n;
}

CorrelatedGaussian::CorrelatedGaussian(int d, double rho) : d_(d), rho_(rho) {
  SAMPO_VERIFY(d >= 1 && std::abs(rho) < 1.0, "correlated_gaussian needs dim >= 1 and |rho| < 1");
}

double CorrelatedGaussian::log_density_gradient(const Vec& q, Vec& grad) const {
  // Q = (1/(1−ρ²)) · tridiag(−ρ; 1, 1+ρ², …, 1+ρ², 1; −ρ)
  const double c = 1.0 / (1.0 - rho_ * rho_);
  grad.resize(d_);
  if (d_ == 1) {
    grad[0] = -q[0];
    return -0.5 * q[0] * q[0];
  }
  double quad = 0.0;
  for (int i = 0; i < d_; ++i) {
    const double diag = (i == 0 || i == d_ - 1) ? 1.0 : 1.0 + rho_ * rho_;
    double qi = diag * q[i];
    if (i > 0) qi -= rho_ * q[i - 1];
    if (i + 1 < d_) qi -= rho_ * q[i + 1];
    qi *= c;
    grad[i] = -qi;
    quad += q[i] * qi;
  }
  return -0.5 * quad;
}

double Banana::log_density_gradient(const Vec& q, Vec& grad) const {
  const double x1 = q[0], x2 = q[1];
  const double r = x2 + b_ * x1 * x1 - 100.0 * b_;
  grad.resize(2);
  grad[0] = -x1 / 100.0 - r * 2.0 * b_ * x1;
  grad[1] = -r;
  return -x1 * x1 / 200.0 - 0.5 * r * r;
}

Mixture::Mixture(int d, double w, double m1, double s1, double m2, double s2)
    : d_(d), w_(w), m1_(m1), s1_(s1), m2_(m2), s2_(s2) {
  SAMPO_VERIFY(d >= 1 && w > 0 && w < 1 && s1 > 0 && s2 > 0, "invalid mixture parameters");
}

double Mixture::variance() const {
  const double m = mean();
  return w_ * (s1_ * s1_ + m1_ * m1_) + (1 - w_) * (s2_ * s2_ + m2_ * m2_) - m * m;
}

double Mixture::log_density_gradient(const Vec& q, Vec& grad) const {
  grad.resize(d_);
  double lp = 0.0;
  const double la = std::log(w_) - std::log(s1_), lb = std::log(1 - w_) - std::log(s2_);
  for (int i = 0; i < d_; ++i) {
    const double za = (q[i] - m1_) / s1_, zb = (q[i] - m2_) / s2_;
    const double a = la - 0.5 * za * za, b = lb - 0.5 * zb * zb;
    const double mx = std::max(a, b);
    const double ea = std::exp(a - mx), eb = std::exp(b - mx);
    lp += mx + std::log(ea + eb) - 0.5 * std::log(2 * std::numbers::pi);
    const double ra = ea / (ea + eb);
    grad[i] = ra * (-za / s1_) + (1 - ra) * (-zb / s2_);
  }
  return lp;
}

double EightSchools::log_jacobian(const Vec& q, Vec& grad) const {
  grad.setZero(10);
  grad[1] = 1.0;
  return q[1];
}

double EightSchools::log_density_gradient(const Vec& q, Vec& grad) const {
  grad.setZero(10);
  const double mu = q[0], ltau = q[1], tau = std::exp(ltau);
  // mu ~ N(0, 5)
  double lp = -0.5 * mu * mu / 25.0;
  grad[0] = -mu / 25.0;
  // tau ~ half-Cauchy(0, 5), plus log Jacobian ltau
  lp += -std::log1p(tau * tau / 25.0) + ltau;
  grad[1] = -(2.0 * tau * tau / 25.0) / (1.0 + tau * tau / 25.0) + 1.0;
  for (int j = 0; j < 8; ++j) {
    const double s2 = sigma[j] * sigma[j];
    if (centred_) {
      const double th = q[2 + j];
      const double z = (th - mu) / tau;
      lp += -0.5 * z * z - ltau;
      grad[0] += z / tau;
      grad[1] += z * z - 1.0;
      grad[2 + j] += -z / tau;
      lp += -0.5 * (y[j] - th) * (y[j] - th) / s2;
      grad[2 + j] += (y[j] - th) / s2;
    } else {
      const double tt = q[2 + j];
      const double th = mu + tau * tt;
      lp += -0.5 * tt * tt;
      grad[2 + j] += -tt;
      const double r = (y[j] - th) / s2;
      lp += -0.5 * (y[j] - th) * r;
      grad[0] += r;
      grad[1] += r * tau * tt;
      grad[2 + j] += r * tau;
    }
  }
  return lp;
}

std::vector<Variable> EightSchools::variables() const {
  if (centred_) return {{"mu", {}}, {"tau", {}}, {"theta", {8}}};
  return {{"mu", {}}, {"tau", {}}, {"theta_tilde", {8}}, {"theta", {8}}};
}

Vec EightSchools::constrain(const Vec& q) const {
  const double tau = std::exp(q[1]);
  Vec x(centred_ ? 10 : 18);
  x[0] = q[0];
  x[1] = tau;
  for (int j = 0; j < 8; ++j) {
    x[2 + j] = q[2 + j];
    if (!centred_) x[10 + j] = q[0] + tau * q[2 + j];
  }
  return x;
}

std::unique_ptr<Target> make_target(const std::string& name, int dim, double rho, const std::string& key) {
  if (name == "correlated_gaussian") return std::make_unique<CorrelatedGaussian>(dim, rho);
  if (name == "banana") return std::make_unique<Banana>();
  if (name == "mixture") return std::make_unique<Mixture>(dim);
  if (name == "eight_schools_centred") return std::make_unique<EightSchools>(true);
  if (name == "eight_schools_noncentred") return std::make_unique<EightSchools>(false);
  throw ConfigError(key + " = \"" + name +
                    "\" is not a built-in target; allowed: correlated_gaussian, banana, mixture, "
                    "eight_schools_centred, eight_schools_noncentred, logistic_regression, hierarchical_regression, "
                    "bridgestan");
}

}  // namespace sampo::mcmc
