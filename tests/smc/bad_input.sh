#!/usr/bin/env bash
# Bad input ends with exit code 2 and exactly one error message (from rank 0), never a hang or an abort.
set -uo pipefail
BIN="$SAMPO_BUILD/drivers/sampo-smc"
MPI="${MPIEXEC:-mpiexec} --oversubscribe --bind-to none"
DECK="$SAMPO_SOURCE/inputs/smc/filter_linear_gaussian.toml"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fail=0
source "$SAMPO_SOURCE/tests/support/expect_exit2.sh"
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
