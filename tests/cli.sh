#!/usr/bin/env bash
# The `maml train`, `maml info` and `maml eval` commands end to end: a run interrupted
# with SIGINT and resumed ends with the same parameters and metrics as an uninterrupted
# one; evaluation writes its table files; bad input gives a clear error and a non-zero
# status without touching saved work.
#   cli.sh MAML_BINARY CONFIGS_DIR
maml=$1
configs=$2
source "$(dirname "$0")/common.sh"

run=(--config "$configs/quick.ini" --iterations 20 --tasks 6 --episodes 6)

# an uninterrupted run
"$maml" train "${run[@]}" --run-dir "$work/whole" > "$work/whole.log" || fail "training failed"

# the same run, interrupted once two iterations are written, then resumed
"$maml" train "${run[@]}" --run-dir "$work/cut" > "$work/cut.log" &
pid=$!
for _ in $(seq 1 400); do
  [ -f "$work/cut/metrics.csv" ] && [ "$(wc -l < "$work/cut/metrics.csv")" -ge 3 ] && break
  sleep 0.02
done
kill -INT "$pid"
wait "$pid"
rc=$?
[ "$rc" -eq 130 ] || fail "SIGINT: exit status $rc, expected 130 (did the run end before the signal?)"
grep -q "maml train --resume $work/cut" "$work/cut.log" || fail "no resume hint after SIGINT"
"$maml" info "$work/cut" > "$work/info.log" || fail "maml info on the interrupted run"
"$maml" train --resume "$work/cut" > "$work/resume.log" || fail "resume failed"

# same parameters
[ "$(theta "$work/whole/latest.ckpt")" = "$(theta "$work/cut/latest.ckpt")" ] ||
  fail "resumed run ends with other parameters than the uninterrupted one"
# same metrics, each iteration once (the timing columns aside)
cmp <(cut -d, -f1-16 "$work/whole/metrics.csv") <(cut -d, -f1-16 "$work/cut/metrics.csv") ||
  fail "metrics differ after resume"
[ "$(wc -l < "$work/cut/metrics.jsonl")" -eq 20 ] || fail "metrics.jsonl does not hold 20 rows"

# bad input: clear messages, non-zero status
out=$("$maml" train --env nav2d --max-k 0.1 --run-dir "$work/bad" 2>&1) && fail "unknown key accepted"
echo "$out" | grep -q "did you mean 'max_kl'" || fail "no suggestion for --max-k: $out"
out=$("$maml" train --env nav3d --run-dir "$work/bad" 2>&1) && fail "unknown env accepted"
echo "$out" | grep -q "nav2d" || fail "unknown env message does not list the families: $out"
out=$("$maml" train --env nav2d --alpha -1 --run-dir "$work/bad" 2>&1) && fail "alpha -1 accepted"
echo "$out" | grep -q "alpha" || fail "bad alpha message: $out"
[ ! -e "$work/bad" ] || fail "a refused run created its run directory"
out=$("$maml" train "${run[@]}" --run-dir "$work/whole" 2>&1) && fail "reused a run directory"
echo "$out" | grep -q -- "--resume" || fail "reusing a run directory: $out"
out=$("$maml" train --resume "$work/cut" --alpha 0.5 2>&1) && fail "changed alpha on resume"

