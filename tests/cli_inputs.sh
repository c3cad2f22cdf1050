#!/usr/bin/env bash
# The files a command reads as input: a FIFO (or a folder) in place of a config file, a
# goals file or a run's metrics.csv is refused at once with "not a regular file" (it used
# to block forever); under mpirun, `maml eval` ranks that read other checkpoints or goals
# behind the same paths (other machines' files) end the job, each naming what differs,
# with exit 1 and no MPI_Abort report; `maml view random` takes --random-hidden and
# --random-activation like `maml eval`.
#   cli_inputs.sh MAML_BINARY CONFIGS_DIR
maml=$(realpath "$1") # absolute: the MPI ranks below run in other folders
configs=$2
source "$(dirname "$0")/common.sh"

# ---- not a regular file: refused at once, named, nothing created ---------------------------
mkfifo "$work/fifo"
refused() { # WHAT CMD...: exit non-zero within the timeout, naming the FIFO
  local what=$1 out rc
  shift
  out=$(timeout 10 "$@" 2>&1)
  rc=$?
  [ "$rc" = 124 ] && fail "$what: still blocks on a FIFO (killed by the timeout)"
  [ "$rc" != 0 ] || fail "$what: exit 0 on a FIFO"
  grep -qF "$work/fifo: not a regular file" <<< "$out" ||
    fail "$what: the message does not say the FIFO is not a regular file: $out"
}
refused "train --config FIFO" "$maml" train --config "$work/fifo" --run-dir "$work/r1"
[ -e "$work/r1" ] && fail "train --config FIFO created the run directory"
refused "eval --goals-file FIFO" "$maml" eval --policy random --env nav2d \
  --goals-file "$work/fifo" --out "$work/e1"
[ -e "$work/e1" ] && fail "eval --goals-file FIFO wrote results"
mkdir "$work/plotrun"
ln -s "$work/fifo" "$work/plotrun/metrics.csv"
out=$(timeout 10 "$maml" plot "$work/plotrun" 2>&1)
rc=$?
[ "$rc" = 124 ] && fail "plot of a FIFO metrics.csv blocks"
[ "$rc" != 0 ] && grep -q "metrics.csv: not a regular file" <<< "$out" ||
  fail "plot of a FIFO metrics.csv: exit $rc: $out"
# a run whose metrics.csv is a FIFO: --resume refuses it at once
"$maml" train --env nav2d --iterations 1 --tasks 2 --episodes 2 --horizon 10 --hidden 4 \
  --run-dir "$work/fiforun" > /dev/null || fail "training the FIFO run failed"
rm "$work/fiforun/metrics.csv"
mkfifo "$work/fiforun/metrics.csv"
out=$(timeout 10 "$maml" train --resume "$work/fiforun" --iterations 2 2>&1)
rc=$?
[ "$rc" = 124 ] && fail "train --resume with a FIFO metrics.csv blocks"
[ "$rc" != 0 ] && grep -q "metrics.csv: not a regular file" <<< "$out" ||
  fail "train --resume with a FIFO metrics.csv: exit $rc: $out"
out=$(timeout 10 "$maml" train --config "$work" --run-dir "$work/r2" 2>&1) &&
  fail "train --config FOLDER: exit 0"
grep -qF "$work: not a regular file" <<< "$out" || fail "train --config FOLDER: $out"

# ---- maml view random: the network of --random-hidden and --random-activation -----------
if "$maml" version | grep -q "^viewer: built in" && command -v xvfb-run > /dev/null; then
  # Mesa's software OpenGL leaves allocations LeakSanitizer cannot name (as in the view test)
  view=(env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" xvfb-run -a
    -s "-screen 0 640x480x24" "$maml" view random --env nav2d --size 160x96 --frames 1)
  out=$(timeout 60 "${view[@]}" --random-hidden 8 --random-activation tanh \
    --record "$work/v1/" 2>&1) ||
    fail "view random --random-hidden 8: $out"
  grep -q "random policy, a fresh 2-8-2 tanh network" <<< "$out" ||
    fail "view random's network: $out"
  [ -f "$work/v1/frame-000000.png" ] || fail "view random --random-hidden recorded no frame"
  out=$(timeout 60 "${view[@]}" --record "$work/v2/" 2>&1) || fail "view random: $out"
  grep -q "random policy, a fresh 2-100-100-2 relu network" <<< "$out" ||
    fail "view random's default network: $out"
  out=$("$maml" view "$work/run.ckpt" --random-hidden 8 --record "$work/v3/" 2>&1) &&
    fail "view CHECKPOINT --random-hidden accepted"
  grep -q "random-hidden is for \`random\` only" <<< "$out" ||
    fail "view CHECKPOINT --random-hidden: $out"
  out=$("$maml" view random --env nav2d --random-activation sigmoid --record "$work/v4/" 2>&1) &&
    fail "view --random-activation sigmoid accepted"
  grep -q "random-activation: .*sigmoid" <<< "$out" || fail "view --random-activation sigmoid: $out"
