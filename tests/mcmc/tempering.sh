#!/usr/bin/env bash
# Parallel tempering in the driver (tempering.replicas = 8 on the bimodal mixture 0.3 N(−5, 1) + 0.7 N(5, 0.5²)):
#  - P(x > 0) from the β = 1 replica's draws within 4 MCSE of the exact 0.7 (MCSE by batch means, 50 batches);
#  - the tuned ladder equalises the swap rates: spread (max − min) below 0.06, where the geometric ladder's exact
#    rates spread 0.145 (0.6998 .. 0.8450, tests/mcmc/test_tempering_mpi.cpp);
#  - a run checkpointed mid-warm-up (round 500, after three ladder updates) on 2 ranks and restarted on 3 writes the same file,
#    bitwise (posterior, sample_stats, tempering);
#  - bad tempering keys are one message and exit code 2.
DRIVER=mcmc
. "$SAMPO_SOURCE/tests/support/script_lib.sh"
DECK="$SAMPO_SOURCE/inputs/mcmc/tempering.toml"
set -e
$MPI -n 2 "$BIN" "$DECK" run.output_dir="$W/a" checkpoint.every_steps=500 checkpoint.keep=20 --quiet
$MPI -n 3 "$BIN" "$DECK" run.output_dir="$W/b" checkpoint.dir="$W/a/checkpoints" --quiet \
    --restart "$W/a/checkpoints/ckpt-000000000500.h5"
"$PY" - "$W/a/mcmc.h5" "$W/b/mcmc.h5" <<'PYEOF'
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1]), h5py.File(sys.argv[2])
for g in ("posterior", "sample_stats", "tempering"):
    for k in a[g]:
        x, y = a[g][k][()], b[g][k][()]
        assert x.shape == y.shape and x.tobytes() == y.tobytes(), f"restart differs: {g}/{k}"
x = a["posterior/x"][0, :, 0]
ind = (x > 0).astype(float)
nb = 50
means = ind[: len(ind) // nb * nb].reshape(nb, -1).mean(axis=1)
mcse = means.std(ddof=1) / np.sqrt(nb)
p = ind.mean()
rates = a["tempering/swap_rate"][()]
print(f"P(x>0) = {p:.4f} (mcse {mcse:.4f}, exact 0.7); swap rates {np.round(rates, 3)}; ladder {np.round(a['tempering/beta'][()], 4)}")
assert abs(p - 0.7) < 4 * mcse, "P(x>0) is off"
assert 0 < mcse < 0.05
assert rates.max() - rates.min() < 0.06, "the tuned ladder does not equalise the swap rates"
assert a["tempering/ladders"].shape[0] >= 3, "the ladder was not tuned"
print("tempering: restart equality, P(x>0), equalised swap rates: ok")
PYEOF
set +e
source "$SAMPO_SOURCE/tests/support/expect_exit2.sh"
fail=0
expect_exit2 "one replica" "tempering.replicas = 1" tempering.replicas=1
expect_exit2 "several chains" "set mcmc.chains = 1" mcmc.chains=4
expect_exit2 "not NUTS" "mcmc.sampler" mcmc.sampler=mala
exit $fail
