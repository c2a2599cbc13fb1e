#!/usr/bin/env bash
# Diagnostics recomputed from the output file by tools/mcmc_summary.py (numpy/scipy, independent code) equal the
# driver's printed min bulk-ESS, min tail-ESS (1e-6 relative) and max R-hat (1e-9 relative).
DRIVER=mcmc
. "$SAMPO_SOURCE/tests/support/script_lib.sh"
$MPI -n 2 "$BIN" "$SAMPO_SOURCE/inputs/mcmc/eight_schools.toml" run.output_dir="$W" mcmc.warmup=300 \
    mcmc.draws=301 >"$W/log" 2>&1
line=$(grep "min bulk-ESS" "$W/log")
printed=$(sed -E 's/.*min bulk-ESS ([0-9.]+), min tail-ESS ([0-9.]+), max R-hat ([0-9.]+),.*/\1 \2 \3/' <<<"$line")
file=$("$PY" "$SAMPO_SOURCE/tools/mcmc_summary.py" "$W/eight_schools.h5" --min)
echo "printed: $printed; from file: $file"
"$PY" - $printed $file <<'PYEOF'
import sys
a = list(map(float, sys.argv[1:4])); b = list(map(float, sys.argv[4:7]))
ok = abs(a[0] / b[0] - 1) < 1e-6 and abs(a[1] / b[1] - 1) < 1e-6 and abs(a[2] / b[2] - 1) < 1e-9
sys.exit(0 if ok else 1)
PYEOF
