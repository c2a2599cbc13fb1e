#!/usr/bin/env bash
# Bad input: an unknown key (override and deck), a bad edge-list line, a missing file, an inconsistent pair of keys,
# bad vertex-function files, an unknown graph.order and a restart with other vertex labels each end with
# exit code 2 and exactly one error message (from rank 0 only, on 2 ranks) that names the problem.
set -uo pipefail
BUILD=${SAMPO_BUILD:?}; MPIEXEC=${MPIEXEC:-mpiexec}
EXE=$BUILD/drivers/sampo-walks
WORK=$(mktemp -d "${TMPDIR:-/tmp}/walks-bad.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
printf '[graph]\nkind = "ws"\nvertices = 100\n[walk]\nsteps = 100\ntokens = 2\n' > "$WORK/deck.toml"
printf '# edges\n0 1\n1 2\n2 three\n' > "$WORK/bad.txt"
fail=0
check() {  # expected-substring, args...
  local want=$1; shift
  "$MPIEXEC" -n 2 --oversubscribe "$EXE" "${DECK:-$WORK/deck.toml}" run.output_dir="$WORK/out" "$@" > "$WORK/stdout" 2> "$WORK/stderr"
  local rc=$? n
  n=$(grep -c "error:" "$WORK/stderr")
  if [ "$rc" -ne 2 ] || [ "$n" -ne 1 ] || ! grep -q -- "$want" "$WORK/stderr"; then
    echo "FAIL ($*): rc=$rc, $n error lines, wanted '$want' in:"; cat "$WORK/stderr"; fail=1
  else
    echo "ok ($*): $(cat "$WORK/stderr")"
  fi
}
check "walk.alhpa" walk.alhpa=3
check "choose one of: input, degree" graph.order=bfs
# A restart whose deck labels the vertices otherwise than the checkpoint (graph.relabel, graph.order) is refused.
"$MPIEXEC" -n 2 --oversubscribe "$EXE" "$WORK/deck.toml" run.output_dir="$WORK/labels" checkpoint.at_end=true \
  > "$WORK/stdout" 2> "$WORK/stderr" || { echo "FAIL: a run to restart from: $(cat "$WORK/stderr")"; fail=1; }
check "written with vertex labels 'input ids'" run.output_dir="$WORK/labels" --restart latest graph.order=degree \
  walk.steps=200
check "bad.txt:4:" graph.kind=file graph.file="$WORK/bad.txt"
check "no/such.txt" graph.kind=file graph.file=no/such.txt
check "walk.method" walk.chain=nbrw walk.method=srrw
check "walk.alpha" walk.alpha=-1
printf '[walk]\nsteps = 100\nalhpa = 2\n' > "$WORK/typo.toml"
DECK="$WORK/typo.toml" check "alhpa"
# estimate.function_file: a value that is not a number (file:line), and the wrong number of values, in both engines.
{ echo "# f(i)"; for i in $(seq 0 98); do echo "$i"; done; } > "$WORK/f99.txt"
{ cat "$WORK/f99.txt"; echo "x1"; } > "$WORK/fbad.txt"
check "fbad.txt:101:" estimate.function_file=\""$WORK/fbad.txt"\"
check "has 99 values but the graph has 100" estimate.function_file=\""$WORK/f99.txt"\"
check "has 99 values but the graph has 100" estimate.function_file=\""$WORK/f99.txt"\" walk.partition=vertex
# A valid file f(i) = i: its exact integral is the same in both engines and equals Σ μ_i i computed from /graph/mu.
{ cat "$WORK/f99.txt"; echo "99"; } > "$WORK/f100.txt"
for part in replicated vertex; do
  "$MPIEXEC" -n 2 --oversubscribe "$EXE" "$WORK/deck.toml" run.output_dir="$WORK/ok-$part" walk.partition=$part \
    estimate.function_file=\""$WORK/f100.txt"\" > "$WORK/stdout" 2> "$WORK/stderr" ||
    { echo "FAIL: a valid function file ($part): $(cat "$WORK/stderr")"; fail=1; continue; }
  /usr/bin/python3 - "$WORK/ok-$part" <<'PYEOF' || { echo "FAIL: function-file integral ($part)"; fail=1; }
import sys, glob, h5py, numpy as np
f = h5py.File(glob.glob(sys.argv[1] + "/*.h5")[0], "r")
names = f["functions"].attrs["names"]
names = (names.decode() if isinstance(names, bytes) else str(names)).split(",")
k = names.index("file")
mu = f["graph/mu"][()]
want = float(np.dot(mu / mu.sum(), np.arange(mu.size)))
got = float(f["functions/exact"][k])
print(f"function file: exact {got:.15g}, from /graph/mu {want:.15g}")
sys.exit(0 if abs(got - want) <= 1e-12 * abs(want) and np.allclose(f["functions/values"][k], np.arange(mu.size)) else 1)
PYEOF
done
exit $fail
