#!/usr/bin/env bash
# Bad input ends with exit code 2 and exactly one error message (from rank 0), never a hang or an abort.
set -uo pipefail
BIN="$SAMPO_BUILD/drivers/sampo-mcmc"
MPI="${MPIEXEC:-mpiexec} --oversubscribe --bind-to none"
DECK="$SAMPO_SOURCE/inputs/mcmc/flagship.toml"
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
expect_exit2 "unknown key" "mcmc.chainz" mcmc.chainz=3
expect_exit2 "unknown target" "mcmc.target" mcmc.target=\"gaussian\"
expect_exit2 "rho out of range" "mcmc.rho" mcmc.rho=1.5
expect_exit2 "too few draws" "mcmc.draws" mcmc.draws=2
expect_exit2 "dense metric too large" "mcmc.dense" mcmc.dense=true mcmc.dim=5000
expect_exit2 "memory" "needs about" mcmc.draws=1000000000000
expect_exit2 "missing checkpoint" "checkpoint" --restart "$W/no_such_checkpoint.h5"
exit $fail
