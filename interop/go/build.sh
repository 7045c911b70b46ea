#!/usr/bin/env bash
# Builds the Go reference peer (hashicorp/yamux and libp2p/go-yamux, chosen with --impl):
#   interop/go/build.sh [OUTDIR]        -> OUTDIR/yamux-go-peer (default interop/go/bin)
# Works offline once the module cache holds the pinned modules (go.sum is complete):
#   GOPROXY=off interop/go/build.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$(mkdir -p "${1:-$here/bin}" && cd "${1:-$here/bin}" && pwd)"
GO="${GO:-go}"
command -v "$GO" >/dev/null || { echo "build.sh: $GO not found" >&2; exit 1; }
cd "$here"
export GOFLAGS="${GOFLAGS:--mod=mod}" CGO_ENABLED=0
"$GO" build -trimpath -o "$out/yamux-go-peer" ./cmd/yamux-go-peer
