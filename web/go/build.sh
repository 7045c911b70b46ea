#!/usr/bin/env bash
# Builds the Go WebAssembly programs of web/go into OUTDIR (default web/go/bin, gitignored):
#   yamux-wasm-peer.wasm     GOOS=wasip1: the interop peer over a WASI queue descriptor (raw mode)
#   yamux-wasm-peer-js.wasm  GOOS=js: the same peer over syscall/js + Atomics.waitAsync
#   wasi-probe.wasm          GOOS=wasip1: checks of the WASI host itself
#   wasi-guest.wasm          GOOS=wasip1: the streams-as-sockets tests' program (yamuxnet)
#   wasi-http.wasm           GOOS=wasip1: an unmodified net/http server on descriptor 3
#   wasm_exec.js             Go's GOOS=js support code, copied from this Go installation
#   yamux-go-peer            the native Go peer (same logic, TCP), for the benchmark
# Works offline once the module cache holds the pinned modules: GOPROXY=off web/go/build.sh
#   web/go/build.sh [--only NAME] [OUTDIR]    --only wasi-http: that program alone (stdlib only)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
only=
if [ "${1:-}" = "--only" ]; then
    only=${2:?--only needs a program name}
    shift 2
fi
out="$(mkdir -p "${1:-$here/bin}" && cd "${1:-$here/bin}" && pwd)"
GO="${GO:-go}"
command -v "$GO" >/dev/null || { echo "build.sh: $GO not found" >&2; exit 1; }
cd "$here"
export GOFLAGS="${GOFLAGS:--mod=mod}" CGO_ENABLED=0
wasip1() { [ -n "$only" ] && [ "$only" != "$1" ] && return 0; GOOS=wasip1 GOARCH=wasm "$GO" build -trimpath -o "$out/$1.wasm" "./cmd/$1"; }
wasip1 wasi-http
wasip1 wasi-guest
[ -n "$only" ] && exit 0
wasip1 yamux-wasm-peer
wasip1 wasi-probe
GOOS=js GOARCH=wasm "$GO" build -trimpath -o "$out/yamux-wasm-peer-js.wasm" ./cmd/yamux-wasm-peer
cp "$("$GO" env GOROOT)/lib/wasm/wasm_exec.js" "$out/wasm_exec.js"
(cd ../../interop/go && "$GO" build -trimpath -o "$out/yamux-go-peer" ./cmd/yamux-go-peer)
