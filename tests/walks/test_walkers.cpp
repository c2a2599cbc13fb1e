// Walk kernels against exact laws: the SRRW kernel's empirical law (χ²), detailed balance of K[x] w.r.t. π[x],
// and convergence x_n → μ in total variation for α ∈ {0, 1, 5, 10}.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdio>
#include <limits>

#include "walks/estimators.hpp"
#include "walks/graph.hpp"
#include "walks/kernels.hpp"
#include "walks/walkers.hpp"

using namespace sampo;
using namespace sampo::walks;

namespace {

// Upper quantile of χ²(dof) at z standard deviations (Wilson–Hilferty; accurate to ~1% for dof ≥ 3).
double chi2_quantile(double dof, double z) {
  const double a = 2.0 / (9.0 * dof);
  return dof * std::pow(1.0 - a + z * std::sqrt(a), 3.0);
}

// Exact SRRW row: K_ij = P_ij r_j / Σ_k P_ik r_k with r = (w/μ)^(−α), in long double with a max shift
// (independent of the library's log-domain code). Entries: neighbours in row order, then the self-loop.
std::vector<long double> exact_row(const BaseChain& c, Vertex i, const std::vector<double>& w, double alpha) {
  const auto nb = c.graph().neighbours(i);
  std::vector<long double> lw;
  auto lr = [&](Vertex j) {
    return -static_cast<long double>(alpha) * (std::log(static_cast<long double>(w[static_cast<std::size_t>(j)])) -
                                               std::log(static_cast<long double>(c.mu()[static_cast<std::size_t>(j)])));
  };
  for (Vertex j : nb) lw.push_back(std::log(static_cast<long double>(c.p(i, j))) + lr(j));
  lw.push_back(c.p_self(i) > 0 ? std::log(static_cast<long double>(c.p_self(i))) + lr(i) : -INFINITY);
  long double mx = -INFINITY, z = 0;
  for (auto v : lw) mx = std::max(mx, v);
  for (auto& v : lw) z += (v = std::exp(v - mx));
  for (auto& v : lw) v /= z;
  return lw;
}

// χ² of counts against draws·row over the cells with expected count ≥ 5, the rest pooled into one cell (counted
// when its expectation reaches 5); impossible cells (row 0) must stay empty.
struct Chi2 {
  double value = 0.0;
  int cells = 0;
};
Chi2 pooled_chi2(const std::vector<long double>& row, const std::vector<double>& count, std::int64_t draws) {
  Chi2 out;
  double pooled_o = 0.0, pooled_e = 0.0;
  for (std::size_t k = 0; k < row.size(); ++k) {
    const double e = static_cast<double>(row[k]) * static_cast<double>(draws);
    if (row[k] == 0) {
      EXPECT_EQ(count[k], 0.0);
    }
    if (e >= 5.0) {
      out.value += (count[k] - e) * (count[k] - e) / e;
      ++out.cells;
    } else {
      pooled_o += count[k];
      pooled_e += e;
    }
  }
  if (pooled_e >= 5.0) {
    out.value += (pooled_o - pooled_e) * (pooled_o - pooled_e) / pooled_e;
    ++out.cells;
  }
  return out;
}

struct KernelCase {
  Chain chain;
  double laziness;
  double alpha;
  double wmax;  // visit weights drawn in [1, wmax]
};

}  // namespace

TEST(WalksKernel, BaseChainIsStochasticAndReversible) {
  auto g = preprocess(barabasi_albert(60, 2, 4), true, false, 4);
  for (auto ch : {Chain::srw, Chain::mhrw})
    for (double eps : {0.0, 0.3}) {
      BaseChain c(g, ch, eps);
      for (Vertex i = 0; i < g.vertices(); ++i) {
        double s = c.p_self(i);
        for (Vertex j : g.neighbours(i)) {
          s += c.p(i, j);
          // μ_i P_ij = μ_j P_ji to rounding.
          EXPECT_NEAR(c.mu()[i] * c.p(i, j), c.mu()[j] * c.p(j, i), 1e-15);
          EXPECT_NEAR(std::exp(c.log_p(i, j)), c.p(i, j), 1e-15);
        }
        EXPECT_NEAR(s, 1.0, 1e-13);
      }
    }
}