else
  echo "(view part skipped: no viewer built or no xvfb-run)"
fi

# ---- mpirun: every rank's checkpoints and goals are rank 0's -------------------------------
if ! "$maml" version | grep -q "^MPI: built in" || ! command -v mpirun > /dev/null; then
  echo "ok (MPI part skipped: no MPI build or no mpirun)"
  exit 0
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
command -v ssh > /dev/null || command -v rsh > /dev/null || export OMPI_MCA_plm_rsh_agent=
mpirun=(env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" mpirun --oversubscribe)

# rank R runs in folder dR, so the same relative paths (the same command line on every
# rank) name each folder's own files, as on machines that do not share a file system
tiny=(--config "$configs/quick.ini" --tasks 2 --episodes 2 --iterations 1 --horizon 20)
for r in 0 1; do mkdir "$work/d$r"; done
"$maml" train "${tiny[@]}" --seed 1 --run-dir "$work/d0/run" > /dev/null || fail "training failed"
"$maml" train "${tiny[@]}" --seed 2 --run-dir "$work/d1/run" > /dev/null || fail "training failed"
printf '0.1,0.2\n0.3,-0.4\n' > "$work/d0/goals.txt"
printf '0.1,0.2\n0.3,-0.45\n' > "$work/d1/goals.txt"
each_in_own_dir() { # LOG OUT: 2 ranks, each in its folder; sets rc
  local log=$1 out=$2
  timeout 120 "${mpirun[@]}" -np 2 bash -c 'cd "$1$OMPI_COMM_WORLD_RANK" && shift && exec "$@"' \
    _ "$work/d" "$maml" eval --policy m=run --policy random --goals-file goals.txt \
    --episodes 2 --steps 1 --threads 1 --out "$out" > "$log" 2>&1
  rc=$?
  [ "$rc" = 124 ] && { cat "$log"; fail "the MPI eval hangs"; }
}
mixed() { # LOG OUT WHAT: exit 1, rank 1 names WHAT, no abort report, no results
  [ "$rc" = 1 ] || { cat "$1"; fail "ranks with other files: exit $rc, expected 1"; }
  grep -qF "maml eval: rank 1 of 2: $3: not the same as rank 0's" "$1" ||
    { cat "$1"; fail "rank 1 does not say that $3 differs"; }
  grep -q "another rank read other inputs" "$1" || { cat "$1"; fail "rank 0 does not say why"; }
  grep -qi "MPI_ABORT" "$1" && { cat "$1"; fail "ranks with other files: MPI_Abort"; }
  [ -e "$2" ] && fail "ranks with other files wrote results"
  return 0
}
each_in_own_dir "$work/m1.log" "$work/m1"
mixed "$work/m1.log" "$work/m1" "policy m (run/best.ckpt)"
grep -qF "the goals (goals.txt): not the same" "$work/m1.log" ||
  { cat "$work/m1.log"; fail "rank 1 does not say that the goals differ"; }
# the same checkpoint, other goals
rm -r "$work/d1/run"
cp -r "$work/d0/run" "$work/d1/run"
each_in_own_dir "$work/m2.log" "$work/m2"
mixed "$work/m2.log" "$work/m2" "the goals (goals.txt)"
grep -q "policy m .*: not the same" "$work/m2.log" &&
  { cat "$work/m2.log"; fail "the same policy named as differing"; }
# the same files everywhere: the evaluation runs
cp "$work/d0/goals.txt" "$work/d1/goals.txt"
each_in_own_dir "$work/m3.log" "$work/m3"
[ "$rc" = 0 ] || { cat "$work/m3.log"; fail "ranks with the same files: exit $rc"; }
[ -f "$work/m3/eval.csv" ] || fail "ranks with the same files wrote no eval.csv"
echo "ok"
