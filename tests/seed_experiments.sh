#!/usr/bin/env bash
# scripts/seed-experiments.sh's logic, with a stand-in `maml` that logs its arguments (the
# real runs take hours): the definitions it passes to `maml experiment train`, the order of
# all experiments, eval and status of started and unstarted ones, and bad commands.
#   seed_experiments.sh PROJECT_SOURCE_DIR
src=$1
maml=unused
source "$(dirname "$0")/common.sh"
cd "$src" || fail "no project folder $src"
script=scripts/seed-experiments.sh

cat > "$work/maml" << 'EOF2'
#!/usr/bin/env bash
echo "$*" >> "$STUB_LOG"
[[ $1 == experiment && $2 == train ]] && mkdir -p "$3" && touch "$3/experiment.ini"
[[ $1 == experiment && $2 == train && $3 == */${STUB_FAIL:-none} ]] && exit "${STUB_RC:-1}"
if [[ $1 == experiment && $2 == status ]]; then
  echo "experiment $3: 1 setting x 3 seeds = 3 runs: 2 done, 1 training, 0 stopped, 0 not started"
  echo "run    seed   iterations  best return (at)  last return   hours  state"
  echo "runs-s1   1   100/100   -5.0 (90)   -6.0   0.10  done"
  echo "runs-s2   2    40/100   -9.0 (30)   -9.5   0.04  training (process 12)"
  echo "runs-s3   3   100/100   -4.0 (80)   -4.5   0.10  done"
  echo "left: 60 iterations, about 0.1 hours at the pace so far (6.0 s an iteration, one run at a time)"
  echo "left: nothing, every run is done" # (the line of a finished one: not a run)
fi
exit 0
EOF2
chmod +x "$work/maml"
export MAML=$work/maml EXP=$work/exp ARCHIVE=$work/archive STUB_LOG=$work/log THREADS=1
e=$work/exp
run() { : > "$STUB_LOG"; "$script" "$@" > "$work/out" 2>&1; }
expect() { grep -qxF -- "$1" "$STUB_LOG" || fail "expected the call '$1'; the calls were: $(cat "$STUB_LOG")"; }

run train cheetah-dir-promp-alpha nav2d-maml || fail "train: $(cat "$work/out")"
expect "experiment train $e/cheetah-dir-promp-alpha --config configs/cheetah-dir.ini --seeds 1-10 --outer promp --inner-loss lvc --learn-alpha param --iterations 100 --threads 1"
expect "experiment train $e/nav2d-maml --config configs/nav2d.ini --seeds 1-10 --threads 1"
[ "$(wc -l < "$STUB_LOG")" -eq 2 ] || fail "two experiments named, calls: $(cat "$STUB_LOG")"

run train cheetah-dir-maml cheetah-dir-lvc || fail "train MAML-TRPO and LVC: $(cat "$work/out")"
expect "experiment train $e/cheetah-dir-maml --config configs/cheetah-dir.ini --seeds 1-10 --iterations 100 --threads 1"
expect "experiment train $e/cheetah-dir-lvc --config configs/cheetah-dir.ini --seeds 1-10 --inner-loss lvc --iterations 100 --threads 1"

# an experiment trained on from a shorter one starts as its copy (not its evaluation);
# without the shorter one it is refused, naming it
rm -rf "$e" && mkdir -p "$e/cheetah-dir-promp-alpha/runs-s1" "$e/cheetah-dir-promp-alpha/eval"
touch "$e/cheetah-dir-promp-alpha/experiment.ini" "$e/cheetah-dir-promp-alpha/runs-s1/latest.ckpt"
run train cheetah-dir-promp-alpha-200 || fail "train -200: $(cat "$work/out")"
expect "experiment train $e/cheetah-dir-promp-alpha-200 --config configs/cheetah-dir.ini --seeds 1-10 --outer promp --inner-loss lvc --learn-alpha param --iterations 200 --threads 1"
[ -f "$e/cheetah-dir-promp-alpha-200/runs-s1/latest.ckpt" ] && [ ! -e "$e/cheetah-dir-promp-alpha-200/eval" ] ||
  fail "the 200-iteration experiment is not a copy of the 100-iteration one: $(ls -R "$e")"
rm -rf "$e"
run train cheetah-dir-promp-alpha-200 && fail "a copy of an experiment not trained yet"
grep -q "starts from cheetah-dir-promp-alpha, not trained yet" "$work/out" || fail "message: $(cat "$work/out")"

# every experiment's config exists, and train with no NAME trains them all in list's order
run list || fail "list: $(cat "$work/out")"
n=$(wc -l < "$work/out")
[ "$n" -ge 10 ] || fail "list shows $n experiments: $(cat "$work/out")"
awk '{ sub(",", "", $2); print $2 }' "$work/out" | while read -r cfg; do
  [ -f "$cfg" ] || fail "list names a config that does not exist: $cfg"
