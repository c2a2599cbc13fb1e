#pragma once
// Convergence diagnostics exactly as in the `posterior` R package 1.4.0 (Vehtari et al. 2021): rank-normalised
// split R-hat, bulk and tail ESS, MCSE. Input: draws[c][i], M chains of N draws each (serial, pure functions).
#include <span>
#include <string>
#include <vector>

namespace sampo::mcmc {

using Chains = std::vector<std::vector<double>>;  // [chain][draw]

// Φ⁻¹(p), Wichura's AS241 (relative accuracy about 1e-16).
double inv_normal_cdf(double p);

// Split each chain in halves of ⌊N/2⌋ (odd N drops the middle draw).
Chains split_chains(const Chains& x);
// Pooled rank-normalisation z = Φ⁻¹((r − 3/8)/(S + 1/4)), ties get the average rank.
Chains z_scale(const Chains& x);
// Classic R-hat of the given chains (no splitting).
double rhat_basic(const Chains& x);
// ESS of the given chains (no splitting, no normalisation): Geyer initial positive + monotone sequence.
double ess_raw(const Chains& x);

double rhat(const Chains& x);                      // max of bulk and folded rank-normalised split R-hat
double ess_bulk(const Chains& x);                  // ESS of z_scale(split(x))
double ess_tail(const Chains& x);                  // min ESS of I[x ≤ q05], I[x ≤ q95], split
double ess_mean(const Chains& x);                  // ESS of split(x)
double quantile(std::vector<double> v, double p);  // type 7 (linear interpolation)

struct Summary {
  std::string name;
  double mean = 0, sd = 0, mcse_mean = 0, mcse_var = 0, q05 = 0, q50 = 0, q95 = 0;
  double rhat = 0, ess_bulk = 0, ess_tail = 0;
  double variance = 0;
};
// Summary of one scalar: mean, sd, MCSE of mean (sd/√ESS_mean) and of the variance (sd of (x−x̄)² over
// √ESS of (x−x̄)², split), quantiles, R-hat, ESS.
Summary summarise(const std::string& name, const Chains& x);

// E-BFMI of one chain's energies: Σ (E_i − E_{i−1})² / Σ (E_i − Ē)².
double e_bfmi(std::span<const double> energy);

// A CmdStan-like table (stansummary) of the summaries.
std::string format_table(const std::vector<Summary>& s);

}  // namespace sampo::mcmc
