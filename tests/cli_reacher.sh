#!/usr/bin/env bash
# The worked example of docs/environments.md: configs/families/reacher-goal.ini, a family
# file for the arm of assets/reacher.xml. `maml envs` lists it with the sizes its model
# gives (counted here from the MJCF text); two tiny runs (MAML and pretraining) train on it;
# `maml eval` scores them and a random policy, every return within the bounds the arm's
# geometry allows; `maml view` records a frame under a virtual display that shows the arm
# and a goal marker of the arm's size (skipped without xvfb-run or a viewer build).
#   cli_reacher.sh MAML_BINARY SOURCE_DIR [VIEW_CHECK_BINARY]
maml=$1
src=$2
check=${3:-}
source "$(dirname "$0")/common.sh"
unset MAML_ASSETS
fam="$src/configs/families/reacher-goal.ini"
xml="$src/assets/reacher.xml"

# the sizes from the model's text: a hinge is one position and one velocity coordinate,
# a motor one action; the observation is qpos, qvel and the fingertip's x, y, z
hinges=$(grep -c '<joint name=' "$xml")
motors=$(grep -c '<motor name=' "$xml")
[ "$hinges" -eq 2 ] && [ "$motors" -eq 2 ] || fail "reacher.xml: $hinges joints, $motors motors"
grep -q '<joint type="hinge"' "$xml" || fail "reacher.xml: the joints are not hinges by default"
obs=$((hinges + hinges + 3))
"$maml" envs "$fam" > "$work/envs.log" 2>&1 || fail "maml envs FILE: $(cat "$work/envs.log")"
grep -Eq "^reacher-goal +reacher +$obs +$((obs + 2)) +$motors +50 +goal position ~ U\[-0.15, 0.15\]\^2$" \
  "$work/envs.log" || fail "maml envs does not list reacher-goal with obs $obs, act $motors: $(cat "$work/envs.log")"
"$maml" envs --env "$fam" --check > "$work/check.log" 2>&1 ||
  fail "maml envs --check: $(cat "$work/check.log")"
grep -q "reacher-goal .*assets/reacher.xml (nq $hinges, nv $hinges, nu $motors, timestep 0.02, frame skip 1)" \
  "$work/check.log" || fail "maml envs --check does not load the arm: $(cat "$work/check.log")"

# two tiny runs from the command line: MAML and the pretrained baseline
run=(--env "$fam" --tasks 2 --episodes 2 --horizon 20 --hidden 8 --threads 1 --iterations 2)
"$maml" train "${run[@]}" --run-dir "$work/maml" > "$work/maml.log" 2>&1 ||
  fail "training MAML on reacher-goal: $(cat "$work/maml.log")"
"$maml" train "${run[@]}" --mode pretrain --run-dir "$work/pre" > "$work/pre.log" 2>&1 ||
  fail "pretraining on reacher-goal: $(cat "$work/pre.log")"
[ "$(iteration "$work/maml/latest.ckpt")" = 2 ] || fail "the MAML run did not reach iteration 2"
cmp -s "$fam" "$work/maml/family.ini" || fail "the run keeps no copy of the family file"

# eval against random; a step's reward is minus the fingertip's distance to the goal (at
# most 0.22 + 0.15 sqrt(2) = 0.4322 m) minus 0.01 sum(a^2) (a clipped to [-1, 1]: at most
# 0.02), over the family's horizon of 50 steps: every return in [-50 x 0.4522, 0]
"$maml" eval --policy maml="$work/maml/latest.ckpt" --policy pretrained="$work/pre/latest.ckpt" \
  --policy random --goals 3 --episodes 2 --steps 1 --threads 1 --out "$work/eval" \
  > "$work/eval.log" 2>&1 || fail "maml eval: $(cat "$work/eval.log")"
rows=$(awk -F, 'NR > 1 && $7 == 0 && $4 < 0 && $4 >= -50 * 0.4522 { n++ } END { print n + 0 }' \
  "$work/eval/eval.csv")
[ "$rows" -eq 6 ] || fail "not 6 finite returns within [-22.61, 0] (3 policies x 2 steps): $(cat "$work/eval/eval.csv")"
[ "$(grep -c '^[^#]' "$work/eval/goals.txt")" -eq 3 ] ||
  fail "the goals file does not hold 3 goals: $(cat "$work/eval/goals.txt")"
awk -F, '/^[^#]/ { if ($1 < -0.15 || $1 > 0.15 || $2 < -0.15 || $2 > 0.15) bad = 1 } END { exit bad }' \
  "$work/eval/goals.txt" || fail "a held-out goal outside [-0.15, 0.15]^2: $(cat "$work/eval/goals.txt")"

# the viewer: a recorded frame shows the orange arm and the magenta goal disc, sized for a
# 0.2 m arm by marker_scale (the half-cheetah's disc of radius 0.3 m would cover the
# arena: thousands of pixels at this size)
if [ -z "$check" ]; then
  echo "cli_reacher: no viewer in this build, the viewer check is skipped"
elif ! command -v xvfb-run > /dev/null; then
  echo "cli_reacher: no xvfb-run here, the viewer check is skipped (install xvfb)"
else
  ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 xvfb-run -a -s "-screen 0 1280x720x24" \
    "$maml" view "$work/maml" --goal 0.1,-0.12 --size 480x270 --adapt-episodes 2 --steps 1 \
    --record "$work/frames/" --frames 3 > "$work/view.log" 2>&1 ||
    fail "maml view reacher-goal: $(cat "$work/view.log")"
  "$check" "$work/frames/frame-000002.png" 100 300 > "$work/pixels.log" 2>&1 ||
    fail "the recorded frame: $(cat "$work/pixels.log")"
  marker=$(sed -n 's/.*marker \([0-9]*\),.*/\1/p' "$work/pixels.log")
  [ -n "$marker" ] && [ "$marker" -lt 1500 ] ||
    fail "the goal marker covers ${marker:-?} pixels: not scaled to the arm ($(cat "$work/pixels.log"))"
fi
echo "cli_reacher: ok"
