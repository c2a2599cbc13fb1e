#!/usr/bin/env bash
# Every deck in inputs/nlse/ parses and runs: a short run of each (time.duration = 0.02, 2 outputs, no checkpoint)
# at 2 ranks must exit 0 and write a complete output file, so a deck that stops parsing (a renamed key, a value
# out of range, a cross-key check) fails here. The physics of the decks is checked by the validation tests.
source "$SAMPO_SOURCE/tests/support/driver_lib.sh"
exe=$(driver nlse)
n=0
for deck in "$SAMPO_SOURCE"/inputs/nlse/*.toml; do
  name=$(basename "$deck" .toml)
  run_np 2 "$exe" "$deck" run.output_dir="$WORK/$name" time.duration=0.02 output.snapshots=2 \
    checkpoint.at_end=false fft.wisdom='"none"'
  check "$name.toml runs (exit $rc)" [ "$rc" -eq 0 ]
  [ "$rc" -eq 0 ] || cat "$WORK/err"
  check "$name.toml: complete output" /usr/bin/python3 -c \
    "import h5py, sys; f = h5py.File(sys.argv[1]); sys.exit(0 if int(f.attrs['complete']) == 1 and len(f['time']) == 3 else 1)" \
    "$WORK/$name/nlse.h5"
  n=$((n + 1))
done
check "at least 9 decks found (got $n)" [ "$n" -ge 9 ]
# A key only another method uses is named in one warning, and the run goes on (a deck shared between methods).
run_np 1 "$exe" "$SAMPO_SOURCE/inputs/nlse/two_soliton_etd.toml" run.output_dir="$WORK/order" time.duration=0.02 \
  output.snapshots=1 checkpoint.at_end=false fft.wisdom='"none"' time.method='"rk4ip"'
check "time.order with rk4ip runs (exit $rc)" [ "$rc" -eq 0 ]
check "time.order with rk4ip is warned about" grep -q 'time.order = 7 is ignored: only time.method = "etd-abm"' \
  "$WORK/err" "$WORK/out"
finish