TEST(WalksKernel, SrrwEmpiricalLawChiSquare) {
  auto g = preprocess(watts_strogatz(40, 4, 0.3, 11), true, false, 11);
  const std::vector<KernelCase> cases = {{Chain::srw, 0.0, 2.0, 20},
                                         {Chain::mhrw, 0.0, 1.0, 20},
                                         {Chain::srw, 0.25, 5.0, 50},
                                         {Chain::mhrw, 0.1, 10.0, 1e6},
                                         // plain powers would underflow here: (1e8)^(−50) = 1e−400
                                         {Chain::srw, 0.2, 50.0, 1e8}};
  const std::int64_t draws = 200000;
  int case_id = 0;
  for (const auto& kc : cases) {
    BaseChain c(g, kc.chain, kc.laziness);
    rng::Stream ws(99, rng::purpose_test, static_cast<std::uint64_t>(case_id), 1);
    std::vector<double> w(static_cast<std::size_t>(g.vertices())), logr(w.size());
    for (std::size_t j = 0; j < w.size(); ++j) {
      w[j] = std::floor(std::exp(ws.uniform(0.0, std::log(kc.wmax))));
      logr[j] = std::log(w[j]) - c.log_mu()[j];
    }
    std::vector<double> scratch(static_cast<std::size_t>(g.max_degree()) + 1), r(w.size());
    bool cacheable = true;
    for (std::size_t j = 0; j < w.size(); ++j) {
      r[j] = std::exp(-kc.alpha * logr[j]);
      cacheable = cacheable && r[j] > 1e-280 && r[j] < 1e280;
    }
    for (int cached = 0; cached <= (cacheable ? 1 : 0); ++cached)
    for (Vertex i : {Vertex{0}, Vertex{17}, Vertex{33}}) {
      const auto row = exact_row(c, i, w, kc.alpha);
      const auto nb = g.neighbours(i);
      std::vector<double> count(row.size(), 0.0);
      rng::Stream s(7, rng::purpose_test, static_cast<std::uint64_t>(case_id * 100 + i));
      for (std::int64_t k = 0; k < draws; ++k) {
        const Vertex j = cached ? srrw_draw_cached(c, i, r.data(), s, scratch.data())
                                : srrw_draw(c, i, logr.data(), kc.alpha, s, scratch.data());
        const auto pos = j == i ? nb.size() : static_cast<std::size_t>(std::lower_bound(nb.begin(), nb.end(), j) - nb.begin());
        count[pos] += 1.0;
      }
      const auto [chi2, cells] = pooled_chi2(row, count, draws);
      if (cells >= 2) {
        // z = 4: a false alarm rate of ~3e-5 per check for a correct kernel (fixed seeds make it deterministic).
        EXPECT_LT(chi2, chi2_quantile(std::max(cells - 1, 3), 4.0))
            << "case " << case_id << " vertex " << i << " cells " << cells << " cached " << cached;
      }
    }
    ++case_id;
  }
}

