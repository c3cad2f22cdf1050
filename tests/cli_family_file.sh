#!/usr/bin/env bash
# A family defined in a file (--env FILE): listed by `maml envs`, trained, evaluated and
# resumed; a file that defines cheetah-vel's family trains bit for bit as --env cheetah-vel;
# every malformed file exits 2 naming the file and the line; a family file changed after
# training is refused by --resume and eval.
#   cli_family_file.sh MAML_BINARY ASSETS_DIR
maml=$1
assets=$2
source "$(dirname "$0")/common.sh"
unset MAML_ASSETS

# the half-cheetah model next to the family file, named relative to it
mkdir -p "$work/fam/models"
cp "$assets/half_cheetah.xml" "$work/fam/models/cheetah.xml"
write_family() { # FILE NAME [EXTRA LINE...]
  local file=$1 name=$2
  shift 2
  {
    echo "# cheetah-vel's family, described in a file"
    echo "[family]"
    echo "name = $name"
    echo "model = models/cheetah.xml"
    echo "body = torso"
    echo "observation = qpos[1:], qvel, body-com"
    echo "gait = run"
    echo "ctrl_cost = 0.05"
    echo "task = goal-velocity"
    echo "goal_range = 0, 2"
    echo "horizon = 200"
    for line in "$@"; do echo "$line"; done
  } > "$file"
}
fam="$work/fam/cheetah.ini"
write_family "$fam" my-cheetah "camera_distance = 5"

# maml envs lists it, with the sizes the model gives
"$maml" envs "$fam" > "$work/envs.log" 2>&1 || fail "maml envs FILE: $(cat "$work/envs.log")"
grep -Eq '^my-cheetah +cheetah +20 +21 +6 +200 +goal velocity ~ U\[0, 2\]' "$work/envs.log" ||
  fail "maml envs does not list the file's family: $(cat "$work/envs.log")"
"$maml" envs --env "$fam" --check | grep -q "my-cheetah .*models/cheetah.xml (nq 9, nv 9, nu 6" ||
  fail "maml envs --env FILE --check does not load the file's model"

# the same family as cheetah-vel: the same parameters and metrics, bit for bit
run=(--tasks 2 --episodes 2 --horizon 20 --hidden 8 --threads 1 --seed 3)
"$maml" train --env cheetah-vel "${run[@]}" --iterations 3 --run-dir "$work/builtin" \
  > "$work/builtin.log" 2>&1 || fail "training cheetah-vel: $(cat "$work/builtin.log")"
"$maml" train --env "$fam" "${run[@]}" --iterations 3 --run-dir "$work/whole" \
  > "$work/whole.log" 2>&1 || fail "training on the family file: $(cat "$work/whole.log")"
same_run "$work/builtin" "$work/whole"

# through a config's env key, relative to the working folder, trained for 2 iterations
printf '[train]\nenv = fam/cheetah.ini\n' > "$work/cfg.ini"
(cd "$work" && "$maml" train --config cfg.ini "${run[@]}" --iterations 2 --run-dir run) \
  > "$work/run.log" 2>&1 || fail "training with env = FILE in a config: $(cat "$work/run.log")"
fam_abs=$(cd "$work/fam" && pwd -P)/cheetah.ini
grep -qx "env = $fam_abs" "$work/run/config.ini" ||
  fail "config.ini does not record the family file: $(cat "$work/run/config.ini")"
grep -Eq '^family_hash = [0-9a-f]{16}$' "$work/run/config.ini" ||
  fail "config.ini does not record the family file's hash"
grep -Eq '^model_hash = [0-9a-f]{16}$' "$work/run/config.ini" ||
  fail "config.ini does not record the model's hash"
cmp -s "$work/run/family.ini" "$fam" || fail "the run has no copy of the family file"

# resume continues on the file's family: the same as the whole run
"$maml" train --resume "$work/run" --iterations 3 > "$work/resume.log" 2>&1 ||
  fail "resume: $(cat "$work/resume.log")"
same_run "$work/whole" "$work/run"

# eval of the run, without --env: the same numbers as the run trained on cheetah-vel
ev=(--goal 1 --episodes 2 --steps 1 --threads 1)
"$maml" eval --policy m="$work/run" "${ev[@]}" --out "$work/ev-file" > "$work/ev1.log" 2>&1 ||
  fail "eval of the run: $(cat "$work/ev1.log")"
"$maml" eval --policy m="$work/builtin" "${ev[@]}" --out "$work/ev-builtin" > "$work/ev2.log" 2>&1 ||
  fail "eval of the cheetah-vel run: $(cat "$work/ev2.log")"
cmp -s <(cut -d, -f1-7 "$work/ev-file/eval.csv") <(cut -d, -f1-7 "$work/ev-builtin/eval.csv") ||
  fail "eval on the file's family differs from cheetah-vel: $(cat "$work/ev-file/eval.csv")"
"$maml" eval --policy m="$work/run" --env "$fam" "${ev[@]}" --out "$work/ev3" > "$work/ev3.log" 2>&1 ||
  fail "eval --env FILE: $(cat "$work/ev3.log")"

# a changed family file is refused for a checkpoint away from its run (a run reads its
# copy, RUN_DIR/family.ini: tests/cli_family_copy.sh), naming the file and both hashes
cp "$fam" "$work/fam.bak"
sed -i 's/^ctrl_cost = 0.05$/ctrl_cost = 0.1/' "$fam"
mkdir "$work/away" && cp "$work/run/latest.ckpt" "$work/away/"
"$maml" eval --policy m="$work/away/latest.ckpt" "${ev[@]}" --out "$work/ev4" \
  > "$work/changed2.log" 2>&1 && fail "eval accepted a changed family file"
