#!/usr/bin/env bash
# kill -9 of the whole job at random moments (checkpoints are written every step, so many kills land in the
# middle of one), restart after each, and the final result equals the uninterrupted run.
#   kill9.sh DRIVER
DRIVER=$1
source "$SAMPO_SOURCE/tests/support/driver_lib.sh"
source "$SAMPO_SOURCE/tests/support/campaign_lib.sh"
common=("${BIG[@]}" checkpoint.every_steps=1 checkpoint.keep=2)

run_np 2 "$exe" "$deck" "${common[@]}" run.output_dir="$WORK/ref" -q
check "uninterrupted run exits 0" [ "$rc" -eq 0 ]

trials=${SAMPO_KILL_TRIALS:-5}
killed=0
restart=()
RANDOM=12345
for t in $(seq "$trials"); do
  setsid "$MPIEXEC" -n 2 --oversubscribe --bind-to none "$exe" "$deck" "${common[@]}" run.output_dir="$WORK/k" \
    "${restart[@]}" -q >"$WORK/out" 2>"$WORK/err" &
  pid=$!
  sleep "0.$((RANDOM % 9 + 3))"
  if kill -0 $pid 2>/dev/null; then
    kill_session $pid  # mpiexec and both ranks at once
    killed=$((killed + 1))
  fi
  wait $pid 2>/dev/null
  kill_session $pid  # a run that ended by itself leaves nothing behind either
  [ -n "$(ls "$WORK"/k/checkpoints/ckpt-*.h5 2>/dev/null)" ] && restart=(--restart latest)
done
echo "killed $killed of $trials runs; temporaries left: $(ls "$WORK"/k/checkpoints/*.tmp 2>/dev/null | wc -l)"
check "at least one run was killed mid-way ($killed)" [ "$killed" -ge 1 ]
run_np 2 "$exe" "$deck" "${common[@]}" run.output_dir="$WORK/k" "${restart[@]}"
check "final restart exits 0 (got $rc)" [ "$rc" -eq 0 ]
echo "after $killed kills:"
compare_outputs "$WORK/ref/$OUTPUT" "$WORK/k/$OUTPUT"
finish
