#!/usr/bin/env bash
# Walk throughput: steps per second per core of sampo-walks while walking (the driver's "throughput ... while
# walking": the estimators at output times left out) for SRW, MHRW, NBRW, SRRW (alpha 0, 1, 5) and HDT on a
# Watts-Strogatz graph (N = 2^20, k = 10), a Barabasi-Albert graph (N = 2^20, m = 5) and a Graph500 Kronecker graph
# (scale SCALE; once more with graph.order = degree), with the SRRW / SRW cost ratio, the CPU time (user+sys of the
# whole run, setup included) and wall time per row, then weak scaling 1 -> 2 ranks for both engines with the vertex
# engine's bytes exchanged per step.
# Then the SRRW sampler at Graph500 hubs (exact O(d) scan vs rejection sampling) at scales REJ_SCALE..REJ_SCALE+2, and
# the distributed graph's bytes per rank at P = 1, 2, 4, and the vertex engine on a 300 x 300 torus with random ids
# before and after tools/walks_reorder.py (RCM; needs python3-scipy), and last the limits: the memory floor of the
# SRW and SRRW steps on WS 2^20 (walks_floor_time: the recorded paths replayed with only their memory accesses) and
# the machine's random-line latency and ceiling (walks_random_lines). Not a test: prints tables. Usage:
#   tests/perf/walks_bench.sh [BUILD_DIR] [KRONECKER_SCALE] [STEPS]
#   WALKS_BENCH_ONLY=walks|rejection|memory|order|floor tests/perf/walks_bench.sh ...   (one section only)
# Defaults: build-walks, scale 20, 400000 steps per token, 8 tokens per rank, 1 OpenMP thread per rank,
# REJ_SCALE=16. Graph500 scale 20 takes ~18 s of setup per run (the table has 8 runs per graph) and ~0.9 GB.
# Replicated engine: tokens sharded by id, so the walk itself exchanges no bytes per step (0 B/step); the only
# communication is the estimator gather at output times. The vertex-partitioned engine (walk.partition = vertex)
# migrates tokens and ghost counts every superstep: its migrations and bytes per step are printed last.
set -euo pipefail
BUILD=${1:-build-walks}; SCALE=${2:-20}; STEPS=${3:-400000}; REJ_SCALE=${REJ_SCALE:-16}
EXE=$BUILD/drivers/sampo-walks
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1 OMP_NUM_THREADS=1
# Yield in collectives (shared machines); set OMPI_MCA_mpi_yield_when_idle=0 on dedicated nodes.
export OMPI_MCA_mpi_yield_when_idle=${OMPI_MCA_mpi_yield_when_idle:-1}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/walks-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
printf '[run]\nseed = 1\n' > "$WORK/deck.toml"
TOKENS=8
LAST=""
rate() {  # ranks, args... -> steps/s per core (the full log is kept in $WORK/last.log)
  local np=$1; shift
  local out
  out=$(/usr/bin/time -f "%U %S %e" -o "$WORK/time" mpiexec -n "$np" --bind-to none "$EXE" "$WORK/deck.toml" \
        run.output_dir="$WORK/out" oracle.enabled=false \
        checkpoint.at_end=false walk.tokens=$((TOKENS * np)) walk.steps="$STEPS" walk.output_every="$STEPS" \
        walk.chunk_steps="$STEPS" "$@" 2>&1)
  echo "$out" > "$WORK/last.log"
  echo "$out" | sed -n 's/.*(\([0-9.e+]*\) per rank).*/\1/p'
}
add_time() {  # adds the last run's user+sys and wall seconds to CPU and WALL (call in the parent shell)
  local u s w
  read -r u s w < "$WORK/time"
  CPU=$(echo "$CPU + $u + $s" | bc -l); WALL=$(echo "$WALL + $w" | bc -l)
}
exchange() {  # "migrations/step bytes/step" of the last partitioned run
  sed -n 's/.*supersteps, \([0-9.e+]*\) migrations and \([0-9.e+]*\) bytes exchanged per step.*/\1 \2/p' "$WORK/last.log"
}
CPU=0; WALL=0
graphs=("ws(N=2^20,k=10) graph.kind=ws graph.vertices=1048576 graph.degree=10 graph.rewire=0.1"
        "ba(N=2^20,m=5) graph.kind=ba graph.vertices=1048576 graph.attach=5"
        "kronecker graph.kind=kronecker graph.scale=$SCALE graph.relabel=true"
        "kronecker-deg graph.kind=kronecker graph.scale=$SCALE graph.relabel=true graph.order=degree")
