#!/usr/bin/env bash
# The humanoid heading family end to end: `maml envs` lists humanoid-dir with the sizes of
# assets/humanoid.xml (counted here from the MJCF text) and names its source; two tiny
# MAML iterations and one oracle iteration train on it; `maml eval` scores the run, the
# oracle and a random policy at a named heading (--goal 0.7854), every return within what
# the reward allows, and refuses a heading outside [0, 2 pi); `maml view` records a frame
# under a virtual display that shows the humanoid and the heading arrow (skipped without
# xvfb-run or a viewer build).
#   cli_humanoid.sh MAML_BINARY SOURCE_DIR [VIEW_CHECK_BINARY]
maml=$(realpath "$1")
src=$(realpath "$2")
check=${3:+$(realpath "$3")}
source "$(dirname "$0")/common.sh"
unset MAML_ASSETS
xml="$src/assets/humanoid.xml"
cd "$work" || exit 1

# the sizes from the model's text: a free root (7 positions, 6 velocities), 17 hinges and
# 17 motors, 13 bodies besides the world; the observation is qpos[2:], qvel, then cinert
# (10), cvel (6) and cfrc_ext (6) a body and qfrc_actuator (nv)
hinges=$(grep -c 'type="hinge"' "$xml")
motors=$(grep -c '<motor name=' "$xml")
bodies=$(($(grep -c '<body name=' "$xml") + 1))
[ "$hinges" -eq 17 ] && [ "$motors" -eq 17 ] && [ "$bodies" -eq 14 ] ||
  fail "humanoid.xml: $hinges hinges, $motors motors, $bodies bodies"
nq=$((7 + hinges)) nv=$((6 + hinges))
obs=$((nq - 2 + nv + 10 * bodies + 6 * bodies + nv + 6 * bodies))
"$maml" envs > envs.log 2>&1 || fail "maml envs: $(cat envs.log)"
grep -Eq "^humanoid-dir +humanoid +$obs +$((obs + 1)) +$motors +200 +heading ~ U\[0, 6.28319\] rad" \
  envs.log || fail "maml envs does not list humanoid-dir with obs $obs, act $motors: $(cat envs.log)"
grep -Eq "^  humanoid-dir +PEARL's humanoid_dir" envs.log || fail "maml envs has no note on humanoid-dir's source"
"$maml" envs --env humanoid-dir --check > check.log 2>&1 || fail "maml envs --check: $(cat check.log)"
grep -q "humanoid-dir .*assets/humanoid.xml (nq $nq, nv $nv, nu $motors, timestep 0.003, frame skip 5)" check.log ||
  fail "maml envs --check does not load the humanoid: $(cat check.log)"

# tiny runs: MAML and the oracle
run=(--env humanoid-dir --tasks 2 --episodes 2 --horizon 20 --hidden 8 --threads 1)
"$maml" train "${run[@]}" --iterations 2 --run-dir maml > maml.log 2>&1 ||
  fail "training MAML on humanoid-dir: $(cat maml.log)"
[ "$(iteration maml/latest.ckpt)" = 2 ] || fail "the MAML run did not reach iteration 2"
"$maml" train "${run[@]}" --iterations 1 --mode oracle --run-dir oracle > oracle.log 2>&1 ||
  fail "training the oracle on humanoid-dir: $(cat oracle.log)"

# eval at a heading of 45 degrees. A step pays 5, minus a control cost of at most
# 0.016 x 17 = 0.272, minus a contact cost of at most 10, plus 1.25 x the velocity along
# the heading (under 5 m/s for a body that starts at rest and falls within 20 steps):
# every return over at most 20 steps within [20 x (5 - 10.272 - 6.25), 20 x (5 + 6.25)]
"$maml" eval --policy maml=maml/latest.ckpt --policy oracle=oracle/latest.ckpt --policy random \
  --goal 0.7854 --episodes 2 --steps 1 --threads 1 --out eval > eval.log 2>&1 ||
  fail "maml eval --goal 0.7854: $(cat eval.log)"
rows=$(awk -F, 'NR > 1 && $7 == 0 && $4 >= -230.44 && $4 <= 225 { n++ } END { print n + 0 }' eval/eval.csv)
[ "$rows" -ge 5 ] || fail "not 5 finite returns within [-230.44, 225]: $(cat eval/eval.csv)"
[ "$(grep -v '^#' eval/goals.txt)" = "0.7854" ] || fail "eval/goals.txt: $(cat eval/goals.txt)"
"$maml" eval --policy maml=maml/latest.ckpt --goal 6.3 --episodes 2 --steps 1 --threads 1 \
  --out eval2 > eval2.log 2>&1
rc=$?
[ $rc -eq 2 ] || fail "--goal 6.3: exit $rc, expected 2: $(cat eval2.log)"
grep -q "humanoid-dir goal '6.3': heading (radians) 6.3 is outside the allowed range \[0, 6.28319\]" \
  eval2.log || fail "--goal 6.3 message: $(cat eval2.log)"

# the viewer: a frame of a random policy shows the orange humanoid and the magenta arrow
if [ -z "$check" ]; then
  echo "cli_humanoid: no viewer in this build, the viewer check is skipped"
elif ! command -v xvfb-run > /dev/null; then
  echo "cli_humanoid: no xvfb-run here, the viewer check is skipped (install xvfb)"
else
  ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 xvfb-run -a -s "-screen 0 1280x720x24" \
    "$maml" view random --env humanoid-dir --goal 0.7854 --size 800x450 --adapt-episodes 2 \
    --steps 1 --mean --record frames/ --frames 3 > view.log 2>&1 ||
    fail "maml view humanoid-dir: $(cat view.log)"
  [ "$(ls frames | wc -l)" -eq 3 ] || fail "not 3 frames recorded: $(ls frames)"
  "$check" frames/frame-000002.png 100 300 > pixels.log 2>&1 ||
    fail "the recorded frame: $(cat pixels.log)"
fi
echo "cli_humanoid: ok"
