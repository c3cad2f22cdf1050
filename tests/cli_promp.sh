#!/usr/bin/env bash
# ProMP's outer step from the command line: `maml train --outer promp` trains, records outer
# and the promp_* keys in config.ini, the checkpoints (`maml info`) and the start line,
# keeps Adam's state in latest.ckpt (format version 2; TRPO's stay version 1), resumes bit
# for bit, gives the same parameters with 1 and 2 threads, refuses to change the keys on
# resume and refuses bad values with status 2, naming them; eval reads the run.
#   cli_promp.sh MAML_BINARY CONFIGS_DIR
maml=$1
configs=$2
source "$(dirname "$0")/common.sh"
cd "$work" || exit 1

args=(--config "$configs/quick.ini" --tasks 2 --episodes 2 --horizon 20 --threads 1)
promp=(--outer promp --inner-loss lvc)
state() { # the outer optimiser's state: the numbers between the parameters and the checksum
  local s
  s=$("$maml" info "$1" | sed -n 's/^outer state  *\([0-9]*\) numbers.*/\1/p')
  [ -n "$s" ] || fail "$1 holds no outer state: $("$maml" info "$1")"
  tail -c $((8 * s + 4)) "$1" | head -c $((8 * s)) | md5sum
}
column() { sed -n "$(($2 + 2))p" "$1/metrics.csv" | cut -d, -f"$3"; }

# ---- trains 3 iterations, recorded everywhere ---------------------------------------------
train --iterations 3 "${promp[@]}" --run-dir P > p.log 2>&1 || fail "training: $(cat p.log)"
for line in "outer = promp" "inner_loss = lvc" "promp_clip = 0.3" "promp_kl_coef = 0.0005" \
  "promp_steps = 5" "promp_lr = 0.001"; do
  has_line P/config.ini "$line"
done
"$maml" info P > info.log 2>&1 || fail "maml info P: $(cat info.log)"
grep -qx "outer step   promp" info.log || fail "maml info has no outer step line: $(cat info.log)"
grep -qx "  promp_steps = 5" info.log || fail "maml info's config: $(cat info.log)"
grep -q "^checkpoint .*(format version 2)$" info.log || fail "latest.ckpt: $(head -1 info.log)"
n=$("$maml" info P | sed -n 's/.*, \([0-9]*\) parameters/\1/p')
grep -qx "outer state  $((1 + 2 * n)) numbers .*" info.log ||
  fail "Adam's step count and moments are not in latest.ckpt: $(cat info.log)"
"$maml" info P/best.ckpt | grep -qx "  outer = promp" || fail "best.ckpt lacks outer"
head -1 p.log | grep -q ', inner loss lvc, outer promp, ' || fail "the start line: $(head -1 p.log)"
[ "$(iteration P/latest.ckpt)" = 3 ] || fail "P did not train 3 iterations"
# every iteration: 5 Adam steps (ls_tries, column 9), no CG (column 10), accepted
for i in 0 1 2; do
  [ "$(column P $i 9-11)" = "5,0,accepted" ] || fail "iteration $i: $(column P $i 1-12)"
done

# ---- the keys as flags and in a config file; another value is another run ------------------
{ cat "$configs/quick.ini"; printf 'outer = promp\ninner_loss = lvc\n'; } > promp.ini
"$maml" train --config promp.ini --tasks 2 --episodes 2 --horizon 20 --threads 1 \
  --iterations 3 --run-dir P2 > /dev/null 2>&1 || fail "outer in a config file"
same_run P P2
[ "$(state P/latest.ckpt)" = "$(state P2/latest.ckpt)" ] || fail "P and P2: other Adam states"
train --iterations 2 "${promp[@]}" --promp-clip 0.2 --promp_kl_coef=0.01 --promp-steps 3 \
  --promp-lr 0.002 --run-dir Q > q.log 2>&1 || fail "non-default ProMP keys: $(cat q.log)"
for line in "promp_clip = 0.2" "promp_kl_coef = 0.01" "promp_steps = 3" "promp_lr = 0.002"; do
  has_line Q/config.ini "$line"
done
[ "$(column Q 0 9)" = 3 ] || fail "promp_steps = 3 took $(column Q 0 9) steps"

