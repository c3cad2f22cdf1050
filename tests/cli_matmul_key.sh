#!/usr/bin/env bash
# The run's matmul backend: the config key matmul and --matmul (train, eval, view) choose
# it, before $MAML_MATMUL and the default openblas; config.ini, the checkpoints and `maml
# info` record the one asked for, the first output line names the one used; bad names stop
# with status 2 before any work (no run directory), naming the value, where it came from
# and the names allowed; --resume keeps the run's backend, or changes it with --matmul and
# a notice; a run directory of an older maml (no key) resumes as openblas, bit for bit.
# With oneDNN: --matmul dnnl-f32 equals MAML_MATMUL=dnnl-f32 bit for bit and differs from
# openblas; precedence; a kept backend resumes bit for bit. Under mpirun: ranks whose
# $MAML_MATMUL differs.
#   cli_matmul_key.sh MAML_BINARY CONFIGS_DIR
maml=$1
configs=$2
source "$(dirname "$0")/common.sh"
cd "$work" || exit 1

args=(--config "$configs/quick.ini" --tasks 2 --episodes 2 --horizon 20)
asked() { # the backend maml info says a checkpoint's run asked for
  "$maml" info "$1" | awk '/^matmul / { print $2 }'
}
unset MAML_MATMUL

# ---- the default, the key in config.ini and maml info -----------------------------------
train --iterations 2 --run-dir A > a.log 2>&1 || fail "training: $(cat a.log)"
has_line A/config.ini "matmul = openblas"
[ "$(asked A)" = openblas ] || fail "maml info A: $("$maml" info A)"
"$maml" info A | grep -qx "  matmul = openblas" || fail "maml info's config has no matmul"
head -1 a.log | grep -q ', matmul openblas$' || fail "the start line: $(head -1 a.log)"
train --iterations 2 --matmul openblas --run-dir A2 > /dev/null || fail "--matmul openblas"
same_run A A2

# ---- bad names: status 2 at once, naming the value, its source, the names allowed --------
refused() { # WHAT EXPECTED-TEXT COMMAND...: status 2, the text on stderr, no run dir
  local what=$1 want=$2
  shift 2
  "$@" > out.log 2> err.log
  local rc=$?
  [ $rc -eq 2 ] || fail "$what: status $rc, not 2: $(cat out.log err.log)"
  grep -qF -- "$want" err.log || fail "$what: the message '$(cat err.log)' lacks '$want'"
  grep -q "openblas" err.log || fail "$what: the message does not list the names allowed"
  [ ! -e R ] || fail "$what: a run directory was made"
  [ ! -s out.log ] || fail "$what: printed $(cat out.log)"
}
refused "--matmul blas" "--matmul: 'blas' is not a matmul backend: expected one of" \
  train --matmul blas --run-dir R
refused "--matmul=blas" "'blas' is not a matmul backend" train --matmul=blas --run-dir R
printf 'env = nav2d\n# the backend\nmatmul = OpenBLAS\n' > bad.ini
refused "matmul in a config file" "bad.ini:3: matmul: 'OpenBLAS' is not a matmul backend" \
  "$maml" train --config bad.ini --iterations 1 --run-dir R
refused "MAML_MATMUL=blas" "MAML_MATMUL=blas: unknown matmul backend 'blas'; allowed:" \
  env MAML_MATMUL=blas "$maml" train "${args[@]}" --run-dir R
# a bad $MAML_MATMUL is refused even where a flag would name another
refused "MAML_MATMUL=blas with --matmul" "MAML_MATMUL=blas: unknown matmul backend 'blas'" \
  env MAML_MATMUL=blas "$maml" train "${args[@]}" --matmul openblas --run-dir R
refused "resume --matmul blas" "'blas' is not a matmul backend" \
  "$maml" train --resume A --iterations 3 --matmul blas
[ "$(iteration A/latest.ckpt)" = 2 ] || fail "a refused resume changed A"
refused "eval --matmul blas" "maml eval: --matmul: unknown matmul backend 'blas'; allowed:" \
  "$maml" eval --policy a=A --goals 2 --episodes 2 --steps 1 --out R --matmul blas
if "$maml" version | grep -q '^viewer: built in'; then
  refused "view --matmul blas" "maml view: --matmul: unknown matmul backend 'blas'; allowed:" \
    "$maml" view A --matmul blas --record R/
fi
# a resume may change iterations, threads, checkpoint_every and matmul only
out=$("$maml" train --resume A --iterations 3 --seed 2 2>&1) && fail "--seed on resume: $out"
echo "$out" | grep -qF -- "--checkpoint-every, --matmul)" || fail "the allowed list: $out"