done || exit 1
run train || fail "train all: $(cat "$work/out")"
diff <("$script" list | awk '{ print $1 }') \
  <(sed 's|^experiment train [^ ]*/\([^/ ]*\) .*|\1|' "$STUB_LOG") > /dev/null ||
  fail "train with no NAME did not follow list's order: $(cat "$STUB_LOG")"

# a failing experiment does not stop the next ones (named at the end, exit 1); a stopped
# one (SIGINT: 130) stops them all with its status
STUB_FAIL=nav2d-maml run train nav2d-maml nav2d-pretrain
[ $? -eq 1 ] || fail "a failed experiment: exit status not 1: $(cat "$work/out")"
expect "experiment train $e/nav2d-pretrain --config configs/nav2d.ini --seeds 1-10 --mode pretrain --threads 1"
grep -q "failed: nav2d-maml (exit status 1)" "$work/out" || fail "failure not named: $(cat "$work/out")"
STUB_FAIL=nav2d-maml STUB_RC=130 run train nav2d-maml nav2d-pretrain
[ $? -eq 130 ] || fail "an interrupted experiment: exit status not 130"
[ "$(wc -l < "$STUB_LOG")" -eq 1 ] || fail "went on after an interrupt: $(cat "$STUB_LOG")"

# eval and status: only started experiments reach maml
rm -rf "$e" && mkdir -p "$e/nav2d-maml" && touch "$e/nav2d-maml/experiment.ini"
run eval nav2d-maml ant-dir-maml || fail "eval: $(cat "$work/out")"
expect "experiment eval $e/nav2d-maml --goals 40"
grep -q "ant-dir-maml: not started" "$work/out" || fail "eval of an unstarted one: $(cat "$work/out")"
[ "$(wc -l < "$STUB_LOG")" -eq 1 ] || fail "eval called maml for an unstarted one: $(cat "$STUB_LOG")"
GOALS=7 run eval nav2d-maml && expect "experiment eval $e/nav2d-maml --goals 7"
run status nav2d-maml ant-dir-maml || fail "status: $(cat "$work/out")"
expect "experiment status $e/nav2d-maml"
grep -q "ant-dir-maml: not started" "$work/out" || fail "status of an unstarted one: $(cat "$work/out")"

