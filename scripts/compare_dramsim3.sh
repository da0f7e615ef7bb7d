#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs the same closed-loop read streams through DRAMsim3 and through embzip-sim's memory model
# (embzip-sim --memory-only) and prints the comparison table of systemc/README.md.
#
# usage: scripts/compare_dramsim3.sh DRAMSIM3_DIR [EMBZIP_BUILD_DIR]
#   DRAMSIM3_DIR: a DRAMsim3 checkout built with CMake (libdramsim3.so in its top folder), e.g.
#     git clone https://github.com/umd-memsys/DRAMsim3 /tmp/DRAMsim3   (we compared commit 2981759)
#     cmake -S /tmp/DRAMsim3 -B /tmp/DRAMsim3/build -DCMAKE_BUILD_TYPE=Release
#     cmake --build /tmp/DRAMsim3/build -j2
#   Nothing of DRAMsim3 is part of this project: the harness (scripts/dramsim3/harness.cpp) is
#   compiled here against that folder, in a temporary directory.
#   EMBZIP_BUILD_DIR: default build/release (built if embzip-sim is missing).
# Both simulators read DRAMsim3's own DDR4_8Gb_x8_3200.ini and HBM2_8Gb_x128.ini.
# Takes a few minutes; QUICK=1 runs shorter streams.
set -euo pipefail

die() { echo "compare_dramsim3.sh: $*" >&2; exit 1; }
[ $# -ge 1 ] || die "usage: scripts/compare_dramsim3.sh DRAMSIM3_DIR [EMBZIP_BUILD_DIR]"
D=$(cd "$1" 2>/dev/null && pwd) || die "no folder '$1'"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${2:-$ROOT/build/release}
[ -f "$D/src/memory_system.h" ] || die "$D does not look like DRAMsim3 (no src/memory_system.h)"
[ -f "$D/libdramsim3.so" ] || die "$D/libdramsim3.so missing: build DRAMsim3 first (see the top of this script)"
for ini in DDR4_8Gb_x8_3200 HBM2_8Gb_x128; do
    [ -f "$D/configs/$ini.ini" ] || die "$D/configs/$ini.ini missing"
done
SIM=$BUILD/systemc/embzip-sim
if [ ! -x "$SIM" ]; then
    cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$BUILD" -j2 --target embzip-sim >/dev/null
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
echo "building the harness against $D" >&2
g++ -O2 -std=c++17 -I"$D/src" -I"$D/ext/headers" -I"$D/ext/fmt/include" \
    "$ROOT/scripts/dramsim3/harness.cpp" -L"$D" -ldramsim3 -Wl,-rpath,"$D" -DFMT_HEADER_ONLY \
    -o "$WORK/harness"

# Refresh off for the "lost to refresh" baseline: a tREFI longer than any run.
for ini in DDR4_8Gb_x8_3200 HBM2_8Gb_x128; do
    cp "$D/configs/$ini.ini" "$WORK/$ini.ini"
    sed 's/^tREFI *=.*/tREFI = 2000000000/' "$D/configs/$ini.ini" > "$WORK/${ini}_norefresh.ini"
done

SCALE=1
[ "${QUICK:-0}" = 1 ] && SCALE=5
ROWS=16777216  # 1 GiB of 64-byte rows: every channel, rank and bank
ROW_BYTES=64

# NAME MEMORY STREAM COUNT OUTSTANDING
run_case() {
    local name=$1 ini=$2 kind=$3 count=$(( $4 / SCALE )) k=$5
    local trace="$WORK/$kind-$count.u64"
    [ -f "$trace" ] || "$WORK/harness" gen "$kind" "$count" "$ROWS" 1 "$trace"
    echo "  $name: $kind, $count rows, $k outstanding, $ini" >&2
    mkdir -p "$WORK/$name"
    "$WORK/harness" run "$WORK/$ini.ini" "$trace" "$ROW_BYTES" "$k" "$WORK/$name" > "$WORK/$name.dramsim3.json"
    local refresh=true
    case $ini in *_norefresh) refresh=false ;; esac
    cat > "$WORK/$name.config.json" <<JSON
{ "name": "$name",
  "memory": "$WORK/${ini%_norefresh}.ini",
  "table": { "rows": $ROWS, "dim": $ROW_BYTES, "row_bits": $((ROW_BYTES * 8)), "pitch": "byte" },
  "stream": { "distribution": "trace", "trace_file": "$trace", "trace_format": "u64",
              "batches": 1, "batch_size": 1, "pooling_factor": $count, "max_outstanding": $k },
  "baseline": { "enabled": false } }
JSON
    "$SIM" --config "$WORK/$name.config.json" --set memory.refresh=$refresh --memory-only -q \
        --out "$WORK/$name.embzip.json" > /dev/null
}

echo "running the streams (DRAMsim3, then embzip-sim --memory-only)" >&2
run_case ddr4_isolated DDR4_8Gb_x8_3200 uniform 4000 1
run_case ddr4_uniform DDR4_8Gb_x8_3200 uniform 100000 64
run_case ddr4_uniform_norefresh DDR4_8Gb_x8_3200_norefresh uniform 100000 64
run_case ddr4_sequential DDR4_8Gb_x8_3200 sequential 200000 64
run_case ddr4_zipf DDR4_8Gb_x8_3200 zipf 100000 64
run_case ddr4_energy DDR4_8Gb_x8_3200 uniform 20000 16
run_case hbm2_isolated HBM2_8Gb_x128 uniform 4000 1
run_case hbm2_uniform64 HBM2_8Gb_x128 uniform 200000 64
run_case hbm2_uniform256 HBM2_8Gb_x128 uniform 200000 256
run_case hbm2_sequential64 HBM2_8Gb_x128 sequential 400000 64
run_case hbm2_sequential256 HBM2_8Gb_x128 sequential 400000 256
run_case hbm2_energy HBM2_8Gb_x128 uniform 40000 64

cat > "$WORK/cases" <<'CASES'
ddr4_isolated|DDR4 isolated read|latency|64|5
ddr4_uniform|DDR4 uniform random, 64 in flight|bandwidth|64|5
ddr4_sequential|DDR4 sequential, 64 in flight|bandwidth|64|5
ddr4_uniform|DDR4 uniform random, 64 in flight|refresh|64|1
ddr4_zipf|DDR4 Zipf(0.99), 64 in flight|merged|64|5
hbm2_isolated|HBM2 isolated read|latency|64|10
hbm2_uniform64|HBM2 uniform random, 64 in flight|bandwidth|64|10
hbm2_uniform256|HBM2 uniform random, 256 in flight|bandwidth|64|10
hbm2_sequential64|HBM2 sequential, 64 in flight|bandwidth|64|10
hbm2_sequential256|HBM2 sequential, 256 in flight|bandwidth|64|10
ddr4_energy|DDR4 uniform, 20k rows, 16 in flight|energy|64|10
hbm2_energy|HBM2 uniform, 40k rows, 64 in flight|energy|64|10
CASES
"$WORK/harness" table "$WORK/cases" "$WORK"
