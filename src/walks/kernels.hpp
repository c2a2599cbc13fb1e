#pragma once
// One step of a token, written once for every storage of the token's visit state (dense arrays in the replicated
// engine, owner/ghost maps in the vertex-partitioned engine): the arithmetic is identical, so both engines draw
// bitwise the same paths. Internal to src/walks.
#include <algorithm>
#include <cmath>
#include <limits>

#include "core/rng/stream.hpp"
#include "walks/walkers.hpp"

namespace sampo::walks::kernel {

inline constexpr double neg_inf = -std::numeric_limits<double>::infinity();
inline constexpr double r_min = 1e-280, r_max = 1e280;  // range of cached powers (w/μ)^(−α)

// Base chain draw from i (prev: NBRW memory).
template <Chain C>
Vertex base_draw(const BaseChain& c, Vertex i, Vertex prev, rng::Stream& s) noexcept {
  const auto& g = c.graph();
  if (c.laziness() > 0.0 && s.uniform() < c.laziness()) return i;
  const auto nb = g.neighbours(i);
  const auto d = nb.size();
  if constexpr (C == Chain::srw) {
    return nb[s.below(d)];
  } else if constexpr (C == Chain::mhrw) {
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

inline Vertex base_draw_any(const BaseChain& c, Vertex i, Vertex prev, rng::Stream& s) noexcept {
  switch (c.chain()) {
    case Chain::srw: return base_draw<Chain::srw>(c, i, prev, s);
    case Chain::mhrw: return base_draw<Chain::mhrw>(c, i, prev, s);
    default: return base_draw<Chain::nbrw>(c, i, prev, s);
  }
}

// Log-domain SRRW draw; logr(j) = log(w_j/μ_j). `a` needs d_i + 1 entries.
template <class LogR>
Vertex srrw_log(const BaseChain& c, Vertex i, LogR&& logr, double alpha, rng::Stream& s, double* a) noexcept {
  const auto nb = c.graph().neighbours(i);
  const std::size_t d = nb.size();
  double mx = neg_inf;
  if (c.chain() == Chain::mhrw) {
    for (std::size_t k = 0; k < d; ++k) {
      a[k] = c.log_p(i, nb[k]) - alpha * logr(nb[k]);
      mx = std::max(mx, a[k]);
    }
  } else {
    const double lp = c.log_p(i, nb[0]);  // the same for every neighbour
    for (std::size_t k = 0; k < d; ++k) {
      a[k] = lp - alpha * logr(nb[k]);
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
  const double u = s.uniform() * total;
  std::size_t k = 0;
  while (k + 1 < m && a[k] <= u) ++k;
  return k < d ? nb[k] : i;
}

// The same law from cached powers r(j) = (w_j/μ_j)^(−α).
template <class R>
Vertex srrw_pow(const BaseChain& c, Vertex i, R&& r, rng::Stream& s, double* a) noexcept {
  const auto& g = c.graph();
  const auto nb = g.neighbours(i);
  const std::size_t d = nb.size();
  // a[k] = P_ik r_k / P_move with P_move = (1−ε)/d_i the SRW move probability (a common factor).
  double total = 0.0;
  if (c.chain() == Chain::mhrw) {
    const auto di = static_cast<double>(d);
    for (std::size_t k = 0; k < d; ++k) {
      const auto dk = static_cast<double>(g.degree(nb[k]));
      total += (dk > di ? di / dk : 1.0) * r(nb[k]);
      a[k] = total;
    }
  } else {
    for (std::size_t k = 0; k < d; ++k) {
      total += r(nb[k]);
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
  const double u = s.uniform() * total;
  std::size_t k = 0;
  while (k + 1 < m && a[k] <= u) ++k;
  return k < d ? nb[k] : i;
}

// The next vertex of a token at i for any method.
template <class LogR, class R>
Vertex next_vertex(const BaseChain& c, Method method, Vertex i, Vertex prev, bool cached, LogR&& logr, R&& r,
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
