#!/usr/bin/env bash
# An exception on one rank aborts the whole job quickly, with that rank's message, instead of hanging.
source "$SAMPO_SOURCE/tests/support/driver_lib.sh"
exe=$(driver demo)
start=$(date +%s)
run_np 3 timeout 60 "$exe" "$SAMPO_SOURCE/inputs/demo/flagship.toml" demo.walkers=3000 demo.steps=100 \
  demo.fail_at_step=5 demo.fail_rank=1 run.output_dir="$WORK/f"
elapsed=$(( $(date +%s) - start ))
check "job fails (exit $rc)" [ "$rc" -ne 0 ]
check "the failing rank's message is shown" grep -q "\[rank 1\] sampo-demo: fatal: fault injection: rank 1 fails at step 5" "$WORK/err"
check "it did not hang (took ${elapsed}s)" [ "$elapsed" -lt 30 ]
check "no output file that looks complete" [ ! -e "$WORK/f/demo.h5" ]
finish
