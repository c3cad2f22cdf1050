#!/usr/bin/env bash
# `maml eval` end to end, the promises of issue 19: a goal whose adaptation diverged is
# counted and never scored (the step-size sweep never picks a step size that diverged);
# goals files of any line length; policy names checked; each policy's checkpoint file and
# iteration named; the random baseline shaped like the checkpoints; a folder of its own
# per evaluation and no stale files in a reused one; results written when stdout goes
# away; the small ones (an @ inside a path, unknown options, the --goal limit).
# Every check runs, and each failure is reported, so that a run against an older binary
# shows which promises it breaks.
#   cli_eval.sh MAML_BINARY
maml=$1
source "$(dirname "$0")/common.sh"
failed=0
check() { echo "FAIL: $*"; failed=$((failed + 1)); }

cd "$work" || exit 1
"$maml" train --env cheetah-vel --iterations 1 --tasks 2 --episodes 2 --horizon 20 \
  --hidden 16,16 --threads 1 --run-dir R > train.log 2>&1 || fail "training: $(cat train.log)"
ev=(--env cheetah-vel --goals 4 --episodes 3 --steps 3 --threads 1)

# 1. divergence. A goal whose adaptation diverged (non-finite parameters or actions) is
# counted, never averaged in. H: a run with learned step sizes, every step size made huge
# (set_step_sizes): step 1 overflows on every goal, on any machine and in both precisions
"$maml" train --env cheetah-vel --iterations 1 --tasks 2 --episodes 2 --horizon 20 \
  --hidden 16,16 --threads 1 --outer promp --inner-loss lvc --learn-alpha param --run-dir P \
  > trainp.log 2>&1 || fail "training with learned step sizes: $(cat trainp.log)"
huge=1e30
"$maml" version | grep -q 'network math in double' && huge=1e300
set_step_sizes P/best.ckpt H.ckpt $huge
out=$("$maml" eval --policy maml=R --policy big=H.ckpt "${ev[@]}" --out div 2>&1) ||
  check "eval with a diverging policy: $out"
echo "$out" | grep -q "^big diverged on 4 of 4 goals (non-finite parameters or actions: 4 at step 1)" ||
  check "no divergence line: $out"
echo "$out" | grep -E -q '^big +learned +4 +-[0-9.]+ \+- +[0-9.]+ +diverged +diverged +diverged$' ||
  check "the table does not show it: $out"
for k in 1 2 3; do
  grep -q "^big,learned,$k,,,0,4,H.ckpt,0$" div/eval.csv ||
    check "eval.csv scores or hides the diverged step $k: $(cat div/eval.csv)"
  grep -q "^maml,big,$k,,,0,0,4$" div/eval-paired.csv ||
    check "eval-paired.csv compares diverged goals: $(cat div/eval-paired.csv)"
done
grep -q '^big,learned,0,-[0-9.]*,[0-9.]*,4,0,H.ckpt,0$' div/eval.csv ||
  check "eval.csv: step 0 should be scored on 4 goals: $(cat div/eval.csv)"
grep -q '"diverged_at":\[1,1,1,1\]' div/eval.json || check "eval.json: no diverged_at"
grep -qi 'nan' div/eval.json div/eval.csv div/eval-paired.csv && check "a NaN written as a number"
if command -v python3 > /dev/null; then
  python3 -c 'import json, sys; json.load(open(sys.argv[1]))' div/eval.json ||
    check "eval.json is not JSON"
fi
"$maml" train --env cheetah-dir --iterations 1 --tasks 2 --episodes 2 --horizon 20 \
  --hidden 16,16 --threads 1 --outer promp --inner-loss lvc --learn-alpha param --run-dir Q \
  > trainq.log 2>&1 || fail "cheetah-dir training: $(cat trainq.log)"
set_step_sizes Q/best.ckpt HQ.ckpt $huge
out=$("$maml" eval --policy big=HQ.ckpt --env cheetah-dir --goal 1 --goal -1 --goal 1 \
  --episodes 2 --steps 3 --threads 1 --out divgroups 2>&1) || check "eval by goal: $out"
grep -q '^big,-1,3,,,0,1$' divgroups/eval-by-goal.csv &&
  grep -q '^big,1,0,-[0-9.]*,[0-9.]*,2,0$' divgroups/eval-by-goal.csv ||
  check "eval-by-goal.csv scores a diverged goal: $(cat divgroups/eval-by-goal.csv)"
