# Writes the provenance header (SAMPO_VERSION_STRING, SAMPO_GIT_SHA_STRING) at every build, not only at configure
# time, so that a binary built after new commits records the commit it was built from. A working tree with
# uncommitted changes to tracked files is marked "-dirty". The header is rewritten only when its text changes, so an
# unchanged commit recompiles nothing. Script mode: cmake -DSRC=... -DIN=... -DOUT=... -DVERSION=... -P this file.
execute_process(COMMAND git rev-parse --short=12 HEAD WORKING_DIRECTORY ${SRC}
                OUTPUT_VARIABLE SAMPO_GIT_SHA OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT SAMPO_GIT_SHA)
  set(SAMPO_GIT_SHA "unknown")
else()
  execute_process(COMMAND git status --porcelain --untracked-files=no WORKING_DIRECTORY ${SRC}
                  OUTPUT_VARIABLE dirty OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(dirty)
    string(APPEND SAMPO_GIT_SHA "-dirty")
  endif()
endif()
set(PROJECT_VERSION ${VERSION})
configure_file(${IN} ${OUT}.tmp @ONLY)
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUT}.tmp)
