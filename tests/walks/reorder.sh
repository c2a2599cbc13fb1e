#!/usr/bin/env bash
# tools/walks_reorder.py: on a 30 x 30 torus with random vertex labels, RCM renumbering keeps the graph (every input
# edge maps back through `order`), cuts its bandwidth from ~N to ~2·side, and then the vertex engine at 2 ranks
# migrates tokens far less often (a random 2-way split cuts half the edges: ~0.5 migrations per step; RCM blocks cut
# ~2·side of 2·side² edges). Bad inputs give one message and a non-zero exit. Skipped (77) without Debian's
# python3-scipy / python3-h5py.
source "$SAMPO_SOURCE/tests/support/driver_lib.sh"
if ! /usr/bin/python3 -c "import scipy, h5py, numpy" 2>/dev/null; then
  echo "SKIP: /usr/bin/python3 lacks scipy or h5py (Debian python3-scipy python3-h5py)"
  exit 77
fi
tool="$SAMPO_SOURCE/tools/walks_reorder.py"
side=30
/usr/bin/python3 "$SAMPO_SOURCE/tests/support/torus_edges.py" "$WORK/torus.txt" "$side" --seed 7 --offset 5 --junk
/usr/bin/python3 "$tool" "$WORK/torus.txt" "$WORK/rcm.h5" >"$WORK/tool.log" 2>&1
trc=$?
cat "$WORK/tool.log"
check "walks_reorder.py exits 0 (got $trc)" [ "$trc" -eq 0 ]
check "the same graph, bandwidth cut to <= 3 side (RCM on a torus: 2 side)" /usr/bin/python3 - "$WORK/torus.txt" \
  "$WORK/rcm.h5" "$side" <<'PY'
import sys, h5py, numpy as np
txt, h5, s = sys.argv[1], sys.argv[2], int(sys.argv[3])
e = np.loadtxt(txt, dtype=np.int64, comments="#")
e = e[e[:, 0] != e[:, 1]]
want = {(min(u, v), max(u, v)) for u, v in e}
with h5py.File(h5, "r") as f:
    edges, order = f["edges"][...], f["order"][...]
    before, after = int(f.attrs["bandwidth_before"]), int(f.attrs["bandwidth_after"])
got = {(min(order[u], order[v]), max(order[u], order[v])) for u, v in edges}
print(f"edges {len(want)} in, {edges.shape[0]} out; bandwidth {before} -> {after}")
ok = got == want and edges.shape[0] == len(want) and sorted(order) == sorted({x for p in want for x in p})
ok = ok and after <= 3 * s and before >= 10 * s and bool(np.all(edges[:, 0] < edges[:, 1]))
sys.exit(0 if ok else 1)
PY
gzip -c "$WORK/torus.txt" > "$WORK/torus.txt.gz"
/usr/bin/python3 "$tool" "$WORK/torus.txt.gz" "$WORK/rcm_gz.h5" >"$WORK/tool_gz.log" 2>&1
check "a gzip edge list gives the same file (exit $?)" /usr/bin/python3 -c "import h5py,sys,numpy as np; a,b=(h5py.File(p) for p in sys.argv[1:]); sys.exit(not all(np.array_equal(a[k][...], b[k][...]) for k in ('edges','order')))" "$WORK/rcm.h5" "$WORK/rcm_gz.h5"
exe=$(driver walks)
mig() { /usr/bin/python3 -c "import h5py,sys; print(float(h5py.File(sys.argv[1]).attrs['migrations_per_step']))" "$1"; }
common=(oracle.enabled=false checkpoint.at_end=false walk.tokens=8 walk.steps=2000 walk.output_every=1000
        walk.partition='"vertex"' walk.method='"srrw"' walk.alpha=2)
run_np 2 "$exe" "$SAMPO_SOURCE/inputs/walks/flagship.toml" "${common[@]}" graph.kind='"file"' \
  graph.file="\"$WORK/torus.txt\"" run.output_dir="\"$WORK/random\""
check "random labels: 2-rank run exits 0 (got $rc; $(tail -2 "$WORK/err"))" [ "$rc" -eq 0 ]
run_np 2 "$exe" "$SAMPO_SOURCE/inputs/walks/flagship.toml" "${common[@]}" graph.kind='"hdf5"' \
  graph.file="\"$WORK/rcm.h5\"" run.output_dir="\"$WORK/rcm\""
check "RCM order: 2-rank run exits 0 (got $rc; $(tail -2 "$WORK/err"))" [ "$rc" -eq 0 ]
m_random=$(mig "$WORK/random/walks.h5") m_rcm=$(mig "$WORK/rcm/walks.h5")
echo "migrations per step: random labels $m_random, RCM $m_rcm"
check "RCM cuts the migrations at least 5x" /usr/bin/python3 -c "import sys; sys.exit(not (float(sys.argv[2]) * 5 < float(sys.argv[1]) and float(sys.argv[1]) > 0.3))" "$m_random" "$m_rcm"

# Bad inputs: one message, non-zero exit, no traceback.
printf '1 2\n2 x\n' > "$WORK/bad.txt"
/usr/bin/python3 "$tool" "$WORK/bad.txt" "$WORK/bad.h5" >"$WORK/bad.log" 2>&1
brc=$?
cat "$WORK/bad.log"
check "a non-integer id is refused (exit $brc)" [ "$brc" -ne 0 ]
check "... naming the line, without a traceback" bash -c "grep -q \"line '2 x'\" '$WORK/bad.log' && ! grep -q Traceback '$WORK/bad.log'"
/usr/bin/python3 "$tool" "$WORK/rcm.h5" "$WORK/bad2.h5" --dataset nothere >"$WORK/bad2.log" 2>&1
brc=$?
cat "$WORK/bad2.log"
check "a missing HDF5 dataset is refused with its name (exit $brc)" bash -c "[ $brc -ne 0 ] && grep -q \"no dataset 'nothere'\" '$WORK/bad2.log'"
printf '1 2 3\n4\n' > "$WORK/bad3.txt"  # four numbers in two lines: the count fits, the columns do not
/usr/bin/python3 "$tool" "$WORK/bad3.txt" "$WORK/bad3.h5" >"$WORK/bad3.log" 2>&1
brc=$?
check "a three-column line is refused (exit $brc)" bash -c "[ $brc -ne 0 ] && grep -q \"line '1 2 3'\" '$WORK/bad3.log'"
finish
