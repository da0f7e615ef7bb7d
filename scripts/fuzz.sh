#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs one libFuzzer target for SECONDS: scripts/fuzz.sh TARGET SECONDS [libFuzzer flags...]
# Targets: npy safetensors ezt ezt_crc code_json sim_json sim_ini round_trip (tests/fuzz/).
# Builds with clang, libFuzzer, AddressSanitizer and UndefinedBehaviorSanitizer in build/fuzz,
# starts from the seed corpus (tests/fuzz/corpus/TARGET) and the kept regressions, grows a working
# corpus in build/fuzz/corpus/TARGET, and writes any failing input to build/fuzz/artifacts/TARGET/.
# A failing input belongs in tests/data/regressions/TARGET/ (replayed by ctest fuzz.replay.TARGET)
# once the defect is fixed. Extra flags go to libFuzzer, e.g. -runs=1000000 or -jobs=2.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGETS="npy safetensors ezt ezt_crc code_json sim_json sim_ini round_trip"
if [ $# -lt 2 ] || ! [[ " $TARGETS " == *" $1 "* ]] || ! [[ "$2" =~ ^[0-9]+$ ]]; then
    echo "usage: scripts/fuzz.sh TARGET SECONDS [libFuzzer flags...]  (TARGET: $TARGETS)" >&2
    exit 2
fi
TARGET="$1" SECONDS_TO_RUN="$2"
shift 2
BUILD="$ROOT/build/fuzz"

"$ROOT/scripts/install_deps.sh" clang libclang-rt-14-dev
# Configured every time (a no-op when nothing changed), so a build folder made with older flags
# is brought up to date. tests/fuzz/coverage_ignore.txt: functions without coverage callbacks.
# -O2 with assertions on, not the Debug build's -O1: a fifth more round_trip executions per
# second, and executions are what a fuzzing budget buys.
CXX=clang++ cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-g -O2 -D_GLIBCXX_ASSERTIONS" -DEMBZIP_FUZZ=ON \
    -DEMBZIP_BUILD_BENCH=OFF \
    -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -fsanitize-coverage-ignorelist=$ROOT/tests/fuzz/coverage_ignore.txt" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
cmake --build "$BUILD" -j2 --target "fuzz_$TARGET"

CORPUS="$BUILD/corpus/$TARGET" ARTIFACTS="$BUILD/artifacts/$TARGET"
mkdir -p "$CORPUS" "$ARTIFACTS" "$BUILD/tmp"
SEEDS=("$ROOT/tests/fuzz/corpus/$TARGET")
[ -d "$ROOT/tests/data/regressions/$TARGET" ] && SEEDS+=("$ROOT/tests/data/regressions/$TARGET")
echo "fuzz: $TARGET for ${SECONDS_TO_RUN}s; failing inputs go to $ARTIFACTS/" >&2
# The first directory is the working corpus libFuzzer adds to; the others are read only.
TMPDIR="$BUILD/tmp" "$BUILD/tests/fuzz/fuzz_$TARGET" -max_total_time="$SECONDS_TO_RUN" \
    -timeout=20 -print_final_stats=1 -artifact_prefix="$ARTIFACTS/" "$@" "$CORPUS" "${SEEDS[@]}"
