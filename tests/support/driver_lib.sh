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