// The rejection sampler of high-degree vertices (kernels.hpp: propose from P(i,·), accept r_j/R, fall back to the
// exact scan after a bounded number of rejections) draws exactly K_i·[x]: χ² against the exact row at hubs of
// degree 80–150, both base chains, with and without laziness, cached powers and log domain, (a) with a stale
// envelope from earlier, smaller counts (reset before every draw, so every draw goes through the proposals) and
// (b) with the envelope evolving as the sampler refreshes it. Acceptance ranges from ≈1 to 0.006 (case 2: most
// draws fall back to the scan after 16 rejections), so both branches of the mixture are covered.
TEST(WalksKernel, SrrwRejectionLawChiSquare) {
  struct Case {
    Graph g;
    Chain chain;
    double laziness, alpha, wmax;
  };
  std::vector<Case> cases;
  cases.push_back({preprocess(complete(151), true, false, 1), Chain::srw, 0.0, 2.0, 5});
  cases.push_back({preprocess(barabasi_albert(2000, 3, 5), true, false, 5), Chain::mhrw, 0.0, 1.0, 4});
  cases.push_back({preprocess(barabasi_albert(2000, 3, 5), true, false, 5), Chain::srw, 0.2, 5.0, 30});
  cases.push_back({preprocess(barabasi_albert(2000, 3, 5), true, false, 5), Chain::mhrw, 0.1, 3.0, 3});
  cases.push_back({preprocess(complete(151), true, false, 1), Chain::srw, 0.3, 1.0, 1e6});
  const std::int64_t draws = 200000;
  int case_id = 0;
  for (const auto& kc : cases) {
    const auto& g = kc.g;
    BaseChain c(g, kc.chain, kc.laziness);
    Vertex i = 0;
    for (Vertex v = 0; v < g.vertices(); ++v)
      if (g.degree(v) > g.degree(i)) i = v;
    ASSERT_GE(g.degree(i), 80);
    rng::Stream ws(98, rng::purpose_test, static_cast<std::uint64_t>(case_id), 1);
    const auto n = static_cast<std::size_t>(g.vertices());
    std::vector<double> w(n), logr(n), r(n), logr_old(n);
    for (std::size_t j = 0; j < n; ++j) {
      w[j] = std::floor(std::exp(ws.uniform(0.0, std::log(kc.wmax))));
      const double w_old = std::max(1.0, std::floor(w[j] * ws.uniform()));  // counts only grow: w_old <= w
      logr[j] = std::log(w[j]) - c.log_mu()[j];
      logr_old[j] = std::log(w_old) - c.log_mu()[j];
      r[j] = std::exp(-kc.alpha * logr[j]);
    }
    double stale = logr_old[static_cast<std::size_t>(i)];
    for (Vertex j : g.neighbours(i)) stale = std::min(stale, logr_old[static_cast<std::size_t>(j)]);
    const auto row = exact_row(c, i, w, kc.alpha);
    const auto nb = g.neighbours(i);
    std::vector<double> scratch(static_cast<std::size_t>(g.max_degree()) + 1);
    auto lr = [&](Vertex j) { return logr[static_cast<std::size_t>(j)]; };
    auto rr = [&](Vertex j) { return r[static_cast<std::size_t>(j)]; };
    for (int cached = 0; cached <= 1; ++cached)
      for (int evolve = 0; evolve <= 1; ++evolve) {
        std::vector<double> count(row.size(), 0.0);
        rng::Stream s(8, rng::purpose_test, static_cast<std::uint64_t>(case_id * 10 + cached * 2 + evolve));
        double lm = evolve ? std::numeric_limits<double>::quiet_NaN() : stale;
        for (std::int64_t k = 0; k < draws; ++k) {
          if (!evolve) lm = stale;
          const Vertex j = kernel::srrw_reject(c, i, lr, rr, cached == 1, kc.alpha, s, scratch.data(), lm);
          const auto pos = j == i ? nb.size() : static_cast<std::size_t>(std::lower_bound(nb.begin(), nb.end(), j) - nb.begin());
          ASSERT_LT(pos, row.size());
          count[pos] += 1.0;
        }
        const auto [chi2, cells] = pooled_chi2(row, count, draws);
        ASSERT_GE(cells, 2);
        EXPECT_LT(chi2, chi2_quantile(std::max(cells - 1, 3), 4.0))
            << "rejection case " << case_id << " cells " << cells << " cached " << cached << " evolve " << evolve;
      }
    // The refresh: lm is the smallest log ratio over N̄(i) when the acceptance is at least 4/tries, NaN otherwise.
    double lm = 0.0;
    rng::Stream s(9, rng::purpose_test, static_cast<std::uint64_t>(case_id));
    kernel::srrw_scan_refresh(c, i, lr, rr, false, kc.alpha, s, scratch.data(), lm);
    double lmin = c.p_self(i) > 0 ? logr[static_cast<std::size_t>(i)] : INFINITY, acc = 0.0;
    for (Vertex j : nb) lmin = std::min(lmin, logr[static_cast<std::size_t>(j)]);
    for (Vertex j : nb) acc += c.p(i, j) * std::exp(-kc.alpha * (logr[static_cast<std::size_t>(j)] - lmin));
    acc += c.p_self(i) * std::exp(-kc.alpha * (logr[static_cast<std::size_t>(i)] - lmin));
    std::printf("  rejection case %d: degree %lld, acceptance %.3g\n", case_id, static_cast<long long>(g.degree(i)), acc);
    if (acc >= kernel::reject_min_acceptance(nb.size()) * 1.001) {
      EXPECT_EQ(lm, lmin);
    }
    if (acc <= kernel::reject_min_acceptance(nb.size()) * 0.999) {
      EXPECT_TRUE(std::isnan(lm));
    }
    ++case_id;
  }
}

