#include "smc/msc.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>

#include "core/error/error.hpp"
#include "smc/kalman.hpp"

namespace sampo::smc {

namespace {
constexpr double half_log_2pi = 0.91893853320467274178;
}

ProposalModel::ProposalModel(const Model& base, std::vector<double> lambda)
    : base_(base.clone()), lambda_(std::move(lambda)) {
  SAMPO_VERIFY(base_->dim() == 1 && base_->obs_dim() == 1, "the Gaussian proposal family needs a scalar model");
  SAMPO_VERIFY(lambda_.size() == 4, "the Gaussian proposal family has 4 parameters (a, b, c, log sd)");
}

void ProposalModel::sample_proposal(int t, const double* xprev, const double* y, rng::Stream& s, double* x) const {
  if (t == 0) return base_->sample_initial(s, x);
  x[0] = lambda_[0] * xprev[0] + lambda_[1] * y[0] + lambda_[2] + std::exp(lambda_[3]) * s.normal();
}

double ProposalModel::log_proposal(int t, const double* xprev, const double* y, const double* x) const {
  if (t == 0) return base_->log_initial(x);
  const double r = (x[0] - lambda_[0] * xprev[0] - lambda_[1] * y[0] - lambda_[2]) * std::exp(-lambda_[3]);
  return -half_log_2pi - lambda_[3] - 0.5 * r * r;
}

void ProposalModel::set_params(std::span<const double> lambda) {
  SAMPO_VERIFY(lambda.size() == 4, "the Gaussian proposal family has 4 parameters (a, b, c, log sd)");
  lambda_.assign(lambda.begin(), lambda.end());
}

void ProposalModel::project_params(std::span<double> lambda) const { lambda[3] = std::clamp(lambda[3], -20.0, 20.0); }

MscStatistics msc_statistics(std::span<const double> lambda, std::span<const double> path, const Observations& y) {
  const int n = y.steps();
  SAMPO_VERIFY(path.size() == static_cast<std::size_t>(n + 1), "MSC needs a scalar path of n+1 states");
  MscStatistics st;
  st.residual.assign(3, 0.0);
  st.gram.assign(9, 0.0);
  for (int t = 1; t <= n; ++t) {
    const double phi[3] = {path[static_cast<std::size_t>(t - 1)], y.at(t)[0], 1.0};
    const double r = path[static_cast<std::size_t>(t)] - lambda[0] * phi[0] - lambda[1] * phi[1] - lambda[2];
    for (int i = 0; i < 3; ++i) {
      st.residual[static_cast<std::size_t>(i)] += r * phi[i] / n;
      for (int j = 0; j < 3; ++j) st.gram[static_cast<std::size_t>(3 * i + j)] += phi[i] * phi[j] / n;
    }
    st.log_sd_gradient += (r * r * std::exp(-2.0 * lambda[3]) - 1.0) / n;
  }
  return st;
}

std::vector<double> msc_direction(const MscStatistics& st, std::span<const double> gram_average) {
  Eigen::Matrix3d G;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) G(i, j) = gram_average[static_cast<std::size_t>(3 * i + j)];
  G.diagonal().array() += 1e-12 * G.trace() + 1e-300;  // defined when the covariates are collinear (constant y)
  const Eigen::Vector3d dir = G.ldlt().solve(Eigen::Vector3d(st.residual[0], st.residual[1], st.residual[2]));
  return {dir(0), dir(1), dir(2), st.log_sd_gradient / 2.0};
}

std::vector<double> msc_optimum(const ScalarLinearGaussian& m, const Observations& y) {
  const auto spec = m.spec();
  const auto k = kalman_filter(spec, y);
  const auto r = rts_smoother(spec, k);
  const int n = y.steps();
  // Normal equations Σ_t E[φφᵀ] β = Σ_t E[φ x_t], φ_t = (x_{t-1}, y_t, 1), under the smoothing law.
  Eigen::Matrix3d A = Eigen::Matrix3d::Zero();
  Eigen::Vector3d b = Eigen::Vector3d::Zero();
  double sxx = 0.0;
  for (int t = 1; t <= n; ++t) {
    const double mp = r.m[static_cast<std::size_t>(t - 1)](0), m1 = r.m[static_cast<std::size_t>(t)](0);
    const double ep2 = r.P[static_cast<std::size_t>(t - 1)](0, 0) + mp * mp;  // E[x_{t-1}²]
    const double e12 = r.cross[static_cast<std::size_t>(t - 1)](0, 0);        // E[x_{t-1} x_t]
    const double yt = y.at(t)[0];
    A(0, 0) += ep2, A(0, 1) += mp * yt, A(0, 2) += mp;
    A(1, 1) += yt * yt, A(1, 2) += yt, A(2, 2) += 1.0;
    b(0) += e12, b(1) += yt * m1, b(2) += m1;
    sxx += r.P[static_cast<std::size_t>(t)](0, 0) + m1 * m1;
  }
  A(1, 0) = A(0, 1), A(2, 0) = A(0, 2), A(2, 1) = A(1, 2);
  const Eigen::Vector3d beta = A.ldlt().solve(b);
  // Mean squared residual: (Σ E[x_t²] − 2βᵀb + βᵀAβ) / n.
  const double s2 = (sxx - 2.0 * beta.dot(b) + beta.dot(A * beta)) / n;
  return {beta(0), beta(1), beta(2), 0.5 * std::log(s2)};
}

}  // namespace sampo::smc
