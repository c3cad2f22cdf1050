#!/usr/bin/env bash
# The random-physics hopper and walker end to end (hopper-params, walker-params): `maml envs`
# lists them with their source and frame skip; two tiny iterations of training each record
# the preset inner step size 0.05 (a given --alpha wins); the oracle trains; eval reads tasks
# from a goals file of u values (41 for the hopper, 65 for the walker).
#   cli_hopper.sh MAML_BINARY
maml=$1
source "$(dirname "$0")/common.sh"

cd "$work" || exit 1
"$maml" envs --check > envs.log || fail "maml envs: $(cat envs.log)"
grep -q "^hopper-params *hopper *11 *52 *3 *200  41 dynamics" envs.log || fail "envs: $(cat envs.log)"
grep -q "^walker-params *walker2d *17 *82 *6 *200  65 dynamics" envs.log || fail "envs: $(cat envs.log)"
grep -q "hopper-params *rand_param_envs' hopper .*frame skip 4.*; default alpha 0.05 " envs.log ||
  fail "notes: $(cat envs.log)"
grep -q "walker-params *rand_param_envs' walker2d .*frame skip 4.*; default alpha 0.05 " envs.log ||
  fail "notes: $(cat envs.log)"
grep -q "hopper.xml (nq 6, nv 6, nu 3, timestep 0.004, frame skip 4)" envs.log ||
  fail "models: $(cat envs.log)"
grep -q "walker2d.xml (nq 9, nv 9, nu 6, timestep 0.004, frame skip 4)" envs.log ||
  fail "models: $(cat envs.log)"

tiny=(--tasks 2 --episodes 2 --horizon 20 --hidden 16,16 --threads 1 --iterations 2)
for fam in hopper-params:41 walker-params:65; do
  env=${fam%:*} n=${fam#*:}
  # (status 3: no update applied in the whole run, a warning on such tiny batches)
  "$maml" train --env "$env" "${tiny[@]}" --run-dir "$env" > "$env.log" 2>&1
  rc=$?
  [ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || fail "$env training, status $rc: $(cat "$env.log")"
  [ "$(iteration "$env/latest.ckpt")" = 2 ] || fail "$env: $(iteration "$env/latest.ckpt") iterations"
  grep -qx "alpha = 0.05" "$env/config.ini" || fail "$env: the preset alpha: $(grep alpha "$env/config.ini")"
  "$maml" train --env "$env" "${tiny[@]}" --iterations 1 --alpha 0.1 --run-dir "$env-a" \
    > "$env-a.log" 2>&1
  rc=$?
  [ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || fail "$env --alpha 0.1, status $rc: $(cat "$env-a.log")"
  grep -qx "alpha = 0.1" "$env-a/config.ini" || fail "$env: --alpha 0.1 not kept"
  "$maml" train --env "$env" "${tiny[@]}" --iterations 1 --mode oracle --run-dir "$env-o" \
    > "$env-o.log" 2>&1
  rc=$?
  [ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || fail "$env oracle, status $rc: $(cat "$env-o.log")"

  # two tasks from a goals file: the original physics (all 0) and a mixed one
  zeros=$(printf '0%.0s,' $(seq 1 "$n")); zeros=${zeros%,}
  mixed=$(for i in $(seq 1 "$n"); do printf '%s,' "$(( (i % 7) - 3 ))"; done); mixed=${mixed%,}
  printf '# u values: masses, inertias, frictions, dampings\n%s\n%s\n' "$zeros" "$mixed" > "$env.goals"
  "$maml" eval --policy maml="$env" --policy random --goals-file "$env.goals" --episodes 2 \
    --steps 1 --threads 1 --out "$env-ev" > "$env-ev.log" 2>&1 || fail "$env eval: $(cat "$env-ev.log")"
  [ "$(grep -v '^#' "$env-ev/goals.txt")" = "$(printf '%s\n%s' "$zeros" "$mixed")" ] ||
    fail "$env-ev/goals.txt: $(cat "$env-ev/goals.txt")"
  # the run's step size (0.05) and the preset's for the random policy
  grep -q "^maml,0.05,1," "$env-ev/eval.csv" && grep -q "^random,0.05,1," "$env-ev/eval.csv" ||
    fail "$env eval.csv: $(cat "$env-ev/eval.csv")"
  "$maml" eval --policy random --env "$env" --alpha 0.2 --goals-file "$env.goals" --episodes 2 \
    --steps 1 --threads 1 --out "$env-ev3" > "$env-ev3.log" 2>&1 || fail "$env eval: $(cat "$env-ev3.log")"
  grep -q "^random,0.2,1," "$env-ev3/eval.csv" || fail "$env: --alpha 0.2: $(cat "$env-ev3/eval.csv")"
  # a line of the wrong length is refused naming the file, the line and the count
  printf '%s\n0,1\n' "$zeros" > "$env.short"
  out=$("$maml" eval --policy maml="$env" --goals-file "$env.short" --episodes 2 --steps 1 \
    --out "$env-e2" 2>&1) && fail "$env: a short goals line accepted"
  grep -q "$env.short:2:.*expected $n numbers.*got 2" <<< "$out" || fail "$env short line: $out"
done
echo "cli_hopper: ok"
