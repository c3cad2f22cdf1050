#!/usr/bin/env bash
# The policies behind docs/results.md's experiments over seeds, as committed in
# docs/results/runs (scripts/seed-experiments.sh archive), evaluate again to the numbers of
# the CSVs in docs/results/data: for the first archived run of each experiment that a CSV
# scores (`maml eval`'s per-run rows), the same evaluation (its goals, seed 1, its step
# size or its learned ones) gives its return before and after one step to 1e-5 relative.
# With the OpenBLAS kernels the results were made with (Haswell); float builds only.
#   results_policies.sh PROJECT_SOURCE_DIR MAML
src=$1
maml=$2
source "$(dirname "$0")/common.sh"
cd "$src" || fail "no project folder $src"
export OPENBLAS_CORETYPE=Haswell

checked=0
for exp in docs/results/runs/*/; do
  exp=${exp%/}
  for run in $(ls -dv "$exp"/*/ 2> /dev/null | sed 's|/$||'); do
    key="/$(basename "$exp")/$(basename "$run")/best.ckpt"
    # group,goal,steps,statistic,versus,value,ci_low,ci_high,n,left_out,run,alpha,iteration
    rows=$(awk -F, -v key="$key" '$4 == "run" && $2 == "" && ($3 == 0 || $3 == 1) &&
      substr($11, length($11) - length(key) + 1) == key { print FILENAME "," $0 }' docs/results/data/*.csv)
    [[ -n $rows ]] || continue
    csv=$(head -n 1 <<< "$rows" | cut -d, -f1)
    goals=$(head -n 1 <<< "$rows" | cut -d, -f10)
    alpha=$(head -n 1 <<< "$rows" | cut -d, -f13)
    policy="p=$run${alpha:+@$alpha}"
    "$maml" eval --policy "$policy" --goals "$goals" --seed 1 --steps 1 --out "$work/eval" \
      > "$work/out" 2>&1 || fail "maml eval --policy $policy: $(cat "$work/out")"
    for k in 0 1; do
      want=$(awk -F, -v f="$csv" -v k=$k '$1 == f && $4 == k { print $7; exit }' <<< "$rows")
      got=$(awk -F, -v k=$k '$1 == "p" && $3 == k { print $4 }' "$work/eval/eval.csv")
      [[ -n $want && -n $got ]] || fail "$run: no score after $k steps (CSV: '$want', eval: '$got')"
      awk -v a="$got" -v b="$want" 'BEGIN { d = a - b; if (d < 0) d = -d; m = b < 0 ? -b : b;
        exit !(d <= 1e-5 * (m > 1 ? m : 1)) }' ||
        fail "$run after $k steps: eval gives $got, $csv says $want"
    done
    echo "$run: $goals goals, before and after one step as in $csv"
    checked=$((checked + 1))
    break
  done
done
((checked > 0)) || fail "no archived run in docs/results/runs is scored in docs/results/data"
echo "results_policies: $checked archived runs evaluate to their published scores"
