#!/usr/bin/env bash
# `maml eval --group`, evaluation over training seeds (issue 22): each run of a group scores
# exactly what it scores as a --policy on the same goals; the mean, IQM and probability of
# improvement agree with the same numbers worked out here from those scores; intervals hold
# their statistic and repeat; the per-goal split of cheetah-dir; a run whose every goal
# diverged is left out and counted; eval-seeds.csv's columns; bad groups exit 2 naming them;
# under mpirun the numbers of one process, and a rank that read another run stops the job.
# Every check runs, and each failure is reported.
#   cli_seeds.sh MAML_BINARY CONFIGS_DIR
maml=$(realpath "$1") # absolute: the MPI ranks below run in other folders
configs=$2
source "$(dirname "$0")/common.sh"
failed=0
check() { echo "FAIL: $*"; failed=$((failed + 1)); }

cd "$work" || exit 1
for s in 1 2 3; do
  "$maml" train --config "$configs/quick.ini" --iterations 2 --tasks 2 --episodes 2 \
    --horizon 20 --seed $s --threads 1 --run-dir R$s > train$s.log 2>&1 ||
    fail "training seed $s: $(cat train$s.log)"
done
ev=(--goals 4 --episodes 3 --steps 2 --threads 1)

# 1. a group of three and a group of two against the same runs as policies
out=$("$maml" eval --group three=R1,R2,R3 --group two=R1,R2 "${ev[@]}" --out G 2>&1) ||
  fail "eval of two groups: $out"
"$maml" eval --policy s1=R1 --policy s2=R2 --policy s3=R3 "${ev[@]}" --out P > p.log 2>&1 ||
  fail "eval of the runs as policies: $(cat p.log)"
[ "$(head -1 G/eval-seeds.csv)" = \
  "group,goal,steps,statistic,versus,value,ci_low,ci_high,n,left_out,run,alpha,iteration" ] ||
  check "eval-seeds.csv columns: $(head -1 G/eval-seeds.csv)"
# a run row: group,,step,run,,value,,,goals,diverged,path,alpha,iteration; eval.csv's:
# policy,alpha,step,mean,stderr,goals,diverged,checkpoint,iteration
for g in three two; do
  for s in 1 2 3; do
    [ $g = two ] && [ $s = 3 ] && continue
    got=$(awk -F, -v g=$g -v p=R$s/best.ckpt '$1 == g && $4 == "run" && $11 == p {
      print $3, $6, $9, $10, $12, $13 }' G/eval-seeds.csv)
    want=$(awk -F, -v p=s$s '$1 == p { print $3, $4, $6, $7, $2, $9 }' P/eval.csv)
    [ -n "$want" ] && [ "$got" = "$want" ] ||
      check "group $g, R$s: the run's rows ($got) are not its --policy rows ($want)"
  done
done
# mean, IQM (n = 3: weights 1/4, 1, 1/4 over 3/2; n = 2: the mean) and P(three > two),
# computed from eval.csv's scores of the runs as policies
awk -F, 'NR == FNR { if (FNR > 1) v[$1, $3] = $4; next }
  FNR == 1 { next }
  function near(a, b) { d = a - b; if (d < 0) d = -d; return d <= 1e-6 * (1 + (a < 0 ? -a : a)) }
  function sort3(a, b, c) { lo = a; if (b < lo) lo = b; if (c < lo) lo = c
    hi = a; if (b > hi) hi = b; if (c > hi) hi = c; mid = a + b + c - lo - hi }
  $5 == "" && $2 == "" {
    k = $3; a = v["s1", k]; b = v["s2", k]; c = v["s3", k]
    if ($1 == "three" && $4 == "mean") want = (a + b + c) / 3
    else if ($1 == "three" && $4 == "iqm") { sort3(a, b, c); want = (lo / 4 + mid + hi / 4) / 1.5 }
    else if ($1 == "two" && ($4 == "mean" || $4 == "iqm")) want = (a + b) / 2
    else next
    if (!near($6, want)) { printf "FAIL: %s %s after %d steps: %s, not %.9g\n", $1, $4, k, $6, want; bad++ }
    if (!($7 <= $6 && $6 <= $8)) { printf "FAIL: %s %s after %d steps: %s outside [%s, %s]\n", $1, $4, k, $6, $7, $8; bad++ }
    if ($9 != ($1 == "three" ? 3 : 2) || $10 != 0) { printf "FAIL: %s %s: runs %s, left out %s\n", $1, $4, $9, $10; bad++ }
  }
  $4 == "p_improvement" {
    k = $3; split(v["s1", k] " " v["s2", k] " " v["s3", k], x, " "); p = 0
    for (i = 1; i <= 3; i++) for (j = 1; j <= 2; j++) p += x[i] > x[j] ? 1 : x[i] == x[j] ? 0.5 : 0
    if ($1 != "three" || $5 != "two" || !near($6, p / 6) || $9 != 6 || !($7 <= $6 && $6 <= $8)) {
      printf "FAIL: P(three > two) after %d steps: %s\n", k, $0; bad++ }
    seen++
  }
  END { if (seen != 3) { print "FAIL: " seen " p_improvement rows, not 3"; bad++ } exit bad > 0 }' \
  P/eval.csv G/eval-seeds.csv || failed=$((failed + 1))
