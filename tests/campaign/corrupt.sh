#!/usr/bin/env bash
# Corrupt bytes in the newest checkpoint: restart detects it, warns, and uses the previous one.
#   corrupt.sh DRIVER
DRIVER=$1
source "$SAMPO_SOURCE/tests/support/driver_lib.sh"
source "$SAMPO_SOURCE/tests/support/campaign_lib.sh"
common=("${QUICK[@]}" checkpoint.every_steps=10 checkpoint.keep=3)

# Run to the end with checkpoints every 10 steps (the newest is the one written at the end), corrupt the newest,
# and restart: the run must fall back to the previous checkpoint and finish with the same result.
run_np 2 "$exe" "$deck" "${common[@]}" run.output_dir="$WORK/ref" -q
run_np 2 "$exe" "$deck" "${common[@]}" run.output_dir="$WORK/c" -q
check "short run exits 0" [ "$rc" -eq 0 ]
newest=$(ls "$WORK"/c/checkpoints/ckpt-*.h5 | sort | tail -1)
# Junk bytes in the raw data of the largest dataset (Fletcher32-checked): a torn write or a failing disk.
/usr/bin/python3 "$SAMPO_SOURCE/tests/support/corrupt_h5.py" "$newest"
run_np 2 "$exe" "$deck" "${common[@]}" run.output_dir="$WORK/c" --restart "$newest"
check "an explicitly named corrupt checkpoint is refused with exit 2 (got $rc)" [ "$rc" -eq 2 ]
check "... with a message naming it" grep -q "cannot restart from this checkpoint" "$WORK/err"

run_np 2 "$exe" "$deck" "${common[@]}" run.output_dir="$WORK/c" --restart latest
check "restart past a corrupt checkpoint exits 0 (got $rc)" [ "$rc" -eq 0 ]
check "it warns that the corrupt checkpoint was skipped" grep -q "skipping checkpoint .*$(basename "$newest")" "$WORK/err"
compare_outputs "$WORK/ref/$OUTPUT" "$WORK/c/$OUTPUT"
finish
