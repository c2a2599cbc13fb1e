#!/usr/bin/python3
"""same_content.py A.h5 B.h5 [GROUP ...]: exit 0 when the groups (default: posterior, sample_stats, and tempering
when present) of two mcmc output files hold the same datasets in the same creation order, with the same shapes,
types, values (bitwise), attributes (except the dimension-scale references, which are file addresses) and
dimension-scale names. Chunking and extendability may differ."""
import sys

import h5py
import numpy as np

SKIP = {"DIMENSION_LIST", "REFERENCE_LIST"}


def attrs(obj):
    out = {}
    for k, v in obj.attrs.items():
        if k in SKIP:
            continue
        out[k] = v.tobytes() if isinstance(v, np.ndarray) else v
    return out


def main():
    a_path, b_path = sys.argv[1:3]
    groups = sys.argv[3:]
    bad = 0
    with h5py.File(a_path, "r") as fa, h5py.File(b_path, "r") as fb:
        if not groups:
            groups = ["posterior", "sample_stats"] + (["tempering"] if "tempering" in fa else [])
        for g in groups:
            ga, gb = fa[g], fb[g]
            if list(ga.keys()) != list(gb.keys()):
                print(f"{g}: datasets {list(ga.keys())} vs {list(gb.keys())}")
                bad += 1
                continue
            if attrs(ga) != attrs(gb):
                print(f"{g}: group attributes differ")
                bad += 1
            for k in ga:
                x, y = ga[k], gb[k]
                if x.shape != y.shape or x.dtype != y.dtype or x[()].tobytes() != y[()].tobytes():
                    print(f"{g}/{k}: differs ({x.shape} {x.dtype} vs {y.shape} {y.dtype})")
                    bad += 1
                if attrs(x) != attrs(y):
                    print(f"{g}/{k}: attributes differ: {attrs(x)} vs {attrs(y)}")
                    bad += 1
                dx = [[s.name for s in d.values()] for d in x.dims]
                dy = [[s.name for s in d.values()] for d in y.dims]
                if dx != dy:
                    print(f"{g}/{k}: dimension scales {dx} vs {dy}")
                    bad += 1
    print(f"{a_path} vs {b_path}: {bad} differences")
    sys.exit(1 if bad else 0)


main()