# The sweep leaves out a step size that diverged on any of its goals. Whether a fixed step
# of 100 (the largest allowed) overflows hangs on the last bits of the machine's arithmetic
# (in float builds it did on the AMD machines of sessions 1-13, not on the Xeon of session
# 14; never in double): those checks run where it does.
out=$("$maml" eval --policy maml=R --policy random "${ev[@]}" --sweep-alpha 0.1,1,100 \
  --sweep-goals 3 --out sweep 2>&1) || check "eval with a sweep: $out"
used=$(echo "$out" | sed -n 's/^  maml: step-size sweep.*; using \([0-9.e+-]*\)$/\1/p')
[ -n "$used" ] && grep -q "^maml,$used,3," sweep/eval.csv ||
  check "eval.csv: maml not evaluated with the sweep's step size '$used': $out"
if echo "$out" | grep -q "maml: step-size sweep.* 100 -> diverged on 3"; then
  [ "$used" != 100 ] || check "the sweep picked the step size that diverged: $out"
  out=$("$maml" eval --policy maml=R "${ev[@]}" --sweep-alpha 100 --sweep-goals 3 --out sweep1 2>&1)
  rc=$?
  [ "$rc" -eq 1 ] || check "a sweep whose every step size diverged: exit $rc: $out"
  echo "$out" | grep -q "every step size diverged" || check "no message for an all-diverged sweep: $out"
else
  echo "note: a step of 100 did not diverge on the sweep's goals here: the sweep's leaving it out is not exercised"
fi

# 2. goals files: a comment longer than 511 bytes is one line, and errors name the line
{
  echo "0.5"
  printf '#%0510d1.5\n' 0
  echo "1.0"
} > goals.txt
out=$("$maml" eval --policy maml=R --goals-file goals.txt --episodes 2 --steps 0 --threads 1 \
  --out long 2>&1) || check "goals file with a long comment: $out"
echo "$out" | grep -q "cheetah-vel, 2 goals" || check "the long comment's tail became a goal: $out"
{
  printf '# %01000d\n' 0
  echo "0.5"
  echo "9"
} > bad-goals.txt
out=$("$maml" eval --policy maml=R --goals-file bad-goals.txt --episodes 2 --steps 0 2>&1) &&
  check "a goal out of range accepted"
echo "$out" | grep -q "bad-goals.txt:3:" || check "the bad goal's line is not 3: $out"

# 3. policy names: letters, digits and - _ . +, each its own
for name in 'a,b' 'a"b' 'a\b' "$(printf 'a\nb')" "$(printf 'x%.0s' {1..64})"; do
  out=$("$maml" eval --policy "$name=R" --goals 1 --episodes 1 --steps 0 --out names 2>&1) &&
    check "the policy name '$name' accepted"
  echo "$out" | grep -q "letters, digits and - _ . +" || check "bad name message: $out"
done
out=$("$maml" eval --policy m=R --policy m=R --goals 1 --episodes 1 --steps 0 --out dup 2>&1) &&
  check "two policies named m accepted"
echo "$out" | grep -q "two policies are named 'm'" || check "duplicate name message: $out"
out=$("$maml" eval --policy random --policy random@1 --env nav2d --goals 1 --episodes 1 \
  --steps 0 --out dup 2>&1) && check "two random policies accepted"
[ -e dup ] && check "a refused evaluation wrote files"

# 4. the parameters evaluated: a run directory means best.ckpt, else latest.ckpt; named
out=$("$maml" eval --policy maml=R "${ev[@]}" --steps 0 --out named 2>&1) || check "eval: $out"
echo "$out" | grep -E -q "^  maml +R/best.ckpt, iteration 0," || check "table names no checkpoint: $out"
grep -q '^maml,0.1,0,.*,R/best.ckpt,0$' named/eval.csv || check "eval.csv: $(cat named/eval.csv)"
grep -q '"checkpoint":"R/best.ckpt","iteration":0' named/eval.json || check "eval.json: no checkpoint"
mkdir nobest && cp R/latest.ckpt nobest/
"$maml" eval --policy m=nobest "${ev[@]}" --steps 0 --out named2 > /dev/null 2>&1 ||
  check "eval of a run without best.ckpt"
