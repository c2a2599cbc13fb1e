"""Plots for sampo-demo output: mean square displacement against its exact expectation σ²t."""
import matplotlib.pyplot as plt
import numpy as np


def plot(f, prefix):
    t, msd, exact = f["time"][()], f["msd"][()], f["msd_exact"][()]
    n = f["x"].shape[0]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(t, exact, "k-", label=r"exact $\sigma^2 t$")
    se = exact * np.sqrt(2.0 / n)
    ax.fill_between(t, exact - 3 * se, exact + 3 * se, color="0.85", label="±3 standard errors")
    ax.plot(t, msd, "C0o", ms=3, label=f"Sampo, {n} walkers")
    ax.set_xlabel("step")
    ax.set_ylabel("mean square displacement")
    ax.legend()
    fig.tight_layout()
    out = prefix + "_msd.png"
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return [out]
