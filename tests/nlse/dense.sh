#!/usr/bin/env bash
# erk43-ip's dense output (time.dense_output = true: cubic Hermite interpolant in the interaction picture from the
# step's start, end and FSAL stages) on the exact single soliton (A = 2, v = 1, L = 50, N = 512), rtol 1e-10,
# T = 2, 50 outputs (every 0.04, inside the steps), 2 ranks.
# Tolerance: the interpolation error is h^4/384 max|d^4 v/ds^4| with h <~ 0.0015 here (1 377 steps over T = 2), far
# below the integration's own global error at rtol 1e-10 (measured 2.5e-9 at T for the run whose steps land on the
# outputs). So: every output within 1e-8 of the exact soliton and within 2x the clipped run's worst output error
# (measured 2.83e-9 against 2.54e-9), and fewer steps than that run (1 377 against 1 447). The same for petsc-ts
# (PETSc's interpolant). Another method with time.dense_output = true is a configuration error.
source "$SAMPO_SOURCE/tests/support/driver_lib.sh"
exe=$(driver nlse)
deck="$SAMPO_SOURCE/inputs/nlse/source_soliton.toml"
common=(time.rtol=1e-10 time.atol=1e-12 time.max_step=0 time.duration=2 output.snapshots=50 checkpoint.at_end=false)
# dense_vs_clipped METHOD: runs METHOD with and without time.dense_output at 2 ranks and checks the outputs.
dense_vs_clipped() {
  local m=$1
  run_np 2 "$exe" "$deck" "${common[@]}" time.method="\"$m\"" time.dense_output=true run.output_dir="$WORK/$m-dense"
  check "$m dense run exits 0 (got $rc)" [ "$rc" -eq 0 ]
  cp "$WORK/out" "$WORK/$m-dense.log"
  run_np 2 "$exe" "$deck" "${common[@]}" time.method="\"$m\"" time.dense_output=false run.output_dir="$WORK/$m-clip"
  check "$m clipped run exits 0 (got $rc)" [ "$rc" -eq 0 ]
  check "$m dense outputs within 1e-8 of the exact soliton and 2x the clipped run's, fewer steps than clipping" \
    /usr/bin/python3 - "$WORK/$m-dense/nlse.h5" "$WORK/$m-clip/nlse.h5" <<'PYEOF'
import sys, h5py, numpy as np
d, c = h5py.File(sys.argv[1]), h5py.File(sys.argv[2])
ed, ec = d["max_error"][()], c["max_error"][()]
sd, sc = d.attrs["counters_accepted_rejected_rhs_ffts"][0], c.attrs["counters_accepted_rejected_rhs_ffts"][0]
print(f"dense: max error over outputs {ed.max():.2e}, at T {ed[-1]:.2e}, {sd} steps; clipped: {ec.max():.2e}, {sc} steps")
ok = len(ed) == 51 and np.allclose(d["time"][()], np.linspace(0, 2, 51), rtol=0, atol=1e-12)
ok &= ed.max() <= 1e-8 and ed.max() <= 2 * ec.max() and sd < sc
sys.exit(0 if ok else 1)
PYEOF
}
dense_vs_clipped erk43-ip
# petsc-ts with time.dense_output: outputs from PETSc's 5dp interpolant (TSInterpolate, p = 5) in the step's
# picture. The same checks (measured: max output error 8.8e-12 against 8.5e-12 clipped, 1 315 steps against 1 350).
dense_vs_clipped petsc-ts
check "  ... petsc-ts says its outputs come from the interpolant" \
  grep -q "outputs from its interpolant (TSInterpolate, tableau p = 5)" "$WORK/petsc-ts-dense.log"
pcommon=("${common[@]}" time.method='"petsc-ts"')
# A scheme whose interpolant PETSc makes linear (3bs: p = 1) would give first-order outputs: a configuration error.
run_np 2 "$exe" "$deck" "${pcommon[@]}" time.dense_output=true run.output_dir="$WORK/p3bs" -- -nlse_ts_rk_type 3bs
check "petsc-ts 3bs with time.dense_output: exit != 0 (got $rc)" [ "$rc" -ne 0 ]
check "  ... the message names time.dense_output and 5dp" grep -q "time.dense_output.*5dp" "$WORK/err"
run_np 1 "$exe" "$deck" time.method='"rk4ip"' time.dense_output=true run.output_dir="$WORK/bad"
check "rk4ip with time.dense_output: exit != 0" [ "$rc" -ne 0 ]
check "  ... the message names time.dense_output" grep -q "time.dense_output" "$WORK/err"
finish
