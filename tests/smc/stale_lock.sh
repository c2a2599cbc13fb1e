#!/usr/bin/env bash
# A job killed inside MPI_File_open can leave Open MPI's sharedfp/sm semaphore for that file name locked in
# /dev/shm (sem.OMPIO_<base name>); before Sampo excluded that component (core/mpi/environment.hpp), every later run
# writing a checkpoint of the same name hung in MPI_File_open. Here such a locked semaphore is planted for the
# checkpoint this run writes at step 7, and the run must finish (2 ranks, within 120 s).
DRIVER=smc
. "$SAMPO_SOURCE/tests/support/script_lib.sh"
name=/OMPIO_ckpt-000000000007.h5.tmp
unplant() { "$PY" -c "import ctypes; ctypes.CDLL('libc.so.6').sem_unlink(b'$name')"; }
trap 'unplant; rm -rf "$W"' EXIT
"$PY" - "$name" <<'PYEOF'
import ctypes, os, sys
libc = ctypes.CDLL('libc.so.6', use_errno=True)
libc.sem_open.restype = ctypes.c_void_p
s = libc.sem_open(sys.argv[1].encode(), os.O_CREAT, 0o644, 0)  # value 0: locked, as a killed holder leaves it
if s in (None, ctypes.c_void_p(-1).value): sys.exit('cannot create the semaphore: errno %d' % ctypes.get_errno())
PYEOF
[ -e "/dev/shm/sem.${name#/}" ] || { echo "FAIL: the planted semaphore is not in /dev/shm"; exit 1; }
rc=0
timeout 120 $MPI -n 2 "$BIN" "$SAMPO_SOURCE/inputs/smc/filter_linear_gaussian.toml" data.steps=14 \
  filter.particles=1001 checkpoint.every_steps=7 run.output_dir="$W/run" -q || rc=$?
[ "$rc" -eq 0 ] || { echo "FAIL: the run with a stale sharedfp lock exits $rc (124: hung in MPI_File_open)"; exit 1; }
[ -e "$W/run/checkpoints/ckpt-000000000007.h5" ] || { echo "FAIL: no checkpoint at step 7"; exit 1; }
echo "stale sharedfp lock: OK (run finished, checkpoint written)"
