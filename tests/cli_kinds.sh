#!/usr/bin/env bash
# Task kinds in family files end to end: the shipped goal-heading and dynamics examples
# (configs/families/) are listed, trained for 2 tiny iterations and evaluated; --goal takes
# a heading in range and refuses one outside it naming the value and the range; a goals
# file holds a dynamics task; bad params names, params on another kind and a heading for
# the point robot exit 2 with a message naming the file, the line and what is allowed.
#   cli_kinds.sh MAML_BINARY CONFIGS_DIR
maml=$1
configs=$2
source "$(dirname "$0")/common.sh"
unset MAML_ASSETS
heading="$configs/families/ant-heading.ini"
dynamics="$configs/families/cheetah-light.ini"
cd "$work" || exit 1

"$maml" envs "$heading" "$dynamics" > envs.log 2>&1 || fail "maml envs: $(cat envs.log)"
grep -Eq '^ant-heading +ant +125 +126 +8 +200 +heading ~ U\[0, 6.28319\] rad' envs.log ||
  fail "envs does not list ant-heading: $(cat envs.log)"
grep -Eq '^cheetah-light +half_cheetah +20 +37 +6 +200 +17 dynamics u ~ U\[-2, 2\]: mass x 1.5\^u, damping x 1.3\^u' envs.log ||
  fail "envs does not list cheetah-light: $(cat envs.log)"
grep -q "ant-heading *an angle in radians in \[0, 6.28319\]" envs.log || fail "no heading syntax"

tiny=(--tasks 2 --episodes 2 --iterations 2 --horizon 20 --hidden 8 --threads 1 --seed 2)
ev=(--episodes 2 --steps 1 --threads 1)

# goal-heading: trained, evaluated at a named heading; out of range refused
"$maml" train --env "$heading" "${tiny[@]}" --run-dir heading > train-h.log 2>&1 ||
  fail "training ant-heading: $(cat train-h.log)"
"$maml" eval --policy m=heading --goal 1.5708 "${ev[@]}" --out ev-h > ev-h.log 2>&1 ||
  fail "eval --goal 1.5708: $(cat ev-h.log)"
[ "$(grep -v '^#' ev-h/goals.txt)" = "1.5708" ] || fail "ev-h/goals.txt: $(cat ev-h/goals.txt)"
[ "$(grep -c '^m,' ev-h/eval.csv)" = 2 ] || fail "ev-h/eval.csv: $(cat ev-h/eval.csv)"
"$maml" eval --policy m=heading --goal 7 "${ev[@]}" --out ev-h7 > ev-h7.log 2>&1
rc=$?
[ $rc -eq 2 ] || fail "--goal 7: exit $rc, expected 2: $(cat ev-h7.log)"
grep -q "ant-heading goal '7': heading (radians) 7 is outside the allowed range \[0, 6.28319\]" \
  ev-h7.log || fail "--goal 7 message: $(cat ev-h7.log)"

# dynamics: trained, evaluated on a goals-file task of nbody + nv = 17 numbers
"$maml" train --env "$dynamics" "${tiny[@]}" --run-dir dyn > train-d.log 2>&1 ||
  fail "training cheetah-light: $(cat train-d.log)"
[ "$(iteration dyn/latest.ckpt)" = 2 ] || fail "the dynamics run is at iteration $(iteration dyn/latest.ckpt)"
halves=$(printf '0.5%.0s,' $(seq 1 17)); halves=${halves%,}
echo "$halves" > goals.txt
"$maml" eval --policy m=dyn --goals-file goals.txt "${ev[@]}" --out ev-d > ev-d.log 2>&1 ||
  fail "eval of the dynamics run: $(cat ev-d.log)"
printf '%s,0.5\n' "$halves" > long.txt
"$maml" eval --policy m=dyn --goals-file long.txt "${ev[@]}" --out ev-d2 > ev-d2.log 2>&1 &&
  fail "a goals line of 18 numbers accepted"
grep -q "long.txt:1:.*expected 17 numbers" ev-d2.log || fail "long line message: $(cat ev-d2.log)"

# malformed task keys: exit 2 naming the file, the line and what is allowed
bad() { # WHAT EXPECTED-TEXT FILE-LINES...
  local what=$1 expect=$2
  shift 2
  printf '%s\n' "$@" > bad.ini
  "$maml" envs bad.ini > bad.log 2>&1
  local rc=$?
  [ $rc -eq 2 ] || fail "$what: exit $rc, expected 2: $(cat bad.log)"
  grep -qF -- "$expect" bad.log || fail "$what: the message lacks '$expect': $(cat bad.log)"
}
bad "unknown parameter" \
  "bad.ini:4: params 'mass, gravity': 'gravity' is not a dynamics parameter: expected a comma-separated list of mass, inertia, friction, damping" \
  "name = b" "robot = ant" "task = dynamics" "params = mass, gravity"
bad "params on another kind" "bad.ini:4: params: only dynamics takes params" \
  "name = b" "robot = ant" "task = goal-heading" "params = mass"
bad "a heading for the point" "goal-heading needs the velocity of a body in a MuJoCo model: the robot point" \
  "name = b" "robot = point" "task = goal-heading"
bad "a heading range" "bad.ini:4: goal_range '3, 1'" \
  "name = b" "robot = ant" "task = goal-heading" "goal_range = 3, 1"
echo "cli_kinds: ok"