# ---- eval and view take --matmul ---------------------------------------------------------
"$maml" eval --help | grep -q -- '--matmul NAME' || fail "eval --help has no --matmul"
"$maml" view --help | grep -q -- '--matmul NAME' || fail "view --help has no --matmul"
"$maml" train --help | grep -q -- '--matmul NAME' || fail "train --help has no --matmul"
"$maml" train --help | grep -q '^  matmul  *openblas|' || fail "train --help: the key's names"
eval_args=(--policy a=A --goals 2 --episodes 2 --steps 1)
"$maml" eval "${eval_args[@]}" --matmul openblas --out E1 > e1.log 2>&1 ||
  fail "eval --matmul openblas: $(cat e1.log)"
grep -q '^maml eval: .*, matmul openblas$' e1.log || fail "eval's start line: $(cat e1.log)"
if "$maml" version | grep -q '^viewer: built in'; then
  out=$(env -u DISPLAY -u WAYLAND_DISPLAY "$maml" view A --matmul openblas 2>&1)
  echo "$out" | grep -q "no display" || fail "view --matmul openblas: $out"
fi

# ---- a run directory of an older maml: no matmul key in config.ini nor in latest.ckpt ---
# the line becomes a comment line of the same length, and the checksum (CRC-32, as gzip's,
# little-endian, the file's last 4 bytes) is made again
strip_key() {
  local f=$1 at size
  at=$(grep -obUa 'matmul = openblas' "$f" | head -1 | cut -d: -f1)
  [ -n "$at" ] || fail "no matmul line in $f"
  printf '%-17s' '#' | dd of="$f" bs=1 seek="$at" conv=notrunc status=none
  size=$(stat -c %s "$f")
  head -c $((size - 4)) "$f" | gzip -c | tail -c 8 | head -c 4 |
    dd of="$f" bs=1 seek=$((size - 4)) conv=notrunc status=none
}
train --iterations 1 --run-dir O > /dev/null || fail "training O"
sed -i '/^matmul = /d' O/config.ini
strip_key O/latest.ckpt
"$maml" info O > info.log || fail "maml info of the old checkpoint: $(cat info.log)"
grep -q '^  matmul = ' info.log && fail "the old checkpoint still has the key"
[ "$(asked O)" = openblas ] || fail "an old checkpoint does not read as openblas: $(cat info.log)"
MAML_MATMUL=openblas "$maml" train --resume O --iterations 2 > o.log 2>&1 ||
  fail "resuming the old run: $(cat o.log)"
grep -q "resuming with matmul" o.log && fail "a notice for an old run: $(cat o.log)"
has_line O/config.ini "matmul = openblas"
same_run A O

# ---- oneDNN ------------------------------------------------------------------------------
if ! "$maml" version | grep -q '^matmul: [a-z0-9-]* (available: .*dnnl-f32'; then
  out=$("$maml" train "${args[@]}" --matmul dnnl-f32 --run-dir R 2>&1) ||
    fail "an unavailable dnnl-f32 did not fall back: $out"
  echo "$out" | grep -qF -- "--matmul: matmul backend 'dnnl-f32' is not available" ||
    fail "no notice for an unavailable dnnl-f32: $out"
  echo "$out" | grep '^maml train: nav2d' | grep -q ', matmul openblas$' ||
    fail "the fallback's start line: $out"
  echo "dnnl-f32 is not available in this build ($("$maml" version | grep '^matmul')):" \
    "its checks skipped"
  echo "ok"
  exit 0
fi
train --iterations 2 --matmul dnnl-f32 --run-dir F > f.log 2>&1 || fail "--matmul dnnl-f32: $(cat f.log)"
head -1 f.log | grep -q ', matmul dnnl-f32$' || fail "the start line: $(head -1 f.log)"
has_line F/config.ini "matmul = dnnl-f32"
[ "$(asked F/latest.ckpt)" = dnnl-f32 ] || fail "maml info F: $("$maml" info F)"
MAML_MATMUL=dnnl-f32 "$maml" train "${args[@]}" --iterations 2 --run-dir V > /dev/null ||
  fail "MAML_MATMUL=dnnl-f32"
has_line V/config.ini "matmul = dnnl-f32"
same_run F V
[ "$(theta F/latest.ckpt)" != "$(theta A/latest.ckpt)" ] ||
  fail "dnnl-f32 and openblas end with the same parameters: did the flag take effect?"

