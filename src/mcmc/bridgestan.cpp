#include "mcmc/bridgestan.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <sstream>

#include "core/error/error.hpp"
#include "mcmc/bridgestan_abi.h"

namespace sampo::mcmc {

// The library handle and the resolved entry points; dlclose on destruction.
struct BridgeStanTarget::Api {
  void* handle = nullptr;
  decltype(&bs_model_construct) construct = nullptr;
  decltype(&bs_model_destruct) destruct = nullptr;
  decltype(&bs_free_error_msg) free_error = nullptr;
  decltype(&bs_param_unc_num) unc_num = nullptr;
  decltype(&bs_param_num) num = nullptr;
  decltype(&bs_param_names) names = nullptr;
  decltype(&bs_param_constrain) constrain = nullptr;
  decltype(&bs_log_density_gradient) gradient = nullptr;
  decltype(&bs_name) model_name = nullptr;
  decltype(&bs_model_info) info = nullptr;
  ~Api() {
    if (handle) dlclose(handle);
  }
};

namespace {

std::string take_error(char* err, decltype(&bs_free_error_msg) release) {
  if (!err) return {};
  std::string s(err);
  if (release) release(err);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

BridgeStanTarget::BridgeStanTarget(const std::string& library, const std::string& data, unsigned seed)
    : api_(std::make_unique<Api>()), path_(library) {
  const std::string where = "mcmc.model_library = \"" + library + "\"";
  dlerror();
  api_->handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!api_->handle) {
    const char* e = dlerror();
    throw InputError(where + ": cannot load the model library (" + std::string(e ? e : "unknown error") +
                     "); give the path of a BridgeStan-compiled model (.so), e.g. one built as in docs/mcmc.md");
  }
  std::vector<std::string> missing;
  auto sym = [&](auto& fn, const char* name, bool required) {
    void* p = dlsym(api_->handle, name);
    if (!p && required) missing.emplace_back(name);
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(p);
  };
  sym(api_->construct, "bs_model_construct", true);
  sym(api_->destruct, "bs_model_destruct", true);
  sym(api_->free_error, "bs_free_error_msg", true);
  sym(api_->unc_num, "bs_param_unc_num", true);
  sym(api_->num, "bs_param_num", true);
  sym(api_->names, "bs_param_names", true);
  sym(api_->constrain, "bs_param_constrain", true);
  sym(api_->gradient, "bs_log_density_gradient", true);
  sym(api_->model_name, "bs_name", false);
  sym(api_->info, "bs_model_info", false);
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    throw InputError(where + " is not a BridgeStan >= 2.0 model library: it does not export " + list +
                     " (BridgeStan 1.x libraries use bs_construct; rebuild the model with BridgeStan 2)");
  }
  if (const auto* major = static_cast<const int*>(dlsym(api_->handle, "bs_major_version")); major && *major < 2)
    throw InputError(where + " was built with BridgeStan " + std::to_string(*major) +
                     ".x; Sampo needs the 2.x C API (rebuild the model with BridgeStan 2)");

  char* err = nullptr;
  model_ = api_->construct(data.empty() ? nullptr : data.c_str(), seed, &err);
  if (!model_) {
    const auto msg = take_error(err, api_->free_error);
    throw InputError(where + ": the model rejected its data" + (data.empty() ? " (none given)" : " '" + data + "'") +
                     ": " + (msg.empty() ? "no message" : msg) + " (set mcmc.model_data to a JSON file or string)");
  }
  take_error(err, api_->free_error);
  name_ = api_->model_name ? api_->model_name(model_) : "bridgestan";
  if (api_->info) {
    const char* info = api_->info(model_);
    thread_safe_ = info && std::string(info).find("STAN_THREADS=true") != std::string::npos;
  }
  dim_ = api_->unc_num(model_);
  n_out_ = api_->num(model_, true, false);
  if (dim_ < 1 || n_out_ < 1)
    throw InputError(where + ": the model has " + std::to_string(dim_) + " unconstrained parameters; Sampo needs at least 1");

