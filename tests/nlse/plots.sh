#!/usr/bin/env bash
# tools/nlse_plots.py on a small output (the filtered two-soliton, so every panel has data): it runs from the HDF5
# alone and writes a PNG. Skipped (77) without Debian's python3-matplotlib / python3-h5py.
source "$SAMPO_SOURCE/tests/support/driver_lib.sh"
if ! /usr/bin/python3 -c "import matplotlib, h5py, numpy" 2>/dev/null; then
  echo "SKIP: /usr/bin/python3 lacks matplotlib or h5py (Debian python3-matplotlib python3-h5py)"
  exit 77
fi
exe=$(driver nlse)
run_np 1 "$exe" "$SAMPO_SOURCE/inputs/nlse/flagship.toml" grid.points=256 grid.length=50 grid.x0=-25 \
  time.duration=1 output.snapshots=10 model.dealiasing='"filter"' time.method='"ip-dop853"' run.output_dir="$WORK/run"
check "small run exits 0 (got $rc; $(tail -2 "$WORK/err"))" [ "$rc" -eq 0 ]
/usr/bin/python3 "$SAMPO_SOURCE/tools/nlse_plots.py" "$WORK/run/nlse.h5" --out "$WORK/nlse.png" >"$WORK/plot.log" 2>&1
prc=$?
cat "$WORK/plot.log"
check "nlse_plots.py exits 0 (got $prc)" [ "$prc" -eq 0 ]
check "a PNG was written" /usr/bin/python3 -c "import sys; sys.exit(open(sys.argv[1], 'rb').read(8) != b'\x89PNG\r\n\x1a\n')" \
  "$WORK/nlse.png"
finish
