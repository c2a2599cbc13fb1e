#!/usr/bin/env bash
# Builds the smc benchmark (SAMPO_BENCHMARKS=ON) and prints its table at 1 and 2 ranks (1 thread each), then at
# 1 rank with 2 threads. Usage: tests/perf/smc_bench.sh [N=1000000] [steps=50]
# Peer: the Python `particles` package (≈ 57 ns per particle-step, bootstrap filter, one core) is not packaged in
# Debian, so it is not run side by side here; see docs/smc.md for the comparison.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
B=${SAMPO_BENCH_BUILD:-$SRC/build-smc-bench}
cmake -S "$SRC" -B "$B" -DCMAKE_BUILD_TYPE=Release -DSAMPO_BENCHMARKS=ON >/dev/null
cmake --build "$B" -j2 --target smc_bench >/dev/null
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
for np in 1 2; do
  OMP_NUM_THREADS=1 mpiexec -n $np --oversubscribe --bind-to none "$B/tests/smc/smc_bench" "${1:-1000000}" "${2:-50}"
done
OMP_NUM_THREADS=2 mpiexec -n 1 --bind-to none "$B/tests/smc/smc_bench" "${1:-1000000}" "${2:-50}"
