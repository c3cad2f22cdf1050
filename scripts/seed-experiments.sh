#!/usr/bin/env bash
# The experiments over training seeds behind docs/results.md's comparison of MAML-TRPO,
# LVC-TRPO and ProMP (issue 22), and the later benchmarks' runs (issue 23: MAML-TRPO, the
# algorithm that adapts best, the pretrained baseline and the oracle): each one a `maml
# experiment` directory under EXP, defined here once, so that every session trains the
# same runs and picks up where the last one stopped.
#
#   scripts/seed-experiments.sh list                 the experiments, in the order trained
#   scripts/seed-experiments.sh train [NAME...]      train (or continue) them, one run at a
#                                                    time; done runs are skipped
#   scripts/seed-experiments.sh eval [NAME...]       `maml experiment eval` of each, 40 goals
#   scripts/seed-experiments.sh status [NAME...]     where each one's runs stand
#   scripts/seed-experiments.sh flags NAME           the `maml train` options of one of its
#                                                    runs, less --seed (the definition:
#                                                    tests/results_training.sh retrains
#                                                    archived runs' first iterations)
#   scripts/seed-experiments.sh compare NAME... [-- EVAL-OPTION...]
#                                                    the done runs of each as groups of
#                                                    one `maml eval` on the same goals,
#                                                    into EXP/compare/NAME+NAME...:
#                                                    per-seed scores, IQM, intervals,
#                                                    P(first > G); options after -- go
#                                                    to eval (e.g. --policy random)
#   scripts/seed-experiments.sh archive [NAME...]    copy each done run's best.ckpt and
#                                                    metrics.csv into ARCHIVE/NAME/RUN
#
# The archive is what survives a move to a new machine (runs/ is not in the repository):
# `compare` takes an experiment's done runs from EXP and, for the runs EXP lacks, from
# ARCHIVE, so the results of docs/results.md can be evaluated again from the policies
# committed there (tests/results_policies.sh does, for some of them).
#
# NAME defaults to every experiment, in the order of `list` (the aim first: the algorithm
# that looked best on cheetah-dir, then the cheap nav2d ones, then the slower families).
# In `compare`, MAML-TRPO groups adapt with their config's step size (the paper's
# protocol), groups with learned step sizes with theirs, and pretrained groups with the
# step size of SWEEP that does best for them on other goals.
# With two cores, two `train` commands run side by side (on the same NAMEs, they share
# the runs: a run one of them is training, the other leaves to it).
# Environment: MAML (default ./build/maml), EXP (default runs/exp), ARCHIVE (default
# docs/results/runs), THREADS (each run's threads, default 1), GOALS (eval's held-out
# goals, default 40), SWEEP (compare's step sizes for pretrained groups, default
# 0.02,0.05,0.1,0.2,0.5,1.0), OPENBLAS_CORETYPE (default Haswell, below).
set -euo pipefail

MAML=${MAML:-./build/maml}
EXP=${EXP:-runs/exp}
ARCHIVE=${ARCHIVE:-docs/results/runs}
# OpenBLAS's Haswell (AVX2) kernels, whatever the CPU: with the same kernels a run was the
# same bit for bit on both machine kinds this project has run on, an AMD Zen 4 and an
# Intel Xeon (docs/results.md, "How these numbers were made"); sessions 1-13 used them. A set
# OPENBLAS_CORETYPE is kept.
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell}
THREADS=${THREADS:-1}
GOALS=${GOALS:-40}

# The algorithms, as `maml train` flags (MAML-TRPO is every config's default)
PROMP=(--outer promp --inner-loss lvc)
PROMP_ALPHA=(--outer promp --inner-loss lvc --learn-alpha param)

