#!/usr/bin/env bash
# Benchmark (not a ctest), seven tables (TABLES="1 2 ..." selects; default all but 5's N = 2^26 run):
#  1. plain DOP853 against IP-DOP853 as N grows: the source's single soliton (L = 50, rtol 1e-9, atol 1e-11), T = 1.
#     Plain DOP853 is stability-limited (h ~ 4.1 L^2/N^2, steps ~ N^2); in the interaction picture the step count
#     does not depend on N.
#  2. time to accuracy on the exact two-soliton (A, v) = (2, 2), (1.5, -2) from x = -10, 10 on L = 100, N = 2048,
#     T = 10 (the flagship deck) for each method over a tolerance or step sweep: max error at T, steps, RHS, FFTs, wall.
#  3. ns per grid point per step of each method against the FFT-only lower bound (FFTs per step x the measured
#     time of one FFT of the solver's plans at that N), N = 2^14 ... 2^22 (TP_SIZES, TP_METHODS select), wall and CPU;
#     and against the same run's own time inside FFTW (in-run: immune to load changes between the two measurements);
#     under ip-dop853, its floor: the bound plus its array passes without their arithmetic (nlse_traffic_time).
#  4. strong scaling 1 -> 2 ranks at N = 2^22 (erk43-ip, rk4ip): loop wall and CPU time per step, speed-up.
#  5. the largest N per method: the largest power of 2 that the driver's memory check (0.9 x MemAvailable >=
#     bytes per point x N, bytes per point as bytes_per_point() in src/nlse/simulation.cpp) admits on this machine;
#     with BIG=1 also a demonstrated run at N = 2^26 with erk43-ip (a few steps; peak RSS by /usr/bin/time -v;
#     needs ~19 GB: run it alone).
#  6. weak scaling with an exact reference: case akhmediev_tiled, N = 2^20 points and 2^14 periods per rank,
#     erk43-ip, at 1 and RANKS_WEAK (default 2) ranks: loop time per step, efficiency, max error against the exact
#     breather.
#  7. time to accuracy 1e-6 and 1e-9 on the exact two-soliton (L = 100, N = TTA_N, default 2048 and 16384, T = 10),
#     1 process, 1 thread:
#     Sampo's methods beside XMDS2 3.1's ARK89 interaction-picture integrator (tests/perf/nlse_xmds2_two_soliton.xmds,
#     compiled per tolerance; error from its HDF5 output by tests/perf/nlse_xmds2_error.py), and how many FFTs XMDS2
#     makes and how long they take (tests/perf/nlse_xmds2_fft_count.sh). Skipped with a line saying so when xmds2 is
#     not installed (Debian package xmds2).
#   tests/perf/nlse_bench.sh [BUILD_DIR] [RANKS]   (needs the nlse_fft_time and nlse_traffic_time targets)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$SRC/build-nlse}
NP=${2:-1}
BIN="$BUILD/drivers/sampo-nlse"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
export OMP_NUM_THREADS=1
run() {  # run TAG DECK ARGS... -> prints "wall steps rejected rhs ffts max_error cpu" (cpu: user+sys, all ranks)
  local tag=$1 deck=$2
  shift 2
  local t0 t1
  t0=$(date +%s.%N)
  /usr/bin/time -f "%U %S" -o "$W/$tag.time" ${MPIEXEC:-mpiexec} --oversubscribe --bind-to none -n "${RUN_NP:-$NP}" \
    "$BIN" "$deck" run.output_dir="$W/$tag" checkpoint.at_end=false output.psi=false output.snapshots=1 -q "$@" \
    >"$W/$tag.log" 2>&1 || { echo "$tag failed:" >&2; cat "$W/$tag.log" >&2; return 1; }
  t1=$(date +%s.%N)
  /usr/bin/python3 - "$W/$tag/nlse.h5" "$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}')" \
    "$(awk '{printf "%.2f", $1 + $2}' "$W/$tag.time")" <<'PYEOF'
import sys, h5py
f = h5py.File(sys.argv[1], "r")
c = f.attrs["counters_accepted_rejected_rhs_ffts"]
print(sys.argv[2], c[0], c[1], c[2], c[3], "%.2e" % f["max_error"][-1], sys.argv[3])
PYEOF
}
want() { [[ " ${TABLES:-1 2 3 4 5 6 7} " == *" $1 "* ]]; }
if want 1; then
echo "1. single soliton, L = 50, T = 1, rtol 1e-9, atol 1e-11, $NP rank(s)"
printf "%-10s %6s %8s %8s %8s %9s %10s\n" method N wall_s steps rejected RHS max_error
for n in 512 1024 2048 4096 8192; do
  for m in dop853 ip-dop853; do
    read -r wall st rej rhs ffts err _ < <(run "$m-$n" "$SRC/inputs/nlse/source_soliton.toml" grid.points=$n \
      time.method="\"$m\"" time.duration=1 time.max_step=0)
    printf "%-10s %6s %8s %8s %8s %9s %10s\n" "$m" "$n" "$wall" "$st" "$rej" "$rhs" "$err"
  done
