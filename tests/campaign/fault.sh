#!/usr/bin/env bash
# An exception on one rank aborts the whole job quickly, with that rank's message, instead of hanging.
#   fault.sh DRIVER   (uses the core's SAMPO_FAULT_INJECT=RANK:STEP hook)
DRIVER=$1
source "$SAMPO_SOURCE/tests/support/driver_lib.sh"
source "$SAMPO_SOURCE/tests/support/campaign_lib.sh"
start=$(date +%s)
SAMPO_FAULT_INJECT=1:5 run_np 3 timeout 60 "$exe" "$deck" "${QUICK[@]}" run.output_dir="$WORK/f"
elapsed=$(( $(date +%s) - start ))
check "job fails (exit $rc)" [ "$rc" -ne 0 ]
check "the failing rank's message is shown" grep -q "\[rank 1\] sampo-$DRIVER: fatal: fault injection (SAMPO_FAULT_INJECT): rank 1 fails at step 5" "$WORK/err"
check "it did not hang (took ${elapsed}s)" [ "$elapsed" -lt 30 ]
check "no output file that looks complete" [ ! -e "$WORK/f/$OUTPUT" ]
finish
