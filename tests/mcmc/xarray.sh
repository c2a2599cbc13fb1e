#!/usr/bin/env bash
# The output opens with xarray (engine h5netcdf) for group posterior and sample_stats, with dims chain/draw and
# diverging decoded as bool, with the h5netcdf engine and (python3-netcdf4) the netcdf4 engine, which must read the
# same values. Needs Debian python3-xarray and python3-h5netcdf; skipped (exit 77) otherwise.
DRIVER=mcmc
. "$SAMPO_SOURCE/tests/support/script_lib.sh"
if ! "$PY" -c "import xarray, h5netcdf" 2>/dev/null; then
  echo "SKIP: python3-xarray and/or python3-h5netcdf are not installed (apt-get install python3-xarray python3-h5netcdf)"
  exit 77
fi
$MPI -n 2 "$BIN" "$SAMPO_SOURCE/inputs/mcmc/eight_schools.toml" run.output_dir="$W" mcmc.warmup=200 mcmc.draws=100 \
    mcmc.save_warmup=true mcmc.flush_every=30 --quiet
"$PY" - "$W/eight_schools.h5" <<'PYEOF'
import sys, xarray as xr
p = xr.open_dataset(sys.argv[1], group="posterior", engine="h5netcdf")
assert p["theta"].dims == ("chain", "draw", "theta_dim_0"), p["theta"].dims
assert p.sizes["chain"] == 4 and p.sizes["draw"] == 100
s = xr.open_dataset(sys.argv[1], group="sample_stats", engine="h5netcdf")
for v in ("lp", "acceptance_rate", "step_size", "tree_depth", "n_steps", "diverging", "energy"):
    assert v in s, v
assert s["diverging"].dtype == bool, s["diverging"].dtype
engines = ["h5netcdf"]
try:
    import netCDF4  # Debian python3-netcdf4: the netCDF-C library's reader is stricter than h5netcdf
    engines.append("netcdf4")
except ImportError:
    print("note: python3-netcdf4 missing, the netcdf4 engine is not checked")
for e in engines[1:]:
    p2 = xr.open_dataset(sys.argv[1], group="posterior", engine=e)
    s2 = xr.open_dataset(sys.argv[1], group="sample_stats", engine=e)
    assert (p2["theta"].values == p["theta"].values).all() and p2["theta"].dims == p["theta"].dims
    assert (s2["lp"].values == s["lp"].values).all() and s2["diverging"].dtype == bool
for e in engines:  # the warm-up groups (mcmc.save_warmup = true), ArviZ's warmup_posterior / warmup_sample_stats
    wp = xr.open_dataset(sys.argv[1], group="warmup_posterior", engine=e)
    ws = xr.open_dataset(sys.argv[1], group="warmup_sample_stats", engine=e)
    assert wp["theta"].dims == ("chain", "draw", "theta_dim_0") and wp.sizes["draw"] == 200, wp.sizes
    assert ws.sizes["draw"] == 200 and ws["diverging"].dtype == bool
    assert len(set(ws["step_size"].values[0])) > 1  # adaptation changes the step size during warm-up
print("xarray reads posterior and sample_stats with engines", engines, ": ok")
PYEOF
