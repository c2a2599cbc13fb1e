#!/usr/bin/python3
"""h5compare.py A.h5 B.h5 DATASET [RTOL]: exit 0 when the dataset's values agree (bit for bit when RTOL is absent
or 0; else |a-b| <= RTOL*max|a|). Data only: attributes such as dimension-scale references differ between files."""
import sys

import h5py
import numpy as np

a_path, b_path, name = sys.argv[1:4]
rtol = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0
with h5py.File(a_path, "r") as fa, h5py.File(b_path, "r") as fb:
    if name not in fa and name not in fb:
        print(f"{name}: absent from both files (not written in this configuration)")
        sys.exit(3)
    if name not in fa or name not in fb:
        print(f"{name}: present in only one file")
        sys.exit(1)
    a, b = fa[name][()], fb[name][()]
if a.shape != b.shape or a.dtype != b.dtype:
    print(f"{name}: shape/type {a.shape} {a.dtype} vs {b.shape} {b.dtype}")
    sys.exit(1)
if rtol == 0.0:
    same = a.tobytes() == b.tobytes()
    if not same:
        print(f"{name}: differs bitwise; max |diff| = {np.max(np.abs(a - b))}")
    sys.exit(0 if same else 1)
scale = max(np.max(np.abs(a)), np.finfo(float).tiny)
diff = np.max(np.abs(a - b)) / scale
print(f"{name}: max relative difference {diff:.3e} (tolerance {rtol:g})")
sys.exit(0 if diff <= rtol else 1)
