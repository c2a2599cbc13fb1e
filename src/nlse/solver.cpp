#include "nlse/solver.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <numbers>
#include <type_traits>
#include <utility>

#include "core/error/error.hpp"
#include "core/rng/stream.hpp"
#include "core/simd/clones.hpp"
#include "core/simd/vmath.hpp"
#include "nlse/dop853_coefficients.hpp"
#include "nlse/etd_adams.hpp"

namespace sampo::nlse {

using std::numbers::pi;
constexpr cplx I(0.0, 1.0);

namespace {
// The fused loops run over groups of Stepper::phase_group_size modes (the phase recurrence's unit): a group's
// factors are generated into a stack array and used at once, and reductions keep one partial sum per group, summed
// in group order afterwards (the same bits for any thread count).
constexpr std::int64_t group_size = Stepper::phase_group_size;
std::int64_t group_count(std::int64_t n) {
  return (n + group_size - 1) / group_size;
}
// How the nonlinear term's input and output are dealiased, applied by the loops that fill and read FFTW's k buffer:
// the filter multiplies the input by σ (ψ_f = F⁻¹[σψ̂]) and the output by σ; the 2/3 rule zeroes the output's modes
// 3|m| > N. The same operations, in the same order, as nonlinear() always did, so the same bits.
// Complex products written out on the doubles: the value of std::complex's operator* for finite operands (the
// same bits), without its NaN fix-up branch, which keeps the loops scalar and branchy.
[[gnu::always_inline]] inline cplx mul(cplx a, cplx b) noexcept {
  return {a.real() * b.real() - a.imag() * b.imag(), a.real() * b.imag() + a.imag() * b.real()};
}
struct Io {
  bool filter, third;
  const double* sigma;
  const char* keep;
  [[nodiscard]] cplx in(std::size_t j, cplx v) const noexcept { return filter ? sigma[j] * v : v; }
  [[nodiscard]] cplx out(std::size_t j, cplx v) const noexcept {
    if (filter) return v * sigma[j];
    return (third && !keep[j]) ? cplx(0.0, 0.0) : v;
  }
};

// ---- Per-group kernels of the interaction-picture stepping, in AVX-512/AVX2/baseline clones (SAMPO_CLONES) ----
// This file is compiled with -ffp-contract=off (src/nlse/CMakeLists.txt) and the kernels use only elementwise
// additions and multiplications, so every clone gives the bits of the baseline one. Two rules keep it so:
// - Complex products are written on v4d (two modes at a time: cmul2 below). Left to itself, GCC's vectoriser
//   recognises a complex product in scalar code and emits fused multiply-adds (vfmaddsub) in the AVX clones even
//   under -ffp-contract=off. `objdump -d` of the library shows no vfmadd/vfmsub instruction (checked when written).
// - Sums over Runge–Kutta stages are register-blocked: a block of modes summed over all terms in registers, per
//   mode the same additions in the same order as a sum over the terms (instead of a pass per term through an array).
using v4d = double __attribute__((vector_size(32)));     // 4 doubles: a ymm register, or two xmm ones in the baseline
using v4l = long long __attribute__((vector_size(32)));  // shuffle masks for v4d
// Every function taking or returning a v4d is always inlined: no call, so no ABI (GCC's -Wpsabi note about AVX
// vectors passed by value is off for this file, src/nlse/CMakeLists.txt).
[[gnu::always_inline]] inline v4d load4(const double* p) noexcept {
  v4d v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}
[[gnu::always_inline]] inline void store4(double* p, v4d v) noexcept { __builtin_memcpy(p, &v, sizeof v); }
// mul() of two modes each: v, w hold (re, im) of two modes; (re·wr − im·wi, re·wi + im·wr), the same operations.
[[gnu::always_inline]] inline v4d cmul2(v4d v, v4d w) noexcept {
  const v4d vr = __builtin_shuffle(v, v4l{0, 0, 2, 2}), vi = __builtin_shuffle(v, v4l{1, 1, 3, 3});
  const v4d p = vr * w, q = vi * __builtin_shuffle(w, v4l{1, 0, 3, 2});  // (re·wr, re·wi), (im·wi, im·wr)
  return __builtin_shuffle(p - q, p + q, v4l{0, 5, 2, 7});
}
// a · conj(w) for two modes: mul() with (wr, −wi) (−x and x·(−1) are the same value).
[[gnu::always_inline]] inline v4d cmul2_conj(v4d v, v4d w) noexcept { return cmul2(v, w * v4d{1.0, -1.0, 1.0, -1.0}); }
// Two modes' real weights, each repeated for re and im.
[[gnu::always_inline]] inline v4d dup2(const double* x) noexcept { return v4d{x[0], x[0], x[1], x[1]}; }

// The nonzero terms of a stage sum: coefficient and vector (as doubles, at the group's first mode).
struct TermPtrs {
  int count = 0;
  double coef[16] = {};
  const double* k[16] = {};
};
constexpr std::int64_t block = 8;  // modes per register block of the stage sums (16 doubles: 4 v4d)
// The stage sums read up to 11 arrays at once, more streams than the hardware prefetchers follow: each term's lines
// 4 blocks (512 bytes) ahead are prefetched in software (no effect on the values).
constexpr std::int64_t prefetch_ahead = 4 * 2 * block;  // doubles
// s[0 .. 2·block) = Σ_i coef_i k_i[o + ...] for one full block, in registers.
[[gnu::always_inline]] inline void block_sum(const TermPtrs& t, std::int64_t o, double* s) noexcept {
  const double* k0 = t.k[0] + o;
  const double c0 = t.coef[0];
  v4d a0 = load4(k0) * c0, a1 = load4(k0 + 4) * c0, a2 = load4(k0 + 8) * c0, a3 = load4(k0 + 12) * c0;
  __builtin_prefetch(k0 + prefetch_ahead), __builtin_prefetch(k0 + prefetch_ahead + 8);
  for (int i = 1; i < t.count; ++i) {
    const double* ki = t.k[i] + o;
    const double c = t.coef[i];
    __builtin_prefetch(ki + prefetch_ahead), __builtin_prefetch(ki + prefetch_ahead + 8);
    a0 += load4(ki) * c, a1 += load4(ki + 4) * c, a2 += load4(ki + 8) * c, a3 += load4(ki + 12) * c;
  }
  store4(s, a0), store4(s + 4, a1), store4(s + 8, a2), store4(s + 12, a3);
}
// The same for m < block modes (the group's end), zero-padded to an even count.
[[gnu::always_inline]] inline void tail_sum(const TermPtrs& t, std::int64_t o, std::int64_t m, double* s) noexcept {
  for (std::int64_t r = 0; r < 2 * block; ++r) s[r] = 0.0;
  for (std::int64_t r = 0; r < 2 * m; ++r) s[r] = t.coef[0] * t.k[0][o + r];
  for (int i = 1; i < t.count; ++i)
    for (std::int64_t r = 0; r < 2 * m; ++r) s[r] += t.coef[i] * t.k[i][o + r];
}
// Copies of n ≤ cap modes (2n doubles) of x, zero-padded to cap modes: a ragged end through the blocks' code.
[[gnu::always_inline]] inline void padded(const double* x, std::int64_t n, std::int64_t cap, double* out) noexcept {
  for (std::int64_t r = 0; r < 2 * cap; ++r) out[r] = r < 2 * n ? x[r] : 0.0;
}

// A stage's input for len modes: out_j = σ_j^{filter} · (y_j + h Σ_i a_i K_i,j) · conj(e_j) (t's vectors, y, e, σ
// and out at the group's first mode; σ null without the filter).
SAMPO_CLONES void stage_in_kernel(const TermPtrs& terms, const cplx* y, double h, const cplx* e, const double* sigma,
                                  std::int64_t len, cplx* out) {
  const TermPtrs t = terms;  // a local copy: the stores to out could alias the caller's, forcing reloads
  const auto* yd = reinterpret_cast<const double*>(y);
  const auto* ed = reinterpret_cast<const double*>(e);
  auto* od = reinterpret_cast<double*>(out);
  for (std::int64_t j = 0; j < len; j += block) {
    const std::int64_t m = std::min(block, len - j);
    double s[2 * block], yb[2 * block], eb[2 * block], sb[block], ob[2 * block];
    const double *yj = yd + 2 * j, *ej = ed + 2 * j, *sj = sigma ? sigma + j : nullptr;
    double* oj = od + 2 * j;
    if (m == block) {
      block_sum(t, 2 * j, s);
    } else {  // ragged end: padded copies in, the first m modes out
      tail_sum(t, 2 * j, m, s);
      padded(yj, m, block, yb), padded(ej, m, block, eb), yj = yb, ej = eb, oj = ob;
      if (sigma) {
        for (std::int64_t r = 0; r < block; ++r) sb[r] = r < m ? sigma[j + r] : 0.0;
        sj = sb;
      }
    }
    for (std::int64_t p = 0; p < block; p += 2) {  // y + s·h, times conj(e), times σ: the scalar code's operations
      v4d v = cmul2_conj(load4(yj + 2 * p) + load4(s + 2 * p) * h, load4(ej + 2 * p));
      if (sj) v = dup2(sj + p) * v;
      store4(oj + 2 * p, v);
    }
    if (m < block)
      for (std::int64_t r = 0; r < 2 * m; ++r) od[2 * j + r] = ob[r];
  }
}
// The end of an ip-dop853 step for len modes: y_new = y + h Σ b_i K_i and the error sums e5 = Σ E5_i K_i,
// e3 = Σ E3_i K_i (rows with their three coefficients, row 0 nonzero in all three), into yn; d = bk = e^{Lh}·y_new
// (conj(e) with e = e^{−Lh}; bk times σ for the filter) for the next step; sums[0], sums[1] += |e5|²/sc², |e3|²/sc²
// in mode order, sc = atol + rtol·max(|y|, |y_new|) (moduli by sqrt of the norm).
struct FinalRows {
  int count = 0;
  double b[16] = {}, e5[16] = {}, e3[16] = {};
  const double* k[16] = {};
};
SAMPO_CLONES void final_kernel(const FinalRows& rows, const cplx* y, double h, double atol, double rtol, const cplx* e,
                               const double* sigma, std::int64_t len, cplx* yn, cplx* d, cplx* bk, double* sums) {
  const FinalRows rw = rows;  // a local copy: the stores below could alias the caller's, forcing reloads
  constexpr std::int64_t fb = 4;  // modes per block: 3 sums × 2 v4d in registers
  const auto* yd = reinterpret_cast<const double*>(y);
  const auto* ed = reinterpret_cast<const double*>(e);
  double s5 = sums[0], s3 = sums[1];
  for (std::int64_t j = 0; j < len; j += fb) {
    const std::int64_t m = std::min(fb, len - j), o = 2 * j;
    v4d sb[2], x5[2], x3[2];
    if (m == fb) {
      const double* k0 = rw.k[0] + o;
      for (int h2 = 0; h2 < 2; ++h2) {
        const v4d k = load4(k0 + 4 * h2);
        sb[h2] = k * rw.b[0], x5[h2] = k * rw.e5[0], x3[h2] = k * rw.e3[0];
      }
      __builtin_prefetch(k0 + prefetch_ahead);
      for (int i = 1; i < rw.count; ++i) {
        const double* ki = rw.k[i] + o;
        __builtin_prefetch(ki + prefetch_ahead);
        const double b = rw.b[i], c5 = rw.e5[i], c3 = rw.e3[i];
        const v4d k0v = load4(ki), k1v = load4(ki + 4);
        if (b != 0.0) sb[0] += k0v * b, sb[1] += k1v * b;
        if (c5 != 0.0 || c3 != 0.0) x5[0] += k0v * c5, x5[1] += k1v * c5, x3[0] += k0v * c3, x3[1] += k1v * c3;
      }
    } else {  // ragged end: the same sums on zero-padded copies
      double kp[2 * fb];
      for (int i = 0; i < rw.count; ++i) {
        for (std::int64_t r = 0; r < 2 * fb; ++r) kp[r] = r < 2 * m ? rw.k[i][o + r] : 0.0;
        const double b = rw.b[i], c5 = rw.e5[i], c3 = rw.e3[i];
        for (int h2 = 0; h2 < 2; ++h2) {
          const v4d k = load4(kp + 4 * h2);
          if (i == 0) {
            sb[h2] = k * b, x5[h2] = k * c5, x3[h2] = k * c3;
          } else {
            if (b != 0.0) sb[h2] += k * b;
            if (c5 != 0.0 || c3 != 0.0) x5[h2] += k * c5, x3[h2] += k * c3;
          }
        }
      }
    }
    double ybuf[2 * fb], ebuf[2 * fb], yv[2 * fb], v5[2 * fb], v3[2 * fb], vo[2 * fb];
    padded(yd + o, m, fb, ybuf), padded(ed + o, m, fb, ebuf);
    for (int h2 = 0; h2 < 2; ++h2) {
      const v4d ynew = load4(ybuf + 4 * h2) + sb[h2] * h;
      store4(yv + 4 * h2, ynew), store4(v5 + 4 * h2, x5[h2]), store4(v3 + 4 * h2, x3[h2]);
      store4(vo + 4 * h2, cmul2_conj(ynew, load4(ebuf + 4 * h2)));
    }
    for (std::int64_t l = 0; l < m; ++l) {  // scalar: the sums in mode order
      const double yr = ybuf[2 * l], yi = ybuf[2 * l + 1], nr = yv[2 * l], ni = yv[2 * l + 1];
      const double scale = atol + std::sqrt(std::max(yr * yr + yi * yi, nr * nr + ni * ni)) * rtol;
      const double is2 = 1.0 / (scale * scale);
      s5 += (v5[2 * l] * v5[2 * l] + v5[2 * l + 1] * v5[2 * l + 1]) * is2;
      s3 += (v3[2 * l] * v3[2 * l] + v3[2 * l + 1] * v3[2 * l + 1]) * is2;
      const std::int64_t jj = j + l;
      yn[jj] = cplx(nr, ni);
      d[jj] = cplx(vo[2 * l], vo[2 * l + 1]);
      bk[jj] = sigma ? sigma[jj] * d[jj] : d[jj];
    }
  }
  sums[0] = s5, sums[1] = s3;
}

// The nonlinear term in x-space for n points: v ← i(g|v|² − V)v of v·scale (to_x's 1/N), written out on the doubles:
// (−Im v·r, Re v·r) with r = g|v|² − V, the value of the complex product v·(i r) (without its NaN fix-up call, which
// keeps such loops from vectorising). V null: no potential.
SAMPO_CLONES void nonlinear_kernel(cplx* v, std::int64_t n, double scale, double g, const double* V) {
  auto* x = reinterpret_cast<double*>(v);
  if (V) {
#pragma omp simd
    for (std::int64_t j = 0; j < n; ++j) {
      const double re = x[2 * j] * scale, im = x[2 * j + 1] * scale;
      const double r = g * (re * re + im * im) - V[j];
      x[2 * j] = -(im * r), x[2 * j + 1] = re * r;
    }
  } else {
#pragma omp simd
    for (std::int64_t j = 0; j < n; ++j) {
      const double re = x[2 * j] * scale, im = x[2 * j + 1] * scale;
      const double r = g * (re * re + im * im);
      x[2 * j] = -(im * r), x[2 * j + 1] = re * r;
    }
  }
}

// Stepper::phase_group's lane recurrences: lane l holds modes m0 + l + G·r (r = 0 … S − 1), real and imaginary
// parts in separate arrays, so the G recurrences are plain vector arithmetic (the products of mul(), operation for
// operation); each value normalised to modulus 1 as unit() does, stored interleaved at out (2·G·S doubles).
constexpr std::int64_t lanes = Stepper::phase_groups, leaps = Stepper::phase_leaps;
SAMPO_CLONES void phase_lanes(double* pr, double* pm, double* qr, double* qm, double wr, double wi, double* out) {
  for (std::int64_t r = 0; r < leaps; ++r) {
#pragma omp simd
    for (std::int64_t l = 0; l < lanes; ++l) {
      const double f = 1.5 - 0.5 * (pr[l] * pr[l] + pm[l] * pm[l]);  // unit(): the same operations
      out[2 * (r * lanes + l)] = pr[l] * f, out[2 * (r * lanes + l) + 1] = pm[l] * f;
      const double nr = pr[l] * qr[l] - pm[l] * qm[l], ni = pr[l] * qm[l] + pm[l] * qr[l];
      const double cr = qr[l] * wr - qm[l] * wi, ci = qr[l] * wi + qm[l] * wr;
      pr[l] = nr, pm[l] = ni, qr[l] = cr, qm[l] = ci;
    }
  }
}

// ---- k-space passes of rk4ip, erk43-ip and ip-dop853's stage outputs, fused with FFTW's buffer, in clones ----
// Pass kinds (per mode j; in(v) = σ_j v with the filter, out(v) = σ_j v, or 0 outside 2/3 with that rule, else v;
// lin = e^{Lh/2}; the same operations as the scalar code they replaced, so the same bits on every clone):
enum class KPass {
  r_init,   // rk4ip:    a = p·lin, bk = in(p)
  r_k1,     // rk4ip:    k1 = out(bk)·lin, acc = a + h/6 k1, bk = in(a + h/2 k1)
  r_k2,     // rk4ip:    k2 = out(bk), acc += h/3 k2, bk = in(a + h/2 k2)
  third,    // both:     k3 = out(bk), acc += h/3 k3, bk = in((a + h k3)·lin)
  r_final,  // rk4ip:    p_out = acc·lin + h/6 out(bk)
  e_init,   // erk43-ip: a = p·lin, b = k5·lin, bk = in(a + h/2 b); nv = |p|²
  e_k2,     // erk43-ip: k2 = out(bk), acc = a + h/6 (b + 2 k2), bk = in(a + h/2 k2)
  e_k4,     // erk43-ip: k4 = out(bk), d = k4, o = acc·lin + h/6 k4, bk = in(o); nv = |o|²
  e_err,    // erk43-ip: k5n = out(bk), e = k5n; nv = |h/10 (d − k5n)|²
  ip_out,   // ip-dop853: a stage's K = out(bk)·lin into o, lin = the group's factors e^{−L c h}
};
// A pass's arrays and step fractions (designated: each pass sets what its line above names; the rest stay null).
struct KArgs {
  const cplx* p = nullptr;  // the state read (r_init, e_init)
  cplx *p_out = nullptr, *bk = nullptr, *a = nullptr, *acc = nullptr, *b = nullptr, *d = nullptr, *e = nullptr,
       *o = nullptr;
  const cplx *lin = nullptr, *k5 = nullptr;
  const double* sigma = nullptr;  // filter, or null
  const char* keep = nullptr;     // 2/3 rule, or null
  double h = 0.0, h2 = 0.0, h3 = 0.0, h6 = 0.0, h10 = 0.0;
};
// One pass over modes [j0, j0 + n); nv (erk43-ip's norms, or null) gets one value per mode, nv[0] for mode j0.
SAMPO_CLONES void k_pass(KPass kind, const KArgs& args, std::int64_t j0, std::int64_t n, double* nv) {
  const KArgs x = args;  // a local copy: the stores below (memcpy) could alias the caller's, forcing reloads
  const v4d zero = {0.0, 0.0, 0.0, 0.0};
  // A pair of modes at j (full), or mode j alone padded with a zero mode (the last of an odd count).
  // The pass as a compile-time constant (kind_tag), so that the loop below holds one case, not a switch per pair.
  // Every lambda is always inlined: a lambda is compiled for the baseline target unless inlined into the clone.
  const auto body = [&](std::int64_t j, auto full_tag, auto kind_tag) __attribute__((always_inline)) {
    constexpr bool full = decltype(full_tag)::value;
    constexpr KPass pass = decltype(kind_tag)::value;
    const auto ld = [&](const cplx* v) __attribute__((always_inline)) {
      if constexpr (full) {
        return load4(reinterpret_cast<const double*>(v + j));
      } else {
        return v4d{v[j].real(), v[j].imag(), 0.0, 0.0};
      }
    };
    const auto st = [&](cplx* v, v4d y) __attribute__((always_inline)) {
      if constexpr (full) {
        store4(reinterpret_cast<double*>(v + j), y);
      } else {
        v[j] = cplx(y[0], y[1]);
      }
    };
    const auto pair = [&](const auto* w) __attribute__((always_inline)) {  // w[j], w[j + 1] (or 0), each for re and im
      using T = std::remove_cv_t<std::remove_pointer_t<decltype(w)>>;
      const double w0 = static_cast<double>(w[j]);
      const double w1 = full ? static_cast<double>(w[j + 1]) : static_cast<double>(T(0));
      return v4d{w0, w0, w1, w1};
    };
    const auto in = [&](v4d v) __attribute__((always_inline)) { return x.sigma ? pair(x.sigma) * v : v; };
    const auto out = [&](v4d v) __attribute__((always_inline)) {
      return x.sigma ? v * pair(x.sigma) : x.keep ? (pair(x.keep) != zero ? v : zero) : v;
    };
    const auto norms = [&](v4d v) __attribute__((always_inline)) {
      double t[4];
      store4(t, v * v);
      nv[j - j0] = t[0] + t[1];
      if constexpr (full) nv[j - j0 + 1] = t[2] + t[3];
    };
    switch (pass) {
      case KPass::r_init: {
        const v4d p = ld(x.p);
        st(x.a, cmul2(p, ld(x.lin)));
        st(x.bk, in(p));
        break;
      }
      case KPass::r_k1: {
        const v4d k1 = cmul2(out(ld(x.bk)), ld(x.lin)), a = ld(x.a);
        st(x.acc, a + k1 * x.h6);
        st(x.bk, in(a + k1 * x.h2));
        break;
      }
      case KPass::r_k2: {
        const v4d k2 = out(ld(x.bk));
        st(x.acc, ld(x.acc) + k2 * x.h3);
        st(x.bk, in(ld(x.a) + k2 * x.h2));
        break;
      }
      case KPass::third: {
        const v4d k3 = out(ld(x.bk));
        st(x.acc, ld(x.acc) + k3 * x.h3);
        st(x.bk, in(cmul2(ld(x.a) + k3 * x.h, ld(x.lin))));
        break;
      }
      case KPass::r_final:
        st(x.p_out, cmul2(ld(x.acc), ld(x.lin)) + out(ld(x.bk)) * x.h6);
        break;
      case KPass::e_init: {
        const v4d p = ld(x.p), lin = ld(x.lin);
        const v4d a = cmul2(p, lin), b = cmul2(ld(x.k5), lin);
        st(x.a, a), st(x.b, b);
        st(x.bk, in(a + b * x.h2));
        norms(p);
        break;
      }
      case KPass::e_k2: {
        const v4d k2 = out(ld(x.bk)), a = ld(x.a);
        st(x.acc, a + (ld(x.b) + k2 * 2.0) * x.h6);
        st(x.bk, in(a + k2 * x.h2));
        break;
      }
      case KPass::e_k4: {
        const v4d k4 = out(ld(x.bk));
        st(x.d, k4);
        const v4d y4 = cmul2(ld(x.acc), ld(x.lin)) + k4 * x.h6;
        st(x.o, y4);
        st(x.bk, in(y4));
        norms(y4);
        break;
      }
      case KPass::e_err: {
        const v4d k5n = out(ld(x.bk));
        st(x.e, k5n);
        norms((ld(x.d) - k5n) * x.h10);
        break;
      }
      case KPass::ip_out:
        st(x.o, cmul2(out(ld(x.bk)), ld(x.lin)));
        break;
    }
  };
  const auto loop = [&](auto kind_tag) __attribute__((always_inline)) {
    std::int64_t j = j0;
    for (; j + 2 <= j0 + n; j += 2) body(j, std::true_type{}, kind_tag);
    if (j < j0 + n) body(j, std::false_type{}, kind_tag);
  };
  using P = KPass;
  switch (kind) {
    case P::r_init: loop(std::integral_constant<P, P::r_init>{}); break;
    case P::r_k1: loop(std::integral_constant<P, P::r_k1>{}); break;
    case P::r_k2: loop(std::integral_constant<P, P::r_k2>{}); break;
    case P::third: loop(std::integral_constant<P, P::third>{}); break;
    case P::r_final: loop(std::integral_constant<P, P::r_final>{}); break;
    case P::e_init: loop(std::integral_constant<P, P::e_init>{}); break;
    case P::e_k2: loop(std::integral_constant<P, P::e_k2>{}); break;
    case P::e_k4: loop(std::integral_constant<P, P::e_k4>{}); break;
    case P::e_err: loop(std::integral_constant<P, P::e_err>{}); break;
    case P::ip_out: loop(std::integral_constant<P, P::ip_out>{}); break;
  }
}
// k_pass over all nk modes, in chunks over the threads (passes without norms).
void k_sweep(KPass kind, const KArgs& x, std::int64_t nk) {
  constexpr std::int64_t chunk = 4096;
#pragma omp parallel for schedule(static) if (nk > (1 << 15))
  for (std::int64_t c = 0; c < (nk + chunk - 1) / chunk; ++c) {
    const std::int64_t j0 = c * chunk;
    k_pass(kind, x, j0, std::min(chunk, nk - j0), nullptr);
  }
}
// k_pass with norms: part[stride·q + slot] = Σ over group q's modes of nv, each sum in mode order (the same bits
// for any thread count; reduce_parts adds the groups in order).
void k_sums(KPass kind, const KArgs& x, std::int64_t nk, double* part, std::int64_t stride, std::int64_t slot) {
  const std::int64_t groups = group_count(nk);
#pragma omp parallel for schedule(static) if (nk > (1 << 15))
  for (std::int64_t q = 0; q < groups; ++q) {
    const std::int64_t j0 = q * group_size, len = std::min(nk, j0 + group_size) - j0;
    double nv[group_size];
    k_pass(kind, x, j0, len, nv);
    double s = 0;
    for (std::int64_t r = 0; r < len; ++r) s += nv[r];
    part[stride * q + slot] = s;
  }
}
}  // namespace

double Model::V(double x) const noexcept {
  if (potential == "harmonic") return v0 * x * x;
  if (potential == "lattice") {
    const double c = std::cos(lattice_k * x);
    return v0 * c * c;
  }
  return 0.0;
}

Invariants invariants(Grid& grid, const Model& m, const cvec& psi_k) {
  cvec psi_x;
  grid.to_x(psi_k, psi_x);
  const double n = static_cast<double>(grid.n()), dx = grid.dx();
  double loc[3] = {0, 0, 0};  // mass, momentum (k-space part), energy
  double kin = 0, mom = 0;
  for (std::int64_t j = 0; j < grid.k_count(); ++j) {
    const double k = grid.k(j), a2 = std::norm(psi_k[static_cast<std::size_t>(j)]);
    mom += k * a2;
    kin += k * k * a2;
  }
  double mass = 0, pot = 0;
  for (std::int64_t j = 0; j < grid.x_count(); ++j) {
    const double a2 = std::norm(psi_x[static_cast<std::size_t>(j)]);
    mass += a2;
    pot += -0.5 * m.g * a2 * a2 + m.V(grid.x(j)) * a2;
  }
  loc[0] = mass * dx;
  loc[1] = mom * dx / n;
  loc[2] = 0.5 * m.beta * kin * dx / n + pot * dx;
  grid.comm().allreduce_inplace(std::span<double>(loc, 3), mpi::Op::sum);
  return {loc[0], loc[1], loc[2]};
}

double mi_growth_theory(const Model& m, double p0, double K) {
  if (m.beta == 0.0) return 0.0;
  const double q = 4.0 * m.g * p0 / m.beta - K * K;
  return q > 0.0 ? 0.5 * std::abs(m.beta * K) * std::sqrt(q) : 0.0;
}

double mode_amplitude(const Grid& grid, const cvec& psi_k, double K) {
  const double dk = 2.0 * pi / grid.length();
  double s = 0;
  for (std::int64_t j = 0; j < grid.k_count(); ++j)
    if (std::abs(std::abs(grid.k(j)) - std::abs(K)) < 0.5 * dk) s += std::norm(psi_k[static_cast<std::size_t>(j)]);
  return std::sqrt(grid.comm().allreduce(s, mpi::Op::sum)) / static_cast<double>(grid.n());
}

double fit_growth_rate(const std::vector<double>& t, const std::vector<double>& a, double t_from, double a_max) {
  double n = 0, st = 0, sy = 0, stt = 0, sty = 0;
  for (std::size_t i = 0; i < std::min(t.size(), a.size()); ++i) {
    if (t[i] < t_from || !(a[i] > 0.0) || a[i] > a_max) continue;
    const double y = std::log(a[i]);
    n += 1, st += t[i], sy += y, stt += t[i] * t[i], sty += t[i] * y;
  }
  if (n < 3) return NAN;
  return (n * sty - st * sy) / (n * stt - st * st);
}

double filtered_hamiltonian(Grid& grid, const Model& m, const cvec& psi_k, const std::vector<double>& sigma) {
  cvec f(psi_k.size()), fx;
  double kin = 0;
  for (std::size_t j = 0; j < psi_k.size(); ++j) {
    const double k = grid.k(static_cast<std::int64_t>(j));
    f[j] = sigma[j] * psi_k[j];
    kin += k * k * sigma[j] * std::norm(psi_k[j]);
  }
  grid.to_x(f, fx);
  double pot = 0;
  for (std::int64_t j = 0; j < grid.x_count(); ++j) {
    const double a2 = std::norm(fx[static_cast<std::size_t>(j)]);
    pot += -0.5 * m.g * a2 * a2 + m.V(grid.x(j)) * a2;
  }
  const double n = static_cast<double>(grid.n()), dx = grid.dx();
  return grid.comm().allreduce(0.5 * m.beta * kin * dx / n + pot * dx, mpi::Op::sum);
}

cplx Case::exact(double x, double t) const {
  if (name == "soliton") {
    const double A = amplitude, v = velocity;
    return A / std::cosh(A * (x - position - v * t)) * std::exp(I * (v * x + 0.5 * (A * A - v * v) * t + phase));
  }
  if (name == "two_soliton") {
    // Hirota's two-soliton (reference nlse.md §2); soliton 1 starts at `position`, soliton 2 at `position2`.
    const cplx k1(amplitude, velocity), k2(amplitude2, velocity2);
    const cplx e10 = -amplitude * position + std::log(2.0 * amplitude);
    const cplx e20 = -amplitude2 * position2 + std::log(2.0 * amplitude2) -
                     std::log((k1 - k2) * (k1 - k2) / ((k2 + std::conj(k1)) * (k2 + std::conj(k1))));
    const cplx eta1 = k1 * x + 0.5 * I * k1 * k1 * t + e10, eta2 = k2 * x + 0.5 * I * k2 * k2 * t + e20;
    auto aa = [](cplx ki, cplx kj) { return 1.0 / ((ki + std::conj(kj)) * (ki + std::conj(kj))); };
    const cplx b = (k1 - k2) * (k1 - k2);
    const cplx g = std::exp(eta1) + std::exp(eta2) +
                   b * aa(k1, k1) * aa(k2, k1) * std::exp(eta1 + eta2 + std::conj(eta1)) +
                   b * aa(k1, k2) * aa(k2, k2) * std::exp(eta1 + eta2 + std::conj(eta2));
    const cplx f = 1.0 + aa(k1, k1) * std::exp(eta1 + std::conj(eta1)) + aa(k1, k2) * std::exp(eta1 + std::conj(eta2)) +
                   aa(k2, k1) * std::exp(eta2 + std::conj(eta1)) + aa(k2, k2) * std::exp(eta2 + std::conj(eta2)) +
                   std::norm(b) * aa(k1, k1) * aa(k1, k2) * aa(k2, k1) * aa(k2, k2) *
                       std::exp(eta1 + eta2 + std::conj(eta1) + std::conj(eta2));
    return g / f;
  }
  if (name == "akhmediev" || name == "akhmediev_tiled") {
    const double X = std::sqrt(p0) * x, T = p0 * t;
    const double om = 2.0 * std::sqrt(1.0 - 2.0 * a), bb = std::sqrt(8.0 * a * (1.0 - 2.0 * a));
    const cplx num =
        (1.0 - 4.0 * a) * std::cosh(bb * T) + std::sqrt(2.0 * a) * std::cos(om * X) + I * bb * std::sinh(bb * T);
    const double den = std::sqrt(2.0 * a) * std::cos(om * X) - std::cosh(bb * T);
    return std::sqrt(p0) * std::exp(I * T) * num / den;
  }
  if (name == "peregrine") {
    const double X = std::sqrt(p0) * x, T = p0 * t;
    return std::sqrt(p0) * std::exp(I * T) * (1.0 - 4.0 * (1.0 + 2.0 * I * T) / (1.0 + 4.0 * X * X + 4.0 * T * T));
  }
  throw ConfigError("case '" + name + "' has no exact solution");
}

double Case::akhmediev_period() const {
  return 2.0 * std::numbers::pi / (2.0 * std::sqrt(1.0 - 2.0 * a) * std::sqrt(p0));
}

cvec initial_state(const Grid& grid, const Case& c, std::uint64_t seed) {
  cvec psi(static_cast<std::size_t>(grid.x_count()));
  for (std::int64_t j = 0; j < grid.x_count(); ++j) {
    const double x = grid.x(j);
    cplx v;
    if (c.name == "cw_mi") {
      v = std::sqrt(c.p0) * (1.0 + c.epsilon * std::cos(c.mode_k * x));
    } else if (c.name == "source_mi") {
      // The source's case: exp(−x²/50) + 0.01(ξ + iη), noise keyed by global grid index (rank-independent).
      rng::Stream s(seed, rng::purpose_noise, static_cast<std::uint64_t>(grid.x_start() + j));
      const auto [re, im] = s.normal_pair();
      v = std::exp(-x * x / 50.0) + 0.01 * cplx(re, im);
    } else if (c.name == "source_two_soliton") {
      // The source's two solitons: 2 sech(2(x + 10)) e^{2ix} + 1.5 sech(1.5(x − 10)) e^{−2ix} (a superposition,
      // not Hirota's solution; the case's amplitudes, velocities and positions).
      v = c.amplitude / std::cosh(c.amplitude * (x - c.position)) * std::exp(I * c.velocity * x) +
          c.amplitude2 / std::cosh(c.amplitude2 * (x - c.position2)) * std::exp(I * c.velocity2 * x);
    } else if (c.name == "source_breather") {
      // The source's "breather" √2 sech(x) e^{0.5ix}(1 + 0.5 cos x): no background, no exact solution.
      v = std::sqrt(2.0) / std::cosh(x) * std::exp(I * 0.5 * x) * (1.0 + 0.5 * std::cos(x));
    } else {
      v = c.exact(x, c.t0);
    }
    psi[static_cast<std::size_t>(j)] = v;
  }
  return psi;
}

Method method_from(const std::string& name) {
  if (name == "rk4ip") return Method::rk4ip;
  if (name == "erk43-ip") return Method::erk43ip;
  if (name == "strang") return Method::strang;
  if (name == "yoshida4") return Method::yoshida4;
  if (name == "kahan-li6") return Method::kahanli6;
  if (name == "suzuki-umeno8") return Method::suzukiumeno8;
  if (name == "dop853") return Method::dop853;
  if (name == "ip-dop853") return Method::ipdop853;
  if (name == "petsc-ts") return Method::petscts;
  if (name == "etd-abm") return Method::etdabm;
  throw ConfigError("unknown integrator '" + name + "'");
}
std::string to_string(Method m) {
  switch (m) {
    case Method::rk4ip:
      return "rk4ip";
    case Method::erk43ip:
      return "erk43-ip";
    case Method::strang:
      return "strang";
    case Method::yoshida4:
      return "yoshida4";
    case Method::kahanli6:
      return "kahan-li6";
    case Method::suzukiumeno8:
      return "suzuki-umeno8";
    case Method::dop853:
      return "dop853";
    case Method::ipdop853:
      return "ip-dop853";
    case Method::petscts:
      return "petsc-ts";
    case Method::etdabm:
      return "etd-abm";
  }
  return "?";
}
std::span<const double> composition_weights(Method m) {
  static const double strang[] = {1.0};
  // Yoshida's triple jump (Phys. Lett. A 150, 1990): γ_1 = γ_3 = 1/(2 − 2^{1/3}), γ_2 = 1 − 2γ_1.
  static const double yoshida4[] = {1.3512071919596576340476878, -1.7024143839193152680953756,
                                    1.3512071919596576340476878};
  // Kahan & Li, Math. Comp. 66 (1997) 1089, s9odr6a: 6th order, 9 stages.
  static const double kahanli6[] = {0.39216144400731413928,  0.33259913678935943860,  -0.70624617255763935981,
                                    0.082213596293550800230, 0.79854399093482996340,  0.082213596293550800230,
                                    -0.70624617255763935981, 0.33259913678935943860,  0.39216144400731413928};
  // Suzuki & Umeno (1993), s15odr8 in Hairer, Lubich & Wanner, Geometric Numerical Integration, V.3: 8th order,
  // 15 stages.
  static const double suzuki8[] = {0.74167036435061295345,  -0.40910082580003159400, 0.19075471029623837995,
                                   -0.57386247111608226666, 0.29906418130365592384,  0.33462491824529818378,
                                   0.31529309239676659663,  -0.79688793935291635402, 0.31529309239676659663,
                                   0.33462491824529818378,  0.29906418130365592384,  -0.57386247111608226666,
                                   0.19075471029623837995,  -0.40910082580003159400, 0.74167036435061295345};
  switch (m) {
    case Method::strang:
      return strang;
    case Method::yoshida4:
      return yoshida4;
    case Method::kahanli6:
      return kahanli6;
    case Method::suzukiumeno8:
      return suzuki8;
    default:
      return {};
  }
}
bool adaptive(Method m) {
  return m == Method::erk43ip || m == Method::petscts || dense_output(m);
}
bool dense_output(Method m) {
  return m == Method::dop853 || m == Method::ipdop853;
}

Dealias dealias_from(const std::string& name) {
  if (name == "none") return Dealias::none;
  if (name == "two_thirds") return Dealias::two_thirds;
  if (name == "padding") return Dealias::padding;
  if (name == "filter") return Dealias::filter;
  throw ConfigError("unknown dealiasing '" + name + "' (none, two_thirds, padding, filter)");
}
std::string to_string(Dealias d) {
  switch (d) {
    case Dealias::none:
      return "none";
    case Dealias::two_thirds:
      return "two_thirds";
    case Dealias::padding:
      return "padding";
    case Dealias::filter:
      return "filter";
  }
  return "?";
}
double Dealiasing::sigma(double k, double k_nyquist) const noexcept {
  if (kind != Dealias::filter) return 1.0;
  return std::exp(-alpha * std::pow(std::abs(k) / (kc * k_nyquist), order));
}

// The 3/2 rule: a grid of M = 3N/2 points with its own FFTW-MPI distribution. ψ̂ (N modes, FFT order) is moved to
// the M-mode spectrum with zeros in the gap of indices [N/2, M − N/2) (up), and the M-mode product is truncated back
// (down). Index maps are monotone, so each rank's block goes to each other rank as one contiguous piece: one
// MPI_Alltoallv with counts fixed at construction. Scaling M/N (up) and N/M (down) keeps ψ(x) the same function
// (to_x normalises by the grid's own size).
class Padding {
 public:
  explicit Padding(Grid& g) : g_(g), fine_(g.comm(), 3 * g.n() / 2, g.x0(), g.length(), g.planner()) {
    const auto p = static_cast<std::size_t>(g.comm().size());
    const std::int64_t n = g.n(), m = fine_.n(), half = (n + 1) / 2, gap = m - n;
    // Owners of global indices: ranks with a non-empty block, by block start (FFTW may leave ranks empty).
    auto blocks = [&](const Grid& gr) {
      const auto starts = gr.comm().allgather(gr.k_start()), counts = gr.comm().allgather(gr.k_count());
      std::vector<std::pair<std::int64_t, std::size_t>> b;
      for (std::size_t r = 0; r < starts.size(); ++r)
        if (counts[r] > 0) b.emplace_back(starts[r], r);
      std::sort(b.begin(), b.end());
      return b;
    };
    const auto blocks_n = blocks(g), blocks_m = blocks(fine_);
    auto owner = [](const std::vector<std::pair<std::int64_t, std::size_t>>& b, std::int64_t i) {
      const auto it = std::upper_bound(b.begin(), b.end(), std::pair{i, std::numeric_limits<std::size_t>::max()});
      return std::prev(it)->second;
    };
    scount_.assign(p, 0), rcount_.assign(p, 0), sdispl_.assign(p, 0), rdispl_.assign(p, 0);
    for (std::int64_t i = 0; i < g.k_count(); ++i) {
      const std::int64_t j = g.k_start() + i, jm = j < half ? j : j + gap;
      ++scount_[owner(blocks_m, jm)];
    }
    gap_lo_ = gap_hi_ = 0;
    for (std::int64_t i = 0; i < fine_.k_count(); ++i) {
      const std::int64_t jm = fine_.k_start() + i;
      if (jm >= half && jm < half + gap) {
        if (gap_hi_ == gap_lo_) gap_lo_ = gap_hi_ = i;
        gap_hi_ = i + 1;
        continue;
      }
      ++rcount_[owner(blocks_n, jm < half ? jm : jm - gap)];
    }
    for (std::size_t r = 1; r < p; ++r) {
      sdispl_[r] = sdispl_[r - 1] + scount_[r - 1];
      rdispl_[r] = rdispl_[r - 1] + rcount_[r - 1];
    }
    SAMPO_VERIFY(g.k_count() < (std::int64_t{1} << 31) && fine_.k_count() < (std::int64_t{1} << 31),
                 "padding: a rank's block exceeds MPI's int counts");
  }
  Grid& fine() { return fine_; }
  [[nodiscard]] const Grid& fine() const { return fine_; }
  // Work arrays of the padded product, here so that steppers sharing the grid (etd-abm and its starter) share them:
  // the 3N/2 spectrum and field, the N-mode input and output.
  cvec fine_k, x, in, out;

