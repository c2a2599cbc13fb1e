#!/usr/bin/env bash
# How much of an XMDS2 run is FFTW: counts and times every fftw_execute_dft call of the XMDS2 peer script
# (tests/perf/nlse_xmds2_two_soliton.xmds) at one tolerance and N. XMDS2 links FFTW statically, so an LD_PRELOAD
# shim cannot see the calls: this generates the script's C++ (xmds2 -v prints its compile and link lines), wraps
# the one fftw_execute_dft site in a steady_clock timer, and rebuilds with XMDS2's own flags.
#   tests/perf/nlse_xmds2_fft_count.sh [TOL] [N]      (defaults 3e-8, 16384; 1 thread)
# Prints: steps, FFT calls, FFT calls per step, seconds in FFTW, whole simulation seconds, max error at T.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
TOL=${1:-3e-8}
N=${2:-16384}
command -v xmds2 >/dev/null 2>&1 || {
  echo "xmds2 not installed (Debian: apt-get install --no-install-recommends xmds2); skipped"
  exit 0
}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cd "$W"
sed "s/@TOL@/$TOL/; s/@N@/$N/" "$SRC/tests/perf/nlse_xmds2_two_soliton.xmds" >sim.xmds
xmds2 -v sim.xmds >compile.log 2>&1 || {
  tail -20 compile.log
  exit 1
}
compile=$(grep -E '^/usr/bin/g\+\+ .* -c ' compile.log | tail -1)
link=$(grep -E '^/usr/bin/g\+\+ .*\.o -o' compile.log | tail -1)
[ -n "$compile" ] && [ -n "$link" ] || {
  echo "could not find XMDS2's compile and link lines in its verbose output"
  exit 1
}
/usr/bin/python3 - nlse_xmds2_two_soliton.cc <<'PYEOF'
import sys
p = sys.argv[1]
s = open(p).read()
timer = '''#include <chrono>
#include <cstdio>
static long sampo_fft_calls = 0;
static double sampo_fft_seconds = 0;
static struct SampoFftReport {
  ~SampoFftReport() { std::fprintf(stderr, "FFTW calls %ld seconds %.4f\\n", sampo_fft_calls, sampo_fft_seconds); }
} sampo_fft_report;
'''
s = timer + s
head = "  if (_forward) {\n    fftw_execute_dft("
assert s.count(head) == 1, "expected one fftw_execute_dft site"
s = s.replace(head, "  const auto sampo_t0 = std::chrono::steady_clock::now();\n" + head)
i = s.index("_fftw_backward_plan,\n      reinterpret_cast<fftw_complex*>(_data_in)", s.index(head))
j = s.index("  }\n}", i)
s = s[:j] + ("  }\n  sampo_fft_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - sampo_t0)"
             ".count();\n  ++sampo_fft_calls;\n}") + s[j + 5:]
open(p, "w").write(s)
PYEOF
eval "$compile"
eval "$link"
OMP_NUM_THREADS=1 ./nlse_xmds2_two_soliton >run.log 2>&1
steps=$(awk '/Attempted/ {print $2}' run.log)
read -r calls secs < <(awk '/^FFTW calls/ {print $3, $5}' run.log)
total=$(awk '/Time elapsed for simulation/ {print $(NF-1)}' run.log)
err=$(/usr/bin/python3 "$SRC/tests/perf/nlse_xmds2_error.py" nlse_xmds2_two_soliton.h5)
echo "xmds2 ARK89-IP N=$N tol=$TOL: steps $steps, FFT calls $calls ($(awk -v c="$calls" -v s="$steps" \
  'BEGIN{printf "%.1f", c/s}') per step), FFTW $secs s of $total s simulation, max error $err"