TEST(WalksKernel, SrrwDetailedBalanceWrtPiX) {
  // K[x] is reversible w.r.t. π_i[x] ∝ μ_i r_i Σ_k P_ik r_k, r = (x/μ)^(−α): π_i K_ij = π_j K_ji.
  auto g = preprocess(barabasi_albert(50, 2, 8), true, false, 8);
  for (auto ch : {Chain::srw, Chain::mhrw}) {
    BaseChain c(g, ch, 0.1);
    rng::Stream ws(5, rng::purpose_test, 0);
    std::vector<double> w(static_cast<std::size_t>(g.vertices()));
    for (auto& v : w) v = 1.0 + static_cast<double>(ws.below(100));
    const double alpha = 3.0;
    std::vector<long double> pi(w.size());
    auto r = [&](Vertex j) {
      return std::pow(static_cast<long double>(w[static_cast<std::size_t>(j)] / c.mu()[static_cast<std::size_t>(j)]), -alpha);
    };
    for (Vertex i = 0; i < g.vertices(); ++i) {
      long double z = c.p_self(i) * r(i);
      for (Vertex j : g.neighbours(i)) z += c.p(i, j) * r(j);
      pi[static_cast<std::size_t>(i)] = c.mu()[static_cast<std::size_t>(i)] * r(i) * z;
    }
    for (Vertex i = 0; i < g.vertices(); ++i) {
      const auto ri = exact_row(c, i, w, alpha);
      const auto nbi = g.neighbours(i);
      for (std::size_t k = 0; k < nbi.size(); ++k) {
        const Vertex j = nbi[k];
        const auto rj = exact_row(c, j, w, alpha);
        const auto nbj = g.neighbours(j);
        const auto back = static_cast<std::size_t>(std::lower_bound(nbj.begin(), nbj.end(), i) - nbj.begin());
        const long double lhs = pi[static_cast<std::size_t>(i)] * ri[k], rhs = pi[static_cast<std::size_t>(j)] * rj[back];
        EXPECT_NEAR(static_cast<double>(lhs / rhs), 1.0, 1e-12) << i << "-" << j;
      }
    }
  }
}

TEST(WalksKernel, TvdToZeroForAllAlpha) {
  // x_n → μ a.s.: the mean TVD over 8 tokens must shrink like n^(−1/2) (a factor √10 ≈ 3.2 from 2e3 to 2e4
  // steps; we require 2) and be small at 2e4 steps on a 60-vertex graph.
  auto g = preprocess(watts_strogatz(60, 4, 0.2, 3), true, false, 3);
  auto comm = mpi::Communicator(MPI_COMM_SELF);
  for (auto method : {Method::srrw, Method::hdt})
    for (auto ch : {Chain::srw, Chain::mhrw})
      for (double alpha : {0.0, 1.0, 5.0, 10.0}) {
        BaseChain c(g, ch, 0.0);
        WalkParams p;
        p.chain = ch;
        p.method = method;
        p.alpha = alpha;
        p.tokens = 8;
        p.seed = 42;
        Walkers w(c, p, 0, 8);
        w.advance(2000);
        const double t1 = summarise(comm, w, {}, {}).tvd_mean;
        w.advance(18000);
        const double t2 = summarise(comm, w, {}, {}).tvd_mean;
        EXPECT_LT(t2, 0.5 * t1) << to_string(method) << " " << to_string(ch) << " alpha " << alpha;
        EXPECT_LT(t2, 0.08) << to_string(method) << " " << to_string(ch) << " alpha " << alpha;
        if (alpha >= 5.0) {
          EXPECT_LT(t2, 0.03) << "repellence should make x_n close to mu";
        }
      }
  // α = 300: the cached powers (w/μ)^(−α) leave the double range within a few hundred steps; every token must
  // switch to the log-domain kernel and still converge.
  {
    BaseChain c(g, Chain::srw, 0.0);
    WalkParams p;
    p.alpha = 300.0;
    p.tokens = 8;
    Walkers w(c, p, 0, 8);
    EXPECT_TRUE(w.tokens()[0].cached);
    w.advance(20000);
    for (const auto& t : w.tokens()) EXPECT_FALSE(t.cached);
    EXPECT_LT(summarise(comm, w, {}, {}).tvd_mean, 0.03);
  }
  // Base chains converge too (NBRW's vertex marginal is μ ∝ degree).
  for (auto ch : {Chain::srw, Chain::mhrw, Chain::nbrw}) {
    BaseChain c(g, ch, 0.0);
    WalkParams p;
    p.chain = ch;
    p.method = Method::base;
    p.tokens = 8;
    Walkers w(c, p, 0, 8);
    w.advance(20000);
    EXPECT_LT(summarise(comm, w, {}, {}).tvd_mean, 0.08) << to_string(ch);
  }
}

