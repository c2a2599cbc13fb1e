# One helper registers every test.
#
#   sampo_add_test(NAME name SOURCES a.cpp ... LIBS sampo::core ... [NP 1 2 3 4] [LABELS unit mpi ...]
#                  [TIMEOUT s] [ARGS ...])
#
# Without NP the test runs as a plain process (still under MPI_Init through the MPI gtest main). With NP it is
# registered once per rank count as name_npN, started by mpiexec (oversubscribed, OMP_NUM_THREADS=1, the Open MPI
# root variables set), and labelled `mpi`. The gtest main fails the test when any rank fails.
set(SAMPO_TEST_ENV
  "OMPI_ALLOW_RUN_AS_ROOT=1"
  "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1"
  "OMPI_MCA_rmaps_base_oversubscribe=1"
  "OMPI_MCA_btl_vader_single_copy_mechanism=none"
  "OMPI_MCA_mpi_yield_when_idle=1"  # oversubscribed ranks must not busy-poll each other to a crawl
  "OMP_NUM_THREADS=1"
  "HDF5_USE_FILE_LOCKING=FALSE")
set(SAMPO_MPIEXEC_PREFLAGS "--oversubscribe;--bind-to;none")

function(sampo_add_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;LIBS;NP;LABELS;ARGS;ENV" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} sampo::test_main sampo::options)
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)  # a failed assertion on one rank can leave the others in a collective: fail fast
  endif()
  if(NOT T_NP)
    add_test(NAME ${T_NAME} COMMAND ${T_NAME} ${T_ARGS})
    set_tests_properties(${T_NAME} PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT}
                         ENVIRONMENT "${SAMPO_TEST_ENV};${T_ENV}")
    return()
  endif()
  foreach(np IN LISTS T_NP)
    set(name ${T_NAME}_np${np})
    add_test(NAME ${name}
             COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${np} ${SAMPO_MPIEXEC_PREFLAGS}
                     $<TARGET_FILE:${T_NAME}> ${T_ARGS})
    set_tests_properties(${name} PROPERTIES LABELS "mpi;${T_LABELS}" TIMEOUT ${T_TIMEOUT} PROCESSORS 1
                         ENVIRONMENT "${SAMPO_TEST_ENV};${T_ENV}")
  endforeach()
endfunction()

# A shell/Python scripted test (drivers end to end). The script gets the build dir and source dir.
function(sampo_add_script_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT;SCRIPT" "LABELS;ARGS;ENV" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  add_test(NAME ${T_NAME} COMMAND bash ${T_SCRIPT} ${T_ARGS})
  set_tests_properties(${T_NAME} PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT}
                       ENVIRONMENT "${SAMPO_TEST_ENV};SAMPO_BUILD=${PROJECT_BINARY_DIR};SAMPO_SOURCE=${PROJECT_SOURCE_DIR};MPIEXEC=${MPIEXEC_EXECUTABLE};${T_ENV}")
endfunction()
