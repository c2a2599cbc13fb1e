#include "smc/functional.hpp"

#include <cstdio>

namespace sampo::smc {

namespace {
std::vector<std::string> matrix_names(const std::string& base, int d) {
  std::vector<std::string> v;
  for (int i = 0; i < d; ++i)
    for (int j = 0; j < d; ++j) v.push_back(d == 1 ? base : base + "[" + std::to_string(i) + "][" + std::to_string(j) + "]");
  return v;
}
}  // namespace

std::vector<std::string> SumCross::names() const { return matrix_names("sum_x_xnext", d_); }
std::vector<std::string> SumSquare::names() const { return matrix_names("sum_x_x", d_); }

std::vector<std::string> Score::names() const {
  std::vector<std::string> v;
  for (const auto& p : m_.param_names()) v.push_back("score_" + p);
  return v;
}
void Score::initial(const double* x0, double* out) const {
  const int p = dim();
  std::vector<double> g(static_cast<std::size_t>(p));
  m_.grad_log_initial(x0, out);
  m_.grad_log_observation(0, x0, y_.at(0), g.data());
  for (int k = 0; k < p; ++k) out[k] += g[static_cast<std::size_t>(k)];
}
void Score::increment(int t, const double* x, const double* xn, double* out) const {
  const int p = dim();
  double g[16];
  m_.grad_log_transition(t + 1, x, xn, out);
  m_.grad_log_observation(t + 1, xn, y_.at(t + 1), g);
  for (int k = 0; k < p; ++k) out[k] += g[k];
}

int Composite::dim() const {
  int d = 0;
  for (const auto& p : parts_) d += p->dim();
  return d;
}
std::vector<std::string> Composite::names() const {
  std::vector<std::string> v;
  for (const auto& p : parts_) {
    auto n = p->names();
    v.insert(v.end(), n.begin(), n.end());
  }
  return v;
}
void Composite::initial(const double* x0, double* out) const {
  for (const auto& p : parts_) {
    p->initial(x0, out);
    out += p->dim();
  }
}
void Composite::increment(int t, const double* x, const double* xn, double* out) const {
  for (const auto& p : parts_) {
    p->increment(t, x, xn, out);
    out += p->dim();
  }
}

}  // namespace sampo::smc