  void up(const cvec& uk, cvec& fk) {  // collective
    const double s = static_cast<double>(fine_.n()) / static_cast<double>(g_.n());
    send_.resize(uk.size());
    for (std::size_t j = 0; j < uk.size(); ++j) send_[j] = uk[j] * s;
    recv_.resize(static_cast<std::size_t>(fine_.k_count() - (gap_hi_ - gap_lo_)));
    exchange(send_, scount_, sdispl_, recv_, rcount_, rdispl_);
    fk.assign(static_cast<std::size_t>(fine_.k_count()), cplx(0.0, 0.0));
    const auto lo = static_cast<std::size_t>(gap_lo_), w = static_cast<std::size_t>(gap_hi_ - gap_lo_);
    for (std::size_t j = 0; j < recv_.size(); ++j) fk[j < lo ? j : j + w] = recv_[j];
  }
  void down(const cvec& fk, cvec& uk) {  // collective
    const double s = static_cast<double>(g_.n()) / static_cast<double>(fine_.n());
    const auto lo = static_cast<std::size_t>(gap_lo_), w = static_cast<std::size_t>(gap_hi_ - gap_lo_);
    recv_.resize(fk.size() - w);
    for (std::size_t j = 0; j < recv_.size(); ++j) recv_[j] = fk[j < lo ? j : j + w] * s;
    uk.resize(static_cast<std::size_t>(g_.k_count()));
    exchange(recv_, rcount_, rdispl_, uk, scount_, sdispl_);
  }