// The cached power (w/μ)^(−α): at integer α in [1, 64] by binary powering of μ/w, within α·2^−52 relative of the
// long-double power of the same μ/w (each of the ≤ 2 log2 α roundings at most doubles the relative error already
// there, so α·ε bounds it), without evaluating log μ; α = 0 gives 1; other α the exp/log expression, bit for bit.
TEST(WalksKernel, CachedPowerIntegerAlpha) {
  rng::Stream s(3, 99, 1);
  for (double alpha : {1.0, 2.0, 3.0, 5.0, 7.0, 10.0, 64.0}) {
    const kernel::Power power(alpha);
    double worst = 0.0;
    for (int k = 0; k < 2000; ++k) {
      const double w = std::floor(std::exp(s.uniform(0.0, std::log(1e6)))) + (k % 2 ? s.uniform() : 0.0);
      const double mu = 1.0 + static_cast<double>(s.below(50));
      bool used_log = false;
      const double r = power(w, [&] { return mu; }, [&] { used_log = true; return std::log(mu); });
      EXPECT_FALSE(used_log);
      const long double ref = std::pow(static_cast<long double>(mu / w), static_cast<long double>(alpha));
      if (ref > 1e-300L && ref < 1e300L)
        worst = std::max(worst, static_cast<double>(std::fabs(static_cast<long double>(r) / ref - 1.0L)));
    }
    EXPECT_LE(worst, alpha * std::ldexp(1.0, -52)) << "alpha " << alpha;
  }
  EXPECT_EQ(kernel::Power(0.0)(7.0, [] { return 3.0; }, [] { return std::log(3.0); }), 1.0);
  for (double alpha : {0.5, 1.5, 65.0, 600.0}) {
    const double w = 17.0, mu = 6.0;
    const double r = kernel::Power(alpha)(w, [&] { return mu; }, [&] { return std::log(mu); });
    const double want = std::exp(-alpha * (std::log(w) - std::log(mu)));
    EXPECT_EQ(std::bit_cast<std::uint64_t>(r), std::bit_cast<std::uint64_t>(want));
  }
}

// The Summariser (estimators at output times from run-constant sums plus the visited vertices) against the plain
// sums over every vertex, tvd() and integral(), per token: the same bits. Early (few vertices visited: the sparse
// path), late (most visited: the dense path), step-size mode (always dense), both base chains, and a vertex function
// with repeated and distinct values. Exact sums make any difference a bug, so the comparison is bitwise.
TEST(Estimators, SummariserEqualsSumsOverEveryVertex) {
  auto comm = mpi::Communicator(MPI_COMM_SELF);
  const Graph g = preprocess(kronecker(9, 8, 3), true, true, 3);
  for (auto ch : {Chain::srw, Chain::mhrw})
    for (double gamma : {1.0, 0.7}) {
      BaseChain c(g, ch, 0.0);
      auto fs = standard_functions(c, 0.3);
      VertexFunction h{"h", {}, 0.0};
      for (Vertex v = 0; v < g.vertices(); ++v) h.values.push_back(std::sin(0.37 * static_cast<double>(v)));
      fs.push_back(h);
      WalkParams p;
      p.chain = ch;
      p.alpha = 2.0;
      p.gamma_exponent = gamma;
      p.tokens = 6;
      p.seed = 9;
      Walkers w(c, p, 0, 6);
      const Summariser summ(c, fs);
      for (std::int64_t steps : {0, 15, 40, 5000}) {
        w.advance(steps - w.step());
        std::vector<double> rows;
        for (const auto& t : w.tokens()) {
          rows.push_back(tvd(t, c.mu_norm()));
          for (const auto& f : fs) rows.push_back(integral(t, f.values));
          rows.push_back(0.0);
        }
        const Summary want = summarise_rows(comm, rows, fs), got = summ(comm, w, {});
        const auto bits = [](double x) { return std::bit_cast<std::uint64_t>(x); };
        EXPECT_EQ(bits(got.tvd_mean), bits(want.tvd_mean)) << to_string(ch) << " gamma " << gamma << " step " << steps;
        for (std::size_t q = 0; q < fs.size(); ++q) {
          EXPECT_EQ(bits(got.mean[q]), bits(want.mean[q])) << fs[q].name << " step " << steps;
          EXPECT_EQ(bits(got.var[q]), bits(want.var[q])) << fs[q].name << " step " << steps;
        }
      }
    }
}