# name: config, seeds, then the flags of the experiment (its definition: a continued
# experiment must be given the definition it was started with)
define() {  # name -> sets config, seeds, flags, from
  flags=() from= iterations=
  case $1 in
    cheetah-dir-promp-alpha) config=cheetah-dir seeds=1-10 flags=("${PROMP_ALPHA[@]}") ;;
    # the same runs trained on to 200 iterations: started as a copy of the 100-iteration
    # experiment (`from`; a continued run equals an uninterrupted one but for its timings)
    cheetah-dir-promp-alpha-200)
      config=cheetah-dir seeds=1-10 flags=("${PROMP_ALPHA[@]}") iterations=200
      from=cheetah-dir-promp-alpha ;;
    nav2d-maml) config=nav2d seeds=1-10 ;;
    nav2d-promp-alpha) config=nav2d seeds=1-10 flags=("${PROMP_ALPHA[@]}") ;;
    nav2d-pretrain) config=nav2d seeds=1-10 flags=(--mode pretrain) ;;
    cheetah-dir-pretrain) config=cheetah-dir seeds=1-10 flags=(--mode pretrain) ;;
    cheetah-dir-promp) config=cheetah-dir seeds=1-10 flags=("${PROMP[@]}") ;;
    cheetah-dir-maml) config=cheetah-dir seeds=1-10 ;;
    cheetah-dir-lvc) config=cheetah-dir seeds=1-10 flags=(--inner-loss lvc) ;;
    cheetah-vel-maml) config=cheetah-vel seeds=1-5 ;;
    cheetah-vel-promp-alpha) config=cheetah-vel seeds=1-5 flags=("${PROMP_ALPHA[@]}") ;;
    cheetah-vel-pretrain) config=cheetah-vel seeds=1-5 flags=(--mode pretrain) ;;
    ant-vel-maml) config=ant-vel seeds=1-5 ;;
    ant-vel-promp-alpha) config=ant-vel seeds=1-5 flags=("${PROMP_ALPHA[@]}") ;;
    ant-vel-pretrain) config=ant-vel seeds=1-5 flags=(--mode pretrain) ;;
    ant-dir-maml) config=ant-dir seeds=1-3 ;;
    ant-dir-promp-alpha) config=ant-dir seeds=1-3 flags=("${PROMP_ALPHA[@]}") ;;
    ant-dir-pretrain) config=ant-dir seeds=1-3 flags=(--mode pretrain) ;;
    # the later benchmarks (issue 23), at their presets but 100 iterations (a first pass,
    # as their MAML runs' in scripts/reproduce-paper.sh)
    hopper-params-promp-alpha) config=hopper-params seeds=1-3 flags=("${PROMP_ALPHA[@]}") ;;
    walker-params-promp-alpha) config=walker-params seeds=1-3 flags=("${PROMP_ALPHA[@]}") ;;
    hopper-params-pretrain) config=hopper-params seeds=1-3 flags=(--mode pretrain) ;;
    walker-params-pretrain) config=walker-params seeds=1-3 flags=(--mode pretrain) ;;
    hopper-params-maml) config=hopper-params seeds=1-3 ;;
    walker-params-maml) config=walker-params seeds=1-3 ;;
    humanoid-dir-pretrain) config=humanoid-dir seeds=1-3 flags=(--mode pretrain) ;;
    humanoid-dir-maml) config=humanoid-dir seeds=1-3 ;;
    # the oracles (the task observed, no adaptation): a reference, one seed each
    hopper-params-oracle) config=hopper-params seeds=1 flags=(--mode oracle) ;;
    walker-params-oracle) config=walker-params seeds=1 flags=(--mode oracle) ;;
    humanoid-dir-oracle) config=humanoid-dir seeds=1 flags=(--mode oracle) ;;
    humanoid-dir-promp-alpha) config=humanoid-dir seeds=1-3 flags=("${PROMP_ALPHA[@]}") ;;
    # MAML-TRPO on the humanoid stalls at the preset's inner step size 0.1 (its steps 17
    # times shorter than the pretrained run's): a screening of a step ten times smaller
    humanoid-dir-maml-alpha-0.01) config=humanoid-dir seeds=1 flags=(--alpha 0.01) ;;
    # hopper-params at its preset's 500 iterations, MAML-TRPO and pretrained (the family
    # where MAML came closest to the aim at 100): MAML's the same runs trained on, the
    # pretrained ones trained again from the start (their 100-iteration runs are archived
    # policies only, without the latest checkpoint a run continues from)
    hopper-params-maml-500)
      config=hopper-params seeds=1-3 iterations=500 from=hopper-params-maml ;;
    hopper-params-pretrain-500)
      config=hopper-params seeds=1-3 flags=(--mode pretrain) iterations=500 ;;
    *) return 1 ;;
  esac
  # cheetah-dir at the iteration of the paper's own figure (100, not its config's 500)
  case $config in
    cheetah-dir | hopper-params | walker-params | humanoid-dir) iterations=${iterations:-100} ;;
  esac
  if [[ -n $iterations ]]; then flags+=(--iterations "$iterations"); fi
}

