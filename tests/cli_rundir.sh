#!/usr/bin/env bash
# A run directory's files can be trusted (`maml train`):
# - latest.ckpt is saved last in each iteration: a run killed before any of its renames, or
#   stopped by a full disk at any checkpoint write, resumes to the very files (latest, best,
#   numbered checkpoints, config, metrics) of the run that was never stopped;
# - a lock: a second train on a directory in use is refused, naming the holder's process id;
#   the lock of a killed run does not outlive it;
# - a directory holding run files but no latest.ckpt is refused, and says what it holds;
#   --resume removes the temporary files of saves cut short;
# - --resume checks latest.ckpt, config.ini and the metrics against each other, restores an
#   emptied metrics.csv's header and rewrites config.ini after --iterations N;
# - --iterations at or below the iterations done is refused, naming the new total's meaning;
# - a run that never applied an update warns and exits 3, naming only files that exist;
# - the progress line counts iterations from 0, as metrics.csv does;
# - too long a path, a repeated --config / --run-dir / --resume / --assets: a message, exit 2;
# - a refused run (a bad --assets) creates nothing.
# Each part runs in its own subshell and every failure is reported.
#   cli_rundir.sh MAML_BINARY FAULT_LIBRARY CONFIGS_DIR
# (FAULT_LIBRARY "none" in sanitizer builds: the injected faults are skipped)
maml=$1
inject=$2
configs=$3
source "$(dirname "$0")/common.sh"

run=(--config "$configs/quick.ini" --iterations 6 --tasks 2 --episodes 2 --horizon 20
     --checkpoint-every 2 --threads 1 --seed 6) # seed 6: new bests at iterations 0, 2 and 3

