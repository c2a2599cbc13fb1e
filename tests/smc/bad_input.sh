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
expect_exit2 "islands not dividing particles" "filter.islands = 7 must divide" filter.islands=7 smoothing.functionals=
expect_exit2 "islands with smoothing" "smoothing.functionals" filter.islands=10
printf '3\n0\n-2\n' >"$W/counts.csv"
expect_exit2 "negative Poisson count" "observation y_2" model.type=poisson data.source=csv data.path="$W/counts.csv"
printf '0.1\n0.2\nabc\n' >"$W/bad.csv"
expect_exit2 "malformed csv" "bad.csv:3" data.source=csv data.path="$W/bad.csv"
exit $fail
