#!/usr/bin/env bash
# scripts/reproduce-paper.sh's logic, with a stand-in `maml` that logs its arguments and
# makes the files a finished run would have (the real runs take hours): which runs it
# trains with which seeds, resuming, the evaluation's policies, `seeds`, `screen`, `status`,
# `table` and bad commands.
#   reproduce.sh PROJECT_SOURCE_DIR
src=$1
maml=unused
source "$(dirname "$0")/common.sh"
cd "$src" || fail "no project folder $src"
script=scripts/reproduce-paper.sh

cat > "$work/maml" << 'EOF'
#!/usr/bin/env bash
echo "$*" >> "$STUB_LOG"
case "$1" in
  train)
    for ((i = 2; i <= $#; i++)); do
      [[ ${!i} == --run-dir || ${!i} == --resume ]] && { j=$((i + 1)); dir=${!j}; }
    done
    # held: named by STUB_HELD, or its lock held by another process (as train's flock)
    if [[ $dir == */${STUB_HELD:-none} ]] || { [[ -e $dir/.lock ]] && ! flock -n "$dir/.lock" true; }; then
      echo "maml train: $dir is in use" >&2
      exit 4
    fi
    [[ $dir == */${STUB_FAIL:-none} ]] && exit 1
    mkdir -p "$dir" && touch "$dir/latest.ckpt" "$dir/best.ckpt"
    # metrics.csv: post_return (column 3) = the iteration number
    { echo iteration,pre_return,post_return; for ((i = 0; i < 100; i++)); do echo $i,0,$i; done; } \
      > "$dir/metrics.csv" ;;
  info)
    printf 'iteration    500 (the parameters after 500 meta-iterations, rejected ones included)\n'
    printf 'best         post-adaptation return 12.5 at iteration 321\n'
    printf 'trained for  99.0 s\n  iterations = %s\n  alpha = %s\n' "${STUB_PLANNED:-500}" \
      "${STUB_ALPHA:-0.1}" ;;
esac
EOF
chmod +x "$work/maml"
export MAML=$work/maml RUNS=$work/runs STUB_LOG=$work/log
r=$work/runs
run() { : > "$STUB_LOG"; "$script" "$@" > "$work/out" 2>&1; }

run train cheetah-dir nav2d || fail "train: $(cat "$work/out")"
expect() { grep -qxF -- "$1" "$STUB_LOG" || fail "expected the call '$1'; the calls were: $(cat "$STUB_LOG")"; }
expect "train --config configs/cheetah-dir.ini --mode maml --seed 7 --iterations 500 --run-dir $r/cheetah-dir-maml"
expect "train --config configs/cheetah-dir.ini --mode pretrain --iterations 500 --run-dir $r/cheetah-dir-pretrain"
expect "train --config configs/cheetah-dir.ini --mode oracle --iterations 500 --run-dir $r/cheetah-dir-oracle"
expect "train --config configs/nav2d.ini --mode maml --seed 1 --iterations 100 --run-dir $r/nav2d-maml"
[ "$(wc -l < "$STUB_LOG")" -eq 6 ] || fail "train: not 6 calls: $(cat "$STUB_LOG")"
run train ant-dir || fail "train ant-dir: $(cat "$work/out")"
# ant-dir's and cheetah-vel's MAML runs go to 800 iterations (their baselines stay at 500),
# and a run trained to 500 is carried on
expect "train --config configs/ant-dir.ini --mode maml --seed 2 --iterations 800 --run-dir $r/ant-dir-maml"
expect "train --config configs/ant-dir.ini --mode pretrain --iterations 500 --run-dir $r/ant-dir-pretrain"
run train ant-dir || fail "train ant-dir again: $(cat "$work/out")"
expect "train --resume $r/ant-dir-maml --iterations 800"
expect "train --resume $r/ant-dir-pretrain"

run train cheetah-dir || fail "train again: $(cat "$work/out")"
expect "train --resume $r/cheetah-dir-maml"
expect "train --resume $r/cheetah-dir-oracle"

run eval cheetah-dir || fail "eval: $(cat "$work/out")"
grep -q -- "--policy maml=$r/cheetah-dir-maml@0.1 --policy pretrained=$r/cheetah-dir-pretrain --policy random --policy oracle=$r/cheetah-dir-oracle --out $r/cheetah-dir-eval" \
  "$STUB_LOG" || fail "eval: the policies: $(cat "$STUB_LOG")"
expect "plot $r/cheetah-dir-maml"
run eval cheetah-vel || fail "eval of an untrained family should skip it: $(cat "$work/out")"
grep -q "skip cheetah-vel" "$work/out" || fail "eval of an untrained family: $(cat "$work/out")"

# other seeds: the table's seed is FAMILY-maml, the others FAMILY-maml-sSEED
run seeds cheetah-dir 1 7 || fail "seeds: $(cat "$work/out")"
expect "train --config configs/cheetah-dir.ini --seed 1 --run-dir $r/cheetah-dir-maml-s1"
expect "train --resume $r/cheetah-dir-maml"
grep -q -- "--policy maml-s1=$r/cheetah-dir-maml-s1@0.1 --policy maml-s7=$r/cheetah-dir-maml@0.1 --out $r/cheetah-dir-seeds-eval" \
  "$STUB_LOG" || fail "seeds: the evaluation: $(cat "$STUB_LOG")"
run seeds cheetah-dir 1x && fail "seeds with '1x' accepted"
grep -q "'1x' is not a seed" "$work/out" || fail "seeds 1x: $(cat "$work/out")"

# screen: train each seed's run up to N iterations only, then one step from iteration N
run screen nav2d 100 2 || fail "screen: $(cat "$work/out")"
expect "train --config configs/nav2d.ini --seed 2 --iterations 100 --run-dir $r/nav2d-maml-s2"
grep -q -- "--steps 1 --policy s2=$r/nav2d-maml-s2/iter-000100.ckpt@0.1 --out $r/nav2d-screen" \
  "$STUB_LOG" || fail "screen: the evaluation: $(cat "$STUB_LOG")"
grep -qxF "  seed 2: 87.0" "$work/out" || fail "screen: training return of iterations 75-99: $(cat "$work/out")"
STUB_PLANNED=100 run screen nav2d 200 2 || fail "screen further: $(cat "$work/out")"
expect "train --resume $r/nav2d-maml-s2 --iterations 200"
touch "$r/nav2d-maml-s2/iter-000100.ckpt"
run screen nav2d 100 2 || fail "screen of a run past N: $(cat "$work/out")"
grep -q "^train" "$STUB_LOG" && fail "screen trained a run that has its checkpoint: $(cat "$STUB_LOG")"
run screen cheetah-dir 100 7 && fail "screen shortened a run planned to 500"
grep -q "planned to 500 iterations" "$work/out" || fail "screen of a longer run: $(cat "$work/out")"
grep -q "^train" "$STUB_LOG" && fail "screen trained a run planned past N: $(cat "$STUB_LOG")"
run screen nav2d 15 2 && fail "screen at 15 iterations accepted"
grep -q "'15' is not a number of iterations that is a multiple of 10" "$work/out" ||
  fail "screen 15: $(cat "$work/out")"

# a table run that screen stopped short goes on to the config's iterations with train
STUB_PLANNED=100 run train cheetah-dir || fail "train after a screen: $(cat "$work/out")"
expect "train --resume $r/cheetah-dir-maml --iterations 500"
expect "train --resume $r/cheetah-dir-oracle --iterations 500"

run status || fail "status: $(cat "$work/out")"
[ "$(grep -c ' 500 / 500 .*best *12.5 at *321 .*trained for *99 s' "$work/out")" -eq 11 ] ||
  fail "status: expected 11 finished runs: $(cat "$work/out")"

# table: eval.csv as markdown
mkdir -p "$r/cheetah-dir-eval"
printf 'policy,alpha,steps,mean_return,stderr,goals\nmaml,0.1,0,-43.2,8.5,40\nmaml,0.1,1,210.06,15.7,40\n' \
  > "$r/cheetah-dir-eval/eval.csv"
run table cheetah-dir || fail "table: $(cat "$work/out")"
grep -qxF "| maml | 0.1 | -43.2 +- 8.5 | 210.1 +- 15.7 |" "$work/out" || fail "table: $(cat "$work/out")"

# UPTO=N: a first pass stops each run at N (one that has N already is left alone); MAML
# adapts with the step size its run trained with
UPTO=100 run train hopper-params || fail "UPTO train: $(cat "$work/out")"
expect "train --config configs/hopper-params.ini --mode maml --seed 1 --iterations 100 --run-dir $r/hopper-params-maml"
expect "train --config configs/hopper-params.ini --mode oracle --iterations 100 --run-dir $r/hopper-params-oracle"
UPTO=100 run train hopper-params || fail "UPTO train again: $(cat "$work/out")"
grep -q "^train" "$STUB_LOG" && fail "UPTO trained runs that have their N iterations: $(cat "$STUB_LOG")"
STUB_ALPHA=0.05 run eval hopper-params || fail "eval hopper-params: $(cat "$work/out")"
grep -q -- "--policy maml=$r/hopper-params-maml@0.05 --policy pretrained" "$STUB_LOG" ||
  fail "eval: MAML's step size is not its run's: $(cat "$STUB_LOG")"

# a run another process trains (train's exit status 4) is left to it, the others go on;
# another failure stops the script
rm -rf "$r"
STUB_HELD=nav2d-maml run train nav2d || fail "train beside another: $(cat "$work/out")"
grep -q "nav2d-maml: trained by another process, left to it" "$work/out" || fail "message: $(cat "$work/out")"
[ -f "$r/nav2d-pretrain/latest.ckpt" ] && [ -f "$r/nav2d-oracle/latest.ckpt" ] ||
  fail "the free runs were not trained beside a held one: $(cat "$STUB_LOG")"
rm -rf "$r"
STUB_FAIL=nav2d-maml run train nav2d && fail "a failed run did not stop train"
grep -q "nav2d-pretrain" "$STUB_LOG" && fail "train went on after a failed run: $(cat "$STUB_LOG")"

# seeds and screen wait for a run that another process trains, then train it on and
# evaluate it
for cmd in "seeds nav2d 2" "screen nav2d 100 2"; do
  rm -rf "$r"
  mkdir -p "$r/nav2d-maml-s2"
  flock "$r/nav2d-maml-s2/.lock" sleep 2 &
  holder=$!
  sleep 0.5
  run $cmd || fail "$cmd beside another process: $(cat "$work/out")"
  kill -0 $holder 2> /dev/null && fail "$cmd did not wait for the process that trains its run"
  wait $holder
  grep -q "nav2d-maml-s2: trained by another process; waiting until it stops" "$work/out" ||
    fail "$cmd: the wait's message: $(cat "$work/out")"
  [ "$(grep -c "^train .*$r/nav2d-maml-s2" "$STUB_LOG")" -eq 2 ] ||
    fail "$cmd: not tried again after the wait: $(cat "$STUB_LOG")"
  grep -q "^eval .*nav2d-maml-s2" "$STUB_LOG" || fail "$cmd: no evaluation after the wait: $(cat "$STUB_LOG")"
done

run frobnicate && fail "an unknown command accepted"
grep -q "reproduce-paper.sh train" "$work/out" || fail "an unknown command does not print the usage"
run --help || fail "--help"
grep -q "seeds FAMILY SEED" "$work/out" || fail "--help: $(cat "$work/out")"
echo "reproduce: all checks passed"
