#!/usr/bin/env bash
# Builds and runs the first C block of README.md's "The API in one example" verbatim against
# the library just built: the example must compile warning-free and print "hello".
#   tests/readme_example.sh SOURCE_DIR LIBYAMUX_A CC
set -euo pipefail
src=$1 lib=$2 cc=${3:-cc}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
awk '/^## The API in one example/ {on = 1} on && /^```c$/ {grab = 1; next}
     grab && /^```$/ {exit} grab {print}' "$src/README.md" >"$dir/example.c"
[ -s "$dir/example.c" ] || { echo "readme_example: no C block found" >&2; exit 1; }
"$cc" -std=c11 -Wall -Wextra -Werror -Wno-unused-parameter -I"$src/include" \
    -o "$dir/example" "$dir/example.c" "$lib"
out=$("$dir/example")
[ "$out" = hello ] || { echo "readme_example: printed '$out', expected 'hello'" >&2; exit 1; }
echo "README example: $out"
