#!/usr/bin/env bash
# The installed package (`make test-install`, after the release and the double build's
# tests, on each): the build installed into a temporary prefix holds the program, the
# headers (each compiles alone), libmaml.a and libmaml.so with its soname, the CMake
# package, the pkg-config file and the models; both examples build against it once with
# find_package(maml) and once with pkg-config; on a checkpoint of a tiny `maml train` run,
# examples/policy_action's mean action equals the network computed here from the
# checkpoint's bytes (awk), and examples/adapt's returns equal `maml eval`'s. The installed
# program and library find the models of their own prefix, from anywhere, after the prefix
# is moved too, and never the source tree's: with the prefix's models gone they fail
# naming the prefix's folder. A consumer of the other float type is refused: -DMAML_DOUBLE
# against a float library does not compile, and headers of one float type linked with the
# library of the other do not link (the symbol maml/build_config.h names).
#   install.sh BUILD_DIR     (a built tree without sanitizers: build-test, build-test-double)
set -u
maml=$(cd "$1" && pwd)/maml || exit 1
build=$(dirname "$maml")
src=$(cd "$(dirname "$0")/.." && pwd)
source "$src/tests/common.sh" || exit 1
unset MAML_ASSETS
[ -d "$work" ] && cd "$work" || fail "cannot enter the temporary folder '$work'"

# ---- what is installed ----------------------------------------------------------------
prefix="$work/prefix"
cmake --install "$build" --prefix "$prefix" > install.log 2>&1 ||
  fail "cmake --install: $(cat install.log)"
pc=$(find "$prefix" -name maml.pc) # lib/pkgconfig, or lib/<multiarch>/pkgconfig
[ -n "$pc" ] || fail "no maml.pc under $prefix"
libdir=$(dirname "$(dirname "$pc")")
for f in bin/maml include/maml/build_config.h share/maml/assets/half_cheetah.xml \
  share/maml/assets/ant.xml; do
  [ -f "$prefix/$f" ] || fail "not installed: $f"
