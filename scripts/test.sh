#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: installs what is missing, configures, builds, runs ctest.
#   ./scripts/test.sh [ctest args...]      e.g. ./scripts/test.sh -L validation
# With CI=true, warnings are errors. BUILD_DIR (default build) selects the build directory.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh slurm   # the slurm group: live Slurm tests (label slurm)
BUILD_DIR=${BUILD_DIR:-build}
werror=OFF
[ "${CI:-}" = "true" ] && werror=ON
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSAMPO_WERROR=$werror -DSAMPO_TESTS=ON >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
cd "$BUILD_DIR"
ctest --output-on-failure -j"$(nproc)" "$@"
