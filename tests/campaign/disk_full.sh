#!/usr/bin/env bash
# A full output file system: the run fails with a clear message naming the file, and leaves no output or
# checkpoint that looks complete (only .part / .tmp names). Needs root to mount a 512 KiB tmpfs (else exit 77).
#   disk_full.sh DRIVER
DRIVER=$1
source "$SAMPO_SOURCE/tests/support/driver_lib.sh"
source "$SAMPO_SOURCE/tests/support/campaign_lib.sh"
mnt="$WORK/full"
mkdir -p "$mnt"
if ! mount -t tmpfs -o size=512k tmpfs "$mnt" 2>/dev/null; then echo "SKIP: cannot mount a small tmpfs here"; exit 77; fi
trap 'umount "$mnt" 2>/dev/null; rm -rf "$WORK"' EXIT
# The BIG state does not fit in 512 KiB: the first checkpoint write fails.
run_np 2 timeout 60 "$exe" "$deck" "${BIG[@]}" checkpoint.every_steps=10 run.output_dir="$mnt/run"
check "the run fails (exit $rc)" [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]
check "the message says the write failed" grep -qE "ckpt-[0-9]+.h5.tmp|No space left" "$WORK/err"
echo "stderr: $(head -c 400 "$WORK/err")"
# Checkpoints written before the disk filled are fine; none may be a torn one under a final name.
torn=0
for c in "$mnt"/run/checkpoints/ckpt-*.h5; do
  [ -e "$c" ] || continue
  /usr/bin/python3 -c "import h5py,sys; sys.exit(0 if h5py.File(sys.argv[1])['/'].attrs.get('complete') == 1 else 1)" "$c" \
    2>/dev/null || torn=$((torn + 1))
done
check "no checkpoint under a final name is incomplete ($torn)" [ "$torn" -eq 0 ]
check "no output that looks complete" [ ! -e "$mnt/run/$OUTPUT" ]
finish
