# Campaign helpers: source after driver_lib.sh with DRIVER set; loads tests/campaign/drivers/$DRIVER.sh.
: "${DRIVER:?}"
source "$SAMPO_SOURCE/tests/campaign/drivers/$DRIVER.sh"
exe=$(driver "$DRIVER")
deck="$SAMPO_SOURCE/$DECK"
# compare_outputs A B: EXACT datasets bit for bit, CLOSE datasets to 1e-13.
# A dataset absent from both files (not written in that configuration) is reported and skipped.
compare_outputs() {
  local d tol what r
  for d in "${EXACT[@]}" "${CLOSE[@]}"; do
    tol=0 what="equal bit for bit"
    if [[ " ${CLOSE[*]} " == *" $d "* ]]; then tol=1e-13 what="equal to 1e-13"; fi
    same_dataset "$1" "$2" "$d" "$tol" >"$WORK/cmp" 2>&1
    r=$?
    if [ $r -eq 3 ]; then echo "skip: $DRIVER $d $(cat "$WORK/cmp")"; continue; fi
    if [ $r -eq 0 ]; then pass "$DRIVER $d $what"; else fail "$DRIVER $d $what: $(cat "$WORK/cmp")"; fi
  done
}
