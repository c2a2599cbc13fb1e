#pragma once
// Deterministic SIMD elementary functions on arrays (the hot loops of particle weights).
//
// libm's exp is scalar (~4 ns per call here) and the particle filter needs one per particle per step, sometimes
// three. These array versions use a branch-free algorithm written in plain double arithmetic and are compiled
// with -O3 -ffp-contract=off into AVX-512, AVX2 and baseline clones: the same bits on every path (no FMA is
// fused), so results never depend on the machine's vector width, the batch a value falls in, or the rank count.
// Accuracy: ≤ 2 ulp against the correctly rounded exp (tested against libm to 4.5e-16 relative).
#include <cstddef>

namespace sampo::simd {

// out[i] = exp(x[i] − shift) for x[i] − shift ≤ 709; 0 where x[i] − shift < −708.39 (below the smallest normal
// double; a relative weight that small vanishes in every sum), including −∞. out may alias x.
void exp_shifted(const double* x, double shift, std::size_t n, double* out) noexcept;

}  // namespace sampo::simd
