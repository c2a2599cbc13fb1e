// A user model written by hand against BridgeStan's C API (src/mcmc/bridgestan_abi.h): the non-centred eight schools
// model, with its data (J, y, sigma) read from JSON like a Stan model's. Any library exporting these functions —
// this file compiled as below, or a Stan program compiled by BridgeStan — runs under sampo-mcmc unchanged:
//
//   g++ -O2 -shared -fPIC -I src/mcmc inputs/mcmc/models/eight_schools_bs.cpp -o libeight_schools_bs.so
//   mpirun -n 2 sampo-mcmc inputs/mcmc/bridgestan.toml mcmc.model_library=./libeight_schools_bs.so
//
// Model: mu ~ N(0, 5), tau ~ half-Cauchy(0, 5), theta_tilde_j ~ N(0, 1), y_j ~ N(mu + tau theta_tilde_j, sigma_j);
// unconstrained (mu, log tau, theta_tilde); transformed parameter theta = mu + tau theta_tilde. The log density drops
// constants (as Stan's propto = true) and is the same arithmetic as Sampo's built-in eight_schools_noncentred, so
// the two give bitwise the same chains (tests/mcmc: mcmc_bridgestan).
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bridgestan_abi.h"

struct bs_model {
  int J = 0;
  std::vector<double> y, sigma;
  std::string names_params, names_all;
};

namespace {

char* copy_message(const std::string& s) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (p) std::memcpy(p, s.c_str(), s.size() + 1);
  return p;
}

// The numbers after "key": in a JSON text (a scalar or an array of numbers); throws a message if absent.
std::vector<double> numbers(const std::string& json, const std::string& key) {
  const auto k = json.find("\"" + key + "\"");
  if (k == std::string::npos) throw std::string("data has no \"" + key + "\"");
  auto p = json.find(':', k);
  if (p == std::string::npos) throw std::string("data: no ':' after \"" + key + "\"");
  ++p;
  while (p < json.size() && std::isspace(static_cast<unsigned char>(json[p]))) ++p;
  std::vector<double> out;
  const bool array = p < json.size() && json[p] == '[';
  if (array) ++p;
  while (p < json.size()) {
    while (p < json.size() && (std::isspace(static_cast<unsigned char>(json[p])) || json[p] == ',')) ++p;
    if (p >= json.size() || json[p] == ']' || json[p] == '}') break;
    char* end = nullptr;
    const double v = std::strtod(json.c_str() + p, &end);
    if (end == json.c_str() + p) throw std::string("data: \"" + key + "\" holds something that is not a number");
    out.push_back(v);
    p = static_cast<std::size_t>(end - json.c_str());
    if (!array) break;
  }
  return out;
}

}  // namespace

extern "C" {

const int bs_major_version = 2;
const int bs_minor_version = 0;
const int bs_patch_version = 0;

bs_model* bs_model_construct(const char* data, unsigned int /*seed*/, char** error_msg) {
  try {
    std::string json = data ? data : "";
    if (json.size() > 5 && json.compare(json.size() - 5, 5, ".json") == 0) {
      std::ifstream in(json);
      if (!in) throw std::string("cannot open data file " + json);
      std::stringstream ss;
      ss << in.rdbuf();
      json = ss.str();
    }
    if (json.empty()) throw std::string("the model needs data: J, y[J], sigma[J]");
    auto* m = new bs_model;
    const auto J = numbers(json, "J");
    m->y = numbers(json, "y");
    m->sigma = numbers(json, "sigma");
    m->J = J.empty() ? 0 : static_cast<int>(J[0]);
    if (m->J < 1 || static_cast<int>(m->y.size()) != m->J || static_cast<int>(m->sigma.size()) != m->J) {
      delete m;
      throw std::string("data: y and sigma must both have J >= 1 entries");
    }
    for (double s : m->sigma)
      if (!(s > 0)) {
        delete m;
        throw std::string("data: every sigma must be > 0");
      }
    m->names_params = "mu,tau";
    for (int j = 1; j <= m->J; ++j) m->names_params += ",theta_tilde." + std::to_string(j);
    m->names_all = m->names_params;
    for (int j = 1; j <= m->J; ++j) m->names_all += ",theta." + std::to_string(j);
    return m;
  } catch (const std::string& e) {
    if (error_msg) *error_msg = copy_message(e);
  } catch (...) {
    if (error_msg) *error_msg = copy_message("unexpected error while reading the data");
  }
  return nullptr;
}

void bs_model_destruct(bs_model* m) { delete m; }
void bs_free_error_msg(char* error_msg) { std::free(error_msg); }
const char* bs_name(const bs_model*) { return "eight_schools_noncentred_bs"; }
const char* bs_model_info(const bs_model*) { return "hand-written example; STAN_THREADS=true (stateless, thread-safe)"; }
int bs_param_unc_num(const bs_model* m) { return 2 + m->J; }
int bs_param_num(const bs_model* m, bool include_tp, bool /*include_gq*/) { return 2 + m->J * (include_tp ? 2 : 1); }
const char* bs_param_names(const bs_model* m, bool include_tp, bool /*include_gq*/) {
  return include_tp ? m->names_all.c_str() : m->names_params.c_str();
}

int bs_param_constrain(const bs_model* m, bool include_tp, bool /*include_gq*/, const double* q, double* x, bs_rng*,
                       char**) {
  const double tau = std::exp(q[1]);
  x[0] = q[0];
  x[1] = tau;
  for (int j = 0; j < m->J; ++j) {
    x[2 + j] = q[2 + j];
    if (include_tp) x[2 + m->J + j] = q[0] + tau * q[2 + j];
  }
  return 0;
}

int bs_param_unconstrain(const bs_model* m, const double* x, double* q, char** error_msg) {
  if (!(x[1] > 0)) {
    if (error_msg) *error_msg = copy_message("tau must be > 0");
    return -1;
  }
  q[0] = x[0];
  q[1] = std::log(x[1]);
  for (int j = 0; j < m->J; ++j) q[2 + j] = x[2 + j];
  return 0;
}

int bs_log_density_gradient(const bs_model* m, bool /*propto*/, bool jacobian, const double* q, double* val,
                            double* grad, char**) {
  for (int i = 0; i < 2 + m->J; ++i) grad[i] = 0.0;
  const double mu = q[0], ltau = q[1], tau = std::exp(ltau);
  double lp = -0.5 * mu * mu / 25.0;  // mu ~ N(0, 5)
  grad[0] = -mu / 25.0;
  lp += -std::log1p(tau * tau / 25.0) + (jacobian ? ltau : 0.0);  // tau ~ half-Cauchy(0, 5), log |d tau / d ltau|
  grad[1] = -(2.0 * tau * tau / 25.0) / (1.0 + tau * tau / 25.0) + (jacobian ? 1.0 : 0.0);
  for (int j = 0; j < m->J; ++j) {
    const double s2 = m->sigma[static_cast<std::size_t>(j)] * m->sigma[static_cast<std::size_t>(j)];
    const double yj = m->y[static_cast<std::size_t>(j)];
    const double tt = q[2 + j];
    const double th = mu + tau * tt;
    lp += -0.5 * tt * tt;
    grad[2 + j] += -tt;
    const double r = (yj - th) / s2;
    lp += -0.5 * (yj - th) * r;
    grad[0] += r;
    grad[1] += r * tau * tt;
    grad[2 + j] += r * tau;
  }
  *val = lp;
  return 0;
}

}  // extern "C"
