# Shared header of the workloads' end-to-end scripts (sourced after setting DRIVER to the workload: mcmc, smc, ...):
# strict mode, the driver $BIN, mpiexec $MPI, Python $PY, and a work directory $W removed at exit. CTest provides
# SAMPO_BUILD, SAMPO_SOURCE and MPIEXEC.
set -euo pipefail
BIN="$SAMPO_BUILD/drivers/sampo-${DRIVER:?set DRIVER before sourcing tests/support/script_lib.sh}"
MPI="${MPIEXEC:-mpiexec} --oversubscribe --bind-to none"
PY=/usr/bin/python3
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
