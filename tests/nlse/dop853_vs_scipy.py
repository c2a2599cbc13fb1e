#!/usr/bin/env python3
"""sampo-nlse's dop853 against scipy.integrate.solve_ivp(method="DOP853") on the same right-hand side.

    dop853_vs_scipy.py OUTPUT.h5 [--steps-tol 0.01] [--agree 1e-8]

OUTPUT.h5 is a finished sampo-nlse run with time.method = "dop853". The deck is read back from the file's
provenance, so scipy integrates the same case: y = psi_hat = fft(psi) (numpy's unnormalised forward FFT, the
driver's FFTW convention), y' = -i sigma (beta/2) k^2 y + sigma fft(i (g|psi_f|^2 - V) psi_f), psi_f = ifft(sigma y),
sigma = 1 unless model.dealiasing = "filter" (then the source's exp(-alpha (|k|/k_c)^p)). scipy's DOP853 takes the
complex y as it is; its RMS norm is over the N complex components with |.| (np.linalg.norm / sqrt(N)), which is
what the driver computes (a global sum over ranks). Exit 0 if the accepted-step counts agree within --steps-tol
(relative) and all snapshots agree to --agree (max |psi - psi_scipy|); 1 otherwise; 77 without scipy or h5py.
"""
import sys

try:
    import numpy as np
    import h5py
    from scipy.integrate import solve_ivp
    import scipy
except ImportError as e:  # Debian python3-scipy / python3-h5py
    print(f"SKIP: {e} (install Debian python3-scipy and python3-h5py)")
    sys.exit(77)

try:
    import tomllib
except ImportError:  # Python < 3.11
    tomllib = None


def deck(f):
    text = f.attrs["deck"]
    text = text.decode() if isinstance(text, bytes) else str(text)
    if tomllib is not None:
        return tomllib.loads(text)
    import toml  # noqa: F401  (Debian python3-toml)
    return toml.loads(text)


def main():
    path = sys.argv[1]
    steps_tol = float(sys.argv[sys.argv.index("--steps-tol") + 1]) if "--steps-tol" in sys.argv else 0.01
    agree = float(sys.argv[sys.argv.index("--agree") + 1]) if "--agree" in sys.argv else 1e-8
    f = h5py.File(path, "r")
    d = deck(f)
    g_, m_, c_, t_ = d["grid"], d["model"], d["case"], d["time"]
    assert t_["method"] == "dop853", "the run must use time.method = dop853"
    n, L, x0 = int(g_["points"]), float(g_["length"]), float(g_["x0"])
    beta, gnl = float(m_["beta"]), float(m_["g"])
    assert m_["potential"] == "none" and c_["name"] == "soliton", "this comparison covers the soliton case, V = 0"
    x = x0 + np.arange(n) * (L / n)
    k = 2 * np.pi * np.fft.fftfreq(n, L / n)
    sigma = np.ones(n)
    if m_["dealiasing"] == "filter":
        kc = float(m_["filter_kc"]) * np.pi * n / L
        sigma = np.exp(-float(m_["filter_alpha"]) * (np.abs(k) / kc) ** float(m_["filter_order"]))
    elif m_["dealiasing"] != "none":
        raise SystemExit("dealiasing %s is not covered" % m_["dealiasing"])
    k2 = 0.5 * beta * k * k * sigma
    A, v, xs, th = (float(c_[s]) for s in ("amplitude", "velocity", "position", "phase"))
    t0, T = float(c_["t0"]), float(t_["duration"])

    def exact(t):
        return A / np.cosh(A * (x - xs - v * t)) * np.exp(1j * (v * x + 0.5 * (A * A - v * v) * t + th))

    def rhs(t, y):
        psi = np.fft.ifft(sigma * y)
        return y * (-1j * k2) + sigma * np.fft.fft(1j * (gnl * np.abs(psi) ** 2) * psi)

    nout = int(d["output"]["snapshots"])
    times = f["time"][()]
    t_eval = t0 + T * np.arange(nout + 1) / nout
    t_eval[-1] = t0 + T
    max_step = float(t_.get("max_step", 0.0)) or np.inf
    first = float(t_.get("first_step", 0.0)) or None
    sol = solve_ivp(rhs, (t0, t0 + T), np.fft.fft(exact(t0)), method="DOP853", t_eval=t_eval, rtol=float(t_["rtol"]),
                    atol=float(t_["atol"]), max_step=max_step, first_step=first, dense_output=True)
    assert sol.success, sol.message
    steps_scipy = len(sol.sol.ts) - 1
    counters = f.attrs["counters_accepted_rejected_rhs_ffts"]
    steps_sampo = int(counters[0])
    psi = f["psi"][()]
    psi = psi["r"] + 1j * psi["i"] if psi.dtype.names else psi
    diff = max(np.max(np.abs(psi[i] - np.fft.ifft(sol.y[:, i]))) for i in range(len(times)))
    err_scipy = np.max(np.abs(np.fft.ifft(sol.y[:, -1]) - exact(t0 + T)))
    err_sampo = float(f["max_error"][-1])
    rel = abs(steps_sampo - steps_scipy) / steps_scipy
    print(f"scipy {scipy.__version__} DOP853: {steps_scipy} accepted steps, {sol.nfev} RHS evaluations, "
          f"final max error vs exact {err_scipy:.3e}")
    print(f"sampo dop853: {steps_sampo} accepted ({int(counters[1])} rejected), {int(counters[2])} RHS evaluations, "
          f"final max error vs exact {err_sampo:.3e}")
    print(f"dealiasing {m_['dealiasing']}: step counts differ by {100 * rel:.3f} % (allowed {100 * steps_tol:g} %), "
          f"max |psi_sampo - psi_scipy| over {len(times)} snapshots = {diff:.3e} (allowed {agree:g})")
    ok = len(times) == len(t_eval) and np.allclose(times, t_eval, rtol=0, atol=1e-12) and rel <= steps_tol and diff <= agree
    print("ok" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
