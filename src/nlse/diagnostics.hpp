#pragma once
// Output-time diagnostics beyond the invariants: entropies of the x- and k-space distributions and the two-soliton
// position and phase shifts. All are periodic and spectral, computed on the rank's blocks with global reductions.
#include <array>

#include "nlse/grid.hpp"
#include "nlse/solver.hpp"

namespace sampo::nlse {

// Differential Shannon, Rényi (order q) and Tsallis (order q) entropies of a probability density ρ:
//   h = −∫ρ ln ρ, R_q = ln(∫ρ^q)/(1 − q), T_q = (1 − ∫ρ^q)/(q − 1)   (q = 1: both equal h).
// x space: ρ(x) = |ψ(x)|²/M, integrals by the periodic rectangle rule (spectrally accurate), so with
// p_j = |ψ_j|²/Σ|ψ|²: h = −Σ p ln p + ln dx, ∫ρ^q = dx^{1−q} Σ p^q.
// k space: the normalised power spectrum ρ(k) = |ψ̃(k)|²/(2πM) (ψ̃ the continuous transform, ∫ρ dk = 1), sampled at
// k_m = 2πm/L: the same with p_m = |ψ̂_m|²/Σ|ψ̂|² and dk = 2π/L. The discrete (Shannon) entropy of p is h − ln dx
// (h − ln dk). For a Gaussian h_x + h_k = ln(πe), the Białynicki-Birula–Mycielski bound.
struct Entropies {
  double shannon = 0, renyi = 0, tsallis = 0;
};
// Collective over the grid's communicator: entropies of p ∝ |u_j|² over the rank blocks of `u`, cell size `cell`.
Entropies entropies(const mpi::Communicator& comm, const cvec& u, double cell, double q);
// Collective: {x-space, k-space} entropies of ψ (psi_x: this rank's x block, psi_k: its k block).
std::array<Entropies, 2> field_entropies(const Grid& grid, const cvec& psi_x, const cvec& psi_k, double q);

// Collective: ψ(x), ψ'(x), ψ''(x) at any x by trigonometric interpolation of ψ̂ (one global sum over the modes).
std::array<cplx, 3> interpolate(const Grid& grid, const cvec& psi_k, double x);

// Two-soliton (Hirota) shifts. Soliton j (amplitude A_j, velocity v_j, start x_j at t = 0, phase 0) moves freely as
// A_j sech(A_j(x − x_j − v_j t)) e^{i(v_j x + ½(A_j² − v_j²)t)} before the collision; afterwards its centre is shifted
// by Δx_j and its phase by Δθ_j (reference nlse.md §2).
struct SolitonShifts {
  std::array<double, 2> position{}, phase{};  // measured centres c_j and arg ψ(c_j)
  std::array<double, 2> dx{}, dtheta{};  // c_j − (x_j + v_j t) (periodic), arg ψ(c_j) − free phase, in (−π, π]
};
// The asymptotic shifts of the Hirota solution: {Δx1, Δx2, Δθ1, Δθ2} (Δθ wrapped to (−π, π]).
std::array<double, 4> two_soliton_shift_theory(const Case& c);
// Collective: measures both solitons at time t. Each centre is the maximum of |ψ|: the largest grid sample within
// 3/A_j of the expected centre x_j + v_j t + (after the collision) Δx_j, refined by Newton's method on
// d|ψ|²/dx = 2 Re(ψ*ψ') = 0 with ψ, ψ', ψ'' from the trigonometric interpolant (converges to round-off; a field
// error ε moves the centre by O(ε/A)). NaN while the two free centres are closer than 12/min(A_j) (overlap).
SolitonShifts measure_two_soliton(const Grid& grid, const cvec& psi_k, const cvec& psi_x, const Case& c, double t);

}  // namespace sampo::nlse
