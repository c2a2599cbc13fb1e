#!/usr/bin/env bash
# Strong or weak scaling study of one driver: one job per rank count, wall time and throughput to a CSV table.
#   jobs/scaling.sh strong|weak DRIVER DECK "1 2 4 8" [section.key=value ...]
# Weak scaling multiplies SIZE_KEY (default per driver below) by the rank count. Runs each job with sbatch --wait
# (so run it from a login node or inside an allocation); the table goes to runs/scaling-<driver>-<mode>.csv.
set -euo pipefail
mode=$1; driver=$2; deck=$3; ranks=$4; shift 4
case "$driver" in
  demo) size_key=${SIZE_KEY:-demo.walkers} ;;
  walks) size_key=${SIZE_KEY:-walks.tokens} ;;
  smc) size_key=${SIZE_KEY:-smc.particles} ;;
  *) size_key=${SIZE_KEY:?set SIZE_KEY for $driver} ;;
esac
root=${SAMPO_ROOT:-$PWD}
base=$("$root/build/drivers/sampo-$driver" "$deck" "$@" --dry-run | awk -F' = ' -v k="${size_key#*.}" -v s="[${size_key%%.*}]" \
  '$0 == s {in_s = 1; next} /^\[/ {in_s = 0} in_s && $1 == k {print $2}')
table=$root/runs/scaling-$driver-$mode.csv
mkdir -p "$root/runs"
echo "mode,driver,ranks,size,wall_seconds,speedup,efficiency" >"$table"
t1=""
for p in $ranks; do
  size=$base
  [ "$mode" = weak ] && size=$((base * p))
  start=$(date +%s.%N)
  sbatch --wait --ntasks="$p" --export=ALL,SAMPO_ROOT="$root" --output="$root/runs/scaling-$driver-$mode-$p.out" \
    "$root/jobs/$driver.sbatch" "$deck" "$@" "$size_key=$size" checkpoint.at_end=false >/dev/null
  t=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
  [ -z "$t1" ] && t1=$t
  # strong: speedup t1/t; weak: scaled speedup p*t1/t (work grows with p). Efficiency = speedup / p.
  awk -v m="$mode" -v d="$driver" -v p="$p" -v n="$size" -v t="$t" -v t1="$t1" 'BEGIN {
    s = (m == "strong") ? t1 / t : t1 * p / t
    printf "%s,%s,%d,%s,%.3f,%.3f,%.3f\n", m, d, p, n, t, s, s / p }' | tee -a "$table"
done
echo "table: $table (wall time includes queueing and start-up; use large sizes)"
