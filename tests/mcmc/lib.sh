# Shared header of the mcmc end-to-end scripts (sourced): strict mode, the driver, mpiexec, Python, and a work
# directory $W removed at exit. CTest provides SAMPO_BUILD, SAMPO_SOURCE and MPIEXEC.
set -euo pipefail
BIN="$SAMPO_BUILD/drivers/sampo-mcmc"
MPI="${MPIEXEC:-mpiexec} --oversubscribe --bind-to none"
PY=/usr/bin/python3
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
