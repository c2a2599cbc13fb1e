#!/usr/bin/env bash
# Benchmark (not a ctest), three tables:
#  1. plain DOP853 against IP-DOP853 as N grows: the source's single soliton (L = 50, rtol 1e-9, atol 1e-11), T = 1.
#     Plain DOP853 is stability-limited (h ~ 4.1 L^2/N^2, steps ~ N^2); in the interaction picture the step count
#     does not depend on N.
#  2. time to accuracy on the exact two-soliton (A, v) = (2, 2), (1.5, -2) from x = -10, 10 on L = 100, N = 2048,
#     T = 10 (the flagship deck) for each method over a tolerance or step sweep: max error at T, steps, RHS, FFTs, wall.
#  3. ns per grid point per step of each method against the FFT-only lower bound (FFTs per step x the measured
#     time of one FFT at that N), N = 2^14 ... 2^20.
#   tests/perf/nlse_bench.sh [BUILD_DIR] [RANKS]   (needs the nlse_fft_time target built)
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
echo
echo "3. throughput against the FFT-only lower bound, single soliton (L = 50, rtol 1e-9), $NP rank(s), FFTW estimate"
echo "   ns/pt/step = stepping wall time (the driver's loop minus diagnostics/output) / (steps N); bound = FFTs per"
echo "   step x measured time of one distributed FFT (nlse_fft_time: to_k/to_x with their copies) / N"
FFT_TIME="$BUILD/tests/nlse/nlse_fft_time"
printf "%-10s %8s %7s %9s %11s %11s %6s\n" method N steps FFTs/step ns/pt/step bound ratio
for n in 16384 65536 262144 1048576; do
  read -r _ nsfft < <(${MPIEXEC:-mpiexec} --oversubscribe --bind-to none -n "$NP" "$FFT_TIME" "$n")
  for m in erk43-ip ip-dop853 rk4ip petsc-ts yoshida4; do
    set -- time.duration=0.05
    [ "$m" = rk4ip ] || [ "$m" = yoshida4 ] && set -- time.duration=0.05 time.dt=0.0025
    run "$m-tp-$n" "$SRC/inputs/nlse/source_soliton.toml" grid.points=$n time.method="\"$m\"" time.max_step=0 \
      output.spectrum=false "$@" >/dev/null
    /usr/bin/python3 - "$W/$m-tp-$n/nlse.h5" "$m" "$n" "$nsfft" <<'PYEOF'
import sys, h5py
f = h5py.File(sys.argv[1], "r")
m, n, nsfft = sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
loop, rec, steps = f.attrs["wall_seconds_loop_record_steps"]
ffts = f.attrs["counters_accepted_rejected_rhs_ffts"][3]
per = (loop - rec) / steps / n * 1e9
bound = ffts / steps * nsfft / n
print(f"{m:<10} {n:>8} {steps:>7.0f} {ffts / steps:>9.1f} {per:>11.2f} {bound:>11.2f} {per / bound:>6.2f}")
PYEOF
  done
done
