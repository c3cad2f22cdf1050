#!/usr/bin/env bash
# The matmul backend from the command: $MAML_MATMUL chooses it and `maml version` names it;
# an unknown or unavailable one is refused before any work, naming it and the allowed
# ones; with oneDNN, a run on 1 and on 2 threads ends with the same bits.
#   cli_matmul.sh MAML_BINARY CONFIGS_DIR
maml=$1
configs=$2
source "$(dirname "$0")/common.sh"
cd "$work" || exit 1

"$maml" version | grep -q '^matmul: openblas (available: openblas' ||
  fail "maml version does not name the default backend: $("$maml" version)"

out=$(MAML_MATMUL=blas "$maml" version 2>&1) && fail "MAML_MATMUL=blas accepted: $out"
echo "$out" | grep -q "MAML_MATMUL=blas: unknown matmul backend 'blas'; allowed: openblas, dnnl-f32" ||
  fail "the message for MAML_MATMUL=blas: $out"
out=$(MAML_MATMUL=blas "$maml" train --config "$configs/quick.ini" --run-dir R0 2>&1)
[ $? -eq 2 ] && [ ! -e R0 ] || fail "train with MAML_MATMUL=blas did not stop with status 2: $out"

MAML_MATMUL=openblas "$maml" version | grep -q '^matmul: openblas' || fail "MAML_MATMUL=openblas"

if ! "$maml" version | grep -q 'available: .*dnnl-f32'; then
  out=$(MAML_MATMUL=dnnl-f32 "$maml" version 2>&1) && fail "dnnl-f32 accepted in a build without it"
  echo "$out" | grep -q "matmul backend 'dnnl-f32' is not available: " ||
    fail "the message for an unavailable dnnl-f32: $out"
  echo "dnnl-f32 is not available in this build ($out): its training checks skipped"
  exit 0
fi
MAML_MATMUL=dnnl-f32 "$maml" version | grep -q '^matmul: dnnl-f32 (.*); oneDNN [0-9.]*, ISA .*, kernel ' ||
  fail "maml version under dnnl-f32: $(MAML_MATMUL=dnnl-f32 "$maml" version)"

args=(--config "$configs/quick.ini" --iterations 2 --tasks 2 --episodes 2 --horizon 20)
for t in 1 2; do
  MAML_MATMUL=dnnl-f32 "$maml" train "${args[@]}" --threads $t --run-dir D$t > d$t.log 2>&1 ||
    fail "training with dnnl-f32 on $t threads: $(cat d$t.log)"
done
same_run D1 D2
echo "ok"
