// Samplers against exact moments: every mean within 4 MCSE of 0 and every variance within 4 MCSE of 1 on the
// correlated Gaussian (Σ_ij = ρ^|i−j|, unit marginals). With ~10–20 checks at 4σ the chance of a false failure is
// ~1e-3; draws are deterministic given the seed, so a pass is reproducible. Settings and bounds were sized by
// running every test with 150 other seeds (seed + 1000 k): a check that fails on some seeds passes by luck on
// one, which is how the first versions of the static-HMC, RWM and banana checks passed (the file failed on 173 of
// 200 seeds). Now it fails on 4 of 150, each time one variance 4–5 MCSE off (a variance estimate's MCSE is itself
// noisy): the rate expected of ~40 checks at 4σ with slightly heavy-tailed z-scores.
#include <gtest/gtest.h>

#include "mcmc/diagnostics.hpp"
#include "mcmc/ensemble.hpp"

using namespace sampo::mcmc;

namespace {
struct RunResult {
  std::vector<Summary> summaries;
  std::vector<std::vector<double>> draws;  // per chain, post-warmup, row-major (draw, coordinate)
  double mean_accept = 0;
  int divergences = 0;
};

RunResult run(const Target& t, SamplerParams p, int chains, std::uint64_t seed) {
  Sampler sampler(t, p, seed);
  std::vector<ChainState> states;
  for (int c = 0; c < chains; ++c) states.push_back(sampler.init(static_cast<std::uint64_t>(c)));
  std::vector<Record> recs(static_cast<std::size_t>(chains));
  advance(sampler, t, states, p.warmup + p.draws, recs);
  RunResult r;
  const int cd = t.constrained_dim();
  for (int k = 0; k < cd; ++k) {
    Chains x(static_cast<std::size_t>(chains));
    for (int c = 0; c < chains; ++c)
      for (std::int64_t i = p.warmup; i < p.warmup + p.draws; ++i)
        x[c].push_back(recs[c].draws[static_cast<std::size_t>(i * cd + k)]);
    r.summaries.push_back(summarise("x" + std::to_string(k), x));
  }
  for (int c = 0; c < chains; ++c)
    r.draws.emplace_back(recs[c].draws.begin() + p.warmup * cd, recs[c].draws.begin() + (p.warmup + p.draws) * cd);
  for (const auto& rec : recs)
    for (std::size_t i = static_cast<std::size_t>(p.warmup); i < rec.stats.size(); ++i) {
      r.mean_accept += rec.stats[i].accept;
      r.divergences += rec.stats[i].divergent;
    }
  r.mean_accept /= static_cast<double>(chains * p.draws);
  return r;
}

void check_moments(const RunResult& r, double min_ess) {
  for (const auto& s : r.summaries) {
    EXPECT_LT(std::abs(s.mean), 4 * s.mcse_mean) << s.name << " mean " << s.mean << " mcse " << s.mcse_mean;
    EXPECT_LT(std::abs(s.variance - 1.0), 4 * s.mcse_var) << s.name << " var " << s.variance << " mcse " << s.mcse_var;
    EXPECT_LT(s.rhat, 1.05) << s.name;
    EXPECT_GT(s.ess_bulk, min_ess) << s.name;
  }
}
}  // namespace

TEST(McmcSamplers, NutsCorrelatedGaussian) {
  CorrelatedGaussian t(8, 0.9);
  SamplerParams p;
  p.warmup = 500;
  p.draws = 1000;
  const auto r = run(t, p, 4, 2024);
  check_moments(r, 400);
  EXPECT_EQ(r.divergences, 0);
  // Dual averaging targets 0.8; the final step size exp(x̄) is smaller than the late iterates, so the realised
  // mean acceptance is typically 0.8–0.95 on Gaussians (as in Stan).
  EXPECT_GT(r.mean_accept, 0.75);
  EXPECT_LT(r.mean_accept, 0.97);
}

TEST(McmcSamplers, NutsDenseMetric) {
  CorrelatedGaussian t(4, 0.9);
  SamplerParams p;
  p.warmup = 400;
  p.draws = 800;
  p.dense = true;
  check_moments(run(t, p, 4, 7), 400);
}

