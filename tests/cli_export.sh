#!/usr/bin/env bash
# `maml export` end to end: both formats, read by examples/python/mean_action.py, give the
# mean action the library computes (tests/mean_action.c) to 1e-6, for relu and tanh, a
# linear policy and an oracle; the npy arrays equal the JSON numbers bit for bit; the
# layout table, the worked example and the od walk of docs/checkpoint-format.md match real
# checkpoints; a bad format name, a missing, truncated or foreign checkpoint and a missing
# output folder are refused with messages naming them, leaving an earlier export as it was.
# The Python parts skip, saying so, without python3 and numpy (scripts/install-deps.sh
# installs python3-numpy).
#   cli_export.sh MAML_BINARY MEAN_ACTION_BINARY SOURCE_DIR
maml=$1
mean_action=$2
src=$3
source "$(dirname "$0")/common.sh"
failed=0
check() { echo "FAIL: $*"; failed=$((failed + 1)); }
doc=$src/docs/checkpoint-format.md
reader=$src/examples/python/mean_action.py

cd "$work" || exit 1
train() { # DIR, options: a tiny run
  local dir=$1
  shift
  "$maml" train --iterations 2 --tasks 2 --episodes 2 --horizon 20 --threads 1 --run-dir "$dir" \
    "$@" > "$dir.log" 2>&1 || fail "training $dir: $(cat "$dir.log")"
}
train relu --env cheetah-vel --hidden 16,16
train tanh --env nav2d --hidden 8,5,3 --activation tanh
train linear --env nav2d --hidden none --mode pretrain
train oracle --env nav2d --hidden 6 --mode oracle
train family --env "$src/configs/families/reacher-goal.ini" --hidden 4 --horizon 10

# 1. the command: help, usage list, the files written
"$maml" export --help | grep -q 'learned_step_sizes' || check "export --help names no learned_step_sizes"
"$maml" help | grep -q '^  export ' || check "maml help does not list export"
out=$("$maml" export relu --out relu.json 2>&1) || check "export json: $out"
echo "$out" | grep -q "wrote relu.json .* from relu/best.ckpt" || check "export's line: $out"
out=$("$maml" export relu --format npy --out relu-npy 2>&1) || check "export npy: $out"
for f in meta.json log_std.npy layer0_weight.npy layer0_bias.npy layer2_weight.npy layer2_bias.npy; do
  [ -f "relu-npy/$f" ] || check "npy: no $f in $(ls relu-npy)"
done
[ -e relu-npy/layer3_weight.npy ] && check "npy: a fourth layer for a 16,16 network"
"$maml" export relu/latest.ckpt --out relu-latest.json > /dev/null || check "export latest.ckpt"
for m in tanh linear oracle; do
  "$maml" export "$m/latest.ckpt" --out "$m.json" > /dev/null 2>&1 || check "export $m json"
  "$maml" export "$m/latest.ckpt" --format npy --out "$m-npy" > /dev/null 2>&1 ||
    check "export $m npy"
done
grep -q '"task_size": 1,' relu.json || check "relu.json: cheetah-vel's task size is not 1"
grep -q '"inner_step_size": 0.1,' relu.json || check "relu.json: no inner step size 0.1"
grep -q '"learned_step_sizes": null,' relu.json || check "relu.json: learned_step_sizes not null"
grep -q '"iteration": 2,' relu-latest.json || check "relu-latest.json: not iteration 2"
grep -q '"task_size": 2,' oracle.json || check "oracle.json: nav2d's task size is not 2"
grep -q '"oracle": true,' oracle.json || check "oracle.json: not an oracle"
grep -q '"obs_size": 4,' oracle.json || check "oracle.json: obs_size is not 2 + 2"
grep -q '"mode": "pretrain",' linear.json || check "linear.json: not pretrain mode"
grep -q '"inner_step_size": null,' linear.json || check "linear.json: a step size outside maml mode"
grep -q '"hidden": \[\],' linear.json || check "linear.json: hidden not []"
grep -q '"activation": "tanh",' tanh.json || check "tanh.json: not tanh"
"$maml" export family --out family.json > /dev/null 2>&1 || check "export a family file's run"
grep -qF "\"family_file\": \"$src/configs/families/reacher-goal.ini\"," family.json ||
  check "family.json: no family_file: $(head -12 family.json)"
