#!/usr/bin/env bash
# How an oracle run sees its task (oracle_obs): a new hopper-params oracle run records
# "scaled" (maml info says so), --oracle-obs raw records raw and trains otherwise; a run
# whose config predates the key (its line taken out of the checkpoints and config.ini, as an
# older program wrote them) evaluates exactly as the raw run (alone, and in a group with a
# scaled one) and resumes as it, bit for bit; `maml export` gives the factor; a MAML run's config has no such line; a bad value is
# refused naming the allowed ones.
#   cli_oracle_obs.sh MAML_BINARY
maml=$1
source "$(dirname "$0")/common.sh"
cd "$work" || exit 1

args=(--env hopper-params --mode oracle --tasks 2 --episodes 2 --horizon 20 --hidden 16,16
  --threads 1 --iterations 2)
quiet_train() { # status 3 (no update applied on such tiny batches) counts as trained
  train "$@" > train.log 2>&1
  local rc=$?
  [ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || fail "train $*: status $rc: $(cat train.log)"
}
quiet_train --run-dir S
has_line S/config.ini "oracle_obs = scaled"
"$maml" info S | grep -q "^oracle obs   scaled" || fail "info: $("$maml" info S)"
quiet_train --oracle-obs raw --run-dir R
has_line R/config.ini "oracle_obs = raw"
cmp -s <(cut -d, -f2 S/metrics.csv) <(cut -d, -f2 R/metrics.csv) &&
  fail "scaled and raw oracles trained alike: $(cat S/metrics.csv R/metrics.csv)"

# L: R as an older program wrote it, without the key
cp -r R L
rm -f L/.lock
python3 - L/latest.ckpt L/best.ckpt << 'PY' || fail "could not rewrite the checkpoints"
import struct, sys, zlib
for path in sys.argv[1:]:
    d = bytearray(open(path, "rb").read())
    e = struct.unpack_from("<I", d, 12)[0]
    h = struct.unpack_from("<I", d, 28 + e)[0]
    at = 84 + e + 4 * h
    n = struct.unpack_from("<Q", d, at)[0]
    text = bytes(d[at + 8:at + 8 + n])
    new = text.replace(b"oracle_obs = raw\n", b"")
    assert new != text, "no oracle_obs line"
    d[at:at + 8 + n] = struct.pack("<Q", len(new)) + new
    d[-4:] = struct.pack("<I", zlib.crc32(bytes(d[:-4])))
    open(path, "wb").write(bytes(d))
PY
sed -i '/^oracle_obs = /d' L/config.ini
"$maml" info L | grep -q "^oracle obs   raw" || fail "an older run is not read as raw: $("$maml" info L)"
"$maml" info L | grep -q "oracle_obs" && fail "the rewritten checkpoint still has the key"

# the same parameters evaluated: L as R, and otherwise than with the scaled view
"$maml" eval --policy r=R --policy l=L --goals 2 --episodes 2 --seed 3 --out E > eval.log 2>&1 ||
  fail "eval: $(cat eval.log)"
r=$(grep "^r " eval.log | awk '{ print $3 }')
l=$(grep "^l " eval.log | awk '{ print $3 }')
[ -n "$r" ] && [ "$r" = "$l" ] || fail "an older run evaluated otherwise than raw: $(cat eval.log)"

# a group holding both kinds evaluates each run as it was trained
"$maml" eval --policy s=S --policy l=L --group o=S,L --goals 2 --episodes 2 --seed 3 --out G \
  > group.log 2>&1 || fail "group eval: $(cat group.log)"
score() { sed -n "s/^  $1: step 0: \([^ ]*\) done$/\1/p" group.log; }
[ -n "$(score s)" ] && [ "$(score s)" = "$(score "o run 1 of 2")" ] &&
  [ "$(score l)" = "$(score "o run 2 of 2")" ] && [ "$(score s)" != "$(score l)" ] ||
  fail "a mixed oracle group: $(cat group.log)"

# resumed, L goes on as R (raw) does, bit for bit, and now records the key
"$maml" train --resume R --iterations 3 > r.log 2>&1 || [ $? -eq 3 ] || fail "resume R: $(cat r.log)"
"$maml" train --resume L --iterations 3 > l.log 2>&1 || [ $? -eq 3 ] || fail "resume L: $(cat l.log)"
same_run R L
"$maml" info L | grep -q "^  oracle_obs = raw" || fail "resumed, the key is not recorded"

# maml export tells other programs the factor: 1 / (3 sqrt(41)) scaled, 1 raw, null otherwise
"$maml" export S --out s.json > /dev/null && "$maml" export L --out l.json > /dev/null ||
  fail "export"
grep -q '"oracle_task_scale": 0.0520579' s.json || fail "s.json: $(grep oracle s.json)"
grep -q '"oracle_task_scale": 1,' l.json || fail "l.json: $(grep oracle l.json)"

# a MAML run has no oracle_obs line; bad values are refused
train --env hopper-params --mode maml --tasks 2 --episodes 2 --horizon 20 --hidden 16,16 \
  --threads 1 --iterations 1 --run-dir M > m.log 2>&1 || [ $? -eq 3 ] || fail "maml run: $(cat m.log)"
grep -q "oracle_obs" M/config.ini && fail "a MAML run's config names oracle_obs: $(cat M/config.ini)"
"$maml" export M --out m.json > /dev/null && grep -q '"oracle_task_scale": null,' m.json ||
  fail "m.json: $(grep oracle m.json)"
refused "oracle_obs: 'scaeld' is not an oracle observation (did you mean 'scaled'?): expected scaled or raw" \
  --oracle-obs scaeld
"$maml" train --help | grep -q "oracle_obs" || fail "train --help does not list oracle_obs"
echo "ok"
