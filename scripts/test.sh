#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs what is missing, builds Debug with library assertions, runs every test.
#   scripts/test.sh [ctest args...]             build/debug
#   scripts/test.sh --sanitize [ctest args...]  build/sanitize: the same suite with AddressSanitizer
#       and UndefinedBehaviorSanitizer on every binary we build; any report fails its test
#       (-fno-sanitize-recover). The decoders Verilated at run time are built without them.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SANITIZE=0
if [ "${1:-}" = "--sanitize" ]; then
    SANITIZE=1
    shift
fi

"$ROOT/scripts/install_deps.sh"
if [ "$SANITIZE" = 1 ]; then
    BUILD="$ROOT/build/sanitize"
    SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
    cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Debug -DEMBZIP_BUILD_BENCH=OFF \
        -DCMAKE_CXX_FLAGS="$SAN" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
        -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
    # Abort on the first report with a stack; leaks count too (detect_leaks is on by default).
    export ASAN_OPTIONS="abort_on_error=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
    # The Verilated models do not depend on the sanitizers (built without them, keyed by their
    # code): share build/debug's model caches instead of verilating every decoder twice.
    for cache in tests/rtl/cosim_cache tests/systemc/rtl_cache; do
        mkdir -p "$ROOT/build/debug/$cache" "$(dirname "$BUILD/$cache")"
        [ -e "$BUILD/$cache" ] || ln -s "$ROOT/build/debug/$cache" "$BUILD/$cache"
    done
else
    BUILD="$ROOT/build/debug"
    cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Debug >/dev/null
fi
cmake --build "$BUILD" -j2
cd "$BUILD"
ctest --output-on-failure -j2 "$@"