echo "$out" | grep -q "^three  *all  *3 mean" || check "no table of the groups: $out"
echo "$out" | grep -q "P(three > group)" || check "no table of P(three > two): $out"
grep -q '"groups":\[{"name":"three"' G/eval.json || check "eval.json has no groups"
if command -v python3 > /dev/null; then
  python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); g = d["groups"]
assert [len(x["runs"]) for x in g] == [3, 2] and d["bootstrap"]["resamples"] == 2000
assert g[1]["p_improvement"]["of"] == "three" and len(g[0]["mean_ci"]) == 3' G/eval.json ||
    check "eval.json's groups"
fi
if command -v gnuplot > /dev/null; then
  [ -s G/eval-seeds.png ] && [ -s G/eval-seeds.svg ] || check "no eval-seeds.png and .svg"
  rm G/eval-seeds.png G/eval-seeds.svg
  out=$("$maml" plot G 2>&1) || check "maml plot of an evaluation folder: $out"
  [ -s G/eval-seeds.png ] && [ -s G/eval-seeds.svg ] || check "maml plot G drew no eval-seeds.png"
  grep -q "three" G/eval-seeds.svg && grep -q "two" G/eval-seeds.svg ||
    check "eval-seeds.svg does not name both groups"
fi

# 2. the same command, the same intervals; another number of resamples, others
"$maml" eval --group three=R1,R2,R3 --group two=R1,R2 "${ev[@]}" --out G2 > /dev/null 2>&1
cmp -s G/eval-seeds.csv G2/eval-seeds.csv || check "the same evaluation gave other statistics"
"$maml" eval --group three=R1,R2,R3 "${ev[@]}" --bootstrap 37 --out G3 > /dev/null 2>&1
grep -q '"resamples":37' G3/eval.json || check "--bootstrap 37 not recorded"
cmp -s <(grep ',mean,' G/eval-seeds.csv | grep '^three' | cut -d, -f1-6) \
  <(grep ',mean,' G3/eval-seeds.csv | cut -d, -f1-6) || check "--bootstrap changed the means"

# 3. the list from a file, a policy beside a group, the group's @ALPHA
printf '# seeds\nR1\n\n  R2\n' > list.txt
"$maml" eval --policy s1=R1@0.05 --group two=@list.txt@0.05 "${ev[@]}" --out F > f.log 2>&1 ||
  check "a group from a file: $(cat f.log)"
got=$(awk -F, '$4 == "run" { print $3, $6, $11, $12 }' F/eval-seeds.csv)
[ "$(echo "$got" | wc -l)" -eq 6 ] || check "the file's group has not 2 runs of 3 rows: $got"
echo "$got" | awk '$4 != "0.05" { exit 1 }' || check "@0.05 not used for every run: $got"
[ "$(awk -F, '$4 == "run" && $11 == "R1/best.ckpt" { print $6 }' F/eval-seeds.csv)" = \
  "$(awk -F, '$1 == "s1" { print $4 }' F/eval.csv)" ] || check "R1@0.05 scores otherwise in the group"

# 4. --sweep-alpha: one step size for the whole group, from the list
out=$("$maml" eval --group two=R1,R2 "${ev[@]}" --sweep-alpha 0.01,0.2 --sweep-goals 2 \
  --out S 2>&1) || check "a group's sweep: $out"
echo "$out" | grep -q "two: step-size sweep of 2 runs on 2 other goals: 0.01 -> .* 0.2 -> .*; using" ||
  check "no sweep line for the group: $out"
alphas=$(awk -F, '$4 == "run" { print $12 }' S/eval-seeds.csv | sort -u)
{ [ "$alphas" = 0.01 ] || [ "$alphas" = 0.2 ]; } || check "the group's runs used step sizes $alphas"

# 5. cheetah-dir: the split per goal; a run whose every goal diverged
for s in 1 2; do
  "$maml" train --env cheetah-dir --iterations 1 --tasks 2 --episodes 2 --horizon 20 \
    --hidden 16,16 --seed $s --threads 1 --run-dir D$s > traind$s.log 2>&1 ||
    fail "cheetah-dir training: $(cat traind$s.log)"
done
dir=(--goal 1 --goal -1 --goal 1 --goal -1 --episodes 2 --steps 1 --threads 1)
"$maml" eval --group dir=D1,D2 "${dir[@]}" --out D > d.log 2>&1 || check "cheetah-dir: $(cat d.log)"
"$maml" eval --policy d1=D1 --policy d2=D2 "${dir[@]}" --out DP > dp.log 2>&1 ||
  check "cheetah-dir as policies: $(cat dp.log)"
for goal in 1 -1; do
  for k in 0 1; do
    want=$(awk -F, -v g=$goal -v k=$k '$2 == g && $3 == k { s += $4; n++ } END { printf "%.6g", s / n }' \
      DP/eval-by-goal.csv)
    got=$(awk -F, -v g=$goal -v k=$k '$1 == "dir" && $2 == g && $3 == k && $4 == "mean" {
      printf "%.6g", $6 }' D/eval-seeds.csv)
    [ -n "$got" ] && [ "$got" = "$want" ] ||
      check "cheetah-dir goal $goal after $k steps: the group's mean $got, the runs' $want"
  done
