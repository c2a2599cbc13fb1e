#!/usr/bin/env bash
# A/B throughput of sampo-walks binaries, alternated in the same minutes (shared machines): for each round and
# each walk, one run of OLD then one of NEW (then of each binary in MORE), printing steps/s per core of the walk
# loop, the run's CPU seconds (user+sys, setup included) and wall seconds, and the load average; at the end the
# median and best steps/s per binary and walk. Not a test. Usage:
#   [WALKS="srw a1 a5"] [MORE="exe ..."] tests/perf/walks_ab.sh OLD_EXE NEW_EXE [ROUNDS=3] [STEPS=1000000] [VERTICES=1048576]
# Walk names: srw (SRW base), a0, a1, a2.5, a5 (SRRW α on the SRW chain), mh5 (MH-SRRW α = 5). WS graph, k = 10,
# rewire 0.1, 8 tokens, 1 rank, 1 OpenMP thread, run.seed = 1 (the keys of walks_bench.sh).
# Rates are of the walking only (the driver's "while walking" figure: estimators at output times left out); each
# run records at STEPS/2 and STEPS, and the second column is the rate of the second half alone (from the output's
# /series attribute walk_seconds), which leaves out the walk's first, least local stretch (session 16: the SRRW/SRW
# ratio moved with the run length). The medians are given for both.
set -euo pipefail
OLD=$1; NEW=$2; ROUNDS=${3:-3}; STEPS=${4:-1000000}; N=${5:-1048576}; WALKS=${WALKS:-srw a1 a5}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1 OMP_NUM_THREADS=1
WORK=$(mktemp -d "${TMPDIR:-/tmp}/walks-ab.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
printf '[run]\nseed = 1\n' > "$WORK/deck.toml"
keys() {
  case $1 in
    srw) echo "walk.chain=srw walk.method=base" ;;
    mh5) echo "walk.chain=mhrw walk.method=srrw walk.alpha=5" ;;
    a*) echo "walk.chain=srw walk.method=srrw walk.alpha=${1#a}" ;;
  esac
}
one() {  # exe, walk -> "steps/s steps/s(second half) cpu wall"
  local out u s w h
  # shellcheck disable=SC2046
  out=$(/usr/bin/time -f "%U %S %e" -o "$WORK/time" "$1" "$WORK/deck.toml" run.output_dir="$WORK/out" \
        oracle.enabled=false checkpoint.at_end=false walk.tokens=8 walk.steps="$STEPS" \
        walk.output_every=$((STEPS / 2)) walk.chunk_steps="$STEPS" graph.kind=ws graph.vertices="$N" graph.degree=10 graph.rewire=0.1 \
        $(keys "$2") 2>&1)
  read -r u s w < "$WORK/time"
  h=$(/usr/bin/python3 -c 'import h5py, sys
f = h5py.File(sys.argv[1]); t = f["series"].attrs["walk_seconds"]; n = f["series/step"][()]
print("%.6g" % (8 * (n[-1] - n[-2]) / (t[-1] - t[-2])))' "$WORK/out/walks.h5")
  printf '%s %s %.2f %.2f' "$(echo "$out" | sed -n 's/.*(\([0-9.e+]*\) per rank).*/\1/p')" "$h" \
    "$(echo "$u + $s" | bc -l)" "$w"
}
BINS=("$OLD" "$NEW")
for m in ${MORE:-}; do BINS+=("$m"); done
echo "WS N=$N k=10, 8 tokens x $STEPS steps, 1 rank, 1 thread;"
echo "per binary: steps/s/core (whole run, second half) cpu_s wall_s"
echo "binaries: ${BINS[*]}"
for r in $(seq "$ROUNDS"); do
  for w in $WALKS; do
    line=$(printf 'round %d %-5s' "$r" "$w")
    for i in "${!BINS[@]}"; do
      x=$(one "${BINS[$i]}" "$w"); line+=$(printf ' | %s' "$x")
      read -r a b _ <<< "$x"
      echo "$w $i $a $b" >> "$WORK/rates"
    done
    echo "$line | load $(cut -d' ' -f1-3 /proc/loadavg)"
  done
done
for col in 3 4; do
  if [ "$col" = 3 ]; then echo "median / best steps/s per binary (whole run):"
  else echo "median / best steps/s per binary (second half):"; fi
  for w in $WALKS; do
    line=$(printf '%-5s' "$w")
    for i in "${!BINS[@]}"; do
      line+=$(awk -v w="$w" -v i="$i" -v c="$col" '$1 == w && $2 == i {print $c}' "$WORK/rates" | sort -g |
              awk '{a[NR] = $1} END {m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf " | %.3g / %.3g", m, a[NR]}')
    done
    echo "$line"
  done
done
