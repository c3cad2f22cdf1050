#!/usr/bin/env bash
# bench_accuracy on tiny nav2d batches: the reference against itself reads exactly 0 and the
# trainer's own step equals the benchmark's reference run (exit status 0, the sanity line);
# every backend's figures are finite, an f32 backend's gradient, CG direction and adapted
# parameters within a relative 1; bad input is refused with a message naming it.
# From a checkpoint, its policy and iteration are the start.
#   bench_accuracy.sh BENCH_ACCURACY_BINARY MAML_BINARY CONFIGS_DIR
bench=$1
maml=$2
configs=$3
source "$(dirname "$0")/common.sh"
cd "$work" || exit 1

args=(--env nav2d --tasks 2 --episodes 2 --horizon 20 --repeat 2 --threads 2)
"$bench" "${args[@]}" --csv acc.csv > out.txt 2> err.txt || fail "bench_accuracy failed: $(cat out.txt err.txt)"
grep -q '^sanity: openblas against itself exactly 0; the trainer.s step equals' out.txt ||
  fail "no clean sanity line: $(cat out.txt)"
grep -q 'repeat 2/2' err.txt || fail "no progress lines on stderr: $(cat err.txt)"
head -1 acc.csv | grep -q '^env,backend,reference,repeat,iteration,tasks,episodes,horizon,grad_rel,dir_rel,' ||
  fail "csv header: $(head -1 acc.csv)"
backends=$("$bench" --help | sed -n 's/.*--backend LIST .*names: \(.*\))$/\1/p')
[ -n "$backends" ] || fail "--help names no backends"
rows=$(($(wc -l < acc.csv) - 1))
available=$(grep '^matmul backends:' out.txt | sed 's/;.*//; s/^matmul backends://' | tr ',' '\n' | wc -l)
[ "$rows" -eq $((2 * available)) ] || fail "$rows csv rows for $available backends x 2 repeats"
# columns 9-16: the figures; the self rows exactly 0, all finite, the f32 ones below 1
awk -F, 'NR > 1 {
  for (i = 9; i <= 16; i++) {
    v = $i + 0
    # grad, dir, adapt, inner vary smoothly (the step ones jump with the line search)
    if ($i !~ /^[0-9.e+-]+$/ || v < 0) { print "not a finite figure: " $0; bad = 1 }
    if ($2 == $3 && $i != "0") { print "self-comparison not 0: " $0; bad = 1 }
    if ($2 ~ /f32|openblas/ && i <= 12 && v >= 1) { print "f32 figure >= 1: " $0; bad = 1 }
  }
  if ($2 == $3 && $17 != 1) { print "self line search differs: " $0; bad = 1 }
} END { exit bad }' acc.csv || fail "figures: $(cat acc.csv)"
self=$(grep -c '^nav2d,openblas,openblas,' acc.csv)
[ "$self" -eq 2 ] || fail "$self self-comparison rows, expected 2"

small=(--tasks 2 --episodes 2 --horizon 20)
"$maml" train --config "$configs/quick.ini" --iterations 2 "${small[@]}" --run-dir R > train.log 2>&1 ||
  fail "training the checkpoint: $(cat train.log)"
"$bench" --checkpoint R/latest.ckpt --repeat 1 "${small[@]}" > ck.txt 2> ck.err ||
  fail "bench_accuracy --checkpoint: $(cat ck.txt ck.err)"
grep -q 'nav2d repeat 1/1 (iteration 2)' ck.err || fail "the checkpoint's iteration not used: $(cat ck.err)"
grep -q '^sanity: openblas against itself exactly 0' ck.txt || fail "sanity from a checkpoint: $(cat ck.txt)"
out=$("$bench" --checkpoint R/none.ckpt 2>&1) && fail "a missing checkpoint accepted"
echo "$out" | grep -q "R/none.ckpt" || fail "message for a missing checkpoint: $out"

out=$("$bench" --env nav3d 2>&1) && fail "--env nav3d accepted"
echo "$out" | grep -q "unknown family 'nav3d'; allowed: .*nav2d" || fail "message for nav3d: $out"
out=$("$bench" --env nav2d --backend blas 2>&1) && fail "--backend blas accepted"
echo "$out" | grep -q "unknown backend 'blas'; allowed: openblas" || fail "message for blas: $out"
out=$("$bench" --reference openblas,openblas 2>&1) && fail "two references accepted"
echo "$out" | grep -q "takes one backend" || fail "message for two references: $out"
out=$("$bench" --env nav2d --config x.ini 2>&1) && fail "--env with --config accepted"
echo "$out" | grep -q "give one" || fail "message for --env with --config: $out"
out=$("$bench" --config missing.ini 2>&1) && fail "a missing config accepted"
echo "$out" | grep -q "missing.ini" || fail "message for a missing config: $out"
out=$("$bench" --repeat 0 2>&1) && fail "--repeat 0 accepted"
echo "$out" | grep -q "repeat" || fail "message for --repeat 0: $out"
echo "ok"
