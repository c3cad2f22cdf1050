# Shared by the end-to-end test scripts (sourced, after `maml` is set):
#   work      a fresh temporary folder, removed on exit
#   fail MSG  print FAIL: MSG and exit 1
#   theta CKPT      a digest of the parameters a checkpoint holds
#   iteration CKPT  the meta-iterations behind a checkpoint
#   same_run DIR1 DIR2  fail unless both runs end with the same parameters and metrics
#   has_line FILE LINE  fail unless FILE has the line LINE
#   train ARGS...   `maml train` with the script's own args array, then ARGS
#   refused_on_resume DIR ITERATIONS FLAG VALUE  fail unless `maml train --resume DIR
#                   --iterations ITERATIONS --FLAG VALUE` stops with status 2: FLAG cannot change
#   set_step_sizes IN OUT VALUE  write OUT: checkpoint IN (format version 3: learned step
#                   sizes) with every step size VALUE; a huge one (1e30 in float, 1e300 in
#                   double) makes the parameters overflow at step 1 on every goal, whatever
#                   the last bits of a machine's arithmetic (a fixed alpha of at most 100
#                   diverges or not by chance)
#   refused MESSAGE ARGS...  fail unless `train ARGS... --run-dir B` stops with status 2,
#                   prints MESSAGE on stderr and makes no B
set -u
work=$(mktemp -d "/tmp/maml-$(basename "$0" .sh)-XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
theta() { # the n_params doubles before the checksum (and an outer state's, step sizes' blocks)
  local n s a skip=0
  n=$("$maml" info "$1" | sed -n 's/.*, \([0-9]*\) parameters/\1/p')
  [ -n "$n" ] || fail "maml info does not print the parameter count of $1"
  s=$("$maml" info "$1" | sed -n 's/^outer state  *\([0-9]*\) numbers.*/\1/p')
  [ -z "$s" ] || skip=$((8 + 8 * s))
  a=$("$maml" info "$1" | sed -n 's/^step sizes  *\([0-9]*\) learned.*/\1/p')
  [ -z "$a" ] || [ -n "$s" ] || skip=8 # version 3: the state's count (0), then the step sizes
  [ -z "$a" ] || skip=$((skip + 8 + 8 * a))
  tail -c $((n * 8 + skip + 4)) "$1" | head -c $((n * 8)) | md5sum
}
has_line() { grep -qxF -- "$2" "$1" || fail "$1 has no line '$2': $(cat "$1")"; }
train() { "$maml" train "${args[@]}" "$@"; }
refused_on_resume() {
  local out rc
  out=$("$maml" train --resume "$1" --iterations "$2" "--$3" "$4" 2>&1)
  rc=$?
  [ $rc -eq 2 ] || fail "--$3 on resume: status $rc: $out"
  echo "$out" | grep -qF -- "--$3 cannot change when resuming" || fail "message: $out"
}
refused() {
  local message=$1 rc
  shift
  train "$@" --run-dir B > out.log 2> err.log
  rc=$?
  [ $rc -eq 2 ] || fail "$*: status $rc: $(cat out.log err.log)"
  grep -qF -- "$message" err.log || fail "$*: the message: $(cat err.log)"
  [ ! -e B ] || fail "$*: a refused command made a run directory"
}
iteration() { "$maml" info "$1" | awk '/^iteration/ { print $2 }'; }
same_run() { # the timing columns of the metrics aside
  [ "$(theta "$1/latest.ckpt")" = "$(theta "$2/latest.ckpt")" ] ||
    fail "$1 and $2 end with different parameters"
  cmp -s <(cut -d, -f1-16 "$1/metrics.csv") <(cut -d, -f1-16 "$2/metrics.csv") ||
    fail "$1 and $2 have different metrics"
}
set_step_sizes() {
  python3 - "$@" << 'PY' || fail "could not set the step sizes of $1"
import struct, sys, zlib
d = bytearray(open(sys.argv[1], "rb").read())
assert d[:8] == b"MAMLCKPT" and struct.unpack_from("<I", d, 8)[0] == 3, "not a version-3 checkpoint"
e = struct.unpack_from("<I", d, 12)[0]
h = struct.unpack_from("<I", d, 28 + e)[0]
at = 84 + e + 4 * h
at += 8 + struct.unpack_from("<Q", d, at)[0]  # the config
at += 8 + 8 * struct.unpack_from("<Q", d, at)[0]  # the parameters
at += 8 + 8 * struct.unpack_from("<Q", d, at)[0]  # the optimiser's state
n = struct.unpack_from("<Q", d, at)[0]
assert at + 8 + 8 * n + 4 == len(d)
for i in range(n):
    struct.pack_into("<d", d, at + 8 + 8 * i, float(sys.argv[3]))
d[-4:] = struct.pack("<I", zlib.crc32(bytes(d[:-4])))
open(sys.argv[2], "wb").write(bytes(d))
PY
}