walks=("SRW walk.chain=srw walk.method=base"
       "MHRW walk.chain=mhrw walk.method=base"
       "NBRW walk.chain=nbrw walk.method=base"
       "SRRW(a=0) walk.chain=srw walk.method=srrw walk.alpha=0"
       "SRRW(a=1) walk.chain=srw walk.method=srrw walk.alpha=1"
       "SRRW(a=5) walk.chain=srw walk.method=srrw walk.alpha=5"
       "MH-SRRW(a=5) walk.chain=mhrw walk.method=srrw walk.alpha=5"
       "HDT(a=5) walk.chain=srw walk.method=hdt walk.alpha=5")
ONLY=${WALKS_BENCH_ONLY:-}
if [ -z "$ONLY" ] || [ "$ONLY" = walks ]; then
echo "load at start: $(cat /proc/loadavg)"
echo "replicated engine, 1 rank, $TOKENS tokens x $STEPS steps; steps/s/core while walking (the estimators at the end"
echo "left out); SRRW/SRW: the cost of a SRRW step over a SRW step; cpu/wall: seconds of the row's runs, setup included"
printf '%-16s' "steps/s/core"
for w in "${walks[@]}"; do printf '%14s' "${w%% *}"; done
printf '%10s%10s%10s%10s\n' "a=1/SRW" "a=5/SRW" "cpu s" "wall s"
for g in "${graphs[@]}"; do
  name=${g%% *}
  case $name in kronecker) name="g500(s=$SCALE)" ;; kronecker-deg) name="g500-deg(s=$SCALE)" ;; esac
  printf '%-16s' "$name"
  CPU=0; WALL=0; declare -A R=()
  for w in "${walks[@]}"; do
    # shellcheck disable=SC2086
    R[${w%% *}]=$(rate 1 ${g#* } ${w#* }); add_time
    printf '%14.3g' "${R[${w%% *}]}"
  done
  printf '%10.2f%10.2f%10.1f%10.1f\n' "$(echo "${R[SRW]} / ${R[SRRW(a=1)]}" | bc -l)" \
    "$(echo "${R[SRW]} / ${R[SRRW(a=5)]}" | bc -l)" "$CPU" "$WALL"
done
echo "load at end: $(cat /proc/loadavg)"
echo
echo "weak scaling (ws N=2^20, $TOKENS tokens per rank, replicated engine: no bytes exchanged while walking; steps/s per core):"
for w in "SRW walk.chain=srw walk.method=base" "SRRW(a=1) walk.chain=srw walk.method=srrw walk.alpha=1" \
         "SRRW(a=5) walk.chain=srw walk.method=srrw walk.alpha=5"; do
  # shellcheck disable=SC2086
  r1=$(rate 1 graph.kind=ws graph.vertices=1048576 ${w#* }); r2=$(rate 2 graph.kind=ws graph.vertices=1048576 ${w#* })
  printf '  %-10s 1 rank %10.3g   2 ranks %10.3g   efficiency %.2f\n' "${w%% *}" "$r1" "$r2" "$(echo "$r2 / $r1" | bc -l)"
done

echo
# 256 tokens per rank, as in earlier sessions' figures (session 14 measured 8-32 per rank as fast or faster: the
# tokens take turns at every cut crossing and lose cache locality; see docs/walks.md, Session 14).
PT=256; PSTEPS=$((STEPS / 10))
echo "vertex-partitioned engine (walk.partition=vertex, SRRW a=5, $PT tokens per rank, $PSTEPS steps):"
for g in "ws(N=1e5,k=10) graph.kind=ws graph.vertices=100000 graph.degree=10 graph.rewire=0.1" \
         "g500(s=$REJ_SCALE) graph.kind=kronecker graph.scale=$REJ_SCALE graph.relabel=true"; do
  for np in 1 2; do
    # shellcheck disable=SC2086
    r=$(TOKENS=$PT STEPS=$PSTEPS rate $np ${g#* } walk.partition=vertex walk.chain=srw walk.method=srrw walk.alpha=5)
    read -r mig bytes <<< "$(exchange)"
    printf '  %-16s %d rank(s): %10.3g steps/s/core, %8.3g migrations/step, %8.3g bytes/step\n' "${g%% *}" "$np" "$r" "$mig" "$bytes"
  done
done
fi

if [ -z "$ONLY" ] || [ "$ONLY" = rejection ]; then
SCALE=$REJ_SCALE
echo
echo "SRRW sampler on Graph500 hubs ($TOKENS tokens, $STEPS steps, 1 rank; steps/s/core): scan = walk.rejection_degree=0"
echo "(the exact O(d) scan at every vertex), rejection = walk.rejection_degree=256 (the default)"
printf '%-12s %12s %12s %12s %12s %12s %8s %8s\n' graph SRW "a=1 scan" "a=1 rej" "a=5 scan" "a=5 rej" "a=1 x" "a=5 x"
for sc in "$SCALE" $((SCALE + 1)) $((SCALE + 2)); do
  G="graph.kind=kronecker graph.scale=$sc graph.relabel=true walk.chain=srw"
  # shellcheck disable=SC2086
  srw=$(rate 1 $G walk.method=base)
  # shellcheck disable=SC2086
  s1=$(rate 1 $G walk.method=srrw walk.alpha=1 walk.rejection_degree=0)
  # shellcheck disable=SC2086
  r1=$(rate 1 $G walk.method=srrw walk.alpha=1 walk.rejection_degree=256)
  # shellcheck disable=SC2086
  s5=$(rate 1 $G walk.method=srrw walk.alpha=5 walk.rejection_degree=0)
  # shellcheck disable=SC2086
  r5=$(rate 1 $G walk.method=srrw walk.alpha=5 walk.rejection_degree=256)
  printf '%-12s %12.3g %12.3g %12.3g %12.3g %12.3g %8.2f %8.2f\n' "g500(s=$sc)" "$srw" "$s1" "$r1" "$s5" "$r5" \
    "$(echo "$r1 / $s1" | bc -l)" "$(echo "$r5 / $s5" | bc -l)"
done
fi

if [ -z "$ONLY" ] || [ "$ONLY" = memory ]; then
echo
SCALE=$REJ_SCALE
echo "distributed graph (walk.partition=vertex), Graph500 scale $SCALE: bytes of rows + ghost degrees and index on the largest rank"
for np in 1 2 4; do
  rate "$np" graph.kind=kronecker graph.scale="$SCALE" graph.relabel=true walk.partition=vertex walk.steps=10 \
    walk.output_every=10 walk.chunk_steps=10 > /dev/null
  b=$(sed -n 's/.*rows and ghosts \([0-9]*\) bytes on the largest rank.*/\1/p' "$WORK/last.log")
  printf '  P = %d: %12d bytes (%.1f MiB)\n' "$np" "$b" "$(echo "$b / 1048576" | bc -l)"
done
fi

if [ -z "$ONLY" ] || [ "$ONLY" = order ]; then
echo
OT=32; OSTEPS=$((STEPS / 8))
echo "vertex order (tools/walks_reorder.py): 300 x 300 torus with random ids, then renumbered by RCM; $OT tokens per rank,"
echo "$OSTEPS steps; steps/s/core (migrations per step at 2 ranks)"
if ! /usr/bin/python3 -c "import scipy, h5py" 2>/dev/null; then
  echo "  skipped: /usr/bin/python3 lacks scipy or h5py (Debian python3-scipy python3-h5py)"
else
  /usr/bin/python3 "$(dirname "$0")/../support/torus_edges.py" "$WORK/torus.txt" 300
  /usr/bin/python3 "$(dirname "$0")/../../tools/walks_reorder.py" "$WORK/torus.txt" "$WORK/torus_rcm.h5" | sed 's/^/  /'
  printf '  %-12s %-22s %12s %12s %22s\n' order walk "1 rank" "2 ranks" "migrations/step"
  for o in "random graph.kind=file graph.file=$WORK/torus.txt" "rcm graph.kind=hdf5 graph.file=$WORK/torus_rcm.h5"; do
    for w in "SRW walk.method=base" "SRRW(a=5) walk.method=srrw walk.alpha=5"; do
      # shellcheck disable=SC2086
      r1=$(TOKENS=$OT STEPS=$OSTEPS rate 1 ${o#* } walk.partition=vertex walk.chain=srw ${w#* })
      # shellcheck disable=SC2086
      r2=$(TOKENS=$OT STEPS=$OSTEPS rate 2 ${o#* } walk.partition=vertex walk.chain=srw ${w#* })
      read -r mig _ <<< "$(exchange)"
      printf '  %-12s %-22s %12.3g %12.3g %22.3g\n' "${o%% *}" "${w%% *}" "$r1" "$r2" "$mig"
    done
  done
fi
fi

if [ -z "$ONLY" ] || [ "$ONLY" = floor ]; then
echo
echo "limits: the step's memory floor (walks_floor_time N=2^20, 8 tokens x 1e6 steps, 3 rounds; replay = the same"
echo "paths with only their memory accesses) and random 64-byte loads (walks_random_lines, 1 GiB)"
if [ -x "$BUILD/tests/walks/walks_floor_time" ]; then
  "$BUILD/tests/walks/walks_floor_time" 1048576 "${FLOOR_STEPS:-1000000}" 3 | sed 's/^/  /'
  "$BUILD/tests/walks/walks_random_lines" 1024 | sed 's/^/  /'
else
  echo "  (not built: configure with -DSAMPO_TESTS=ON)"
fi
fi
