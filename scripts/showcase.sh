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
echo "Summaries and plots (PNG next to each file):"
for name in "${ran[@]}"; do
  for f in "$out/$name"/*.h5; do echo "  /usr/bin/python3 tools/sampo_report.py $f"; done
done
