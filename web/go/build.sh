#!/usr/bin/env bash
# Builds the Go WebAssembly programs of web/go into OUTDIR (default web/go/bin, gitignored):
#   yamux-wasm-peer.wasm     GOOS=wasip1: the interop peer over a WASI queue descriptor
#   yamux-wasm-peer-js.wasm  GOOS=js: the same peer over syscall/js + Atomics.waitAsync
#   wasi-probe.wasm          GOOS=wasip1: checks of the WASI host itself
#   wasm_exec.js             Go's GOOS=js support code, copied from this Go installation
#   yamux-go-peer            the native Go peer (same logic, TCP), for the benchmark
# Works offline once the module cache holds the pinned modules: GOPROXY=off web/go/build.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$(mkdir -p "${1:-$here/bin}" && cd "${1:-$here/bin}" && pwd)"
GO="${GO:-go}"
command -v "$GO" >/dev/null || { echo "build.sh: $GO not found" >&2; exit 1; }
cd "$here"
export GOFLAGS="${GOFLAGS:--mod=mod}" CGO_ENABLED=0
GOOS=wasip1 GOARCH=wasm "$GO" build -trimpath -o "$out/yamux-wasm-peer.wasm" ./cmd/yamux-wasm-peer
GOOS=wasip1 GOARCH=wasm "$GO" build -trimpath -o "$out/wasi-probe.wasm" ./cmd/wasi-probe
GOOS=js GOARCH=wasm "$GO" build -trimpath -o "$out/yamux-wasm-peer-js.wasm" ./cmd/yamux-wasm-peer
cp "$("$GO" env GOROOT)/lib/wasm/wasm_exec.js" "$out/wasm_exec.js"
(cd ../../interop/go && "$GO" build -trimpath -o "$out/yamux-go-peer" ./cmd/yamux-go-peer)