# precedence: flag > key > $MAML_MATMUL > openblas
{ cat "$configs/quick.ini"; echo "matmul = dnnl-f32"; } > key.ini
kargs=(--config key.ini --tasks 2 --episodes 2 --horizon 20 --iterations 2)
MAML_MATMUL=openblas "$maml" train "${kargs[@]}" --run-dir K > k.log 2>&1 || fail "$(cat k.log)"
has_line K/config.ini "matmul = dnnl-f32"
same_run F K
MAML_MATMUL=dnnl-f32 "$maml" train "${kargs[@]}" --matmul openblas --run-dir L > l.log 2>&1 ||
  fail "$(cat l.log)"
has_line L/config.ini "matmul = openblas"
head -1 l.log | grep -q ', matmul openblas$' || fail "the flag does not come first: $(head -1 l.log)"
same_run A L

# resume: kept (with $MAML_MATMUL naming another: a notice), bit for bit
train --iterations 1 --matmul dnnl-f32 --run-dir P > /dev/null || fail "training P"
MAML_MATMUL=openblas "$maml" train --resume P --iterations 2 > p.log 2>&1 || fail "$(cat p.log)"
grep -qF "MAML_MATMUL=openblas is not used: a resumed run keeps its matmul backend dnnl-f32" p.log ||
  fail "no notice for an unused \$MAML_MATMUL: $(cat p.log)"
grep -q ', matmul dnnl-f32$' p.log || fail "the resumed start line: $(cat p.log)"
same_run F P
# resume: changed by --matmul, with the notice; recorded; kept on the next resume
train --iterations 1 --matmul dnnl-f32 --run-dir C > /dev/null || fail "training C"
"$maml" train --resume C --iterations 2 --matmul openblas > c.log 2>&1 || fail "$(cat c.log)"
has_line c.log "maml train: resuming with matmul backend openblas (the run so far used dnnl-f32): results will not match an uninterrupted run bit for bit"
has_line C/config.ini "matmul = openblas"
[ "$(asked C)" = openblas ] || fail "maml info C after the change: $("$maml" info C)"
[ "$(theta C/latest.ckpt)" != "$(theta F/latest.ckpt)" ] || fail "the change had no effect"
"$maml" train --resume C --iterations 3 > c3.log 2>&1 || fail "$(cat c3.log)"
grep -q "resuming with matmul" c3.log && fail "a notice without a change: $(cat c3.log)"
[ "$(asked C)" = openblas ] || fail "the next resume did not keep openblas"
# a change cut short after config.ini was written: latest.ckpt's backend goes on
train --iterations 1 --matmul dnnl-f32 --run-dir S > /dev/null || fail "training S"
sed -i 's/^matmul = .*/matmul = openblas/' S/config.ini
"$maml" train --resume S --iterations 2 > s.log 2>&1 || fail "resume after a cut change: $(cat s.log)"
has_line S/config.ini "matmul = dnnl-f32"
same_run F S

# eval: the flag equals $MAML_MATMUL bit for bit, and names the backend
"$maml" eval "${eval_args[@]}" --matmul dnnl-f32 --out E2 > e2.log 2>&1 || fail "$(cat e2.log)"
grep -q '^maml eval: .*, matmul dnnl-f32$' e2.log || fail "eval's start line: $(cat e2.log)"
MAML_MATMUL=dnnl-f32 "$maml" eval "${eval_args[@]}" --out E3 > /dev/null 2>&1 || fail "eval env"
cmp -s E2/eval.csv E3/eval.csv || fail "eval: --matmul dnnl-f32 and MAML_MATMUL=dnnl-f32 differ"

# ---- under mpirun: a rank whose $MAML_MATMUL differs -------------------------------------
if "$maml" version | grep -q '^MPI: built in' && command -v mpirun > /dev/null; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  command -v ssh > /dev/null || command -v rsh > /dev/null || export OMPI_MCA_plm_rsh_agent=
  mpirun=(env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" mpirun --oversubscribe)
  mixed() { # COMMAND...: rank 0 with MAML_MATMUL=dnnl-f32, rank 1 with openblas
    "${mpirun[@]}" -np 1 -x MAML_MATMUL=dnnl-f32 "$maml" "$@" : \
      -np 1 -x MAML_MATMUL=openblas "$maml" "$@"
  }
  # eval: refused on every rank, naming the rank and both backends
  mixed eval "${eval_args[@]}" --out M1 > m1.log 2>&1 && fail "mixed backends in eval: $(cat m1.log)"
  grep -q "rank 1 of 2: uses matmul backend openblas, rank 0 uses dnnl-f32" m1.log ||
    fail "the message for mixed backends: $(cat m1.log)"
  # train: harmless, every rank takes rank 0's config
  mixed train "${args[@]}" --iterations 2 --run-dir M2 > m2.log 2>&1 || fail "$(cat m2.log)"
  same_run V M2
else
  echo "no MPI build or no mpirun: the mpirun checks skipped"
fi
echo "ok"
