#!/usr/bin/env bash
# A distributed array written at np = 3 reads back identically at np = 1 and 4.
set -euo pipefail
exe="$1"
f=$(mktemp /tmp/sampo_crossnp_XXXXXX.h5)
trap 'rm -f "$f"' EXIT
"$MPIEXEC" -n 3 --oversubscribe "$exe" write "$f" 100003
"$MPIEXEC" -n 1 --oversubscribe "$exe" read "$f" 100003
"$MPIEXEC" -n 4 --oversubscribe "$exe" read "$f" 100003
