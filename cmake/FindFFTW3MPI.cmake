# FFTW3 double precision with its MPI and OpenMP libraries (libfftw3-dev, libfftw3-mpi-dev).
# Debian's FFTW3Config.cmake does not describe fftw3_mpi, so the libraries are found directly.
find_path(FFTW3MPI_INCLUDE_DIR NAMES fftw3-mpi.h)
find_library(FFTW3_LIBRARY NAMES fftw3)
find_library(FFTW3_MPI_LIBRARY NAMES fftw3_mpi)
find_library(FFTW3_OMP_LIBRARY NAMES fftw3_omp)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(FFTW3MPI
  REQUIRED_VARS FFTW3MPI_INCLUDE_DIR FFTW3_LIBRARY FFTW3_MPI_LIBRARY FFTW3_OMP_LIBRARY)
if(FFTW3MPI_FOUND AND NOT TARGET FFTW3::fftw3_mpi)
  add_library(FFTW3::fftw3 UNKNOWN IMPORTED)
  set_target_properties(FFTW3::fftw3 PROPERTIES IMPORTED_LOCATION "${FFTW3_LIBRARY}"
                        INTERFACE_INCLUDE_DIRECTORIES "${FFTW3MPI_INCLUDE_DIR}")
  add_library(FFTW3::fftw3_omp UNKNOWN IMPORTED)
  set_target_properties(FFTW3::fftw3_omp PROPERTIES IMPORTED_LOCATION "${FFTW3_OMP_LIBRARY}"
                        INTERFACE_LINK_LIBRARIES "FFTW3::fftw3;OpenMP::OpenMP_CXX")
  add_library(FFTW3::fftw3_mpi UNKNOWN IMPORTED)
  set_target_properties(FFTW3::fftw3_mpi PROPERTIES IMPORTED_LOCATION "${FFTW3_MPI_LIBRARY}"
                        INTERFACE_LINK_LIBRARIES "FFTW3::fftw3_omp;MPI::MPI_C")
endif()
mark_as_advanced(FFTW3MPI_INCLUDE_DIR FFTW3_LIBRARY FFTW3_MPI_LIBRARY FFTW3_OMP_LIBRARY)
