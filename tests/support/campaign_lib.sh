# Campaign helpers: source after driver_lib.sh with DRIVER set; loads tests/campaign/drivers/$DRIVER.sh.
: "${DRIVER:?}"
source "$SAMPO_SOURCE/tests/campaign/drivers/$DRIVER.sh"
exe=$(driver "$DRIVER")
deck="$SAMPO_SOURCE/$DECK"
# compare_outputs A B: EXACT datasets bit for bit, CLOSE datasets to 1e-13.
compare_outputs() {
  local d
  for d in "${EXACT[@]}"; do check "$DRIVER $d equal bit for bit" same_dataset "$1" "$2" "$d"; done
  for d in "${CLOSE[@]}"; do check "$DRIVER $d equal to 1e-13" same_dataset "$1" "$2" "$d" 1e-13; done
}