ALL="cheetah-dir-promp-alpha cheetah-dir-promp-alpha-200 nav2d-maml nav2d-promp-alpha
nav2d-pretrain cheetah-dir-promp cheetah-dir-maml cheetah-dir-lvc cheetah-dir-pretrain cheetah-vel-maml cheetah-vel-promp-alpha
cheetah-vel-pretrain ant-vel-maml ant-vel-promp-alpha ant-vel-pretrain ant-dir-maml
ant-dir-promp-alpha ant-dir-pretrain hopper-params-promp-alpha walker-params-promp-alpha
hopper-params-pretrain walker-params-pretrain hopper-params-maml walker-params-maml
hopper-params-oracle walker-params-oracle humanoid-dir-promp-alpha humanoid-dir-pretrain
humanoid-dir-maml humanoid-dir-oracle hopper-params-maml-500
hopper-params-pretrain-500 humanoid-dir-maml-alpha-0.01"
SWEEP=${SWEEP:-0.02,0.05,0.1,0.2,0.5,1.0}

usage() { sed -n '2,42p' "$0" | sed 's/^# \{0,1\}//'; }

# The done runs of experiment NAME in EXP, a path a line (the `done` lines of its status)
trained_runs() {  # name
  [[ -f $EXP/$1/experiment.ini ]] || return 0
  "$MAML" experiment status "$EXP/$1" |
    awk -v d="$EXP/$1" '$2 ~ /^[0-9]+$/ && $NF == "done" { print d "/" $1 }'
}

# The done runs of experiment NAME: those in EXP, then the archived ones not done there, in
# the order of their seeds
done_runs() {  # name
  local dir trained
  trained=$(trained_runs "$1")
  {
    [[ -z $trained ]] || echo "$trained"
    for dir in "$ARCHIVE/$1"/*/; do
      dir=${dir%/}
      if [[ -f $dir/best.ckpt ]] && ! grep -qxF "$EXP/$1/${dir##*/}" <<< "$trained"; then
        echo "$dir"
      fi
    done
  } | awk '{ seed = $0; sub(/.*-s/, "", seed); print seed "\t" $0 }' | sort -n | cut -f2-
}

