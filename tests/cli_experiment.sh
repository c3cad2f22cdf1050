#!/usr/bin/env bash
# `maml experiment`: runs over seeds x settings in one folder. Each run equals the same run
# trained alone with `maml train`; an interrupted experiment continues to the uninterrupted
# one's files; --seeds adds runs and --iterations extends them; a changed definition is
# refused; status counts what is done; a run another process trains is left to it (two
# commands on one experiment share it); eval groups the settings; under mpirun, runs spread
# over groups of ranks give the one-process files.
# usage: cli_experiment.sh MAML_BINARY
maml=$1
. "$(dirname "$0")/common.sh"

small=(--env nav2d --iterations 3 --tasks 2 --episodes 2 --horizon 10 --hidden 8)
X=$work/x
"$maml" experiment train "$X" "${small[@]}" --seeds 1-2 --vary first_order=0,1 >"$work/x.log" 2>&1 ||
  { cat "$work/x.log"; fail "experiment train failed"; }
for g in first_order-0 first_order-1; do
  for s in 1 2; do [ -f "$X/$g-s$s/latest.ckpt" ] || fail "no run $g-s$s"; done
done

# a run equals `maml train` of its setting and seed
"$maml" train "${small[@]}" --first-order 1 --seed 2 --run-dir "$work/alone" >/dev/null 2>&1 ||
  fail "maml train alone failed"
same_run "$X/first_order-1-s2" "$work/alone"
[ "$(theta "$X/first_order-0-s2/latest.ckpt")" != "$(theta "$X/first_order-1-s2/latest.ckpt")" ] ||
  fail "the two settings trained the same parameters"

# status: every run done, 3 of 3 iterations
"$maml" experiment status "$X" >"$work/status" || fail "status failed"
grep -q '4 runs: 4 done, 0 training, 0 stopped, 0 not started' "$work/status" ||
  { cat "$work/status"; fail "status does not count 4 done runs"; }
[ "$(grep -c ' 3/3 .* done$' "$work/status")" = 4 ] || { cat "$work/status"; fail "status rows"; }
grep -qx 'left: nothing, every run is done' "$work/status" || { cat "$work/status"; fail "time left"; }

# nothing left: exit 0, no run touched
before=$(theta "$X/first_order-0-s1/latest.ckpt")
"$maml" experiment train "$X" >"$work/again.log" 2>&1 || fail "a finished experiment exits non-zero"
grep -q 'run 1 of' "$work/again.log" && fail "a finished run was trained again"

# a changed definition is refused, naming the key and both values; nothing changes
"$maml" experiment train "$X" --env nav2d --iterations 3 --tasks 3 --episodes 2 --horizon 10 \
  --hidden 8 --seeds 1-2 --vary first_order=0,1 >"$work/diff.log" 2>&1
[ $? = 2 ] || fail "a changed definition is not refused with exit 2"
grep -q "tasks: '2' recorded, '3' given" "$work/diff.log" ||
  { cat "$work/diff.log"; fail "the refusal does not name tasks and both values"; }
"$maml" experiment train "$X" --seed 3 >/dev/null 2>&1 && fail "--seed is accepted"
"$maml" experiment train "$work/bad" --env nav2d --seeds 1 --vary alpha=0.1,-1 >"$work/bad.log" 2>&1
[ $? = 2 ] || fail "a setting with a bad value is not refused"
grep -q "alpha" "$work/bad.log" || { cat "$work/bad.log"; fail "the refusal does not name alpha"; }
[ -e "$work/bad" ] && fail "a refused experiment left a folder"
"$maml" experiment train "$work/bad" --env nav2d --seeds 2-1 >/dev/null 2>&1 && fail "seeds 2-1 accepted"

# more seeds and iterations: the old runs continue, the new ones start; each run equals
# its uninterrupted self
"$maml" experiment train "$X" --seeds 1-3 --iterations 5 >"$work/more.log" 2>&1 ||
  { cat "$work/more.log"; fail "extending the experiment failed"; }
"$maml" train "${small[@]}" --iterations 5 --seed 3 --run-dir "$work/alone3" >/dev/null 2>&1
same_run "$X/first_order-0-s3" "$work/alone3"
"$maml" train "${small[@]}" --iterations 5 --seed 1 --run-dir "$work/alone1" >/dev/null 2>&1
same_run "$X/first_order-0-s1" "$work/alone1"
"$maml" experiment status "$X" | grep -q '6 runs: 6 done' || fail "status after extending"

# interrupted mid-way (SIGINT): exit 130, the resume line; continued, the files equal the
# uninterrupted experiment's
Y=$work/y
long=(--env nav2d --iterations 300 --tasks 4 --episodes 4 --horizon 20 --hidden 16)
"$maml" experiment train "$Y" "${long[@]}" --seeds 1-2 >"$work/y.log" 2>&1 &
pid=$!
for _ in $(seq 600); do # the first run a few iterations in
  [ "$(grep -c '' "$Y/runs-s1/metrics.csv" 2>/dev/null)" -gt 5 ] 2>/dev/null && break
  sleep 0.05
