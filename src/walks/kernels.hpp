#pragma once
// One step of a token, written once for every storage of the token's visit state (dense arrays in the replicated
// engine, owner/ghost maps in the vertex-partitioned engine): the arithmetic is identical, so both engines draw
// bitwise the same paths. Internal to src/walks.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "core/rng/stream.hpp"
#include "walks/power.hpp"
#include "walks/walkers.hpp"

namespace sampo::walks::kernel {

inline constexpr double neg_inf = -std::numeric_limits<double>::infinity();
inline constexpr double r_min = 1e-280, r_max = 1e280;  // range of cached powers (w/μ)^(−α)

// The value of the k-th neighbour nb[k] of the row being scanned: f(nb[k], k) when the engine can read it by row
// position (the vertex engine's precomputed entry slots, no ghost lookup), else f(nb[k]).
template <class F, class Row>
[[gnu::always_inline]] inline double row_value(F& f, const Row& nb, std::size_t k) noexcept {
  if constexpr (std::is_invocable_v<F&, Vertex, std::size_t>) {
    return f(nb[k], k);
  } else {
    return f(nb[k]);
  }
}

// The index drawn from the cumulative weights a[0..m) (nondecreasing, m >= 1) for u in [0, a[m-1]): the first k
// with a[k] > u, at most m − 1. Counted without branches (the same k as a search that stops there: a is
// nondecreasing), so the draw costs no mispredicted exit.
inline std::size_t pick(const double* a, std::size_t m, double u) noexcept {
  std::size_t k = 0;
  for (std::size_t q = 0; q + 1 < m; ++q) k += a[q] <= u ? 1u : 0u;
  return k;
}

// Base chain draw from i (prev: NBRW memory).
// C: BaseChain (replicated graph) or LocalChain (a rank's block of the distributed graph, owned i).
template <Chain K, class C>
Vertex base_draw(const C& c, Vertex i, Vertex prev, rng::Stream& s) noexcept {
  const auto& g = c.graph();
  if (c.laziness() > 0.0 && s.uniform() < c.laziness()) return i;
  const auto nb = g.neighbours(i);
  const auto d = nb.size();
  if constexpr (K == Chain::srw) {
    return nb[s.below(d)];
  } else if constexpr (K == Chain::mhrw) {
    const Vertex j = nb[s.below(d)];
    const auto dj = static_cast<std::size_t>(g.degree(j));
    if (dj <= d) return j;
    return s.uniform() * static_cast<double>(dj) < static_cast<double>(d) ? j : i;
  } else {
    if (d == 1 || prev < 0) return nb[s.below(d)];
    // Uniform among the neighbours other than the previous vertex (rows are sorted).
    const auto pos = static_cast<std::size_t>(std::lower_bound(nb.begin(), nb.end(), prev) - nb.begin());
    auto k = static_cast<std::size_t>(s.below(d - 1));
    if (k >= pos) ++k;
    return nb[k];
  }
}

template <class C>
Vertex base_draw_any(const C& c, Vertex i, Vertex prev, rng::Stream& s) noexcept {
  switch (c.chain()) {
    case Chain::srw: return base_draw<Chain::srw>(c, i, prev, s);
    case Chain::mhrw: return base_draw<Chain::mhrw>(c, i, prev, s);
    default: return base_draw<Chain::nbrw>(c, i, prev, s);
  }
}

// Log-domain SRRW draw; logr(j) = log(w_j/μ_j). `a` needs d_i + 1 entries.
template <class C, class LogR>
Vertex srrw_log(const C& c, Vertex i, LogR&& logr, double alpha, rng::Stream& s, double* a) noexcept {
  const auto nb = c.graph().neighbours(i);
  const std::size_t d = nb.size();
  double mx = neg_inf;
  if (c.chain() == Chain::mhrw) {
    for (std::size_t k = 0; k < d; ++k) {
      a[k] = c.log_p(i, nb[k]) - alpha * row_value(logr, nb, k);
      mx = std::max(mx, a[k]);
    }
  } else {
    const double lp = c.log_p(i, nb[0]);  // the same for every neighbour
    for (std::size_t k = 0; k < d; ++k) {
      a[k] = lp - alpha * row_value(logr, nb, k);
      mx = std::max(mx, a[k]);
    }
  }
  const double lps = c.log_p_self(i);
  const bool self = lps > neg_inf;
  if (self) {
    a[d] = lps - alpha * logr(i);
    mx = std::max(mx, a[d]);
  }
  const std::size_t m = d + (self ? 1 : 0);
  double total = 0.0;
  for (std::size_t k = 0; k < m; ++k) {
    total += std::exp(a[k] - mx);
    a[k] = total;  // cumulative
  }
  const std::size_t k = pick(a, m, s.uniform() * total);
  return k < d ? nb[k] : i;
}

// The same law from cached powers r(j) = (w_j/μ_j)^(−α).
template <class C, class R>
Vertex srrw_pow(const C& c, Vertex i, R&& r, rng::Stream& s, double* a) noexcept {
  const auto& g = c.graph();
  const auto nb = g.neighbours(i);
  const std::size_t d = nb.size();
  // a[k] = P_ik r_k / P_move with P_move = (1−ε)/d_i the SRW move probability (a common factor).
  double total = 0.0;
  if (c.chain() == Chain::mhrw) {
    const auto di = static_cast<double>(d);
    for (std::size_t k = 0; k < d; ++k) {
      const auto dk = static_cast<double>(g.degree(nb[k]));
      total += (dk > di ? di / dk : 1.0) * row_value(r, nb, k);
      a[k] = total;
    }
  } else {
    for (std::size_t k = 0; k < d; ++k) {
      total += row_value(r, nb, k);
      a[k] = total;
    }
  }
  const double ps = c.p_self(i);
  std::size_t m = d;
  if (ps > 0.0) {
    total += ps * static_cast<double>(d) / (1.0 - c.laziness()) * r(i);
    a[d] = total;
    m = d + 1;
  }
  const std::size_t k = pick(a, m, s.uniform() * total);
  return k < d ? nb[k] : i;
}

// ---- SRRW by rejection (high-degree vertices; walk.rejection_degree) ----
// Propose j ~ P(i,·) with the base chain's O(1) draw and accept with probability r_j / R, r_j = (x_j/μ_j)^(−α),
// R = exp(−α·lm) where lm = min_{k∈N̄(i), P_ik>0} log(x_k/μ_k) at the token's last exact scan at i. Ratios x_k/μ_k
// only grow between scans (counts mode; in step-size mode the envelopes are reset when x is renormalised), so
// R ≥ max_k r_k stays an envelope and the accepted draw has exactly the law K_i·[x]. After reject_tries(d_i)
// rejections the exact O(d_i) scan draws instead (the law of the whole step stays exact:
// P(j) = K_ij (1 − (1−A)^n) + (1−A)^n K_ij), and refreshes lm and the acceptance A = Σ_k P_ik r_k / max_k r_k; a
// vertex whose A is below reject_min_acceptance(d_i) is scanned (lm = NaN) until a later scan finds A larger. The
// envelope state lm is per (token, vertex): dense per token over the high-degree vertices, at the owning rank in
// the vertex-partitioned engine, and in checkpoints.
// Proposals before the fallback scan at a vertex of degree d: d/64 clamped to [4, 128]. A proposal costs about one
// Philox block (two random numbers), measured at ≈ 50 scan terms on a Graph500 graph, so an envelope is trusted only
// when its acceptance A ≥ 2/tries: right after a refresh the expected proposals are then ≤ d/128 (≈ half a scan)
// and all tries fail with probability ≤ e^(−2).
inline std::int64_t reject_tries(std::size_t d) noexcept {
  return std::clamp<std::int64_t>(static_cast<std::int64_t>(d / 64), 4, 128);
}
inline double reject_min_acceptance(std::size_t d) noexcept { return 2.0 / static_cast<double>(reject_tries(d)); }

// Exact O(d_i) draw that also returns the refreshed envelope (lm, or NaN when A < reject_min_acceptance).
template <class C, class LogR, class R>
Vertex srrw_scan_refresh(const C& c, Vertex i, LogR&& logr, R&& r, bool cached, double alpha, rng::Stream& s,
                         double* a, double& lm) noexcept {
  const auto& g = c.graph();
  const auto nb = g.neighbours(i);
  const std::size_t d = nb.size();
  const bool self = c.p_self(i) > 0.0;
  const std::size_t m = d + (self ? 1 : 0);
  double total = 0.0, acc = 0.0;
  if (cached) {
    // a[k] = P_ik r_k / P_move, P_move = (1−ε)/d_i; Σ_k P_ik r_k = total · P_move.
    double rmax = 0.0;
    const auto di = static_cast<double>(d);
    if (c.chain() == Chain::mhrw) {
      for (std::size_t k = 0; k < d; ++k) {
        const double rk = row_value(r, nb, k);
        const auto dk = static_cast<double>(g.degree(nb[k]));
        rmax = std::max(rmax, rk);
        total += (dk > di ? di / dk : 1.0) * rk;
        a[k] = total;
      }
    } else {
      for (std::size_t k = 0; k < d; ++k) {
        const double rk = row_value(r, nb, k);
        rmax = std::max(rmax, rk);
        total += rk;
        a[k] = total;
      }
    }
    if (self) {
      const double ri = r(i);
      rmax = std::max(rmax, ri);
      total += c.p_self(i) * di / (1.0 - c.laziness()) * ri;
      a[d] = total;
    }
    acc = total * (1.0 - c.laziness()) / di / rmax;
    lm = alpha > 0.0 ? -std::log(rmax) / alpha : 0.0;
  } else {
    double mx = neg_inf, lmin = std::numeric_limits<double>::infinity();
    for (std::size_t k = 0; k < d; ++k) {
      const double lr = row_value(logr, nb, k);
      lmin = std::min(lmin, lr);
      a[k] = c.log_p(i, nb[k]) - alpha * lr;
      mx = std::max(mx, a[k]);
    }
    if (self) {
      const double lr = logr(i);
      lmin = std::min(lmin, lr);
      a[d] = c.log_p_self(i) - alpha * lr;
      mx = std::max(mx, a[d]);
    }
    for (std::size_t k = 0; k < m; ++k) {
      total += std::exp(a[k] - mx);
      a[k] = total;
    }
    acc = total * std::exp(mx + alpha * lmin);  // Σ P r / max r with max r = exp(−α lmin)
    lm = lmin;
  }
  if (!(acc >= reject_min_acceptance(d))) lm = std::numeric_limits<double>::quiet_NaN();
  const std::size_t k = pick(a, m, s.uniform() * total);
  return k < d ? nb[k] : i;
}

template <class C, class LogR, class R>
Vertex srrw_reject(const C& c, Vertex i, LogR&& logr, R&& r, bool cached, double alpha, rng::Stream& s, double* a,
                   double& lm) noexcept {
  if (lm == lm) {  // a trusted envelope (NaN: scan)
    const double scale = std::exp(alpha * lm);  // 1/R
    const std::int64_t tries = reject_tries(c.graph().degree(i) > 0 ? static_cast<std::size_t>(c.graph().degree(i)) : 0);
    for (std::int64_t t = 0; t < tries; ++t) {
      const Vertex j = c.chain() == Chain::srw ? base_draw<Chain::srw>(c, i, -1, s)
                                               : base_draw<Chain::mhrw>(c, i, -1, s);
      const double p = cached ? r(j) * scale : std::exp(-alpha * (logr(j) - lm));
      if (s.uniform() < p) return j;
    }
  }
  return srrw_scan_refresh(c, i, logr, r, cached, alpha, s, a, lm);
}

// The next vertex of a token at i for any method.
template <class C, class LogR, class R>
Vertex next_vertex(const C& c, Method method, Vertex i, Vertex prev, bool cached, LogR&& logr, R&& r,
                   double alpha, rng::Stream& s, double* scratch) noexcept {
  switch (method) {
    case Method::base:
      return base_draw_any(c, i, prev, s);
    case Method::srrw:
      return cached ? srrw_pow(c, i, r, s, scratch) : srrw_log(c, i, logr, alpha, s, scratch);
    case Method::hdt:
    default: {
      const Vertex next = c.chain() == Chain::srw ? base_draw<Chain::srw>(c, i, prev, s)
                                                  : base_draw<Chain::mhrw>(c, i, prev, s);
      if (next == i) return i;
      const double diff = logr(next) - logr(i);
      if (diff > 0.0 && s.uniform() >= std::exp(-alpha * diff)) return i;
      return next;
    }
  }
}

}  // namespace sampo::walks::kernel
