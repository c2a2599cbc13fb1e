#!/usr/bin/env bash
# Restart equality for the adaptive methods with controller state (dop853, ip-dop853, erk43-ip with and without
# time.dense_output, petsc-ts with and without it, whose steps start from (psi_k, t, h) alone: TSRestartStep every
# step, TSADAPTBASIC keeps no history and TSADAPTDSP's is reset by the restart): a run restarted
# from a checkpoint in mid-run continues the same step sequence. Same rank count: every output dataset bit for bit
# (step size, FSAL stage and the dense-output time grid are restored, nothing is recomputed), here at 1 rank (MPI
# start-up on a shared 2-core machine dominates otherwise). Another rank count (3):
# /time, /steps and the counter series (rejected, RHS, FFTs) bit for bit, the entropies, /psi and the invariants to 1e-12 (FFT rounding depends on the rank count).
source "$SAMPO_SOURCE/tests/support/driver_lib.sh"
exe=$(driver nlse)
deck="$SAMPO_SOURCE/inputs/nlse/source_soliton.toml"
# 13 steps per checkpoint and 7 snapshots: checkpoints fall between output times, inside dense-output steps.
common=(grid.points=256 time.duration=1.3 output.snapshots=7 checkpoint.every_steps=13 checkpoint.keep=100)
# erk43-ip:none:dense: with time.dense_output (Hermite outputs inside steps; no state beyond the FSAL stage).
# petsc-ts:none:dense: PETSc's 5dp interpolant for the outputs and the dsp adaptor, whose error/step-ratio history
# PETSc resets at every TSRestartStep (TSAdaptRestart_DSP), so here too a step starts from (psi_k, t, h) alone.
# etd-abm:two_thirds: the multistep history (N̂ at the last 7 states) is restored, not restarted.
for config in dop853:none ip-dop853:filter erk43-ip:none petsc-ts:padding erk43-ip:none:dense petsc-ts:none:dense \
  etd-abm:two_thirds; do
  method=${config%%:*} rest=${config#*:}
  dealias=${rest%%:*} dense=false
  [[ "$rest" == *:dense ]] && dense=true
  {
    tag="$method-$dealias-$dense"
    args=("${common[@]}" time.method="\"$method\"" model.dealiasing="\"$dealias\"" time.dense_output=$dense)
    petsc=()  # PETSc options: after "--", so last on the command line
    [ "$method" = petsc-ts ] && [ "$dense" = true ] && petsc=(-- -nlse_ts_adapt_type dsp)
    run_np 1 "$exe" "$deck" "${args[@]}" run.output_dir="$WORK/$tag/ref" "${petsc[@]}"
    check "$tag: uninterrupted run exits 0 (got $rc)" [ "$rc" -eq 0 ]
    [ ${#petsc[@]} -gt 0 ] && check "$tag: PETSc TS rk 5dp with the dsp adaptor" grep -q "PETSc TS rk 5dp adapt dsp" "$WORK/out"
    ck=$(ls "$WORK/$tag/ref/checkpoints"/ckpt-*.h5 | sed -n 2p)  # the second checkpoint (step 26)
    check "$tag: a mid-run checkpoint exists" [ -n "$ck" ]
    for np in 1 3; do
      out="$WORK/$tag/np$np"
      mkdir -p "$out"
      # The restart continues the interrupted run's output: start from a copy of it truncated by the restart.
      cp "$WORK/$tag/ref/nlse.h5" "$out/nlse.h5"
      run_np "$np" "$exe" "$deck" "${args[@]}" run.output_dir="$out" checkpoint.dir="$out/ck" --restart "$ck" "${petsc[@]}"
      check "$tag: restart at $np ranks exits 0 (got $rc; $(tail -2 "$WORK/err"))" [ "$rc" -eq 0 ]
      for d in /time /steps /rejected /rhs_evaluations /ffts; do
        check "$tag np$np: $d bit for bit" same_dataset "$WORK/$tag/ref/nlse.h5" "$out/nlse.h5" "$d"
      done
      if [ "$np" -eq 1 ]; then
        for d in /psi /mass /energy /max_error /entropy_x /entropy_k; do
          check "$tag np$np: $d bit for bit" same_dataset "$WORK/$tag/ref/nlse.h5" "$out/nlse.h5" "$d"
        done
      else
        for d in /psi /mass /energy /entropy_x /entropy_k; do
          check "$tag np$np: $d to 1e-12" same_dataset "$WORK/$tag/ref/nlse.h5" "$out/nlse.h5" "$d" 1e-12
        done
      fi
      check "$tag np$np: same step, RHS and FFT counters" /usr/bin/python3 -c "
import h5py, sys
a, b = (h5py.File(p)['/'].attrs['counters_accepted_rejected_rhs_ffts'] for p in sys.argv[1:])
sys.exit(0 if list(a) == list(b) else print(a, b) or 1)" "$WORK/$tag/ref/nlse.h5" "$out/nlse.h5"
    done
  }
done
finish
