# Campaign settings for sampo-demo (sourced by tests/campaign/*.sh).
DECK=inputs/demo/flagship.toml
OUTPUT=demo.h5
QUICK=(demo.walkers=20011 demo.steps=60 demo.output_every=5 run.seed=17)      # ≥ 40 steps, a few seconds
BIG=(demo.walkers=400000 demo.steps=40 demo.output_every=1 run.seed=5)       # a 3 MB state: kills land mid-write
EXACT=(/x /time)      # bit for bit across restarts and rank counts
CLOSE=(/msd)          # a floating-point sum over ranks: equal to 1e-13 when the rank count changes
RANGE=("demo.sigma=-1" "is out of range; allowed: 0.0 <= value <= 1e+06")
TYPE=("demo.walkers=\"many\"" "expects a integer, got string")
UNKNOWN=("demo.walkerz=3" "did you mean 'demo.walkers'")
HUGE=("demo.walkers=900000000000" "needs about 6.5 TiB per rank")
MISSING=()            # demo reads no data file
