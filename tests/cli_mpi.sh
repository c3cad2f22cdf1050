#!/usr/bin/env bash
# `maml train` and `maml eval` under mpirun: 2 ranks end with the same parameters, bit for
# bit, as one process (also across a resume under MPI, and with an uneven split of the
# tasks); eval gives the same numbers; a rank killed mid-run ends the job with a message
# naming it and leaves a run that resumes, with or without MPI; ranks started with other
# arguments or another command end the job at once, naming the rank and the argument; a
# Ctrl-C on rank 1 stops, saves and exits 130 like one on rank 0, and the run resumes.
#   cli_mpi.sh MAML_BINARY CONFIGS_DIR
maml=$1
configs=$2
source "$(dirname "$0")/common.sh"

# CI runs as root; a machine's cores may be fewer than the ranks
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# one machine needs no remote shell, but Open MPI refuses to start without one unless told
command -v ssh > /dev/null || command -v rsh > /dev/null || export OMPI_MCA_plm_rsh_agent=
# in a sanitizer build, no leak report at exit: Open MPI's components, loaded and unloaded
# at run time, leave allocations LeakSanitizer can neither name nor suppress (the
# single-process runs here keep the leak check)
mpirun=(env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" mpirun --oversubscribe)
mpi=("${mpirun[@]}" -np 2)

# 5 tasks over 2 ranks (3 + 2), second order
run=(--config "$configs/quick.ini" --tasks 5 --episodes 4)
"$maml" train "${run[@]}" --iterations 2 --run-dir "$work/one" > "$work/one.log" ||
  fail "single-process training failed"
"${mpi[@]}" "$maml" train "${run[@]}" --iterations 2 --run-dir "$work/two" > "$work/two.log" 2>&1 ||
  { cat "$work/two.log"; fail "mpirun training failed"; }
grep -q "2 MPI ranks" "$work/two.log" || fail "the run does not say it uses 2 ranks"
same_run "$work/one" "$work/two"

# the MPI run resumed under MPI equals the single process run for longer
"$maml" train "${run[@]}" --iterations 4 --run-dir "$work/one4" > /dev/null ||
  fail "single-process training failed"
"${mpi[@]}" "$maml" train --resume "$work/two" --iterations 4 > "$work/two4.log" 2>&1 ||
  { cat "$work/two4.log"; fail "resume under mpirun failed"; }
same_run "$work/one4" "$work/two"

# the half-cheetah, first order, 3 ranks over 4 tasks
run=(--env cheetah-vel --first-order --tasks 4 --episodes 2 --horizon 50 --hidden 16,16)
"$maml" train "${run[@]}" --iterations 2 --run-dir "$work/c1" > /dev/null ||
  fail "single-process cheetah training failed"
"${mpirun[@]}" -np 3 "$maml" train "${run[@]}" --iterations 2 --run-dir "$work/c3" \
  > "$work/c3.log" 2>&1 || { cat "$work/c3.log"; fail "mpirun -np 3 failed"; }
same_run "$work/c1" "$work/c3"

# eval: goals split over the ranks, the same table
ev=(--policy "maml=$work/one4" --policy random --goals 5 --episodes 4 --steps 2)
"$maml" eval "${ev[@]}" --out "$work/ev1" > /dev/null || fail "eval failed"
"${mpi[@]}" "$maml" eval "${ev[@]}" --out "$work/ev2" > "$work/ev2.log" 2>&1 ||
  { cat "$work/ev2.log"; fail "eval under mpirun failed"; }
cmp -s "$work/ev1/eval.csv" "$work/ev2/eval.csv" || fail "eval under mpirun gives other numbers"

# the process id of rank 1 of the job whose command line holds PATTERN, once RUN_DIR's
# metrics hold two iterations (empty if there is none)
rank1_after_two_iterations() { # RUN_DIR PATTERN
  local pid
  for _ in $(seq 1 300); do
    [ -f "$1/metrics.csv" ] && [ "$(wc -l < "$1/metrics.csv")" -ge 3 ] && break
    sleep 0.1
  done
  for pid in $(pgrep -f "$2"); do
    grep -qz '^OMPI_COMM_WORLD_RANK=1$' "/proc/$pid/environ" 2>/dev/null && { echo "$pid"; return; }
  done
}

# a rank killed mid-run: the job ends, naming the rank; the run resumes
"${mpi[@]}" "$maml" train --config "$configs/quick.ini" --iterations 10000 \
  --run-dir "$work/kill" > "$work/kill.log" 2>&1 &
job=$!
victim=$(rank1_after_two_iterations "$work/kill" "maml train --config $configs/quick.ini --iterations 10000")
[ -n "$victim" ] || { kill "$job"; fail "rank 1 not found"; }
kill -9 "$victim"
wait "$job" && fail "mpirun exited 0 after a rank was killed"
grep -q "rank 1" "$work/kill.log" || { cat "$work/kill.log"; fail "the message does not name rank 1"; }
"$maml" info "$work/kill" > /dev/null || fail "the checkpoint after the kill does not load"
done_its=$(iteration "$work/kill")
"$maml" train --resume "$work/kill" --iterations $((done_its + 1)) > /dev/null ||
  fail "resume without MPI after the kill failed"
"${mpi[@]}" "$maml" train --resume "$work/kill" --iterations $((done_its + 2)) > /dev/null 2>&1 ||
  fail "resume under MPI after the kill failed"
# ranks started with other arguments: nothing runs, the message names the rank and the
# argument, and the job ends (timeout: a regression would hang)
mpmd() { # LOG CMD0... : CMD1...: every rank must refuse, exit 2, within the timeout
  local log=$1
  shift
  timeout 120 "${mpirun[@]}" "$@" > "$log" 2>&1
  local rc=$?
  [ "$rc" = 2 ] || { cat "$log"; fail "ranks with other arguments: exit $rc, expected 2 (124: a hang)"; }
}
ev=(--goals 5 --episodes 4 --steps 2)
mpmd "$work/mm1.log" -np 1 "$maml" eval --policy "m=$work/one" "${ev[@]}" --out "$work/mm1" : \
  -np 1 "$maml" eval --policy "m=$work/one4" "${ev[@]}" --out "$work/mm1"
grep -q "rank 1 of 2: argument 3 is 'm=$work/one4', rank 0's is 'm=$work/one'" "$work/mm1.log" ||
  { cat "$work/mm1.log"; fail "the message does not name rank 1's differing policy"; }
[ -e "$work/mm1" ] && fail "ranks with other arguments wrote results"
mpmd "$work/mm2.log" -np 1 "$maml" train "${run[@]}" --iterations 2 --run-dir "$work/mm2" : \
  -np 1 "$maml" info "$work/one"
grep -q "rank 1 of 2: argument 1 is 'info', rank 0's is 'train'" "$work/mm2.log" ||
  { cat "$work/mm2.log"; fail "train : info does not name rank 1's command"; }
[ -e "$work/mm2" ] && fail "train : info created a run directory"
mpmd "$work/mm3.log" -np 1 "$maml" train "${run[@]}" --iterations 2 --run-dir "$work/mm3" : \
  -np 1 "$maml" train "${run[@]}" --iterations 2 --run-dir "$work/mm3" --bogus 1
grep -q "rank 1 of 2: argument $((${#run[@]} + 6)) is '--bogus', but rank 0 has only" \
  "$work/mm3.log" || { cat "$work/mm3.log"; fail "rank 1's extra flag is not named"; }

# Ctrl-C on rank 1: every rank stops after the same iteration, rank 0 saves and says how
# to continue, exit 130; the run resumes to the uninterrupted run's parameters
quick=(--config "$configs/quick.ini" --tasks 4 --episodes 4 --horizon 50)
timeout 300 "${mpi[@]}" "$maml" train "${quick[@]}" --iterations 10000 --run-dir "$work/int" \
  > "$work/int.log" 2>&1 &
job=$!
victim=$(rank1_after_two_iterations "$work/int" "maml train ${quick[*]} --iterations 10000")
[ -n "$victim" ] || { kill "$job"; fail "rank 1 not found"; }
kill -INT "$victim"
wait "$job"
rc=$?
[ "$rc" = 130 ] || { cat "$work/int.log"; fail "Ctrl-C on rank 1: exit $rc, expected 130"; }
grep -q "^interrupted (SIGINT) with [0-9]* of [0-9]* iterations done" "$work/int.log" &&
  grep -q "^continue with: maml train --resume $work/int$" "$work/int.log" ||
  { cat "$work/int.log"; fail "Ctrl-C on rank 1: no resume line"; }
grep -q "MPI_ABORT" "$work/int.log" && { cat "$work/int.log"; fail "Ctrl-C on rank 1 aborted"; }
total=$(($(iteration "$work/int") + 2))
"${mpi[@]}" "$maml" train --resume "$work/int" --iterations "$total" > /dev/null 2>&1 ||
  fail "resume under MPI after Ctrl-C on rank 1 failed"
"$maml" train "${quick[@]}" --iterations "$total" --run-dir "$work/int-ref" > /dev/null ||
  fail "the uninterrupted run failed"
same_run "$work/int-ref" "$work/int"
echo "ok"
