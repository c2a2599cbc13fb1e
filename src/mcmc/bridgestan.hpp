#pragma once
// User models loaded at run time from a shared library with BridgeStan's C API (src/mcmc/bridgestan_abi.h), so a
// Stan model compiled with BridgeStan ≥ 2.0 runs unchanged, and so does a model hand-written against the same ABI
// (inputs/mcmc/models/eight_schools_bs.cpp).
//
// The log density is bs_log_density_gradient(propto = true, jacobian = true) — Stan's sampling density; a non-zero
// return code (an exception in the model, e.g. a rejected parameter) counts as log density −∞, as in Stan. Output
// variables come from bs_param_names(include_tp = true, include_gq = false) and are reordered from Stan's
// column-major order to row-major [chain, draw, dims...]. Generated quantities are not computed (they need
// BridgeStan's RNG per draw). Calls run concurrently from the chains' OpenMP threads only when the model reports
// STAN_THREADS=true in bs_model_info (BridgeStan's default build does); otherwise a mutex serialises them.
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "mcmc/target.hpp"

struct bs_model;

namespace sampo::mcmc {

class BridgeStanTarget final : public Target {
 public:
  // library: path of the .so; data: a JSON file path, a JSON string, or "" (no data). Throws InputError with the
  // path and the library's own message when the library cannot be loaded, lacks a symbol, or rejects the data.
  BridgeStanTarget(const std::string& library, const std::string& data, unsigned seed);
  ~BridgeStanTarget() override;
  BridgeStanTarget(const BridgeStanTarget&) = delete;
  BridgeStanTarget& operator=(const BridgeStanTarget&) = delete;

  [[nodiscard]] std::string name() const override { return name_; }
  [[nodiscard]] int dim() const override { return dim_; }
  double log_density_gradient(const Vec& q, Vec& grad) const override;
  // bs_log_density_gradient(propto = true, jacobian = false): MAP's objective.
  double log_density_gradient_nojac(const Vec& q, Vec& grad) const override;
  double log_jacobian(const Vec& q, Vec& grad) const override;  // the difference of the two
  [[nodiscard]] std::vector<Variable> variables() const override { return vars_; }
  [[nodiscard]] Vec constrain(const Vec& q) const override;
  [[nodiscard]] bool thread_safe() const noexcept { return thread_safe_; }

 private:
  double call(const Vec& q, Vec& grad, bool jacobian) const;  // bs_log_density_gradient(propto = true, jacobian)
  struct Api;
  std::unique_ptr<Api> api_;
  bs_model* model_ = nullptr;
  std::string name_, path_;
  int dim_ = 0, n_out_ = 0;
  std::vector<Variable> vars_;
  std::vector<int> order_;  // row-major output position → position in bs_param_constrain's output
  bool thread_safe_ = false;
  mutable std::mutex mutex_;
};

}  // namespace sampo::mcmc
