#!/usr/bin/env bash
# Restart equality: a run restarted from a mid-run checkpoint (on a different rank count) writes bitwise the same
# output as the uninterrupted run — the filter (particles, weights, PaRIS statistics, records) and PPG/learning
# chains (reference paths, estimates, θ trajectories).
DRIVER=smc
. "$SAMPO_SOURCE/tests/support/script_lib.sh"
DECK="$SAMPO_SOURCE/inputs/smc/filter_linear_gaussian.toml"
common="filter.particles=300 data.steps=60 checkpoint.keep=10 --quiet"

compare() {  # compare two output files' result groups bitwise
  "$PY" - "$1" "$2" "$3" <<'PYEOF'
import sys, h5py, numpy as np
a, b, groups = h5py.File(sys.argv[1]), h5py.File(sys.argv[2]), sys.argv[3].split(',')
bad = 0
def visit(g):
    global bad
    for k, v in a[g].items():
        p = g + '/' + k
        if isinstance(v, h5py.Group):
            visit(p)
            continue
        x, y = v[()], b[p][()]
        if x.shape != y.shape or not np.array_equal(x.view(np.uint8) if x.dtype.kind == 'f' else x,
                                                    y.view(np.uint8) if y.dtype.kind == 'f' else y):
            print('DIFFERS:', p); bad += 1
    for k, v in a[g].attrs.items():
        if k in ('created_utc', 'command_line', 'mpi_ranks', 'omp_threads'): continue
        if not np.array_equal(np.asarray(v), np.asarray(b[g].attrs[k])):
            print('ATTR DIFFERS:', g, k); bad += 1
for g in groups: visit(g)
print('compared', groups, 'differences:', bad)
sys.exit(1 if bad else 0)
PYEOF
}

# 1. filter mode: uninterrupted on 2 ranks; restart from t = 20 on 3 ranks.
$MPI -n 2 "$BIN" "$DECK" run.output_dir="$W/a" checkpoint.every_steps=20 $common
$MPI -n 3 "$BIN" "$DECK" run.output_dir="$W/b" checkpoint.dir="$W/a/checkpoints" $common \
    --restart "$W/a/checkpoints/ckpt-000000000020.h5"
compare "$W/a/smc.h5" "$W/b/smc.h5" "filter,smoothing"

# 1a. the step after the checkpoint resamples (ESS threshold 1: every step), systematic (the fused path) and
# residual: its fixed-point weights come from the checkpoint's wexp (exp(lw − max) of the step before).
for scheme in systematic residual; do
  R="filter.ess_threshold=1 filter.resampling=$scheme"
  $MPI -n 2 "$BIN" "$DECK" run.output_dir="$W/r1$scheme" checkpoint.every_steps=20 $common $R
  $MPI -n 3 "$BIN" "$DECK" run.output_dir="$W/r2$scheme" checkpoint.dir="$W/r1$scheme/checkpoints" $common $R \
      --restart "$W/r1$scheme/checkpoints/ckpt-000000000020.h5"
  compare "$W/r1$scheme/smc.h5" "$W/r2$scheme/smc.h5" "filter,smoothing"
done

# 1b. island mode (12 islands, islands and particles resampled): 2 ranks uninterrupted; restart on 4 ranks.
I="filter.islands=12 filter.island_ess_threshold=0.9 filter.ess_threshold=0.8 smoothing.functionals="
$MPI -n 2 "$BIN" "$DECK" run.output_dir="$W/i1" checkpoint.every_steps=20 $common $I
$MPI -n 4 "$BIN" "$DECK" run.output_dir="$W/i2" checkpoint.dir="$W/i1/checkpoints" $common $I \
    --restart "$W/i1/checkpoints/ckpt-000000000020.h5"
compare "$W/i1/smc.h5" "$W/i2/smc.h5" "filter"

# 2. learn mode (PPG-driven SA over 2 chains): uninterrupted on 1 rank; restart from iteration 4 on 2 ranks.
L="smc.mode=learn learn.params=rho,sigma_x ppg.iterations=8 ppg.burn_in=2 ppg.chains=2 filter.particles=24 data.steps=30 smoothing.functionals=score,sum_x_xnext checkpoint.keep=10 --quiet"
$MPI -n 1 "$BIN" "$DECK" run.output_dir="$W/c" checkpoint.every_steps=4 $L
$MPI -n 2 "$BIN" "$DECK" run.output_dir="$W/d" checkpoint.dir="$W/c/checkpoints" $L \
    --restart "$W/c/checkpoints/ckpt-000000000004.h5"
compare "$W/c/smc.h5" "$W/d/smc.h5" "ppg,learn"
# 3. msc mode (λ, the running Gram average and the reference paths): 1 rank uninterrupted; restart on 2 ranks.
M="smc.mode=msc smoothing.functionals=sum_x_xnext ppg.iterations=20 ppg.burn_in=5 ppg.chains=2 filter.particles=24 data.steps=30 checkpoint.keep=10 --quiet"
$MPI -n 1 "$BIN" "$DECK" run.output_dir="$W/e" checkpoint.every_steps=10 $M
$MPI -n 2 "$BIN" "$DECK" run.output_dir="$W/f" checkpoint.dir="$W/e/checkpoints" $M \
    --restart "$W/e/checkpoints/ckpt-000000000010.h5"
compare "$W/e/smc.h5" "$W/f/smc.h5" "ppg,learn"
echo "restart equality: OK"
