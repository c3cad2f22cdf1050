#!/usr/bin/env bash
# The process around the commands: a closed stdout (a pipe into head) neither kills
# training nor loses eval's files, an stdout that cannot be written (a full disk) is an
# error; a MuJoCo error (out of memory) ends the process with a message instead of
# waiting for Enter; a FIFO in a checkpoint's place and a checkpoint holding NaN or
# infinite parameters are refused without waiting.
#   cli_process.sh MAML_BINARY CONFIGS_DIR ASSETS_DIR
maml=$1
configs=$2
assets=$3
source "$(dirname "$0")/common.sh"
cd "$work" || fail "cannot enter $work"

tiny=(--config "$configs/quick.ini" --tasks 2 --episodes 2 --horizon 20)
"$maml" train "${tiny[@]}" --iterations 2 --run-dir "$work/run" > /dev/null ||
  fail "training failed"

# ---- stdout ----------------------------------------------------------------------------
# a full disk: an error, with a message
"$maml" info "$work/run" > /dev/full 2> "$work/full.err" && fail "maml info > /dev/full exits 0"
grep -q "cannot write the standard output: No space left on device" "$work/full.err" ||
  { cat "$work/full.err"; fail "no message for a standard output that cannot be written"; }

# a reader that goes away: training goes on to the end and saves its run, exit 0
"$maml" train "${tiny[@]}" --iterations 30 --run-dir "$work/piped" 2> "$work/piped.err" |
  head -3 > /dev/null
rc=${PIPESTATUS[0]}
[ "$rc" = 0 ] || { cat "$work/piped.err"; fail "maml train | head -3 exits $rc"; }
[ "$(iteration "$work/piped")" = 30 ] || fail "maml train | head -3 did not finish its 30 iterations"
[ "$(wc -l < "$work/piped/metrics.csv")" = 31 ] || fail "maml train | head -3 lost metrics rows"

# eval writes its files all the same
"$maml" eval --policy "maml=$work/run" --policy random --goals 2 --episodes 2 --steps 1 \
  --out "$work/ev" 2> "$work/ev.err" | head -1 > /dev/null
rc=${PIPESTATUS[0]}
[ "$rc" = 0 ] || { cat "$work/ev.err"; fail "maml eval | head -1 exits $rc"; }
[ -s "$work/ev/eval.csv" ] || fail "maml eval | head -1 wrote no eval.csv"

# ---- a MuJoCo error: a model whose every mjData takes 800 MB, 8 of them at once in
# 3 GB of address space; stdin never gives a line, so a "Press Enter" prompt would hang
# (not in sanitizer builds, whose runtime cannot start in 3 GB of address space)
if (ulimit -v 3000000 && "$maml" version > /dev/null 2>&1) 2> /dev/null; then
  mkdir "$work/assets"
  sed 's|<option |<size nstack="100000000"/>\n  <option |' "$assets/half_cheetah.xml" \
    > "$work/assets/half_cheetah.xml"
  grep -q nstack "$work/assets/half_cheetah.xml" || fail "could not edit the model"
  mkfifo "$work/stdin"
  exec 3<> "$work/stdin"
  (
    ulimit -v 3000000
    OPENBLAS_NUM_THREADS=1 timeout 60 "$maml" train --env cheetah-vel --tasks 2 --episodes 8 \
      --iterations 1 --horizon 20 --hidden 8 --threads 1 --assets "$work/assets" \
      --run-dir "$work/mjerr" <&3 > "$work/mjerr.out" 2> "$work/mjerr.err"
  )
  rc=$?
  exec 3>&-
  [ "$rc" = 1 ] || { cat "$work/mjerr.out" "$work/mjerr.err"; fail "a MuJoCo error exits $rc"; }
  grep -q "^maml: MuJoCo error: Could not allocate memory" "$work/mjerr.err" ||
    { cat "$work/mjerr.err"; fail "a MuJoCo error has no message"; }
  grep -q "Press Enter" "$work/mjerr.out" "$work/mjerr.err" && fail "a MuJoCo error prompts"
  [ -e "$work/MUJOCO_LOG.TXT" ] && fail "a MuJoCo error wrote MUJOCO_LOG.TXT"
else
  echo "skipped the MuJoCo error check: the program cannot start in 3 GB of address space"
fi

# ---- a FIFO in a checkpoint's place: refused at once ----------------------------------
mkfifo "$work/fifo.ckpt"
timeout 10 "$maml" info "$work/fifo.ckpt" > /dev/null 2> "$work/fifo.err"
rc=$?
[ "$rc" = 1 ] || fail "maml info on a FIFO exits $rc (124: it waited)"
grep -q "fifo.ckpt: not a regular file" "$work/fifo.err" || { cat "$work/fifo.err"; fail "no message for a FIFO"; }
timeout 10 "$maml" eval --policy "m=$work/fifo.ckpt" --goals 2 --episodes 2 --steps 1 \
  --out "$work/ev-fifo" > /dev/null 2> "$work/fifo.err"
rc=$?
[ "$rc" = 1 ] || fail "maml eval on a FIFO exits $rc (124: it waited)"
grep -q "not a regular file" "$work/fifo.err" || { cat "$work/fifo.err"; fail "eval: no message for a FIFO"; }
mkdir "$work/fiforun"
mkfifo "$work/fiforun/latest.ckpt"
timeout 10 "$maml" train --resume "$work/fiforun" > /dev/null 2> "$work/fifo.err"
rc=$?
[ "$rc" = 1 ] || fail "maml train --resume onto a FIFO exits $rc (124: it waited)"
grep -q "not a regular file" "$work/fifo.err" || { cat "$work/fifo.err"; fail "resume: no message for a FIFO"; }

# ---- a checkpoint with a valid checksum whose parameters are NaN or infinite ----------
n=$("$maml" info "$work/run" | sed -n 's/.*, \([0-9]*\) parameters/\1/p')
cp "$work/run/latest.ckpt" "$work/bad.ckpt"
size=$(stat -c %s "$work/bad.ckpt")
# parameter n-3 a quiet NaN, parameter n-1 +inf (little-endian doubles)
printf '\000\000\000\000\000\000\370\177' |
  dd of="$work/bad.ckpt" bs=1 seek=$((size - 4 - 24)) conv=notrunc status=none
printf '\000\000\000\000\000\000\360\177' |
  dd of="$work/bad.ckpt" bs=1 seek=$((size - 4 - 8)) conv=notrunc status=none
# the checksum again: gzip's trailer holds the CRC-32 (zlib's, little-endian) of its input
head -c $((size - 4)) "$work/bad.ckpt" | gzip -c | tail -c 8 | head -c 4 |
  dd of="$work/bad.ckpt" bs=1 seek=$((size - 4)) conv=notrunc status=none
want="parameter $((n - 3)) is NaN and 2 of the $n parameters are not finite"
"$maml" info "$work/bad.ckpt" > /dev/null 2> "$work/bad.err" && fail "maml info accepts NaN parameters"
grep -q "$want" "$work/bad.err" || { cat "$work/bad.err"; fail "maml info: no message for NaN parameters"; }
grep -q "checksum" "$work/bad.err" && fail "the edited checkpoint's checksum is wrong"
"$maml" eval --policy "m=$work/bad.ckpt" --policy random --goals 2 --episodes 2 --steps 1 \
  --out "$work/ev-bad" > /dev/null 2> "$work/bad.err" && fail "maml eval accepts NaN parameters"
grep -q "$want" "$work/bad.err" || { cat "$work/bad.err"; fail "maml eval: no message for NaN parameters"; }
echo "ok"
