#!/usr/bin/env python3
"""Trace, rank and pair plots of a sampo-mcmc output file (also a running <output>.part).

    tools/mcmc_plots.py OUTPUT.h5 [--vars mu,tau,theta[0]] [--max 6] [--out DIR] [--kinds trace,rank,pair]
                        [--bins 20] [--warmup]

Writes DIR/trace.png (draws per chain against the draw index; --warmup prepends the warmup_posterior draws, in
grey, when the file has them), DIR/rank.png (for each parameter, the histogram of each chain's ranks among all
chains' draws, relative to the uniform count: flat bars near 1 mean the chains mix; Vehtari et al. 2021) and
DIR/pair.png (scatter of every pair, histograms on the diagonal, divergent transitions in red). Parameters are
named as in the summary: "x[3]", "theta[1]", "L[0,2]"; by default the first --max of them. Needs matplotlib
(Debian python3-matplotlib), numpy, scipy and h5py.
"""
import argparse
import os
import sys

import h5py
import numpy as np
from scipy.stats import rankdata


def scalar_params(group):
    """{name: array[chain, draw]} of every scalar component of the group's [chain, draw, ...] variables, in order."""
    out = {}
    for k, v in group.items():
        if v.ndim < 2 or k in ("chain", "draw") or k.endswith(tuple(f"_dim_{i}" for i in range(8))):
            continue
        a = v[()]
        if a.ndim == 2:
            out[k] = a
            continue
        for idx in np.ndindex(*a.shape[2:]):
            out[f"{k}[{','.join(map(str, idx))}]"] = a[(slice(None), slice(None)) + idx]
    return out


def rank_histograms(x, bins):
    """Per-chain histograms of the pooled ranks of x[chain, draw] (ties averaged), bins equal in rank."""
    r = rankdata(x.ravel(), method="average").reshape(x.shape)
    edges = np.linspace(0.5, x.size + 0.5, bins + 1)
    return np.array([np.histogram(r[c], bins=edges)[0] for c in range(x.shape[0])])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("file")
    ap.add_argument("--vars", default="", help="comma-separated parameter names (default: the first --max)")
    ap.add_argument("--max", type=int, default=6)
    ap.add_argument("--out", default=".")
    ap.add_argument("--kinds", default="trace,rank,pair")
    ap.add_argument("--bins", type=int, default=20)
    ap.add_argument("--warmup", action="store_true")
    a = ap.parse_args(argv)
    with h5py.File(a.file, "r") as f:
        params = scalar_params(f["posterior"])
        warm = scalar_params(f["warmup_posterior"]) if a.warmup and "warmup_posterior" in f else {}
        div = f["sample_stats/diverging"][()].astype(bool) if "sample_stats/diverging" in f else None
        title = f"{os.path.basename(a.file)}: {f.attrs.get('target', '')} ({f.attrs.get('sampler', '')})"
    names = [s for s in a.vars.split(",") if s] if a.vars else list(params)[: a.max]
    missing = [n for n in names if n not in params]
    if missing:
        sys.exit(f"mcmc_plots: no parameter {missing} in {a.file}; have {list(params)[:20]}...")
    if not names or next(iter(params.values())).shape[1] == 0:
        sys.exit(f"mcmc_plots: {a.file} has no posterior draws yet")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(a.out, exist_ok=True)
    kinds = set(a.kinds.split(","))
    written = []
    if "trace" in kinds:
        fig, axes = plt.subplots(len(names), 1, figsize=(9, 1.8 * len(names)), squeeze=False, sharex=True)
        for ax, n in zip(axes[:, 0], names):
            x = params[n]
            w = warm.get(n)
            off = 0 if w is None else w.shape[1]
            if w is not None:
                for c in range(w.shape[0]):
                    ax.plot(np.arange(off), w[c], color="0.7", lw=0.5)
            for c in range(x.shape[0]):
                ax.plot(off + np.arange(x.shape[1]), x[c], lw=0.5, label=f"chain {c}")
            ax.set_ylabel(n)
        axes[-1, 0].set_xlabel("draw" + (" (after the warm-up, grey)" if warm else ""))
        axes[0, 0].set_title(title)
        fig.tight_layout()
        written.append(os.path.join(a.out, "trace.png"))
        fig.savefig(written[-1], dpi=90)
        plt.close(fig)
    if "rank" in kinds:
        fig, axes = plt.subplots(len(names), 1, figsize=(7, 1.8 * len(names)), squeeze=False)
        for ax, n in zip(axes[:, 0], names):
            h = rank_histograms(params[n], a.bins)
            expected = params[n].shape[1] / a.bins
            centres = np.arange(a.bins) + 0.5
            for c in range(h.shape[0]):
                ax.step(centres, h[c] / expected, where="mid", lw=1, label=f"chain {c}")
            ax.axhline(1.0, color="k", ls="--", lw=0.8)
            ax.set_ylabel(n)
            ax.set_xticks([])
        axes[-1, 0].set_xlabel(f"rank bin ({a.bins} bins; count / uniform count)")
        axes[0, 0].set_title(title)
        fig.tight_layout()
        written.append(os.path.join(a.out, "rank.png"))
        fig.savefig(written[-1], dpi=90)
        plt.close(fig)
    if "pair" in kinds and len(names) >= 2:
        k = len(names)
        fig, axes = plt.subplots(k, k, figsize=(2 * k, 2 * k), squeeze=False)
        flat = {n: params[n].ravel() for n in names}
        d = div.ravel() if div is not None and div.shape == params[names[0]].shape else np.zeros(flat[names[0]].size, bool)
        for i, ni in enumerate(names):
            for j, nj in enumerate(names):
                ax = axes[i, j]
                if i == j:
                    ax.hist(flat[ni], bins=30, color="C0")
                elif i > j:
                    ax.plot(flat[nj][~d], flat[ni][~d], ".", ms=1, alpha=0.3, color="C0")
                    ax.plot(flat[nj][d], flat[ni][d], ".", ms=3, color="red")
                else:
                    ax.axis("off")
                if i == k - 1:
                    ax.set_xlabel(nj)
                if j == 0 and i > 0:
                    ax.set_ylabel(ni)
        fig.suptitle(title + (f"; {int(d.sum())} divergent (red)" if d.any() else ""))
        fig.tight_layout()
        written.append(os.path.join(a.out, "pair.png"))
        fig.savefig(written[-1], dpi=90)
        plt.close(fig)
    for w in written:
        print(w)


if __name__ == "__main__":
    main()
