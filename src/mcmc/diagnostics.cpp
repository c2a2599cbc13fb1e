#include "mcmc/diagnostics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>

namespace sampo::mcmc {

double inv_normal_cdf(double p) {
  // AS241 PPND16
  if (p <= 0.0) return -std::numeric_limits<double>::infinity();
  if (p >= 1.0) return std::numeric_limits<double>::infinity();
  const double q = p - 0.5;
  if (std::abs(q) <= 0.425) {
    const double r = 0.180625 - q * q;
    return q *
           (((((((2509.0809287301226727 * r + 33430.575583588128105) * r + 67265.770927008700853) * r +
                45921.953931549871457) *
                   r +
               13731.693765509461125) *
                  r +
              1971.5909503065514427) *
                 r +
             133.14166789178437745) *
                r +
            3.387132872796366608) /
           (((((((5226.495278852545925 * r + 28729.085735721942674) * r + 39307.89580009271061) * r +
                21213.794301586595867) *
                   r +
               5394.1960214247511077) *
                  r +
              687.1870074920579083) *
                 r +
             42.313330701600911252) *
                r +
            1.0);
  }
  double r = q < 0 ? p : 1.0 - p;
  r = std::sqrt(-std::log(r));
  double val;
  if (r <= 5.0) {
    r -= 1.6;
    val = (((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r + 0.24178072517745061177) * r +
               1.27045825245236838258) *
                  r +
              3.64784832476320460504) *
                 r +
             5.7694972214606914055) *
                r +
            4.6303378461565452959) *
               r +
           1.42343711074968357734) /
          (((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r + 0.0151986665636164571966) * r +
               0.14810397642748007459) *
                  r +
              0.68976733498510000455) *
                 r +
             1.6763848301838038494) *
                r +
            2.05319162663775882187) *
               r +
           1.0);
  } else {
    r -= 5.0;
    val = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r + 0.0012426609473880784386) * r +
               0.026532189526576123093) *
                  r +
              0.29656057182850489123) *
                 r +
             1.7848265399172913358) *
                r +
            5.4637849111641143699) *
               r +
           6.6579046435011037772) /
          (((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r +
               7.868691311456132591e-4) *
                  r +
              0.0148753612908506148525) *
                 r +
             0.13692988092273580531) *
                r +
            0.59983220655588793769) *
               r +
           1.0);
  }
  return q < 0 ? -val : val;
}

Chains split_chains(const Chains& x) {
  Chains out;
  for (const auto& c : x) {
    const std::size_t n = c.size(), h = n / 2;
    out.emplace_back(c.begin(), c.begin() + static_cast<std::ptrdiff_t>(h));
    out.emplace_back(c.end() - static_cast<std::ptrdiff_t>(h), c.end());
  }
  return out;
}

Chains z_scale(const Chains& x) {
  std::vector<std::pair<double, std::size_t>> all;
  for (std::size_t c = 0; c < x.size(); ++c)
    for (std::size_t i = 0; i < x[c].size(); ++i) all.emplace_back(x[c][i], all.size());
  const std::size_t S = all.size();
  std::vector<double> rank(S);
  std::sort(all.begin(), all.end());
  for (std::size_t i = 0; i < S;) {
    std::size_t j = i;
    while (j + 1 < S && all[j + 1].first == all[i].first) ++j;
    const double r = 0.5 * static_cast<double>(i + j) + 1.0;  // average of ranks i+1 .. j+1
    for (std::size_t k = i; k <= j; ++k) rank[all[k].second] = r;
    i = j + 1;
  }
  Chains z = x;
  std::size_t k = 0;
  for (auto& c : z)
    for (auto& v : c) v = inv_normal_cdf((rank[k++] - 0.375) / (static_cast<double>(S) + 0.25));
  return z;
}

namespace {
double mean_of(const std::vector<double>& v) {
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}
double var_of(const std::vector<double>& v) {
  const double m = mean_of(v);
  double s = 0;
  for (double a : v) s += (a - m) * (a - m);
  return s / static_cast<double>(v.size() - 1);
}
}  // namespace

double rhat_basic(const Chains& x) {
  const auto m = x.size();
  const double n = static_cast<double>(x[0].size());
  std::vector<double> means(m), vars(m);
  for (std::size_t c = 0; c < m; ++c) {
    means[c] = mean_of(x[c]);
    vars[c] = var_of(x[c]);
  }
  const double B = n * var_of(means), W = mean_of(vars);
  return std::sqrt((B / W + n - 1.0) / n);
}

