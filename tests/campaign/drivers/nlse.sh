# Campaign settings for sampo-nlse (sourced by tests/campaign/*.sh): a single soliton, checkpointed per step.
DECK=inputs/nlse/flagship.toml
OUTPUT=nlse.h5
QUICK=(case.name="soliton" grid.points=256 grid.length=50 grid.x0=-25 case.position=-5 time.method="rk4ip"
       time.dt=0.01 time.duration=0.6 output.snapshots=6 run.seed=17)      # 60 fixed steps
BIG=(case.name="soliton" grid.points=131072 grid.length=50 grid.x0=-25 case.position=-5 time.method="rk4ip"
     time.dt=0.01 time.duration=0.4 output.snapshots=4 output.psi=false)     # a 2 MB state
EXACT=(/time /steps)
CLOSE=(/mass /energy)   # FFT rounding depends on the rank count (issue: within 1e-12)
RANGE=("grid.length=-1" "is out of range")
TYPE=("grid.points=\"many\"" "expects a integer, got string")
UNKNOWN=("grid.pionts=3" "did you mean 'grid.points'")
HUGE=("grid.points=1000000000000" "needs about")
MISSING=()
# etd-abm at h = 0.2 through the Akhmediev breather's peak: non-finite by t = 2 (h = 0.005 ends within 4e-11).
DIVERGES=("case.name=akhmediev case.a=0.25 case.p0=1 case.t0=-6 grid.points=128 grid.length=8.885765876316732 \
  grid.x0=-4.442882938158366 time.method=etd-abm time.dt=0.2 time.duration=12 output.snapshots=6"
  "no longer finite at t = 2.000000")