done
kill -INT $pid
wait $pid
rc=$?
[ $rc = 130 ] || { cat "$work/y.log"; fail "an interrupted experiment exits $rc, not 130"; }
grep -q "interrupted (SIGINT)" "$work/y.log" || { cat "$work/y.log"; fail "no run was interrupted"; }
grep -q "continue with: maml experiment train $Y" "$work/y.log" || fail "no resume line"
"$maml" experiment status "$Y" > "$work/y.status"
grep -q 'stopped\|not started' "$work/y.status" || fail "status shows no stopped run"
# 600 planned, fewer done: the rest and its hours at the pace of those done
grep -qE '^left: [0-9]+ iterations, about [0-9.]+ hours at the pace so far \([0-9.]+ s an iteration' \
  "$work/y.status" || { cat "$work/y.status"; fail "no time left line"; }
n=$(sed -n 's/^left: \([0-9]*\) iterations.*/\1/p' "$work/y.status")
[ "$n" -gt 300 ] && [ "$n" -lt 600 ] || fail "left $n iterations of 600, some done: $(cat "$work/y.status")"
"$maml" experiment train "$Y" >/dev/null 2>&1 || fail "continuing the experiment failed"
"$maml" experiment train "$work/y2" "${long[@]}" --seeds 1-2 >/dev/null 2>&1 || fail "uninterrupted"
same_run "$Y/runs-s1" "$work/y2/runs-s1"
same_run "$Y/runs-s2" "$work/y2/runs-s2"

# eval: one group per setting, every finished run in it
"$maml" experiment eval "$X" --goals 2 --episodes 2 --steps 1 >"$work/eval.log" 2>&1 ||
  { cat "$work/eval.log"; fail "experiment eval failed"; }
for g in first_order-0 first_order-1; do
  n=$(awk -F, -v g=$g '$1 == g && $3 == 0 && $4 == "run"' "$X/eval/eval-seeds.csv" | wc -l)
  [ "$n" = 3 ] || { head -5 "$X/eval/eval-seeds.csv"; fail "group $g has $n runs, not 3"; }
done

# maml plot of the experiment: one group per setting, its mean over the runs per iteration
# (recomputed here from the runs' metrics.csv), the band's numbers in curves.csv
"$maml" plot "$X" >"$work/plot.log" 2>&1 || { cat "$work/plot.log"; fail "maml plot of an experiment"; }
[ -s "$X/curves.png" ] && [ -s "$X/curves.svg" ] || fail "no curves.png and curves.svg"
for g in first_order-0 first_order-1; do
  want=$(for s in 1 2 3; do awk -F, 'NR == 6 { print $3 }' "$X/$g-s$s/metrics.csv"; done |
    awk '{ t += $1 } END { printf "%.6f", t / NR }')
  got=$(awk -F, -v g=$g '$1 == g && $2 == 4 { printf "%.6f %s", $4, $3 }' "$X/curves.csv")
  [ "$got" = "$want 3" ] || fail "curves.csv: $g at iteration 4 is '$got', the runs' mean $want over 3"
  awk -F, -v g=$g '$1 == g && !($5 <= $4 && $4 <= $6) { exit 1 }' "$X/curves.csv" ||
    fail "curves.csv: a mean of $g outside its band"
done
[ "$(grep -c '' "$X/curves.csv")" = 11 ] || fail "curves.csv: not 2 groups x 5 iterations"
"$maml" plot "$X/first_order-0-s1" "$X/first_order-1-s1" >/dev/null 2>&1 && fail "several runs without --out"
"$maml" plot "$X/first_order-0-s1" "$X/first_order-1-s1" --out "$work/two" >/dev/null 2>&1 &&
  [ -s "$work/two/curves.png" ] || fail "maml plot of two runs"
"$maml" plot --group a="$X/first_order-0-s1,$X/first_order-0-s2" --out "$work/ga" --smooth 2 \
  >/dev/null 2>&1 && [ -s "$work/ga/curves.png" ] || fail "maml plot --group"
"$maml" plot --group a= --out "$work/gb" >/dev/null 2>&1 && fail "an empty group is accepted"
# one run of a family whose goals repeat: training.csv has each goal's return after
# adaptation, metrics.jsonl's split (balanced: two tasks a goal); the batch's mean is their mean
"$maml" train --env cheetah-dir --balanced-tasks 1 --tasks 4 --episodes 2 --horizon 10 \
  --iterations 3 --hidden 8 --run-dir "$work/dir" >/dev/null 2>&1 || fail "cheetah-dir run"
