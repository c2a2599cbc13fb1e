#!/usr/bin/python3
"""Report on a sampo-smc output file: filter against Kalman/truth, PPG bias against iteration, roll-out estimate,
parameter trajectories. Uses Debian's h5py/numpy (run with /usr/bin/python3); --plot needs matplotlib.

    /usr/bin/python3 tools/smc_report.py runs/smc_ppg_lg/smc.h5 [--plot report.png]
"""
import argparse
import sys

try:
    import h5py
    import numpy as np
except ImportError as e:  # pragma: no cover
    sys.exit(f"smc_report: {e}; run with /usr/bin/python3 (Debian python3-h5py, python3-numpy)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file")
    ap.add_argument("--plot", help="write a figure (PNG) with the filter, bias and parameter panels")
    a = ap.parse_args()
    f = h5py.File(a.file, "r")
    if f.attrs.get("complete", 0) != 1:
        sys.exit(f"{a.file}: incomplete output")
    mode = f.attrs["mode"]
    print(f"{a.file}: mode {mode}, model {f.attrs['model']}, seed {f.attrs['seed']}, ranks {f.attrs['mpi_ranks']}")
    exact = f["exact/functionals"][()] if "exact/functionals" in f else None
    names = f["exact/functionals"].attrs["names"].split(",") if exact is not None else None
    panels = []
    if "filter" in f:
        g = f["filter"]
        print(f"  log-likelihood estimate {g.attrs['loglik']:.4f}", end="")
        if "exact" in f:
            print(f"  (Kalman {f['exact'].attrs['loglik']:.4f})", end="")
        print(f"; resampled at {int(g['resampled'][()].sum())} of {len(g['ess'])} steps; min ESS {g['ess'][()].min():.1f}")
        if "mean" in g:
            m = g["mean"][()]
            if "exact" in f:
                e = f["exact/mean"][()]
                z = (m - e) / np.sqrt(f["exact/var"][()])
                print(f"  filter mean vs Kalman: max |Δ| {np.abs(m - e).max():.4g}, max |Δ|/sd {np.abs(z).max():.3f}")
            if "observations/x_true" in f:
                x = f["observations/x_true"][()]
                print(f"  filter mean vs truth: RMSE {np.sqrt(((m - x) ** 2).mean()):.4f}")
            panels.append("filter")
        if "smoothing" in f:
            est = f["smoothing/estimate"][()]
            for i, n in enumerate(f["smoothing"].attrs["names"].split(",")):
                ex = f"  exact {exact[i]:.4f}  error {est[i] - exact[i]:+.4f}" if exact is not None else ""
                print(f"  PaRIS {n} = {est[i]:.4f}{ex}")
    if "ppg" in f:
        g = f["ppg"]
        est = g["estimate"][()]  # (C, K+1, m)
        pn = g.attrs["names"].split(",")
        C = est.shape[0]
        print(f"  PPG: {C} chains, {est.shape[1] - 1} iterations, burn-in {g.attrs['burn_in']}")
        for i, n in enumerate(pn):
            if exact is not None and n in names and mode == "ppg":
                ex = exact[names.index(n)]
                bias = est[:, :, i].mean(0) - ex
                se = est[:, :, i].std(0, ddof=1) / np.sqrt(C) if C > 1 else np.zeros_like(bias)
                print(f"  {n}: exact {ex:.4f}; bias by iteration (mean over chains ± se):")
                K = len(bias) - 1
                shown = sorted({k for k in (0, 1, 2, 3, 5, 10, 20, 50, 100, 200, 500, K) if k <= K})
                for k in shown:
                    print(f"    {k:4d} {bias[k]:+10.4f} ± {se[k]:.4f}")
                print(f"  roll-out {g['rollout_mean'][i]:.4f} ± {g['rollout_stderr'][i]:.4f} (error {g['rollout_mean'][i] - ex:+.4f})")
                panels.append("bias")
            else:
                print(f"  {n}: roll-out {g['rollout_mean'][i]:.4f} ± {g['rollout_stderr'][i]:.4f}")
    if "learn" in f:
        th = f["learn/theta"][()]
        pn = f["learn"].attrs["names"].split(",")
        K = th.shape[1] - 1
        tail = th[:, K // 2:, :].mean(1)
        for c in range(min(th.shape[0], 4)):
            print(f"  chain {c}: θ_0 = {dict(zip(pn, np.round(th[c, 0], 4)))} → θ_K = {dict(zip(pn, np.round(th[c, -1], 4)))}"
                  f"; mean over the second half {dict(zip(pn, np.round(tail[c], 4)))}")
        panels.append("learn")
    if a.plot and panels:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.8), squeeze=False)
        for p, axis in zip(panels, ax[0]):
            if p == "filter":
                t = f["time"][()]
                axis.plot(t, f["filter/mean"][:, 0], label="particle filter")
                if "exact" in f:
                    axis.plot(t, f["exact/mean"][:, 0], "--", label="Kalman")
                if "observations/x_true" in f:
                    axis.plot(t, f["observations/x_true"][:, 0], ".", ms=3, label="truth")
                axis.set_xlabel("t"), axis.set_title("filtering mean"), axis.legend()
            elif p == "bias":
                est = f["ppg/estimate"][:, :, 0]
                ex = exact[names.index(f["ppg"].attrs["names"].split(",")[0])]
                axis.errorbar(np.arange(est.shape[1]), est.mean(0) - ex,
                              yerr=est.std(0, ddof=1) / np.sqrt(est.shape[0]) if est.shape[0] > 1 else None, fmt="o-")
                axis.axhline(0, color="k", lw=0.5)
                axis.set_xlabel("PPG iteration"), axis.set_title("bias (0 = PaRIS)")
            elif p == "learn":  # (the /exact values of a learn run refer to the starting θ, so no bias panel)
                th = f["learn/theta"][()]
                for c in range(th.shape[0]):
                    for i, n in enumerate(f["learn"].attrs["names"].split(",")):
                        if n in f["learn"].attrs["learned"].split(","):
                            axis.plot(th[c, :, i], label=f"{n} (chain {c})")
                axis.set_xlabel("iteration"), axis.set_title("parameters"), axis.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(a.plot, dpi=120)
        print(f"  figure: {a.plot}")


if __name__ == "__main__":
    main()
