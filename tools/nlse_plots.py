#!/usr/bin/env python3
"""Plots a sampo-nlse output from the HDF5 file alone: the |psi(x, t)| space-time image, the power-spectrum image
log10 S(k, t), the invariant drift (relative mass and energy, absolute momentum, and the filter-consistent
Hamiltonian when present) and the x- and k-space entropies (Shannon, Renyi_q, Tsallis_q). Prints a short summary.

    /usr/bin/python3 tools/nlse_plots.py runs/nlse/nlse.h5 --out nlse.png

Needs h5py, numpy and matplotlib (Debian: python3-h5py python3-numpy python3-matplotlib; use /usr/bin/python3).
Schema: docs/nlse.md ("Output").
"""
import argparse
import sys

try:
    import h5py
    import numpy as np
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError as e:  # pragma: no cover
    sys.exit(f"nlse_plots.py: {e}; run with /usr/bin/python3 (Debian's python3-h5py, -numpy, -matplotlib)")


def attr_str(f, name):
    v = f.attrs.get(name, "")
    return v.decode() if isinstance(v, bytes) else str(v)


def drift(series, relative):
    d = series - series[0]
    return d / abs(series[0]) if relative and series[0] != 0 else d


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("h5", help="sampo-nlse output (nlse.h5)")
    ap.add_argument("--out", default="nlse.png", help="figure file (PNG, PDF, SVG by extension)")
    ap.add_argument("--dpi", type=int, default=110)
    a = ap.parse_args()

    with h5py.File(a.h5, "r") as f:
        t = f["time"][()]
        title = f"{attr_str(f, 'method')}, dealiasing {attr_str(f, 'dealiasing')}"
        fig, ax = plt.subplots(2, 2, figsize=(12, 8.5), constrained_layout=True)
        fig.suptitle(f"{a.h5}: {title}")

        # |psi(x, t)|
        if "psi" in f:
            x, psi = f["x"][()], np.abs(f["psi"][()])
            im = ax[0, 0].pcolormesh(x, t, psi, shading="nearest", cmap="magma")
            fig.colorbar(im, ax=ax[0, 0], label="|ψ|")
            ax[0, 0].set(xlabel="x", ylabel="t", title="|ψ(x, t)|")
        else:
            ax[0, 0].text(0.5, 0.5, "no /psi (output.psi = false)", ha="center", transform=ax[0, 0].transAxes)

        # spectrum image, modes sorted by k (stored in FFT order)
        if "spectrum" in f:
            k, S = f["k"][()], f["spectrum"][()]
            order = np.argsort(k)
            floor = max(S.max() * 1e-30, np.finfo(float).tiny)
            im = ax[0, 1].pcolormesh(k[order], t, np.log10(np.maximum(S[:, order], floor)), shading="nearest",
                                     cmap="viridis")
            fig.colorbar(im, ax=ax[0, 1], label="log10 S(k)")
            ax[0, 1].set(xlabel="k", ylabel="t", title="power spectrum S(k, t) = dx²|ψ̂|²/2π")
        else:
            ax[0, 1].text(0.5, 0.5, "no /spectrum", ha="center", transform=ax[0, 1].transAxes)

        # invariant drift
        lines = [("mass", True, "ΔM/M"), ("energy", True, "ΔE/|E|"), ("momentum", False, "ΔP"),
                 ("hamiltonian_filtered", True, "ΔH_σ/|H_σ|")]
        summary = []
        for name, rel, label in lines:
            if name not in f:
                continue
            d = drift(f[name][()], rel)
            ax[1, 0].semilogy(t, np.maximum(np.abs(d), 1e-17), label=label)
            summary.append(f"{label} at the end {d[-1]:.3e} (max {np.abs(d).max():.3e})")
        if "max_error" in f and np.isfinite(f["max_error"][()]).any():
            e = f["max_error"][()]
            ax[1, 0].semilogy(t, np.maximum(e, 1e-17), "k--", label="max |ψ − ψ_exact|")
            summary.append(f"max error against the exact solution {np.nanmax(e):.3e}")
        ax[1, 0].set(xlabel="t", ylabel="|drift|", title="invariant drift")
        ax[1, 0].legend(fontsize=8)

        # entropies
        for name, style in (("entropy_x", "-"), ("entropy_k", "--")):
            if name not in f:
                continue
            E, q = f[name][()], float(f[name].attrs.get("q", np.nan))
            space = name[-1]
            for i, lab in enumerate(("Shannon", f"Rényi q={q:g}", f"Tsallis q={q:g}")):
                ax[1, 1].plot(t, E[:, i], style, color=f"C{i}", label=f"{lab} ({space})")
        ax[1, 1].set(xlabel="t", ylabel="entropy", title="entropies of |ψ|²/M (x, solid) and S(k)/M (k, dashed)")
        ax[1, 1].legend(fontsize=7, ncol=2)
        fig.savefig(a.out, dpi=a.dpi)

        c = f.attrs.get("counters_accepted_rejected_rhs_ffts")
        if c is not None:
            summary.append(f"steps {c[0]}, rejected {c[1]}, RHS {c[2]}, FFTs {c[3]}")
        if "soliton_shift_theory" in f.attrs:
            summary.append(f"two-soliton shifts measured {np.array2string(f.attrs['soliton_shift_measured'])} "
                           f"theory {np.array2string(f.attrs['soliton_shift_theory'])}")
    print(f"{a.h5}: {len(t)} output times, t = {t[0]:g} … {t[-1]:g}; {title}")
    for s in summary:
        print("  " + s)
    print(f"figure written to {a.out}")


if __name__ == "__main__":
    main()
