#!/usr/bin/env bash
# Builds a libFuzzer target with clang (ASan + UBSan) and runs it on a seed corpus.
#   run_fuzz.sh NAME RUNS SEED SECONDS SOURCES...   (RUNS inputs from libFuzzer seed SEED (0: random), at most
#                                                    SECONDS; sources relative to the repository; the seed corpus
#                                                    is every file under tests/fuzz/corpus/NAME and inputs/)
# Prints the number of executions; fails on any crash, leak, sanitizer report or timeout, and then prints the
# failing input as hex so it can be added to tests/fuzz/corpus/NAME from the log alone. Exit 77 when clang or its
# fuzzer runtime is missing (Debian: clang libclang-rt-14-dev).
set -uo pipefail
name=$1; runs=$2; seed=$3; seconds=$4; shift 4
src=${SAMPO_SOURCE:?}
out=${SAMPO_BUILD:?}/fuzz/$name
rm -rf "$out/corpus"; mkdir -p "$out/corpus"   # same seed corpus every run: reproducible
command -v clang++ >/dev/null || { echo "SKIP: clang++ missing (apt-get install clang libclang-rt-14-dev)"; exit 77; }
inc=$(pkg-config --cflags-only-I hdf5-openmpi 2>/dev/null)
srcs=()
for s in "$@"; do case "$s" in -*) srcs+=("$s") ;; *) srcs+=("$src/$s") ;; esac; done  # -l flags pass through
if ! OMPI_CXX=clang++ mpicxx -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
      -I"$src/src" -I"$SAMPO_BUILD/src/core/generated" $inc "${srcs[@]}" -o "$out/fuzz_$name" 2>"$out/build.log"; then
  if grep -q "libclang_rt.fuzzer\|fsanitize=fuzzer" "$out/build.log"; then
    echo "SKIP: clang's fuzzer runtime is missing (apt-get install libclang-rt-14-dev)"; exit 77
  fi
  cat "$out/build.log"; exit 1
fi
seeds=("$src/tests/fuzz/corpus/$name")
[ "$name" = deck ] && [ -d "$src/inputs" ] && seeds+=("$src/inputs")
find "${seeds[@]}" -type f -size -64k 2>/dev/null | while read -r f; do cp "$f" "$out/corpus/$(basename "$(dirname "$f")")_$(basename "$f")"; done
cd "$out"
rm -f crash-* leak-* timeout-* oom-*
ASAN_OPTIONS=detect_leaks=1 ./"fuzz_$name" -runs="$runs" -seed="$seed" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 corpus >run.log 2>&1
rc=$?
execs=$(grep -oE "stat::number_of_executed_units: *[0-9]+" run.log | grep -oE "[0-9]+$")
echo "fuzz $name: ${execs:-?} executions (seed $seed, at most $runs runs or ${seconds}s), exit $rc"
[ $rc -eq 0 ] && exit 0
tail -40 run.log
for f in crash-* leak-* timeout-* oom-*; do
  [ -f "$f" ] || continue
  echo "failing input $f ($(stat -c %s "$f") bytes), as hex (xxd -r -p to restore):"
  od -An -v -tx1 "$f" | tr -d ' \n' | head -c 8192; echo
done
exit 1
