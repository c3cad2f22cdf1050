#!/usr/bin/env bash
# The LVC inner loss from the command line: `maml train --inner-loss lvc` trains, records
# inner_loss = lvc in config.ini, the checkpoints (`maml info`) and the start line, names
# its default run directory with -lvc, resumes bit for bit and refuses to change the key on
# resume; with one inner step it differs from REINFORCE (the meta-gradient does) while the
# default stays reinforce; a bad name stops with status 2, naming it and the names allowed;
# eval and view read the run.
#   cli_lvc.sh MAML_BINARY CONFIGS_DIR
maml=$1
configs=$2
source "$(dirname "$0")/common.sh"
cd "$work" || exit 1

args=(--config "$configs/quick.ini" --tasks 2 --episodes 2 --horizon 20 --threads 1)

# ---- trains 2 iterations, recorded everywhere ---------------------------------------------
train --iterations 2 --inner-loss lvc --run-dir L > l.log 2>&1 || fail "training: $(cat l.log)"
has_line L/config.ini "inner_loss = lvc"
"$maml" info L > info.log 2>&1 || fail "maml info L: $(cat info.log)"
grep -qx "  inner_loss = lvc" info.log || fail "maml info's config has no inner_loss: $(cat info.log)"
grep -qx "inner loss   lvc" info.log || fail "maml info has no inner loss line: $(cat info.log)"
"$maml" info L/best.ckpt | grep -qx "  inner_loss = lvc" || fail "best.ckpt lacks inner_loss"
head -1 l.log | grep -q ', inner loss lvc, ' || fail "the start line: $(head -1 l.log)"
[ "$(iteration L/latest.ckpt)" = 2 ] || fail "L did not train 2 iterations"
# the flag's other spellings and the config key are the same run
train --iterations 2 --inner_loss=LVC --run-dir L2 > /dev/null 2>&1 || fail "--inner_loss=LVC"
same_run L L2
{ cat "$configs/quick.ini"; echo "inner_loss = lvc"; } > lvc.ini
"$maml" train --config lvc.ini --tasks 2 --episodes 2 --horizon 20 --threads 1 --iterations 2 \
  --run-dir L3 > /dev/null 2>&1 || fail "inner_loss in a config file"
same_run L L3

# ---- the default is reinforce, and LVC moves theta otherwise -------------------------------
train --iterations 2 --run-dir R > r.log 2>&1 || fail "training reinforce: $(cat r.log)"
has_line R/config.ini "inner_loss = reinforce"
"$maml" info R | grep -qx "inner loss   reinforce" || fail "maml info R: $("$maml" info R)"
head -1 r.log | grep -q ', inner loss reinforce, ' || fail "the start line: $(head -1 r.log)"
train --iterations 2 --inner-loss reinforce --run-dir R2 > /dev/null 2>&1 || fail "reinforce"
same_run R R2
[ "$(theta R/latest.ckpt)" != "$(theta L/latest.ckpt)" ] ||
  fail "LVC and REINFORCE end with the same parameters"
# iteration 0: the same returns before and after adaptation (one inner step from the same
# theta: LVC's theta' is REINFORCE's), but another meta-gradient (grad_norm, column 12)
r0=$(sed -n 2p R/metrics.csv) l0=$(sed -n 2p L/metrics.csv)
[ "$(echo "$r0" | cut -d, -f1-3)" = "$(echo "$l0" | cut -d, -f1-3)" ] ||
  fail "iteration 0 adapted differently: $r0 / $l0"
[ "$(echo "$r0" | cut -d, -f12)" != "$(echo "$l0" | cut -d, -f12)" ] ||
  fail "iteration 0 has the same meta-gradient norm: $r0 / $l0"

# ---- default run directory, resume -----------------------------------------------------------
train --iterations 1 --inner-loss lvc > d.log 2>&1 || fail "default run dir: $(cat d.log)"
ls -d runs/nav2d-lvc-* > /dev/null 2>&1 || fail "no runs/nav2d-lvc-* directory: $(ls runs)"
train --iterations 1 --inner-loss lvc --run-dir S > /dev/null 2>&1 || fail "S"
"$maml" train --resume S --iterations 2 > s.log 2>&1 || fail "resume: $(cat s.log)"
same_run L S
refused_on_resume S 3 inner-loss reinforce
[ "$(iteration S/latest.ckpt)" = 2 ] || fail "a refused resume changed S"

# ---- bad names -----------------------------------------------------------------------------
refused "inner_loss: 'lvcc' is not an inner loss (did you mean 'lvc'?): expected reinforce or lvc" \
  --iterations 1 --inner-loss lvcc
printf 'env = nav2d\ninner_los = lvc\n' > typo.ini
"$maml" train --config typo.ini --run-dir B > out.log 2> err.log && fail "a key typo was taken"
grep -qF "unknown key 'inner_los' (did you mean 'inner_loss'?)" err.log ||
  fail "the key typo's message: $(cat err.log)"

# ---- eval reads the run (its steps are sampled with the parameters they adapt: the same
# ---- step as REINFORCE's) -------------------------------------------------------------------
"$maml" eval --policy lvc=L --goals 2 --episodes 2 --steps 2 --threads 1 --out E > e.log 2>&1 ||
  fail "maml eval: $(cat e.log)"
[ -s E/eval.csv ] || fail "no eval.csv: $(ls E)"
echo "PASS"
