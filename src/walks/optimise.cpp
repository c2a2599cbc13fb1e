#include "walks/optimise.hpp"

#include <Eigen/Dense>
#include <cmath>

#include "core/error/error.hpp"
#include "core/rng/stream.hpp"

namespace sampo::walks {

Loss loss_from(const std::string& s) {
  if (s == "quadratic") return Loss::quadratic;
  if (s == "logistic") return Loss::logistic;
  throw ConfigError("unknown loss '" + s + "' (allowed: quadratic, logistic)");
}

namespace {
// log(1 + e^t) without overflow, and the logistic function.
double softplus(double t) { return t > 0 ? t + std::log1p(std::exp(-t)) : std::log1p(std::exp(t)); }
double sigmoid(double t) { return t >= 0 ? 1.0 / (1.0 + std::exp(-t)) : std::exp(t) / (1.0 + std::exp(t)); }
}  // namespace

Objective::Objective(Vertex vertices, Loss loss, int dim, int samples, double l2, std::uint64_t seed)
    : n_(vertices), loss_(loss), dim_(dim), m_(samples), l2_(l2) {
  SAMPO_VERIFY(dim >= 1 && samples >= 1, "objective needs dim >= 1 and samples >= 1");
  const auto n = static_cast<std::size_t>(n_), d = static_cast<std::size_t>(dim_), m = static_cast<std::size_t>(m_);
  if (loss_ == Loss::quadratic) {
    a_.resize(n * d);
    c_.resize(n * d);
    for (std::size_t i = 0; i < n; ++i) {
      rng::Stream s(seed, purpose_sa_data, i);
      for (std::size_t q = 0; q < d; ++q) {
        a_[i * d + q] = s.uniform(0.5, 2.0);
        c_[i * d + q] = s.normal();
      }
    }
    return;
  }
  std::vector<double> truth(d);
  rng::Stream st(seed, purpose_sa_data, n, 1);
  for (auto& v : truth) v = st.normal();
  z_.resize(n * m * d);
  y_.resize(n * m);
  for (std::size_t i = 0; i < n; ++i) {
    rng::Stream s(seed, purpose_sa_data, i);
    std::vector<double> shift(d);
    for (auto& v : shift) v = s.normal();
    for (std::size_t k = 0; k < m; ++k) {
      double dot = 0.0;
      for (std::size_t q = 0; q < d; ++q) {
        const double zq = shift[q] + s.normal();
        z_[(i * m + k) * d + q] = zq;
        dot += zq * truth[q];
      }
      y_[i * m + k] = s.uniform() < sigmoid(dot) ? 1.0 : -1.0;
    }
  }
}

void Objective::drift(Vertex i, const double* theta, double* out) const noexcept {
  const auto d = static_cast<std::size_t>(dim_), ii = static_cast<std::size_t>(i);
  if (loss_ == Loss::quadratic) {
    for (std::size_t q = 0; q < d; ++q) out[q] = -a_[ii * d + q] * (theta[q] - c_[ii * d + q]);
    return;
  }
  for (std::size_t q = 0; q < d; ++q) out[q] = -l2_ * theta[q];
  const auto m = static_cast<std::size_t>(m_);
  for (std::size_t k = 0; k < m; ++k) {
    const double* z = z_.data() + (ii * m + k) * d;
    const double y = y_[ii * m + k];
    double t = 0.0;
    for (std::size_t q = 0; q < d; ++q) t += z[q] * theta[q];
    // ∂/∂θ log(1 + e^{−y t}) = −y σ(−y t) z
    const double g = y * sigmoid(-y * t) / static_cast<double>(m);
    for (std::size_t q = 0; q < d; ++q) out[q] += g * z[q];
  }
}

double Objective::loss(Vertex i, const double* theta) const noexcept {
  const auto d = static_cast<std::size_t>(dim_), ii = static_cast<std::size_t>(i);
  double f = 0.0;
  if (loss_ == Loss::quadratic) {
    for (std::size_t q = 0; q < d; ++q) {
      const double e = theta[q] - c_[ii * d + q];
      f += 0.5 * a_[ii * d + q] * e * e;
    }
    return f;
  }
  const auto m = static_cast<std::size_t>(m_);
  for (std::size_t k = 0; k < m; ++k) {
    double t = 0.0;
    for (std::size_t q = 0; q < d; ++q) t += z_[(ii * m + k) * d + q] * theta[q];
    f += softplus(-y_[ii * m + k] * t) / static_cast<double>(m);
  }
  for (std::size_t q = 0; q < d; ++q) f += 0.5 * l2_ * theta[q] * theta[q];
  return f;
}

double Objective::total_loss(std::span<const double> mu, std::span<const double> theta) const {
  double F = 0.0;
  for (Vertex i = 0; i < n_; ++i) F += mu[static_cast<std::size_t>(i)] * loss(i, theta.data());
  return F;
}

void Objective::accumulate(Vertex lo, Vertex hi, std::span<const double> mu, const double* theta, double* F,
                           double* grad, double* hess) const noexcept {
  const auto d = static_cast<std::size_t>(dim_);
  std::vector<double> dr(d);
  for (Vertex i = lo; i < hi; ++i) {
    const auto ii = static_cast<std::size_t>(i);
    const double w = mu[ii];
    *F += w * loss(i, theta);
    drift(i, theta, dr.data());
    for (std::size_t q = 0; q < d; ++q) grad[q] -= w * dr[q];
    if (!hess) continue;
    if (loss_ == Loss::quadratic) {
      for (std::size_t q = 0; q < d; ++q) hess[q * d + q] += w * a_[ii * d + q];
      continue;
    }
    const auto m = static_cast<std::size_t>(m_);
    for (std::size_t k = 0; k < m; ++k) {
      const double* z = z_.data() + (ii * m + k) * d;
      double t = 0.0;
      for (std::size_t q = 0; q < d; ++q) t += z[q] * theta[q];
      const double s = sigmoid(t);
      const double c = w * s * (1.0 - s) / static_cast<double>(m);
      for (std::size_t q = 0; q < d; ++q)
        for (std::size_t r = 0; r < d; ++r) hess[q * d + r] += c * z[q] * z[r];
    }
    for (std::size_t q = 0; q < d; ++q) hess[q * d + q] += w * l2_;
  }
}

std::vector<double> Objective::solve(std::span<const double> mu, int* iterations) const {
  const auto d = static_cast<Eigen::Index>(dim_);
  const auto du = static_cast<std::size_t>(dim_);
  Eigen::VectorXd theta = Eigen::VectorXd::Zero(d);
  int it = 0;
  for (; it < 100; ++it) {
    Eigen::VectorXd grad = Eigen::VectorXd::Zero(d);
    Eigen::MatrixXd H = Eigen::MatrixXd::Zero(d, d);
    std::vector<double> dr(du);
    for (Vertex i = 0; i < n_; ++i) {
      const double w = mu[static_cast<std::size_t>(i)];
      drift(i, theta.data(), dr.data());
      for (Eigen::Index q = 0; q < d; ++q) grad(q) -= w * dr[static_cast<std::size_t>(q)];
      const auto ii = static_cast<std::size_t>(i);
      if (loss_ == Loss::quadratic) {
        for (Eigen::Index q = 0; q < d; ++q) H(q, q) += w * a_[ii * du + static_cast<std::size_t>(q)];
      } else {
        const auto m = static_cast<std::size_t>(m_);
        for (std::size_t k = 0; k < m; ++k) {
          Eigen::Map<const Eigen::VectorXd> z(z_.data() + (ii * m + k) * du, d);
          const double s = sigmoid(z.dot(theta));
          H.noalias() += (w * s * (1.0 - s) / static_cast<double>(m)) * z * z.transpose();
        }
        H.diagonal().array() += w * l2_;
      }
    }
    if (grad.norm() <= 1e-13 || (it > 0 && grad.norm() <= 1e-11)) break;  // 1e-11: rounding floor of F
    const Eigen::VectorXd step = H.ldlt().solve(grad);
    // Backtracking (F is convex; full Newton steps are taken near the optimum).
    double t = 1.0;
    const double F0 = total_loss(mu, std::span<const double>(theta.data(), du));
    while (t > 1e-8) {
      const Eigen::VectorXd cand = theta - t * step;
      if (total_loss(mu, std::span<const double>(cand.data(), du)) <=
          F0 - 1e-4 * t * grad.dot(step) + 1e-15 * std::abs(F0))
        break;
      t *= 0.5;
    }
    theta -= t * step;
    if (loss_ == Loss::quadratic) {
      ++it;
      break;
    }
  }
  if (iterations) *iterations = it;
  return {theta.data(), theta.data() + d};
}

}  // namespace sampo::walks