grep -q ',nobest/latest.ckpt,1$' named2/eval.csv || check "eval.csv: $(cat named2/eval.csv)"
out=$("$maml" info R) || check "maml info R"
echo "$out" | grep -q "^best.ckpt .*R/best.ckpt holds iteration 0" || check "info names no best.ckpt: $out"
"$maml" info R | grep -q "^iteration    1 " || check "info of a run shows latest.ckpt"
"$maml" eval --help | grep -q "its best.ckpt," || check "eval --help states the rule"
"$maml" info --help | grep -q "best.ckpt" || check "info --help states the rule"

# 5. the random baseline has the checkpoints' shape, or --random-hidden's
out=$("$maml" eval --policy maml=R --policy random "${ev[@]}" --steps 0 --out shape 2>&1) ||
  check "eval: $out"
echo "$out" | grep -E -q "^  random +random, 20-16-16-6 relu" || check "random's shape: $out"
grep -q '"name":"random","checkpoint":"random","iteration":null,"network":"20-16-16-6 relu"' \
  shape/eval.json || check "eval.json: random's network: $(cat shape/eval.json)"
"$maml" eval --policy random --policy maml=R "${ev[@]}" --steps 0 --random-hidden 8 \
  --random-activation tanh --out shape2 2>&1 | grep -E -q "^  random +random, 20-8-6 tanh" ||
  check "--random-hidden 8 --random-activation tanh"
"$maml" train --env cheetah-vel --iterations 1 --tasks 2 --episodes 2 --horizon 20 \
  --hidden 8 --threads 1 --run-dir R8 > /dev/null 2>&1 || fail "training R8"
out=$("$maml" eval --policy a=R --policy b=R8 --policy random "${ev[@]}" --steps 0 --out mixed 2>&1)
rc=$?
[ "$rc" -eq 2 ] || check "checkpoints of two shapes and a random: exit $rc: $out"
echo "$out" | grep -q "random-hidden" || check "mixed shapes message: $out"
"$maml" eval --policy a=R --policy b=R8 --policy random "${ev[@]}" --steps 0 \
  --random-hidden 100,100 --out mixed > /dev/null 2>&1 || check "mixed shapes with --random-hidden"
"$maml" eval --policy a=R --policy b=R8 "${ev[@]}" --steps 0 --out mixed2 > /dev/null 2>&1 ||
  check "checkpoints of two shapes without a random policy refused"
out=$("$maml" eval --group g=R8 --policy random "${ev[@]}" --steps 0 --out gshape 2>&1) ||
  check "eval of a group and random: $out"
echo "$out" | grep -E -q "^  random +random, 20-8-6 relu" || check "random's shape from a group's runs: $out"
out=$("$maml" eval --group g=R,R8 --policy random "${ev[@]}" --steps 0 --out gmixed 2>&1)
[ $? -eq 2 ] && echo "$out" | grep -q "random-hidden" || check "a group of two shapes and a random: $out"
out=$("$maml" eval --policy random --env nav2d --goals 1 --episodes 1 --steps 0 --out paper 2>&1)
echo "$out" | grep -E -q "^  random +random, 2-100-100-2 relu" || check "random alone: $out"

