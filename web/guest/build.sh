#!/usr/bin/env bash
# Builds the C guest programs of the WASI host (web/src/host/) into OUTDIR (default
# web/guest/bin, gitignored) with Debian's clang for wasm32-wasi on wasi-libc (scripts/setup
# installs clang, lld, wasi-libc and libclang-rt-14-dev-wasm32). Idempotent.
#   web/guest/build.sh [OUTDIR]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$(mkdir -p "${1:-$here/bin}" && cd "${1:-$here/bin}" && pwd)"
CC="${CC:-clang}"
command -v "$CC" >/dev/null || { echo "guest/build.sh: $CC not found (scripts/setup)" >&2; exit 1; }
for prog in echo dial badcalls; do
    if [ ! -f "$out/$prog.wasm" ] || [ "$here/$prog.c" -nt "$out/$prog.wasm" ] || [ "$here/yamux_wasi.h" -nt "$out/$prog.wasm" ]; then
        "$CC" --target=wasm32-wasi -O2 -std=c11 -Wall -Wextra -Werror -o "$out/$prog.wasm.tmp" "$here/$prog.c"
        mv "$out/$prog.wasm.tmp" "$out/$prog.wasm"
    fi
done
