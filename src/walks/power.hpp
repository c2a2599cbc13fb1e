#pragma once
// kernel::Power: the cached SRRW power (w/μ)^(−α), formed the same way at every site (both engines' construction,
// visit and restart). Internal to src/walks.
#include <cmath>

namespace sampo::walks::kernel {

// The cached power r = (w/μ)^(−α) of a weight w at a vertex of stationary mass μ. Integer α in [1, 64] (the usual
// α = 1, 2, 5): t = μ/w raised to the α-th power by binary powering, one division and at most 2·log2(α)
// multiplications (relative error ≲ 2 log2(α)·ε, below exp/log's ≈ |α log(w/μ)|·ε), and μ read as the degree
// (which the next step's row needs anyway) instead of a log μ table: no log, no exp and one cache line fewer per
// SRRW visit. α = 0: 1 (the value exp(−0·x) had). Other α: exp(−α(log w − log μ)). Every site that forms a power —
// both engines' construction, visit and restart — calls this, so the cached bits agree everywhere.
class Power {
  // t^n by binary powering: at most 2·log2(n) multiplications (α = 1-5 are written out below, the same products).
  [[gnu::always_inline]] static double binary_power(double t, unsigned n) noexcept {
    double r = 1.0;
    for (;;) {
      if (n & 1u) r *= t;
      n >>= 1u;
      if (n == 0) break;
      t *= t;
    }
    return r;
  }

 public:
  Power() noexcept : Power(0.0) {}
  explicit Power(double alpha) noexcept
      : alpha_(alpha),
        n_(alpha == 0.0                                                  ? 0
           : alpha >= 1.0 && alpha <= 64.0 && alpha == std::floor(alpha) ? static_cast<int>(alpha)
                                                                         : -1) {}
  // mu() and log_mu() give μ and log μ of the vertex; only the one this α needs is called.
  template <class Mu, class LogMu>
  [[nodiscard]] double operator()(double w, Mu&& mu, LogMu&& log_mu) const noexcept {
    if (n_ < 0) return std::exp(-alpha_ * (std::log(w) - log_mu()));
    if (n_ == 0) return 1.0;
    const double t = mu() / w;
    // The usual α written out: the products binary_power forms, in its order (r = 1·t is t exactly), so the same
    // bits. GCC kept binary_power(t, 5) a loop with a branch per bit even with a constant exponent.
    switch (n_) {
      case 1:
        return t;
      case 2:
        return t * t;
      case 3:
        return t * (t * t);
      case 4: {
        const double t2 = t * t;
        return t2 * t2;
      }
      case 5: {
        const double t2 = t * t;
        return t * (t2 * t2);
      }
      default:
        return binary_power(t, static_cast<unsigned>(n_));
    }
  }

 private:
  double alpha_;
  int n_;  // α for integer α in [0, 64], −1 otherwise
};

}  // namespace sampo::walks::kernel
