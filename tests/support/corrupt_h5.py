#!/usr/bin/python3
"""corrupt_h5.py FILE: overwrites 64 bytes in the raw data of the largest dataset of FILE (its first chunk when
chunked), as a failing disk or a torn write would. Prints what it hit. Needs Debian's python3-h5py."""
import sys

import h5py

path = sys.argv[1]
best = None
with h5py.File(path, "r") as f:
    def visit(name, obj):
        global best
        if isinstance(obj, h5py.Dataset) and obj.size > 0:
            if best is None or obj.id.get_storage_size() > best[1]:
                dcpl = obj.id.get_create_plist()
                if dcpl.get_layout() == h5py.h5d.CHUNKED:
                    off = obj.id.get_chunk_info(0).byte_offset
                else:
                    off = obj.id.get_offset()
                best = (name, obj.id.get_storage_size(), off)
    f.visititems(visit)
if best is None or best[2] is None:
    sys.exit(f"corrupt_h5: no dataset with raw data in {path}")
name, size, off = best
n = min(64, size)
with open(path, "r+b") as raw:
    raw.seek(off + (size - n) // 2 if size > n else off)
    raw.write(bytes((i * 37 + 11) % 256 for i in range(n)))
print(f"corrupted {n} bytes of /{name} ({size} bytes stored at offset {off}) in {path}")
