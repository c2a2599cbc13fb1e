#pragma once
// Exact inference for linear Gaussian models: the oracle of the particle methods' tests and outputs.
//   Kalman filter (Joseph-form update) and log-likelihood; Rauch–Tung–Striebel smoother with the lag-one moments
//   E[x_t x_{t+1}ᵀ | y_{0:n}]; exact smoothed additive functionals; the score by Fisher's identity for the scalar
//   model; forward-filtering backward-sampling (exact draws of x_{0:n} | y_{0:n}).
#include <Eigen/Dense>

#include <vector>

#include "core/rng/stream.hpp"
#include "smc/model.hpp"

namespace sampo::smc {

struct KalmanResult {
  std::vector<Eigen::VectorXd> m_pred, m_filt;  // m_{t|t-1} (m_{0|-1} = m0), m_{t|t}
  std::vector<Eigen::MatrixXd> P_pred, P_filt;
  std::vector<double> loglik_increment;         // log p(y_t | y_{0:t-1})
  double loglik = 0.0;
};
KalmanResult kalman_filter(const LinearGaussianSpec& s, const Observations& obs);

struct RtsResult {
  std::vector<Eigen::VectorXd> m;      // m_{t|n}
  std::vector<Eigen::MatrixXd> P;      // P_{t|n}
  std::vector<Eigen::MatrixXd> cross;  // E[x_t x_{t+1}ᵀ | y], t = 0..n-1
};
RtsResult rts_smoother(const LinearGaussianSpec& s, const KalmanResult& k);

// E[Σ_{t<n} x_t x_{t+1}ᵀ | y] and E[Σ_{t≤n} x_t x_tᵀ | y], row-major d×d.
std::vector<double> exact_sum_cross(const RtsResult& r);
std::vector<double> exact_sum_square(const RtsResult& r);
// ∇_θ log p(y_{0:n}) for θ = (ρ, σx, σy) of the scalar model, by Fisher's identity with the RTS moments.
std::vector<double> exact_score(const ScalarLinearGaussian& m, const Observations& obs);
// One exact draw of x_{0:n} | y_{0:n} ((n+1)×d, row-major) by backward sampling.
std::vector<double> ffbs_draw(const LinearGaussianSpec& s, const KalmanResult& k, rng::Stream& stream);

}  // namespace sampo::smc
