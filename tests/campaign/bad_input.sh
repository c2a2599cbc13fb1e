#!/usr/bin/env bash
# Every kind of bad input: exit code 2 on every rank, exactly one message, no stack trace, no output file.
#   bad_input.sh DRIVER   (driver-specific cases come from tests/campaign/drivers/DRIVER.sh)
DRIVER=$1
source "$SAMPO_SOURCE/tests/support/driver_lib.sh"
source "$SAMPO_SOURCE/tests/support/campaign_lib.sh"
tried=0
bad() {  # bad "description" "expected message" args...
  local what=$1 expect=$2; shift 2
  run_np 2 "$exe" "$@"
  tried=$((tried + 1))
  local lines
  lines=$(grep -c . "$WORK/err")
  if [ "$rc" -eq 2 ] && grep -q -- "$expect" "$WORK/err" && [ "$lines" -eq 1 ] \
     && ! grep -qiE "terminate called|backtrace|MPI_ABORT|core dumped" "$WORK/err"; then
    pass "$what"
  else
    fail "$what (exit $rc, $lines stderr lines): $(head -c 600 "$WORK/err")"
  fi
}
section=${UNKNOWN[0]%%.*}
printf '[%s]\nx = = 3\n' "$section" >"$WORK/syntax.toml"
printf '[%s]\n%s\n' "$section" "${UNKNOWN[0]#*.}" >"$WORK/unknown.toml"
printf '[%s]\n%s\n' "$section" "${TYPE[0]#*.}" >"$WORK/type.toml"
printf '[%s]\n%s\n' "$section" "${RANGE[0]#*.}" >"$WORK/range.toml"
printf '[%s]\n%s\n' "$section" "$(echo "${RANGE[0]#*.}" | sed 's/=.*/= nan/')" >"$WORK/nan.toml"
printf '[%s]\n%s\n' "$section" "$(echo "${RANGE[0]#*.}" | sed 's/=.*/= inf/')" >"$WORK/inf.toml"
printf '[%s\nx = 1\n' "$section" >"$WORK/header.toml"
cp "$deck" "$WORK/ok.toml"
touch "$WORK/a-file"
bad "TOML syntax error names file and line" "syntax.toml:2:" "$WORK/syntax.toml"
bad "unclosed table header" "header.toml:1" "$WORK/header.toml"
bad "unknown key with did-you-mean" "${UNKNOWN[1]}" "$WORK/unknown.toml"
bad "wrong type" "${TYPE[1]}" "$WORK/type.toml"
bad "out of range" "${RANGE[1]}" "$WORK/range.toml"
bad "NaN" "must be finite" "$WORK/nan.toml"
bad "Inf" "must be finite" "$WORK/inf.toml"
bad "bad override" "command-line override '${RANGE[0]%%=*}=ten'" "$WORK/ok.toml" "${RANGE[0]%%=*}=ten"
bad "unknown override" "${UNKNOWN[1]}" "$WORK/ok.toml" "${UNKNOWN[0]}"
bad "override without =" "expected section.key=value" "$WORK/ok.toml" run.seed
bad "missing deck" "cannot read deck" "$WORK/nope.toml"
bad "unwritable output directory" "cannot create output directory" "$WORK/ok.toml" run.output_dir="$WORK/a-file/sub"
bad "unknown option" "run sampo-$DRIVER --help" "$WORK/ok.toml" --frobnicate
bad "restart without any checkpoint" "no usable checkpoint" "$WORK/ok.toml" run.output_dir="$WORK/empty" --restart latest
bad "restart from a missing file" "no such file" "$WORK/ok.toml" run.output_dir="$WORK/e2" --restart "$WORK/nope.h5"
bad "size that cannot fit in memory, with the estimate" "${HUGE[1]}" "$WORK/ok.toml" "${HUGE[0]}" \
  run.output_dir="$WORK/big"
if [ ${#MISSING[@]} -gt 0 ]; then
  read -r -a missing_args <<<"${MISSING[0]}"
  bad "missing data file" "${MISSING[1]}" "$WORK/ok.toml" "${missing_args[@]}" run.output_dir="$WORK/m"
fi
if [ -n "${DIVERGES[0]+set}" ]; then  # a run whose field blows up: stopped at an output time on every rank
  read -r -a diverge_args <<<"${DIVERGES[0]}"
  bad "a step beyond the method's stability" "${DIVERGES[1]}" "$WORK/ok.toml" "${diverge_args[@]}" \
    run.output_dir="$WORK/d"
fi
run_np 1 "$exe" "$WORK/ok.toml" "${QUICK[@]}" run.output_dir="$WORK/out1" -q
bad "restart from an output file" "not a Sampo checkpoint" "$WORK/ok.toml" run.output_dir="$WORK/o2" \
  --restart "$WORK/out1/$OUTPUT"
check "no output file left by failed runs" \
  [ -z "$(ls "$WORK"/o2/*.h5 "$WORK"/empty/*.h5 "$WORK"/big/*.h5 "$WORK"/d/*.h5 2>/dev/null)" ]
run_np 2 "$exe" --help
check "--help exits 0 and lists deck keys" grep -q "${UNKNOWN[0]%%.*}\]" "$WORK/out"
run_np 2 "$exe" "$WORK/ok.toml" --dry-run
check "--dry-run prints the resolved deck" grep -q "^\[${UNKNOWN[0]%%.*}\]$" "$WORK/out"
echo "bad inputs tried: $tried"
finish
