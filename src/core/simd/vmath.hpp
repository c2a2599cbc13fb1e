#pragma once
// Deterministic SIMD elementary functions on arrays (the hot loops of particle weights).
//
// libm's exp is scalar (~4 ns per call here) and the particle filter needs one per particle per step, sometimes
// three. These array versions use a branch-free algorithm written in plain double arithmetic and are compiled
// with -O3 -ffp-contract=off into AVX-512, AVX2 and baseline clones (exp also has an AVX-512 kernel written with
// intrinsics, the same operations in the same order): the same bits on every path (no FMA is fused), so results
// never depend on the machine's vector width, the batch a value falls in, or the rank count. exp: ≈ 0.6 ns per
// value in the AVX-512 kernel here (1.7× the previous Taylor-13 version).
// Accuracy: within 1.2e-16 relative of the exact value (table-driven; tested against long double and libm).
#include <complex>
#include <cstddef>

namespace sampo::simd {

// out[i] = exp(x[i] − shift) for x[i] − shift ≤ 709; 0 where x[i] − shift < −708.39 (below the smallest normal
// double; a relative weight that small vanishes in every sum), including −∞. out may alias x.
void exp_shifted(const double* x, double shift, std::size_t n, double* out) noexcept;
namespace detail {
// exp_shifted without the AVX-512 kernel (for the test that both give the same bits).
void exp_shifted_portable(const double* x, double shift, std::size_t n, double* out) noexcept;
}  // namespace detail

// Exact fixed-point sums of values in [0, 1] (weights after exp_shifted): sum += Σ round(v_i·2^80) and
// sum_sq += Σ round(fl(v_i²)·2^80), each term rounded to the nearest multiple of 2^−80 (ties to even), the sums
// exact integers — so they do not depend on the order or the grouping of the terms (ranks, threads, blocks).
// n ≤ 2^22 per call. Vectorised (two 40-bit halves per term, converted by the 1.5·2^52 bias: no int64 conversion).
void fixed80_sums(const double* v, std::size_t n, __int128_t& sum, __int128_t& sum_sq) noexcept;
// The same for one sum of values in [−1, 1]: sum += Σ round(v_i·2^80) (exact, any order or grouping). n ≤ 2^22.
void fixed80_sum(const double* v, std::size_t n, __int128_t& sum) noexcept;

// e^{ix} = (cos x, sin x) without libm, for the loops that take one per grid point (nlse's exact nonlinear flow and
// phase factors): x = qπ/2 + r, q the nearest integer to 2x/π (added to and subtracted from 1.5·2^52; q mod 4
// likewise), r by Cody–Waite with π/2 in three parts (fdlibm's: 33 + 33 bits, then the rest, so x − q·P1 − q·P2 is
// exact for |q| < 2^20), Taylor polynomials of sin r (to r^17) and cos r (to r^18), whose truncation is below 1e-19
// on |r| ≤ π/4, and the quadrant by selects on doubles. Within 2.2e-16 of libm (absolute) for |x| < expi_max;
// beyond it libm's cos and sin. Plain double arithmetic compiled with -ffp-contract=off: the same bits in the
// scalar call and on every vector path (tested). Array version ≈ 1.2 ns per value with AVX-512, 6.7 with SSE2,
// against 18 ns for libm's cos and sin.
inline constexpr double expi_max = 1.0e6;
std::complex<double> expi(double x) noexcept;
// out[i] = e^{i x[i]} for i < n (by chunks of 256: a chunk with any |x| ≥ expi_max, or a NaN, goes to libm).
void expi(const double* x, std::size_t n, std::complex<double>* out) noexcept;

}  // namespace sampo::simd
