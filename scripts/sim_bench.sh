#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Simulation speed of embzip-sim: wall time against lookups and channels.
# Usage: scripts/sim_bench.sh [coded_dir]   (default build/out/default)
# The build folder is $EMBZIP_BUILD (default build/release, as scripts/run.sh builds it).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${EMBZIP_BUILD:-$ROOT/build/release}"
SIM="$BUILD/systemc/embzip-sim"
DIR="${1:-$ROOT/build/out/default}"
[ -x "$SIM" ] || { echo "sim_bench: $SIM not built (scripts/run.sh, or set EMBZIP_BUILD=your build folder)" >&2; exit 1; }
[ -f "$DIR/table.ezt" ] || { echo "sim_bench: $DIR/table.ezt not found (scripts/run.sh writes build/out/default)" >&2; exit 1; }
for ch in 1 2 4; do
    for batches in 16 64 256; do
        echo "channels=$ch batches=$batches: $("$SIM" --config "$ROOT/sim_configs/default.json" \
            --set table.coded_dir="$DIR" --set memory.channels=$ch --set stream.batches=$batches \
            --no-baseline -q --bench | grep '^bench:')"
    done
done
