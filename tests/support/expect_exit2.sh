# expect_exit2 NAME TEXT ARGS...: runs $BIN $DECK on 2 ranks with ARGS and checks exit code 2 and exactly one
# "error:" line mentioning TEXT. Needs BIN, DECK, MPI, W (a scratch directory) and sets fail=1 on a mismatch.
# Sourced by the workloads' own bad-input scripts (tests/smc, tests/mcmc).
expect_exit2() {
  local name=$1 text=$2
  shift 2
  $MPI -n 2 "$BIN" "$DECK" run.output_dir="$W/out" --quiet "$@" >"$W/stdout" 2>"$W/stderr"
  local rc=$?
  local n
  n=$(grep -c "error:" "$W/stderr")
  if [[ $rc -ne 2 || $n -ne 1 ]] || ! grep -q -- "$text" "$W/stderr"; then
    echo "FAIL $name: exit $rc, $n error lines (want 2 and 1, mentioning '$text'):"; cat "$W/stderr"; fail=1
  else
    echo "ok   $name: $(grep error: "$W/stderr")"
  fi
}
