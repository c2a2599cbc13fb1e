#!/usr/bin/env python3
"""Renumbers a graph's vertices in reverse Cuthill-McKee (RCM) order and writes it as an HDF5 edge array for
sampo-walks (graph.kind = "hdf5").

    /usr/bin/python3 tools/walks_reorder.py roadNet-CA.txt.gz roadNet-CA-rcm.h5
    sampo-walks deck.toml graph.kind=hdf5 graph.file=roadNet-CA-rcm.h5 walk.partition=vertex

Why: the walks read each token's per-vertex arrays at the ids of the current vertex's neighbours, and the vertex
engine gives each rank a contiguous block of ids. With arbitrary ids (as in most SNAP files) neighbours are far apart
in memory and every other edge crosses between ranks. RCM numbers neighbours close together on graphs with locality
(road networks, meshes, small-world lattices): the neighbours' values share cache lines, and a block of ids cuts few
edges, so tokens migrate far less often (docs/walks.md, "Vertex ordering"). Power-law graphs (Graph500, web and social
graphs) have no such order; RCM changes little there.

The output is written as OUTPUT.part and renamed when complete. Input: a SNAP edge list ('#' comments, "u v" per line; gzip if the name ends in .gz) or an HDF5 file with an M x 2
integer dataset (--dataset, default "edges"). Edges are symmetrised; self-loops and duplicates are dropped; vertex
ids are compacted (ids without edges are dropped). Output (HDF5):
  edges   (M x 2 int64)  each undirected edge once, as (u, v) with u < v, in the new ids
  order   (n int64)      order[new id] = the input id of that vertex
  attributes: source, ordering ("rcm"), vertices, edges, bandwidth_before, bandwidth_after (max |u - v| over edges,
  with the compacted input ids before).
sampo-walks keeps this order as long as graph.relabel = false (its default): it renumbers the kept vertices in
increasing input id.

Needs numpy, scipy and h5py (Debian: python3-numpy python3-scipy python3-h5py; use /usr/bin/python3).
"""
import argparse
import gzip
import os
import sys
import warnings

try:
    import h5py
    import numpy as np
    import scipy.sparse as sp
    from scipy.sparse.csgraph import reverse_cuthill_mckee
except ImportError as e:  # pragma: no cover
    sys.exit(f"walks_reorder.py: {e}; run with /usr/bin/python3 (Debian's python3-numpy, -scipy, -h5py)")


def fail(msg):
    sys.exit(f"walks_reorder.py: {msg}")


def read_edges(path, dataset):
    """The M x 2 int64 array of input edges."""
    if path.endswith((".h5", ".hdf5")):
        try:
            with h5py.File(path, "r") as f:
                if dataset not in f:
                    fail(f"{path}: no dataset '{dataset}' (choose it with --dataset)")
                e = f[dataset][...]
        except OSError as err:
            fail(f"{path}: cannot read as HDF5 ({err})")
        if e.ndim != 2 or e.shape[1] != 2 or not np.issubdtype(e.dtype, np.integer):
            fail(f"{path}:{dataset}: expected an M x 2 integer array, found shape {e.shape} of {e.dtype}")
        return e.astype(np.int64)
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rt") as f:
            lines = [ln for ln in f.read().splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    except (OSError, UnicodeDecodeError) as err:
        fail(f"{path}: cannot read the edge list ({err})")
    # Fast path: numpy's text parser over the whole list, accepted when it finds exactly two integers per line.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e = np.fromstring("\n".join(lines), dtype=np.int64, sep=" ")
    if e.size == 2 * len(lines) and all(len(ln.split()) == 2 for ln in lines):
        return e.reshape(-1, 2)
    for ln in lines:  # the first line that is not "u v" with integer ids
        t = ln.split()
        if len(t) != 2 or not all(x.lstrip("-").isdigit() for x in t):
            fail(f"{path}: line '{ln.strip()}' is not 'u v' with integer ids")
    fail(f"{path}: cannot parse the edge list")


def bandwidth(u, v):
    return int(np.max(np.abs(u - v))) if u.size else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input", help="SNAP edge list (.txt, .gz) or HDF5 file (.h5, .hdf5)")
    ap.add_argument("output", help="HDF5 file to write (edges, order)")
    ap.add_argument("--dataset", default="edges", help="edge dataset of an HDF5 input (default: edges)")
    args = ap.parse_args()

    if os.path.abspath(args.input) == os.path.abspath(args.output):
        fail(f"{args.output}: the output would overwrite the input")
    e = read_edges(args.input, args.dataset)
    if e.size == 0:
        fail(f"{args.input}: no edges")
    if e.min() < 0:
        fail(f"{args.input}: negative vertex id {e.min()}")
    e = e[e[:, 0] != e[:, 1]]  # self-loops
    ids, compact = np.unique(e, return_inverse=True)  # compacted ids 0..n-1, input id ids[c]
    compact = compact.reshape(-1, 2)
    n = ids.size
    u, v = np.minimum(compact[:, 0], compact[:, 1]), np.maximum(compact[:, 0], compact[:, 1])
    a = sp.coo_matrix((np.ones(u.size, dtype=np.int8), (u, v)), shape=(n, n)).tocsr()  # duplicates summed
    a.data[:] = 1
    a = (a + a.T).tocsr()  # symmetric, no duplicates
    perm = reverse_cuthill_mckee(a, symmetric_mode=True)  # perm[new] = old
    new_of = np.empty(n, dtype=np.int64)
    new_of[perm] = np.arange(n, dtype=np.int64)
    up = sp.triu(a, k=1).tocoo()  # each undirected edge once, old compacted ids
    nu, nv = new_of[up.row], new_of[up.col]
    edges = np.column_stack((np.minimum(nu, nv), np.maximum(nu, nv)))
    edges = edges[np.lexsort((edges[:, 1], edges[:, 0]))]
    before, after = bandwidth(up.row.astype(np.int64), up.col.astype(np.int64)), bandwidth(edges[:, 0], edges[:, 1])
    # Written as OUTPUT.part and renamed when complete: an interrupted run leaves no file that looks finished.
    part = args.output + ".part"
    try:
        with h5py.File(part, "w") as f:
            f.create_dataset("edges", data=edges)
            f.create_dataset("order", data=ids[perm].astype(np.int64))
            f.attrs["source"] = args.input
            f.attrs["ordering"] = "rcm"
            f.attrs["vertices"] = n
            f.attrs["edges"] = edges.shape[0]
            f.attrs["bandwidth_before"] = before
            f.attrs["bandwidth_after"] = after
        os.replace(part, args.output)
    except OSError as err:
        fail(f"{args.output}: cannot write ({err})")
    print(f"{args.output}: {n} vertices, {edges.shape[0]} edges, bandwidth {before} -> {after} (rcm)")


if __name__ == "__main__":
    main()
