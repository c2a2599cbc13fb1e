#!/usr/bin/env bash
# Every kind of bad input: exit code 2 on every rank, exactly one message, no stack trace, no output file.
source "$SAMPO_SOURCE/tests/support/driver_lib.sh"
exe=$(driver demo)
deck="$SAMPO_SOURCE/inputs/demo/flagship.toml"
bad() {  # bad "description" "expected message" args...
  local what=$1 expect=$2; shift 2
  run_np 2 "$exe" "$@"
  local lines
  lines=$(grep -c . "$WORK/err")
  if [ "$rc" -eq 2 ] && grep -q -- "$expect" "$WORK/err" && [ "$lines" -eq 1 ] \
     && ! grep -qiE "terminate called|backtrace|MPI_ABORT|core dumped" "$WORK/err"; then
    pass "$what"
  else
    fail "$what (exit $rc, $lines stderr lines): $(head -c 600 "$WORK/err")"
  fi
}
printf '[demo]\nwalkers = = 3\n' >"$WORK/syntax.toml"
printf '[demo]\nwalkerz = 3\n' >"$WORK/unknown.toml"
printf '[demo]\nwalkers = "many"\n' >"$WORK/type.toml"
printf '[demo]\nsigma = -1.0\n' >"$WORK/range.toml"
printf '[demo]\nsigma = nan\n' >"$WORK/nan.toml"
printf '[demo]\nsteps = 10\n' >"$WORK/ok.toml"
touch "$WORK/a-file"
bad "TOML syntax error names file and line" "syntax.toml:2:" "$WORK/syntax.toml"
bad "unknown key with did-you-mean" "did you mean 'demo.walkers'" "$WORK/unknown.toml"
bad "wrong type" "expects a integer, got string" "$WORK/type.toml"
bad "out of range" "is out of range; allowed: 0.0 <= value <= 1e+06" "$WORK/range.toml"
bad "NaN" "must be finite" "$WORK/nan.toml"
bad "bad override" "command-line override 'demo.steps=ten'" "$WORK/ok.toml" demo.steps=ten
bad "unknown override" "unknown key 'demo.stepz'" "$WORK/ok.toml" demo.stepz=3
bad "missing deck" "cannot read deck" "$WORK/nope.toml"
bad "unwritable output directory" "cannot create output directory" "$WORK/ok.toml" run.output_dir="$WORK/a-file/sub"
bad "unknown option" "run sampo-demo --help" "$WORK/ok.toml" --frobnicate
bad "restart without any checkpoint" "no usable checkpoint" "$WORK/ok.toml" run.output_dir="$WORK/empty" --restart latest
bad "size that cannot fit in memory, with the estimate" "demo.walkers = 900000000000 needs about 6.5 TiB per rank" \
  "$WORK/ok.toml" demo.walkers=900000000000 run.output_dir="$WORK/big"
run_np 1 "$exe" "$WORK/ok.toml" run.output_dir="$WORK/out1" -q
bad "restart from an output file" "not a Sampo checkpoint" "$WORK/ok.toml" run.output_dir="$WORK/o2" \
  --restart "$WORK/out1/demo.h5"
check "no output file left by failed runs" [ -z "$(ls "$WORK"/o2/*.h5 "$WORK"/empty/*.h5 2>/dev/null)" ]
run_np 2 "$exe" --help
check "--help exits 0 and lists deck keys" grep -q "walkers = 100000" "$WORK/out"
run_np 2 "$exe" "$WORK/ok.toml" --dry-run
check "--dry-run prints the resolved deck" grep -q "^steps = 10$" "$WORK/out"
finish
