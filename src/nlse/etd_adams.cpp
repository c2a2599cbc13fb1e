#include "nlse/etd_adams.hpp"

#include <cmath>

#include "core/error/error.hpp"

namespace sampo::nlse::etd {

using cld = std::complex<long double>;

std::vector<std::vector<long double>> lagrange_monomials(const std::vector<long double>& nodes) {
  const auto n = nodes.size();
  std::vector<std::vector<long double>> rows(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<long double> p{1.0L};  // Π_{m≠i} (s − nodes[m]) / (nodes[i] − nodes[m]), ascending powers
    for (std::size_t m = 0; m < n; ++m) {
      if (m == i) continue;
      const long double d = nodes[i] - nodes[m];
      std::vector<long double> q(p.size() + 1, 0.0L);
      for (std::size_t a = 0; a < p.size(); ++a) {
        q[a] += -nodes[m] * p[a] / d;
        q[a + 1] += p[a] / d;
      }
      p = std::move(q);
    }
    rows[i] = std::move(p);
  }
  return rows;
}

void phi_functions(cld z, int lmax, cld* out) {
  const long double r = std::abs(z);
  if (r < taylor_radius) {
    // Σ z^n/(n + l)!: terms fall below 1e-22 of the first after at most ~40 (|z| < 4); cancellation ≤ e^4.
    for (int l = 0; l <= lmax; ++l) {
      long double inv_fact = 1.0L;
      for (int i = 2; i <= l; ++i) inv_fact /= static_cast<long double>(i);
      cld term(inv_fact, 0.0L), sum(0.0L, 0.0L);
      for (int n = 0; n < 200; ++n) {
        sum += term;
        term *= z / static_cast<long double>(n + l + 1);
        if (std::abs(term) < 1e-22L * inv_fact) break;
      }
      out[l] = sum;
    }
    return;
  }
  out[0] = std::exp(z);
  const cld inv_z = 1.0L / z;   // one complex division, then products (the library's division is ~20× a product)
  long double inv_fact = 1.0L;  // 1/l!
  for (int l = 0; l < lmax; ++l) {
    out[l + 1] = (out[l] - inv_fact) * inv_z;
    inv_fact /= static_cast<long double>(l + 1);
  }
}

std::vector<double> extrapolation(int k) {
  std::vector<double> x(static_cast<std::size_t>(k));
  double binom = 1.0;  // C(k, j + 1), built up exactly (integers far below 2^53)
  for (int j = 0; j < k; ++j) {
    binom = binom * (k - j) / (j + 1);
    x[static_cast<std::size_t>(j)] = (j % 2 == 0 ? 1.0 : -1.0) * binom;
  }
  return x;
}

std::vector<long double> correction_polynomial(int k) {
  std::vector<long double> p{1.0L};
  long double fact = 1.0L;
  for (int i = 0; i < k; ++i) {  // times (s + i)
    std::vector<long double> q(p.size() + 1, 0.0L);
    for (std::size_t a = 0; a < p.size(); ++a) q[a] += static_cast<long double>(i) * p[a], q[a + 1] += p[a];
    p = std::move(q);
    fact *= static_cast<long double>(i + 1);
  }
  for (auto& c : p) c /= fact;
  return p;
}

namespace {
// W = Σ_m (c_m m!) φ_{m+1}, with cf[m] = c_m m!.
cld weight(const std::vector<long double>& cf, const cld* phi) {
  cld w(0.0L, 0.0L);
  for (std::size_t m = 0; m < cf.size(); ++m) w += cf[m] * phi[m + 1];
  return w;
}
// Rows of c_m m! (the Lagrange coefficients times the factorials that turn ∫_0^1 e^{(1−s)z} s^m ds into φ_{m+1}).
std::vector<std::vector<long double>> with_factorials(std::vector<std::vector<long double>> rows) {
  for (auto& r : rows) {
    long double fact = 1.0L;
    for (std::size_t m = 0; m < r.size(); ++m) {
      if (m > 0) fact *= static_cast<long double>(m);
      r[m] *= fact;
    }
  }
  return rows;
}
struct Basis {
  std::vector<std::vector<long double>> predictor;  // c_m m! per node
  std::vector<long double> correction;              // c_m m! of ℓ_c
};
const Basis& basis(int k) {
  static const auto table = [] {
    std::vector<Basis> t(max_order + 1);
    for (int kk = 1; kk <= max_order; ++kk) {
      std::vector<long double> p;
      for (int j = 0; j < kk; ++j) p.push_back(-static_cast<long double>(j));
      t[static_cast<std::size_t>(kk)] = {with_factorials(lagrange_monomials(p)),
                                         with_factorials({correction_polynomial(kk)}).front()};
    }
    return t;
  }();
  return table[static_cast<std::size_t>(k)];
}
}  // namespace

void adams_weights(int k, std::complex<double> z, std::complex<double>* out) {
  SAMPO_VERIFY(k >= 1 && k <= max_order, "etd::adams_weights: order out of range");
  const Basis& b = basis(k);
  cld phi[max_order + 3];
  const cld zl(z.real(), z.imag());
  phi_functions(zl, k + 1, phi);
  auto put = [](cld v) { return std::complex<double>(static_cast<double>(v.real()), static_cast<double>(v.imag())); };
  out[0] = put(phi[0]);
  for (int j = 0; j < k; ++j) out[1 + j] = put(weight(b.predictor[static_cast<std::size_t>(j)], phi));
  out[1 + k] = put(weight(b.correction, phi));
}

}  // namespace sampo::nlse::etd
