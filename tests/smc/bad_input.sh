#!/usr/bin/env bash
# Bad input ends with exit code 2 and exactly one error message (from rank 0), never a hang or an abort.
set -uo pipefail
BIN="$SAMPO_BUILD/drivers/sampo-smc"
MPI="${MPIEXEC:-mpiexec} --oversubscribe --bind-to none"
DECK="$SAMPO_SOURCE/inputs/smc/filter_linear_gaussian.toml"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fail=0
expect_exit2() {  # name, text that must appear, arguments...
  local name=$1 text=$2
  shift 2
  $MPI -n 2 "$BIN" "$DECK" run.output_dir="$W/out" --quiet "$@" >"$W/stdout" 2>"$W/stderr"
  local rc=$?
  local n
  n=$(grep -c "error:" "$W/stderr")
  if [[ $rc -ne 2 || $n -ne 1 ]] || ! grep -q -- "$text" "$W/stderr"; then
    echo "FAIL $name: exit $rc, $n error lines (want 2 and 1, mentioning '$text'):"; cat "$W/stderr"; fail=1
  else
    echo "ok   $name: $(grep error: "$W/stderr")"
  fi
}
expect_exit2 "unknown key" "filter.particlez" filter.particlez=10
expect_exit2 "missing observation file" "no_such_file.csv" data.source=csv data.path="$W/no_such_file.csv"
expect_exit2 "csv without a path" "data.path" data.source=csv
expect_exit2 "out of range" "filter.ess_threshold" filter.ess_threshold=1.5
expect_exit2 "burn-in too long" "ppg.burn_in" smc.mode=ppg ppg.iterations=5 ppg.burn_in=5
expect_exit2 "unknown parameter to learn" "learn.params" smc.mode=learn learn.params=rho,tau
expect_exit2 "fewer particles than ranks" "filter.particles" filter.particles=1
printf '0.1\n0.2\nabc\n' >"$W/bad.csv"
expect_exit2 "malformed csv" "bad.csv:3" data.source=csv data.path="$W/bad.csv"
exit $fail
