#!/usr/bin/env bash
# Faults during `maml train`, injected by tests/fault_inject.c (LD_PRELOAD):
# - the process killed (SIGKILL) in the middle of writing a checkpoint: the previous
#   checkpoint still loads, and --resume ends with the same parameters as a run that was
#   never killed;
# - a full disk (writes fail with ENOSPC): a clear error naming the cause, exit status 1, the
#   last good checkpoint kept and loadable, no temporary file left, and the run resumes;
#   then the same with a real full disk, a tiny tmpfs, where the machine allows mounting one.
#   cli_faults.sh MAML_BINARY FAULT_LIBRARY CONFIGS_DIR
maml=$1
inject=$2
configs=$3
source "$(dirname "$0")/common.sh"

run=(--config "$configs/quick.ini" --iterations 8 --tasks 4 --episodes 4)

"$maml" train "${run[@]}" --run-dir "$work/whole" > /dev/null || fail "training failed"

# killed in the middle of the 7th checkpoint write
LD_PRELOAD=$inject MAML_FAULT_KILL_WRITE=7 "$maml" train "${run[@]}" --run-dir "$work/killed" \
  > "$work/killed.log" 2>&1
rc=$?
[ $rc -eq 137 ] || fail "expected death by SIGKILL (137), got $rc"
ls "$work/killed/"*.ckpt.tmp.* > /dev/null 2>&1 || fail "the kill did not hit a checkpoint write"
it=$(iteration "$work/killed/latest.ckpt") || fail "latest.ckpt does not load after the kill"
[ "$it" -ge 1 ] && [ "$it" -lt 8 ] || fail "latest.ckpt is at iteration $it"
"$maml" train --resume "$work/killed" > "$work/resumed.log" 2>&1 ||
  { cat "$work/resumed.log"; fail "resume after the kill failed"; }
[ "$(theta "$work/whole/latest.ckpt")" = "$(theta "$work/killed/latest.ckpt")" ] ||
  fail "killed + resumed ends with other parameters than the uninterrupted run"
ls "$work/killed/"*.ckpt.tmp.* > /dev/null 2>&1 && fail "the resume left the stale temporary file"

# a full disk from the 5th checkpoint write on
LD_PRELOAD=$inject MAML_FAULT_ENOSPC_WRITE=5 "$maml" train "${run[@]}" --run-dir "$work/full" \
  > "$work/full.log" 2>&1
rc=$?
[ $rc -eq 1 ] || fail "a full disk should exit 1, got $rc"
grep -q "No space left on device" "$work/full.log" || { cat "$work/full.log"; fail "no ENOSPC message"; }
grep -q "last good checkpoint" "$work/full.log" || fail "the message does not point at the checkpoint"
it=$(iteration "$work/full/latest.ckpt") || fail "latest.ckpt does not load after the full disk"
[ "$it" -ge 1 ] || fail "no checkpoint kept"
ls "$work/full/"*.tmp* > /dev/null 2>&1 && fail "a temporary file was left on the full disk"
"$maml" train --resume "$work/full" > /dev/null 2>&1 || fail "resume after the full disk failed"
[ "$(theta "$work/whole/latest.ckpt")" = "$(theta "$work/full/latest.ckpt")" ] ||
  fail "full disk + resume ends with other parameters than the uninterrupted run"

# a real full disk where this machine allows a mount (root with the capability): a 64 KiB
# tmpfs filled by numbered checkpoints; the run is then copied to a roomy disk and resumed
mkdir -p "$work/tmpfs"
if mount -t tmpfs -o size=64k tmpfs "$work/tmpfs" 2> /dev/null; then
  trap 'umount "$work/tmpfs" 2> /dev/null; rm -rf "$work"' EXIT
  "$maml" train "${run[@]}" --checkpoint-every 1 --run-dir "$work/tmpfs/run" \
    > "$work/tmpfs.log" 2>&1
  rc=$?
  [ $rc -eq 1 ] || { cat "$work/tmpfs.log"; fail "a full tmpfs should exit 1, got $rc"; }
  grep -q "No space left on device" "$work/tmpfs.log" || { cat "$work/tmpfs.log"; fail "no ENOSPC message (tmpfs)"; }
  "$maml" info "$work/tmpfs/run/latest.ckpt" > /dev/null || fail "latest.ckpt does not load on the full tmpfs"
  cp -r "$work/tmpfs/run" "$work/moved"
  umount "$work/tmpfs"
  "$maml" train --resume "$work/moved" > /dev/null 2>&1 || fail "resume of the moved run failed"
  [ "$(theta "$work/whole/latest.ckpt")" = "$(theta "$work/moved/latest.ckpt")" ] ||
    fail "full tmpfs + resume ends with other parameters than the uninterrupted run"
else
  echo "skip: cannot mount a tmpfs here (not root, or no CAP_SYS_ADMIN); the ENOSPC case above stands in"
fi
echo ok