# compare: the done runs of each as a group; MAML-TRPO at its config's step size, the
# pretrained and learned-step-size groups without one (swept, their own)
mkdir -p "$e/nav2d-pretrain" "$e/nav2d-promp-alpha"
touch "$e/nav2d-pretrain/experiment.ini" "$e/nav2d-promp-alpha/experiment.ini"
run compare nav2d-promp-alpha nav2d-maml nav2d-pretrain || fail "compare: $(cat "$work/out")"
c=$e/compare/nav2d-promp-alpha+nav2d-maml+nav2d-pretrain
expect "eval --group nav2d-promp-alpha=@$c/nav2d-promp-alpha.runs --group nav2d-maml=@$c/nav2d-maml.runs@0.1 --group nav2d-pretrain=@$c/nav2d-pretrain.runs --goals 40 --sweep-alpha 0.02,0.05,0.1,0.2,0.5,1.0 --out $c"
[ "$(cat "$c/nav2d-maml.runs")" = "$e/nav2d-maml/runs-s1
$e/nav2d-maml/runs-s3" ] || fail "the group's runs are not the done ones: $(cat "$c/nav2d-maml.runs")"
run compare nav2d-maml || fail "compare of one experiment: $(cat "$work/out")"
expect "eval --group nav2d-maml=@$e/compare/nav2d-maml/nav2d-maml.runs@0.1 --goals 40 --sweep-alpha 0.02,0.05,0.1,0.2,0.5,1.0 --out $e/compare/nav2d-maml"
run compare nav2d-maml ant-dir-maml && fail "compare with an unstarted experiment accepted"
grep -q "ant-dir-maml has no run done, in $e or in $work/archive" "$work/out" || fail "message: $(cat "$work/out")"
run compare && fail "compare of no experiment accepted"
run compare -- --policy random && fail "compare of no experiment but eval options accepted"
run compare nav2d-maml -- --policy random --steps 2 || fail "compare with eval options: $(cat "$work/out")"
expect "eval --group nav2d-maml=@$e/compare/nav2d-maml/nav2d-maml.runs@0.1 --policy random --steps 2 --goals 40 --sweep-alpha 0.02,0.05,0.1,0.2,0.5,1.0 --out $e/compare/nav2d-maml"
# an experiment with its own --alpha is evaluated at that step size, not its config's
mkdir -p "$e/humanoid-dir-maml-alpha-0.01" && touch "$e/humanoid-dir-maml-alpha-0.01/experiment.ini"
run compare humanoid-dir-maml-alpha-0.01 || fail "compare with --alpha: $(cat "$work/out")"
c=$e/compare/humanoid-dir-maml-alpha-0.01
expect "eval --group humanoid-dir-maml-alpha-0.01=@$c/humanoid-dir-maml-alpha-0.01.runs@0.01 --goals 40 --sweep-alpha 0.02,0.05,0.1,0.2,0.5,1.0 --out $c"

# archive: each done run's best.ckpt and metrics.csv (nothing else); compare takes the runs
# that EXP lacks from the archive, in the order of their seeds
for s in 1 2 3; do
  mkdir -p "$e/nav2d-maml/runs-s$s" && echo "s$s" > "$e/nav2d-maml/runs-s$s/best.ckpt"
  touch "$e/nav2d-maml/runs-s$s/metrics.csv" "$e/nav2d-maml/runs-s$s/latest.ckpt"
done
run archive nav2d-maml || fail "archive: $(cat "$work/out")"
grep -q "nav2d-maml: 2 done runs archived in $ARCHIVE/nav2d-maml" "$work/out" || fail "archive: $(cat "$work/out")"
[ "$(cd "$ARCHIVE" && find . -type f | sort | tr '\n' ' ')" = \
  "./nav2d-maml/runs-s1/best.ckpt ./nav2d-maml/runs-s1/metrics.csv ./nav2d-maml/runs-s3/best.ckpt ./nav2d-maml/runs-s3/metrics.csv " ] ||
  fail "archive: not the done runs' best.ckpt and metrics.csv: $(cd "$ARCHIVE" && find . -type f)"
[ "$(cat "$ARCHIVE/nav2d-maml/runs-s3/best.ckpt")" = s3 ] || fail "archive: not the run's best.ckpt"
mkdir -p "$ARCHIVE/nav2d-maml/runs-s2" "$ARCHIVE/nav2d-maml/runs-s10"
touch "$ARCHIVE/nav2d-maml/runs-s2/best.ckpt" "$ARCHIVE/nav2d-maml/runs-s10/best.ckpt"
run compare nav2d-maml || fail "compare with an archive: $(cat "$work/out")"
[ "$(cat "$e/compare/nav2d-maml/nav2d-maml.runs")" = "$e/nav2d-maml/runs-s1
$ARCHIVE/nav2d-maml/runs-s2
$e/nav2d-maml/runs-s3
$ARCHIVE/nav2d-maml/runs-s10" ] || fail "compare: the trained and archived runs: $(cat "$e/compare/nav2d-maml/nav2d-maml.runs")"
rm -rf "$e/nav2d-maml"
run compare nav2d-maml || fail "compare from the archive alone: $(cat "$work/out")"
[ "$(wc -l < "$e/compare/nav2d-maml/nav2d-maml.runs")" -eq 4 ] && ! grep -q "experiment status" "$STUB_LOG" ||
  fail "compare from the archive alone: $(cat "$e/compare/nav2d-maml/nav2d-maml.runs") $(cat "$STUB_LOG")"

# flags: one experiment's definition as `maml train` options (less the seed)
run flags cheetah-dir-promp || fail "flags: $(cat "$work/out")"
[ "$(cat "$work/out")" = "--config configs/cheetah-dir.ini --outer promp --inner-loss lvc --iterations 100" ] ||
  fail "flags cheetah-dir-promp: $(cat "$work/out")"
run flags nav2d-maml && [ "$(cat "$work/out")" = "--config configs/nav2d.ini" ] ||
  fail "flags nav2d-maml: $(cat "$work/out")"
run flags nav2d-maml nav2d-pretrain && fail "flags of two experiments accepted"

# refusals: exit status 2, naming what is wrong, nothing run
for bad in "train nav2d-bogus" "eval nav2d-bogus" "flags nav2d-bogus" "flags" "frobnicate" ""; do
  # shellcheck disable=SC2086
  run $bad
  rc=$?
  [ "$rc" -eq 2 ] || fail "'$bad': exit status $rc, expected 2: $(cat "$work/out")"
  [ ! -s "$STUB_LOG" ] || fail "'$bad' ran maml: $(cat "$STUB_LOG")"
done
run train nav2d-bogus
grep -q "'nav2d-bogus' is not an experiment" "$work/out" || fail "message: $(cat "$work/out")"
run --help && grep -q "seed-experiments.sh train" "$work/out" || fail "--help: $(cat "$work/out")"
echo "ok"