  // Output variables from the names ("a", "b.2", "c.1.3"): blocks of one base name, shape = the largest index per
  // dimension; each entry's row-major position is computed from its own indices (Stan lists them column-major).
  std::vector<std::string> tokens;
  {
    std::stringstream ss(api_->names(model_, true, false));
    for (std::string t; std::getline(ss, t, ',');) tokens.push_back(t);
  }
  if (static_cast<int>(tokens.size()) != n_out_)
    throw InputError(where + ": bs_param_names lists " + std::to_string(tokens.size()) + " names but bs_param_num says " +
                     std::to_string(n_out_));
  struct Entry {
    std::string base;
    std::vector<int> idx;
  };
  std::vector<Entry> entries;
  for (const auto& t : tokens) {
    Entry e;
    std::stringstream ss(t);
    std::getline(ss, e.base, '.');
    for (std::string part; std::getline(ss, part, '.');) {
      int v = 0;
      try {
        v = std::stoi(part);
      } catch (const std::exception&) {
        throw InputError(where + ": cannot read the parameter name '" + t + "' (expected name.i.j with 1-based indices)");
      }
      e.idx.push_back(v);
    }
    entries.push_back(std::move(e));
  }
  order_.assign(static_cast<std::size_t>(n_out_), 0);
  for (std::size_t b = 0; b < entries.size();) {
    std::size_t e = b;
    while (e < entries.size() && entries[e].base == entries[b].base) ++e;
    Variable v{entries[b].base, std::vector<int>(entries[b].idx.size(), 0)};
    for (std::size_t i = b; i < e; ++i) {
      if (entries[i].idx.size() != v.shape.size())
        throw InputError(where + ": parameter '" + v.name + "' has entries with different numbers of indices");
      for (std::size_t k = 0; k < v.shape.size(); ++k) v.shape[k] = std::max(v.shape[k], entries[i].idx[k]);
    }
    if (static_cast<std::size_t>(v.size()) != e - b)
      throw InputError(where + ": parameter '" + v.name + "' lists " + std::to_string(e - b) + " entries for shape of " +
                       std::to_string(v.size()));
    for (std::size_t i = b; i < e; ++i) {
      std::size_t pos = 0;
      for (std::size_t k = 0; k < v.shape.size(); ++k)
        pos = pos * static_cast<std::size_t>(v.shape[k]) + static_cast<std::size_t>(entries[i].idx[k] - 1);
      order_[b + pos] = static_cast<int>(i);
    }
    vars_.push_back(std::move(v));
    b = e;
  }
}

BridgeStanTarget::~BridgeStanTarget() {
  if (model_) api_->destruct(model_);
}

double BridgeStanTarget::log_density_gradient(const Vec& q, Vec& grad) const { return call(q, grad, true); }

double BridgeStanTarget::log_density_gradient_nojac(const Vec& q, Vec& grad) const { return call(q, grad, false); }

double BridgeStanTarget::log_jacobian(const Vec& q, Vec& grad) const {
  Vec g0(dim_);
  const double with = call(q, grad, true), without = call(q, g0, false);
  grad -= g0;
  return with - without;
}

double BridgeStanTarget::call(const Vec& q, Vec& grad, bool jacobian) const {
  grad.resize(dim_);
  double val = 0.0;
  char* err = nullptr;
  int rc = 0;
  if (thread_safe_) {
    rc = api_->gradient(model_, true, jacobian, q.data(), &val, grad.data(), &err);
  } else {
    const std::lock_guard<std::mutex> lock(mutex_);
    rc = api_->gradient(model_, true, jacobian, q.data(), &val, grad.data(), &err);
  }
  take_error(err, api_->free_error);
  if (rc != 0 || !std::isfinite(val) || !grad.allFinite()) {  // Stan: an exception rejects the point
    grad.setZero();
    return -std::numeric_limits<double>::infinity();
  }
  return val;
}

Vec BridgeStanTarget::constrain(const Vec& q) const {
  std::vector<double> raw(static_cast<std::size_t>(n_out_));
  char* err = nullptr;
  int rc = 0;
  if (thread_safe_) {
    rc = api_->constrain(model_, true, false, q.data(), raw.data(), nullptr, &err);
  } else {
    const std::lock_guard<std::mutex> lock(mutex_);
    rc = api_->constrain(model_, true, false, q.data(), raw.data(), nullptr, &err);
  }
  take_error(err, api_->free_error);
  Vec x(n_out_);
  for (int i = 0; i < n_out_; ++i)
    x[i] = rc == 0 ? raw[static_cast<std::size_t>(order_[static_cast<std::size_t>(i)])]
                   : std::numeric_limits<double>::quiet_NaN();
  return x;
}

}  // namespace sampo::mcmc
