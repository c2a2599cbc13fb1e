#!/usr/bin/env python3
"""Recompute the sampo-mcmc summary (posterior 1.4.0 diagnostics) from an output file.

    tools/mcmc_summary.py OUTPUT.h5 [--min]    (--min: print only "min_bulk min_tail max_rhat")
"""
import sys

import h5py
import numpy as np
from scipy.special import ndtri
from scipy.stats import rankdata


def split(x):  # x[chain, draw]
    h = x.shape[1] // 2
    return np.concatenate([x[:, :h], x[:, x.shape[1] - h:]], axis=0)


def z_scale(x):
    r = rankdata(x.ravel(), method="average").reshape(x.shape)
    return ndtri((r - 0.375) / (x.size + 0.25))


def rhat_basic(x):
    n = x.shape[1]
    return np.sqrt((n * np.var(x.mean(axis=1), ddof=1) / np.mean(np.var(x, axis=1, ddof=1)) + n - 1) / n)


def ess_raw(x):
    m, n = x.shape
    c = x - x.mean(axis=1, keepdims=True)
    def acov(t):
        return np.mean(np.sum(c[:, : n - t] * c[:, t:], axis=1) / n)
    mean_var = acov(0) * n / (n - 1)
    var_plus = mean_var * (n - 1) / n + (np.var(x.mean(axis=1), ddof=1) if m > 1 else 0.0)
    rho = np.zeros(n)
    t, even, odd = 0, 1.0, 1 - (mean_var - acov(1)) / var_plus
    rho[0], rho[1] = even, odd
    while t + 5 < n and not np.isnan(even + odd) and even + odd > 0:
        t += 2
        even, odd = 1 - (mean_var - acov(t)) / var_plus, 1 - (mean_var - acov(t + 1)) / var_plus
        if even + odd >= 0:
            rho[t], rho[t + 1] = even, odd
    max_t = t
    if even > 0:
        rho[max_t] = even
    t = 0
    while t + 4 <= max_t:
        t += 2
        if rho[t] + rho[t + 1] > rho[t - 2] + rho[t - 1]:
            rho[t] = rho[t + 1] = (rho[t - 2] + rho[t - 1]) / 2
    tau = max(-1 + 2 * rho[:max_t].sum() + rho[max_t], 1 / np.log10(m * n))
    return m * n / tau


def diagnostics(x):
    s = split(x)
    med = np.quantile(s, 0.5)
    rhat = max(rhat_basic(z_scale(s)), rhat_basic(z_scale(np.abs(s - med))))
    bulk = ess_raw(z_scale(s))
    tail = min(ess_raw(split((x <= np.quantile(x, p)).astype(float))) for p in (0.05, 0.95))
    return rhat, bulk, tail


def main():
    f = h5py.File(sys.argv[1], "r")
    post = f["posterior"]
    rows = []
    for name, d in post.items():
        if name in ("chain", "draw") or "_dim_" in name:
            continue
        a = d[()]
        flat = a.reshape(a.shape[0], a.shape[1], -1)
        for k in range(flat.shape[2]):
            label = name if flat.shape[2] == 1 and a.ndim == 2 else f"{name}[{k}]"
            rows.append((label, flat[:, :, k]) )
    stats = [(label, x.mean(), x.std(ddof=1), *diagnostics(x)) for label, x in rows]
    if "--min" in sys.argv:
        print(f"{min(s[4] for s in stats):.6f} {min(s[5] for s in stats):.6f} {max(s[3] for s in stats):.10f}")
        return
    print(f"{'':16s} {'Mean':>10s} {'StdDev':>9s} {'ESS_bulk':>9s} {'ESS_tail':>9s} {'R_hat':>7s}")
    for label, mean, sd, rhat, bulk, tail in stats:
        print(f"{label:16s} {mean:10.4g} {sd:9.3g} {bulk:9.0f} {tail:9.0f} {rhat:7.4f}")


if __name__ == "__main__":
    main()
