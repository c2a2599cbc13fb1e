#!/usr/bin/env python3
"""Writes the edge list of a SIDE x SIDE torus (4-regular) with seeded random vertex ids, SNAP style, for the
tools/walks_reorder.py test and walks_bench.sh's order section:

    /usr/bin/python3 tests/support/torus_edges.py OUT SIDE [--seed S] [--offset K] [--junk]

--offset adds K to every id (ids need not start at 0); --junk appends a self-loop and a reversed duplicate edge.
"""
import argparse

import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("side", type=int)
ap.add_argument("--seed", type=int, default=3)
ap.add_argument("--offset", type=int, default=0)
ap.add_argument("--junk", action="store_true")
a = ap.parse_args()
s = a.side
lab = np.random.default_rng(a.seed).permutation(s * s) + a.offset
with open(a.out, "w") as f:
    f.write(f"# {s} x {s} torus, random labels (seed {a.seed})\n")
    for i in range(s):
        for j in range(s):
            v = lab[i * s + j]
            f.write(f"{v} {lab[i * s + (j + 1) % s]}\n{v} {lab[((i + 1) % s) * s + j]}\n")
    if a.junk:
        f.write(f"{lab[0]} {lab[0]}\n{lab[1]} {lab[0]}\n")