done
grep -q '^dir  *-1  *2 mean' d.log || check "no per-goal rows in the table: $(cat d.log)"
# a group whose runs diverge at step 1 on every goal (learned step sizes made huge, as in
# cli_eval.sh): its steps from 1 on are left out, never scored
huge=1e30
"$maml" version | grep -q 'network math in double' && huge=1e300
for s in 1 2; do
  "$maml" train --env cheetah-dir --iterations 1 --tasks 2 --episodes 2 --horizon 20 \
    --hidden 16,16 --seed $s --threads 1 --outer promp --inner-loss lvc --learn-alpha param \
    --run-dir L$s > trainl$s.log 2>&1 || fail "cheetah-dir training: $(cat trainl$s.log)"
  set_step_sizes L$s/best.ckpt H$s.ckpt $huge
done
out=$("$maml" eval --group dir=H1.ckpt,H2.ckpt --env cheetah-dir --goal 1 --goal -1 --episodes 2 \
  --steps 3 --threads 1 --out DD 2>&1) || check "a diverging group: $out"
row=$(grep '^dir,,3,mean,' DD/eval-seeds.csv)
[ "$row" = "dir,,3,mean,,,,,0,2,,," ] || check "the all-diverged step: '$row'"
grep -q '^dir,,3,run,,,,,0,2,H1.ckpt,,0$' DD/eval-seeds.csv ||
  check "a run whose goals all diverged has a score: $(cat DD/eval-seeds.csv)"
grep -q '^dir,,0,run,,-[0-9.]*,,,2,0,H1.ckpt,,0$' DD/eval-seeds.csv ||
  check "step 0 of a run that diverged after it is not scored: $(cat DD/eval-seeds.csv)"
echo "$out" | grep -q "dir: 2 of 2 runs left out after 3 steps" || check "no left-out line: $out"
grep -qi nan DD/eval-seeds.csv DD/eval.json && check "a NaN written as a number"

# 6. bad groups: exit 2, the group named
bad() { # EXPECTED-TEXT ARGS...: exit 2 and the text on stderr
  local want=$1
  shift
  local o rc
  o=$("$maml" eval "$@" "${ev[@]}" --out bad 2>&1)
  rc=$?
  [ "$rc" -eq 2 ] || check "eval $*: exit $rc, not 2: $o"
  echo "$o" | grep -qF -- "$want" || check "eval $*: no '$want' in: $o"
}
bad "--group x: missing: no such checkpoint or run directory" --group x=R1,missing
bad "--group x: no runs after '='" --group x=
bad "--group x: an empty path in its list" --group x=R1,,R2
bad "two groups are named 'a'" --group a=R1 --group a=R2
bad "--group s1 has the name of a --policy" --policy s1=R1 --group s1=R2
bad "--group x: R1/best.ckpt is in its list twice" --group x=R1,R1/best.ckpt
bad "the name 'a b' is not" --group "a b=R1"
bad "--group x: " --group x=@no-such-list.txt
[ -e bad ] && check "a refused evaluation made its folder"
: > empty.txt
bad "--group x: empty.txt lists no runs" --group x=@empty.txt

# 7. under mpirun: the numbers of one process; a rank that read another run's checkpoint
# behind a group's path ends the job, naming it
if ! "$maml" version | grep -q "^MPI: built in" || ! command -v mpirun > /dev/null; then
  echo "(MPI part skipped: no MPI build or no mpirun)"
else
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  command -v ssh > /dev/null || command -v rsh > /dev/null || export OMPI_MCA_plm_rsh_agent=
  mpirun=(env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" mpirun --oversubscribe)
  timeout 120 "${mpirun[@]}" -np 2 "$maml" eval --group three=R1,R2,R3 --group two=R1,R2 \
    "${ev[@]}" --out M > m.log 2>&1 || check "eval of groups under mpirun: $(cat m.log)"
  cmp -s G/eval-seeds.csv M/eval-seeds.csv || check "2 ranks give other statistics than one"
  for r in 0 1; do mkdir d$r && cp -r R1 d$r/R1; done
  cp -r R2 d0/R2 && cp -r R3 d1/R2
  timeout 120 "${mpirun[@]}" -np 2 bash -c 'cd "d$OMPI_COMM_WORLD_RANK" && exec "$@"' _ \
    "$maml" eval --group g=R1,R2 "${ev[@]}" --out ../MX > mx.log 2>&1
  rc=$?
  [ "$rc" = 1 ] || check "ranks with another run behind R2: exit $rc, not 1: $(cat mx.log)"
  grep -qF "rank 1 of 2: group g (R2/best.ckpt): not the same as rank 0's" mx.log ||
    check "rank 1 does not name the group's run: $(cat mx.log)"
fi

[ "$failed" -eq 0 ] || fail "$failed checks failed"
echo "cli_seeds: all checks passed"