"$maml" plot "$work/dir" >/dev/null 2>&1 && [ -s "$work/dir/training.png" ] || fail "plot of cheetah-dir"
head -1 "$work/dir/training.csv" | grep -q '^iteration,pre_return,post_return,post_return_goal_-1,post_return_goal_1$' ||
  fail "training.csv header: $(head -1 "$work/dir/training.csv")"
awk -F, 'NR > 1 { d = ($4 + $5) / 2 - $3; if (d > 1e-6 || d < -1e-6) exit 1 }' "$work/dir/training.csv" ||
  fail "training.csv: the two goals' means do not average to the batch's"
grep -c '"goal":"-1","tasks":2' "$work/dir/metrics.jsonl" | grep -qx 3 || fail "metrics.jsonl: not 2 tasks of -1 each iteration"
# a run another process holds (its lock taken) is left to it: the others train, exit 0
mkdir -p "$work/h/runs-s1" && echo 4242 >"$work/h/runs-s1/.lock"
flock "$work/h/runs-s1/.lock" sleep 60 &
holder=$!
for _ in $(seq 100); do flock -n "$work/h/runs-s1/.lock" true || break; sleep 0.1; done
"$maml" experiment train "$work/h" "${small[@]}" --seeds 1-2 >"$work/h.log" 2>&1 ||
  { cat "$work/h.log"; fail "a held run stops the experiment"; }
# with two runs training at once, status shares the hours left between them
flock "$work/h/runs-s2/.lock" sleep 60 &
holder2=$!
for _ in $(seq 100); do flock -n "$work/h/runs-s2/.lock" true || break; sleep 0.1; done
"$maml" experiment status "$work/h" >"$work/hs.log" 2>&1
kill $holder $holder2 2>/dev/null
grep -qE '^left: .*one run at a time; [0-9.]+ with the 2 runs training now\)$' "$work/hs.log" ||
  { cat "$work/hs.log"; fail "status: the hours left not shared between two training runs"; }
grep -q 'run 1 of 2, runs-s1: being trained by process 4242, left to it' "$work/h.log" &&
  grep -q '1 of 2 runs done, 1 training in another process' "$work/h.log" ||
  { cat "$work/h.log"; fail "no message for the held run"; }
[ ! -e "$work/h/runs-s1/latest.ckpt" ] && [ -f "$work/h/runs-s2/latest.ckpt" ] ||
  fail "the held run was trained, or the free one was not"
# two `experiment train` at once on one experiment share its runs: the one-process files
"$maml" experiment train "$work/two" "${small[@]}" --seeds 1-4 >"$work/two1.log" 2>&1 &
first=$!
"$maml" experiment train "$work/two" "${small[@]}" --seeds 1-4 >"$work/two2.log" 2>&1 ||
  { cat "$work/two2.log"; fail "the second experiment train failed"; }
wait $first || { cat "$work/two1.log"; fail "the first experiment train failed"; }
"$maml" experiment train "$work/two" >"$work/two3.log" 2>&1 || fail "a third pass failed"
grep -q 'run [0-9] of' "$work/two3.log" && { cat "$work/two3.log"; fail "a run was left undone"; }
"$maml" experiment train "$work/one" "${small[@]}" --seeds 1-4 >/dev/null 2>&1 || fail "one process"
for s in 1 2 3 4; do same_run "$work/two/runs-s$s" "$work/one/runs-s$s"; done
"$maml" experiment status "$work/none" >/dev/null 2>&1 && fail "status of a folder without one"
"$maml" experiment bogus "$X" >/dev/null 2>&1 && fail "an unknown subcommand is accepted"

# under mpirun: 2 ranks, one run each at a time, give the one-process files
if [ "${MAML_MPI_TESTS:-1}" = 1 ] && command -v mpirun >/dev/null && "$maml" version | grep -q 'MPI: built in'; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  mpirun=(env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" mpirun --oversubscribe -np 2)
  timeout 300 "${mpirun[@]}" "$maml" experiment train "$work/m" "${small[@]}" --seeds 1-3 \
    --ranks-per-run 1 >"$work/m.log" 2>&1 || { cat "$work/m.log"; fail "experiment under mpirun"; }
  "$maml" experiment train "$work/m1" "${small[@]}" --seeds 1-3 >/dev/null 2>&1 || fail "one process"
  for s in 1 2 3; do same_run "$work/m/runs-s$s" "$work/m1/runs-s$s"; done
  timeout 300 "${mpirun[@]}" "$maml" experiment train "$work/m3" "${small[@]}" --seeds 1-3 \
    --ranks-per-run 3 >"$work/m3.log" 2>&1
  [ $? = 2 ] || { cat "$work/m3.log"; fail "--ranks-per-run 3 of 2 ranks is not refused"; }
  grep -q 'do not split into groups of 3' "$work/m3.log" || { cat "$work/m3.log"; fail "message"; }
else
  echo "skip: the MPI part (no mpirun, or maml built without MPI)"
fi
echo "cli_experiment: ok"
