#!/usr/bin/env bash
# The tiled weak-scaling case (case.name = akhmediev_tiled, inputs/nlse/akhmediev_tiled.toml): 32 periods of the
# exact Akhmediev breather (a = 0.25, 64 points per period, N = 2048) from t0 = -6 to the peak at t = 0 with
# ip-dop853 (rtol 1e-11) stay within the issue's 1e-8 of the exact solution at 1 and 2 ranks; the box is the case's
# (length = 32 periods, x0 = -length/2), the two runs take the same steps and end within 1e-12 of each other (max
# error and mass), and a grid.points that is not a multiple of case.tiles is a configuration error naming both keys.
source "$SAMPO_SOURCE/tests/support/driver_lib.sh"
exe=$(driver nlse)
deck="$SAMPO_SOURCE/inputs/nlse/akhmediev_tiled.toml"
for np in 1 2; do
  run_np "$np" "$exe" "$deck" run.output_dir="$WORK/np$np" grid.points=2048 case.tiles=32 checkpoint.at_end=false \
    time.method=\"ip-dop853\" time.rtol=1e-11 time.atol=1e-13
  check "akhmediev_tiled at $np rank(s) exits 0 (got $rc)" [ "$rc" -eq 0 ]
done
check "max error <= 1e-8, box of 32 periods, same steps and results at 1 and 2 ranks" /usr/bin/python3 - \
  "$WORK/np1/nlse.h5" "$WORK/np2/nlse.h5" <<'PYEOF'
import sys, math, h5py
a, b = h5py.File(sys.argv[1]), h5py.File(sys.argv[2])
period = 2 * math.pi / math.sqrt(2)
x = a["x"][()]
ea, eb = a["max_error"][()], b["max_error"][()]
print(f"max error np1 {max(ea):.3e} np2 {max(eb):.3e}; steps {a['steps'][-1]:.0f} {b['steps'][-1]:.0f}")
ok = max(ea) <= 1e-8 and max(eb) <= 1e-8
ok &= abs(x[0] + 16 * period) < 1e-12 and abs(x[1] - x[0] - 32 * period / 2048) < 1e-12
ok &= (a["steps"][()] == b["steps"][()]).all()
ok &= max(abs(ea - eb)) <= 1e-12 and max(abs(a["mass"][()] / b["mass"][()] - 1)) <= 1e-12
sys.exit(0 if ok else 1)
PYEOF
run_np 1 "$exe" "$deck" run.output_dir="$WORK/bad" grid.points=2000 case.tiles=32
check "grid.points not a multiple of case.tiles: exit != 0" [ "$rc" -ne 0 ]
check "  ... the message names grid.points and case.tiles" grep -q "grid.points.*case.tiles" "$WORK/err"
finish