done
echo
fi
if want 2; then
echo "2. exact two-soliton, L = 100, N = 2048, T = 10, $NP rank(s) (wall includes MPI start-up, ~0.3 s)"
printf "%-10s %10s %8s %8s %9s %9s %10s\n" method setting wall_s steps RHS FFTs max_error
for m in erk43-ip ip-dop853; do
  for tol in 1e-7 1e-9 1e-11; do
    atol=$(/usr/bin/python3 -c "print($tol * 1e-2)")
    read -r wall st rej rhs ffts err _ < <(run "$m-$tol" "$SRC/inputs/nlse/flagship.toml" time.method="\"$m\"" \
      time.rtol=$tol time.atol=$atol)
    printf "%-10s %10s %8s %8s %9s %9s %10s\n" "$m" "rtol=$tol" "$wall" "$st" "$rhs" "$ffts" "$err"
  done
done
for m in etd-abm; do
  for dt in 1e-2 6e-3; do
    read -r wall st rej rhs ffts err _ < <(run "$m-$dt" "$SRC/inputs/nlse/flagship.toml" time.method="\"$m\"" \
      time.dt=$dt)
    printf "%-10s %10s %8s %8s %9s %9s %10s\n" "$m" "dt=$dt" "$wall" "$st" "$rhs" "$ffts" "$err"
  done
done
for m in rk4ip yoshida4; do
  for dt in 4e-3 1e-3; do
    read -r wall st rej rhs ffts err _ < <(run "$m-$dt" "$SRC/inputs/nlse/flagship.toml" time.method="\"$m\"" time.dt=$dt)
    printf "%-10s %10s %8s %8s %9s %9s %10s\n" "$m" "dt=$dt" "$wall" "$st" "$rhs" "$ffts" "$err"
  done
done
echo
fi
if want 3; then
echo "3. throughput against the FFT-only lower bound, single soliton (L = 50, rtol 1e-9), $NP rank(s), FFTW estimate"
echo "   ns/pt/step = stepping time (the driver's loop minus diagnostics/output) / (steps N); bound = FFTs per step x"
echo "   measured time of one distributed FFT / N (nlse_fft_time: the solver's own in-place FFTW-MPI plans on its buffer,"
echo "   bare backward + forward pairs, the minimum of 5 repeats of >= 0.25 s each). Wall and process CPU time (rank 0;"
echo "   on a loaded machine compare the CPU columns)"
FFT_TIME="$BUILD/tests/nlse/nlse_fft_time"
echo "   etd-abm's row includes its start (6 ip-dop853 steps, the weights); 'steady' below it: the added 100 steps of a"
echo "   run twice as long"
echo "   'floor' below ip-dop853: the bound of 24 FFTs per step plus the time of its array passes alone (the same sweeps"
echo "   over the same arrays without phase factors or complex products; nlse_traffic_time): no implementation of those"
echo "   passes gets below it"
echo "   in-run: the same run's own time inside FFTW's executes (wall_seconds_loop_fft, rank 0) per point and step, and"
echo "   the loop's ratio to it: measured in the same seconds as the loop, so not moved by another job's load"
printf "%-10s %8s %6s %6s %9s %7s %6s %9s %7s %6s %7s %6s\n" method N steps FFT/st wall_ns bound ratio cpu_ns bound ratio \
  in-run ratio
