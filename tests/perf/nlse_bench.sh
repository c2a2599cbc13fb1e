#!/usr/bin/env bash
# Benchmark (not a ctest), two tables:
#  1. plain DOP853 against IP-DOP853 as N grows: the source's single soliton (L = 50, rtol 1e-9, atol 1e-11), T = 1.
#     Plain DOP853 is stability-limited (h ~ 4.1 L^2/N^2, steps ~ N^2); in the interaction picture the step count
#     does not depend on N.
#  2. time to accuracy on the exact two-soliton (A, v) = (2, 2), (1.5, -2) from x = -10, 10 on L = 100, N = 2048,
#     T = 10 (the flagship deck) for each method over a tolerance or step sweep: max error at T, steps, RHS, FFTs, wall.
#   tests/perf/nlse_bench.sh [BUILD_DIR] [RANKS]
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$SRC/build-nlse}
NP=${2:-1}
BIN="$BUILD/drivers/sampo-nlse"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
export OMP_NUM_THREADS=1
run() {  # run TAG DECK ARGS... -> prints "wall steps rejected rhs ffts max_error"
  local tag=$1 deck=$2
  shift 2
  local t0 t1
  t0=$(date +%s.%N)
  ${MPIEXEC:-mpiexec} --oversubscribe --bind-to none -n "$NP" "$BIN" "$deck" run.output_dir="$W/$tag" \
    checkpoint.at_end=false output.psi=false output.snapshots=1 -q "$@" >"$W/$tag.log" 2>&1 ||
    { echo "$tag failed:" >&2; cat "$W/$tag.log" >&2; return 1; }
  t1=$(date +%s.%N)
  /usr/bin/python3 - "$W/$tag/nlse.h5" "$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}')" <<'PYEOF'
import sys, h5py
f = h5py.File(sys.argv[1], "r")
c = f.attrs["counters_accepted_rejected_rhs_ffts"]
print(sys.argv[2], c[0], c[1], c[2], c[3], "%.2e" % f["max_error"][-1])
PYEOF
}
echo "1. single soliton, L = 50, T = 1, rtol 1e-9, atol 1e-11, $NP rank(s)"
printf "%-10s %6s %8s %8s %8s %9s %10s\n" method N wall_s steps rejected RHS max_error
for n in 512 1024 2048 4096 8192; do
  for m in dop853 ip-dop853; do
    read -r wall st rej rhs ffts err < <(run "$m-$n" "$SRC/inputs/nlse/source_soliton.toml" grid.points=$n \
      time.method="\"$m\"" time.duration=1 time.max_step=0)
    printf "%-10s %6s %8s %8s %8s %9s %10s\n" "$m" "$n" "$wall" "$st" "$rej" "$rhs" "$err"
  done
done
echo
echo "2. exact two-soliton, L = 100, N = 2048, T = 10, $NP rank(s) (wall includes MPI start-up, ~0.3 s)"
printf "%-10s %10s %8s %8s %9s %9s %10s\n" method setting wall_s steps RHS FFTs max_error
for m in erk43-ip ip-dop853; do
  for tol in 1e-7 1e-9 1e-11; do
    atol=$(/usr/bin/python3 -c "print($tol * 1e-2)")
    read -r wall st rej rhs ffts err < <(run "$m-$tol" "$SRC/inputs/nlse/flagship.toml" time.method="\"$m\"" \
      time.rtol=$tol time.atol=$atol)
    printf "%-10s %10s %8s %8s %9s %9s %10s\n" "$m" "rtol=$tol" "$wall" "$st" "$rhs" "$ffts" "$err"
  done
done
for m in rk4ip yoshida4; do
  for dt in 4e-3 1e-3; do
    read -r wall st rej rhs ffts err < <(run "$m-$dt" "$SRC/inputs/nlse/flagship.toml" time.method="\"$m\"" time.dt=$dt)
    printf "%-10s %10s %8s %8s %9s %9s %10s\n" "$m" "dt=$dt" "$wall" "$st" "$rhs" "$ffts" "$err"
  done
done
