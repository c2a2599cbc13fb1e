# Campaign settings for sampo-mcmc (sourced by tests/campaign/*.sh): NUTS chains, checkpointed per iteration.
DECK=inputs/mcmc/flagship.toml
OUTPUT=mcmc.h5

QUICK=(mcmc.dim=10 mcmc.chains=5 mcmc.warmup=30 mcmc.draws=30 run.seed=17)   # 60 iterations, under a second
BIG=(mcmc.dim=100 mcmc.chains=8 mcmc.warmup=100 mcmc.draws=100 run.seed=5)   # ~1.5 MB of draws and state
EXACT=(/posterior/x /sample_stats/lp /sample_stats/step_size /sample_stats/energy /sample_stats/n_steps /sample_stats/diverging)
CLOSE=()              # chains never communicate: everything is bitwise
RANGE=("mcmc.rho=1.5" "is out of range; allowed: -0.999 <= value <= 0.999")
TYPE=("mcmc.chains=\"many\"" "expects a integer, got string")
UNKNOWN=("mcmc.chainz=3" "did you mean 'mcmc.chains'")
HUGE=("mcmc.draws=1000000000000" "needs about")   # app::require_memory on the draw records
MISSING=()            # mcmc's built-in targets read no data file