for n in ${TP_SIZES:-16384 65536 262144 1048576 4194304}; do
  if ! [[ $n =~ ^[0-9]+$ ]] || [ "$n" -lt 64 ]; then
    echo "TP_SIZES: '$n' is not a grid size: give point counts (e.g. TP_SIZES=\"16384 65536\"), not exponents" >&2
    exit 2
  fi
  read -r _ nsfft cpufft _ < <(${MPIEXEC:-mpiexec} --oversubscribe --bind-to none -n "$NP" "$FFT_TIME" "$n")
  for m in ${TP_METHODS:-erk43-ip ip-dop853 etd-abm rk4ip petsc-ts yoshida4 suzuki-umeno8}; do
    set -- time.duration=0.05
    # ip-dop853 takes ~10 steps in T = 0.05 at rtol 1e-9 (its ratio then scattered by ±30 %): 0.25 gives ~45.
    case $m in
      rk4ip | strang | yoshida4 | kahan-li6 | suzuki-umeno8) set -- time.duration=0.05 time.dt=0.0025 ;;
      ip-dop853) set -- time.duration=0.25 ;;
      # 100 steps, of which the first 8 are ip-dop853's start (their FFTs are in FFT/st, so in the bound too).
      etd-abm) set -- time.duration=0.25 time.dt=0.0025 ;;
    esac
    run "$m-tp-$n" "$SRC/inputs/nlse/source_soliton.toml" grid.points=$n time.method="\"$m\"" time.max_step=0 \
      output.spectrum=false "$@" >/dev/null
    /usr/bin/python3 - "$W/$m-tp-$n/nlse.h5" "$m" "$n" "$nsfft" "$cpufft" <<'PYEOF'
import sys, h5py
f = h5py.File(sys.argv[1], "r")
m, n, nsfft, cpufft = sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
loop, rec, steps = f.attrs["wall_seconds_loop_record_steps"]
cloop, crec = f.attrs["cpu_seconds_loop_record"]
ffts = f.attrs["counters_accepted_rejected_rhs_ffts"][3]
per, cper = (loop - rec) / steps / n * 1e9, (cloop - crec) / steps / n * 1e9
fps = ffts / steps
bound, cbound = fps * nsfft / n, fps * cpufft / n
# NaN for a binary from before session 11 (no wall_seconds_loop_fft): the other columns still compare old and new.
inrun = f.attrs.get("wall_seconds_loop_fft", float("nan")) / steps / n * 1e9
print(f"{m:<10} {n:>8} {steps:>6.0f} {fps:>6.1f} {per:>9.1f} {bound:>7.1f} {per / bound:>6.2f} {cper:>9.1f} {cbound:>7.1f} {cper / cbound:>6.2f} {inrun:>7.1f} {per / inrun:>6.2f}")
PYEOF
    if [ "$m" = ip-dop853 ] && [ -x "$BUILD/tests/nlse/nlse_traffic_time" ]; then
      # The floor of ip-dop853's own passes: the FFT-only bound plus the time its array sweeps take without their
      # arithmetic (nlse_traffic_time on one rank's N/RANKS points, per global point: the ranks sweep at once), and
      # that floor's ratio to the bound.
      traffic=$("$BUILD/tests/nlse/nlse_traffic_time" $((n / NP)) | awk '{print $2}') || traffic=""
      [ -n "$traffic" ] && /usr/bin/python3 -c "
