#!/usr/bin/env bash
# The tests and the command under valgrind's memcheck: no invalid read or write, no use of
# uninitialised memory, no definite leak. Criterion runs each test in a child process, so
# valgrind follows children (not gnuplot, which draws the plots) and writes one log per
# process; any non-empty log fails.
#   valgrind.sh BUILD_DIR CONFIGS_DIR [TEST_NAME...]
# (default: every unit test except the slow finite-difference and training ones, then the
# command end to end: train, resume, eval, info, bad input).
build=$1
configs=$2
shift 2
tests=${*:-rng policy episodes baseline cg pool envs sampler config checkpoint eval}
maml=$build/maml
source "$(dirname "$0")/common.sh"
vg() {
  valgrind --quiet --trace-children=yes --trace-children-skip="*/sh,*gnuplot*,*xvfb*" --leak-check=full --errors-for-leak-kinds=definite \
    --show-leak-kinds=definite --log-file="$work/vg.%p.log" "$@"
}
check_logs() { # what: fail with the logs if valgrind said anything
  local bad
  bad=$(find "$work" -name 'vg.*.log' -size +0)
  if [ -n "$bad" ]; then
    cat $bad | head -n 80
    fail "valgrind found errors in $1"
  fi
  rm -f "$work"/vg.*.log
}

for t in $tests; do
  echo "valgrind: test_$t"
  vg "$build/tests/test_$t" --jobs 1 > "$work/out.log" 2>&1 || { cat "$work/out.log"; fail "test_$t failed"; }
  check_logs "test_$t"
done

echo "valgrind: maml train, resume, eval, info, bad input"
vg "$maml" train --config "$configs/quick.ini" --iterations 2 --tasks 2 --episodes 2 --hidden 8 \
  --run-dir "$work/run" > /dev/null || fail "train failed"
vg "$maml" train --resume "$work/run" --iterations 3 > /dev/null || fail "resume failed"
vg "$maml" train --env cheetah-dir --iterations 1 --tasks 2 --episodes 2 --horizon 20 \
  --hidden 8 --run-dir "$work/cheetah" > /dev/null || fail "cheetah train failed"
vg "$maml" eval --policy "maml=$work/run" --policy random --goals 2 --episodes 2 --steps 1 \
  --out "$work/eval" > /dev/null || fail "eval failed"
vg "$maml" info "$work/run" > /dev/null || fail "info failed"
head -c 100 "$work/run/latest.ckpt" > "$work/cut.ckpt"
vg "$maml" info "$work/cut.ckpt" > /dev/null 2>&1 && fail "a truncated checkpoint was accepted"
printf '[train]\nenv = nav2d\nmax_kl = -1\n' > "$work/bad.ini"
vg "$maml" train --config "$work/bad.ini" --run-dir "$work/bad" > /dev/null 2>&1 &&
  fail "a bad config was accepted"
check_logs "the maml command"
echo ok
