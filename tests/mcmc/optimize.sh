#!/usr/bin/env bash
# mcmc.mode = "optimize" (MAP / penalised MLE by TAO L-BFGS): logistic regression on a CSV equals an independent
# Newton solve (numpy) of the same penalised likelihood within 2 |grad| / lambda_min(-Hessian) (strong concavity:
# |x - x*| <= |grad| / lambda_min; TAO stops at |grad| <= 1e-8 or |grad| / |lp| <= 1e-8); the optimum is the same bitwise on 1 and 2 ranks; `-- -map_tao_monitor`
# reaches TAO; centred eight schools (no MAP without the Jacobian) reports TAO's DIVERGED_* reason in the log and
# in optimize/. mcmc.init = "map": chains start at that optimum, the output has optimize/ (bitwise the optimize
# run's) and a restart of such a run is bitwise.
DRIVER=mcmc
. "$SAMPO_SOURCE/tests/support/script_lib.sh"
DECK="$SAMPO_SOURCE/inputs/mcmc/flagship.toml"

"$PY" - "$W/data.csv" <<'PYEOF'
import sys, numpy as np
rng = np.random.default_rng(5)
n, p = 400, 3
X = rng.normal(size=(n, p))
eta = 0.3 + X @ np.array([1.0, -0.5, 0.25])
y = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(int)
with open(sys.argv[1], "w") as f:
    f.write("x_1,x_2,x_3,y\n")
    for i in range(n):
        f.write(",".join(repr(v) for v in X[i]) + f",{y[i]}\n")
PYEOF
opt="mcmc.target=\"logistic_regression\" mcmc.data=\"$W/data.csv\" mcmc.mode=\"optimize\""
$MPI -n 2 "$BIN" "$DECK" run.output_dir="$W/a" $opt -- -map_tao_monitor >"$W/a.log" 2>&1
grep -q "TAO,  Function value" "$W/a.log" || { cat "$W/a.log"; echo "FAIL: -map_tao_monitor did not reach TAO"; exit 1; }
grep -q "CONVERGED" "$W/a.log"
$MPI -n 1 "$BIN" "$DECK" run.output_dir="$W/b" $opt --quiet
"$PY" - "$W/data.csv" "$W/a/mcmc.h5" "$W/b/mcmc.h5" <<'PYEOF'
import sys, h5py, numpy as np
d = np.loadtxt(sys.argv[1], delimiter=",", skiprows=1)
X = np.column_stack([np.ones(len(d)), d[:, :-1]])
y = d[:, -1]
prec = np.array([1 / 25.0] + [1 / 6.25] * 3)  # alpha ~ N(0, 5^2), beta ~ N(0, 2.5^2)
w = np.zeros(4)
for _ in range(50):  # Newton on the penalised log likelihood (concave): quadratic convergence
    mu = 1 / (1 + np.exp(-(X @ w)))
    g = X.T @ (y - mu) - prec * w
    H = -(X.T * (mu * (1 - mu))) @ X - np.diag(prec)
    w = w - np.linalg.solve(H, g)
with h5py.File(sys.argv[2], "r") as a, h5py.File(sys.argv[3], "r") as b:
    o = a["optimize"]
    got = np.concatenate([o["alpha"][()], o["beta"][()]])
    err = np.max(np.abs(got - w))
    mu = 1 / (1 + np.exp(-(X @ w)))
    lam = np.linalg.eigvalsh((X.T * (mu * (1 - mu))) @ X + np.diag(prec)).min()
    tol = max(2 * o["gradient_norm"][0] / lam, 1e-12)
    print(f"TAO vs Newton: max |diff| = {err:.2e} <= {tol:.2e} ({o.attrs['reason']}, {int(o['iterations'][0])} iterations)")
    assert err <= tol, (got, w)
    assert o.attrs["converged"] == 1 and o.attrs["jacobian"] == 0
    assert a.attrs["complete"] == 1 and "posterior" not in a
    for k in o:
        assert o[k][()].tobytes() == b["optimize"][k][()].tobytes(), f"optimize/{k} differs between 2 ranks and 1"
PYEOF

# No MAP: the reason is reported (log warning and optimize/reason), the run still ends normally.
$MPI -n 2 "$BIN" "$DECK" run.output_dir="$W/c" mcmc.target=\"eight_schools_centred\" mcmc.mode=\"optimize\" \
    optimize.iterations=100 >"$W/c.log" 2>&1
grep -q "warning: optimize: TAO did not converge (DIVERGED_" "$W/c.log" || { cat "$W/c.log"; exit 1; }
"$PY" -c "
import h5py, sys
o = h5py.File('$W/c/mcmc.h5')['optimize']
assert o.attrs['converged'] == 0 and o.attrs['reason'].startswith('DIVERGED_'), dict(o.attrs)
print('centred eight schools: TAO reports', o.attrs['reason'])
"

# Chains started at the MAP; a restart in mid-warm-up is bitwise.
common="mcmc.target=\"eight_schools_noncentred\" mcmc.init=\"map\" mcmc.chains=3 mcmc.warmup=60 mcmc.draws=60 --quiet"
$MPI -n 2 "$BIN" "$DECK" run.output_dir="$W/d" checkpoint.every_steps=30 checkpoint.keep=10 $common
$MPI -n 1 "$BIN" "$DECK" run.output_dir="$W/e" mcmc.target=\"eight_schools_noncentred\" mcmc.mode=\"optimize\" --quiet
$MPI -n 3 "$BIN" "$DECK" run.output_dir="$W/f" checkpoint.dir="$W/d/checkpoints" $common \
    --restart "$W/d/checkpoints/ckpt-000000000030.h5"
"$PY" "$SAMPO_SOURCE/tests/mcmc/same_content.py" "$W/d/mcmc.h5" "$W/f/mcmc.h5" posterior sample_stats optimize
"$PY" "$SAMPO_SOURCE/tests/mcmc/same_content.py" "$W/d/mcmc.h5" "$W/e/mcmc.h5" optimize
echo "optimize: ok"
