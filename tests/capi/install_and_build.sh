#!/usr/bin/env bash
# Installs mogo into a scratch prefix, compiles examples/simple.c as a user would (pkg-config
# only, no build tree), and runs it: the installed library must find its SentencePiece module and
# the installed default model by itself.
set -euo pipefail
build=$1 src=$2
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
libdir=$(dirname "$(find "$prefix" -name mogo.pc)")/..
export PKG_CONFIG_PATH=$libdir/pkgconfig
cc -std=c99 -Wall -Werror "$src/examples/simple.c" $(pkg-config --cflags --libs mogo) -o "$prefix/simple"
test -f "$prefix/share/mogo/models/t2m-tiny.pt"
test -f "$libdir/mogo/libmogo_sentencepiece.so"
out=$(cd / && env -u MOGO_MODEL -u MOGO_SPM_SHIM LD_LIBRARY_PATH="$libdir" "$prefix/simple")
lines=$(printf '%s\n' "$out" | wc -l)
# A here-string, not a pipe: with pipefail, head closing early can kill echo with SIGPIPE.
head -3 <<<"$out"
# header + 100 frames (5 s at 20 fps)
test "$lines" -eq 101 || { echo "expected 101 lines, got $lines"; exit 1; }
echo "installed library, pkg-config and example: ok"
