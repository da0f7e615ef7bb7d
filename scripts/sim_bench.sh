#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Simulation speed of embzip-sim: wall time against lookups and channels (Release build).
# Usage: scripts/sim_bench.sh [coded_dir]   (default build/out/default)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SIM="$ROOT/build/release/systemc/embzip-sim"
DIR="${1:-$ROOT/build/out/default}"
for ch in 1 2 4; do
    for batches in 16 64 256; do
        echo "channels=$ch batches=$batches: $("$SIM" --config "$ROOT/sim_configs/default.json" \
            --set table.coded_dir="$DIR" --set memory.channels=$ch --set stream.batches=$batches \
            --no-baseline -q --bench | tail -1)"
    done
done
