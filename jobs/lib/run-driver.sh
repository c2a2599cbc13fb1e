#!/usr/bin/env bash
# Common body of every Sampo job script (sourced by jobs/<driver>.sbatch after its #SBATCH lines).
#   DRIVER   the workload (set by the job script)
#   $@       DECK.toml [section.key=value ...]   (as given to sbatch after the script name)
# One output directory per job: $SAMPO_RUNS/<driver>/<job id> (a requeued job keeps its id, so it restarts from
# its own checkpoints). Exit code 85 = checkpointed after the pre-termination signal: Slurm requeues the job when
# RequeueExit=85 is configured; otherwise submit the next link with jobs/restart-chain.sh.
set -uo pipefail
: "${DRIVER:?job script must set DRIVER}"
SAMPO_ROOT=${SAMPO_ROOT:-${SLURM_SUBMIT_DIR:-$PWD}}
SAMPO_BIN=${SAMPO_BIN:-$SAMPO_ROOT/build/drivers}
SAMPO_RUNS=${SAMPO_RUNS:-$SAMPO_ROOT/runs}
# srun (default) or mpirun: what your site uses to start MPI ranks.
SAMPO_LAUNCHER=${SAMPO_LAUNCHER:-srun}

if [ $# -lt 1 ]; then
  echo "usage: sbatch jobs/$DRIVER.sbatch DECK.toml [section.key=value ...]" >&2
  exit 2
fi
deck=$1; shift
# A chain of jobs shares one directory (SAMPO_RUN_DIR); a single (possibly requeued) job uses its id.
out=${SAMPO_RUN_DIR:-$SAMPO_RUNS/$DRIVER/${SLURM_JOB_ID:-local}}
mkdir -p "$out"
export OMP_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1}
export OMP_PLACES=cores OMP_PROC_BIND=close
restart=()
if ls "$out"/checkpoints/ckpt-*.h5 >/dev/null 2>&1; then restart=(--restart latest); fi
echo "sampo job ${SLURM_JOB_ID:-local} (restart count ${SLURM_RESTART_COUNT:-0}): $DRIVER $deck -> $out" \
     "${restart[*]:-} ranks=${SLURM_NTASKS:-?} threads=$OMP_NUM_THREADS"

cmd=("$SAMPO_BIN/sampo-$DRIVER" "$deck" "$@" run.output_dir="$out" "${restart[@]}")
case "$SAMPO_LAUNCHER" in
  # exec: the batch shell becomes the launcher, which forwards --signal=B:USR1 to every rank.
  srun) exec srun --mpi=pmix --cpus-per-task="${SLURM_CPUS_PER_TASK:-1}" "${cmd[@]}" ;;
  mpirun) exec mpirun --bind-to none "${cmd[@]}" ;;
  *) echo "SAMPO_LAUNCHER must be srun or mpirun, not '$SAMPO_LAUNCHER'" >&2; exit 2 ;;
esac
