#!/usr/bin/env bash
# `maml view` end to end, under a virtual display (ctest runs it with xvfb-run -a): the
# window opens, renders a fixed number of frames and exits 0 with a screenshot that
# shows the scene, the robot and the goal marker; a recording to DIR/ writes exactly the
# frames asked for; without a display, or with a bad --record, a clear error.
#   view.sh MAML_BINARY VIEW_CHECK_BINARY CONFIGS_DIR
maml=$1
check=$2
configs=$3
source "$(dirname "$0")/common.sh"
[ -n "${DISPLAY:-}" ] || fail "no DISPLAY: run this under xvfb-run -a"
small=(--size 480x270 --adapt-episodes 4 --steps 1)

# a tiny trained nav2d run (2 iterations)
"$maml" train --config "$configs/quick.ini" --iterations 2 --run-dir "$work/run" > "$work/train.log" ||
  fail "training the tiny run failed: $(cat "$work/train.log")"

# the window: nav2d (trained), cheetah-vel and ant-goal (random), a fixed number of frames
# (a window runs in real time: the slower the build, the further the agent has wandered
# by frame N, possibly behind the overlay; so few frames here, and the agent's full check
# on a recorded frame below, whose pacing is fixed)
"$maml" view "$work/run" "${small[@]}" --frames 3 --screenshot "$work/nav2d.png" \
  > "$work/nav2d.log" 2>&1 || fail "maml view nav2d: $(cat "$work/nav2d.log")"
"$check" "$work/nav2d.png" 30 5 || fail "nav2d screenshot"
"$maml" view random --env cheetah-vel --goal 1.5 "${small[@]}" --frames 8 \
  --screenshot "$work/cheetah.png" > "$work/cheetah.log" 2>&1 ||
  fail "maml view cheetah-vel: $(cat "$work/cheetah.log")"
"$check" "$work/cheetah.png" 100 300 || fail "cheetah-vel screenshot"
# --no-overlay: the same frame without the text panels
"$maml" view random --env cheetah-vel --goal 1.5 "${small[@]}" --record "$work/bare/" --frames 2 \
  --no-overlay --screenshot "$work/bare.png" > "$work/bare.log" 2>&1 || fail "--no-overlay: $(cat "$work/bare.log")"
"$maml" view random --env cheetah-vel --goal 1.5 "${small[@]}" --record "$work/text/" --frames 2 \
  --screenshot "$work/text.png" > "$work/text.log" 2>&1 || fail "overlay: $(cat "$work/text.log")"
"$check" "$work/bare.png" 100 300 || fail "--no-overlay screenshot"
cmp -s "$work/bare.png" "$work/text.png" && fail "--no-overlay gives the frame with its overlay"
"$maml" view random --env ant-goal --goal 1,1 "${small[@]}" --frames 4 \
  --screenshot "$work/ant.png" > "$work/ant.log" 2>&1 || fail "maml view ant-goal: $(cat "$work/ant.log")"
"$check" "$work/ant.png" 100 300 || fail "ant-goal screenshot"

# keys and mouse, sent as a user would with xdotool (scripts/install-deps.sh installs it):
# every key of the help and a drag with each button and the wheel, while the adaptation
# runs on its worker thread; S writes numbered screenshots, Esc quits with status 0
if command -v xdotool > /dev/null; then
  mkdir -p "$work/keys"
  timeout 120 "$maml" view "$work/run" "${small[@]}" --adapt-episodes 8 \
    --screenshot-dir "$work/keys" --screenshot "$work/esc.png" > "$work/keys.log" 2>&1 &
  pid=$!
  wid=$(timeout 30 xdotool search --sync --name "^maml view" | head -1)
  [ -n "$wid" ] || fail "keys: the viewer's window did not appear: $(cat "$work/keys.log")"
  press() { xdotool key --window "$wid" "$@" && sleep 0.3; }
  press s
  for k in space Right Right space h F1 n a a Tab Tab 0 2 9 1 c c o o; do press "$k"; done
  xdotool mousemove --window "$wid" 200 120
  for b in 1 3 2; do
    xdotool mousedown "$b" mousemove_relative 30 -20 mousemove_relative -- -10 15 mouseup "$b"
    xdotool keydown shift mousedown "$b" mousemove_relative 20 10 mouseup "$b" keyup shift
  done
  xdotool click 4 click 4 click 5 && sleep 0.3
  press n a s
  # a slow build (sanitizers) or a busy machine can take seconds to reach the last S:
  # wait for its file rather than a fixed time before Esc
  for _ in $(seq 60); do [ -e "$work/keys/maml-view-nav2d-002.png" ] && break; sleep 0.5; done
  kill -0 "$pid" 2> /dev/null || fail "keys: the viewer ended before Esc: $(cat "$work/keys.log")"
  press Escape
  wait "$pid" || fail "keys: the viewer exited with status $? on Esc (124: it did not quit): $(cat "$work/keys.log")"
  shots=$(ls "$work/keys")
  [ "$shots" = "$(printf 'maml-view-nav2d-001.png\nmaml-view-nav2d-002.png')" ] ||
    fail "keys: S twice should write maml-view-nav2d-001.png and -002.png, got: $shots"
  "$check" "$work/keys/maml-view-nav2d-002.png" 0 0 || fail "keys: the screenshot after the drags is blank"
  [ -s "$work/esc.png" ] || fail "keys: --screenshot was not written when Esc closed the window"
