#!/usr/bin/env bash
# Run every libFuzzer target for a bounded time on a copy of its seed corpus (the corpus in
# the repository is never modified). Fails on any crash, leak, sanitizer report, timeout
# (10 s on one input) or memory blow-up; the input that did it is left in ARTIFACTS.
#   fuzz/run.sh FUZZ_BIN_DIR SECONDS_PER_TARGET [ARTIFACTS_DIR]
set -u
bin=$1
seconds=$2
artifacts=${3:-fuzz-artifacts}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/maml-fuzz-XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$artifacts"
status=0
for target in config checkpoint flags family; do
  mkdir -p "$work/$target"
  cp "$here/corpus/$target/"* "$work/$target/"
  echo "fuzz: $target for ${seconds} s"
  if ! "$bin/fuzz_$target" "$work/$target" -max_total_time="$seconds" -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/$target-" \
      > "$work/$target.log" 2>&1; then
    tail -n 60 "$work/$target.log"
    echo "fuzz: $target FAILED; the input is in $artifacts/"
    status=1
  else
    grep -E "^stat::number_of_executed_units|^Done" "$work/$target.log" | tail -n 1
  fi
done
exit $status
