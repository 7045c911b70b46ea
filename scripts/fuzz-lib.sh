# Shared by scripts/fuzz and scripts/fuzz-smoke (sourced, not run).
# Harnesses, their input size limits, and the libFuzzer / AFL++ builds.

FUZZ_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FUZZ_HARNESSES=(frame session pair shmq)

# Largest input libFuzzer generates per harness (AFL++ has its own limit, 1 MB).
fuzz_max_len() {
    case "$1" in
    session) echo 32768 ;;
    shmq) echo 16384 ;;
    *) echo 4096 ;;
    esac
}

fuzz_known() {
    local h
    for h in "${FUZZ_HARNESSES[@]}"; do [ "$h" = "$1" ] && return 0; done
    return 1
}

# Whether clang can build a libFuzzer binary here (clang and libclang-rt-*-dev installed).
fuzz_have_libfuzzer() {
    local probe
    command -v clang >/dev/null 2>&1 || return 1
    probe=$(mktemp -d)
    printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' >"$probe/p.c"
    clang -fsanitize=fuzzer,address,undefined "$probe/p.c" -o "$probe/p" >/dev/null 2>&1
    local rc=$?
    rm -rf "$probe"
    return $rc
}

# Configures (once) and builds the harnesses in $1 with compiler $2; quiet unless it fails.
# Concurrent runs (scripts/fuzz in two shells) take turns on the build directory.
fuzz_build() {
    local dir=$1 cc=$2 log rc=0
    mkdir -p "$dir"
    log=$(mktemp)
    {
        flock 9
        if [ ! -f "$dir/build.ninja" ]; then
            CC=$cc cmake -S "$FUZZ_ROOT" -B "$dir" -G Ninja -DYAMUX_FUZZ=ON \
                -DYAMUX_BUILD_TESTS=OFF -DYAMUX_BUILD_INTEROP=OFF -DYAMUX_BUILD_BENCH=OFF \
                -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$log" 2>&1 || rc=1
        fi
        if [ $rc -eq 0 ]; then
            local targets=() h
            for h in "${FUZZ_HARNESSES[@]}"; do targets+=("fuzz_$h"); done
            AFL_QUIET=1 cmake --build "$dir" --target "${targets[@]}" >"$log" 2>&1 || rc=1
        fi
    } 9<"$dir"
    [ $rc -eq 0 ] || cat "$log" >&2
    rm -f "$log"
    return $rc
}

# Summary of a libFuzzer log: "runs N  exec/s E  cov C  ft F  corpus K".
fuzz_libfuzzer_summary() {
    local line
    line=$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "$1" | tail -1)
    [ -n "$line" ] || { echo "no statistics"; return; }
    awk '{
        runs=substr($1,2); cov=ft=corp=eps="?";
        for (i=1;i<=NF;i++) {
            if ($i=="cov:") cov=$(i+1); if ($i=="ft:") ft=$(i+1);
            if ($i=="corp:") corp=$(i+1); if ($i=="exec/s:") eps=$(i+1);
        }
        printf "runs %s  exec/s %s  cov %s  ft %s  corpus %s\n", runs, eps, cov, ft, corp
    }' <<<"$line"
}