 private:
  void exchange(const cvec& a, const std::vector<int>& ac, const std::vector<int>& ad, cvec& b,
                const std::vector<int>& bc, const std::vector<int>& bd) const {
    SAMPO_MPI_CHECK(MPI_Alltoallv(a.data(), ac.data(), ad.data(), MPI_C_DOUBLE_COMPLEX, b.data(), bc.data(), bd.data(),
                                  MPI_C_DOUBLE_COMPLEX, g_.comm().get()));
  }
  Grid& g_;
  Grid fine_;
  std::vector<int> scount_, rcount_, sdispl_, rdispl_;  // up direction (down swaps them)
  std::int64_t gap_lo_ = 0, gap_hi_ = 0;                // local index range of the zero gap in the fine block
  cvec send_, recv_;
};

Stepper::Stepper(Grid& grid, Model model, Method method, Dealiasing dealias, int order)
    : Stepper(grid, std::move(model), method, dealias, order, nullptr) {}

Stepper::Stepper(Grid& grid, Model model, Method method, Dealiasing dealias, int order,
                 std::shared_ptr<Padding> padding)
    : grid_(grid), model_(std::move(model)), method_(method), dealias_(dealias), order_(order) {
  if (method_ == Method::etdabm && (order_ < 1 || order_ > etd::max_order))
    throw ConfigError("time.order = " + std::to_string(order_) + " is outside etd-abm's 1 … " +
                      std::to_string(etd::max_order) + " steps; 7 is the default");
  if (method_ == Method::etdabm) etd_x_ = etd::extrapolation(order_);
  if (split_step(method_) &&
      (dealias_.kind == Dealias::padding || dealias_.kind == Dealias::filter))
    throw ConfigError("model.dealiasing = \"" + to_string(dealias_.kind) +
                      "\" needs a right-hand side, but time.method = \"" + to_string(method_) +
                      "\" uses the exact nonlinear flow; use \"none\" or \"two_thirds\", or a " +
                      "Runge-Kutta method (erk43-ip, rk4ip, dop853, ip-dop853)");
  if (dealias_.kind == Dealias::padding && grid.n() % 2 != 0)
    throw ConfigError("model.dealiasing = \"padding\" needs an even grid.points (3N/2 points), got " +
                      std::to_string(grid.n()));
  const auto nk = static_cast<std::size_t>(grid.k_count());
  k2_.resize(nk), sigma_.resize(nk), keep_.resize(nk);
  for (std::int64_t j = 0; j < grid.k_count(); ++j) {
    const auto i = static_cast<std::size_t>(j);
    const double k = grid.k(j);
    sigma_[i] = dealias_.sigma(k, grid.k_nyquist());
    k2_[i] = 0.5 * model_.beta * k * k * sigma_[i];
    const std::int64_t g = grid.k_start() + j, m = g < (grid.n() + 1) / 2 ? g : grid.n() - g;  // |mode number|
    keep_[i] = 3 * m <= grid.n() ? 1 : 0;  // |k| ≤ (2/3) k_Nyquist
  }
  no_potential_ = model_.potential == "none";
  if (!no_potential_) {
    v_.resize(static_cast<std::size_t>(grid.x_count()));
    for (std::int64_t j = 0; j < grid.x_count(); ++j) v_[static_cast<std::size_t>(j)] = model_.V(grid.x(j));
  }
  lin_by_recurrence_ = method_ == Method::erk43ip;
  kappa_ = 0.5 * model_.beta * (2.0 * pi / grid.length()) * (2.0 * pi / grid.length());
  if (dealias_.kind == Dealias::padding) pad_ = padding ? std::move(padding) : std::make_shared<Padding>(grid);
}

namespace {
// One Newton step towards modulus 1, e ← e·(3 − |e|²)/2: the recurrence's products drift from |e| = 1 by up to
// ~(15² + 16²)/2 ulp, and a factor applied every step with a modulus bias would drift the mass (|e|² = 1 + ε becomes
// 1 + O(ε²) + 1 ulp). The phase is unchanged.
void unit(cplx* e, std::int64_t n) {
  for (std::int64_t r = 0; r < n; ++r) {
    const double f = 1.5 - 0.5 * std::norm(e[r]);
    e[r] = cplx(e[r].real() * f, e[r].imag() * f);
  }
}
}  // namespace

Stepper::PhaseSteps Stepper::phase_step(double s) const {
  auto e = [&](double m) { return cplx(std::cos(m * kappa_ * s), std::sin(m * kappa_ * s)); };
  constexpr double G = phase_groups;
  return {e(2.0), e(2.0 * G), e(2.0 * G * G)};  // e^{2iκs}, e^{2Giκs}, e^{2G²iκs}
}

void Stepper::phase_group(double s, const PhaseSteps& w, std::int64_t q, cplx* e) const {
  const auto nk = static_cast<std::int64_t>(k2_.size());
  const std::int64_t j0 = q * phase_group_size, j1 = std::min(nk, j0 + phase_group_size);
  if (dealias_.kind == Dealias::filter) {  // σ(k) makes the rate non-quadratic: e^{iφ} per mode (simd::expi)
    double ph[phase_group_size];
    for (std::int64_t j = j0; j < j1; ++j) ph[j - j0] = k2_[static_cast<std::size_t>(j)] * s;
    simd::expi(ph, static_cast<std::size_t>(j1 - j0), e);
    return;
  }
  const std::int64_t n = grid_.n(), k0 = grid_.k_start(), half = (n + 1) / 2;
  auto mode = [&](std::int64_t j) {
    const std::int64_t g = k0 + j;
    return g < half ? g : g - n;
  };
  auto anchor = [&](std::int64_t j, cplx& p, cplx& d) {  // direct values at j: the same bits as the filter branch
    const double ph = k2_[static_cast<std::size_t>(j)] * s, dh = kappa_ * s * static_cast<double>(2 * mode(j) + 1);
    p = simd::expi(ph);
    d = simd::expi(dh);
  };
  constexpr std::int64_t B = phase_block, G = phase_groups;
  if (j1 - j0 == phase_group_size && mode(j1 - 1) == mode(j0) + phase_group_size - 1) {
    // Lane l holds modes m0 + l + G·r (r = 0 … S − 1): real and imaginary parts in separate arrays, so the G
    // recurrences are plain vector arithmetic (the products of mul(), operation for operation).
    double pr[G], pm[G], qr[G], qm[G];
    cplx p, d;
    anchor(j0, p, d);
    const double aq = kappa_ * s * static_cast<double>(2 * G * mode(j0) + G * G);
    cplx qv = simd::expi(aq);
    for (std::int64_t l = 0; l < G; ++l) {
      pr[l] = p.real(), pm[l] = p.imag(), qr[l] = qv.real(), qm[l] = qv.imag();
      p = mul(p, d), d = mul(d, w.w2), qv = mul(qv, w.w2g);
    }
    phase_lanes(pr, pm, qr, qm, w.wleap.real(), w.wleap.imag(), reinterpret_cast<double*>(e));
    return;
  }
  for (std::int64_t jb = j0; jb < j1; jb += B) {  // block by block, re-anchored at the wrap
    cplx p, d;
    std::int64_t m_prev = 0;
    for (std::int64_t j = jb; j < std::min(j1, jb + B); ++j) {
      const std::int64_t m = mode(j);
      if (j == jb || m != m_prev + 1) {
        anchor(j, p, d);
      } else {
        p = mul(p, d);
        d = mul(d, w.w2);
      }
      e[j - j0] = p;
      m_prev = m;
    }
  }
  unit(e, j1 - j0);
}

void Stepper::phase_factors(double s, cvec& e) const {
  const auto nk = static_cast<std::int64_t>(k2_.size());
  e.resize(k2_.size());
  const PhaseSteps w = phase_step(s);
  const std::int64_t groups = group_count(nk);
  cplx* out = e.data();
#pragma omp parallel for schedule(static) if (nk > (1 << 15))
  for (std::int64_t q = 0; q < groups; ++q) phase_group(s, w, q, out + q * phase_group_size);
}

void Stepper::reduce_parts(std::int64_t groups, int stride, double* out) const {
  for (int c = 0; c < stride; ++c) out[c] = 0.0;
  for (std::int64_t q = 0; q < groups; ++q)
    for (int c = 0; c < stride; ++c) out[c] += part_[static_cast<std::size_t>(q * stride + c)];
  grid_.comm().allreduce_inplace(std::span<double>(out, static_cast<std::size_t>(stride)), mpi::Op::sum);
}

Stepper::~Stepper() = default;

bool Stepper::padded_from_wisdom() const noexcept {
  return pad_ ? pad_->fine().from_wisdom() : true;
}

std::int64_t Stepper::padded_fft_count() const noexcept {
  return pad_ ? pad_->fine().fft_count() : 0;
}

double Stepper::padded_fft_seconds() const noexcept {
  return pad_ ? pad_->fine().fft_seconds() : 0.0;
}

const cvec& Stepper::fsal() const noexcept {
  if (dense_output(method_)) return have_f_ ? f_ : empty_;
  if (method_ == Method::erk43ip) return have_k5_ ? k5_ : empty_;
  return empty_;
}

void Stepper::set_fsal(const cvec& f) {
  SAMPO_VERIFY(f.size() == static_cast<std::size_t>(grid_.k_count()), "FSAL state has the wrong local size");
  if (dense_output(method_)) f_ = f, have_f_ = true;
  if (method_ == Method::erk43ip) k5_ = f, have_k5_ = true;
}

const cplx* Stepper::linear_factors(double h) const {
  const auto n = static_cast<std::int64_t>(k2_.size());
  // e^{Lh} is cached for the last h: the IP Runge-Kutta steps apply e^{Lh/2} three times per step, so at most one
  // evaluation per mode per step instead of three (the same values, so the same bits).
  if (h != lin_h_ || lin_phase_.size() != k2_.size()) {
    if (lin_by_recurrence_) {
      phase_factors(-h, lin_phase_);  // e^{+i·rate·(−h)} = e^{Lh}
    } else {
      lin_phase_.resize(k2_.size());
#pragma omp parallel for schedule(static) if (n > (1 << 15))
      for (std::int64_t j = 0; j < n; ++j) {
        const double ph = -k2_[static_cast<std::size_t>(j)] * h;
        lin_phase_[static_cast<std::size_t>(j)] = cplx(std::cos(ph), std::sin(ph));
      }
    }
    lin_h_ = h;
  }
  return lin_phase_.data();
}

void Stepper::pointwise(cvec& x, const Grid& g) const {
  const auto n = static_cast<std::int64_t>(x.size());
#pragma omp parallel for schedule(static) if (n > (1 << 15))
  for (std::int64_t j = 0; j < n; ++j) {
    auto& v = x[static_cast<std::size_t>(j)];
    v *= I * (model_.g * std::norm(v) - (no_potential_ ? 0.0 : model_.V(g.x(j))));
  }
}

void Stepper::rhs_in_buffers(Controller& ctl) {
  if (dealias_.kind == Dealias::padding) {
    const cplx* bk = grid_.k_buffer();
    Padding& p = *pad_;
    p.in.assign(bk, bk + grid_.k_count());
    p.up(p.in, p.fine_k);
    p.fine().to_x(p.fine_k, p.x);
    pointwise(p.x, p.fine());
    p.fine().to_k(p.x, p.fine_k);
    p.down(p.fine_k, p.out);
    std::copy(p.out.begin(), p.out.end(), grid_.k_buffer());
    ++ctl.rhs;
    return;
  }
  grid_.backward();
  // to_x's 1/N, then i(g|v|² − V)v (nonlinear_kernel), in chunks over the threads.
  const auto nx = grid_.x_count();
  constexpr std::int64_t chunk = 4096;
  cplx* x = grid_.x_buffer();
  const double scale = 1.0 / static_cast<double>(grid_.n()), g = model_.g;
  const double* V = v_.empty() ? nullptr : v_.data();
#pragma omp parallel for schedule(static) if (nx > (1 << 15))
  for (std::int64_t c = 0; c < (nx + chunk - 1) / chunk; ++c) {
    const std::int64_t j0 = c * chunk;
    nonlinear_kernel(x + j0, std::min(chunk, nx - j0), scale, g, V ? V + j0 : nullptr);
  }
  grid_.forward();
  ++ctl.rhs;
}

void Stepper::nonlinear(const cvec& u, cvec& out, Controller& ctl) {
  const auto nk = static_cast<std::int64_t>(u.size());
  if (dealias_.kind == Dealias::padding) {
    Padding& p = *pad_;
    p.up(u, p.fine_k);
    p.fine().to_x(p.fine_k, p.x);
    pointwise(p.x, p.fine());
    p.fine().to_k(p.x, p.fine_k);
    p.down(p.fine_k, out);
    ++ctl.rhs;
    return;
  }
  const Io io{dealias_.kind == Dealias::filter, dealias_.kind == Dealias::two_thirds, sigma_.data(), keep_.data()};
  cplx* bk = grid_.k_buffer();
#pragma omp parallel for schedule(static) if (nk > (1 << 15))
  for (std::int64_t j = 0; j < nk; ++j) bk[j] = io.in(static_cast<std::size_t>(j), u[static_cast<std::size_t>(j)]);
  rhs_in_buffers(ctl);
  out.resize(u.size());
#pragma omp parallel for schedule(static) if (nk > (1 << 15))
  for (std::int64_t j = 0; j < nk; ++j) out[static_cast<std::size_t>(j)] = io.out(static_cast<std::size_t>(j), bk[j]);
}

void Stepper::nonlinear_flow_in_buffer(double h) {
  auto* bx = reinterpret_cast<double*>(grid_.x_buffer());
  const auto n = grid_.x_count();
  const double scale = 1.0 / static_cast<double>(grid_.n()), g = model_.g;
  const double* V = v_.empty() ? nullptr : v_.data();
  constexpr std::int64_t block = 256;
  // Blocks of 256 points: the phases (g|v|² − V)h into a block array, e^{i·phase} by simd::expi (its
  // vector loop, or libm for a block holding a phase beyond its range: a huge potential or step), then the products.
#pragma omp parallel for schedule(static) if (n > (1 << 15))
  for (std::int64_t b = 0; b < n; b += block) {
    const std::int64_t len = std::min(block, n - b);
    double* v = bx + 2 * b;
    double ph[block];
    cplx e[block];
    for (std::int64_t j = 0; j < len; ++j) {
      const double re = v[2 * j] * scale, im = v[2 * j + 1] * scale;
      ph[j] = g * (re * re + im * im);
    }
    if (V)
      for (std::int64_t j = 0; j < len; ++j) ph[j] = (ph[j] - V[b + j]) * h;
    else
      for (std::int64_t j = 0; j < len; ++j) ph[j] *= h;
    simd::expi(ph, static_cast<std::size_t>(len), e);
    // v·scale times e^{i·phase}, two points at a time on vectors (cmul2: GCC would fuse the scalar form's products
    // into vfmaddsub under -march=native, -ffp-contract=off notwithstanding); an odd last point through padded copies.
    const auto* ed = reinterpret_cast<const double*>(e);
    std::int64_t j = 0;
    for (; j + 2 <= len; j += 2) store4(v + 2 * j, cmul2(load4(v + 2 * j) * scale, load4(ed + 2 * j)));
    if (j < len) {
      double vj[4] = {v[2 * j], v[2 * j + 1], 0.0, 0.0}, ej[4] = {ed[2 * j], ed[2 * j + 1], 0.0, 0.0}, oj[4];
      store4(oj, cmul2(load4(vj) * scale, load4(ej)));
      v[2 * j] = oj[0], v[2 * j + 1] = oj[1];
    }
  }
}

void Stepper::composition(cvec& psi, double h) {
  const auto w = composition_weights(method_);
  const auto s = w.size(), distinct = s / 2 + 1;
  const auto nk = static_cast<std::int64_t>(psi.size());
  auto c = [&](std::size_t j) { return 0.5 * ((j > 0 ? w[j - 1] : 0.0) + (j < s ? w[j] : 0.0)); };
  if (h != comp_h_ || comp_steps_.size() != distinct) {
    comp_steps_.resize(distinct);
    for (std::size_t j = 0; j < distinct; ++j) comp_steps_[j] = phase_step(-c(j) * h);
    comp_h_ = h;
  }
  const bool third = dealias_.kind == Dealias::two_thirds;
  const char* keep = keep_.data();
  cplx *bk = grid_.k_buffer(), *p = psi.data();
  const std::int64_t groups = group_count(nk);
  // One k pass: dst = e^{Lc_j h} src (zeroed where the 2/3 rule drops the mode, after a nonlinear flow).
  auto kpass = [&](std::size_t j, const cplx* src, cplx* dst, bool mask) {
    const std::size_t t = std::min(j, s - j);  // c_j = c_{s−j} (palindromic weights)
    const double sj = -c(j) * h;
    const PhaseSteps& st = comp_steps_[t];
#pragma omp parallel for schedule(static) if (nk > (1 << 15))
    for (std::int64_t q = 0; q < groups; ++q) {
      const std::int64_t j0 = q * group_size, len = std::min(nk, j0 + group_size) - j0;
      cplx e[group_size];
      phase_group(sj, st, q, e);
      for (std::int64_t r = 0; r < len; ++r)
        dst[j0 + r] = (mask && !keep[j0 + r]) ? cplx(0.0, 0.0) : src[j0 + r] * e[r];
    }
  };
  kpass(0, p, bk, false);
  for (std::size_t j = 1; j <= s; ++j) {
    grid_.backward();
    nonlinear_flow_in_buffer(w[j - 1] * h);
    grid_.forward();
    kpass(j, bk, j == s ? p : bk, third);  // the last pass writes the state back
  }
}

// One ERK4(3)-IP trial step (Balac & Mahé 2013): the 4th-order RK4IP solution and an embedded 3rd-order one
// from the FSAL stage k5 = N̂(ψ4). Returns the weighted RMS error norm; the 4th-order solution goes to `out`.
// Five passes over k-space, each fused with the copy into or out of FFTW's buffer (see rhs_in_buffers):
//   1: ψ_I = e^{Lh/2}ψ (a_), k1 = e^{Lh/2}k5 (b_), input ψ_I + h/2 k1;   2: k2; acc = ψ_I + h/6 (k1 + 2k2), input
//   ψ_I + h/2 k2;   3: k3; acc += h/3 k3, input e^{Lh/2}(ψ_I + h k3);   4: k4 (d_); ψ4 = e^{Lh/2}acc + h/6 k4 (out),
//   input ψ4;   5: k5 = N̂(ψ4) (e_) and the error sums.
// The arithmetic is the unfused version's, operation for operation.
double Stepper::erk43_try(const cvec& psi, double h, cvec& out, Controller& ctl) {
  const auto n = psi.size();
  const auto nk = static_cast<std::int64_t>(n);
  if (!have_k5_) {
    nonlinear(psi, k5_, ctl);
    have_k5_ = true;
  }
  const cplx* lin = linear_factors(0.5 * h);
  a_.resize(n), b_.resize(n), acc_.resize(n), d_.resize(n), e_.resize(n), out.resize(n);
  const std::int64_t groups = group_count(nk);
  part_.resize(static_cast<std::size_t>(3 * groups));
  const Io io{dealias_.kind == Dealias::filter, dealias_.kind == Dealias::two_thirds, sigma_.data(), keep_.data()};
  cplx *bk = grid_.k_buffer(), *a = a_.data(), *b = b_.data(), *acc = acc_.data(), *d = d_.data(), *e = e_.data();
  cplx* o = out.data();
  const cplx *p = psi.data(), *k5 = k5_.data();
  double* part = part_.data();
  const double h2 = 0.5 * h, h3 = h / 3.0, h6 = h / 6.0, h10 = h / 10.0;
  const KArgs x{.p = p, .bk = bk, .a = a, .acc = acc, .b = b, .d = d, .e = e, .o = o, .lin = lin, .k5 = k5,
                .sigma = io.filter ? io.sigma : nullptr, .keep = io.third ? io.keep : nullptr,
                .h = h, .h2 = h2, .h3 = h3, .h6 = h6, .h10 = h10};
  k_sums(KPass::e_init, x, nk, part, 3, 2);  // slot 2: |ψ|²
  rhs_in_buffers(ctl);                       // k2
  k_sweep(KPass::e_k2, x, nk);
  rhs_in_buffers(ctl);  // k3
  k_sweep(KPass::third, x, nk);
  rhs_in_buffers(ctl);                       // k4
  k_sums(KPass::e_k4, x, nk, part, 3, 1);  // slot 1: |ψ4|²
  rhs_in_buffers(ctl);                       // k5 = N̂(ψ4): FSAL for the next step
  // Error norm in physical units: RMS over x of ψ4 − ψ3 against atol + rtol · RMS(ψ) (Parseval: RMS_x = ||·||_k / N).
  // A per-mode relative test would demand relative accuracy of modes that are only round-off, and crawl.
  // Slot 0: |ψ4 − ψ3|² with ψ4 − ψ3 = h/10 (k4 − k5), ψ3 = e^{Lh/2}acc + h/30 (2k4 + 3k5).
  k_sums(KPass::e_err, x, nk, part, 3, 0);
  double loc[3];
  reduce_parts(groups, 3, loc);
  const double nn = static_cast<double>(grid_.n());
  const double rms_err = std::sqrt(loc[0]) / nn, rms_psi = std::sqrt(std::max(loc[1], loc[2])) / nn;
  return rms_err / (ctl.atol + ctl.rtol * rms_psi);
}

void Stepper::erk43_dense(double t_old, double t_new, double t_out, const cvec& psi_new, cvec& out) const {
  SAMPO_VERIFY(method_ == Method::erk43ip && have_k5_ && out_.size() == psi_new.size() && e_.size() == psi_new.size(),
               "erk43_dense needs an accepted erk43-ip step");
  const double h = t_new - t_old, th = (t_out - t_old) / h;
  const double h00 = (2.0 * th - 3.0) * th * th + 1.0, h10 = ((th - 2.0) * th + 1.0) * th;
  const double h01 = (3.0 - 2.0 * th) * th * th, h11 = (th - 1.0) * th * th;
  const auto n = static_cast<std::int64_t>(psi_new.size());
  out.resize(psi_new.size());
  // After an accepted step out_ holds ψ̂(t_old), e_ N̂(ψ̂(t_old)), k5_ N̂(ψ̂(t_new)) (advance's swaps).
#pragma omp parallel for schedule(static) if (n > (1 << 15))
  for (std::int64_t jj = 0; jj < n; ++jj) {
    const auto j = static_cast<std::size_t>(jj);
    const double a = -k2_[j] * th * h, b = k2_[j] * (1.0 - th) * h;  // e^{Lθh}, e^{−L(1−θ)h}
    out[j] = simd::expi(a) * (h00 * out_[j] + h * h10 * e_[j]) +
             simd::expi(b) * (h01 * psi_new[j] + h * h11 * k5_[j]);
  }
}

double Stepper::advance(cvec& psi, double h_here, Controller& ctl) {
  const auto n = psi.size();
  switch (method_) {
    case Method::dop853:
    case Method::ipdop853:
      throw InternalError(to_string(method_) + " steps with advance_to (it needs the time for scipy's minimum step)");
    case Method::petscts:
      throw InternalError("petsc-ts steps with PetscTs::advance");
    case Method::etdabm:
      etd_step(psi, h_here, ctl);
      return h_here;
    case Method::strang:
    case Method::yoshida4:
    case Method::kahanli6:
    case Method::suzukiumeno8:
      composition(psi, h_here);
      ++ctl.accepted;
      return h_here;
    case Method::rk4ip: {
      // Four passes over k-space fused with the copies into and out of FFTW's buffer (see rhs_in_buffers):
      // ψ_I = e^{Lh/2}ψ (a_), input ψ;   k1 = e^{Lh/2}N̂(ψ), acc = ψ_I + h/6 k1, input ψ_I + h/2 k1;   k2, acc +=
      // h/3 k2, input ψ_I + h/2 k2;   k3, acc += h/3 k3, input e^{Lh/2}(ψ_I + h k3);   ψ = e^{Lh/2}acc + h/6 k4.
      // The arithmetic is the unfused version's, operation for operation (the same bits).
      const double h = h_here, h2 = 0.5 * h, h3 = h / 3.0, h6 = h / 6.0;
      const auto nk = static_cast<std::int64_t>(n);
      const cplx* lin = linear_factors(0.5 * h);
      a_.resize(n), acc_.resize(n);
      const Io io{dealias_.kind == Dealias::filter, dealias_.kind == Dealias::two_thirds, sigma_.data(), keep_.data()};
      cplx *bk = grid_.k_buffer(), *a = a_.data(), *acc = acc_.data(), *p = psi.data();
      const KArgs x{.p = p, .p_out = p, .bk = bk, .a = a, .acc = acc, .lin = lin,
                    .sigma = io.filter ? io.sigma : nullptr, .keep = io.third ? io.keep : nullptr,
                    .h = h, .h2 = h2, .h3 = h3, .h6 = h6};
      k_sweep(KPass::r_init, x, nk);
      rhs_in_buffers(ctl);  // k1 (before its e^{Lh/2})
      k_sweep(KPass::r_k1, x, nk);
      rhs_in_buffers(ctl);  // k2
      k_sweep(KPass::r_k2, x, nk);
      rhs_in_buffers(ctl);  // k3
      k_sweep(KPass::third, x, nk);
      rhs_in_buffers(ctl);  // k4
      k_sweep(KPass::r_final, x, nk);
      ++ctl.accepted;
      return h;
    }
    case Method::erk43ip: {
      for (int tries = 0; tries < 100; ++tries) {
        double h = std::min(ctl.h, h_here);
        if (ctl.hmax > 0) h = std::min(h, ctl.hmax);
        cvec& out = out_;
        const double err = erk43_try(psi, h, out, ctl);
        if (!std::isfinite(err))
          throw NumericalError("erk43-ip: the solution is not finite at step size " + std::to_string(h));
        // PI controller (exponents 0.7/4 and 0.4/4, as in Hairer & Wanner for 4th-order pairs).
        double fac = err == 0.0 ? ctl.fmax : ctl.safety * std::pow(err, -0.7 / 4.0) * std::pow(ctl.err_prev, 0.4 / 4.0);
        fac = std::clamp(fac, ctl.fmin, ctl.fmax);
        if (err <= 1.0) {
          psi.swap(out);
          k5_.swap(e_);  // FSAL stage at the new state
          ctl.err_prev = std::max(err, 1e-4);
          if (h >= ctl.h * 0.999999 || fac < 1.0) ctl.h = h * fac;  // clipped steps do not grow h from the clip
          ++ctl.accepted;
          return h;
        }
        have_k5_ = true;  // k5_ still holds N̂(ψ) at the unchanged state
        ctl.h = h * std::min(1.0, fac);
        ++ctl.rejected;
      }
      throw NumericalError("erk43-ip: 100 rejected steps in a row (h = " + std::to_string(ctl.h) + ")");
    }
  }
  return h_here;
}

// ---- etd-abm: exponential Adams–Bashforth–Moulton in PECE mode (nlse/etd_adams.hpp) ----
// Storage by pairs of modes (2q, 2q + 1), so that one v4d holds a value of both: weight i of pair q at complex index
// (q·nw + i)·2 + r, history slot s at (q·k + s)·2 + r (r = 0, 1 the mode in the pair; an odd count's last pair has a
// zero second mode). The passes run on v4d (two modes at a time, cmul2: the same operations as mul()), so every
// clone and every mode of any rank's block rounds alike.

namespace {
// Complex index of value i (of `width` per mode) of local mode j in the pair layout.
[[gnu::always_inline]] inline std::size_t pair_index(std::int64_t j, int i, int width) noexcept {
  return static_cast<std::size_t>(((j / 2) * width + i) * 2 + j % 2);
}
struct EtdArgs {
  const double* w;  // weights, pair layout (at the first pair)
  double* hist;     // history ring, pair layout (at the first pair)
  double* p;        // ψ̂ (at the first mode)
  double* bk;       // FFTW's k buffer (at the first mode)
  double* c;        // u* − h G X, the corrector without its N̂(u*) term (at the first mode)
  const double* sigma;  // filter σ (null without the filter)
  const char* keep;     // 2/3 rule: 1 where the mode is kept (null otherwise)
  double h;
  int k, nw;
  int slots[etd::max_order];     // history slot of N̂_{n−i}
  double x[etd::max_order];      // the predictor's extrapolation to the step's end: X = Σ_i x_i N̂_{n−i}
  int head;                   // slot the new N̂ goes to (history pass)
};
// σ or keep as a v4d multiplier for the output of the nonlinear term (io.out): v·σ, or 0/1 for the 2/3 rule.
[[gnu::always_inline]] inline v4d etd_out(const EtdArgs& a, std::int64_t j, v4d v) noexcept {
  if (a.sigma) return v * dup2(a.sigma + j);
  if (a.keep) {
    const v4d z{0.0, 0.0, 0.0, 0.0};
    const v4d lo = a.keep[j] ? v : z, hi = a.keep[j + 1] ? v : z;
    return __builtin_shuffle(lo, hi, v4l{0, 1, 6, 7});
  }
  return v;
}
// Predictor u* into bk (times σ with the filter) and u* − h G X into c, for `pairs` pairs.
SAMPO_CLONES void etd_predict_kernel(const EtdArgs& args, std::int64_t pairs) {
  const EtdArgs a = args;
  for (std::int64_t q = 0; q < pairs; ++q) {
    const double* w = a.w + 4 * q * a.nw;
    const double* hq = a.hist + 4 * q * a.k;
    const std::int64_t j = 2 * q;
    const v4d en = cmul2(load4(w), load4(a.p + 2 * j));
    v4d sp{0.0, 0.0, 0.0, 0.0}, xs = sp;
    for (int i = 0; i < a.k; ++i) {
      const v4d f = load4(hq + 4 * a.slots[i]);
      sp += cmul2(load4(w + 4 * (1 + i)), f);
      xs += f * a.x[i];
    }
    const v4d pred = en + sp * a.h;
    store4(a.bk + 2 * j, a.sigma ? dup2(a.sigma + j) * pred : pred);
    store4(a.c + 2 * j, pred - cmul2(load4(w + 4 * (1 + a.k)), xs) * a.h);
  }
}
// Corrector: ψ̂ = c + h G N̂(u*) from bk, and its input for the next N̂ into bk.
SAMPO_CLONES void etd_correct_kernel(const EtdArgs& args, std::int64_t pairs) {
  const EtdArgs a = args;
  for (std::int64_t q = 0; q < pairs; ++q) {
    const std::int64_t j = 2 * q;
    const v4d n = etd_out(a, j, load4(a.bk + 2 * j));
    const v4d u = load4(a.c + 2 * j) + cmul2(load4(a.w + 4 * (q * a.nw + 1 + a.k)), n) * a.h;
    store4(a.p + 2 * j, u);
    store4(a.bk + 2 * j, a.sigma ? dup2(a.sigma + j) * u : u);
  }
}
// The new N̂ from bk into history slot `head`.
SAMPO_CLONES void etd_history_kernel(const EtdArgs& args, std::int64_t pairs) {
  const EtdArgs a = args;
  for (std::int64_t q = 0; q < pairs; ++q) {
    const std::int64_t j = 2 * q;
    store4(a.hist + 4 * (q * a.k + a.head), etd_out(a, j, load4(a.bk + 2 * j)));
  }
}
using EtdKernel = void (*)(const EtdArgs&, std::int64_t);
// Runs a kernel over nk modes, chunks of pairs over the threads; an odd count's last mode through padded copies.
void etd_sweep(EtdKernel kernel, const EtdArgs& a, std::int64_t nk) {
  const std::int64_t full = nk / 2;
  constexpr std::int64_t chunk = 1024;  // pairs
#pragma omp parallel for schedule(static) if (nk > (1 << 15))
  for (std::int64_t c0 = 0; c0 < full; c0 += chunk) {
    EtdArgs x = a;
    x.w += 4 * c0 * a.nw, x.hist += 4 * c0 * a.k, x.p += 4 * c0, x.bk += 4 * c0, x.c += 4 * c0;
    if (x.sigma) x.sigma += 2 * c0;
    if (x.keep) x.keep += 2 * c0;
    kernel(x, std::min(chunk, full - c0));
  }
  if (nk % 2 == 0) return;
  const std::int64_t j = nk - 1;
  double p[4] = {a.p[2 * j], a.p[2 * j + 1], 0, 0}, bk[4] = {a.bk[2 * j], a.bk[2 * j + 1], 0, 0};
  double c[4] = {a.c[2 * j], a.c[2 * j + 1], 0, 0}, sg[2] = {a.sigma ? a.sigma[j] : 0.0, 0.0};
  const char kp[2] = {a.keep ? a.keep[j] : char(0), 0};
  EtdArgs x = a;
  x.w += 4 * (j / 2) * a.nw, x.hist += 4 * (j / 2) * a.k, x.p = p, x.bk = bk, x.c = c;
  x.sigma = a.sigma ? sg : nullptr, x.keep = a.keep ? kp : nullptr;
  kernel(x, 1);
  a.p[2 * j] = p[0], a.p[2 * j + 1] = p[1], a.bk[2 * j] = bk[0], a.bk[2 * j + 1] = bk[1];
  a.c[2 * j] = c[0], a.c[2 * j + 1] = c[1];
}
}  // namespace

cplx& Stepper::etd_hist(std::int64_t j, int slot) {
  return etd_hist_[pair_index(j, slot, order_)];
}
const cplx& Stepper::etd_hist(std::int64_t j, int slot) const {
  return etd_hist_[pair_index(j, slot, order_)];
}

void Stepper::multistep_history(int age, cvec& out) const {
  SAMPO_VERIFY(age >= 0 && age < etd_count_, "multistep_history: no such state");
  const auto nk = grid_.k_count();
  const int slot = (etd_head_ - age + order_) % order_;
  out.resize(static_cast<std::size_t>(nk));
  for (std::int64_t j = 0; j < nk; ++j) out[static_cast<std::size_t>(j)] = etd_hist(j, slot);
}

void Stepper::set_multistep_state(double h, const std::vector<cvec>& newest_first) {
  SAMPO_VERIFY(newest_first.size() <= static_cast<std::size_t>(order_), "set_multistep_state: too many states");
  const auto nk = grid_.k_count();
  etd_hist_.assign(static_cast<std::size_t>((nk + 1) / 2 * 2 * order_), cplx(0.0, 0.0));
  const int count = static_cast<int>(newest_first.size());
  for (int age = 0; age < count; ++age) {
    const auto& v = newest_first[static_cast<std::size_t>(age)];
    SAMPO_VERIFY(v.size() == static_cast<std::size_t>(nk), "set_multistep_state: wrong local size");
    for (std::int64_t j = 0; j < nk; ++j) etd_hist(j, count - 1 - age) = v[static_cast<std::size_t>(j)];
  }
  etd_count_ = count, etd_head_ = count > 0 ? count - 1 : 0, etd_h_ = h;
}

void Stepper::etd_step(cvec& psi, double h, Controller& ctl) {
  const auto nk = static_cast<std::int64_t>(psi.size());
  const std::int64_t pairs = (nk + 1) / 2;
  const int nw = etd::weights_per_mode(order_);
  if (etd_count_ > 0 && h != etd_h_) etd_count_ = 0;  // the history is spaced by another step: start over
  if (etd_hist_.size() != static_cast<std::size_t>(pairs * 2 * order_))
    etd_hist_.assign(static_cast<std::size_t>(pairs * 2 * order_), cplx(0.0, 0.0));
  // The newest history value: N̂ at the current state, into slot etd_head_.
  const auto push = [&](const cvec& f) {
    etd_head_ = etd_count_ == 0 ? 0 : (etd_head_ + 1) % order_;
    for (std::int64_t j = 0; j < nk; ++j) etd_hist(j, etd_head_) = f[static_cast<std::size_t>(j)];
    etd_count_ = std::min(etd_count_ + 1, order_);
  };
  if (etd_count_ == 0) {
    nonlinear(psi, out_, ctl);
    push(out_);
    etd_h_ = h;
  }
  if (etd_count_ < order_) {
    // Starting steps: ip-dop853 from ψ̂(t) to ψ̂(t + h) with the run's tolerances, no step longer than h. Its FSAL
    // stage is the newest history value, and after the step its FSAL stage is N̂(ψ̂(t + h)): the next one. Each
    // starting step begins afresh (first trial h), so a restart between them repeats the same steps.
    if (!starter_) starter_ = std::make_unique<Stepper>(grid_, model_, Method::ipdop853, dealias_, 7, pad_);
    multistep_history(0, out_);
    starter_->set_fsal(out_);
    Controller sc;
    // At least as tight as 1e-10 / 1e-12, so that a loose time.rtol meant for the deck's other methods does not
    // spoil the multistep start (six ip-dop853 steps or so: cheap).
    sc.rtol = std::min(ctl.rtol, 1e-10), sc.atol = std::min(ctl.atol, 1e-12), sc.h = h, sc.hmax = h;
    double t = 0.0;
    while (t < h) t = starter_->advance_to(psi, t, h, sc);
    ctl.rhs += sc.rhs, ctl.rejected += sc.rejected;
    push(starter_->fsal());
    ++ctl.accepted;
    if (etd_count_ == order_) starter_.reset();
    return;
  }
  if (h != w_h_ || etd_w_.size() != static_cast<std::size_t>(pairs * 2 * nw)) {
    etd_w_.assign(static_cast<std::size_t>(pairs * 2 * nw), cplx(0.0, 0.0));
    const auto at = [&](std::int64_t j, int i) -> cplx& { return etd_w_[pair_index(j, i, nw)]; };
    // The weights depend on the rate σβk²/2, the same for modes m and −m: a mode whose mirror −m > 0 is on this
    // rank copies the mirror's weights (half the φ evaluations on one rank).
    const std::int64_t n = grid_.n(), k0 = grid_.k_start();
    const auto mirror = [&](std::int64_t j) {  // local index of −m when m < 0 and −m is local, else −1
      const std::int64_t g = k0 + j;
      if (g < (n + 1) / 2 || 2 * g == n) return std::int64_t{-1};  // m ≥ 0, or the Nyquist mode (its own mirror)
      const std::int64_t jm = n - g - k0;
      return jm >= 0 && jm < nk ? jm : std::int64_t{-1};
    };
#pragma omp parallel for schedule(dynamic, 256) if (nk > (1 << 12))
    for (std::int64_t j = 0; j < nk; ++j) {
      if (mirror(j) >= 0) continue;
      cplx wj[etd::weights_per_mode(etd::max_order)];
      etd::adams_weights(order_, cplx(0.0, -k2_[static_cast<std::size_t>(j)] * h), wj);
      for (int i = 0; i < nw; ++i) at(j, i) = wj[i];
    }
#pragma omp parallel for schedule(static) if (nk > (1 << 12))
    for (std::int64_t j = 0; j < nk; ++j)
      if (const std::int64_t jm = mirror(j); jm >= 0)
        for (int i = 0; i < nw; ++i) at(j, i) = at(jm, i);
    w_h_ = h;
  }
  etd_c_.resize(static_cast<std::size_t>(nk));
  EtdArgs a{};
  a.w = reinterpret_cast<const double*>(etd_w_.data());
  a.hist = reinterpret_cast<double*>(etd_hist_.data());
  a.p = reinterpret_cast<double*>(psi.data());
  a.bk = reinterpret_cast<double*>(grid_.k_buffer());
  a.c = reinterpret_cast<double*>(etd_c_.data());
  a.sigma = dealias_.kind == Dealias::filter ? sigma_.data() : nullptr;
  a.keep = dealias_.kind == Dealias::two_thirds ? keep_.data() : nullptr;
  a.h = h, a.k = order_, a.nw = nw;
  for (int i = 0; i < order_; ++i)
    a.slots[i] = (etd_head_ - i + order_) % order_, a.x[i] = etd_x_[static_cast<std::size_t>(i)];
  etd_sweep(etd_predict_kernel, a, nk);
  rhs_in_buffers(ctl);  // N̂(u*)
  etd_sweep(etd_correct_kernel, a, nk);
  rhs_in_buffers(ctl);  // N̂(u_{n+1})
  etd_head_ = (etd_head_ + 1) % order_;
  a.head = etd_head_;
  etd_sweep(etd_history_kernel, a, nk);
  ++ctl.accepted;
}

// ---- DOP853 (Hairer's coefficients and scipy's RungeKutta/DOP853 controller, scipy/integrate/_ivp/rk.py) ----
// Full: y = ψ̂, y' = Lψ̂ + N̂(ψ̂) with L = −iσβk²/2 (stiff: h ≲ 5.96/|L|max). Interaction picture: within a step from
// t_n, v(s) = e^{−L s} ψ̂(t_n + s), v' = e^{−Ls} N̂(e^{Ls} v); the same tableau on v, so only N̂ limits h.

namespace {
// The nonzero terms of a row of the tableau (DOP853's A has zeros in columns 1-2 from row 4 on, B in 1-4): the
// stage sums skip them, saving memory passes; acc + 0·K = acc for finite K, so the sums keep their bits.
struct Terms {
  int count = 0;
  double coef[16] = {};
  const cplx* k[16] = {};
};
Terms nonzero_terms(const double* row, int s, const std::vector<cvec>& K) {
  Terms t;
  for (int i = 0; i < s; ++i)
    if (row[i] != 0.0) t.coef[t.count] = row[i], t.k[t.count++] = K[static_cast<std::size_t>(i)].data();
  return t;
}
// out = y + h·Σ_i coef_i k_i, the sum in the tableau's order (scipy's arithmetic: the step counts match it).
void combine(const cvec& y, double h, const Terms& t, cvec& out) {
  const auto n = static_cast<std::int64_t>(y.size());
#pragma omp parallel for schedule(static) if (n > (1 << 15))
  for (std::int64_t jj = 0; jj < n; ++jj) {
    const auto j = static_cast<std::size_t>(jj);
    cplx acc(0.0, 0.0);
    for (int i = 0; i < t.count; ++i) acc += t.coef[i] * t.k[i][j];
    out[j] = y[j] + acc * h;
  }
}
constexpr double dop_safety = 0.9, dop_min_factor = 0.2, dop_max_factor = 10.0;
constexpr double dop_error_exponent = -1.0 / 8.0;  // −1/(error_estimator_order + 1), order 7
}  // namespace

void Stepper::dop_stage(const cvec& ys, double ch, cvec& k, Controller& ctl) {
  const auto n = static_cast<std::int64_t>(ys.size());
  if (method_ == Method::dop853) {
    nonlinear(ys, k, ctl);
#pragma omp parallel for schedule(static) if (n > (1 << 15))
    for (std::int64_t j = 0; j < n; ++j) {
      const auto i = static_cast<std::size_t>(j);
      k[i] += cplx(0.0, -k2_[i]) * ys[i];
    }
    return;
  }
  if (ch == 0.0) {
    nonlinear(ys, k, ctl);
    return;
  }
  d_.resize(ys.size());  // d_: e^{L ch} y_s, e_: e^{−L ch}
  phase_factors(ch, e_);
#pragma omp parallel for schedule(static) if (n > (1 << 15))
  for (std::int64_t j = 0; j < n; ++j) {
    const auto i = static_cast<std::size_t>(j);
    d_[i] = ys[i] * std::conj(e_[i]);
  }
  nonlinear(d_, k, ctl);
#pragma omp parallel for schedule(static) if (n > (1 << 15))
  for (std::int64_t j = 0; j < n; ++j) k[static_cast<std::size_t>(j)] *= e_[static_cast<std::size_t>(j)];
}

double Stepper::ip_try(const cvec& y, double h, Controller& ctl) {
  using namespace dop853;
  static_assert(C[n_stages - 1] == 1.0 && C[n_stages] == 1.0, "K11 and K12 share the factors e^{−Lh}");
  const auto nk = static_cast<std::int64_t>(y.size());
  const std::int64_t groups = group_count(nk);
  const Io io{dealias_.kind == Dealias::filter, dealias_.kind == Dealias::two_thirds, sigma_.data(), keep_.data()};
  d_.resize(y.size());
  cplx* bk = grid_.k_buffer();
  const cplx* yp = y.data();
  // K0 is the FSAL stage f_ (no copy into K_[0]: advance_to swaps it there when the step is accepted).
  std::vector<cvec*> kv(static_cast<std::size_t>(n_stages));
  kv[0] = &f_;
  for (int i = 1; i < n_stages; ++i) kv[static_cast<std::size_t>(i)] = &K_[static_cast<std::size_t>(i)];
  auto terms = [&](const double* row, int count) {
    TermPtrs t;
    for (int i = 0; i < count; ++i)
      if (row[i] != 0.0) {
        t.coef[t.count] = row[i];
        t.k[t.count++] = reinterpret_cast<const double*>(kv[static_cast<std::size_t>(i)]->data());
      }
    return t;
  };
  const double* sigma = io.filter ? io.sigma : nullptr;
  const char* keep = io.third ? io.keep : nullptr;
  // Stage st's input for the modes of group q: e^{L c_st h} (y + h Σ a_i K_i) into FFTW's buffer.
  const auto stage_in = [&](const TermPtrs& a, double ch, const PhaseSteps& w, std::int64_t q) {
    const std::int64_t j0 = q * group_size, j1 = std::min(nk, j0 + group_size);
    cplx eb[group_size];
    phase_group(ch, w, q, eb);
    TermPtrs t = a;
    for (int i = 0; i < t.count; ++i) t.k[i] += 2 * j0;
    stage_in_kernel(t, yp + j0, h, eb, sigma ? sigma + j0 : nullptr, j1 - j0, bk + j0);
  };
  // Stage st's output for group q: K_st = e^{−L c_st h} N̂ from FFTW's buffer (the factors generated again: cheaper
  // than writing and re-reading an array of them).
  const auto stage_out = [&](cplx* k, double ch, const PhaseSteps& w, std::int64_t q) {
    const std::int64_t j0 = q * group_size, j1 = std::min(nk, j0 + group_size);
    cplx eb[group_size];
    phase_group(ch, w, q, eb);
    const KArgs x{.bk = bk + j0, .o = k + j0, .lin = eb, .sigma = sigma ? sigma + j0 : nullptr,
                  .keep = keep ? keep + j0 : nullptr};
    k_pass(KPass::ip_out, x, 0, j1 - j0, nullptr);
  };
  {
    const TermPtrs a = terms(A[1], 1);
    const double ch = C[1] * h;
    const PhaseSteps w = phase_step(ch);
#pragma omp parallel for schedule(static) if (nk > (1 << 15))
    for (std::int64_t q = 0; q < groups; ++q) stage_in(a, ch, w, q);
  }
  for (int st = 1; st < n_stages; ++st) {
    rhs_in_buffers(ctl);
    cplx* k = K_[static_cast<std::size_t>(st)].data();
    const double ch = C[st] * h;
    const PhaseSteps w = phase_step(ch);
    if (st + 1 < n_stages) {
      // K_st and stage st + 1's input in one pass per group: K_st's group is read back from L1 (the same values), and
      // the buffer's lines are loaded by the output before the input overwrites them (no second sweep, no
      // write-allocate). The same operations per mode as two separate passes: the same bits.
      const TermPtrs a = terms(A[st + 1], st + 1);
      const double cn = C[st + 1] * h;
      const PhaseSteps wn = phase_step(cn);
#pragma omp parallel for schedule(static) if (nk > (1 << 15))
      for (std::int64_t q = 0; q < groups; ++q) {
        stage_out(k, ch, w, q);
        stage_in(a, cn, wn, q);
      }
    } else {
#pragma omp parallel for schedule(static) if (nk > (1 << 15))
      for (std::int64_t q = 0; q < groups; ++q) stage_out(k, ch, w, q);
    }
  }
  // y_new = y + h Σ b_i K_i, the error sums over the same stages (E5, E3 vanish on K12 and where B does, but the
  // loop takes any nonzero entry), and e^{Lh} y_new (the next state; the input of K12), with K11's factors e^{−Lh}.
  static_assert(B[0] != 0.0 && E5[0] != 0.0 && E3[0] != 0.0, "the final sums start from K0's term");
  FinalRows rows;
  for (int i = 0; i < n_stages; ++i)
    if (B[i] != 0.0 || E5[i] != 0.0 || E3[i] != 0.0) {
      rows.b[rows.count] = B[i], rows.e5[rows.count] = E5[i], rows.e3[rows.count] = E3[i];
      rows.k[rows.count++] = reinterpret_cast<const double*>(kv[static_cast<std::size_t>(i)]->data());
    }
  part_.resize(static_cast<std::size_t>(2 * groups));
  cplx *yn = y_new_.data(), *d = d_.data();
  double* part = part_.data();
  const double atol = ctl.atol, rtol = ctl.rtol;
  const PhaseSteps w1 = phase_step(h);
#pragma omp parallel for schedule(static) if (nk > (1 << 15))
  for (std::int64_t q = 0; q < groups; ++q) {
    const std::int64_t j0 = q * group_size, j1 = std::min(nk, j0 + group_size);
    cplx eb[group_size];
    phase_group(h, w1, q, eb);
    FinalRows r = rows;
    for (int i = 0; i < r.count; ++i) r.k[i] += 2 * j0;
    double sums[2] = {0.0, 0.0};
    final_kernel(r, yp + j0, h, atol, rtol, eb, sigma ? sigma + j0 : nullptr, j1 - j0, yn + j0, d + j0, bk + j0, sums);
    part[2 * q] = sums[0], part[2 * q + 1] = sums[1];
  }
  double loc[2];
  reduce_parts(groups, 2, loc);
  const double nglobal = static_cast<double>(grid_.n());
  return (loc[0] == 0.0 && loc[1] == 0.0) ? 0.0 : std::abs(h) * loc[0] / std::sqrt((loc[0] + 0.01 * loc[1]) * nglobal);
}

double Stepper::sum_norm2_scaled(const cvec& v, const cvec& y) const {
  double s = 0;
  const auto n = static_cast<std::int64_t>(v.size());
#pragma omp parallel for schedule(static) reduction(+ : s) if (n > (1 << 15))
  for (std::int64_t j = 0; j < n; ++j) {
    const auto i = static_cast<std::size_t>(j);
    s += std::norm(v[i] / (atol_ + rtol_ * std::abs(y[i])));
  }
  return grid_.comm().allreduce(s, mpi::Op::sum);
}

// scipy's select_initial_step (Hairer, Nørsett & Wanner II.4) with RMS norms over the complex components.
double Stepper::dop_initial_step(const cvec& y0, Controller& ctl) {
  atol_ = ctl.atol, rtol_ = ctl.rtol;
  const double sn = std::sqrt(static_cast<double>(grid_.n()));
  const double d0 = std::sqrt(sum_norm2_scaled(y0, y0)) / sn, d1 = std::sqrt(sum_norm2_scaled(f_, y0)) / sn;
  const double h0 = (d0 < 1e-5 || d1 < 1e-5) ? 1e-6 : 0.01 * d0 / d1;
  ys_.resize(y0.size());
  for (std::size_t j = 0; j < y0.size(); ++j) ys_[j] = y0[j] + h0 * f_[j];
  cvec f1;
  dop_stage(ys_, h0, f1, ctl);
  for (std::size_t j = 0; j < f1.size(); ++j) f1[j] -= f_[j];
  const double d2 = std::sqrt(sum_norm2_scaled(f1, y0)) / sn / h0;
  const double h1 =
      (d1 <= 1e-15 && d2 <= 1e-15) ? std::max(1e-6, h0 * 1e-3) : std::pow(0.01 / std::max(d1, d2), 1.0 / 8.0);
  return std::min(100.0 * h0, h1);
}

double Stepper::advance_to(cvec& y, double t, double t_bound, Controller& ctl) {
  using namespace dop853;
  SAMPO_VERIFY(dense_output(method_), "advance_to is for the DOP853 methods");
  const auto n = static_cast<std::int64_t>(y.size());
  const auto nu = y.size();
  if (K_.size() != static_cast<std::size_t>(n_stages_extended)) K_.resize(static_cast<std::size_t>(n_stages_extended));
  for (auto& k : K_) k.resize(nu);
  ys_.resize(nu), y_new_.resize(nu);
  if (!have_f_) {
    dop_stage(y, 0.0, f_, ctl);
    have_f_ = true;
  }
  if (ctl.h <= 0.0) ctl.h = dop_initial_step(y, ctl);
  atol_ = ctl.atol, rtol_ = ctl.rtol;
  const double min_step = 10.0 * std::abs(std::nextafter(t, std::numeric_limits<double>::infinity()) - t);
  double h_abs = ctl.h;
  if (ctl.hmax > 0.0 && h_abs > ctl.hmax)
    h_abs = ctl.hmax;
  else if (h_abs < min_step)
    h_abs = min_step;
  bool step_rejected = false;
  const double nglobal = static_cast<double>(grid_.n());
  for (;;) {
    if (h_abs < min_step)
      throw NumericalError(to_string(method_) + ": the step size fell below 10 ulp of t = " + std::to_string(t));
    double t_new = t + h_abs;
    if (t_new - t_bound > 0) t_new = t_bound;
    const double h = t_new - t;
    h_abs = std::abs(h);
    double err = 0;
    const bool ip = method_ == Method::ipdop853;
    if (ip) {
      err = ip_try(y, h, ctl);
    } else {
      K_[0] = f_;
      for (int s = 1; s < n_stages; ++s) {
        combine(y, h, nonzero_terms(A[s], s, K_), ys_);
        dop_stage(ys_, C[s] * h, K_[static_cast<std::size_t>(s)], ctl);
      }
      combine(y, h, nonzero_terms(B, n_stages, K_), y_new_);
      // K12 = f(t + h, y_new) (scipy evaluates it before the error estimate, which does not use it).
      dop_stage(y_new_, h, K_[n_stages], ctl);
      double loc[2] = {0.0, 0.0};  // Σ|err5/scale|², Σ|err3/scale|²
      {
        double s5 = 0, s3 = 0;
#pragma omp parallel for schedule(static) reduction(+ : s5, s3) if (n > (1 << 15))
        for (std::int64_t jj = 0; jj < n; ++jj) {
          const auto j = static_cast<std::size_t>(jj);
          cplx e5(0.0, 0.0), e3(0.0, 0.0);
          for (int i = 0; i <= n_stages; ++i) {
            if (E5[i] == 0.0 && E3[i] == 0.0) continue;  // skipping a zero term leaves the sums' bits unchanged
            e5 += E5[i] * K_[static_cast<std::size_t>(i)][j];
            e3 += E3[i] * K_[static_cast<std::size_t>(i)][j];
          }
          const double scale = ctl.atol + std::max(std::abs(y[j]), std::abs(y_new_[j])) * ctl.rtol;
          s5 += std::norm(e5 / scale), s3 += std::norm(e3 / scale);
        }
        loc[0] = s5, loc[1] = s3;
      }
      grid_.comm().allreduce_inplace(std::span<double>(loc, 2), mpi::Op::sum);
      err = (loc[0] == 0.0 && loc[1] == 0.0) ? 0.0 : h_abs * loc[0] / std::sqrt((loc[0] + 0.01 * loc[1]) * nglobal);
    }
    // A non-finite error (a far too large trial step on the stiff full RHS overflows) is a rejection with the
    // smallest factor, as in scipy, where max(MIN_FACTOR, SAFETY * nan ** e) is MIN_FACTOR; the minimum-step test
    // above ends a run that never recovers.
    if (err < 1.0) {
      double factor =
          err == 0.0 ? dop_max_factor : std::min(dop_max_factor, dop_safety * std::pow(err, dop_error_exponent));
      if (step_rejected) factor = std::min(1.0, factor);
      h_abs *= factor;
      y_old_.swap(y);  // y_old_ ← ψ̂(t); y ← ψ̂(t + h)
      if (method_ == Method::dop853) {
        y = y_new_;
        f_ = K_[n_stages];
      } else {
        // K12's evaluation, only for an accepted step: N̂(ψ̂(t + h)) is the next step's K0 (FSAL). Its input
        // e^{Lh} y_new is in d_ and FFTW's k buffer (ip_try); K12 = e^{−Lh} N̂ itself is formed only for dense output.
        const Io io{dealias_.kind == Dealias::filter, dealias_.kind == Dealias::two_thirds, sigma_.data(),
                    keep_.data()};
        rhs_in_buffers(ctl);
        f_next_.resize(nu);
        const cplx* bk = grid_.k_buffer();
#pragma omp parallel for schedule(static) if (n > (1 << 15))
        for (std::int64_t j = 0; j < n; ++j)
          f_next_[static_cast<std::size_t>(j)] = io.out(static_cast<std::size_t>(j), bk[j]);
        y.swap(d_);        // e^{Lh} y_new
        K_[0].swap(f_);    // the step's K0 (dense output)
        f_.swap(f_next_);  // N̂(ψ̂(t + h)): K12 without its e^{−Lh}, the next step's K0
        k12_ = false;
      }
      t_old_ = t, t_new_ = t_new, h_last_ = h;
      extra_stages_ = false, stepped_ = true;
      ctl.h = h_abs, ctl.err_prev = err;
      ++ctl.accepted;
      return t_new;
    }
    const double shrink = dop_safety * std::pow(err, dop_error_exponent);
    h_abs *= shrink > dop_min_factor ? shrink : dop_min_factor;  // NaN compares false: the minimum factor
    step_rejected = true;
    ++ctl.rejected;
  }
}

void Stepper::dense(double t_out, cvec& out, Controller& ctl) {
  using namespace dop853;
  SAMPO_VERIFY(stepped_, "dense output before the first accepted step");
  const double h = h_last_;
  const auto n = static_cast<std::int64_t>(y_old_.size());
  if (!extra_stages_) {                          // the three extra stages of the 7th-order interpolant
    if (method_ == Method::ipdop853 && !k12_) {  // K12 = e^{−Lh} N̂(ψ̂(t + h)), N̂ kept as the FSAL stage f_
      phase_factors(h, e_);
#pragma omp parallel for schedule(static) if (n > (1 << 15))
      for (std::int64_t j = 0; j < n; ++j)
        K_[n_stages][static_cast<std::size_t>(j)] = f_[static_cast<std::size_t>(j)] * e_[static_cast<std::size_t>(j)];
      k12_ = true;
    }
    for (int s = n_stages + 1; s < n_stages_extended; ++s) {
#pragma omp parallel for schedule(static) if (n > (1 << 15))
      for (std::int64_t jj = 0; jj < n; ++jj) {
        const auto j = static_cast<std::size_t>(jj);
        cplx acc(0.0, 0.0);
        for (int i = 0; i < s; ++i) acc += A[s][i] * K_[static_cast<std::size_t>(i)][j];
        ys_[j] = y_old_[j] + acc * h;
      }
      dop_stage(ys_, C[s] * h, K_[static_cast<std::size_t>(s)], ctl);
    }
    extra_stages_ = true;
  }
  const double x = (t_out - t_old_) / (t_new_ - t_old_);
  out.resize(y_old_.size());
  const bool ip = method_ == Method::ipdop853;
#pragma omp parallel for schedule(static) if (n > (1 << 15))
  for (std::int64_t jj = 0; jj < n; ++jj) {
    const auto j = static_cast<std::size_t>(jj);
    const cplx dy = y_new_[j] - y_old_[j], f_old = K_[0][j], f_new = K_[n_stages][j];
    cplx F[interpolator_power];
    F[0] = dy, F[1] = h * f_old - dy, F[2] = 2.0 * dy - h * (f_new + f_old);
    for (int r = 0; r < interpolator_power - 3; ++r) {
      cplx acc(0.0, 0.0);
      for (int i = 0; i < n_stages_extended; ++i) acc += D[r][i] * K_[static_cast<std::size_t>(i)][j];
      F[3 + r] = h * acc;
    }
    cplx v(0.0, 0.0);
    for (int i = 0; i < interpolator_power; ++i) {
      v += F[interpolator_power - 1 - i];
      v *= (i % 2 == 0) ? x : 1.0 - x;
    }
    v += y_old_[j];
    if (ip) {
      v *= simd::expi(-k2_[j] * x * h);
    }
    out[j] = v;
  }
}

}  // namespace sampo::nlse
