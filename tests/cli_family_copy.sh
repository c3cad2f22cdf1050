#!/usr/bin/env bash
# A run trained on a family file keeps working from its copy, RUN_DIR/family.ini: after the
# original is edited, eval and --resume use the copy (the same numbers as before the edit)
# and say once which keys the file now sets differently; after it is moved away, eval, view
# and --resume still work, and the resumed run ends with the parameters of an uninterrupted
# one; an --env that differs from the run's family is refused listing the keys with both
# values; an edited copy is refused naming it and both hashes; a changed model (one mass)
# is refused naming the model and both hashes.
#   cli_family_copy.sh MAML_BINARY ASSETS_DIR
maml=$1
assets=$2
source "$(dirname "$0")/common.sh"
unset MAML_ASSETS

# the family file, the half-cheetah model beside it (relative to it)
mkdir -p "$work/fam/models"
cp "$assets/half_cheetah.xml" "$work/fam/models/cheetah.xml"
fam="$work/fam/slow.ini"
cat > "$fam" << 'EOF'
# a slow half-cheetah
[family]
name = copy-slow
model = models/cheetah.xml
body = torso
observation = qpos[1:], qvel, body-com
ctrl_cost = 0.05
task = goal-velocity
goal_range = 0, 0.5
EOF
fam_abs=$(cd "$work/fam" && pwd -P)/slow.ini
run=(--tasks 2 --episodes 2 --horizon 20 --hidden 8 --threads 1 --seed 5)
"$maml" train --env "$fam" "${run[@]}" --iterations 4 --run-dir "$work/whole" \
  > "$work/whole.log" 2>&1 || fail "the uninterrupted run: $(cat "$work/whole.log")"
"$maml" train --env "$fam" "${run[@]}" --iterations 2 --run-dir "$work/R" \
  > "$work/R.log" 2>&1 || fail "training: $(cat "$work/R.log")"
cmp -s "$fam" "$work/R/family.ini" || fail "the run has no copy of its family file"
ev=(--goals 2 --episodes 2 --steps 1 --threads 1)
cp "$work/R/latest.ckpt" "$work/R/kept.ckpt" # a checkpoint of iteration 2 in the run directory
"$maml" eval --policy m="$work/R/kept.ckpt" "${ev[@]}" --out "$work/E0" > "$work/E0.log" 2>&1 ||
  fail "eval: $(cat "$work/E0.log")"
eval_same() { # DIR: the numbers of E0 (goals drawn from the run's range, not the file's)
  cmp -s <(cut -d, -f1-7 "$work/E0/eval.csv") <(cut -d, -f1-7 "$1/eval.csv") ||
    fail "eval from the copy differs from the eval before: $(cat "$1/eval.csv")"
}

# the original edited: eval and resume use the copy, and say so once, naming goal_range
sed -i 's/^goal_range = 0, 0.5$/goal_range = 0, 0.7/' "$fam"
"$maml" eval --policy a="$work/R/kept.ckpt" --policy b="$work/R" "${ev[@]}" --out "$work/E1" \
  > "$work/E1.log" 2>&1 || fail "eval after the edit: $(cat "$work/E1.log")"
notice="family file $fam_abs has changed since the run was trained (goal_range: '0, 0.5' in the copy, '0, 0.7' in the file); using the run's copy $work/R/family.ini"
grep -qF "maml eval: note: the $notice" "$work/E1.log" ||
  fail "eval does not name the key that changed: $(cat "$work/E1.log")"
[ "$(grep -c "note:" "$work/E1.log")" = 1 ] || fail "the notice is not said once: $(cat "$work/E1.log")"
cmp -s <(tail -n +2 "$work/E0/eval.csv" | cut -d, -f2-7) <(grep '^a,' "$work/E1/eval.csv" | cut -d, -f2-7) ||
  fail "eval from the copy differs from the eval before: $(cat "$work/E1/eval.csv")"
"$maml" train --resume "$work/R" --iterations 3 > "$work/res1.log" 2>&1 ||
  fail "resume after the edit: $(cat "$work/res1.log")"
grep -qF "maml train: note: the $notice" "$work/res1.log" ||
  fail "resume does not name the key that changed: $(cat "$work/res1.log")"
grep -qx "env = $fam_abs" "$work/R/config.ini" || fail "config.ini no longer names the file"

# an --env that differs from the run's: refused, the key with both values
"$maml" eval --env "$fam" --policy m="$work/R" "${ev[@]}" --out "$work/E2" > "$work/E2.log" 2>&1 &&
  fail "eval --env with another goal_range accepted"
grep -qF "goal_range: '0, 0.7' in $fam, '0, 0.5' in $work/R/family.ini" "$work/E2.log" ||
  fail "eval --env does not say what differs: $(cat "$work/E2.log")"
sed 's/^name = copy-slow$/name = copy-other/' "$fam" > "$work/fam/other.ini"
"$maml" eval --env "$work/fam/other.ini" --policy m="$work/R" "${ev[@]}" --out "$work/E3" \
  > "$work/E3.log" 2>&1 && fail "eval --env with another family file accepted"
grep -qF "was trained on copy-slow, the evaluation is on copy-other (2 keys differ: " \
  "$work/E3.log" || fail "eval --env OTHER does not count the keys: $(cat "$work/E3.log")"
