#!/usr/bin/env bash
# kill -9 of the whole job at random moments (checkpoints are written every step, so many kills land in the
# middle of one), restart after each, and the final result equals the uninterrupted run.
source "$SAMPO_SOURCE/tests/support/driver_lib.sh"
exe=$(driver demo)
deck="$SAMPO_SOURCE/inputs/demo/flagship.toml"
common=(demo.walkers=400000 demo.steps=40 demo.output_every=1 run.seed=5 checkpoint.every_steps=1 checkpoint.keep=2)

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
    kill -9 -- -$pid 2>/dev/null
    killed=$((killed + 1))
  fi
  wait $pid 2>/dev/null
  sleep 0.2
  [ -n "$(ls "$WORK"/k/checkpoints/ckpt-*.h5 2>/dev/null)" ] && restart=(--restart latest)
done
echo "killed $killed of $trials runs; temporaries left: $(ls "$WORK"/k/checkpoints/*.tmp 2>/dev/null | wc -l)"
check "at least one run was killed mid-way ($killed)" [ "$killed" -ge 1 ]
run_np 2 "$exe" "$deck" "${common[@]}" run.output_dir="$WORK/k" "${restart[@]}"
check "final restart exits 0 (got $rc)" [ "$rc" -eq 0 ]
for d in x msd; do
  check "after $killed kills, $d equals the uninterrupted run" same_dataset "$WORK/ref/demo.h5" "$WORK/k/demo.h5" /$d
done
finish