# 6. folders: two evaluations started together get one each; a reused --out loses this
# command's earlier files (and says so), keeps the others
mkdir same && cd same || exit 1
"$maml" eval --policy random --env nav2d --goals 2 --episodes 8 --steps 1 --threads 1 > a.log 2>&1 &
p1=$!
"$maml" eval --policy random --env nav2d --goals 2 --episodes 8 --steps 1 --threads 1 > b.log 2>&1 &
p2=$!
wait "$p1" || check "first of two evaluations: $(cat a.log)"
wait "$p2" || check "second of two evaluations: $(cat b.log)"
n=$(ls runs | wc -l)
# started in the same second they share a name stem; in two seconds they have two anyway
[ "$n" -eq 2 ] || check "two evaluations wrote into $n folder(s): $(ls runs)"
for d in runs/*; do [ -s "$d/eval.csv" ] || check "$d has no eval.csv"; done
cd "$work" || exit 1
"$maml" eval --policy maml=R --policy random "${ev[@]}" --steps 0 --out reuse > /dev/null 2>&1 ||
  check "eval into reuse"
[ -e reuse/eval-paired.csv ] || check "no eval-paired.csv to go stale"
echo keep > reuse/notes.txt
out=$("$maml" eval --policy maml=R "${ev[@]}" --steps 0 --out reuse 2>&1) || check "eval: $out"
[ -e reuse/eval-paired.csv ] && check "a stale eval-paired.csv survived in the reused --out"
echo "$out" | grep -q "removed its .*eval-paired.csv" || check "no note of the removed files: $out"
[ -e reuse/notes.txt ] || check "another file of the reused --out was removed"
grep -q '^maml,' reuse/eval.csv || check "no new eval.csv"
touch afile
out=$("$maml" eval --policy maml=R "${ev[@]}" --out afile 2>&1) && check "--out a file accepted"
echo "$out" | grep -q "not a directory" || check "--out a file: $out"

# 7. stdout closed early: the evaluation goes on, writes its files and exits 0
"$maml" eval --policy maml=R --policy random "${ev[@]}" --steps 2 --out piped 2> piped.err | head -1 > /dev/null
rc=${PIPESTATUS[0]}
[ "$rc" -eq 0 ] || check "eval | head -1: exit $rc: $(cat piped.err)"
[ -s piped/eval.csv ] && [ -s piped/eval-paired.csv ] || check "eval | head -1 wrote no results"

# 8. the small ones: an @ inside a path, unknown options, the --goal limit
mkdir 'a@b' && cp R/best.ckpt 'a@b/x.ckpt'
out=$("$maml" eval --policy "m=$work/a@b/x.ckpt" "${ev[@]}" --steps 0 --out at 2>&1) ||
  check "--policy m=$work/a@b/x.ckpt: $out"
out=$("$maml" eval --policy "m=$work/a@b/x.ckpt@0.5" "${ev[@]}" --steps 0 --out at2 2>&1) ||
  check "--policy m=PATH@0.5: $out"
grep -q '^m,0.5,0,' at2/eval.csv 2> /dev/null || check "@0.5 after a path with an @"
out=$("$maml" eval --bogus 2>&1) && check "--bogus accepted"
echo "$out" | grep -q "unknown option '--bogus'" || check "--bogus: $out"
out=$("$maml" eval --policy random --env nav2d --bogus 1 2>&1) && check "--bogus 1 accepted"
echo "$out" | grep -q "unknown option '--bogus'" || check "--bogus 1: $out"
out=$("$maml" eval --policy 2>&1) && check "--policy without a value"
echo "$out" | grep -q "needs a value" || check "--policy without a value: $out"
goals=()
for _ in $(seq 0 10000); do goals+=(--goal 0.5); done
out=$("$maml" eval --policy random --env cheetah-vel "${goals[@]}" 2>&1)
rc=$?
[ "$rc" -eq 2 ] || check "10001 --goal: exit $rc"
echo "$out" | grep -q "at most 10000 goals" || check "10001 --goal: no message naming the limit: $out"

# 9: a policy given by its path alone is named after its run directory (R, R8-best)
out=$("$maml" eval --policy R --policy R8/best.ckpt --goals 2 --episodes 2 --steps 1 \
  --out names 2>&1) || check "policies named by their paths: $out"
cut -d, -f1 names/eval.csv | sort -u | tr '\n' ' ' | grep -q '^R R8-best policy $' ||
  check "policies named by their paths: $(cut -d, -f1 names/eval.csv | sort -u | tr '\n' ' ')"
out=$("$maml" eval --policy random/ --env nav2d --goals 2 2>&1) && check "a path named random accepted"

# 10: goals outside the training range: refused with a hint, accepted with --extrapolate and
# counted in the start line and eval.json; a direction stays -1 or 1
out=$("$maml" eval --policy random --env cheetah-vel --goal 3 --steps 1 --episodes 1 2>&1) &&
  check "--goal 3 on cheetah-vel accepted without --extrapolate"
echo "$out" | grep -q -- "--extrapolate allows" || check "no --extrapolate hint: $out"
out=$("$maml" eval --policy random --env cheetah-vel --goal 3 --goal 1 --extrapolate --steps 1 \
  --episodes 1 --out extra 2>&1) || check "--extrapolate: $out"
echo "$out" | grep -q "2 goals (1 outside the training range" || check "--extrapolate start line: $out"
grep -q '"goals_outside_training":1,"goals":\["3","1"\]' extra/eval.json || check "eval.json: $(head -c 300 extra/eval.json)"
"$maml" eval --policy random --env cheetah-dir --goal 2 --extrapolate > /dev/null 2>&1 &&
  check "a direction of 2 accepted with --extrapolate"

[ "$failed" -eq 0 ] || { echo "$failed check(s) failed"; exit 1; }
echo "ok"