double ess_raw(const Chains& x) {
  const std::size_t m = x.size(), n = x[0].size();
  if (n < 3) return std::numeric_limits<double>::quiet_NaN();
  std::vector<std::vector<double>> centred(m);
  std::vector<double> means(m);
  for (std::size_t c = 0; c < m; ++c) {
    means[c] = mean_of(x[c]);
    centred[c].resize(n);
    for (std::size_t i = 0; i < n; ++i) centred[c][i] = x[c][i] - means[c];
  }
  // Mean over chains of the biased autocovariance at lag t, computed on demand (the Geyer sequence usually stops
  // after a few lags, so this is O(n · lags) instead of an FFT; same numbers up to rounding).
  auto acov = [&](std::size_t t) {
    double s = 0;
    for (std::size_t c = 0; c < m; ++c) {
      double a = 0;
      for (std::size_t i = 0; i + t < n; ++i) a += centred[c][i] * centred[c][i + t];
      s += a / static_cast<double>(n);
    }
    return s / static_cast<double>(m);
  };
  const double nd = static_cast<double>(n);
  const double mean_var = acov(0) * nd / (nd - 1.0);
  double var_plus = mean_var * (nd - 1.0) / nd;
  if (m > 1) var_plus += var_of(means);
  if (!(var_plus > 0)) return std::numeric_limits<double>::quiet_NaN();
  std::vector<double> rho(n, 0.0);
  std::size_t t = 0;
  double even = 1.0, odd = 1.0 - (mean_var - acov(1)) / var_plus;
  rho[0] = even;
  rho[1] = odd;
  while (t + 5 < n && !std::isnan(even + odd) && even + odd > 0) {
    t += 2;
    even = 1.0 - (mean_var - acov(t)) / var_plus;
    odd = 1.0 - (mean_var - acov(t + 1)) / var_plus;
    if (even + odd >= 0) {
      rho[t] = even;
      rho[t + 1] = odd;
    }
  }
  const std::size_t max_t = t;
  if (even > 0) rho[max_t] = even;
  t = 0;
  while (t + 4 <= max_t) {
    t += 2;
    if (rho[t] + rho[t + 1] > rho[t - 2] + rho[t - 1]) {
      rho[t] = 0.5 * (rho[t - 2] + rho[t - 1]);
      rho[t + 1] = rho[t];
    }
  }
  double total = static_cast<double>(m) * nd;
  double tau =
      -1.0 + 2.0 * std::accumulate(rho.begin(), rho.begin() + static_cast<std::ptrdiff_t>(max_t), 0.0) + rho[max_t];
  tau = std::max(tau, 1.0 / std::log10(total));
  return total / tau;
}

double rhat(const Chains& x) {
  const auto s = split_chains(x);
  std::vector<double> all;
  for (const auto& c : s) all.insert(all.end(), c.begin(), c.end());
  const double med = quantile(all, 0.5);
  Chains folded = s;
  for (auto& c : folded)
    for (auto& v : c) v = std::abs(v - med);
  return std::max(rhat_basic(z_scale(s)), rhat_basic(z_scale(folded)));
}

double ess_bulk(const Chains& x) {
  return ess_raw(z_scale(split_chains(x)));
}
double ess_mean(const Chains& x) {
  return ess_raw(split_chains(x));
}

double quantile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const double h = (static_cast<double>(v.size()) - 1.0) * p;
  const auto lo = static_cast<std::size_t>(std::floor(h));
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (h - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

double ess_tail(const Chains& x) {
  std::vector<double> all;
  for (const auto& c : x) all.insert(all.end(), c.begin(), c.end());
  double best = std::numeric_limits<double>::infinity();
  for (double p : {0.05, 0.95}) {
    const double q = quantile(all, p);
    Chains ind = x;
    for (auto& c : ind)
      for (auto& v : c) v = v <= q ? 1.0 : 0.0;
    best = std::min(best, ess_raw(split_chains(ind)));
  }
  return best;
}

Summary summarise(const std::string& name, const Chains& x) {
  Summary s;
  s.name = name;
  std::vector<double> all;
  for (const auto& c : x) all.insert(all.end(), c.begin(), c.end());
  s.mean = mean_of(all);
  s.variance = var_of(all);
  s.sd = std::sqrt(s.variance);
  s.mcse_mean = s.sd / std::sqrt(ess_mean(x));
  Chains sq = x;
  for (auto& c : sq)
    for (auto& v : c) v = (v - s.mean) * (v - s.mean);
  std::vector<double> allsq;
  for (const auto& c : sq) allsq.insert(allsq.end(), c.begin(), c.end());
  s.mcse_var = std::sqrt(var_of(allsq)) / std::sqrt(ess_mean(sq));
  s.q05 = quantile(all, 0.05);
  s.q50 = quantile(all, 0.5);
  s.q95 = quantile(all, 0.95);
  s.rhat = rhat(x);
  s.ess_bulk = ess_bulk(x);
  s.ess_tail = ess_tail(x);
  return s;
}

double e_bfmi(std::span<const double> e) {
  if (e.size() < 2) return std::numeric_limits<double>::quiet_NaN();
  double m = 0;
  for (double v : e) m += v;
  m /= static_cast<double>(e.size());
  double num = 0, den = 0;
  for (std::size_t i = 0; i < e.size(); ++i) {
    den += (e[i] - m) * (e[i] - m);
    if (i > 0) num += (e[i] - e[i - 1]) * (e[i] - e[i - 1]);
  }
  return num / den;
}

std::string format_table(const std::vector<Summary>& s) {
  std::string out;
  char buf[256];
  std::snprintf(buf, sizeof buf, "%-16s %10s %9s %9s %10s %10s %10s %8s %8s %7s\n", "", "Mean", "MCSE", "StdDev", "5%",
                "50%", "95%", "ESS_bulk", "ESS_tail", "R_hat");
  out += buf;
  for (const auto& r : s) {
    std::snprintf(buf, sizeof buf, "%-16s %10.4g %9.3g %9.3g %10.4g %10.4g %10.4g %8.0f %8.0f %7.4f\n", r.name.c_str(),
                  r.mean, r.mcse_mean, r.sd, r.q05, r.q50, r.q95, r.ess_bulk, r.ess_tail, r.rhat);
    out += buf;
  }
  return out;
}

}  // namespace sampo::mcmc
