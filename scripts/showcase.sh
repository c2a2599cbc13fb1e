#!/usr/bin/env bash
# Installs dependencies, builds Sampo, and runs every driver on its flagship deck on 2 MPI ranks.
# Results go to runs/showcase/<driver>/; the end of the output says how to look at them.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
out=runs/showcase
mkdir -p "$out"
ran=()
for exe in build/drivers/sampo-*; do
  name=${exe##*/sampo-}
  deck=inputs/$name/flagship.toml
  [ -f "$deck" ] || { echo "showcase: no $deck, skipping sampo-$name"; continue; }
  echo "=== sampo-$name on $deck (2 ranks)"
  mpirun -n 2 "$exe" "$deck" run.output_dir="$out/$name"
  ran+=("$name")
done
echo
echo "Showcase done. Results (HDF5, h5py/xarray readable):"
for name in "${ran[@]}"; do
  for f in "$out/$name"/*.h5; do echo "  $f"; done
done
echo "Summaries and plots (every file: /usr/bin/python3 tools/sampo_report.py FILE):"
for name in "${ran[@]}"; do
  f=$out/$name/$name.h5
  case "$name" in
    demo)  echo "  /usr/bin/python3 tools/sampo_report.py $f            # MSD against sigma^2 t, PNG next to the file" ;;
    nlse)  echo "  /usr/bin/python3 tools/sampo_report.py $f            # invariants, errors, datasets" ;;
    smc)   echo "  /usr/bin/python3 tools/smc_report.py $f --plot $out/smc/smc.png" ;;
    walks) echo "  /usr/bin/python3 tools/walks_plot.py $f --out $out/walks/walks.png" ;;
    mcmc)  echo "  /usr/bin/python3 tools/mcmc_summary.py $f   # or: xarray.open_dataset(f, group='posterior', engine='h5netcdf')" ;;
  esac
done
