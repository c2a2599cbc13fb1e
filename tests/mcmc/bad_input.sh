#!/usr/bin/env bash
# Bad input ends with exit code 2 and exactly one error message (from rank 0), never a hang or an abort.
set -uo pipefail
BIN="$SAMPO_BUILD/drivers/sampo-mcmc"
MPI="${MPIEXEC:-mpiexec} --oversubscribe --bind-to none"
DECK="$SAMPO_SOURCE/inputs/mcmc/flagship.toml"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fail=0
source "$SAMPO_SOURCE/tests/support/expect_exit2.sh"
expect_exit2 "unknown key" "mcmc.chainz" mcmc.chainz=3
expect_exit2 "unknown target" "mcmc.target" mcmc.target=\"gaussian\"
expect_exit2 "rho out of range" "mcmc.rho" mcmc.rho=1.5
expect_exit2 "too few draws" "mcmc.draws" mcmc.draws=2
expect_exit2 "dense metric too large" "mcmc.dense" mcmc.dense=true mcmc.dim=5000
expect_exit2 "memory" "needs about" mcmc.draws=1000000000000
expect_exit2 "warm-up groups with tempering" "mcmc.save_warmup" mcmc.save_warmup=true tempering.replicas=4 mcmc.chains=1
expect_exit2 "optimize with tempering" "tempering.replicas" mcmc.mode=\"optimize\" tempering.replicas=4 mcmc.chains=1
expect_exit2 "unknown mode" "mcmc.mode" mcmc.mode=\"map\"
expect_exit2 "missing checkpoint" "checkpoint" --restart "$W/no_such_checkpoint.h5"
exit $fail