grep -q "family file $fam_abs has changed" "$work/changed2.log" ||
  fail "eval's refusal does not say the family file changed: $(cat "$work/changed2.log")"
cp "$work/fam.bak" "$fam"

# malformed files: exit 2, a message naming the file, the line and the key
bad() { # WHAT EXPECTED-TEXT FILE-LINES...
  local what=$1 expect=$2
  shift 2
  local f="$work/fam/bad.ini"
  printf '%s\n' "$@" > "$f"
  "$maml" envs "$f" > "$work/bad.log" 2>&1
  local rc=$?
  [ $rc -eq 2 ] || fail "$what: exit $rc, expected 2: $(cat "$work/bad.log")"
  grep -qF -- "$expect" "$work/bad.log" ||
    fail "$what: the message lacks '$expect': $(cat "$work/bad.log")"
  "$maml" train --env "$f" --tasks 2 --episodes 2 --horizon 20 --iterations 1 \
    --run-dir "$work/badrun" > "$work/bad2.log" 2>&1
  rc=$?
  [ $rc -eq 2 ] || fail "$what (train): exit $rc, expected 2: $(cat "$work/bad2.log")"
}
base=("name = b1" "model = models/cheetah.xml" "body = torso" "observation = qpos[1:], qvel"
      "task = goal-velocity" "goal_range = 0, 2")
bad "unknown key" "bad.ini:7: unknown key 'ctrl_cots' (did you mean 'ctrl_cost'?)" \
  "${base[@]}" "ctrl_cots = 0.1"
bad "bad number" "bad.ini:7: ctrl_cost '0x10' is not a number" "${base[@]}" "ctrl_cost = 0x10"
bad "missing body" "bad.ini:3: body 'chest': the model" \
  "name = b1" "model = models/cheetah.xml" "body = chest" "observation = qvel" \
  "task = goal-velocity" "goal_range = 0, 2"
bad "bad observation part" "bad.ini:4: observation 'qvel, speed': 'speed' is not an observation part" \
  "name = b1" "model = models/cheetah.xml" "body = torso" "observation = qvel, speed" \
  "task = goal-velocity" "goal_range = 0, 2"
bad "observation that does not fit" "bad.ini:4: observation 'qpos[12:]': does not fit the model" \
  "name = b1" "model = models/cheetah.xml" "body = torso" "observation = qpos[12:]" \
  "task = goal-velocity" "goal_range = 0, 2"
bad "missing model" "bad.ini:2: model 'models/none.xml': cannot open" \
  "name = b1" "model = models/none.xml" "body = torso" "observation = qvel" \
  "task = goal-velocity" "goal_range = 0, 2"
echo '<mujoco><worldbody><body name="torso"><geom size="0.1"/></body></worldbody>' \
  > "$work/fam/models/broken.xml"
bad "model that fails to load" "bad.ini:2: model 'models/broken.xml': MuJoCo cannot load" \
  "name = b1" "model = models/broken.xml" "body = torso" "observation = qvel" \
  "task = goal-velocity" "goal_range = 0, 2"
bad "duplicate key" "bad.ini:7: body is given twice (first on line 3)" "${base[@]}" "body = torso"
bad "unknown task kind" "bad.ini:5: task 'goal-speed' is not a task kind" \
  "name = b1" "model = models/cheetah.xml" "body = torso" "observation = qvel" \
  "task = goal-speed" "goal_range = 0, 2"
bad "malformed line" "bad.ini:7: expected 'key = value'" "${base[@]}" "just words"
bad "bad range" "bad.ini:6: goal_range '2, 0'" \
  "name = b1" "model = models/cheetah.xml" "body = torso" "observation = qvel" \
  "task = goal-velocity" "goal_range = 2, 0"
bad "name of a built-in family" "bad.ini:1: name 'cheetah-vel' is taken" \
  "name = cheetah-vel" "robot = half-cheetah" "task = goal-velocity" "goal_range = 0, 2"
bad "unknown robot" "bad.ini:2: robot 'hopping-robot' is not a built-in robot" \
  "name = b1" "robot = hopping-robot" "task = goal-velocity" "goal_range = 0, 2"
"$maml" envs "$work/fam/none.ini" > "$work/bad.log" 2>&1
[ $? -eq 2 ] || fail "a missing family file: expected exit 2: $(cat "$work/bad.log")"
grep -q "none.ini" "$work/bad.log" || fail "a missing family file is not named"

# a built-in robot by name: ant with the goal-direction kind
printf '%s\n' "name = ant-back" "robot = ant" "task = goal-direction" "horizon = 50" \
  "episodes = 30" > "$work/fam/antdir.ini"
"$maml" envs "$work/fam/antdir.ini" | grep -Eq '^ant-back +ant +125 +126 +8 +50 ' ||
  fail "a family of the built-in ant is not listed"
# the shipped example families (configs/families/) load, with their models
for f in "$assets"/../configs/families/*.ini; do
  "$maml" envs --env "$f" --check > "$work/example.log" 2>&1 ||
    fail "the example family $f: $(cat "$work/example.log")"
done
echo "cli_family_file: ok"
