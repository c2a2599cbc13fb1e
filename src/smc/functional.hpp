#pragma once
// Additive functionals h_n(x_{0:n}) = h_0(x_0) + Σ_{t<n} h̃_t(x_t, x_{t+1}) smoothed by PaRIS and PPG.
#include <memory>
#include <string>
#include <vector>

#include "smc/model.hpp"

namespace sampo::smc {

class Functional {
 public:
  virtual ~Functional() = default;
  [[nodiscard]] virtual int dim() const = 0;
  [[nodiscard]] virtual std::vector<std::string> names() const = 0;
  // h_0(x_0) → out[0..dim)
  virtual void initial(const double* x0, double* out) const = 0;
  // h̃_t(x_t, x_{t+1}) → out[0..dim), t = 0..n-1
  virtual void increment(int t, const double* x, const double* x_next, double* out) const = 0;
};

// Σ_{t<n} x_t x_{t+1}ᵀ (row-major d×d).
class SumCross final : public Functional {
 public:
  explicit SumCross(int d) : d_(d) {}
  [[nodiscard]] int dim() const override { return d_ * d_; }
  [[nodiscard]] std::vector<std::string> names() const override;
  void initial(const double*, double* out) const override {
    for (int k = 0; k < d_ * d_; ++k) out[k] = 0.0;
  }
  void increment(int, const double* x, const double* xn, double* out) const override {
    for (int i = 0; i < d_; ++i)
      for (int j = 0; j < d_; ++j) out[i * d_ + j] = x[i] * xn[j];
  }

 private:
  int d_;
};

// Σ_{t≤n} x_t x_tᵀ (row-major d×d).
class SumSquare final : public Functional {
 public:
  explicit SumSquare(int d) : d_(d) {}
  [[nodiscard]] int dim() const override { return d_ * d_; }
  [[nodiscard]] std::vector<std::string> names() const override;
  void initial(const double* x, double* out) const override {
    for (int i = 0; i < d_; ++i)
      for (int j = 0; j < d_; ++j) out[i * d_ + j] = x[i] * x[j];
  }
  void increment(int, const double*, const double* xn, double* out) const override { initial(xn, out); }

 private:
  int d_;
};

// The score ∇_θ log p_θ(x_{0:n}, y_{0:n}): smoothed, it is ∇_θ log p_θ(y_{0:n}) (Fisher's identity).
class Score final : public Functional {
 public:
  Score(const Model& m, const Observations& y) : m_(m), y_(y) {}
  [[nodiscard]] int dim() const override { return m_.n_params(); }
  [[nodiscard]] std::vector<std::string> names() const override;
  void initial(const double* x0, double* out) const override;
  void increment(int t, const double* x, const double* xn, double* out) const override;

 private:
  const Model& m_;
  const Observations& y_;
};

// Several functionals side by side.
class Composite final : public Functional {
 public:
  void add(std::unique_ptr<Functional> f) { parts_.push_back(std::move(f)); }
  [[nodiscard]] int dim() const override;
  [[nodiscard]] std::vector<std::string> names() const override;
  void initial(const double* x0, double* out) const override;
  void increment(int t, const double* x, const double* xn, double* out) const override;
  [[nodiscard]] bool empty() const noexcept { return parts_.empty(); }

 private:
  std::vector<std::unique_ptr<Functional>> parts_;
};

}  // namespace sampo::smc
