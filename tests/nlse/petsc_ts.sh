#!/usr/bin/env bash
# time.method = "petsc-ts": the interaction-picture system integrated by PETSc TS (default TSRK 5dp, TSADAPTBASIC).
#  - single soliton (A = 2, v = 1, N = 512, L = 50, T = 1, rtol 1e-10, atol 1e-12) against the exact solution. The
#    tolerance from PETSc's error control: an accepted step has RMS over the 2N reals of e_i/(atol + rtol|y_i|) <= 1,
#    so ||e||_2 <= sqrt(2N)(atol + rtol max|psi_k|) and max_x |e| <= ||e||_2/sqrt(N) = sqrt(2)(atol + rtol max|psi_k|)
#    per step; local errors add at most linearly on a soliton: error <= steps sqrt(2)(atol + rtol max|psi_k|)
#    (3e-6 here; measured 4e-12, the embedded estimate bounds the 4th-order solution, PETSc keeps the 5th);
#  - PETSc options after "--" reach the TS (prefix nlse_): -nlse_ts_rk_type 3bs -nlse_ts_monitor; a scheme without an
#    embedded estimate (rk 4) under an adaptor is a configuration error, with -nlse_ts_adapt_type none it runs;
#  - the same step count at 1-4 ranks and psi within 1e-12 (PETSc's norms are MPI sums, so h differs in the last
#    bits between rank counts; here no accept/reject decision flips).
source "$SAMPO_SOURCE/tests/support/driver_lib.sh"
exe=$(driver nlse)
deck="$SAMPO_SOURCE/inputs/nlse/source_soliton.toml"
args=(time.method='"petsc-ts"' time.duration=1 time.rtol=1e-10 time.atol=1e-12 time.max_step=0 output.snapshots=4)
run_np 1 "$exe" "$deck" "${args[@]}" run.output_dir="$WORK/sol"
check "petsc-ts soliton exits 0 (got $rc; $(tail -2 "$WORK/err"))" [ "$rc" -eq 0 ]
check "petsc-ts soliton within steps sqrt(2)(atol + rtol max|psi_k|) of the exact solution" \
  /usr/bin/python3 - "$WORK/sol/nlse.h5" <<'PYEOF'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
x, S = f["x"][()], f["spectrum"][()]
dx = x[1] - x[0]
psik_max = np.sqrt(S.max() * 2 * np.pi) / dx
steps = f["steps"][-1]
bound = steps * np.sqrt(2) * (1e-12 + 1e-10 * psik_max)
err = f["max_error"][()].max()
print(f"{steps:.0f} steps, max|psi_k| {psik_max:.2f}, max error {err:.2e}, bound {bound:.2e}")
sys.exit(0 if err <= bound else 1)
PYEOF
run_np 1 "$exe" "$deck" "${args[@]}" time.duration=0.05 time.rtol=1e-6 run.output_dir="$WORK/opt" -- -nlse_ts_rk_type 3bs \
  -nlse_ts_monitor
check "PETSc options reach the TS (rk 3bs)" grep -q "PETSc TS rk 3bs adapt basic" "$WORK/out"
steps=$(/usr/bin/python3 -c "import h5py,sys; print(int(h5py.File(sys.argv[1])['steps'][-1]))" "$WORK/opt/nlse.h5")
check "-nlse_ts_monitor prints every step ($steps)" [ "$(grep -c " TS dt " "$WORK/out")" -eq "$steps" ]
# A scheme without an embedded error estimate under an adaptive controller: one configuration error naming the fix
# (PETSc itself would stop at the first TSStep with "No support for this operation"); with adapt none it runs.
run_np 2 "$exe" "$deck" "${args[@]}" time.duration=0.05 run.output_dir="$WORK/rk4" -- -nlse_ts_rk_type 4
check "rk 4 with adapt basic: exit 2 (got $rc)" [ "$rc" -eq 2 ]
check "  ... one message naming -nlse_ts_adapt_type none" [ "$(grep -c "nlse_ts_adapt_type none" "$WORK/err")" -eq 1 ]
run_np 2 "$exe" "$deck" "${args[@]}" time.duration=0.05 time.dt=1e-3 run.output_dir="$WORK/rk4n" -- -nlse_ts_rk_type 4 \
  -nlse_ts_adapt_type none
check "rk 4 with adapt none (fixed steps of time.dt) exits 0 (got $rc)" [ "$rc" -eq 0 ]
rargs=(time.method='"petsc-ts"' grid.points=256 time.duration=0.3 time.rtol=1e-9 output.snapshots=3 fft.wisdom='"none"')
for np_ in 1 2 3 4; do
  run_np "$np_" "$exe" "$deck" "${rargs[@]}" run.output_dir="$WORK/r$np_"
  check "petsc-ts at $np_ ranks exits 0 (got $rc)" [ "$rc" -eq 0 ]
  [ "$np_" -eq 1 ] && continue
  check "np$np_: same steps as np1" same_dataset "$WORK/r1/nlse.h5" "$WORK/r$np_/nlse.h5" /steps
  check "np$np_: psi within 1e-12 of np1" same_dataset "$WORK/r1/nlse.h5" "$WORK/r$np_/nlse.h5" /psi 1e-12
done
finish
