#!/usr/bin/env bash
# Writes into DIR the WIT package of the sockets component: world.wit plus deps/ linking the
# wasi:io, wasi:clocks and wasi:sockets 0.2.12 packages that jco ships (the pinned
# devDependency of web/package.json; npm ci in web/ installs it). Used by gen.sh
# (wit-bindgen) and web/component/build.sh (jco embed).
#   web/component/c/wit-dir.sh DIR
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
wasi=$here/../../node_modules/@bytecodealliance/jco/lib/wit/builtin/0.2.12
[ -d "$wasi" ] || { echo "wit-dir.sh: $wasi missing (npm ci in web/)" >&2; exit 1; }
dir=$1
mkdir -p "$dir/deps"
cp "$here/wit/world.wit" "$dir/world.wit"
for pkg in io clocks sockets; do
    mkdir -p "$dir/deps/$pkg"
    cp "$wasi/wasi-$pkg/package.wit" "$dir/deps/$pkg/package.wit"
done