# the metrics without their timing columns
csv_rows() { cut -d, -f1-16 "$1"; }
jsonl_rows() { sed 's/,"learner_gflop".*//' "$1"; }
# fail unless run directory $2 holds the same files as $1, with the same contents
same_files() {
  local a=$1 b=$2 f
  [ "$(cd "$a" && ls)" = "$(cd "$b" && ls)" ] ||
    fail "$3: files $(cd "$b" && ls | tr '\n' ' ')instead of $(cd "$a" && ls | tr '\n' ' ')"
  for f in "$a"/*.ckpt; do
    f=$(basename "$f")
    [ "$(theta "$a/$f")" = "$(theta "$b/$f")" ] || fail "$3: $f holds other parameters"
    [ "$(iteration "$a/$f")" = "$(iteration "$b/$f")" ] || fail "$3: $f is of another iteration"
  done
  cmp -s "$a/config.ini" "$b/config.ini" || fail "$3: config.ini differs"
  cmp -s <(csv_rows "$a/metrics.csv") <(csv_rows "$b/metrics.csv") || fail "$3: metrics.csv differs"
  cmp -s <(jsonl_rows "$a/metrics.jsonl") <(jsonl_rows "$b/metrics.jsonl") ||
    fail "$3: metrics.jsonl differs"
}

"$maml" train "${run[@]}" --run-dir "$work/whole" > "$work/whole.log" 2>&1 ||
  fail "training failed: $(cat "$work/whole.log")"

# 1. killed before the N-th rename, for every N until the run no longer gets killed
part_kill_between_saves() {
  local n rc d
  for n in $(seq 1 60); do
    d=$work/kill-$n
    # (in a subshell that reports the death quietly)
    (LD_PRELOAD=$inject MAML_FAULT_KILL_RENAME=$n "$maml" train "${run[@]}" --run-dir "$d" \
      > "$d.log" 2>&1; rc=$?; exit $rc) 2> /dev/null
    rc=$?
    [ $rc -eq 0 ] && break
    [ $rc -eq 137 ] || fail "kill before rename $n: exit $rc, expected 137: $(cat "$d.log")"
    if [ ! -e "$d/latest.ckpt" ]; then
      # killed in the run's first save: nothing to resume, and a new run says what is there
      out=$("$maml" train --resume "$d" 2>&1) && fail "resumed $d without a latest.ckpt"
      echo "$out" | grep -q "no latest.ckpt" || fail "resume without latest.ckpt: $out"
      out=$("$maml" train "${run[@]}" --run-dir "$d" 2>&1) && fail "a new run overwrote $d"
      echo "$out" | grep -q "latest.ckpt.tmp" || fail "the refusal does not list the files: $out"
      continue
    fi
    "$maml" train --resume "$d" > "$d.resume.log" 2>&1 ||
      fail "resume after a kill before rename $n: $(cat "$d.resume.log")"
    same_files "$work/whole" "$d" "killed before rename $n, then resumed"
  done
  [ "$n" -ge 10 ] || fail "the run did only $((n - 1)) renames"
  [ $rc -eq 0 ] || fail "still killed after $n renames"
}

# 1. the same for a resumed run: 3 iterations, then --resume --iterations 6 killed before its
#    N-th rename (config.ini's, the metrics files', the checkpoints'), then resumed again
part_kill_resumed_run() {
  local n rc d
  "$maml" train "${run[@]}" --iterations 3 --run-dir "$work/half" > /dev/null 2>&1 ||
    fail "training 3 iterations failed"
  for n in $(seq 1 60); do
    d=$work/rkill-$n
    cp -r "$work/half" "$d"
    (LD_PRELOAD=$inject MAML_FAULT_KILL_RENAME=$n "$maml" train --resume "$d" --iterations 6 \
      > "$d.log" 2>&1; rc=$?; exit $rc) 2> /dev/null
    rc=$?
    [ $rc -eq 0 ] && break
    [ $rc -eq 137 ] || fail "kill before rename $n of a resume: exit $rc: $(cat "$d.log")"
    "$maml" train --resume "$d" --iterations 6 > "$d.resume.log" 2>&1 ||
      fail "resume after a kill before rename $n of a resume: $(cat "$d.resume.log")"
    same_files "$work/whole" "$d" "a resume killed before rename $n, then resumed"
  done
  [ "$n" -ge 6 ] && [ $rc -eq 0 ] || fail "the resumed run's kill loop ended at $n (exit $rc)"
}

# 1. a full disk from the N-th checkpoint write on, then resumed
part_full_disk() {
  local n rc d
  for n in $(seq 1 40); do
    d=$work/full-$n
    LD_PRELOAD=$inject MAML_FAULT_ENOSPC_WRITE=$n "$maml" train "${run[@]}" --run-dir "$d" \
      > "$d.log" 2>&1
    rc=$?
    [ $rc -eq 0 ] && break
    [ $rc -eq 1 ] || fail "full disk from write $n: exit $rc: $(cat "$d.log")"
    grep -q "No space left on device" "$d.log" || fail "full disk from write $n: $(cat "$d.log")"
    if [ ! -e "$d/latest.ckpt" ]; then
      [ ! -e "$d" ] || fail "the first save failed and left $d: $(ls -A "$d")"
      continue
    fi
    "$maml" train --resume "$d" > "$d.resume.log" 2>&1 ||
      fail "resume after a full disk from write $n: $(cat "$d.resume.log")"
    same_files "$work/whole" "$d" "full disk from write $n, then resumed"
  done
  [ "$n" -ge 8 ] && [ $rc -eq 0 ] || fail "full disk loop ended at write $n (exit $rc)"
}

# a run in the background until its metrics hold $2 rows; sets bg to its process id
start_bg() {
  local d=$1
  shift 2
  "$maml" train "$@" > "$d.bg.log" 2>&1 &
  bg=$!
  for _ in $(seq 1 500); do
    [ -f "$d/metrics.csv" ] && [ "$(wc -l < "$d/metrics.csv")" -ge 3 ] && return 0
    kill -0 $bg 2> /dev/null || fail "the background run ended: $(cat "$d.bg.log")"
    sleep 0.02
  done
  kill -9 $bg
  fail "the background run wrote no metrics"
}

# 2. a lock held for the run's life, and gone with a killed run
part_lock() {
  local d=$work/locked out rc
  start_bg "$d" 3 "${run[@]}" --iterations 1000000 --run-dir "$d"
  # (under a timeout: a program without the lock would train on)
  out=$(timeout 5 "$maml" train --resume "$d" 2>&1)
  rc=$?
  [ $rc -eq 4 ] || { kill -9 $bg; fail "a second train --resume on a run in use: exit $rc: $out"; }
  echo "$out" | grep -q "in use.*process $bg" || { kill -9 $bg; fail "the refusal does not name pid $bg: $out"; }
  out=$(timeout 5 "$maml" train "${run[@]}" --run-dir "$d" 2>&1)
  rc=$?
  [ $rc -eq 4 ] || { kill -9 $bg; fail "a second new train on a run in use: exit $rc: $out"; }
  echo "$out" | grep -q "process $bg" || { kill -9 $bg; fail "the refusal does not name pid $bg: $out"; }
  kill -9 $bg
  wait $bg 2> /dev/null
  grep -qx "$bg" "$d/.lock" || fail ".lock does not hold the process id $bg: $(cat "$d/.lock")"
  # the dead process's lock file is no obstacle
  done_its=$(iteration "$d/latest.ckpt")
  "$maml" train --resume "$d" --iterations $((done_its + 2)) > "$d.resume.log" 2>&1 ||
    fail "resume after the holder was killed: $(cat "$d.resume.log")"
}

# 2. two new runs started at once on one directory: one trains, the other is refused
part_two_at_once() {
  local d=$work/twice r1 r2
  "$maml" train "${run[@]}" --run-dir "$d" > "$d.1.log" 2>&1 &
  local p1=$!
  "$maml" train "${run[@]}" --run-dir "$d" > "$d.2.log" 2>&1 &
  local p2=$!
  wait $p1
  r1=$?
  wait $p2
  r2=$?
  # one trains; the other is refused: in use (4), or holding a run if the first ended (2)
  [ $((r1 * r2)) -eq 0 ] && case $((r1 + r2)) in 2 | 4) true ;; *) false ;; esac ||
    fail "two runs at once: exit $r1 and $r2: $(cat "$d.1.log" "$d.2.log")"
  same_files "$work/whole" "$d" "two runs started at once"
}

# 3. a directory holding run files but no latest.ckpt is refused; temporaries are cleaned
part_no_latest() {
  local d=$work/nolatest out
  cp -r "$work/whole" "$d"
  mv "$d/latest.ckpt" "$work/moved.ckpt"
  cp -r "$d" "$d.before"
  out=$("$maml" train "${run[@]}" --run-dir "$d" 2>&1)
  [ $? -eq 2 ] || fail "a directory holding a run without latest.ckpt was not refused: $out"
  echo "$out" | grep -q "best.ckpt, config.ini, iter-000002.ckpt" ||
    fail "the refusal does not list the files: $out"
  diff -r "$d" "$d.before" > /dev/null || fail "the refused run changed $d"
  mkdir "$work/onlyini" && cp "$work/whole/config.ini" "$work/onlyini/"
  out=$("$maml" train "${run[@]}" --run-dir "$work/onlyini" 2>&1) && fail "config.ini overwritten"
  echo "$out" | grep -q "(config.ini)" || fail "the refusal does not name config.ini: $out"
  mkdir "$work/onlytmp" && echo x > "$work/onlytmp/latest.ckpt.tmp.12345"
  out=$("$maml" train "${run[@]}" --run-dir "$work/onlytmp" 2>&1) && fail "a temporary file ignored"
  echo "$out" | grep -q "latest.ckpt.tmp.12345.*cut short: delete them" ||
    fail "the refusal does not say what to do with the temporary file: $out"
  # an unrelated file is no run
  mkdir "$work/notes" && echo hi > "$work/notes/notes.txt"
  "$maml" train "${run[@]}" --iterations 1 --run-dir "$work/notes" > /dev/null 2>&1 ||
    fail "a directory holding only notes.txt was refused"
  # the holder of the lock removes the temporary files
  d=$work/tmps
  cp -r "$work/whole" "$d"
  echo x > "$d/iter-000008.ckpt.tmp.999"
  echo x > "$d/config.ini.tmp.998"
  out=$("$maml" train --resume "$d" --iterations 7 2>&1) || fail "resume with temporaries: $out"
  ls "$d" | grep -q tmp && fail "temporaries left after --resume: $(ls "$d")"
  echo "$out" | grep -q "removed .*iter-000008.ckpt.tmp.999" || fail "no word of the removal: $out"
}

# 4. latest.ckpt, config.ini and the metrics checked against each other
part_resume_checks() {
  local d=$work/foreign out
  "$maml" train --env cheetah-vel --tasks 1 --episodes 1 --horizon 5 --iterations 1 \
    --hidden 8 --run-dir "$work/cheetah" > /dev/null 2>&1 || fail "cheetah training failed"
  cp -r "$work/whole" "$d"
  cp "$work/cheetah/latest.ckpt" "$d/latest.ckpt"
  cp "$d/metrics.csv" "$work/foreign.csv"
  out=$("$maml" train --resume "$d" --iterations 9 2>&1)
  [ $? -eq 2 ] || fail "a cheetah checkpoint resumed in a nav2d run: $out"
  echo "$out" | grep -q "env = cheetah-vel.*env = nav2d" || fail "the refusal names not both: $out"
  cmp -s "$d/metrics.csv" "$work/foreign.csv" || fail "the refused resume changed metrics.csv"
  # an emptied metrics.csv gets its header back; a missing metrics.jsonl is started again
  d=$work/emptied
  cp -r "$work/whole" "$d"
  : > "$d/metrics.csv"
  rm "$d/metrics.jsonl"
  out=$("$maml" train --resume "$d" --iterations 8 2>&1) || fail "resume with emptied metrics: $out"
  echo "$out" | grep -q "warning: .*metrics.csv holds 0 and metrics.jsonl 0 of the rows" ||
    fail "no warning of the missing rows: $out"
  [ "$(head -1 "$d/metrics.csv")" = "$(head -1 "$work/whole/metrics.csv")" ] ||
    fail "metrics.csv has no header: $(head -2 "$d/metrics.csv")"
  [ "$(cut -d, -f1 "$d/metrics.csv" | tail -n +2 | tr '\n' ' ')" = "6 7 " ] ||
    fail "metrics.csv rows: $(cat "$d/metrics.csv")"
  # config.ini says the new total, written atomically; a missing one is written again
  grep -qx "iterations = 8" "$d/config.ini" || fail "config.ini not updated: $(cat "$d/config.ini")"
  ls "$d" | grep -q tmp && fail "a temporary file left: $(ls "$d")"
  rm "$d/config.ini"
  "$maml" train --resume "$d" --iterations 9 --checkpoint-every 3 > /dev/null 2>&1 ||
    fail "resume without config.ini failed"
  grep -qx "iterations = 9" "$d/config.ini" && grep -qx "checkpoint_every = 3" "$d/config.ini" ||
    fail "config.ini not written again: $(cat "$d/config.ini" 2> /dev/null)"
}

# 5. --iterations is the new total
part_iterations_total() {
  local out rc
  cp -r "$work/whole" "$work/total"
  out=$("$maml" train --resume "$work/total" --iterations 6 2>&1)
  rc=$?
  [ $rc -eq 2 ] || fail "--iterations 6 on a run of 6: exit $rc: $out"
  echo "$out" | grep -q "already has 6 iterations; --iterations is the new total, e.g. --iterations 12" ||
    fail "--iterations 6 on a run of 6: $out"
  out=$("$maml" train --resume "$work/total" --iterations 3 2>&1) && fail "--iterations 3 accepted"
  "$maml" train --help | grep -q "new total" || fail "--help does not say N is the new total"
  # a plain --resume of a finished run has nothing to do and says done
  "$maml" train --resume "$work/total" > /dev/null 2>&1 || fail "a plain resume of a finished run"
}

# 6. no update ever applied: a warning, exit 3, only existing files named
part_no_update() {
  local d=$work/noupdate out rc
  # (seed 1: every iteration rejected, so no best either)
  out=$("$maml" train "${run[@]}" --alpha 100 --inner-steps 5 --seed 1 --run-dir "$d" 2>&1)
  rc=$?
  [ $rc -eq 3 ] || fail "a run that applied no update: exit $rc: $out"
  echo "$out" | grep -q "warning: no update was applied" || fail "no warning: $out"
  [ ! -e "$d/best.ckpt" ] || fail "the run has a best.ckpt after all"
  echo "$out" | grep -q "best.ckpt" && fail "the summary names a best.ckpt that does not exist: $out"
  "$maml" train --help | grep -q "3 the run ended but no update" || fail "--help: no exit status 3"
  grep -q "best.ckpt" "$work/whole.log" || fail "a normal run's summary does not name best.ckpt"
}

# 7. the progress line counts from 0 like metrics.csv
part_progress() {
  [ "$(sed -n 's/^iter \([0-9]*\) (\([0-9]*\) of 6).*/\1/p' "$work/whole.log" | tr '\n' ' ')" = \
    "$(cut -d, -f1 "$work/whole/metrics.csv" | tail -n +2 | tr '\n' ' ')" ] ||
    fail "the progress lines' iterations are not metrics.csv's: $(grep '^iter' "$work/whole.log")"
  grep -q "^iter 5 (6 of 6)" "$work/whole.log" || fail "no line for iteration 5 of 6"
}

