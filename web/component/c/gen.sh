#!/usr/bin/env bash
# Regenerates gen/sockets.c and gen/sockets.h, the C bindings of wit/world.wit, which are
# committed so that building the sockets component needs no wit-bindgen (the build embeds
# the world's type information with `jco embed` instead of wit-bindgen's object file).
# Needs wit-bindgen-cli 0.63.0 from crates.io (about 10 minutes to build on 2 cores):
#   cargo install wit-bindgen-cli --version 0.63.0 --locked
#   web/component/c/gen.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
want=0.63.0
have=$(wit-bindgen --version 2>/dev/null | awk '{print $2}') || true
[ "$have" = "$want" ] || { echo "gen.sh: wit-bindgen $want needed (found: ${have:-none}; see this file)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$here/wit-dir.sh" "$tmp/wit"
wit-bindgen c "$tmp/wit" --world sockets --no-object-file --out-dir "$tmp/out"
mkdir -p "$here/gen"
cp "$tmp/out/sockets.c" "$tmp/out/sockets.h" "$here/gen/"
echo "gen.sh: gen/sockets.c, gen/sockets.h from wit-bindgen $want"
