#include "smc/kalman.hpp"

#include <cmath>
#include <numbers>

#include "core/error/error.hpp"

namespace sampo::smc {

KalmanResult kalman_filter(const LinearGaussianSpec& s, const Observations& obs) {
  const int n = obs.steps();
  const auto d = s.F.rows();
  const auto dy = s.G.rows();
  SAMPO_VERIFY(dy == obs.dy, "observation dimension mismatch");
  KalmanResult k;
  const Eigen::MatrixXd I = Eigen::MatrixXd::Identity(d, d);
  Eigen::VectorXd m = s.m0;
  Eigen::MatrixXd P = s.P0;
  for (int t = 0; t <= n; ++t) {
    if (t > 0) {
      m = s.F * m;
      P = s.F * P * s.F.transpose() + s.Q;
    }
    k.m_pred.push_back(m);
    k.P_pred.push_back(P);
    const Eigen::VectorXd e = Eigen::Map<const Eigen::VectorXd>(obs.at(t), dy) - s.G * m;
    const Eigen::MatrixXd S = s.G * P * s.G.transpose() + s.R;
    Eigen::LLT<Eigen::MatrixXd> llt(S);
    SAMPO_VERIFY(llt.info() == Eigen::Success, "Kalman innovation covariance is not positive definite");
    const double logdet = 2.0 * Eigen::MatrixXd(llt.matrixL()).diagonal().array().log().sum();
    const double inc = -0.5 * (static_cast<double>(dy) * std::log(2.0 * std::numbers::pi) + logdet + e.dot(llt.solve(e)));
    k.loglik_increment.push_back(inc);
    k.loglik += inc;
    const Eigen::MatrixXd K = llt.solve(s.G * P).transpose();  // P Gᵀ S⁻¹ (S symmetric)
    m = m + K * e;
    const Eigen::MatrixXd A = I - K * s.G;
    P = A * P * A.transpose() + K * s.R * K.transpose();  // Joseph form: stays symmetric positive definite
    P = 0.5 * (P + P.transpose());
    k.m_filt.push_back(m);
    k.P_filt.push_back(P);
  }
  return k;
}

RtsResult rts_smoother(const LinearGaussianSpec& s, const KalmanResult& k) {
  const int n = static_cast<int>(k.m_filt.size()) - 1;
  RtsResult r;
  r.m.resize(n + 1);
  r.P.resize(n + 1);
  r.cross.resize(n);
  r.m[n] = k.m_filt[n];
  r.P[n] = k.P_filt[n];
  for (int t = n - 1; t >= 0; --t) {
    const Eigen::MatrixXd J = k.P_filt[t] * s.F.transpose() * k.P_pred[t + 1].inverse();
    r.m[t] = k.m_filt[t] + J * (r.m[t + 1] - k.m_pred[t + 1]);
    r.P[t] = k.P_filt[t] + J * (r.P[t + 1] - k.P_pred[t + 1]) * J.transpose();
    r.cross[t] = J * r.P[t + 1] + r.m[t] * r.m[t + 1].transpose();
  }
  return r;
}

namespace {
std::vector<double> flatten(const Eigen::MatrixXd& a) {
  std::vector<double> v;
  for (Eigen::Index i = 0; i < a.rows(); ++i)
    for (Eigen::Index j = 0; j < a.cols(); ++j) v.push_back(a(i, j));
  return v;
}
}  // namespace

std::vector<double> exact_sum_cross(const RtsResult& r) {
  Eigen::MatrixXd s = Eigen::MatrixXd::Zero(r.m[0].size(), r.m[0].size());
  for (const auto& c : r.cross) s += c;
  return flatten(s);
}

std::vector<double> exact_sum_square(const RtsResult& r) {
  Eigen::MatrixXd s = Eigen::MatrixXd::Zero(r.m[0].size(), r.m[0].size());
  for (std::size_t t = 0; t < r.m.size(); ++t) s += r.P[t] + r.m[t] * r.m[t].transpose();
  return flatten(s);
}

std::vector<double> exact_score(const ScalarLinearGaussian& mdl, const Observations& obs) {
  const auto spec = mdl.spec();
  const auto th = mdl.params();
  const double rho = th[0], sx = th[1], sy = th[2];
  const auto k = kalman_filter(spec, obs);
  const auto r = rts_smoother(spec, k);
  const int n = obs.steps();
  double g_rho = 0, g_sx = 0, g_sy = 0;
  for (int t = 0; t < n; ++t) {
    const double exx = r.P[t](0, 0) + r.m[t](0) * r.m[t](0);            // E x_t²
    const double eyy = r.P[t + 1](0, 0) + r.m[t + 1](0) * r.m[t + 1](0);  // E x_{t+1}²
    const double exy = r.cross[t](0, 0);                                  // E x_t x_{t+1}
    const double ee = eyy - 2 * rho * exy + rho * rho * exx;              // E (x_{t+1} - ρ x_t)²
    g_rho += (exy - rho * exx) / (sx * sx);
    g_sx += -1.0 / sx + ee / (sx * sx * sx);
  }
  for (int t = 0; t <= n; ++t) {
    const double y = obs.at(t)[0];
    const double ee = r.P[t](0, 0) + (y - r.m[t](0)) * (y - r.m[t](0));  // E (y_t - x_t)²
    g_sy += -1.0 / sy + ee / (sy * sy * sy);
  }
  return {g_rho, g_sx, g_sy};
}

std::vector<double> ffbs_draw(const LinearGaussianSpec& s, const KalmanResult& k, rng::Stream& stream) {
  const int n = static_cast<int>(k.m_filt.size()) - 1;
  const auto d = s.F.rows();
  std::vector<double> path(static_cast<std::size_t>((n + 1) * d));
  auto draw = [&](const Eigen::VectorXd& mean, const Eigen::MatrixXd& cov, int t) {
    Eigen::LLT<Eigen::MatrixXd> llt(0.5 * (cov + cov.transpose()));
    SAMPO_VERIFY(llt.info() == Eigen::Success, "backward-sampling covariance is not positive definite");
    Eigen::VectorXd z(d);
    for (Eigen::Index j = 0; j < d; ++j) z[j] = stream.normal();
    Eigen::Map<Eigen::VectorXd>(path.data() + t * d, d) = mean + Eigen::MatrixXd(llt.matrixL()) * z;
  };
  draw(k.m_filt[n], k.P_filt[n], n);
  for (int t = n - 1; t >= 0; --t) {
    const Eigen::MatrixXd J = k.P_filt[t] * s.F.transpose() * k.P_pred[t + 1].inverse();
    const Eigen::VectorXd next = Eigen::Map<const Eigen::VectorXd>(path.data() + (t + 1) * d, d);
    draw(k.m_filt[t] + J * (next - k.m_pred[t + 1]), k.P_filt[t] - J * k.P_pred[t + 1] * J.transpose(), t);
  }
  return path;
}

}  // namespace sampo::smc
