#!/usr/bin/env bash
# `maml train` and `maml eval` under mpirun: 2 ranks end with the same parameters, bit for
# bit, as one process (also across a resume under MPI, and with an uneven split of the
# tasks); eval gives the same numbers; a rank killed mid-run ends the job with a message
# naming it and leaves a run that resumes, with or without MPI.
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

# a rank killed mid-run: the job ends, naming the rank; the run resumes
"${mpi[@]}" "$maml" train --config "$configs/quick.ini" --iterations 10000 \
  --run-dir "$work/kill" > "$work/kill.log" 2>&1 &
job=$!
for _ in $(seq 1 300); do
  [ -f "$work/kill/metrics.csv" ] && [ "$(wc -l < "$work/kill/metrics.csv")" -ge 3 ] && break
  sleep 0.1
done
victim=""
for pid in $(pgrep -f "maml train --config $configs/quick.ini --iterations 10000"); do
  grep -qz '^OMPI_COMM_WORLD_RANK=1$' "/proc/$pid/environ" 2>/dev/null && victim=$pid
done
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
echo "ok"