done
for h in "$src"/include/maml/*.h; do
  [ "$(basename "$h")" = view.h ] && continue # the viewer's, not part of libmaml
  cmp -s "$h" "$prefix/include/maml/$(basename "$h")" || fail "header not installed: $h"
done
for f in libmaml.a cmake/maml/mamlConfig.cmake cmake/maml/mamlConfigVersion.cmake \
  cmake/maml/mamlTargets.cmake; do
  [ -f "$libdir/$f" ] || fail "not installed: $libdir/$f"
done
version=$(sed -n 's/^#define MAML_VERSION_STRING "\(.*\)"$/\1/p' "$prefix/include/maml/build_config.h")
major=${version%%.*}
[ "$(readlink "$libdir/libmaml.so")" = "libmaml.so.$major" ] || fail "libmaml.so is not a link to libmaml.so.$major"
[ "$(readlink "$libdir/libmaml.so.$major")" = "libmaml.so.$version" ] ||
  fail "libmaml.so.$major is not a link to libmaml.so.$version"
readelf -d "$libdir/libmaml.so.$version" | grep -q "SONAME.*\[libmaml.so.$major\]" ||
  fail "libmaml.so.$version has no soname libmaml.so.$major"
readelf -d "$libdir/libmaml.so.$version" | grep -q TEXTREL && fail "libmaml.so has text relocations"

export PKG_CONFIG_PATH="$libdir/pkgconfig"
[ "$(pkg-config --modversion maml)" = "$version" ] || fail "pkg-config --modversion maml"
cflags=$(pkg-config --cflags maml) || fail "pkg-config --cflags maml"
# every header compiles alone, strict C11, as a program would include it
for h in "$prefix"/include/maml/*.h; do
  echo "#include \"maml/$(basename "$h")\"" > one.c
  # shellcheck disable=SC2086
  cc -std=c11 -Wall -Wextra -Wpedantic -Werror -fsyntax-only $cflags one.c > one.log 2>&1 ||
    fail "maml/$(basename "$h") does not compile alone: $(cat one.log)"
done

# ---- the examples, with CMake and with pkg-config --------------------------------------
for ex in policy_action adapt; do
  cmake -S "$src/examples/$ex" -B "cmake-$ex" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_C_FLAGS="-Werror" > "cmake-$ex.log" 2>&1 &&
    cmake --build "cmake-$ex" >> "cmake-$ex.log" 2>&1 ||
    fail "examples/$ex with find_package(maml): $(cat "cmake-$ex.log")"
done
# the static library's target too
cmake -S "$src/examples/policy_action" -B cmake-static -DCMAKE_PREFIX_PATH="$prefix" \
  -DMAML_EXAMPLE_STATIC=ON > cmake-static.log 2>&1 && cmake --build cmake-static \
  >> cmake-static.log 2>&1 || fail "policy_action with maml::maml_static: $(cat cmake-static.log)"
readelf -d cmake-static/policy_action | grep -q "NEEDED.*libmaml" &&
  fail "policy_action linked with maml::maml_static needs libmaml.so"
mkdir pc
make -C "$src/examples" OUT="$work/pc" CFLAGS="-O2 -Wall -Wextra -Wpedantic -Werror" \
  > pc.log 2>&1 || fail "examples with pkg-config: $(cat pc.log)"

# ---- a checkpoint, trained by the installed program from another folder ------------------
"$prefix/bin/maml" train --env cheetah-vel --tasks 2 --episodes 2 --iterations 2 --horizon 20 \
  --hidden 8,5 --activation tanh --threads 1 --seed 3 --run-dir run > train.log 2>&1 ||
  fail "the installed maml: $(cat train.log)"
"$prefix/bin/maml" envs --check > envs.log 2>&1 || fail "installed maml envs --check: $(cat envs.log)"
grep -q "cheetah-vel  $prefix/share/maml/assets/half_cheetah.xml" envs.log ||
  fail "the installed maml does not use its prefix's models: $(cat envs.log)"
grep -q "$src/assets" envs.log && fail "the installed maml reads the source tree's models"

# ---- policy_action: the mean action, against the network computed here ------------------
ckpt=run/latest.ckpt
read -r shape act n < <("$maml" info "$ckpt" |
  sed -n 's/^network *\([0-9-]*\) \([a-z]*\), \([0-9]*\) parameters$/\1 \2 \3/p')
[ -n "$n" ] || fail "maml info does not describe the network"
obs_dim=${shape%%-*}
obs=$(awk -v n="$obs_dim" 'BEGIN { for (i = 1; i <= n; i++) printf "%s%.3f", (i > 1 ? "," : ""), sin(i * 0.7) }')
tail -c $((n * 8 + 4)) "$ckpt" | head -c $((n * 8)) | od -An -v -t f8 -w8 > theta.txt
[ "$(wc -l < theta.txt)" -eq "$n" ] || fail "the checkpoint's parameters could not be read"
# mu = W_L h_L + b_L, h_{l+1} = act(W_l h_l + b_l), W row-major; std = exp(log_std)
awk -v shape="$shape" -v act="$act" -v obs="$obs" '
  { theta[NR - 1] = $1 + 0 }
  END {
    L = split(shape, size, "-") - 1; split(obs, x, ",")
    for (i = 1; i <= size[1]; i++) h[i] = x[i]
    k = 0
    for (l = 1; l <= L; l++) {
      nin = size[l]; nout = size[l + 1]
      for (o = 1; o <= nout; o++) {
        s = 0
        for (i = 1; i <= nin; i++) s += theta[k + (o - 1) * nin + i - 1] * h[i]
        y[o] = s
      }
      k += nin * nout
      for (o = 1; o <= nout; o++) {
        y[o] += theta[k + o - 1]
        if (l < L) y[o] = act == "tanh" ? (exp(2 * y[o]) - 1) / (exp(2 * y[o]) + 1) \
                                       : (y[o] > 0 ? y[o] : 0)
      }
      k += nout
      for (o = 1; o <= nout; o++) h[o] = y[o]
    }
    printf "mean:"; for (o = 1; o <= size[L + 1]; o++) printf " %.9g", h[o]
    printf "\nstd:"; for (o = 1; o <= size[L + 1]; o++) printf " %.9g", exp(theta[k + o - 1])
    printf "\n"
  }' theta.txt > expected.txt
for ex in "cmake-policy_action/policy_action" "pc/policy_action" "cmake-static/policy_action"; do
  # shellcheck disable=SC2086
  ./$ex "$ckpt" ${obs//,/ } > got.txt 2> got.log || fail "$ex: $(cat got.log)"
  paste -d'\n' expected.txt got.txt | awk '
    NR % 2 == 1 { n = split($0, e, " "); next }
    { m = split($0, g, " ")
      if (m != n || g[1] != e[1]) { print "line " NR / 2 ": shape"; exit 1 }
      for (i = 2; i <= n; i++) {
        d = g[i] - e[i]; if (d < 0) d = -d
        t = e[i] < 0 ? -e[i] : e[i]
        if (d > 1e-5 * (1 + t)) { print e[1] " " i - 1 ": " g[i] " against " e[i]; exit 1 } } }' \
    > cmp.log || fail "$ex: not the network's mean action: $(cat cmp.log)
expected: $(cat expected.txt)
got:      $(cat got.txt)"
  cp got.txt "got-${ex%%/*}.txt"
done
out=$(pc/policy_action "$ckpt" 1,2 2>&1) && fail "policy_action accepted 2 numbers for $obs_dim"
echo "$out" | grep -q "observes $obs_dim numbers, 2 given" || fail "policy_action, 2 numbers: $out"

# ---- adapt: the returns of maml eval on the same goal, then the rollouts -----------------
"$prefix/bin/maml" eval --policy m="$ckpt" --goal 1.5 --episodes 2 --steps 2 --threads 1 \
  --out eval > eval.log 2>&1 || fail "installed maml eval: $(cat eval.log)"
awk -F, '$1 == "m" { printf "return after %d steps: %.6f\n", $3, $4 }' eval/eval.csv > eval.txt
[ "$(wc -l < eval.txt)" -eq 3 ] || fail "eval.csv: $(cat eval/eval.csv)"
cmake-adapt/adapt "$ckpt" 1.5 2 2 > adapt-cmake.txt 2>&1 || fail "adapt: $(cat adapt-cmake.txt)"
pc/adapt "$ckpt" 1.5 2 2 > adapt-pc.txt 2>&1 || fail "adapt (pkg-config): $(cat adapt-pc.txt)"
cmp -s adapt-cmake.txt adapt-pc.txt || fail "the two builds of adapt differ"
cmp -s eval.txt <(grep "^return after" adapt-pc.txt) ||
  fail "adapt's returns are not maml eval's: $(cat adapt-pc.txt) against $(cat eval.txt)"
grep -Eq "^mean-action rollout: before -?[0-9.]+, after -?[0-9.]+$" adapt-pc.txt ||
  fail "adapt's rollouts: $(cat adapt-pc.txt)"
out=$(pc/adapt "$ckpt" 7 2 2 2>&1) && fail "adapt accepted a goal out of range"
echo "$out" | grep -q "cheetah-vel goal" || fail "adapt, a goal out of range: $out"

# ---- the prefix moved: the program and the library find their models there ---------------
moved="$work/moved"
mv "$prefix" "$moved"
"$moved/bin/maml" envs --check > envs2.log 2>&1 || fail "maml in the moved prefix: $(cat envs2.log)"
grep -q "cheetah-vel  $moved/share/maml/assets/half_cheetah.xml" envs2.log ||
  fail "the moved maml does not use its prefix's models: $(cat envs2.log)"
mlib="$moved/${libdir#"$prefix"/}"
# the CMake package names its files relative to itself
cmake -S "$src/examples/policy_action" -B cmake-moved -DCMAKE_PREFIX_PATH="$moved" \
  > cmake-moved.log 2>&1 && cmake --build cmake-moved >> cmake-moved.log 2>&1 ||
  fail "policy_action with find_package(maml) in the moved prefix: $(cat cmake-moved.log)"
# shellcheck disable=SC2086
cmake-moved/policy_action "$ckpt" ${obs//,/ } > got-moved.txt 2>&1 || fail "$(cat got-moved.txt)"
cmp -s got-cmake-policy_action.txt got-moved.txt || fail "policy_action built in the moved prefix: $(cat got-moved.txt)"
ldd cmake-moved/policy_action | grep -q "libmaml.so.$major => $mlib/" ||
  fail "policy_action built in the moved prefix does not load its libmaml.so: $(ldd cmake-moved/policy_action)"
LD_LIBRARY_PATH="$mlib" pc/adapt "$ckpt" 1.5 2 2 > adapt-moved.txt 2>&1 ||
  fail "adapt on the moved libmaml.so: $(cat adapt-moved.txt)"
cmp -s adapt-pc.txt adapt-moved.txt || fail "adapt on the moved library: $(cat adapt-moved.txt)"
# without the prefix's models: an error naming that folder, never the source tree's models
mv "$moved/share/maml/assets" hidden-assets
out=$("$moved/bin/maml" train --env cheetah-vel --iterations 1 --tasks 2 --episodes 2 \
  --horizon 20 --run-dir run2 2>&1) && fail "maml trained without its prefix's models"
echo "$out" | grep -q "$moved/share/maml/assets/half_cheetah.xml (the installed assets" ||
  fail "maml without its models: $out"
echo "$out" | grep -q "$src/assets" && fail "maml without its models looked in the source tree: $out"
out=$(LD_LIBRARY_PATH="$mlib" pc/adapt "$ckpt" 1.5 2 2 2>&1) && fail "adapt without the models"
echo "$out" | grep -q "$moved/share/maml/assets/half_cheetah.xml (the installed assets, beside libmaml" ||
  fail "adapt without the models: $out"
MAML_ASSETS="$work/hidden-assets" LD_LIBRARY_PATH="$mlib" pc/adapt "$ckpt" 1.5 2 2 \
  > adapt-env.txt 2>&1 || fail "adapt with MAML_ASSETS: $(cat adapt-env.txt)"
mv hidden-assets "$moved/share/maml/assets"

# ---- a consumer of the other float type is refused -----------------------------------------
export PKG_CONFIG_PATH="$mlib/pkgconfig"
cflags=$(pkg-config --cflags maml)
libs="$(pkg-config --libs maml) -lm"
double=$(sed -n 's/^#define MAML_BUILD_DOUBLE \([01]\)$/\1/p' "$moved/include/maml/build_config.h")
[ -n "$double" ] || fail "build_config.h does not record the float type"
if [ "$double" = 0 ]; then # the program asks for double by hand
  # shellcheck disable=SC2086
  out=$(cc -std=c11 -DMAML_DOUBLE $cflags -o refused "$src/examples/policy_action/policy_action.c" \
    $libs 2>&1) && fail "a -DMAML_DOUBLE program compiled against the float library"
  echo "$out" | grep -q "error.*MAML_DOUBLE is defined, but this libmaml was built with float" ||
    fail "-DMAML_DOUBLE against the float library: $out"
fi
# the headers of the other type (another install's) with this library: no link
mkdir -p other/maml
cp "$moved"/include/maml/*.h other/maml/
sed -i "s/^#define MAML_BUILD_DOUBLE $double$/#define MAML_BUILD_DOUBLE $((1 - double))/" \
  other/maml/build_config.h
other_type=$([ "$double" = 0 ] && echo double || echo float)
# shellcheck disable=SC2086
out=$(cc -std=c11 -I"$work/other" $cflags -o refused "$src/examples/policy_action/policy_action.c" \
  $libs 2>&1) && fail "a program of the other float type linked with the library"
echo "$out" | grep -q "undefined reference to .maml_library_${major}_[0-9]*_with_$other_type" ||
  fail "the other float type's program, link: $out"
echo "install: ok ($version, $([ "$double" = 1 ] && echo double || echo float))"
