#!/usr/bin/env bash
# Bad input: an unknown key (override and deck), a bad edge-list line, a missing file and an inconsistent pair of keys each end with
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
check "bad.txt:4:" graph.kind=file graph.file="$WORK/bad.txt"
check "no/such.txt" graph.kind=file graph.file=no/such.txt
check "walk.method" walk.chain=nbrw walk.method=srrw
check "walk.alpha" walk.alpha=-1
printf '[walk]\nsteps = 100\nalhpa = 2\n' > "$WORK/typo.toml"
DECK="$WORK/typo.toml" check "alhpa"
exit $fail