# a damaged checkpoint is refused, and left as it was
cp "$work/cut/latest.ckpt" "$work/good.ckpt"
head -c 100 "$work/good.ckpt" > "$work/cut/latest.ckpt"
cp "$work/cut/latest.ckpt" "$work/cut.before"
out=$("$maml" train --resume "$work/cut" 2>&1) && fail "resumed from a truncated checkpoint"
echo "$out" | grep -q "truncated" || fail "truncated checkpoint message: $out"
cmp -s "$work/cut/latest.ckpt" "$work/cut.before" || fail "the damaged checkpoint was modified"
# every shipped config loads and trains (one tiny iteration: the families' models and the
# config's keys, not its sizes)
for c in "$configs"/*.ini; do
  out=$("$maml" train --config "$c" --iterations 1 --tasks 1 --episodes 1 --horizon 5 \
    --threads 1 --run-dir "$work/config-$(basename "$c" .ini)" 2>&1) || fail "$c: $out"
done
out=$("$maml" info "$configs/quick.ini" 2>&1) && fail "maml info accepted a config file"
echo "$out" | grep -q "not a maml checkpoint" || fail "foreign file message: $out"
# evaluation of the trained run against a random policy, on the same goals
"$maml" eval --policy maml="$work/whole" --policy random@1.0 --goals 4 --episodes 4 --steps 2 \
  --out "$work/eval" > "$work/eval.log" || fail "maml eval failed: $(cat "$work/eval.log")"
[ "$(grep -c '^maml,' "$work/eval/eval.csv")" -eq 3 ] || fail "eval.csv: not 3 rows for maml"
[ "$(grep -c '^random,1,' "$work/eval/eval.csv")" -eq 3 ] || fail "eval.csv: random rows"
[ "$(grep -vc '^#' "$work/eval/goals.txt")" -eq 4 ] || fail "goals.txt: not 4 goals"
# the first policy minus each other, goal by goal: the mean difference is the difference
# of the means, and it is ahead on 0 to 4 goals
grep -q "^maml minus each policy" "$work/eval.log" || fail "no paired table: $(cat "$work/eval.log")"
[ "$(grep -c '^maml,random,' "$work/eval/eval-paired.csv")" -eq 3 ] ||
  fail "eval-paired.csv: $(cat "$work/eval/eval-paired.csv")"
for step in 0 1 2; do
  means=$(awk -F, -v s=$step '$3 == s && $1 == "maml" { a = $4 } $3 == s && $1 == "random" { b = $4 }
    END { print a - b }' "$work/eval/eval.csv")
  awk -F, -v s=$step -v d="$means" '$3 == s { e = $4 - d; ok = e < 1e-4 && e > -1e-4 &&
    $6 >= 0 && $6 <= 4 && $7 == 4 } END { exit !ok }' "$work/eval/eval-paired.csv" ||
    fail "paired difference of step $step is not maml - random ($means)"
done
if command -v gnuplot > /dev/null; then
  [ "$(head -c 4 "$work/eval/eval.png" | tail -c 3)" = "PNG" ] || fail "eval.png is not a PNG"
  grep -q "<svg" "$work/eval/eval.svg" || fail "eval.svg is not an SVG"
  "$maml" plot "$work/whole" > /dev/null || fail "maml plot failed"
  [ -s "$work/whole/training.png" ] && [ -s "$work/whole/training.svg" ] || fail "no training plot"
fi
out=$("$maml" plot "$work/none" 2>&1) && fail "plot of a missing run"
"$maml" eval --policy maml="$work/whole" --goals-file "$work/eval/goals.txt" --episodes 4 \
  --steps 2 --out "$work/eval2" > /dev/null || fail "maml eval --goals-file failed"
cmp <(grep '^maml,' "$work/eval/eval.csv") <(grep '^maml,' "$work/eval2/eval.csv") ||
  fail "the same goals from goals.txt give other numbers"
out=$("$maml" eval --policy random --env nav2d --sweep-alpha 0.001,1.0 --sweep-goals 3 \
  --goals 2 --episodes 4 --steps 1 --out "$work/sweep" 2>&1) || fail "eval --sweep-alpha: $out"
echo "$out" | grep -q "step-size sweep on 3 other goals" || fail "no sweep report: $out"
# the step size it reports using is the one with the best sweep return, and the table's
best=$(echo "$out" | sed -n 's/.*sweep on 3 other goals: \(.*\); using .*/\1/p' |
  awk '{ b = ""; for (i = 1; i + 2 <= NF; i += 3) if (b == "" || $(i + 2) > v) { v = $(i + 2); b = $i } print b }')
used=$(echo "$out" | sed -n 's/.*; using \(.*\)/\1/p')
[ -n "$used" ] && [ "$best" = "$used" ] || fail "sweep: best '$best', used '$used': $out"
grep -q "^random,$used,1," "$work/sweep/eval.csv" || fail "eval.csv does not use alpha $used"
[ ! -e "$work/eval/eval-by-goal.csv" ] || fail "eval-by-goal.csv for goals that do not repeat"
# goals that repeat (two directions) are also reported per goal; the per-goal means, weighted
# by their goal counts, give the overall mean of eval.csv
"$maml" eval --policy random --env cheetah-dir --goal 1 --goal -1 --goal 1 --episodes 2 \
  --steps 1 --out "$work/groups" > "$work/groups.log" ||
  fail "eval with repeated goals: $(cat "$work/groups.log")"
grep -q "^by goal:" "$work/groups.log" || fail "no per-goal table: $(cat "$work/groups.log")"
[ "$(grep -c '^random,-1,' "$work/groups/eval-by-goal.csv")" -eq 2 ] ||
  fail "eval-by-goal.csv: $(cat "$work/groups/eval-by-goal.csv")"
[ ! -e "$work/groups/eval-paired.csv" ] || fail "eval-paired.csv for a single policy"
for step in 0 1; do
  overall=$(awk -F, -v s=$step '$1 == "random" && $3 == s { print $4 }' "$work/groups/eval.csv")
  awk -F, -v s=$step -v o="$overall" 'NR > 1 && $3 == s { t += $4 * $6; n += $6 }
    END { d = t / n - o; exit !(n == 3 && d < 1e-4 && d > -1e-4) }' \
    "$work/groups/eval-by-goal.csv" || fail "per-goal means do not give the mean of step $step"
done
"$maml" eval --policy random --env nav2d --goal 0.3,0.2 --goal -0.1,0.4 --goal 0.3,0.2 \
  --episodes 2 --steps 0 --out "$work/groups2d" > /dev/null || fail "nav2d repeated goals"
grep -q '^random,"0.3,0.2",0,' "$work/groups2d/eval-by-goal.csv" ||
  fail "a nav2d goal is not one quoted CSV field: $(cat "$work/groups2d/eval-by-goal.csv")"
out=$("$maml" eval --policy maml="$work/none" 2>&1) && fail "eval of a missing checkpoint"
echo "$out" | grep -q "$work/none" || fail "missing checkpoint message: $out"
out=$("$maml" eval --policy random --env nav2d --goal 3,3 2>&1) && fail "goal out of range"
echo "ok"
