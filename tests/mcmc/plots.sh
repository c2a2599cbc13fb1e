#!/usr/bin/env bash
# tools/mcmc_plots.py smoke test: trace, rank and pair PNGs from an eight-schools output (with warm-up groups);
# named parameters; the rank histograms are exact (each chain's bins sum to its draws, the
# pooled bins are uniform: ranks 1..M*N split into equal bins). Skipped (77) without matplotlib.
DRIVER=mcmc
. "$SAMPO_SOURCE/tests/support/script_lib.sh"
if ! "$PY" -c "import matplotlib" 2>/dev/null; then
  echo "SKIP: python3-matplotlib is not installed"
  exit 77
fi
TOOL="$SAMPO_SOURCE/tools/mcmc_plots.py"
$MPI -n 2 "$BIN" "$SAMPO_SOURCE/inputs/mcmc/eight_schools.toml" run.output_dir="$W" mcmc.warmup=100 mcmc.draws=100 \
    mcmc.save_warmup=true --quiet
"$PY" "$TOOL" "$W/eight_schools.h5" --out "$W/p1" --warmup
"$PY" "$TOOL" "$W/eight_schools.h5" --out "$W/p2" --vars "mu,tau,theta[0]" --kinds rank,pair --bins 10
for f in p1/trace.png p1/rank.png p1/pair.png p2/rank.png p2/pair.png; do
  [ "$(head -c 8 "$W/$f" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || { echo "FAIL: $f is not a PNG"; exit 1; }
done
[ ! -e "$W/p2/trace.png" ]
if "$PY" "$TOOL" "$W/eight_schools.h5" --out "$W/p3" --vars "nope" 2>"$W/err"; then exit 1; fi
grep -q "no parameter" "$W/err"
"$PY" - "$SAMPO_SOURCE/tools" "$W/eight_schools.h5" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[1])
import h5py, numpy as np
from mcmc_plots import rank_histograms, scalar_params
with h5py.File(sys.argv[2], "r") as f:
    p = scalar_params(f["posterior"])
assert list(p)[:4] == ["mu", "tau", "theta_tilde[0]", "theta_tilde[1]"], list(p)[:4]
assert len(p) == 18 and p["theta[7]"].shape == (4, 100)
h = rank_histograms(p["tau"], 20)
assert (h.sum(axis=1) == 100).all() and (h.sum(axis=0) == 20).all(), h
print("rank histograms exact; parameters named as in the summary")
PYEOF
echo "mcmc_plots: ok"
