#!/usr/bin/env bash
# Walk throughput: steps per second per core of sampo-walks for SRW, MHRW, NBRW, SRRW (alpha 0, 1, 5) and HDT on a
# Graph500 Kronecker graph and on Watts-Strogatz / Barabasi-Albert graphs, then weak scaling 1 -> 2 ranks.
# Not a test: prints a table. Usage:
#   tests/perf/walks_bench.sh [BUILD_DIR] [KRONECKER_SCALE] [STEPS]
# Defaults: build-walks, scale 16, 200000 steps per token, 8 tokens per rank, 1 OpenMP thread per rank.
# Replicated engine: tokens sharded by id, so the walk itself exchanges no bytes per step (0 B/step); the only
# communication is the estimator gather at output times. The vertex-partitioned engine (walk.partition = vertex)
# migrates tokens and ghost counts every superstep: its migrations and bytes per step are printed last.
set -euo pipefail
BUILD=${1:-build-walks}; SCALE=${2:-16}; STEPS=${3:-200000}
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
  out=$(mpiexec -n "$np" --bind-to none "$EXE" "$WORK/deck.toml" run.output_dir="$WORK/out" oracle.enabled=false \
        checkpoint.at_end=false walk.tokens=$((TOKENS * np)) walk.steps="$STEPS" walk.output_every="$STEPS" \
        walk.chunk_steps="$STEPS" "$@" 2>&1)
  echo "$out" > "$WORK/last.log"
  echo "$out" | sed -n 's/.*(\([0-9.e+]*\) per rank).*/\1/p'
}
exchange() {  # "migrations/step bytes/step" of the last partitioned run
  sed -n 's/.*supersteps, \([0-9.e+]*\) migrations and \([0-9.e+]*\) bytes exchanged per step.*/\1 \2/p' "$WORK/last.log"
}
graphs=("kronecker graph.kind=kronecker graph.scale=$SCALE graph.relabel=true"
        "ws(N=1e5,k=10) graph.kind=ws graph.vertices=100000 graph.degree=10 graph.rewire=0.1"
        "ba(N=1e5,m=5) graph.kind=ba graph.vertices=100000 graph.attach=5")
walks=("SRW walk.chain=srw walk.method=base"
       "MHRW walk.chain=mhrw walk.method=base"
       "NBRW walk.chain=nbrw walk.method=base"
       "SRRW(a=0) walk.chain=srw walk.method=srrw walk.alpha=0"
       "SRRW(a=1) walk.chain=srw walk.method=srrw walk.alpha=1"
       "SRRW(a=5) walk.chain=srw walk.method=srrw walk.alpha=5"
       "MH-SRRW(a=5) walk.chain=mhrw walk.method=srrw walk.alpha=5"
       "HDT(a=5) walk.chain=srw walk.method=hdt walk.alpha=5")
printf '%-16s' "steps/s/core"
for w in "${walks[@]}"; do printf '%14s' "${w%% *}"; done
printf '\n'
for g in "${graphs[@]}"; do
  name=${g%% *}; [ "$name" = kronecker ] && name="g500(s=$SCALE)"
  printf '%-16s' "$name"
  for w in "${walks[@]}"; do
    # shellcheck disable=SC2086
    printf '%14.3g' "$(rate 1 ${g#* } ${w#* })"
  done
  printf '\n'
done
echo
echo "weak scaling (ws N=1e5, $TOKENS tokens per rank, steps/s per core):"
for w in "SRW walk.chain=srw walk.method=base" "SRRW(a=5) walk.chain=srw walk.method=srrw walk.alpha=5"; do
  # shellcheck disable=SC2086
  r1=$(rate 1 graph.kind=ws graph.vertices=100000 ${w#* }); r2=$(rate 2 graph.kind=ws graph.vertices=100000 ${w#* })
  printf '  %-10s 1 rank %10.3g   2 ranks %10.3g   efficiency %.2f\n' "${w%% *}" "$r1" "$r2" "$(echo "$r2 / $r1" | bc -l)"
done

echo
# BSP supersteps cost a few collectives each: the partitioned engine needs many tokens per rank to hide them.
PT=256; PSTEPS=$((STEPS / 10))
echo "vertex-partitioned engine (walk.partition=vertex, SRRW a=5, $PT tokens per rank, $PSTEPS steps):"
for g in "ws(N=1e5,k=10) graph.kind=ws graph.vertices=100000 graph.degree=10 graph.rewire=0.1" \
         "g500(s=$SCALE) graph.kind=kronecker graph.scale=$SCALE graph.relabel=true"; do
  for np in 1 2; do
    # shellcheck disable=SC2086
    r=$(TOKENS=$PT STEPS=$PSTEPS rate $np ${g#* } walk.partition=vertex walk.chain=srw walk.method=srrw walk.alpha=5)
    read -r mig bytes <<< "$(exchange)"
    printf '  %-16s %d rank(s): %10.3g steps/s/core, %8.3g migrations/step, %8.3g bytes/step\n' "${g%% *}" "$np" "$r" "$mig" "$bytes"
  done
done
