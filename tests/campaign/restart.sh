#!/usr/bin/env bash
# SIGTERM → checkpoint → exit 85 → restart (on another rank count) continues to the uninterrupted result.
#   restart.sh DRIVER
DRIVER=$1
source "$SAMPO_SOURCE/tests/support/driver_lib.sh"
source "$SAMPO_SOURCE/tests/support/campaign_lib.sh"

run_np 2 "$exe" "$deck" "${QUICK[@]}" run.output_dir="$WORK/ref" -q
check "uninterrupted run exits 0" [ "$rc" -eq 0 ]

# Interrupted: slow steps, SIGTERM to the ranks (as Slurm delivers it) after a moment.
SAMPO_STEP_DELAY_MS=50 "$MPIEXEC" -n 2 --oversubscribe --bind-to none "$exe" "$deck" "${QUICK[@]}" \
  run.output_dir="$WORK/int" >"$WORK/out" 2>"$WORK/err" &
mpid=$!
for _ in $(seq 100); do
  sleep 0.1
  [ -n "$(pgrep -P $mpid -f "sampo-$DRIVER")" ] && break
done
sleep 1.5
pkill -TERM -P $mpid -f "sampo-$DRIVER"
wait $mpid
rc=$?
check "signalled run exits 85 (got $rc)" [ "$rc" -eq 85 ]
check "signalled run wrote a checkpoint" ls "$WORK"/int/checkpoints/ckpt-*.h5
check "signalled run left no output file that looks complete" [ ! -e "$WORK/int/$OUTPUT" ]

run_np 3 "$exe" "$deck" "${QUICK[@]}" run.output_dir="$WORK/int" --restart latest
check "restart at 3 ranks exits 0 (got $rc)" [ "$rc" -eq 0 ]
compare_outputs "$WORK/ref/$OUTPUT" "$WORK/int/$OUTPUT"
finish
