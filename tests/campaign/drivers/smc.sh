# Campaign settings for sampo-smc (sourced by tests/campaign/*.sh): the filter deck (checkpointed per time step).
DECK=inputs/smc/filter_linear_gaussian.toml
OUTPUT=smc.h5
QUICK=(data.steps=60 filter.particles=3001 run.seed=17)                      # 60 time steps, a few seconds
BIG=(data.steps=40 filter.particles=50003 smoothing.functionals="" run.seed=5)  # a 2.5 MB state
EXACT=(/filter/mean /filter/var /filter/loglik_increment /filter/ess /smoothing/estimate)  # exact sums: bitwise
CLOSE=()
RANGE=("filter.ess_threshold=1.5" "is out of range; allowed: 0.0 <= value <= 1.0")
TYPE=("filter.particles=\"many\"" "expects a integer, got string")
UNKNOWN=("filter.particlez=3" "did you mean 'filter.particles'")
HUGE=("filter.particles=2000000000" "needs about")
MISSING=("data.source=\"csv\" data.path=/nonexistent/obs.csv" "nonexistent")