else
  echo "view: no xdotool here, the keys and mouse check is skipped"
fi

# recording PNG frames: exactly the frames asked for; one cheetah episode of 200 steps at
# 5 steps a frame is the first frame and 40 more
"$maml" view random --env cheetah-dir "${small[@]}" --record "$work/frames/" --frames 5 \
  > "$work/rec.log" 2>&1 || fail "recording: $(cat "$work/rec.log")"
[ "$(ls "$work/frames" | grep -c '^frame-[0-9]*\.png$')" -eq 5 ] || fail "not 5 frames: $(ls "$work/frames")"
"$check" "$work/frames/frame-000004.png" 100 300 || fail "recorded cheetah-dir frame"
"$maml" view random --env cheetah-vel "${small[@]}" --size 160x96 --record "$work/ep/" \
  --episodes 1 --fps 20 > "$work/ep.log" 2>&1 || fail "recording an episode: $(cat "$work/ep.log")"
[ "$(ls "$work/ep" | wc -l)" -eq 41 ] || fail "one episode: $(ls "$work/ep" | wc -l) frames, expected 41"
"$maml" view "$work/run" "${small[@]}" --record "$work/nav/" --frames 3 \
  > /dev/null 2>&1 || fail "recording nav2d"
[ "$(ls "$work/nav" | wc -l)" -eq 3 ] || fail "nav2d: not 3 frames"
"$check" "$work/nav/frame-000002.png" 30 20 || fail "recorded nav2d frame"

# a video goes through ffmpeg's standard input: a stand-in ffmpeg counts the bytes
mkdir -p "$work/bin"
printf '#!/bin/sh\nfor a; do out=$a; done\ncat > "$out"\n' > "$work/bin/ffmpeg"
chmod +x "$work/bin/ffmpeg"
PATH="$work/bin:$PATH" "$maml" view random --env nav2d "${small[@]}" --size 160x96 \
  --record "$work/v.mp4" --frames 4 > "$work/mp4.log" 2>&1 || fail "video: $(cat "$work/mp4.log")"
[ "$(stat -c %s "$work/v.mp4")" -eq $((4 * 160 * 96 * 3)) ] || fail "video: not 4 raw frames piped"
# with a real ffmpeg (not installed by scripts/install-deps.sh: over 100 packages), the
# video it writes holds the frames asked for
if command -v ffmpeg > /dev/null && command -v ffprobe > /dev/null; then
  "$maml" view random --env cheetah-vel "${small[@]}" --size 320x180 --record "$work/real.mp4" \
    --frames 6 > "$work/real.log" 2>&1 || fail "video with ffmpeg: $(cat "$work/real.log")"
  frames=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames,width,height \
    -of csv=p=0 "$work/real.mp4")
  [ "$frames" = "320,180,6" ] || fail "ffmpeg's video: width,height,frames = '$frames', expected 320,180,6"
else
  echo "view: no ffmpeg here, the real video check is skipped"
fi

# clear errors
out=$(PATH=/nonexistent "$maml" view random --env nav2d --record "$work/x.mp4" --frames 2 2>&1) &&
  fail "a video without ffmpeg was accepted"
echo "$out" | grep -q "ffmpeg" && echo "$out" | grep -q -- "--record DIR/" ||
  fail "no ffmpeg message: $out"
out=$("$maml" view random --env nav2d --record "$work/x.txt" --frames 2 2>&1) && fail "--record x.txt accepted"
echo "$out" | grep -q "folder ending in /" || fail "bad --record message: $out"
out=$(env -u DISPLAY -u WAYLAND_DISPLAY "$maml" view "$work/run" 2>&1) && fail "a window without a display"
echo "$out" | grep -q "xvfb-run" && echo "$out" | grep -q -- "--record" ||
  fail "no-display message does not say how to record: $out"
out=$("$maml" view random 2>&1) && fail "random without --env"
echo "$out" | grep -q -- "--env" || fail "random without --env: $out"
out=$("$maml" view "$work/run" --goal 3,3 2>&1) && fail "goal out of range accepted"
echo "$out" | grep -q "0.5" || fail "bad goal message: $out"
"$maml" view --help | grep -q -- "--record" || fail "--help"
echo "view: all checks passed"