grep -qF "name: 'copy-slow' in $work/R/family.ini, 'copy-other' in $work/fam/other.ini" \
  "$work/E3.log" || fail "eval --env OTHER does not name the keys: $(cat "$work/E3.log")"
"$maml" train --resume "$work/R" --env "$fam" --iterations 4 > "$work/res2.log" 2>&1 &&
  fail "resume --env with another goal_range accepted"
grep -qF "goal_range: '0, 0.5' in $work/R/family.ini, '0, 0.7' in $fam" "$work/res2.log" ||
  fail "resume --env does not say what differs: $(cat "$work/res2.log")"

# the original moved away: eval, view and resume still work, from the copy
mv "$fam" "$work/moved.ini"
"$maml" eval --policy m="$work/R/kept.ckpt" "${ev[@]}" --out "$work/E4" > "$work/E4.log" 2>&1 ||
  fail "eval after the move: $(cat "$work/E4.log")"
grep -q "note:" "$work/E4.log" && fail "a notice with no file to compare: $(cat "$work/E4.log")"
eval_same "$work/E4"
if command -v xvfb-run > /dev/null && "$maml" view --help > /dev/null 2>&1; then
  ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" xvfb-run -a \
    "$maml" view "$work/R" --record "$work/frames/" --frames 2 --size 160x90 --adapt-episodes 2 \
    --steps 1 > "$work/view.log" 2>&1 || fail "view after the move: $(cat "$work/view.log")"
  [ -s "$work/frames/frame-000001.png" ] || fail "view wrote no frames: $(cat "$work/view.log")"
else
  echo "cli_family_copy: no xvfb-run or no viewer: view not checked"
fi
"$maml" train --resume "$work/R" --iterations 4 > "$work/res3.log" 2>&1 ||
  fail "resume after the move: $(cat "$work/res3.log")"
same_run "$work/whole" "$work/R"
if "$maml" version | grep -q "^MPI: built in" && command -v mpirun > /dev/null; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  command -v ssh > /dev/null || command -v rsh > /dev/null || export OMPI_MCA_plm_rsh_agent=
  env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" mpirun --oversubscribe -np 2 \
    "$maml" train --resume "$work/R" --iterations 5 > "$work/mpi.log" 2>&1 ||
    fail "resume under 2 MPI ranks after the move: $(cat "$work/mpi.log")"
fi

# the copy edited: refused, naming it and both hashes
recorded=$(sed -n 's/^family_hash = //p' "$work/R/config.ini")
cp "$work/R/family.ini" "$work/copy.bak"
echo "bonus = 1" >> "$work/R/family.ini"
edited() { # LOG: the refusal names the copy, the recorded hash and another one
  grep -qF "$work/R/family.ini, the run's copy of the family file it was trained on, has been edited" "$1" ||
    fail "the refusal does not name the copy: $(cat "$1")"
  local now
  now=$(sed -n 's/.*its bytes hash to \([0-9a-f]\{16\}\), the run recorded \([0-9a-f]\{16\}\).*/\1 \2/p' "$1")
  [ "${now#* }" = "$recorded" ] || fail "the refusal does not name the recorded hash: $(cat "$1")"
  [ -n "${now%% *}" ] && [ "${now%% *}" != "$recorded" ] ||
    fail "the refusal does not name the copy's hash: $(cat "$1")"
}
"$maml" eval --policy m="$work/R" "${ev[@]}" --out "$work/E5" > "$work/E5.log" 2>&1 &&
  fail "eval accepted an edited copy"
edited "$work/E5.log"
"$maml" train --resume "$work/R" --iterations 6 > "$work/res4.log" 2>&1 &&
  fail "resume accepted an edited copy"
edited "$work/res4.log"
cp "$work/copy.bak" "$work/R/family.ini"

# a changed model: a family file in a folder of its own, its model's torso mass changed
mkdir -p "$work/m/models"
cp "$assets/half_cheetah.xml" "$work/m/models/cheetah.xml"
sed 's/^name = copy-slow$/name = copy-model/' "$work/moved.ini" > "$work/m/fam.ini"
"$maml" train --env "$work/m/fam.ini" "${run[@]}" --iterations 1 --run-dir "$work/M" \
  > "$work/M.log" 2>&1 || fail "training on the model: $(cat "$work/M.log")"
grep -q 'settotalmass="14"' "$work/m/models/cheetah.xml" || fail "the model's mass is not where expected"
sed -i 's/settotalmass="14"/settotalmass="15"/' "$work/m/models/cheetah.xml"
model_hash=$(sed -n 's/^model_hash = //p' "$work/M/config.ini")
model_abs=$(cd "$work/m/models" && pwd -P)/cheetah.xml
changed_model() { # LOG
  local now
  now=$(sed -n "s|.*the model $model_abs.* hashes to \([0-9a-f]\{16\}\).* hashing to \([0-9a-f]\{16\}\).*|\1 \2|p" "$1")
  [ "${now#* }" = "$model_hash" ] && [ "${now%% *}" != "$model_hash" ] ||
    fail "the refusal does not name the model and both hashes: $(cat "$1")"
}
"$maml" eval --policy m="$work/M" "${ev[@]}" --out "$work/E6" > "$work/E6.log" 2>&1 &&
  fail "eval accepted a changed model"
changed_model "$work/E6.log"
"$maml" train --resume "$work/M" --iterations 2 > "$work/res5.log" 2>&1 &&
  fail "resume accepted a changed model"
changed_model "$work/res5.log"
echo "cli_family_copy: ok"
