#!/usr/bin/env bash
# Dynamics-parameter tasks end to end (cheetah-params): `maml envs` lists the families; a
# short training run resumed after its first iteration, or run on two threads, ends bit for
# bit like an uninterrupted one; eval reads a task from a goals file (68 u values on a line) and
# refuses a bad line and --goal with messages.
#   cli_dynamics.sh MAML_BINARY
maml=$1
source "$(dirname "$0")/common.sh"

cd "$work" || exit 1
"$maml" envs > envs.log || fail "maml envs"
grep -q "^cheetah-params *half-cheetah .*68 dynamics" envs.log || fail "envs: $(cat envs.log)"
grep -q "^ant-params *ant .*112 dynamics" envs.log || fail "envs: $(cat envs.log)"

run=(--env cheetah-params --tasks 2 --episodes 2 --horizon 20 --hidden 16,16)
"$maml" train "${run[@]}" --threads 1 --iterations 2 --run-dir whole > whole.log 2>&1 ||
  fail "training: $(cat whole.log)"
# (status 3: no update applied in that one iteration, a warning)
"$maml" train "${run[@]}" --threads 1 --iterations 1 --run-dir cut > cut.log 2>&1
rc=$?
[ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || fail "training, status $rc: $(cat cut.log)"
"$maml" train --resume cut --iterations 2 > resume.log 2>&1 || fail "resume: $(cat resume.log)"
same_run whole cut
# on two threads (the tasks' instances spread over them): the same run
"$maml" train "${run[@]}" --threads 2 --iterations 2 --run-dir two \
  > two.log 2>&1 || fail "training on 2 threads: $(cat two.log)"
same_run whole two
[ "$(iteration cut/latest.ckpt)" = 2 ] || fail "the resumed run is at iteration $(iteration cut/latest.ckpt)"

# two tasks from a goals file: all zeros (the original model) and all 0.5
zeros=$(printf '0%.0s,' $(seq 1 68)); zeros=${zeros%,}
halves=$(printf '0.5%.0s,' $(seq 1 68)); halves=${halves%,}
printf '# u values\n%s\n%s\n' "$zeros" "$halves" > goals.txt
"$maml" eval --policy maml=whole --goals-file goals.txt --episodes 2 --steps 1 --threads 1 \
  --out ev > ev.log 2>&1 || fail "eval --goals-file: $(cat ev.log)"
# the goals eval writes are the tasks, whole, and read back to the same results
[ "$(grep -v '^#' ev/goals.txt)" = "$(printf '%s\n%s' "$zeros" "$halves")" ] ||
  fail "ev/goals.txt: $(cat ev/goals.txt)"
"$maml" eval --policy maml=whole --goals-file ev/goals.txt --episodes 2 --steps 1 --threads 1 \
  --out ev2 > ev2.log 2>&1 || fail "eval of ev/goals.txt: $(cat ev2.log)"
cmp -s <(cut -d, -f1-7 ev/eval.csv) <(cut -d, -f1-7 ev2/eval.csv) || fail "ev2 differs from ev"

# a line of the wrong length, a value out of range: refused naming the file and line
printf '%s\n0,1,2\n' "$zeros" > short.txt
out=$("$maml" eval --policy maml=whole --goals-file short.txt --episodes 2 --steps 1 --out e2 2>&1) &&
  fail "a short goals line accepted"
grep -q "short.txt:2:.*expected 68 numbers.*got 3" <<< "$out" || fail "short line message: $out"
printf '%s\n' "${halves/0.5/3.5}" > big.txt
out=$("$maml" eval --policy maml=whole --goals-file big.txt --episodes 2 --steps 1 --out e3 2>&1) &&
  fail "u 3.5 accepted"
grep -q "big.txt:1:.*body_mass\[0\].*3.5.*\[-3, 3\]" <<< "$out" || fail "range message: $out"
# --goal cannot name a dynamics task
out=$("$maml" eval --policy maml=whole --goal 0.5 --episodes 2 --steps 1 --out e4 2>&1) &&
  fail "--goal accepted for cheetah-params"
grep -q "cheetah-params cannot be named by --goal.*goals-file" <<< "$out" || fail "--goal message: $out"
echo "cli_dynamics: ok"
