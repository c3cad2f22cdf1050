#!/usr/bin/env bash
# bench_sampler on tiny batches: a row per family and thread count with finite rates, the
# first count's speed-up and cpu/step exactly 1, busy a share, --repeat's interleaved passes giving a range (least <=
# median <= greatest), and bad options refused (exit status 2) with a message naming them.
#   bench_sampler.sh BENCH_SAMPLER_BINARY
bench=$1
source "$(dirname "$0")/common.sh"
cd "$work" || exit 1

small=(--tasks 2 --episodes 2 --raw-steps 200 --threads 1,2)
"$bench" --env nav2d,hopper-params "${small[@]}" --repeat 3 > out.txt 2> err.txt ||
  fail "bench_sampler failed: $(cat out.txt err.txt)"
grep -q '3 interleaved passes per thread count' out.txt || fail "no repeat note: $(cat out.txt)"
rows=$(grep -cE '^(nav2d|hopper-params) +[12] ' out.txt)
[ "$rows" -eq 4 ] || fail "$rows rows, expected 4: $(cat out.txt)"
# the last four columns: speedup (median), its range, busy and cpu/step; the first count's
# ratios are 1, busy a positive share (no bound: on such tiny passes the CPU clock's
# granularity can read 200%; timings are not asserted)
awk '$1 ~ /^(nav2d|hopper-params)$/ {
  s = $(NF - 3); r = $(NF - 2); b = $(NF - 1); c = $NF
  sub(/x$/, "", s); sub(/x$/, "", r); sub(/%$/, "", b); split(r, lh, "-")
  if (b !~ /^[0-9]+$/ || b + 0 <= 0) { print "busy not a positive share: " $0; bad = 1 }
  if (c !~ /^[0-9.]+$/ || c + 0 <= 0 || ($2 == 1 && c != "1.00")) { print "cpu/step: " $0; bad = 1 }
  if (s !~ /^[0-9.]+$/ || lh[1] > s + 0 || s + 0 > lh[2]) { print "speedup outside its range: " $0; bad = 1 }
  if ($2 == 1 && (s != "1.00" || r != "1.00-1.00")) { print "first count not 1: " $0; bad = 1 }
  if ($4 !~ /^[0-9]+$/ || $4 + 0 <= 0) { print "no sampler rate: " $0; bad = 1 }
} END { exit bad }' out.txt || fail "figures: $(cat out.txt)"
grep -qE '^hopper-params +1 +[0-9]+ +[0-9]+ +[0-9]+% +[0-9]+%' out.txt ||
  fail "hopper row without the mj_step share: $(cat out.txt)"

"$bench" --env nav2d "${small[@]}" > one.txt 2>&1 || fail "without --repeat: $(cat one.txt)"
grep -qE '^nav2d +2 .* - +[0-9]+% +[0-9.]+$' one.txt || fail "a single pass should show no range: $(cat one.txt)"

for bad in "--repeat 0" "--repeat 65" "--repeat x" "--threads 0" "--tasks -1" "--frobnicate"; do
  # shellcheck disable=SC2086
  "$bench" --env nav2d $bad > msg.txt 2>&1
  rc=$?
  [ "$rc" -eq 2 ] || fail "'$bad': exit status $rc, expected 2: $(cat msg.txt)"
  opt=${bad%% *}
  grep -q -- "$opt" msg.txt || fail "'$bad': the message does not name $opt: $(cat msg.txt)"
done
"$bench" --help | grep -q -- '--repeat R' || fail "--help does not explain --repeat"
echo "ok"