grep -q '"task_size": 2,' family.json || check "family.json: reacher-goal's task size is not 2"
ls -a ./*-npy | grep -q '\.tmp\.' && check "temporary files left: $(ls -a ./*-npy)"

# 2. refused: the messages name the value or the path; nothing is written over an export
cp relu.json keep.json
out=$("$maml" export relu --format xml --out relu.json 2>&1)
rc=$?
[ "$rc" -eq 2 ] || check "--format xml: exit $rc"
echo "$out" | grep -q "unknown format 'xml'; allowed: json, npy" || check "--format xml: $out"
out=$("$maml" export no-such.ckpt --out relu.json 2>&1)
rc=$?
[ "$rc" -eq 1 ] || check "a missing checkpoint: exit $rc"
echo "$out" | grep -q "no-such.ckpt: cannot open: No such file" || check "a missing checkpoint: $out"
head -c 200 relu/latest.ckpt > cut.ckpt
out=$("$maml" export cut.ckpt --out relu.json 2>&1)
rc=$?
[ "$rc" -eq 1 ] || check "a truncated checkpoint: exit $rc"
echo "$out" | grep -q "cut.ckpt: truncated" || check "a truncated checkpoint: $out"
out=$("$maml" export cut.ckpt --format npy --out cut-npy 2>&1) && check "npy of a truncated checkpoint: $out"
[ -e cut-npy ] && check "a folder made for a truncated checkpoint"
echo "[train]" > foreign.ckpt
out=$("$maml" export foreign.ckpt --out relu.json 2>&1) && check "a foreign file exported"
echo "$out" | grep -q "foreign.ckpt: not a maml checkpoint" || check "a foreign file: $out"
cmp -s keep.json relu.json || check "a refused export changed relu.json"
out=$("$maml" export relu --out missing/p.json 2>&1)
rc=$?
[ "$rc" -eq 1 ] || check "--out into a missing folder: exit $rc"
echo "$out" | grep -q "missing/p.json: the folder missing does not exist" ||
  check "--out into a missing folder: $out"
out=$("$maml" export relu --format npy --out missing/p 2>&1) && check "npy into a missing folder"
echo "$out" | grep -q "the folder missing does not exist" || check "npy into a missing folder: $out"
[ -e missing ] && check "a missing folder was made"
out=$("$maml" export relu --out relu-npy 2>&1)
rc=$?
[ "$rc" -eq 2 ] || check "json --out FOLDER: exit $rc"
echo "$out" | grep -q "relu-npy is a folder" || check "json --out FOLDER: $out"
out=$("$maml" export relu --format npy --out relu.json 2>&1) && check "npy --out FILE: $out"
echo "$out" | grep -q "relu.json exists and is not a folder" || check "npy --out FILE: $out"
out=$("$maml" export relu --frmat json 2>&1)
[ $? -eq 2 ] && echo "$out" | grep -q "unknown option '--frmat'" || check "an unknown option: $out"
# a shallower network exported into a deeper one's folder leaves none of its layers
cp -r tanh-npy reuse
"$maml" export oracle --format npy --out reuse > /dev/null || check "export into a used folder"
[ -e reuse/layer2_weight.npy ] || [ -e reuse/layer3_bias.npy ] &&
  check "a deeper network's layers left: $(ls reuse)"
[ -e reuse/layer1_weight.npy ] || check "reuse: no layer1_weight.npy"

# 3. the worked example and the od walk of the doc
"$maml" train --env nav2d --iterations 1 --tasks 2 --episodes 2 --horizon 5 --hidden 2 \
  --threads 1 --run-dir tiny > tiny.log 2>&1 || fail "training tiny: $(cat tiny.log)"
if command -v xxd > /dev/null; then
  sed -n '/<!-- worked-example -->/,/<!-- end worked-example -->/p' "$doc" | grep '^0000' > doc.xxd
  [ -s doc.xxd ] || check "no worked example in $doc"
  xxd -l 61 tiny/latest.ckpt > tiny.xxd
  cmp -s doc.xxd tiny.xxd || check "the worked example differs: $(diff doc.xxd tiny.xxd)"
else
  echo "skip: no xxd here, the worked example is not compared (install xxd)"
fi
sed -n '/<!-- od-walk -->/,/<!-- end od-walk -->/p' "$doc" | sed '1,2d;$d' | sed '$d' > walk.sh
for ckpt in tiny/latest.ckpt relu/latest.ckpt tanh/best.ckpt linear/latest.ckpt; do
  line=$(ckpt=$ckpt bash walk.sh 2>&1)
  n=$("$maml" info "$ckpt" | sed -n 's/.*, \([0-9]*\) parameters/\1/p')
  size=$(stat -c %s "$ckpt")
  [ "$line" = "n_params $n theta_at $((size - 4 - 8 * n)) crc_at $((size - 4)) size $size" ] ||
    check "the doc's od walk of $ckpt says '$line' ($n parameters, $size bytes)"
done

# 4. Python: the doc's layout read by hand, and the reader's mean action against the C one
py=
for p in python3 /usr/bin/python3; do
  if command -v "$p" > /dev/null && "$p" -c 'import numpy' 2> /dev/null; then
    py=$p
    break
  fi
done
if [ -z "$py" ]; then
  echo "skip: no python3 with numpy here, the Python checks are not run (install python3-numpy)"
  [ "$failed" -eq 0 ] || fail "$failed checks failed"
  echo "ok (Python checks skipped)"
  exit 0
fi
for pair in relu/best.ckpt:relu.json relu/latest.ckpt:relu-latest.json \
  tanh/latest.ckpt:tanh.json linear/latest.ckpt:linear.json oracle/latest.ckpt:oracle.json \
  family/best.ckpt:family.json; do
  out=$("$py" "$src/tests/checkpoint_doc.py" "$doc" "${pair%%:*}" "${pair#*:}" 2>&1) ||
    check "the doc's layout: $out"
done
# the npy arrays are the JSON's numbers, bit for bit
out=$("$py" - relu.json relu-npy tanh.json tanh-npy <<'EOF' 2>&1
import json, sys
import numpy as np
args = sys.argv[1:]
for js, folder in zip(args[::2], args[1::2]):
    e = json.load(open(js))
    m = json.load(open(folder + "/meta.json"))
    for layer, meta in zip(e["layers"], m["layers"]):
        for part in ("weight", "bias"):
            a = np.load(folder + "/" + meta[part], allow_pickle=False)
            b = np.array(layer[part], dtype=np.float64)
            assert a.dtype == np.dtype("<f8") and a.flags.c_contiguous, (js, part, a.dtype)
            assert a.shape == b.shape and np.array_equal(a, b), (js, layer["name"], part)
    assert np.array_equal(np.load(folder + "/log_std.npy"), np.array(e["log_std"]))
    del e["layers"], e["log_std"], m["layers"], m["log_std"]
    assert e == m, (js, e, m)
print("npy = json")
EOF
) || check "npy and json differ: $out"
# observations of numbers a float holds exactly, so both sides see the same input
observation() { # SIZE
  local i x=
  for ((i = 0; i < $1; i++)); do x="$x${x:+,}$(((i * 5) % 9 - 4)).375"; done
  echo "$x"
}
worst=0
for pair in relu/best.ckpt:relu relu/latest.ckpt:relu-latest tanh/latest.ckpt:tanh \
  linear/latest.ckpt:linear oracle/latest.ckpt:oracle family/best.ckpt:family; do
  ckpt=${pair%%:*} name=${pair#*:}
  size=$(grep -o '"obs_size": [0-9]*' "$name.json" | grep -o '[0-9]*$')
  obs=$(observation "$size")
  "$mean_action" "$ckpt" "$obs" > "$name.c" 2>&1 || check "mean_action $ckpt: $(cat "$name.c")"
  "$py" "$reader" "$name.json" "$obs" > "$name.py-json" 2> /dev/null ||
    check "mean_action.py $name.json failed"
  [ -d "$name-npy" ] || "$maml" export "$ckpt" --format npy --out "$name-npy" > /dev/null
  "$py" "$reader" "$name-npy" "$obs" > "$name.py-npy" 2> /dev/null ||
    check "mean_action.py $name-npy failed"
  for f in json npy; do
    d=$(paste "$name.c" "$name.py-$f" | awk '
      { e = $1 - $2; if (e < 0) e = -e; m = $1 < 0 ? -$1 : $1; if (m < 1) m = 1
        if (e / m > worst) worst = e / m; n++ }
      END { if (n == 0) print "none"; else printf "%.3g\n", worst }')
    lines=$(wc -l < "$name.c")
    [ "$(wc -l < "$name.py-$f")" = "$lines" ] && [ "$lines" -ge 1 ] ||
      check "$name ($f): $lines C numbers, $(wc -l < "$name.py-$f") Python ones"
    awk -v d="$d" 'BEGIN { exit !(d != "none" && d <= 1e-6) }' ||
      check "$name ($f): Python's mean action differs from the C one by $d (limit 1e-6):
$(paste "$name.c" "$name.py-$f")"
    worst=$(awk -v a="$worst" -v b="$d" 'BEGIN { print (b != "none" && b > a) ? b : a }')
  done
done
echo "largest difference between the C and Python mean actions: $worst (relative, over 1)"
# the reader refuses a bad observation and a file that is not an export
out=$("$py" "$reader" relu.json 1,2 2>&1) && check "mean_action.py took 2 numbers for 20"
echo "$out" | grep -q "expected 20 comma-separated numbers" || check "mean_action.py: $out"
out=$("$py" "$reader" relu/config.ini 2>&1) && check "mean_action.py read a config as an export"
echo "$out" | grep -q "relu/config.ini" || check "mean_action.py's error names no file: $out"

[ "$failed" -eq 0 ] || fail "$failed checks failed"
echo "ok"
