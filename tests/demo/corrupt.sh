#!/usr/bin/env bash
# Corrupt bytes in the newest checkpoint: restart detects it, warns, and uses the previous one.
source "$SAMPO_SOURCE/tests/support/driver_lib.sh"
exe=$(driver demo)
deck="$SAMPO_SOURCE/inputs/demo/flagship.toml"
common=(demo.walkers=50000 demo.output_every=5 run.seed=9 checkpoint.every_steps=10 checkpoint.keep=3)

run_np 2 "$exe" "$deck" "${common[@]}" demo.steps=40 run.output_dir="$WORK/ref" -q
run_np 2 "$exe" "$deck" "${common[@]}" demo.steps=30 run.output_dir="$WORK/c" -q
check "short run exits 0" [ "$rc" -eq 0 ]
newest=$(ls "$WORK"/c/checkpoints/ckpt-*.h5 | sort | tail -1)
size=$(stat -c %s "$newest")
# 4 KiB of junk in the middle of the file: inside the walker positions (raw data, Fletcher32-checked).
dd if=/dev/urandom of="$newest" bs=1 seek=$((size / 2)) count=4096 conv=notrunc status=none
run_np 2 "$exe" "$deck" "${common[@]}" run.output_dir="$WORK/c" --restart "$newest"
check "an explicitly named corrupt checkpoint is refused with exit 2 (got $rc)" [ "$rc" -eq 2 ]
check "... with a message naming it" grep -q "cannot restart from this checkpoint" "$WORK/err"
run_np 2 "$exe" "$deck" "${common[@]}" demo.steps=40 run.output_dir="$WORK/c" --restart latest
check "restart past a corrupt checkpoint exits 0 (got $rc)" [ "$rc" -eq 0 ]
check "it warns that the corrupt checkpoint was skipped" grep -q "skipping checkpoint .*$(basename "$newest")" "$WORK/err"
check "it restarted from step 20" grep -q "at step 20" "$WORK/out"
check "the result equals the uninterrupted run" same_dataset "$WORK/ref/demo.h5" "$WORK/c/demo.h5" /x
finish
