#!/usr/bin/env bash
# Install the Debian packages this project needs to build, test and run.
# Idempotent: packages already present are left alone and nothing is fetched
# when everything is installed. Works as root, or through sudo otherwise.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libmujoco-dev libqhull-dev        # MuJoCo's CMake target names qhull's include dir
  libopenblas-dev liblapacke-dev    # Debian's OpenBLAS ships without LAPACKE
  libdnnl-dev                       # oneDNN: the f32 backend of the policy's matrix products
  libcriterion-dev                  # unit tests
  libglfw3-dev libpng-dev           # viewer (window, screenshots and recorded frames)
  xvfb xauth xdotool                # a headless display for the viewer's tests, and keys sent to it
  gnuplot-nox                       # plots (PNG and SVG)
  libopenmpi-dev openmpi-bin        # meta-training across MPI ranks (mpirun)
  clang libclang-rt-14-dev          # libFuzzer (Debian 12: clang 14), for the fuzz targets
  clang-format                      # the source layout check of make test (.clang-format)
  valgrind                          # memcheck over the tests
  python3-numpy xxd                 # the Python example of `maml export`, and its test
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} Debian packages are already installed"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  echo "install-deps: not root and sudo is not available; install these as root:" >&2
  echo "  apt-get install ${missing[*]}" >&2
  exit 1
fi

echo "install-deps: missing: ${missing[*]}"
echo "install-deps: running apt-get update"
"${sudo[@]}" apt-get update -q
echo "install-deps: running apt-get install ${missing[*]}"
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "install-deps: done"
