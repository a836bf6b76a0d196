#!/usr/bin/env bash
# Builds Fluent Bit v5.1.1 for the side-by-side log benchmarks (tests/bench/fluentbit/README.md),
# outside the checkout, in $KEELSON_PEERS_CACHE/fluent-bit-5.1.1; nothing of it is committed.
# Fluent Bit is in none of the package registries here: give a clone (or bare mirror) of
# https://github.com/fluent/fluent-bit that has the tag:
#
#   tests/bench/fluentbit/build.sh /path/to/fluent-bit.git     # prints the binary's path
#
# Its lib/sqlite-amalgamation may be absent from a copy, so it is configured against Debian's
# libsqlite3-dev (-DFLB_PREFER_SYSTEM_LIB_SQLITE=On; -DFLB_SQLDB=Off does not build); flex, bison
# and libyaml-dev are installed when missing. simdutf is left out (GCC 12 fails to inline its AVX2
# paths; only the UTF-16 encoder needs it, not tail/parse). Rebuilt only when the binary is absent.
set -euo pipefail

FLB_VERSION=5.1.1
KEELSON_PEERS_CACHE=${KEELSON_PEERS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/keelson-peers}
FLB_HOME=$KEELSON_PEERS_CACHE/fluent-bit-$FLB_VERSION
BIN=$FLB_HOME/bin/fluent-bit

log() { echo "fluentbit-build: $*" >&2; }
die() { log "error: $*"; exit 1; }

if [[ -x $BIN ]]; then echo "$BIN"; exit 0; fi
SRC_REPO=${1:-${FLUENTBIT_SRC:-}}
[[ -n $SRC_REPO ]] || die "usage: $0 FLUENT_BIT_GIT_DIR (a clone of github.com/fluent/fluent-bit with tag v$FLB_VERSION)"

missing=()
for pkg in flex bison libyaml-dev libsqlite3-dev libssl-dev cmake; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
fi

mkdir -p "$FLB_HOME"
rm -rf "$FLB_HOME/src" "$FLB_HOME/build"
mkdir -p "$FLB_HOME/src"
# A mirror may lack its largest blobs (the sqlite amalgamation): those paths are left out.
GIT_DIR=$(git -C "$SRC_REPO" rev-parse --absolute-git-dir)
export GIT_DIR
mapfile -t absent < <(git ls-tree -r "v$FLB_VERSION" | awk '{print $3 "\t" $4}' |
  while IFS=$'\t' read -r obj path; do git cat-file -e "$obj" 2>/dev/null || echo ":(exclude)$path"; done)
# git archive still reports the excluded absent blob after writing everything else.
{ git archive "v$FLB_VERSION" -- . "${absent[@]}" 2>"$FLB_HOME/archive.log" || true; } |
  tar -x -C "$FLB_HOME/src"
[[ -f $FLB_HOME/src/CMakeLists.txt ]] || die "could not extract v$FLB_VERSION (see $FLB_HOME/archive.log)"
unset GIT_DIR
log "configuring and building Fluent Bit $FLB_VERSION in $FLB_HOME (-j2, about 20 minutes here)"
# Configured from inside $FLB_HOME with git's search stopped there: LuaJIT's CMake asks git whether
# the working directory is a work tree, and if it is (the Keelson checkout) runs `git show` in its
# own unpacked source at build time, which fails ("not a git repository").
(
  cd "$FLB_HOME"
  export GIT_CEILING_DIRECTORIES=$FLB_HOME
  cmake -S "$FLB_HOME/src" -B "$FLB_HOME/build" -DCMAKE_BUILD_TYPE=Release \
    -DFLB_PREFER_SYSTEM_LIB_SQLITE=On -DFLB_TESTS_RUNTIME=Off -DFLB_TESTS_INTERNAL=Off \
    -DFLB_EXAMPLES=Off -DFLB_SHARED_LIB=Off -DFLB_WASM=Off \
    -DFLB_USE_SIMDUTF=No
  nice -n 10 cmake --build "$FLB_HOME/build" -j2
) >"$FLB_HOME/build.log" 2>&1 ||
  { tail -n 30 "$FLB_HOME/build.log" >&2; die "build failed (log: $FLB_HOME/build.log)"; }
mkdir -p "$FLB_HOME/bin"
cp "$FLB_HOME/build/bin/fluent-bit" "$BIN"
echo "$BIN"
