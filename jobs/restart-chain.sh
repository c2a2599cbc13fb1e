#!/usr/bin/env bash
# Submits a chain of N jobs that continue one run across time limits (for sites without RequeueExit=85):
# each link starts when the previous one ended for any reason (afterany) and restarts from the newest checkpoint.
#   jobs/restart-chain.sh N JOB_SCRIPT DECK [section.key=value ...]     (sbatch options via SBATCH_* variables)
# All links share SAMPO_RUN_DIR (default runs/<driver>/chain-<first job id>). Prints the job ids.
set -euo pipefail
n=$1; script=$2; shift 2
driver=$(basename "$script" .sbatch)
root=${SAMPO_ROOT:-$PWD}
dir=${SAMPO_RUN_DIR:-$root/runs/$driver/chain-$(date +%Y%m%d-%H%M%S)-$$}
mkdir -p "$dir"
prev=""
for i in $(seq "$n"); do
  dep=()
  [ -n "$prev" ] && dep=(--dependency=afterany:"$prev")
  prev=$(SAMPO_RUN_DIR="$dir" sbatch --parsable --no-requeue --export=ALL,SAMPO_RUN_DIR="$dir",SAMPO_ROOT="$root" \
         "${dep[@]}" "$script" "$@")
  echo "$prev"
done
