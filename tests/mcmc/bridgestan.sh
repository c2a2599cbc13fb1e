#!/usr/bin/env bash
# sampo-mcmc with mcmc.target = "bridgestan" and the example model library ($1) writes bitwise the same chains as
# the built-in non-centred eight schools (same arithmetic; posterior and sample_stats compared byte for byte), on 2
# ranks; and a library that cannot be loaded is one clear message with exit code 2.
DRIVER=mcmc
. "$SAMPO_SOURCE/tests/support/script_lib.sh"
LIB=$1
DECK="$SAMPO_SOURCE/inputs/mcmc/eight_schools.toml"
common="mcmc.warmup=150 mcmc.draws=100 --quiet"
$MPI -n 2 "$BIN" "$DECK" run.output_dir="$W/a" $common
$MPI -n 2 "$BIN" "$DECK" run.output_dir="$W/b" $common mcmc.target=bridgestan mcmc.model_library="$LIB" \
    mcmc.model_data="$SAMPO_SOURCE/inputs/mcmc/models/eight_schools.json"
"$PY" - "$W/a/eight_schools.h5" "$W/b/eight_schools.h5" <<'PYEOF'
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1]), h5py.File(sys.argv[2])
for g in ("posterior", "sample_stats"):
    for k in a[g]:
        x, y = a[g][k][()], b[g][k][()]
        assert x.shape == y.shape and x.tobytes() == y.tobytes(), f"{g}/{k} differs"
assert b.attrs["target"] == "eight_schools_noncentred_bs", b.attrs["target"]
print("plugin chains equal the built-in target's, bitwise:", sorted(a["posterior"]))
PYEOF
source "$SAMPO_SOURCE/tests/support/expect_exit2.sh"
fail=0
set +e  # expect_exit2 checks the exit codes itself
expect_exit2 "missing library" "cannot load the model library" mcmc.target=bridgestan mcmc.model_library="$W/nope.so"
expect_exit2 "not a model library" "is not a BridgeStan >= 2.0 model library" mcmc.target=bridgestan mcmc.model_library=libz.so.1
expect_exit2 "bad data" "the model rejected its data" mcmc.target=bridgestan mcmc.model_library="$LIB" mcmc.model_data='{"J": 0}'
expect_exit2 "library without target" "mcmc.model_library is set" mcmc.model_library="$LIB"
exit $fail
