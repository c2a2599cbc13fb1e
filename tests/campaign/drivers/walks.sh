# Campaign settings for sampo-walks (sourced by tests/campaign/*.sh): SRRW tokens, checkpointed per chunk of steps.
DECK=inputs/walks/flagship.toml
OUTPUT=walks.h5
QUICK=(graph.vertices=300 graph.degree=6 walk.tokens=7 walk.steps=3000 walk.output_every=100
       walk.snapshot_every=1000 walk.chunk_steps=50 run.seed=17)            # 60 chunks, a few seconds
BIG=(graph.vertices=4000 graph.degree=6 walk.tokens=32 walk.steps=600 walk.output_every=50
     walk.snapshot_every=0 walk.chunk_steps=50 oracle.enabled=false run.seed=5)  # 32 × 4000 counts = 1 MB
EXACT=(/tokens/vertex /series/tvd /series/mean /series/nrmse)              # per-token state and token averages
CLOSE=(/series/snapshot_x)                                                   # an MPI sum over tokens
RANGE=("walk.alpha=-1" "is out of range")
TYPE=("walk.tokens=\"many\"" "expects a integer, got string")
UNKNOWN=("walk.tokenz=3" "did you mean 'walk.tokens'")
HUGE=("graph.vertices=100000000000" "needs about")
MISSING=("graph.kind=\"file\" graph.file=/nonexistent/edges.txt" "nonexistent")
