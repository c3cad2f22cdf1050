#!/usr/bin/env bash
# Train the same seeds with two matrix-product backends and compare the evaluations over
# seeds (docs/performance.md, "Backends over training seeds").
#
#   scripts/compare-backends.sh train FAMILY BACKEND SEED...  meta-train MAML with BACKEND
#                                       and each seed into RUNS/FAMILY-BACKEND-sSEED
#                                       (resumable: run it again to continue)
#   scripts/compare-backends.sh eval FAMILY BACKEND,BACKEND... SEED...  every run of each
#                                       backend on the same 40 held-out goals, one group
#                                       per backend, into RUNS/FAMILY-eval
#   scripts/compare-backends.sh status  where every run in RUNS stands
#
# Environment: MAML (the binary, default ./build/maml), RUNS (default runs/backends),
# ITERATIONS (a run's planned iterations; default the config's: a run trained to fewer is
# carried on by training it again with a larger ITERATIONS).
set -euo pipefail

MAML=${MAML:-./build/maml}
RUNS=${RUNS:-runs/backends}

usage() {
  sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
}

is_seed() {  # text: exit unless it is a training seed
  [[ $1 =~ ^[0-9]+$ ]] || { echo "'$1' is not a seed (an integer >= 0)" >&2; exit 2; }
}

planned_iterations() {  # dir
  "$MAML" info "$1" | awk '$1 == "iterations" && $2 == "=" { print $3 }'
}

train() {  # family backend seed...
  local f=$1 b=$2 dir its=()
  shift 2
  [[ $# -gt 0 ]] || { echo "train: name the family, the backend and at least one seed" >&2; exit 2; }
  [[ -n ${ITERATIONS:-} ]] && its=(--iterations "$ITERATIONS")
  mkdir -p "$RUNS"
  for s in "$@"; do
    is_seed "$s"
    dir=$RUNS/$f-$b-s$s
    if [[ ! -f $dir/latest.ckpt ]]; then
      "$MAML" train --config "configs/$f.ini" --matmul "$b" --seed "$s" "${its[@]}" --run-dir "$dir"
    elif [[ -n ${ITERATIONS:-} ]] && (( $(planned_iterations "$dir") != ITERATIONS )); then
      "$MAML" train --resume "$dir" "${its[@]}"
    else
      "$MAML" train --resume "$dir"  # a finished run ends at once
    fi
  done
}

evaluate() {  # family backend,backend... seed...
  local f=$1 groups=() paths b s
  IFS=, read -r -a backends <<< "$2"
  shift 2
  for b in "${backends[@]}"; do
    paths=()
    for s in "$@"; do
      is_seed "$s"
      paths+=("$RUNS/$f-$b-s$s")
    done
    groups+=(--group "$b=$(IFS=,; echo "${paths[*]}")")
  done
  "$MAML" eval --env "$f" --goals 40 --seed 1 "${groups[@]}" --out "$RUNS/$f-eval"
}

status() {  # one line per run directory
  local dir info
  for dir in "$RUNS"/*/; do
    [[ -f "$dir/latest.ckpt" ]] || continue
    info=$("$MAML" info "${dir%/}") || continue
    awk -v run="$(basename "$dir")" '
      $1 == "iteration" { done = $2 }
      $1 == "best" { best = $4; at = $7 }
      $1 == "trained" { secs = $3 }
      $1 == "iterations" && $2 == "=" { planned = $3 }
      END { printf "%-32s %5s / %-5s best %9s at %5s   trained for %6.0f s\n",
            run, done, planned, best, at, secs }' <<< "$info"
  done
}

cmd=${1:-}
[[ $# -gt 0 ]] && shift
case $cmd in
  train) [[ $# -ge 3 ]] || { usage >&2; exit 2; }; train "$@" ;;
  eval) [[ $# -ge 3 ]] || { usage >&2; exit 2; }; evaluate "$@" ;;
  status) status ;;
  -h|--help) usage ;;
  *) usage >&2; exit 2 ;;
esac
