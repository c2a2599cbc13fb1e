// e^{ix} without a libm call, so that loops over many phases vectorise (the split-step methods' exact nonlinear
// flow ψ ← e^{i(g|ψ|² − V)h}ψ takes one per grid point per sub-step, and two scalar libm calls per point cost about as
// much as the FFTs at mid N).
#pragma once

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdint>

namespace sampo::nlse {

// |x| below this: unit_phase's argument reduction is exact in its first two parts (q·P1 and q·P2 need |q| < 2^20).
// Callers use std::cos/std::sin beyond it.
inline constexpr double unit_phase_max = 1.0e6;

// (cos x, sin x) for |x| < unit_phase_max, within a few ulp of libm's (test: NlseMath.UnitPhase).
// x = qπ/2 + r: q the nearest integer to 2x/π (added to and subtracted from 1.5·2^52; q mod 4 likewise), r by Cody–Waite with π/2 in three parts (fdlibm's: 33 + 33 bits, then the rest), so
// x − q·P1 − q·P2 is exact and |r| ≤ π/4 + ε. Then Taylor polynomials of sin r (to r^17) and cos r (to r^18), whose
// truncation is below 1e-19 on |r| ≤ π/4, and the quadrant's rotation by i^q as selects.
inline std::complex<double> unit_phase(double x) noexcept {
  constexpr double two_over_pi = 0.63661977236758134308;
  constexpr double shifter = 6755399441055744.0;  // 1.5·2^52: the sum's units digit is the rounded 2x/π
  constexpr double p1 = 1.57079632673412561417e+00, p2 = 6.07710050630396597660e-11,
                   p3 = 2.02226624879595063154e-21;  // π/2 = p1 + p2 + p3 + O(1e-32)
  const double q = (x * two_over_pi + shifter) - shifter;
  const double n = q - 4.0 * ((0.25 * q + shifter) - shifter);  // q mod 4 as −2, −1, 0, 1 or 2 (exact)
  const double r = ((x - q * p1) - q * p2) - q * p3;
  const double r2 = r * r;
  // sin r = r + r³(−1/3! + r²(1/5! − …)), cos r = 1 − r²/2 + r⁴(1/4! − r²(1/6! − …)).
  const double ps = -1.0 / 6.0 +
                    r2 * (1.0 / 120.0 +
                          r2 * (-1.0 / 5040.0 +
                                r2 * (1.0 / 362880.0 +
                                      r2 * (-1.0 / 39916800.0 +
                                            r2 * (1.0 / 6227020800.0 +
                                                  r2 * (-1.0 / 1307674368000.0 + r2 * (1.0 / 355687428096000.0)))))));
  const double pc = 1.0 / 24.0 +
                    r2 * (-1.0 / 720.0 +
                          r2 * (1.0 / 40320.0 +
                                r2 * (-1.0 / 3628800.0 +
                                      r2 * (1.0 / 479001600.0 +
                                            r2 * (-1.0 / 87178291200.0 +
                                                  r2 * (1.0 / 20922789888000.0 + r2 * (-1.0 / 6402373705728000.0)))))));
  const double s = r + r * r2 * ps;
  const double c = (1.0 - 0.5 * r2) + r2 * r2 * pc;
  // i^q: q ≡ 0 (c, s), 1 (−s, c), ±2 (−c, −s), −1 (s, −c). Comparisons of doubles only (selects that vectorise with
  // SSE2, which has no 64-bit integer compare).
  const double an = std::abs(n);
  const double re = an == 0.0 ? c : an == 2.0 ? -c : n == 1.0 ? -s : s;
  const double im = an == 0.0 ? s : an == 2.0 ? -s : n == 1.0 ? c : -c;
  return {re, im};
}

// e^{ix} for any finite x: unit_phase below unit_phase_max, libm beyond.
inline std::complex<double> expi(double x) noexcept {
  return std::abs(x) < unit_phase_max ? unit_phase(x) : std::complex<double>(std::cos(x), std::sin(x));
}

// out[j] = e^{i x[j]} for j < n, by chunks of 256: a vector loop of unit_phase into separate real and imaginary
// arrays (interleaved stores in a vector loop can become scatters), or libm for a chunk with any |x| out of its range.
inline void expi_block(const double* x, std::int64_t n, std::complex<double>* out) noexcept {
  constexpr std::int64_t chunk = 256;
  for (std::int64_t c0 = 0; c0 < n; c0 += chunk) {
    const std::int64_t len = std::min(chunk, n - c0);
    const double* xc = x + c0;
    std::complex<double>* oc = out + c0;
    double big = 0.0;
    for (std::int64_t j = 0; j < len; ++j) big = std::max(big, std::abs(xc[j]));
    if (big < unit_phase_max) {
      double er[chunk], ei[chunk];
#pragma omp simd
      for (std::int64_t j = 0; j < len; ++j) {
        const std::complex<double> e = unit_phase(xc[j]);
        er[j] = e.real(), ei[j] = e.imag();
      }
      for (std::int64_t j = 0; j < len; ++j) oc[j] = {er[j], ei[j]};
    } else {
      for (std::int64_t j = 0; j < len; ++j) oc[j] = {std::cos(xc[j]), std::sin(xc[j])};
    }
  }
}

}  // namespace sampo::nlse