TEST(McmcSamplers, StaticHmcMalaRwm) {
  CorrelatedGaussian t(3, 0.5);
  SamplerParams p;
  p.warmup = 500;
  p.draws = 2000;
  p.algorithm = Algorithm::hmc;
  p.hmc_steps = 8;
  // A fixed trajectory 8ε can sit near a period of one of the target's directions, which then barely moves:
  // without jitter R-hat ≥ 1.05 on 25 % of the seeds and a smallest bulk ESS of 30 of 8000 draws; with ±20 %
  // jitter R-hat ≤ 1.007 and the smallest bulk ESS ≥ 3400 on 99 % of them (none failed a check).
  p.stepsize_jitter = 0.2;
  check_moments(run(t, p, 4, 11), 200);
  // MALA and RWM get a longer final step-size window than the default 50 iterations (their acceptance is a noisy
  // signal). The step is then exp(x̄), the dual-averaging mean, not the last iterate, so the realised acceptance
  // is not the target: over the seeds MALA 0.58–0.68 (target 0.574), RWM 0.15–0.24 (target 0.234).
  p.term_buffer = 200;
  p.algorithm = Algorithm::mala;
  auto r = run(t, p, 4, 12);
  check_moments(r, 100);
  EXPECT_GT(r.mean_accept, 0.50);
  EXPECT_LT(r.mean_accept, 0.75);
  p.algorithm = Algorithm::rwm;
  p.draws = 4000;
  r = run(t, p, 4, 13);
  check_moments(r, 100);
  EXPECT_GT(r.mean_accept, 0.10);
  EXPECT_LT(r.mean_accept, 0.30);
}

TEST(McmcSamplers, NutsBananaAndEightSchools) {
  // Banana: x1 ~ N(0, 100) and y = x2 + b x1² − 100 b ~ N(0, 1), independent: both checked against their exact
  // mean and variance (x2 itself is skewed and heavy-tailed, and the MCSE of its variance understates the error:
  // over 100 seeds its variance z-score reached −6). At the default δ = 0.8 NUTS diverges in the narrow tips
  // (≈ 30 divergences per run at b = 0.03, the variances biased low on most seeds); δ = 0.99, as one would set for a
  // curved target, gave no divergence on 100 seeds.
  const double bb = 0.03;
  Banana b(bb);
  SamplerParams p;
  p.warmup = 500;
  p.draws = 1000;
  p.delta = 0.99;
  const auto r = run(b, p, 4, 5);
  EXPECT_EQ(r.divergences, 0);
  const Summary& x1 = r.summaries[0];
  EXPECT_LT(std::abs(x1.mean), 4 * x1.mcse_mean);
  EXPECT_LT(std::abs(x1.variance - 100.0), 4 * x1.mcse_var);
  Chains y(r.draws.size());
  for (std::size_t c = 0; c < r.draws.size(); ++c)
    for (std::size_t i = 0; i + 1 < r.draws[c].size(); i += 2)
      y[c].push_back(r.draws[c][i + 1] + bb * r.draws[c][i] * r.draws[c][i] - 100.0 * bb);
  const Summary ys = summarise("y", y);
  EXPECT_LT(std::abs(ys.mean), 4 * ys.mcse_mean);
  EXPECT_LT(std::abs(ys.variance - 1.0), 4 * ys.mcse_var);
  EXPECT_LT(ys.rhat, 1.05);
  // Eight schools non-centred: no divergences, R-hat fine, mu's posterior mean ≈ 4.4 (Stan's long-run value
  // 4.39 ± 3.3 sd); checked to 4 MCSE + 0.1 for the uncertainty of the published figure.
  EightSchools es(false);
  p.delta = 0.8;
  const auto e = run(es, p, 4, 6);
  // Stan also reports the odd divergence here at delta 0.8: allow at most 0.5 % of 4000 draws.
  EXPECT_LE(e.divergences, 20);
  EXPECT_LT(std::abs(e.summaries[0].mean - 4.39), 4 * e.summaries[0].mcse_mean + 0.1);
  for (const auto& s : e.summaries) EXPECT_LT(s.rhat, 1.05) << s.name;
}
