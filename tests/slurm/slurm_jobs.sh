#!/usr/bin/env bash
# A driver's job script on a live one-node Slurm: (1) sbatch --wait completes and equals a direct run;
# (2) a job pre-empted by its signal checkpoints, exits 85, is requeued and completes with the same result;
# (3) a restart chain across 1-minute time limits completes with the same result.
#   slurm_jobs.sh DRIVER DATASET [chain]   (DATASET: the output dataset compared bit for bit; the restart chain
#                                          across 1-minute limits runs only with "chain": it takes a minute or two)
# Exits 77 (skipped) with the reason when Slurm cannot run here (not root, packages missing, daemons fail).
source "$SAMPO_SOURCE/tests/support/driver_lib.sh"
drv=$1; dataset=$2; with_chain=${3:-}
case "$drv" in
  # slow: the same run made long enough to be signalled (SAMPO_STEP_DELAY_MS=150 per step)
  demo) small=(demo.walkers=20000 demo.steps=30 demo.output_every=5 run.seed=4)
        slow=(demo.steps=120) ;;
  smc) small=(data.steps=60 filter.particles=4001 run.seed=4)
       slow=() ;;
  walks) small=(graph.vertices=300 graph.degree=6 walk.tokens=7 walk.steps=3000 walk.output_every=100
                walk.snapshot_every=1000 walk.chunk_steps=50 run.seed=4)
         slow=() ;;
  nlse) small=(case.name="soliton" grid.points=256 grid.length=50 grid.x0=-25 case.position=-5 time.method="rk4ip"
              time.dt=0.01 time.duration=0.6 output.snapshots=6 run.seed=4)
        slow=() ;;
  mcmc) small=(mcmc.dim=10 mcmc.chains=4 mcmc.warmup=30 mcmc.draws=30 run.seed=4)
        slow=() ;;
  *) echo "slurm_jobs.sh: no settings for driver $drv"; exit 1 ;;
esac
deck="$SAMPO_SOURCE/inputs/$drv/flagship.toml"
[ "$drv" = smc ] && deck="$SAMPO_SOURCE/inputs/smc/filter_linear_gaussian.toml"

if [ "$(id -u)" -ne 0 ]; then echo "SKIP: the one-node Slurm needs root"; exit 77; fi
for exe in munged slurmctld slurmd sbatch; do
  command -v $exe >/dev/null || { echo "SKIP: $exe missing (scripts/install-deps.sh slurm installs it)"; exit 77; }
done
base=${SAMPO_SLURM_BASE:-/tmp/sampo-slurm-ctest}
export SAMPO_SLURM_PORT=${SAMPO_SLURM_PORT:-6917}  # away from a site Slurm on 6817
if ! conf=$("$SAMPO_SOURCE/scripts/slurm/start.sh" "$base" 2>"$WORK/slurm-start.err"); then
  echo "SKIP: Slurm could not start here: $(cat "$WORK/slurm-start.err")"; exit 77
fi
eval "$conf"
export SAMPO_ROOT="$SAMPO_SOURCE" SAMPO_BIN="$SAMPO_BUILD/drivers" SAMPO_RUNS="$WORK/runs"
cd "$WORK"
job_out() { echo "$WORK/sampo-$drv-$1.out"; }

# Reference: a direct run.
run_np 2 "$(driver "$drv")" "$deck" "${small[@]}" "${slow[@]}" run.output_dir="$WORK/ref" -q checkpoint.at_end=false
check "direct reference run" [ "$rc" -eq 0 ]
run_np 2 "$(driver "$drv")" "$deck" "${small[@]}" run.output_dir="$WORK/ref_small" -q checkpoint.at_end=false

# (1) plain job
jid=$(sbatch --parsable --wait "$SAMPO_SOURCE/jobs/$drv.sbatch" "$deck" "${small[@]}" -q)
check "sbatch --wait job $jid exits 0" [ $? -eq 0 ]
check "job output equals the direct run" same_dataset "$WORK/ref_small/$drv.h5" "$WORK/runs/$drv/$jid/$drv.h5" "$dataset"

# (2) pre-emption: USR1 to the batch shell (what --signal=B:USR1 does), then requeue via RequeueExit=85
jid=$(SAMPO_STEP_DELAY_MS=150 sbatch --parsable "$SAMPO_SOURCE/jobs/$drv.sbatch" "$deck" "${small[@]}" "${slow[@]}")
for _ in $(seq 120); do grep -q "MPI ranks" "$(job_out "$jid")" 2>/dev/null && break; sleep 0.5; done
sleep 2
scancel --signal=USR1 --batch "$jid"
for _ in $(seq 180); do [ -z "$(squeue -h -j "$jid" 2>/dev/null)" ] && break; sleep 1; done
check "pre-empted job checkpointed on the signal" grep -q "checkpoint (signal)" "$(job_out "$jid")"
check "it exited 85 and was requeued (restart count 1)" grep -q "restart count 1" "$(job_out "$jid")"
check "the requeued job restarted from the checkpoint" grep -q "restarted from" "$(job_out "$jid")"
check "pre-empted + requeued result equals the uninterrupted run" \
  same_dataset "$WORK/ref/$drv.h5" "$WORK/runs/$drv/$jid/$drv.h5" "$dataset"

if [ "$with_chain" != chain ]; then finish; exit; fi
# (3) restart chain across 1-minute limits (the signal comes 30-60 s before the limit)
ids=$(SAMPO_STEP_DELAY_MS=150 SBATCH_TIMELIMIT=1 SBATCH_SIGNAL=B:USR1@30 SAMPO_RUN_DIR="$WORK/chain" \
      "$SAMPO_SOURCE/jobs/restart-chain.sh" 3 "$SAMPO_SOURCE/jobs/$drv.sbatch" "$deck" "${small[@]}" "${slow[@]}")
last=$(echo "$ids" | tail -1)
for _ in $(seq 400); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 1; done
links=$(cat $(for j in $ids; do job_out "$j"; done) 2>/dev/null | grep -c "sampo job")
echo "chain jobs: $(echo $ids) ($links links ran)"
check "the chain's result equals the uninterrupted run" same_dataset "$WORK/ref/$drv.h5" "$WORK/chain/$drv.h5" "$dataset"
check "the chain needed more than one link" [ "$(cat $(for j in $ids; do job_out "$j"; done) 2>/dev/null | grep -c 'restarted from')" -ge 1 ]
finish
