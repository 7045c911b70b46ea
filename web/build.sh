#!/usr/bin/env bash
# Builds the generated parts of the web package into web/dist/ (idempotent; npm pack runs it
# as "prepack"):
#   dist/yamux_event.wasm.js  the event-side engine (standalone wasm, embedded as base64)
#   dist/yamux_peer.cjs       the wasm-worker C program (Emscripten, threads, one file; a
#                             CommonJS script, hence .cjs inside this "type": "module" package)
#   dist/yamux_peer_jspi.cjs  the same C program for one thread and JSPI (no threads; its waits
#                             suspend it: web/src/workers/peer-jspi.js)
#   dist/layout.js            where the channel lives in the peer's memory
#   dist/yamux.js, dist/wasm-worker.js, dist/wasi-worker.js
#                             one ESM bundle per entry (web/scripts/bundle.mjs, esbuild)
# Uses Debian's emscripten (scripts/setup installs it) in its own build tree.
#   web/build.sh [build-dir]      default: build-wasm at the repository root
set -euo pipefail
web=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$web")
build=${1:-${YAMUX_WASM_BUILD_DIR:-$root/build-wasm}}
export NODE_PATH=${NODE_PATH:-/usr/share/nodejs} # emscripten 3.1.6 needs acorn from here

if ! command -v emcmake >/dev/null; then
    echo "web/build.sh: emscripten is missing (scripts/setup installs it)" >&2
    exit 1
fi
# One build at a time in a tree (tests and harnesses may call this concurrently).
mkdir -p "$build" "$web/dist"
exec 9>"$build/.build.lock"
flock 9
if [ ! -f "$build/build.ninja" ]; then
    emcmake cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
        -DYAMUX_BUILD_TESTS=OFF -DBUILD_TESTING=OFF \
        "-DCMAKE_CROSSCOMPILING_EMULATOR=/usr/bin/node;--no-experimental-fetch" >/dev/null
fi
cmake --build "$build" --target yamux_event yamux_peer yamux_peer_jspi

mkdir -p "$web/dist"
out=$build/web/wasm
node "$web/scripts/embed.mjs" "$out/yamux_event.wasm" "$web/dist/yamux_event.wasm.js"
copy() { cmp -s "$1" "$2" || cp "$1" "$2"; }
copy "$out/yamux_peer.js" "$web/dist/yamux_peer.cjs"
copy "$out/yamux_peer_jspi.js" "$web/dist/yamux_peer_jspi.cjs"
copy "$out/layout.js" "$web/dist/layout.js"

# The bundles: esbuild from web/node_modules (npm ci, pinned by package-lock.json).
if [ ! -d "$web/node_modules/esbuild" ]; then
    (cd "$web" && npm ci --no-audit --no-fund --loglevel=error)
fi
node "$web/scripts/bundle.mjs" >/dev/null
