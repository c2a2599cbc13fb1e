#!/usr/bin/env python3
"""Max |psi - psi_exact| at T of an XMDS2 run of tests/perf/nlse_xmds2_two_soliton.xmds (HDF5 group /1: x, psireal,
psiimag) against the exact Hirota two-soliton (A, v) = (2, 2), (1.5, -2) from x = -10, 10 (reference nlse.md 2).
  nlse_xmds2_error.py OUT.h5 [T]  ->  prints the max error"""
import sys

import h5py
import numpy as np


def hirota(x, t, A1=2.0, v1=2.0, x1=-10.0, A2=1.5, v2=-2.0, x2=10.0):
    k1, k2 = complex(A1, v1), complex(A2, v2)
    e10 = -A1 * x1 + np.log(2 * A1)
    e20 = -A2 * x2 + np.log(2 * A2) - np.log((k1 - k2) ** 2 / (k2 + np.conj(k1)) ** 2)
    eta1 = k1 * x + 0.5j * k1 * k1 * t + e10
    eta2 = k2 * x + 0.5j * k2 * k2 * t + e20
    a = lambda ki, kj: 1.0 / (ki + np.conj(kj)) ** 2
    b = (k1 - k2) ** 2
    g = (np.exp(eta1) + np.exp(eta2) + b * a(k1, k1) * a(k2, k1) * np.exp(eta1 + eta2 + np.conj(eta1))
         + b * a(k1, k2) * a(k2, k2) * np.exp(eta1 + eta2 + np.conj(eta2)))
    f = (1 + a(k1, k1) * np.exp(eta1 + np.conj(eta1)) + a(k1, k2) * np.exp(eta1 + np.conj(eta2))
         + a(k2, k1) * np.exp(eta2 + np.conj(eta1)) + a(k2, k2) * np.exp(eta2 + np.conj(eta2))
         + abs(b) ** 2 * a(k1, k1) * a(k1, k2) * a(k2, k1) * a(k2, k2)
         * np.exp(eta1 + eta2 + np.conj(eta1) + np.conj(eta2)))
    return g / f


f = h5py.File(sys.argv[1], "r")
T = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0
x = f["1/x"][()]
psi = f["1/psireal"][()] + 1j * f["1/psiimag"][()]
if psi.ndim > 1:
    psi = psi[-1]
print("%.2e" % np.max(np.abs(psi - hirota(x, T))))
