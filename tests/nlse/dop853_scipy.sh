#!/usr/bin/env bash
# dop853 against scipy.integrate.solve_ivp(method="DOP853") on the source's single-soliton case (N = 512, L = 50,
# T = 20, rtol 1e-9, atol 1e-11, max_step 0.1, 100 dense-output snapshots), unfiltered and with the source's
# filter: accepted steps within 1 %, every snapshot within 1e-8 (tests/nlse/dop853_vs_scipy.py says why these
# match exactly). Skipped (77) without Debian python3-scipy.
source "$SAMPO_SOURCE/tests/support/driver_lib.sh"
if ! /usr/bin/python3 -c "import scipy.integrate, h5py" 2>/dev/null; then
  echo "SKIP: needs Debian python3-scipy and python3-h5py (apt-get install python3-scipy python3-h5py)"
  exit 77
fi
exe=$(driver nlse)
# Unfiltered at 2 ranks (the error norm is a global sum), filtered at 1.
for run in none:2 filter:1; do
  dealias=${run%%:*} np=${run#*:}
  run_np "$np" "$exe" "$SAMPO_SOURCE/inputs/nlse/source_soliton.toml" model.dealiasing="\"$dealias\"" \
    run.output_dir="$WORK/$dealias"
  check "dop853 ($dealias) exits 0 (got $rc)" [ "$rc" -eq 0 ]
  /usr/bin/python3 "$SAMPO_SOURCE/tests/nlse/dop853_vs_scipy.py" "$WORK/$dealias/nlse.h5" --steps-tol 0.01 --agree 1e-8
  r=$?
  if [ $r -eq 77 ]; then exit 77; fi
  check "dop853 ($dealias) matches scipy" [ "$r" -eq 0 ]
done
finish