# ---- TRPO stays the default, its checkpoints version 1, and ProMP moves theta otherwise -----
train --iterations 3 --inner-loss lvc --run-dir T > t.log 2>&1 || fail "TRPO: $(cat t.log)"
has_line T/config.ini "outer = trpo"
"$maml" info T | grep -q "^checkpoint .*(format version 1)$" || fail "TRPO's checkpoint version"
"$maml" info T | grep -q "^outer state" && fail "TRPO's checkpoint holds an outer state"
head -1 t.log | grep -q ', outer trpo, ' || fail "the start line: $(head -1 t.log)"
train --iterations 3 --inner-loss lvc --outer trpo --run-dir T2 > /dev/null 2>&1 || fail "T2"
same_run T T2
[ "$(theta T/latest.ckpt)" != "$(theta P/latest.ckpt)" ] || fail "ProMP and TRPO end the same"
# iteration 0: the same adaptation (returns) from the same theta, another update
[ "$(column T 0 1-4)" = "$(column P 0 1-4)" ] || fail "iteration 0 adapted differently"

# without an inner step (pretrain: the clipped surrogate of theta itself, no support KL)
train --iterations 1 --mode pretrain --outer promp --run-dir PR > pr.log 2>&1 ||
  fail "pretrain with ProMP: $(cat pr.log)"
head -1 pr.log | grep -q ', pretrain, outer promp, ' || fail "the start line: $(head -1 pr.log)"
[ "$(column PR 0 9-11)" = "5,0,accepted" ] || fail "pretrain's iteration 0: $(column PR 0 1-12)"

# ---- resume bit for bit (Adam's moments carried over), threads ------------------------------
train --iterations 2 "${promp[@]}" --run-dir S > /dev/null 2>&1 || fail "S"
"$maml" train --resume S --iterations 3 > s.log 2>&1 || fail "resume: $(cat s.log)"
same_run P S
[ "$(state P/latest.ckpt)" = "$(state S/latest.ckpt)" ] || fail "the resumed Adam state differs"
"$maml" train "${args[@]}" --threads 2 --iterations 3 "${promp[@]}" --run-dir W > w.log 2>&1 ||
  fail "2 threads: $(cat w.log)"
head -1 w.log | grep -q ', 2 threads, ' || fail "not 2 threads: $(head -1 w.log)"
same_run P W
for k in outer promp-clip promp-kl-coef promp-steps promp-lr; do
  v=0.1
  [ "$k" = outer ] && v=trpo
  [ "$k" = promp-steps ] && v=2
  refused_on_resume S 4 "$k" "$v"
done
[ "$(iteration S/latest.ckpt)" = 3 ] || fail "a refused resume changed S"

# ---- default run directory, bad values -------------------------------------------------------
train --iterations 1 "${promp[@]}" > d.log 2>&1 || fail "default run dir: $(cat d.log)"
ls -d runs/nav2d-lvc-promp-* > /dev/null 2>&1 || fail "no runs/nav2d-lvc-promp-*: $(ls runs)"
bad() { refused "$3" --iterations 1 "--$1" "$2"; } # FLAG VALUE MESSAGE
bad outer prom "outer: 'prom' is not an outer optimiser (did you mean 'promp'?): expected trpo or promp"
bad promp-clip 0 "promp_clip: '0' is out of range: expected a number > 0 and <= 1"
bad promp-kl-coef -1 "promp_kl_coef: '-1' is out of range"
bad promp-steps 0 "promp_steps: '0' is out of range: expected an integer in [1, 1000]"
bad promp-lr 2 "promp_lr: '2' is out of range"
"$maml" train --help | grep -q "^  outer  *trpo|promp$" || fail "--help lists no outer key"
"$maml" train --help | grep -q "^  promp_kl_coef " || fail "--help lists no promp_kl_coef"

# ---- eval reads the run -----------------------------------------------------------------------
"$maml" eval --policy promp=P --goals 2 --episodes 2 --steps 2 --threads 1 --out E > e.log 2>&1 ||
  fail "maml eval: $(cat e.log)"
[ -s E/eval.csv ] || fail "no eval.csv: $(ls E)"
echo "PASS"
