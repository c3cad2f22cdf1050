#!/usr/bin/env bash
# The runs behind docs/results.md's experiments over seeds retrain to the same numbers: for
# the first archived run of each experiment in docs/results/runs, `maml train` with the
# experiment's definition (scripts/seed-experiments.sh flags NAME) and the run's seed, for
# its first ITERATIONS meta-iterations, writes the rows of the archived metrics.csv, every
# column but the timings, to the printed digit. A change to the code that moves a training
# run's arithmetic (a sum taken in another order) fails here, so that the results it
# would make non-reproducible are retrained or the change is said to move them.
# With the OpenBLAS kernels the results were made with (Haswell); float builds only.
#   results_training.sh PROJECT_SOURCE_DIR MAML [ITERATIONS (default 2)]
src=$1
maml=$2
iterations=${3:-2}
source "$(dirname "$0")/common.sh"
cd "$src" || fail "no project folder $src"
export OPENBLAS_CORETYPE=Haswell

# metrics.csv's columns up to rejected_total and learner_gflop: what the run computed
# (the seconds after them are the machine's)
numbers() {  # metrics.csv -> the first $iterations rows' columns 1-17, the header too
  head -n $((iterations + 1)) "$1" | cut -d, -f1-17
}

checked=0
for exp in docs/results/runs/*/; do
  exp=${exp%/}
  name=$(basename "$exp")
  flags=$(scripts/seed-experiments.sh flags "$name" 2> /dev/null) || continue
  # the archived run of the lowest seed
  run=$(ls -dv "$exp"/*-s*/ 2> /dev/null | head -n 1 | sed 's|/$||')
  [[ -n $run && -f $run/metrics.csv ]] || continue
  seed=${run##*-s}
  [ "$(head -n 1 "$run/metrics.csv" | cut -d, -f17)" = learner_gflop ] ||
    fail "$run/metrics.csv: not the columns this test reads: $(head -n 1 "$run/metrics.csv")"
  # shellcheck disable=SC2086
  "$maml" train $flags --seed "$seed" --iterations "$iterations" --threads 2 \
    --run-dir "$work/$name" > "$work/out" 2>&1 ||
    fail "maml train $flags --seed $seed: $(tail -n 5 "$work/out")"
  diff <(numbers "$run/metrics.csv") <(numbers "$work/$name/metrics.csv") > "$work/diff" ||
    fail "$name seed $seed retrains to other numbers than $run/metrics.csv (< archived, > now):
$(cat "$work/diff")"
  echo "$run: its first $iterations iterations retrain to its metrics.csv"
  checked=$((checked + 1))
done
((checked > 0)) || fail "no archived run in docs/results/runs has an experiment definition"
echo "results_training: $checked archived runs retrain to their metrics"
