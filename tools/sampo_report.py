#!/usr/bin/python3
"""Summary (and plots) of any Sampo output file, from the HDF5 alone.

    /usr/bin/python3 tools/sampo_report.py runs/showcase/demo/demo.h5 [--no-plot]

Prints the provenance attributes and every dataset with its shape, units and description; then, when a module
`tools/<driver>_plot.py` exists, calls its `plot(h5file, out_prefix)` to write PNG figures next to the file.
Needs Debian's python3-h5py and python3-matplotlib (call /usr/bin/python3, which sees them).
"""
import argparse
import importlib.util
import os
import sys

try:
    import h5py
except ImportError:
    sys.exit("sampo_report: h5py is missing; install Debian's python3-h5py and run with /usr/bin/python3")


def describe(f):
    attrs = dict(f.attrs)
    print(f"{f.filename}")
    for key in ("driver", "sampo_version", "git_sha", "created_utc", "mpi_ranks", "omp_threads", "seed",
                "command_line", "complete"):
        if key in attrs:
            print(f"  {key:14s} {attrs[key]}")

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            units = obj.attrs.get("units", "")
            desc = obj.attrs.get("description", "")
            print(f"  /{name:38s} {str(obj.shape):16s} {str(obj.dtype):10s} {units:8s} {desc}")

    f.visititems(visit)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file")
    ap.add_argument("--no-plot", action="store_true")
    args = ap.parse_args()
    if not os.path.exists(args.file):
        sys.exit(f"sampo_report: no such file {args.file}")
    with h5py.File(args.file, "r") as f:
        describe(f)
        driver = f.attrs.get("driver", "")
        if isinstance(driver, bytes):
            driver = driver.decode()
        if args.no_plot:
            return
        mod_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), f"{driver}_plot.py")
        if not os.path.exists(mod_path):
            print(f"(no plotting module tools/{driver}_plot.py)")
            return
        spec = importlib.util.spec_from_file_location(f"{driver}_plot", mod_path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        import matplotlib
        matplotlib.use("Agg")
        prefix = os.path.splitext(args.file)[0]
        for png in mod.plot(f, prefix):
            print(f"wrote {png}")


if __name__ == "__main__":
    main()