# 8, 9. limits and repeated options: a message, exit 2, nothing created
part_arguments() {
  local long out rc opt
  long=$work/$(printf 'x%.0s' $(seq 1 200))
  for _ in $(seq 1 19); do long=$long/$(printf 'y%.0s' $(seq 1 200)); done
  for opt in --run-dir --resume; do
    out=$("$maml" train "${run[@]}" $opt "$long" 2>&1)
    rc=$?
    [ $rc -eq 2 ] || fail "$opt of ${#long} characters: exit $rc"
    echo "$out" | grep -q "at most 4000" || fail "$opt of ${#long} characters: '$out'"
  done
  for opt in --config --run-dir --resume --assets; do
    out=$("$maml" train --env nav2d $opt "$configs/quick.ini" $opt "$work/rep" 2>&1)
    rc=$?
    [ $rc -eq 2 ] || fail "$opt twice: exit $rc: $out"
    echo "$out" | grep -q -- "$opt is given twice" || fail "$opt twice: $out"
  done
  [ ! -e "$work/rep" ] || fail "a refused command line created a directory"
}

# 10. a bad --assets creates no run directory
part_bad_assets() {
  local out
  out=$("$maml" train --env cheetah-vel --tasks 1 --episodes 1 --horizon 5 --iterations 1 \
    --assets "$work/no-models" --run-dir "$work/assets-run" 2>&1) && fail "a bad --assets accepted"
  [ ! -e "$work/assets-run" ] || fail "a bad --assets left $(ls -A "$work/assets-run")"
}

parts=(part_kill_between_saves part_kill_resumed_run part_full_disk)
[ "$inject" = none ] && { echo "skip: no fault library (a sanitizer build)"; parts=(); }
failed=0
for part in "${parts[@]}" part_lock part_two_at_once part_no_latest part_resume_checks \
  part_iterations_total part_no_update part_progress part_arguments part_bad_assets; do
  ( $part ) || { echo "  in $part"; failed=1; }
done
[ $failed -eq 0 ] || exit 1
echo ok
