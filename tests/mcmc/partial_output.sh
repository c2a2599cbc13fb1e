#!/usr/bin/env bash
# Draws appended as sampling proceeds: a run stopped by SIGTERM (checkpoint, exit 85) leaves <output>.part whose
# posterior, sample_stats and warm-up groups hold exactly (bitwise) the first draws of the uninterrupted run, up to
# the checkpoint's iteration, with a matching `draw` coordinate; xarray opens the .part. The restart (on another
# rank count) rebuilds the file from the checkpoint and ends bitwise equal to the uninterrupted run, warm-up groups
# included. mcmc.save_warmup does not change the posterior. The appended file equals, in content, the layout the
# driver wrote at the end before draws were appended (same_content.py: datasets, order, types, attributes, scales).
DRIVER=mcmc
. "$SAMPO_SOURCE/tests/support/script_lib.sh"
SAME="$SAMPO_SOURCE/tests/mcmc/same_content.py"
DECK="$SAMPO_SOURCE/inputs/mcmc/flagship.toml"
common="mcmc.dim=10 mcmc.chains=5 mcmc.warmup=50 mcmc.draws=150 mcmc.flush_every=10 run.seed=7 --quiet"

OMP_NUM_THREADS=1 $MPI -n 2 "$BIN" "$DECK" run.output_dir="$W/ref" mcmc.save_warmup=true $common
OMP_NUM_THREADS=1 $MPI -n 1 "$BIN" "$DECK" run.output_dir="$W/nowarm" $common
"$PY" "$SAME" "$W/ref/mcmc.h5" "$W/nowarm/mcmc.h5"

# Interrupted: slow iterations, SIGTERM to the ranks (as Slurm delivers it) once the .part file exists.
SAMPO_STEP_DELAY_MS=10 OMP_NUM_THREADS=1 $MPI -n 2 "$BIN" "$DECK" run.output_dir="$W/int" mcmc.save_warmup=true \
    $common >"$W/out" 2>&1 &
mpid=$!
for _ in $(seq 100); do
  [ -e "$W/int/mcmc.h5.part" ] && break
  sleep 0.1
done
sleep 1.5
for pid in $(pgrep -P "$mpid"); do kill -TERM "$pid" 2>/dev/null || true; done
rc=0
wait "$mpid" || rc=$?
if [ "$rc" -ne 85 ]; then
  cat "$W/out"
  echo "FAIL: the signalled run exited $rc, expected 85"
  exit 1
fi
[ ! -e "$W/int/mcmc.h5" ] || { echo "FAIL: a complete output exists after the signal"; exit 1; }
"$PY" - "$W/ref/mcmc.h5" "$W/int/mcmc.h5.part" "$W/int/checkpoints" <<'PYEOF'
import glob, os, re, sys
import h5py, numpy as np
ref, part, ck = sys.argv[1:4]
step = max(int(re.search(r"ckpt-(\d+)\.h5", p).group(1)) for p in glob.glob(os.path.join(ck, "ckpt-*.h5")))
warm = min(step, 50)
n = step - warm
if n == 0:
    print(f"note: the signal came in warm-up (iteration {step}, slow machine): only the warm-up groups are checked")
with h5py.File(ref, "r") as a, h5py.File(part, "r") as b:
    assert "complete" not in b.attrs, "the .part file is marked complete"
    for g, count in (("posterior", n), ("sample_stats", n), ("warmup_posterior", warm), ("warmup_sample_stats", warm)):
        assert list(b[g]["draw"][()]) == list(range(count)), (g, b[g]["draw"].shape, count)
        for k, v in a[g].items():
            if k in ("draw", "chain") or k.endswith("_dim_0"):
                continue
            x, y = v[()], b[g][k][()]
            assert y.shape[1] == count, (g, k, y.shape, count)
            assert x[:, :count].tobytes() == y.tobytes(), f"{g}/{k}: the .part draws differ from the run's first draws"
print(f".part after SIGTERM at iteration {step}: {n} posterior draws, {warm} warm-up draws, bitwise the first draws")
try:
    import xarray as xr, h5netcdf  # noqa: F401
    p = xr.open_dataset(part, group="posterior", engine="h5netcdf")
    assert p.sizes["draw"] == n and p.sizes["chain"] == 5
    print("xarray (h5netcdf) opens the .part file")
except ImportError:
    print("note: python3-xarray / python3-h5netcdf missing, the .part is checked with h5py only")
PYEOF

OMP_NUM_THREADS=1 $MPI -n 3 "$BIN" "$DECK" run.output_dir="$W/int" mcmc.save_warmup=true $common --restart latest
[ ! -e "$W/int/mcmc.h5.part" ] || { echo "FAIL: .part left after the restarted run completed"; exit 1; }
"$PY" "$SAME" "$W/ref/mcmc.h5" "$W/int/mcmc.h5" posterior sample_stats warmup_posterior warmup_sample_stats
echo "partial output and its rebuild on restart: ok"
