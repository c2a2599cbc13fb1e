#!/usr/bin/env bash
# The demo against its exact answer (mean square displacement σ²t within 5 standard errors σ²t√(2/N)), and
# identical walker positions at 1, 2, 3 and 4 ranks.
source "$SAMPO_SOURCE/tests/support/driver_lib.sh"
exe=$(driver demo)
common=(demo.walkers=30011 demo.steps=50 demo.sigma=0.7 demo.output_every=50 run.seed=3 checkpoint.at_end=false)
for np in 1 2 3 4; do
  run_np $np "$exe" "$SAMPO_SOURCE/inputs/demo/flagship.toml" "${common[@]}" run.output_dir="$WORK/np$np" -q
  check "np $np exits 0" [ "$rc" -eq 0 ]
done
for np in 2 3 4; do
  check "positions at np $np equal np 1 bit for bit" same_dataset "$WORK/np1/demo.h5" "$WORK/np$np/demo.h5" /x
done
msd=$(dataset_values "$WORK/np1/demo.h5" /msd | tail -1)
check "MSD $msd within 5 standard errors of 0.49*50 = 24.5" \
  awk -v m="$msd" 'BEGIN { se = 24.5 * sqrt(2 / 30011); exit !(m - 24.5 < 5 * se && 24.5 - m < 5 * se) }'
finish
