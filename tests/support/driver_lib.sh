# Shared helpers for end-to-end driver tests (sourced by tests/*/*.sh).
# Environment from CTest: SAMPO_BUILD, SAMPO_SOURCE, MPIEXEC, and the Open MPI root variables.
set -uo pipefail
MPIEXEC=${MPIEXEC:-mpiexec}
WORK=$(mktemp -d /tmp/sampo_e2e_XXXXXX)
trap 'rm -rf "$WORK"' EXIT
failures=0

driver() { echo "$SAMPO_BUILD/drivers/sampo-$1"; }
run_np() {  # run_np NP program args... (stdout/stderr to files in $WORK; sets $rc)
  local np=$1; shift
  # --quiet: no Open MPI banner on a non-zero exit, so stderr holds only what the program said.
  "$MPIEXEC" -n "$np" --oversubscribe --bind-to none --quiet "$@" >"$WORK/out" 2>"$WORK/err"
  rc=$?
}
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
# session_pids SID: the processes of session SID (from /proc; procps may be absent on a fresh machine).
session_pids() {
  local f line rest
  for f in /proc/[0-9]*/stat; do
    read -r line <"$f" 2>/dev/null || continue
    rest=${line##*) }  # after "pid (comm) ": state ppid pgrp session ...
    read -r _ _ _ sid _ <<<"$rest"
    [ "$sid" = "$1" ] && { f=${f#/proc/}; echo "${f%/stat}"; }
  done
}
# kill_session SID: kill -9 every process of a job started with setsid (mpiexec and its ranks: Open MPI gives each
# rank its own process group, so killing mpiexec's group alone leaves the ranks running until they notice, seconds
# later, and they would overlap the next run), as a batch system's job kill does; waits until they are gone (≤ 10 s).
kill_session() {
  local p i
  for i in $(seq 100); do
    p=$(session_pids "$1")
    [ -z "$p" ] && return 0
    # shellcheck disable=SC2086
    kill -9 $p 2>/dev/null
    sleep 0.1
  done
  echo "processes of session $1 still alive after 10 s: $(session_pids "$1")"
}
pass() { echo "ok: $*"; }
check() {  # check "description" command...
  local what=$1; shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}
# same_dataset A B NAME [RTOL]: values equal bit for bit (or within RTOL relative). Needs Debian python3-h5py.
same_dataset() { /usr/bin/python3 "$SAMPO_SOURCE/tests/support/h5compare.py" "$@"; }
# Values of a small 1-D dataset, one per line.
dataset_values() { /usr/bin/python3 -c "import h5py,sys; [print(repr(float(v))) for v in h5py.File(sys.argv[1])[sys.argv[2]][()]]" "$1" "$2"; }
finish() {
  if [ "$failures" -ne 0 ]; then echo "$failures check(s) failed"; exit 1; fi
  echo "all checks passed"
}
