#!/usr/bin/env bash
# Benchmark (not a ctest): min bulk-ESS per core-second and ESS per 1000 gradients (sampling gradients) for NUTS,
# 4 chains x (1000 warm-up + 1000 draws), on the 100-d Gaussian (rho = 0.9) and eight schools (non-centred).
#   tests/perf/mcmc_bench.sh [BUILD_DIR] [RANKS]
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$SRC/build-mcmc}
NP=${2:-2}
BIN="$BUILD/drivers/sampo-mcmc"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
export OMP_NUM_THREADS=1
printf "%-16s %5s %8s %12s %13s %14s %18s %9s\n" target ranks seconds min_bulk_ESS ESS/core-sec ESS/1000grad ESS/1000grad+warm divergent
for deck in flagship eight_schools; do
  ${MPIEXEC:-mpiexec} --oversubscribe --bind-to none -n "$NP" "$BIN" "$SRC/inputs/mcmc/$deck.toml" \
      run.output_dir="$W/$deck" checkpoint.at_end=false >"$W/$deck.log" 2>&1
  line=$(grep "min bulk-ESS" "$W/$deck.log")
  ess=$(sed -E 's/.*min bulk-ESS ([0-9.]+),.*/\1/' <<<"$line")
  sec=$(sed -E 's/.*E-BFMI min [0-9.]+; ([0-9.]+) s,.*/\1/' <<<"$line")
  per=$(sed -E 's/.*per 1000 gradients \(sampling\) ([0-9.]+).*/\1/' <<<"$line")
  all=$(sed -E 's/.*\(incl. warm-up\) ([0-9.]+).*/\1/' <<<"$line")
  div=$(sed -E 's/.*divergences ([0-9]+),.*/\1/' <<<"$line")
  cps=$(awk -v e="$ess" -v s="$sec" -v n="$NP" 'BEGIN{printf "%.1f", e/(s*n)}')
  printf "%-16s %5s %8s %12s %13s %14s %18s %9s\n" "$deck" "$NP" "$sec" "$ess" "$cps" "$per" "$all" "$div"
done
echo "peers (reference, 2-core Debian 12): rstan NUTS 100-d Gaussian 35-37 ESS/CPU-s, 3.37 ESS/1000 grad (incl. warm-up);"
echo "                                      eight schools nc ~18400 ESS/CPU-s, 32 ESS/1000 grad"
