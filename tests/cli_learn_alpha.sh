#!/usr/bin/env bash
# Learned inner step sizes from the command line (`maml train --learn-alpha param|layer`):
# config.ini, the start of the step sizes at alpha and their move after training, the
# checkpoint (format version 3: `maml info`, `maml export` json and npy), metrics.jsonl's
# summary, eval adapting with them (an @ALPHA replaces them), resume bit for bit (TRPO, and
# ProMP with LVC, whose Adam state sits beside them), 2 MPI ranks equal to one process
# when mpirun is there, the default (no) unchanged, bad values and a change on resume
# refused.
#   cli_learn_alpha.sh MAML_BINARY CONFIGS_DIR
maml=$1
configs=$2
source "$(dirname "$0")/common.sh"
cd "$work" || exit 1

args=(--config "$configs/quick.ini" --tasks 2 --episodes 2 --horizon 20 --threads 1)
# the JSON export's parameters and step sizes (what a resume must reproduce), and a field
exported() { "$maml" export "$1" --out "$work/x.json" > /dev/null || fail "export $1"; python3 -c '
import json, sys
e = json.load(open(sys.argv[1]))
print(json.dumps([e["layers"], e["log_std"], e["learned_step_sizes"], e["iteration"]]))' "$work/x.json"; }
field() { python3 -c 'import json, sys; e = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
same_state() { # parameters, step sizes and the metrics but their timing columns
  [ "$(exported "$1/latest.ckpt")" = "$(exported "$2/latest.ckpt")" ] ||
    fail "$1 and $2 end with different parameters or step sizes"
  cmp -s <(cut -d, -f1-16 "$1/metrics.csv") <(cut -d, -f1-16 "$2/metrics.csv") ||
    fail "$1 and $2 have different metrics"
  cmp -s <(grep -o '"step_size":{[^}]*}' "$1/metrics.jsonl") \
    <(grep -o '"step_size":{[^}]*}' "$2/metrics.jsonl") || fail "$1 and $2: other step sizes"
}

# ---- layer mode: 2 iterations, recorded everywhere --------------------------------------
train --iterations 2 --learn-alpha layer --run-dir L > l.log 2>&1 || fail "training: $(cat l.log)"
has_line L/config.ini "learn_alpha = layer"
head -1 l.log | grep -q ', outer trpo, learned step sizes (layer), ' || fail "the start line: $(head -1 l.log)"
"$maml" info L > info.log 2>&1 || fail "maml info L: $(cat info.log)"
grep -q '(format version 3)' info.log || fail "not a version-3 checkpoint: $(head -1 info.log)"
grep -qx "learn alpha  layer (learned inner step sizes, from alpha = 0.1)" info.log ||
  fail "maml info has no learn alpha line: $(cat info.log)"
grep -q "^step sizes   7 learned: min " info.log || fail "maml info's step sizes: $(cat info.log)"
"$maml" export L/latest.ckpt --out l.json > /dev/null || fail "export L"
[ "$(field l.json 'e["learned_step_sizes"]["layout"], e["learned_step_sizes"]["count"], e["checkpoint_version"]')" = "('layer', 7, 3)" ] ||
  fail "export's learned_step_sizes: $(field l.json 'e["learned_step_sizes"]')"
# 2-32-32-2: W_0, b_0, W_1, b_1, W_2, b_2, log_std; they started at alpha (as a float) and moved
moved=$(field l.json 'sum(abs(a - 0.1) > 1e-6 for a in e["learned_step_sizes"]["values"])')
[ "$moved" -ge 1 ] || fail "no step size moved from alpha: $(field l.json 'e["learned_step_sizes"]')"
grep -c '"step_size":{"count":7,' L/metrics.jsonl | grep -qx 2 || fail "metrics.jsonl: $(cat L/metrics.jsonl)"
# info's spread is the export's values'
lo=$(field l.json '"%.6g" % min(e["learned_step_sizes"]["values"])')
hi=$(field l.json '"%.6g" % max(e["learned_step_sizes"]["values"])')
grep -q "^step sizes   7 learned: min $lo, median [^,]*, max $hi " info.log ||
  fail "info's min/max are not the export's ($lo, $hi): $(grep '^step sizes' info.log)"
# the last metrics row's summary is the checkpoint's
last=$(tail -1 L/metrics.jsonl | grep -o '"min":[^,]*' | cut -d: -f2)
python3 -c "import sys; sys.exit(abs($last - $(field l.json 'min(e["learned_step_sizes"]["values"])')) > 1e-6)" ||
  fail "metrics.jsonl's last min $last is not the checkpoint's"
# npy: step_sizes.npy beside meta.json, and gone again after a run without them
"$maml" export L/latest.ckpt --format npy --out np > /dev/null || fail "export npy"
[ -s np/step_sizes.npy ] || fail "no step_sizes.npy: $(ls np)"
grep -q '"values": "step_sizes.npy"' np/meta.json || fail "meta.json: $(cat np/meta.json)"
[ "$(head -c 6 np/step_sizes.npy | tail -c 5)" = "NUMPY" ] || fail "step_sizes.npy is no .npy file"
[ $(stat -c %s np/step_sizes.npy) -eq $((128 + 7 * 8)) ] || fail "step_sizes.npy holds not 7 doubles"

# ---- param mode: one per parameter ----------------------------------------------------------
train --iterations 2 --learn_alpha=PARAM --run-dir P > p.log 2>&1 || fail "param: $(cat p.log)"
has_line P/config.ini "learn_alpha = param"
"$maml" export P/latest.ckpt --out p.json > /dev/null || fail "export P"
[ "$(field p.json 'e["learned_step_sizes"]["count"] == e["n_params"]')" = True ] ||
  fail "param mode: not one step size per parameter"

# ---- eval adapts with them; @ALPHA replaces them; step 0 is the policy as it is ----------------
"$maml" eval --policy own=L/latest.ckpt --policy fixed=L/latest.ckpt@0.1 --goals 2 --episodes 2 \
  --steps 2 --threads 1 --out E > e.log 2>&1 || fail "maml eval: $(cat e.log)"
grep -q "own (its learned step sizes):" e.log || fail "eval does not say it uses them: $(cat e.log)"
row() { awk -F, -v p="$1" -v s="$2" '$1 == p && $3 == s { print $4 }' E/eval.csv; }
[ "$(row own 0)" = "$(row fixed 0)" ] || fail "step 0 differs: $(cat E/eval.csv)"
[ "$(row own 1)" != "$(row fixed 1)" ] || fail "the learned step sizes change nothing: $(cat E/eval.csv)"
alpha_of() { awk -F, -v p="$1" '$1 == p && $3 == 0 { print $2 }' E/eval.csv; }
[ "$(alpha_of own)" = learned ] && [ "$(alpha_of fixed)" = 0.1 ] ||
  fail "eval.csv's alpha column: $(cat E/eval.csv)"
[ "$(field E/eval.json "[p['learned_step_sizes'] for p in e['policies']]")" = "[True, False]" ] ||
  fail "eval.json does not mark the learned step sizes: $(cat E/eval.json)"
"$maml" eval --help | grep -q "a_j/2" || fail "eval --help does not describe the learned steps"

# ---- resume bit for bit ----------------------------------------------------------------------
train --iterations 1 --learn-alpha layer --run-dir S > /dev/null 2>&1 || fail "S"
"$maml" train --resume S --iterations 2 > s.log 2>&1 || fail "resume: $(cat s.log)"
same_state L S
refused_on_resume S 3 learn-alpha param
# ProMP with LVC: Adam's state over phi = [theta; a] and the step sizes in one checkpoint
promp=(--outer promp --inner-loss lvc --learn-alpha param --inner-steps 2)
train --iterations 2 "${promp[@]}" --run-dir Q > q.log 2>&1 || fail "promp: $(cat q.log)"
"$maml" info Q | grep -q "^outer state  $((1 + 2 * 2 * $(field p.json 'e["n_params"]'))) numbers" ||
  fail "ProMP's Adam state is not over theta and the step sizes: $("$maml" info Q)"
train --iterations 1 "${promp[@]}" --run-dir Q2 > /dev/null 2>&1 || fail "Q2"
"$maml" train --resume Q2 --iterations 2 > /dev/null 2>&1 || fail "resume Q2"
same_state Q Q2

# ---- two ranks: the same run, bit for bit ------------------------------------------------
if command -v mpirun > /dev/null; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  command -v ssh > /dev/null || command -v rsh > /dev/null || export OMPI_MCA_plm_rsh_agent=
  env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" mpirun --oversubscribe -np 2 \
    "$maml" train "${args[@]}" --iterations 2 --learn-alpha layer --run-dir M > m.log 2>&1 ||
    fail "mpirun: $(cat m.log)"
  same_state L M
fi

# ---- the default: no step sizes, the file as before --------------------------------------------
train --iterations 1 --run-dir D > /dev/null 2>&1 || fail "default"
has_line D/config.ini "learn_alpha = no"
"$maml" info D | grep -q '(format version 1)' || fail "a default run's checkpoint is not version 1"
"$maml" info D | grep -q '^step sizes' && fail "a default run has step sizes"
! grep -q step_size D/metrics.jsonl || fail "a default run's metrics.jsonl has step sizes"
"$maml" export D/latest.ckpt --format npy --out np > /dev/null || fail "export D"
[ ! -e np/step_sizes.npy ] || fail "an older export's step_sizes.npy stayed"

# ---- the default run directory names them ----------------------------------------------------
train --iterations 1 --learn-alpha layer > dd.log 2>&1 || fail "default run dir: $(cat dd.log)"
ls -d runs/*-alpha-layer-* > /dev/null 2>&1 || fail "no runs/*-alpha-layer-* directory: $(ls runs)"

# ---- bad values ------------------------------------------------------------------------------
refused "learn_alpha: 'params' is not a step-size mode (did you mean 'param'?): expected no, param or layer" \
  --iterations 1 --learn-alpha params
"$maml" train --help | grep -q "^  learn_alpha  *no|param|layer" || fail "train --help lacks learn_alpha"
exit 0
