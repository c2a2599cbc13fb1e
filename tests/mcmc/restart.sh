#!/usr/bin/env bash
# Restart equality: runs restarted from a checkpoint in mid-warm-up (iteration 50 of 100, between adaptation
# windows) and from one in mid-sampling (iteration 150), on other rank and thread counts, write bitwise the same
# posterior and sample_stats as the uninterrupted run.
DRIVER=mcmc
. "$SAMPO_SOURCE/tests/support/script_lib.sh"
DECK="$SAMPO_SOURCE/inputs/mcmc/flagship.toml"
common="mcmc.dim=10 mcmc.chains=5 mcmc.warmup=100 mcmc.draws=100 checkpoint.keep=10 --quiet"

compare() {
  "$PY" - "$1" "$2" <<'PYEOF'
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1]), h5py.File(sys.argv[2])
bad = 0
for g in ('posterior', 'sample_stats'):
    for k, v in a[g].items():
        x, y = v[()], b[g][k][()]
        if x.shape != y.shape or x.tobytes() != y.tobytes():
            print('DIFFERS:', g, k); bad += 1
print('differences:', bad)
sys.exit(1 if bad else 0)
PYEOF
}

OMP_NUM_THREADS=1 $MPI -n 2 "$BIN" "$DECK" run.output_dir="$W/a" checkpoint.every_steps=50 $common
OMP_NUM_THREADS=2 $MPI -n 1 "$BIN" "$DECK" run.output_dir="$W/b" checkpoint.dir="$W/a/checkpoints" $common \
    --restart "$W/a/checkpoints/ckpt-000000000050.h5"
compare "$W/a/mcmc.h5" "$W/b/mcmc.h5"
OMP_NUM_THREADS=1 $MPI -n 3 "$BIN" "$DECK" run.output_dir="$W/c" checkpoint.dir="$W/a/checkpoints" $common \
    --restart "$W/a/checkpoints/ckpt-000000000150.h5"
compare "$W/a/mcmc.h5" "$W/c/mcmc.h5"
echo "restart equality: ok"
