#!/usr/bin/env python3
"""Plots sampo-walks outputs: TVD and NRMSE against steps for several runs (e.g. several alpha), the scaled
variance against the exact oracle, and the SA-SRRW MSE against steps (one line per run / step-size regime).

    /usr/bin/python3 tools/walks_plot.py runs/walks/a*/walks.h5 --out walks.png

Needs h5py, numpy and matplotlib (Debian: python3-h5py python3-numpy python3-matplotlib; use /usr/bin/python3).
"""
import argparse
import re
import sys

try:
    import h5py
    import numpy as np
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError as e:  # pragma: no cover
    sys.exit(f"walks_plot.py: {e}; run with /usr/bin/python3 (Debian's python3-h5py, -numpy, -matplotlib)")


def deck_value(deck, section, key):
    """A key of the resolved TOML deck stored in the file (no toml module needed for this flat format)."""
    m = re.search(r"^\[" + section + r"\]\s*$(.*?)(^\[|\Z)", deck, re.S | re.M)
    if not m:
        return None
    k = re.search(r"^" + key + r"\s*=\s*(.+)$", m.group(1), re.M)
    return k.group(1).strip().strip('"') if k else None


def label_of(f, path):
    deck = f.attrs["deck"]
    deck = deck.decode() if isinstance(deck, bytes) else deck
    method, chain, alpha = (deck_value(deck, "walk", k) for k in ("method", "chain", "alpha"))
    lab = f"{method}/{chain} a={alpha}"
    if deck_value(deck, "sa", "enabled") == "true":
        lab += f" (gamma {deck_value(deck, 'walk', 'gamma_exponent')}, beta {deck_value(deck, 'sa', 'beta_exponent')})"
    return lab


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+", help="sampo-walks output files")
    ap.add_argument("--out", default="walks.png", help="figure file (png, pdf, ...)")
    args = ap.parse_args()

    fig, ax = plt.subplots(2, 2, figsize=(11, 8))
    any_sa = False
    for path in args.files:
        with h5py.File(path, "r") as f:
            if f.attrs.get("complete", 0) != 1:
                print(f"skipping {path}: incomplete output", file=sys.stderr)
                continue
            lab = label_of(f, path)
            s = f["series"]
            n = s["step"][()]
            ok = n > 0
            names = f["functions"].attrs["names"]
            names = (names.decode() if isinstance(names, bytes) else names).split(",")
            ax[0, 0].loglog(n[ok], s["tvd"][()][ok], label=lab)
            for q, name in enumerate(names):
                ax[0, 1].loglog(n[ok], s["nrmse"][()][ok, q], label=f"{lab}: {name}")
                line, = ax[1, 0].loglog(n[ok], s["scaled_variance"][()][ok, q], label=f"{lab}: {name}")
                if "oracle" in f:
                    ax[1, 0].axhline(f["oracle/predicted"][q], color=line.get_color(), ls="--")
            if "theta" in f["tokens"]:
                any_sa = True
                ax[1, 1].loglog(n[ok], s["mse"][()][ok], label=lab)
    ax[0, 0].set(xlabel="steps n", ylabel="mean TVD(x_n, mu)", title="convergence of the empirical measure")
    ax[0, 1].set(xlabel="steps n", ylabel="NRMSE of x_n f", title="estimation error")
    ax[1, 0].set(xlabel="steps n", ylabel="n Var_tokens(x_n f)", title="scaled variance (dashed: exact oracle)")
    ax[1, 1].set(xlabel="steps n", ylabel="mean ||theta - theta*||^2", title="SA-SRRW MSE" if any_sa else "(no SA runs)")
    for a in ax.flat:
        if a.get_legend_handles_labels()[0]:
            a.legend(fontsize=7)
        a.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
