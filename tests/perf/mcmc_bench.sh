#!/usr/bin/env bash
# Benchmark (not a ctest): min bulk-ESS per core-second and ESS per 1000 gradients (sampling gradients) for NUTS,
# 4 chains x (1000 warm-up + 1000 draws), on the 100-d Gaussian (rho = 0.9) and eight schools (non-centred); then,
# side by side, emcee's stretch move (Debian python3-emcee) on the same 100-d Gaussian when it is installed:
# EMCEE_WALKERS walkers (200) x EMCEE_STEPS steps (20000; the first half discarded, the rest thinned by 10),
# walkers as chains for the rank-normalised bulk-ESS (tools/mcmc_summary.py), one core, CPU seconds. emcee uses
# no gradients: its column is ESS per 1000 log-density evaluations.
# Then rstan's NUTS (Debian r-cran-rstan) on the same targets, same chains and iterations (tests/perf/mcmc_rstan.R).
# Last, a weak-scaling table of chains over ranks (1 → RANKS, CHAINS_PER_RANK chains per rank).
#   tests/perf/mcmc_bench.sh [BUILD_DIR] [RANKS]
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$SRC/build-mcmc}
NP=${2:-2}
BIN="$BUILD/drivers/sampo-mcmc"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
export OMP_NUM_THREADS=1
export OMPI_ALLOW_RUN_AS_ROOT=${OMPI_ALLOW_RUN_AS_ROOT:-1} OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=${OMPI_ALLOW_RUN_AS_ROOT_CONFIRM:-1}
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
if /usr/bin/python3 -c "import emcee" 2>/dev/null; then
  OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 - "$SRC/tools" "${EMCEE_WALKERS:-200}" \
      "${EMCEE_STEPS:-20000}" <<'PYEOF'
import sys, time
import numpy as np
import emcee
sys.path.insert(0, sys.argv[1])
from mcmc_summary import diagnostics
walkers, steps = int(sys.argv[2]), int(sys.argv[3])
d, rho = 100, 0.9
# Sigma_ij = rho^|i-j|: tridiagonal precision, log p = -(x'Qx)/2 with Q = tridiag(-rho, 1 + rho^2 (inner), 1 (ends))
diag = np.full(d, 1 + rho * rho); diag[0] = diag[-1] = 1.0
def log_prob(x):  # x[walker, d] (vectorised)
    quad = np.sum(diag * x * x, axis=1) - 2 * rho * np.sum(x[:, 1:] * x[:, :-1], axis=1)
    return -0.5 * quad / (1 - rho * rho)
rng = np.random.default_rng(1)
sampler = emcee.EnsembleSampler(walkers, d, log_prob, vectorize=True)
t0 = time.process_time()
sampler.run_mcmc(rng.uniform(-2, 2, size=(walkers, d)), steps, progress=False)
cpu = time.process_time() - t0
chain = sampler.get_chain(discard=steps // 2, thin=10)  # [draw, walker, d]
x = np.transpose(chain, (1, 0, 2))
diag_k = [diagnostics(x[:, :, k]) for k in range(d)]
bulk, rhat = min(t[1] for t in diag_k), max(t[0] for t in diag_k)
var = x.reshape(-1, d).var(axis=0)
evals = walkers * steps
print(f"{'emcee '+emcee.__version__:16s} {1:5d} {cpu:8.2f} {bulk:12.1f} {bulk / cpu:13.1f} "
      f"{1000 * bulk / evals:14.3f} {'(per 1000 log-density evals)':>18s}  max R-hat {rhat:.3f}, marginal variances {var.min():.3f}..{var.max():.3f} (exact 1)")
PYEOF
else
  echo "emcee: not installed (apt-get install python3-emcee)"
fi
# rstan (Debian r-cran-rstan) side by side: Debian's r-cran-bh is an empty shell, so a private R library whose
# BH/include/boost points at /usr/include/boost comes first on .libPaths(). Model compilation (~1 min each) is not
# timed; rows are CPU seconds of rstan's own warm-up + sampling timers, 1 core.
if command -v Rscript >/dev/null && Rscript -e 'suppressMessages(library(rstan))' >/dev/null 2>&1; then
  mkdir -p "$W/Rlib/BH/include"
  cp -r /usr/lib/R/site-library/BH/DESCRIPTION /usr/lib/R/site-library/BH/Meta /usr/lib/R/site-library/BH/NAMESPACE \
    "$W/Rlib/BH/"
  ln -sfn /usr/include/boost "$W/Rlib/BH/include/boost"
  R_LIBS_USER="$W/Rlib" OMP_NUM_THREADS=1 Rscript "$SRC/tests/perf/mcmc_rstan.R" 2>"$W/rstan.err" |
    grep '^rstan' || { echo "rstan: failed (see below)"; tail -20 "$W/rstan.err"; }
else
  echo "rstan: not installed (apt-get install --no-install-recommends r-cran-rstan)"
fi
echo "reference figures (2-core Debian 12): rstan NUTS 100-d Gaussian 35-37 ESS/CPU-s, 3.37 ESS/1000 grad (incl. warm-up);"
echo "                                      eight schools nc ~18400 ESS/CPU-s, 32 ESS/1000 grad"
# Weak scaling of chains over ranks: CHAINS_PER_RANK chains per rank of NUTS on the 100-d Gaussian at 1 and NP ranks
# (the same chains per rank, so ideal is constant wall time); efficiency = t(1) / t(NP). Chains are independent:
# the only communication is the final gather, so this measures the machine (cores, memory bandwidth), not Sampo.
CPR=${CHAINS_PER_RANK:-2}
echo
printf "%-10s %6s %10s %10s\n" ranks chains wall_s efficiency
t1=""
for np in 1 "$NP"; do
  c=$((CPR * np))
  s=$(date +%s.%N)
  ${MPIEXEC:-mpiexec} --oversubscribe --bind-to none -n "$np" "$BIN" "$SRC/inputs/mcmc/flagship.toml" mcmc.chains=$c \
      mcmc.warmup=300 mcmc.draws=300 run.output_dir="$W/weak$np" checkpoint.at_end=false --quiet >/dev/null 2>&1
  e=$(date +%s.%N)
  t=$(awk -v a="$s" -v b="$e" 'BEGIN{printf "%.2f", b-a}')
  [ -z "$t1" ] && t1=$t
  printf "%-10s %6s %10s %10s\n" "$np" "$c" "$t" "$(awk -v a="$t1" -v b="$t" 'BEGIN{printf "%.2f", a/b}')"
done
