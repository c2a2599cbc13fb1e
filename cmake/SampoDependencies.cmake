# Every dependency is found as an imported target. Debian 12 package names are in scripts/install-deps.sh.
find_package(MPI REQUIRED COMPONENTS C CXX)
set_package_properties(MPI PROPERTIES TYPE REQUIRED PURPOSE "ranks (Open MPI: libopenmpi-dev)")
find_package(OpenMP REQUIRED COMPONENTS CXX)
set_package_properties(OpenMP PROPERTIES TYPE REQUIRED PURPOSE "threads inside a rank")

# Parallel HDF5: prefer the MPI build even when the serial libhdf5-dev is installed too.
set(HDF5_PREFER_PARALLEL ON)
find_package(HDF5 REQUIRED COMPONENTS C HL)
if(NOT HDF5_IS_PARALLEL)
  message(FATAL_ERROR
    "Sampo needs the parallel (MPI) build of HDF5, but CMake found a serial one (${HDF5_C_LIBRARIES}).\n"
    "Install it with: apt-get install libhdf5-openmpi-dev   (or run scripts/install-deps.sh)")
endif()
set_package_properties(HDF5 PROPERTIES TYPE REQUIRED PURPOSE "parallel output and checkpoints (libhdf5-openmpi-dev)")
if(NOT TARGET sampo_hdf5)
  add_library(sampo_hdf5 INTERFACE)
  target_include_directories(sampo_hdf5 SYSTEM INTERFACE ${HDF5_INCLUDE_DIRS})
  target_link_libraries(sampo_hdf5 INTERFACE ${HDF5_C_LIBRARIES} ${HDF5_HL_LIBRARIES} MPI::MPI_C)
  target_compile_definitions(sampo_hdf5 INTERFACE ${HDF5_DEFINITIONS})
  add_library(sampo::hdf5 ALIAS sampo_hdf5)
endif()

find_package(PkgConfig REQUIRED)
pkg_check_modules(PETSc REQUIRED IMPORTED_TARGET PETSc)
set_package_properties(PETSc PROPERTIES TYPE REQUIRED PURPOSE "KSP/TS/TAO (libpetsc-real-dev)")

find_package(Eigen3 3.4 REQUIRED NO_MODULE)
set_package_properties(Eigen3 PROPERTIES TYPE REQUIRED PURPOSE "dense linear algebra (libeigen3-dev)")

find_package(FFTW3MPI REQUIRED)
set_package_properties(FFTW3MPI PROPERTIES TYPE REQUIRED PURPOSE "distributed FFTs (libfftw3-dev libfftw3-mpi-dev)")

find_package(ZLIB REQUIRED)
set_package_properties(ZLIB PROPERTIES TYPE REQUIRED PURPOSE "gzip edge lists (zlib1g-dev)")

find_package(Random123 REQUIRED)
set_package_properties(Random123 PROPERTIES TYPE REQUIRED PURPOSE "counter-based Philox RNG (librandom123-dev)")

find_package(tomlplusplus 3 REQUIRED)
set_package_properties(tomlplusplus PROPERTIES TYPE REQUIRED PURPOSE "TOML decks (libtomlplusplus-dev)")

find_package(CLI11 2 REQUIRED)
set_package_properties(CLI11 PROPERTIES TYPE REQUIRED PURPOSE "command lines (libcli11-dev)")

if(SAMPO_TESTS)
  find_package(GTest REQUIRED)
  set_package_properties(GTest PROPERTIES TYPE REQUIRED PURPOSE "unit and MPI tests (libgtest-dev)")
endif()
if(SAMPO_BENCHMARKS)
  find_package(benchmark REQUIRED)
  set_package_properties(benchmark PROPERTIES TYPE REQUIRED PURPOSE "benchmarks (libbenchmark-dev)")
endif()
