#!/usr/bin/env bash
# Fresh support episodes per inner step from the command line: `maml train --inner-steps 2
# --inner-support fresh` trains, records inner_support = fresh in config.ini and the start
# line, samples one more support batch per task (metrics.jsonl's env_steps), resumes bit for
# bit, gives the same parameters with 2 threads as with 1, and differs from reuse (the
# default, the same as --inner-support reuse) after the same pre-update batch; bad values
# and fresh with one inner step stop with status 2; under mpirun (when this build and the
# machine have it) 2 ranks equal one process.
#   cli_inner_support.sh MAML_BINARY CONFIGS_DIR
maml=$1
configs=$2
source "$(dirname "$0")/common.sh"
cd "$work" || exit 1

args=(--config "$configs/quick.ini" --tasks 2 --episodes 2 --horizon 20 --threads 1)
# json_value FILE ROW KEY: the value of KEY in row ROW (1-based) of a metrics.jsonl
json_value() { sed -n "${2}p" "$1" | grep -o "\"$3\":[^,}]*" | cut -d: -f2; }

# ---- trains 2 iterations, recorded ---------------------------------------------------------
train --iterations 2 --inner-steps 2 --inner-support fresh --run-dir F > f.log 2>&1 ||
  fail "training: $(cat f.log)"
grep -qxF "inner_support = fresh" F/config.ini || fail "config.ini: $(cat F/config.ini)"
head -1 f.log | grep -qF ', fresh support per inner step, ' || fail "the start line: $(head -1 f.log)"
[ "$(iteration F/latest.ckpt)" = 2 ] || fail "F did not train 2 iterations"
"$maml" info F | grep -qx "  inner_support = fresh" || fail "maml info: $("$maml" info F)"
# 2 tasks x 2 episodes x 20 steps (nav2d's episodes run to the horizon): support, the second
# step's fresh support and query with fresh; support and query with reuse
for row in 1 2; do
  [ "$(json_value F/metrics.jsonl $row env_steps)" = 240 ] ||
    fail "env_steps of row $row with fresh: $(sed -n ${row}p F/metrics.jsonl)"
done

# ---- reuse: the default, and another run after the same first batch -----------------------
train --iterations 2 --inner-steps 2 --run-dir R > r.log 2>&1 || fail "reuse: $(cat r.log)"
grep -qxF "inner_support = reuse" R/config.ini || fail "config.ini: $(cat R/config.ini)"
head -1 r.log | grep -qF 'fresh' && fail "the start line of reuse: $(head -1 r.log)"
[ "$(json_value R/metrics.jsonl 1 env_steps)" = 160 ] ||
  fail "env_steps with reuse: $(head -1 R/metrics.jsonl)"
train --iterations 2 --inner-steps 2 --inner_support=REUSE --run-dir R2 > /dev/null 2>&1 ||
  fail "--inner_support=REUSE"
same_run R R2
[ "$(theta R/latest.ckpt)" != "$(theta F/latest.ckpt)" ] ||
  fail "fresh and reuse end with the same parameters"
# iteration 0: the same pre-update return (the theta^0 batch), another post-update one
r0=$(sed -n 2p R/metrics.csv) f0=$(sed -n 2p F/metrics.csv)
[ "$(echo "$r0" | cut -d, -f1-2)" = "$(echo "$f0" | cut -d, -f1-2)" ] ||
  fail "iteration 0's pre-update return differs: $r0 / $f0"
[ "$(echo "$r0" | cut -d, -f3)" != "$(echo "$f0" | cut -d, -f3)" ] ||
  fail "iteration 0's post-update return is reuse's: $r0 / $f0"

# ---- three inner steps, a config file, threads ------------------------------------------------
{ cat "$configs/quick.ini"; printf 'inner_steps = 3\ninner_support = fresh\n'; } > fresh.ini
"$maml" train --config fresh.ini --tasks 2 --episodes 2 --horizon 20 --threads 1 --iterations 2 \
  --run-dir K3 > k3.log 2>&1 || fail "inner_support in a config file: $(cat k3.log)"
[ "$(json_value K3/metrics.jsonl 1 env_steps)" = 320 ] ||
  fail "env_steps with 3 fresh steps: $(head -1 K3/metrics.jsonl)"
"$maml" train --config fresh.ini --tasks 2 --episodes 2 --horizon 20 --threads 2 --iterations 2 \
  --run-dir K3t > /dev/null 2>&1 || fail "2 threads"
same_run K3 K3t

# ---- interrupted and resumed: the same run ----------------------------------------------------
train --iterations 1 --inner-steps 2 --inner-support fresh --run-dir S > /dev/null 2>&1 || fail "S"
"$maml" train --resume S --iterations 2 > s.log 2>&1 || fail "resume: $(cat s.log)"
same_run F S
refused_on_resume S 3 inner-support reuse
[ "$(iteration S/latest.ckpt)" = 2 ] || fail "a refused resume changed S"

# ---- the default run directory names it ------------------------------------------------------
train --iterations 1 --inner-steps 2 --inner-support fresh > d.log 2>&1 ||
  fail "default run dir: $(cat d.log)"
ls -d runs/nav2d-fresh-* > /dev/null 2>&1 || fail "no runs/nav2d-fresh-* directory: $(ls runs)"

# ---- refused -----------------------------------------------------------------------------------
refused "'frsh' is not an inner support mode (did you mean 'fresh'?): expected reuse or fresh" \
  --iterations 1 --inner-steps 2 --inner-support frsh
refused "inner_support: fresh with inner_steps = 1" --iterations 1 --inner-support fresh
"$maml" train --help | grep -q "^  inner_support  *reuse|fresh" || fail "train --help lacks the key"

# ---- mpirun: 2 ranks equal one process (3 tasks: an uneven split) ----------------------------
if command -v mpirun > /dev/null && "$maml" version | grep -q "^MPI: built in"; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  command -v ssh > /dev/null || command -v rsh > /dev/null || export OMPI_MCA_plm_rsh_agent=
  mpi=(env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" mpirun --oversubscribe -np 2)
  m=(--config "$configs/quick.ini" --tasks 3 --episodes 2 --horizon 20 --inner-steps 2
    --inner-support fresh --iterations 2)
  "$maml" train "${m[@]}" --run-dir M1 > m1.log 2>&1 || fail "one process: $(cat m1.log)"
  "${mpi[@]}" "$maml" train "${m[@]}" --run-dir M2 > m2.log 2>&1 || fail "mpirun: $(cat m2.log)"
  grep -q "2 MPI ranks" m2.log || fail "the run does not say it uses 2 ranks: $(cat m2.log)"
  same_run M1 M2
else
  echo "mpirun or MPI not available: the MPI part is skipped"
fi
echo "PASS"
