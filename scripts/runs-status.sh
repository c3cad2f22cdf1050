#!/usr/bin/env bash
# Where every long run of this project's results stands, in one screen: each experiment
# under runs/exp (`maml experiment status`: its counts and the runs in progress or
# stopped; --all: every run's line) and each run of the paper's table and the later benchmarks under
# runs/paper (scripts/reproduce-paper.sh status), then the maml processes training now.
#
#   scripts/runs-status.sh [--all]
# Environment: MAML (default ./build/maml), EXP (default runs/exp), RUNS (default runs/paper).
set -euo pipefail

MAML=${MAML:-./build/maml}
EXP=${EXP:-runs/exp}
RUNS=${RUNS:-runs/paper}
all=0
case ${1:-} in
  --all) all=1 ;;
  "") ;;
  -h | --help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "runs-status.sh: unknown option '$1' (allowed: --all, --help)" >&2; exit 2 ;;
esac

for dir in "$EXP"/*/; do
  [[ -f $dir/experiment.ini ]] || continue
  "$MAML" experiment status "${dir%/}" | awk -v all=$all 'NR <= 2 || all || ($NF != "done" && !/not started$/)'
  echo
done
if [[ -d $RUNS ]]; then
  echo "runs in $RUNS:"
  MAML=$MAML RUNS=$RUNS "$(dirname "$0")/reproduce-paper.sh" status
  echo
fi
echo "training now:"
pgrep -af 'maml (train|experiment train)' | sed 's/^/  /' || echo "  nothing"
