#!/usr/bin/env bash
# Installs the Debian 12 packages Sampo needs, and nothing when all are present.
# Idempotent; needs root (or sudo). PyPI is not used: Python tools rely on Debian's python3-* packages.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libopenmpi-dev openmpi-bin
  libhdf5-openmpi-dev hdf5-tools
  libpetsc-real-dev
  libeigen3-dev zlib1g-dev
  libfftw3-dev libfftw3-mpi-dev
  libgtest-dev libbenchmark-dev
  librandom123-dev libtomlplusplus-dev libcli11-dev
  python3 python3-h5py python3-numpy python3-matplotlib python3-scipy
  python3-xarray python3-h5netcdf python3-netcdf4   # ArviZ-style reading of mcmc output (tests)
  clang libclang-rt-14-dev rsync   # fuzz targets (tests/fuzz)
)
# Extra groups: `install-deps.sh slurm` adds what the Slurm tests need; `bench` the peers the benchmark scripts run
# side by side (emcee and rstan for tests/perf/mcmc_bench.sh, XMDS2 for tests/perf/nlse_bench.sh).
for group in "$@"; do
  case "$group" in
    slurm) packages+=(munge slurmctld slurmd slurm-client libpmix-dev) ;;
    bench) packages+=(python3-emcee r-cran-rstan xmds2) ;;
    *) echo "install-deps.sh: unknown group '$group' (known: slurm, bench)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${#missing[@]} missing packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
