#!/usr/bin/env bash
# Stops the one-node Slurm started by start.sh (by PID, no systemd).   scripts/slurm/stop.sh [BASE]
set -uo pipefail
BASE=${1:-${SAMPO_SLURM_BASE:-/tmp/sampo-slurm}}
for d in slurmd slurmctld munged; do
  f="$BASE/run/$d.pid"
  [ -f "$f" ] || continue
  pid=$(cat "$f")
  kill "$pid" 2>/dev/null
  for _ in $(seq 40); do [ -r "/proc/$pid/stat" ] || break; sleep 0.25; done
  kill -9 "$pid" 2>/dev/null
  rm -f "$f"
done
echo "slurm stopped ($BASE)"
