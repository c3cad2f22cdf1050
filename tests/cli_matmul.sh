#!/usr/bin/env bash
# The matmul backend from the command: $MAML_MATMUL chooses it and `maml version` names it;
# an unknown one is refused before any work, naming it and the allowed ones; a known one not
# available here falls back (dnnl-bf16 -> dnnl-f32 -> openblas) with a one-line notice;
# emulated-bf16 and, with oneDNN, dnnl-f32 runs on 1 and on 2 threads end with the same bits.
#   cli_matmul.sh MAML_BINARY CONFIGS_DIR
maml=$1
configs=$2
source "$(dirname "$0")/common.sh"
cd "$work" || exit 1
all="openblas, dnnl-f32, dnnl-bf16, emulated-bf16"

"$maml" version | grep -q '^matmul: openblas (available: openblas' ||
  fail "maml version does not name the default backend: $("$maml" version)"

out=$(MAML_MATMUL=blas "$maml" version 2>&1) && fail "MAML_MATMUL=blas accepted: $out"
echo "$out" | grep -q "MAML_MATMUL=blas: unknown matmul backend 'blas'; allowed: $all\$" ||
  fail "the message for MAML_MATMUL=blas: $out"
out=$(MAML_MATMUL=blas "$maml" train --config "$configs/quick.ini" --run-dir R0 2>&1)
[ $? -eq 2 ] && [ ! -e R0 ] || fail "train with MAML_MATMUL=blas did not stop with status 2: $out"
"$maml" version --help | grep -q "dnnl-bf16" || fail "maml version --help lists no dnnl-bf16"

MAML_MATMUL=openblas "$maml" version | grep -q '^matmul: openblas' || fail "MAML_MATMUL=openblas"
out=$(MAML_MATMUL=openblas "$maml" version 2>&1 >/dev/null)
[ -z "$out" ] || fail "an available backend printed a notice: $out"

# each backend not available: named with why by `maml version`, and a request for it runs
# on the next one available (dnnl-f32 if it is, for dnnl-bf16) after one notice on stderr
available=$("$maml" version | sed -n 's/^matmul: openblas (available: \(.*\))$/\1/p')
[ -n "$available" ] || fail "no list of the available backends: $("$maml" version)"
for b in dnnl-f32 dnnl-bf16 emulated-bf16; do
  case ", $available," in *", $b,"*) continue ;; esac
  why=$("$maml" version | sed -n "s/^matmul: $b not available: //p")
  [ -n "$why" ] || fail "maml version does not say why $b is not available: $("$maml" version)"
  to=openblas
  [ $b = dnnl-bf16 ] && case ", $available," in *", dnnl-f32,"*) to=dnnl-f32 ;; esac
  MAML_MATMUL=$b "$maml" version > v.out 2> v.err || fail "MAML_MATMUL=$b refused: $(cat v.err)"
  [ "$(cat v.err)" = "maml: MAML_MATMUL=$b: matmul backend '$b' is not available: $why; using $to" ] ||
    fail "the notice for MAML_MATMUL=$b: $(cat v.err)"
  grep -q "^matmul: $to (" v.out || fail "MAML_MATMUL=$b does not run $to: $(cat v.out)"
  echo "$b not available here ($why): runs $to"
done

args=(--config "$configs/quick.ini" --iterations 2 --tasks 2 --episodes 2 --horizon 20)
trained=0
for b in emulated-bf16 dnnl-f32 dnnl-bf16; do
  case ", $available," in *", $b,"*) ;; *) continue ;; esac
  MAML_MATMUL=$b "$maml" version | grep -q "^matmul: $b (" || fail "maml version under $b"
  case $b in dnnl-*)
    MAML_MATMUL=$b "$maml" version | grep -q "^matmul: $b (.*); oneDNN [0-9.]*, ISA .*, kernel " ||
      fail "maml version under $b: $(MAML_MATMUL=$b "$maml" version)" ;;
  esac
  for t in 1 2; do
    MAML_MATMUL=$b "$maml" train "${args[@]}" --threads $t --run-dir $b-$t > $b-$t.log 2>&1 ||
      fail "training with $b on $t threads: $(cat $b-$t.log)"
    ! grep -q "not available" $b-$t.log || fail "a notice for the available $b: $(cat $b-$t.log)"
  done
  same_run $b-1 $b-2
  trained=$((trained + 1))
done
# the bf16 inputs change the numbers: emulated-bf16 does not train as openblas does
if [ -d emulated-bf16-1 ]; then
  MAML_MATMUL=openblas "$maml" train "${args[@]}" --threads 1 --run-dir openblas-1 > o.log 2>&1 ||
    fail "training with openblas: $(cat o.log)"
  [ "$(theta openblas-1/latest.ckpt)" != "$(theta emulated-bf16-1/latest.ckpt)" ] ||
    fail "emulated-bf16 trains to the same parameters as openblas"
fi

# a training run asked for a backend not available: the notice once, then the fallback's run
# bit for bit; under mpirun still once (rank 0's)
case ", $available," in
*", dnnl-bf16,"*) echo "dnnl-bf16 available: its fallback run skipped" ;;
*)
  to=openblas-1
  [ -d dnnl-f32-1 ] && to=dnnl-f32-1
  [ -d $to ] || MAML_MATMUL=openblas "$maml" train "${args[@]}" --threads 1 --run-dir $to > /dev/null 2>&1
  MAML_MATMUL=dnnl-bf16 "$maml" train "${args[@]}" --threads 1 --run-dir F > f.out 2> f.err ||
    fail "training with MAML_MATMUL=dnnl-bf16: $(cat f.err)"
  [ "$(grep -c "matmul backend 'dnnl-bf16' is not available: " f.err)" = 1 ] ||
    fail "not one notice for dnnl-bf16: $(cat f.err)"
  same_run F $to
  if "$maml" version | grep -q "^MPI: built in" && command -v mpirun > /dev/null; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    command -v ssh > /dev/null || command -v rsh > /dev/null || export OMPI_MCA_plm_rsh_agent=
    MAML_MATMUL=dnnl-bf16 timeout 120 env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
      mpirun --oversubscribe -x MAML_MATMUL -np 2 "$maml" version > m.out 2> m.err ||
      fail "mpirun maml version under MAML_MATMUL=dnnl-bf16: $(cat m.err)"
    [ "$(grep -c "matmul backend 'dnnl-bf16' is not available: " m.err)" = 1 ] ||
      fail "not one notice from 2 ranks: $(cat m.err)"
  fi
  ;;
esac
echo "ok ($trained backends trained on 1 and 2 threads)"