n, nsfft, cpufft, tr = $n, $nsfft, $cpufft, $traffic / $NP
b, cb = 24.0 * nsfft / n, 24.0 * cpufft / n
print(f\"{'  floor':<10} {n:>8} {'':>6} {24.0:>6.1f} {b + tr:>9.1f} {b:>7.1f} {(b + tr) / b:>6.2f} {cb + tr:>9.1f} {cb:>7.1f} {(cb + tr) / cb:>6.2f}   (FFTs + {tr:.1f} ns of sweeps)\")"
    fi
    if [ "$m" = etd-abm ]; then
      # Its steady state without the start (6 ip-dop853 steps, the weights): the difference of this run and one
      # twice as long, per added step (4 FFTs each).
      run "$m-tp2-$n" "$SRC/inputs/nlse/source_soliton.toml" grid.points=$n time.method="\"$m\"" \
        output.spectrum=false time.duration=0.5 time.dt=0.0025 >/dev/null
      /usr/bin/python3 - "$W/$m-tp-$n/nlse.h5" "$W/$m-tp2-$n/nlse.h5" "$n" "$nsfft" "$cpufft" <<'PYEOF'
import sys, h5py
a, b = (h5py.File(p, "r").attrs for p in sys.argv[1:3])
n, nsfft, cpufft = int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
def part(x):
    loop, rec, steps = x["wall_seconds_loop_record_steps"]
    cloop, crec = x["cpu_seconds_loop_record"]
    return loop - rec, cloop - crec, steps, x["counters_accepted_rejected_rhs_ffts"][3], x["wall_seconds_loop_fft"]
(wa, ca, sa, fa, ia), (wb, cb, sb, fb, ib) = part(a), part(b)
ds = sb - sa
per, cper, fps = (wb - wa) / ds / n * 1e9, (cb - ca) / ds / n * 1e9, (fb - fa) / ds
bound, cbound, inrun = fps * nsfft / n, fps * cpufft / n, (ib - ia) / ds / n * 1e9
print(f"{'  steady':<10} {n:>8} {ds:>6.0f} {fps:>6.1f} {per:>9.1f} {bound:>7.1f} {per / bound:>6.2f} {cper:>9.1f} {cbound:>7.1f} {cper / cbound:>6.2f} {inrun:>7.1f} {per / inrun:>6.2f}")
PYEOF
    fi
  done
done
echo "   load: $(cat /proc/loadavg)"
fi

# Loop throughput of a finished run: "loop_wall_per_step loop_cpu_per_step steps" (diagnostics/output excluded).
loop_per_step() {
  /usr/bin/python3 - "$1" <<'PYEOF'
import sys, h5py
f = h5py.File(sys.argv[1], "r")
loop, rec, steps = f.attrs["wall_seconds_loop_record_steps"]
cloop, crec = f.attrs["cpu_seconds_loop_record"]
print("%.4f %.4f %d" % ((loop - rec) / steps, (cloop - crec) / steps, steps))
PYEOF
}
if want 4; then
  echo
  echo "4. strong scaling at N = 2^22, single soliton (L = 50, T = 0.02), 1 thread per rank; loop time per step"
  echo "   (wall, and rank 0's CPU) and the wall speed-up over 1 rank. On a 2-core machine shared with other jobs the"
  echo "   2-rank column needs both cores free: check the load line."
  printf "%-9s %5s %6s %11s %11s %8s %10s\n" method ranks steps wall_s/step cpu_s/step speedup max_error
  for m in erk43-ip rk4ip; do
    base=""
    for np in 1 2; do
      RUN_NP=$np run "$m-ss-$np" "$SRC/inputs/nlse/source_soliton.toml" grid.points=4194304 time.method="\"$m\"" \
        time.max_step=0 time.duration=0.02 time.dt=0.0025 output.spectrum=false >"$W/ss.out"
      read -r _ _ _ _ _ err _ <"$W/ss.out"
      read -r wps cps st < <(loop_per_step "$W/$m-ss-$np/nlse.h5")
      [ -n "$base" ] || base=$wps
      printf "%-9s %5s %6s %11s %11s %8s %10s\n" "$m" "$np" "$st" "$wps" "$cps" \
        "$(awk -v a="$base" -v b="$wps" 'BEGIN{printf "%.2f", a/b}')" "$err"
    done
  done
  echo "   load: $(cat /proc/loadavg)"
fi
if want 5; then
  echo
  echo "5. largest N per method on this machine: the largest power of 2 with bytes/point x N <= 0.9 MemAvailable"
  echo "   (the driver's check, app::require_memory; 1 rank, no dealiasing)"
  avail=$(awk '/MemAvailable:/ {print $2 * 1024}' /proc/meminfo)
  printf "%-10s %11s %10s %12s\n" method bytes/point largest_N "memory(GiB)"
  # bytes per point: keep in step with bytes_per_point() in src/nlse/simulation.cpp (16 x arrays)
  for mb in strang:112 yoshida4:112 kahan-li6:112 suzuki-umeno8:112 rk4ip:160 erk43-ip:256 dop853:464 ip-dop853:496 \
    petsc-ts:432 etd-abm:640; do
    m=${mb%%:*} b=${mb##*:}
    /usr/bin/python3 -c "
import math, sys
avail, b = float(sys.argv[1]), float(sys.argv[2])
k = int(math.floor(math.log2(0.9 * avail / b)))
print('%-10s %11d %10s %12.1f' % (sys.argv[3], b, '2^%d' % k, b * 2**k / 2**30))" "$avail" "$b" "$m"
  done
  echo "   MemAvailable now: $(awk -v a="$avail" 'BEGIN{printf "%.1f GiB", a/2^30}')"
  if [ "${BIG:-0}" = 1 ]; then
    echo "   N = 2^26 with erk43-ip, single soliton (L = 50), 3 steps (time.dt = 1e-3, T = 0.003), 1 rank, 1 thread:"
    free -g | sed 's/^/   /'
    /usr/bin/time -v -o "$W/big.time" "$BIN" "$SRC/inputs/nlse/source_soliton.toml" run.output_dir="$W/big" \
      checkpoint.at_end=false output.psi=false output.spectrum=false output.snapshots=1 -q grid.points=67108864 \
      time.method='"erk43-ip"' time.max_step=0 time.dt=1e-3 time.duration=0.003 >"$W/big.log" 2>&1 ||
      { echo "   the N = 2^26 run failed:"; sed 's/^/   /' "$W/big.log"; }
    if [ -f "$W/big/nlse.h5" ]; then
      read -r wps cps st < <(loop_per_step "$W/big/nlse.h5")
      rss=$(awk -F': ' '/Maximum resident/ {printf "%.2f", $2 / 2^20}' "$W/big.time")
      user=$(awk -F': ' '/User time/ {print $2}' "$W/big.time") sys=$(awk -F': ' '/System time/ {print $2}' "$W/big.time")
      wall=$(awk -F': ' '/Elapsed/ {print $2}' "$W/big.time")
      err=$(/usr/bin/python3 -c "import h5py,sys; print('%.2e' % h5py.File(sys.argv[1])['max_error'][-1])" "$W/big/nlse.h5")
      echo "   steps $st, loop $wps s/step wall ($cps s CPU), peak RSS $rss GiB ($(awk -v r="$rss" \
        'BEGIN{printf "%.0f", r * 2^30 / 2^26}') bytes/point), process user $user s sys $sys s wall $wall, max error $err"
    fi
  fi
fi
if want 6; then
  echo
  NPW=${RANKS_WEAK:-2}
  echo "6. weak scaling, exact reference: akhmediev_tiled (a = 0.25, 64 points per period), N = 2^20 and 2^14 periods"
  echo "   per rank, erk43-ip rtol 1e-12 from t0 = -6 for T = 0.05; loop time per step, efficiency = wall(1)/wall(R)"
  printf "%5s %10s %8s %6s %11s %11s %10s %10s\n" ranks N periods steps wall_s/step cpu_s/step efficiency max_error
  base=""
  for np in 1 $NPW; do
    n=$((1048576 * np)) tiles=$((16384 * np))
    RUN_NP=$np run "weak-$np" "$SRC/inputs/nlse/akhmediev_tiled.toml" grid.points=$n case.tiles=$tiles \
      time.duration=0.05 output.spectrum=false >"$W/weak.out"
    read -r _ _ _ _ _ err _ <"$W/weak.out"
    read -r wps cps st < <(loop_per_step "$W/weak-$np/nlse.h5")
    [ -n "$base" ] || base=$wps
    printf "%5s %10s %8s %6s %11s %11s %10s %10s\n" "$np" "$n" "$tiles" "$st" "$wps" "$cps" \
      "$(awk -v a="$base" -v b="$wps" 'BEGIN{printf "%.2f", a/b}')" "$err"
  done
  echo "   load: $(cat /proc/loadavg)"
fi
if want 7; then
  for tn in ${TTA_N:-2048 16384}; do
  echo
  echo "7. time to accuracy, exact two-soliton (L = 100, N = $tn, T = 10), 1 process, 1 thread: process CPU"
  echo "   (user+sys) and wall seconds, max error at T. Sampo: the whole driver (MPI start-up, planning, output);"
  echo "   loop_s: its time loop alone."
  printf "%-16s %12s %8s %7s %7s %10s\n" code setting steps cpu_s wall_s max_error
  : >"$W/tta.txt"
  for mt in ip-dop853:1e-6:1e-8 ip-dop853:1e-6:3e-9 ip-dop853:1e-7:1e-9 ip-dop853:1e-8:1e-10 erk43-ip:1e-8:1e-10 \
    erk43-ip:1e-9:1e-11 erk43-ip:1e-10:1e-12; do
    IFS=: read -r m tol atol <<<"$mt"
    RUN_NP=1 run "tta-$tn-$m-$tol-$atol" "$SRC/inputs/nlse/flagship.toml" grid.points="$tn" time.method="\"$m\"" \
      time.rtol="$tol" time.atol="$atol" output.spectrum=false >"$W/t.out"
    read -r wall st _ _ _ err cpu <"$W/t.out"
    read -r wps _ _ < <(loop_per_step "$W/tta-$tn-$m-$tol-$atol/nlse.h5")
    printf "%-16s %12s %8s %7s %7s %10s   loop_s %.2f\n" "sampo $m" "$tol/$atol" "$st" "$cpu" "$wall" "$err" \
      "$(awk -v a="$wps" -v s="$st" 'BEGIN{print a*s}')"
    echo "sampo-$m $err $cpu" >>"$W/tta.txt"
  done
  for mt in etd-abm:1e-2 etd-abm:7.5e-3 etd-abm:6e-3 etd-abm:5e-3 rk4ip:4e-3 rk4ip:1e-3 yoshida4:4e-3 yoshida4:1e-3 \
    kahan-li6:4e-3 suzuki-umeno8:5e-3; do
    m=${mt%%:*} dt=${mt##*:}
    RUN_NP=1 run "tta-$tn-$m-$dt" "$SRC/inputs/nlse/flagship.toml" grid.points="$tn" time.method="\"$m\"" \
      time.dt=$dt output.spectrum=false >"$W/t.out"
    read -r wall st _ _ _ err cpu <"$W/t.out"
    read -r wps _ _ < <(loop_per_step "$W/tta-$tn-$m-$dt/nlse.h5")
    printf "%-16s %12s %8s %7s %7s %10s   loop_s %.2f\n" "sampo $m" "dt=$dt" "$st" "$cpu" "$wall" "$err" \
      "$(awk -v a="$wps" -v s="$st" 'BEGIN{print a*s}')"
    echo "sampo-$m $err $cpu" >>"$W/tta.txt"
  done
  if command -v xmds2 >/dev/null 2>&1; then
    for tol in ${XMDS_TOLS:-1e-5 1e-6 1e-7 3e-8 1e-8}; do
      d="$W/xmds-$tn-$tol"
      mkdir -p "$d"
      sed "s/@TOL@/$tol/; s/@N@/$tn/" "$SRC/tests/perf/nlse_xmds2_two_soliton.xmds" >"$d/sim.xmds"
      (cd "$d" && xmds2 sim.xmds >compile.log 2>&1) ||
        { echo "xmds2 failed to compile the script (tolerance $tol):"; tail -20 "$d/compile.log"; continue; }
      t0=$(date +%s.%N)
      (cd "$d" && /usr/bin/time -f "%U %S" -o run.time ./nlse_xmds2_two_soliton >run.log 2>&1) ||
        { echo "xmds2 run failed (tolerance $tol)"; tail -5 "$d/run.log"; continue; }
      t1=$(date +%s.%N)
      st=$(awk '/Attempted/ {print $2}' "$d/run.log")
      err=$(/usr/bin/python3 "$SRC/tests/perf/nlse_xmds2_error.py" "$d/nlse_xmds2_two_soliton.h5")
      cpu=$(awk '{printf "%.2f", $1 + $2}' "$d/run.time")
      printf "%-16s %12s %8s %7s %7s %10s\n" "xmds2 ARK89-IP" "tol=$tol" "$st" "$cpu" \
        "$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}')" "$err"
      echo "xmds2-ARK89 $err $cpu" >>"$W/tta.txt"
    done
    echo "   XMDS2's own FFT share (its FFTW calls timed in an instrumented rebuild, tests/perf/nlse_xmds2_fft_count.sh):"
    echo "   $("$SRC/tests/perf/nlse_xmds2_fft_count.sh" 3e-8 "$tn")"
  else
    echo "xmds2 ARK89-IP: not installed (Debian: apt-get install --no-install-recommends xmds2); skipped"
  fi
  echo "   cheapest run reaching each accuracy (CPU s), N = $tn:"
  /usr/bin/python3 - "$W/tta.txt" <<'PYEOF'
import sys
best = {}
for line in open(sys.argv[1]):
    code, err, cpu = line.split()
    for target in (1e-6, 1e-9):
        if float(err) <= target:
            k = (code, target)
            best[k] = min(best.get(k, 1e300), float(cpu))
for target in (1e-6, 1e-9):
    row = sorted((v, c) for (c, t), v in best.items() if t == target)
    print("   <= %.0e: " % target + ", ".join("%s %.2f" % (c, v) for v, c in row))
PYEOF
  echo "   load: $(cat /proc/loadavg)"
  done
fi