# A group's @ALPHA in `compare`: the config's step size for MAML-TRPO (its own, as the
# paper evaluates MAML; an --alpha of the definition overrides it), none for pretrained runs
# (swept) and learned step sizes (theirs)
group_alpha() {  # name (defined)
  case " ${flags[*]} " in
    *" --mode pretrain "* | *" --learn-alpha "*) return ;;
  esac
  local i
  for ((i = 0; i + 1 < ${#flags[@]}; i++)); do
    if [[ ${flags[i]} == --alpha ]]; then printf '@%s' "${flags[i + 1]}"; return; fi
  done
  awk -F' *= *' '$1 == "alpha" { printf "@%s", $2 }' "configs/$config.ini"
}

select_names() {  # NAME... -> selected (checked), every experiment when none is given
  selected=("$@")
  ((${#selected[@]})) || read -r -a selected <<< "$(echo $ALL)"
  local n
  for n in "${selected[@]}"; do
    define "$n" || {
      echo "seed-experiments.sh: '$n' is not an experiment; they are: $(echo $ALL)" >&2
      exit 2
    }
  done
}

cmd=${1:-}
[[ $# -gt 0 ]] && shift
case $cmd in
  train | eval | status | archive) select_names "$@" ;;
esac
case $cmd in
  list)
    for n in $ALL; do
      define "$n"
      printf '%-28s configs/%s.ini, seeds %s%s\n' "$n" "$config" "$seeds" \
        "${flags[*]:+, ${flags[*]}}"
    done ;;
  train)  # an experiment that fails is named at the end; Ctrl-C or a TERM stops them all
    failed=()
    for n in "${selected[@]}"; do
      define "$n"
      echo "== $n"
      if [[ -n $from && ! -e $EXP/$n ]]; then  # its start: a copy of the shorter experiment
        [[ -f $EXP/$from/experiment.ini ]] ||
          { echo "seed-experiments.sh: $n starts from $from, not trained yet" >&2; exit 1; }
        rm -rf "$EXP/$n.copy"
        cp -a "$EXP/$from" "$EXP/$n.copy"
        rm -rf "$EXP/$n.copy/eval"  # (the shorter runs' evaluation)
        mv "$EXP/$n.copy" "$EXP/$n"
      fi
      rc=0
      "$MAML" experiment train "$EXP/$n" --config "configs/$config.ini" --seeds "$seeds" \
        "${flags[@]}" --threads "$THREADS" || rc=$?
      ((rc != 130 && rc != 143)) || exit $rc
      ((rc == 0)) || failed+=("$n (exit status $rc)")
    done
    if ((${#failed[@]})); then
      echo "seed-experiments.sh: failed: ${failed[*]}" >&2
      exit 1
    fi ;;
  eval)
    for n in "${selected[@]}"; do
      if [[ -f $EXP/$n/experiment.ini ]]; then
        echo "== $n"
        "$MAML" experiment eval "$EXP/$n" --goals "$GOALS"
      else
        echo "== $n: not started"
      fi
    done ;;
  status)
    for n in "${selected[@]}"; do
      if [[ -f $EXP/$n/experiment.ini ]]; then
        "$MAML" experiment status "$EXP/$n"
      else
        echo "experiment $EXP/$n: not started"
      fi
    done ;;
  archive)
    for n in "${selected[@]}"; do
      count=0
      while read -r dir; do
        mkdir -p "$ARCHIVE/$n/${dir##*/}"
        cp "$dir/best.ckpt" "$dir/metrics.csv" "$ARCHIVE/$n/${dir##*/}/"
        count=$((count + 1))
      done < <(trained_runs "$n")
      echo "== $n: $count done runs archived in $ARCHIVE/$n"
    done ;;
  compare)
    names=() extra=()
    while (($#)) && [[ $1 != -- ]]; do names+=("$1"); shift; done
    (($#)) && shift && extra=("$@")
    ((${#names[@]})) || { echo "seed-experiments.sh: compare takes one experiment or more" >&2; exit 2; }
    select_names "${names[@]}"
    out="$EXP/compare/$(IFS=+; echo "${selected[*]}")"
    mkdir -p "$out"
    groups=()
    for n in "${selected[@]}"; do
      define "$n"
      done_runs "$n" > "$out/$n.runs"
      [[ -s $out/$n.runs ]] ||
        { echo "seed-experiments.sh: $n has no run done, in $EXP or in $ARCHIVE" >&2; exit 1; }
      groups+=(--group "$n=@$out/$n.runs$(group_alpha)")
    done
    "$MAML" eval "${groups[@]}" "${extra[@]}" --goals "$GOALS" --sweep-alpha "$SWEEP" --out "$out" ;;
  flags)
    (($# == 1)) || { echo "seed-experiments.sh: flags takes one experiment" >&2; exit 2; }
    select_names "$1"
    echo "--config configs/$config.ini${flags[*]:+ ${flags[*]}}" ;;
  -h | --help | help) usage ;;
  "") usage >&2; exit 2 ;;
  *) echo "seed-experiments.sh: unknown command '$cmd' (list, train, eval, status, compare, archive, flags, --help)" >&2
     exit 2 ;;
esac
