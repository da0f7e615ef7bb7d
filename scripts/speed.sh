#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Issue 14's speed targets in one run, each beside zstd where zstd does the same job: the
# library benchmarks (Google Benchmark: decode, write, zstd, CRC, decoder construction), the
# code searches and `embzip decode` on the full-size synthetic table (time, peak memory), and
# the simulator's lookups per wall second. Run it with nothing else on the machine: on a shared
# VM the same binary moves by 5-10 % from one hour to the next.
#   scripts/speed.sh           medians of 5 repetitions; code searches on one thread
#   scripts/speed.sh --quick   one repetition, no code searches (~1 minute after the build)
# Builds Release in build/speed (tools and benchmarks, no tests); its tables go to build/speed/data.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
QUICK=0
if [ "${1:-}" = "--quick" ]; then
    QUICK=1
    shift
fi
[ $# -eq 0 ] || { echo "usage: scripts/speed.sh [--quick]" >&2; exit 2; }

"$ROOT/scripts/install_deps.sh" zstd time
BUILD="$ROOT/build/speed"
DATA="$BUILD/data"
echo "speed: building Release in $BUILD" >&2
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DEMBZIP_BUILD_TESTS=OFF \
    -DEMBZIP_BUILD_SWEEP=OFF >/dev/null
cmake --build "$BUILD" -j2 --target embzip embzip-sim embzip_bench >/dev/null
E="$BUILD/encoder/embzip"
BENCH="$BUILD/tests/bench/embzip_bench"
SIM="$BUILD/systemc/embzip-sim"
DEFAULT="$ROOT/data/glove100_int8_50k.npy"
mkdir -p "$DATA"
FULL="$DATA/full.npy"
[ -f "$FULL" ] || "$BENCH" --write-full-table "$FULL"
T="/usr/bin/time"

echo "== host: $(date -u '+%F %T UTC'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)," \
    "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "== library benchmarks (one core unless the last argument is 2; M/G = 2^20/2^30 bytes)"
REPS=5
[ "$QUICK" = 1 ] && REPS=1
"$BENCH" --benchmark_filter='BM_Decode|BM_Encode|BM_Zstd.*/3/|BM_Crc32|BM_BuildDecoder' \
    --benchmark_min_time=0.2 --benchmark_repetitions=$REPS \
    --benchmark_report_aggregates_only=$([ $REPS -gt 1 ] && echo true || echo false) 2>/dev/null |
    grep -E "^BM_" | grep -vE "_(mean|stddev|cv)( |$)"

if [ "$QUICK" = 0 ]; then
    echo "== code search, embzip encode -j 1 on the full-size table (CPU = user + sys)"
    for m in "minimax8" "minimax8 --books 8" "minimax8 --overflow 0.01" "nibble4" "nibble4x2"; do
        # shellcheck disable=SC2086  # the method's options are words
        $T -f "--method $m: %U s user + %S s sys, %e s wall, %M KiB peak" \
            "$E" encode -q -j 1 -i "$FULL" --method $m --out "$DATA/search" 2>&1 | tail -1
    done
fi
echo "== embzip decode -j 1 of the full-size minimax8 table, against zstd -d of zstd -3"
"$E" encode -q -i "$FULL" --method minimax8 --out "$DATA/full_mm8"
$T -f "zstd -3: %U s user + %S s sys, %e s wall, %M KiB peak" \
    zstd -q -3 -f "$FULL" -o "$DATA/full.zst"
for i in 1 2 3; do
    $T -f "embzip decode: %e s wall, %U s user + %S s sys, %M KiB peak" \
        "$E" decode -j 1 --in "$DATA/full_mm8" --out "$DATA/decoded.npy"
    $T -f "zstd -d:       %e s wall, %U s user + %S s sys, %M KiB peak" \
        zstd -q -d -f "$DATA/full.zst" -o "$DATA/decoded_zstd.npy"
done
cmp "$DATA/decoded.npy" "$FULL" && echo "embzip decode output == the input table"
echo "== simulator: embzip-sim --bench, DDR4 preset, minimax8 on the default table"
"$E" encode -q -i "$DEFAULT" --method minimax8 --out "$DATA/default_mm8"
for i in 1 2 3; do
    "$SIM" --config "$ROOT/sim_configs/default.json" --set table.coded_dir="$DATA/default_mm8" \
        --set stream.batches=256 -q --bench --no-baseline | grep '^bench:'
done
echo "with both plain baselines (three systems):"
"$SIM" --config "$ROOT/sim_configs/default.json" --set table.coded_dir="$DATA/default_mm8" \
    --set stream.batches=256 -q --bench | grep '^bench:'
