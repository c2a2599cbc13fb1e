#pragma once
// Exponential Adams–Bashforth–Moulton weights (ETD multistep, Cox & Matthews, J. Comput. Phys. 176 (2002) 430;
// Hochbruck & Ostermann, Acta Numerica 19 (2010) 209, section 2.5) for u' = Lu + N(u) with diagonal L.
//
// Over one step h from t_n, u(t_n + h) = e^{hL}u(t_n) + h ∫_0^1 e^{(1−s)hL} N(u(t_n + sh)) ds exactly. The k-step
// predictor replaces N(u(t_n + sh)) by the polynomial through N_n, N_{n−1}, …, N_{n−k+1} (nodes s = 0, −1, …, −k+1:
// order k), the corrector by the one through N*_{n+1}, N_n, …, N_{n−k+1} (nodes 1, 0, …, −k+1: order k + 1). With a
// Lagrange basis polynomial ℓ(s) = Σ_m c_m s^m, the weight of its node is
//   W(z) = ∫_0^1 e^{(1−s)z} ℓ(s) ds = Σ_m c_m m! φ_{m+1}(z),   φ_l(z) = Σ_{n≥0} z^n/(n + l)!,   z = hL,
// and at z = 0 the weights are the classical Adams–Bashforth and Adams–Moulton coefficients.
//
// PECE step (two right-hand sides, four FFTs):
//   u* = e^{z}u_n + h Σ_j P_j N_{n−j};   u_{n+1} = e^{z}u_n + h (Q_* N(u*) + Σ_j Q_j N_{n−j});   N_{n+1} = N(u_{n+1}).
// The two interpolants differ by a polynomial of degree k that vanishes at the k history nodes:
// p_c(s) − p_p(s) = (N(u*) − X) ℓ_c(s), ℓ_c(s) = Π_{i<k}(s + i)/k!, X = p_p(1) = Σ_j x_j N_{n−j} (the predictor's
// extrapolation to s = 1, x_j = (−1)^j C(k, j + 1)). So the corrector is the predictor plus one term:
//   u_{n+1} = u* + h G (N(u*) − X),   G(z) = ∫_0^1 e^{(1−s)z} ℓ_c(s) ds   (Q_* = G, Q_j = P_j − G x_j),
// and a mode needs k + 2 weights (e^{z}, P_j, G), not 2k + 2.
#include <complex>
#include <cstdint>
#include <vector>

namespace sampo::nlse::etd {

// Largest number of steps k (the predictor's order; the corrector's is k + 1).
inline constexpr int max_order = 12;

// Complex weights per mode, in this order: e^{z}, P_0 … P_{k−1}, G (k + 2 values).
[[nodiscard]] inline constexpr int weights_per_mode(int k) {
  return k + 2;
}

// The predictor's extrapolation to s = 1: x_j = ℓ_j(1) for the nodes 0, −1, …, −k + 1, i.e. (−1)^j C(k, j + 1).
std::vector<double> extrapolation(int k);
// Monomial coefficients of ℓ_c(s) = Π_{i<k}(s + i)/k! (ascending powers).
std::vector<long double> correction_polynomial(int k);

// Coefficients c_m (m = 0 … n−1) of the Lagrange basis polynomials on the given n nodes: row i is the polynomial
// that is 1 at nodes[i] and 0 at the others.
std::vector<std::vector<long double>> lagrange_monomials(const std::vector<long double>& nodes);

// φ_0(z) … φ_lmax(z) (φ_0 = e^z) in long double: the Taylor series for |z| < taylor_radius (its cancellation at most
// e^4), else the recurrence φ_{l+1} = (φ_l − 1/l!)/z from e^z, which multiplies the relative error by about
// l!/|z|^l: at most 13!/4^13 ≈ 92 for l ≤ max_order + 1, so ~5e-18 in long double.
inline constexpr long double taylor_radius = 4.0L;
void phi_functions(std::complex<long double> z, int lmax, std::complex<long double>* out);

// Weights of the k-step pair for one mode with z = hL (weights_per_mode(k) values into out).
void adams_weights(int k, std::complex<double> z, std::complex<double>* out);

}  // namespace sampo::nlse::etd
