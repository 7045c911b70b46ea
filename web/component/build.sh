#!/usr/bin/env bash
# Builds the WASI 0.2 component guests (idempotent; issue 14):
#   Go (GOOS=wasip1) programs of web/component/cmd/* -> PROG.wasm
#   go-adapter-memory.mjs: keeps the adapter's memory out of Go's heap (see that file)
#   C: web/component/c/sockets.c with its committed wit-bindgen bindings (c/gen/), clang for
#     wasm32-wasi (wasi-libc, scripts/setup), its world (c/wit/) embedded (c/embed.mjs) -> sockets.wasm;
#     skipped with a message when clang cannot target wasm32-wasi
#   jco new PROG.wasm --wasi-command  -> PROG.component.wasm (jco's bundled preview 1 adapter)
#   jco transpile --instantiation async -> PROG.component.js + PROG.component.core*.wasm
#   the same with --async-mode jspi --async-wasi-imports --async-wasi-exports -> jspi/ (the
#     JSPI backend: its blocking imports suspend; docs/backends.md)
# into OUTDIR/PROG/ (default web/component/dist/PROG/, gitignored), and
# OUTDIR/probe-unpatched/: the probe adapted without the memory fix (the tests show it fail).
# jco is the pinned devDependency of web/package.json (npm ci in web/ when it is missing).
#   web/component/build.sh [OUTDIR]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
web=$(dirname "$here")
out=$(mkdir -p "${1:-$here/dist}" && cd "${1:-$here/dist}" && pwd)
GO=${GO:-go}
command -v "$GO" >/dev/null || { echo "component/build.sh: $GO not found" >&2; exit 1; }
command -v node >/dev/null || { echo "component/build.sh: node not found" >&2; exit 1; }

mkdir -p "$web/dist"
exec 9>"$out/.build.lock" # one build at a time (ctest may start the node and browser tests together)
flock 9
jco=$web/node_modules/.bin/jco
if [ ! -x "$jco" ]; then
    (flock 8; [ -x "$jco" ] || (cd "$web" && npm ci --no-audit --no-fund --loglevel=error)) 8>"$web/dist/.npm.lock"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/go"
(cd "$here" && CGO_ENABLED=0 GOOS=wasip1 GOARCH=wasm "$GO" build -trimpath -o "$tmp/go/" ./cmd/...)
adapt() { # NAME CORE PATCH(yes|no)
    local prog=$1 core=$2 patch=$3 dir=$out/$1
    mkdir -p "$dir"
    # Re-adapt and re-transpile only when the Go program, the patch or jco changed.
    local stamp
    stamp="$(cat "$core" "$here/go-adapter-memory.mjs" | sha256sum | cut -d' ' -f1) $patch jspi $("$jco" --version)"
    if [ -f "$dir/$prog.component.js" ] && [ "$(cat "$dir/.stamp" 2>/dev/null)" = "$stamp" ]; then
        return
    fi
    if [ "$patch" = yes ]; then
        node "$here/go-adapter-memory.mjs" "$core" "$dir/$prog.wasm"
    else
        cp "$core" "$dir/$prog.wasm"
    fi
    "$jco" new "$dir/$prog.wasm" --wasi-command -o "$dir/$prog.component.wasm"
    "$jco" transpile "$dir/$prog.component.wasm" -o "$dir" --instantiation async --quiet
    "$jco" transpile "$dir/$prog.component.wasm" -o "$dir/jspi" --instantiation async --quiet \
        --async-mode jspi --async-wasi-imports --async-wasi-exports
    # The module is ESM in a .js file: say so, for Node, wherever the folder is copied.
    echo '{ "type": "module" }' >"$dir/package.json"
    echo '{ "type": "module" }' >"$dir/jspi/package.json"
    echo "$stamp" >"$dir/.stamp"
    echo "component/build.sh: $prog -> $dir/$prog.component.js"
}
for core in "$tmp"/go/*; do
    adapt "$(basename "$core")" "$core" yes
done
adapt probe-unpatched "$tmp/go/probe" no

# The C component importing wasi:sockets directly.
CC=${CC:-clang}
if command -v "$CC" >/dev/null && command -v wasm-ld >/dev/null && [ -f /usr/include/wasm32-wasi/stdio.h ]; then
    mkdir -p "$tmp/c"
    "$CC" --target=wasm32-wasi -O2 -std=c11 -Wall -Wextra -Werror -I "$here/c/gen" \
        -o "$tmp/c/sockets.core.wasm" "$here/c/sockets.c" "$here/c/gen/sockets.c"
    "$here/c/wit-dir.sh" "$tmp/c/wit"
    node "$here/c/embed.mjs" "$tmp/c/wit" sockets "$tmp/c/sockets.core.wasm" "$tmp/c/sockets.wasm"
    adapt sockets "$tmp/c/sockets.wasm" no
else
    echo "component/build.sh: the sockets component skipped ($CC, wasm-ld or wasi-libc missing: scripts/setup)" >&2
fi
