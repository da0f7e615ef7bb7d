#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The main job: install what is missing, build Release, then on the default table (or $1):
# print the method report, encode with the narrowest method, decode, verify bit-exact.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TABLE="${1:-$ROOT/data/glove100_int8_50k.npy}"
BUILD="$ROOT/build/release"
OUT="$ROOT/build/out"

"$ROOT/scripts/install_deps.sh"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DEMBZIP_BUILD_TESTS=OFF -DEMBZIP_BUILD_BENCH=OFF >/dev/null
cmake --build "$BUILD" -j2 --target embzip embzip-sim embzip-rtl embzip-cosim embzip-sweep >/dev/null
EMBZIP="$BUILD/encoder/embzip"
mkdir -p "$OUT"

echo "== Report: every method on $TABLE"
"$EMBZIP" report --input "$TABLE" --methods all --format table --json-out "$OUT/report.json"
/usr/bin/python3 "$ROOT/scripts/plot_report.py" "$OUT/report.json" "$OUT/report.png"
echo
echo "== Encode with the narrowest method, decode, verify"
"$EMBZIP" encode --input "$TABLE" --method best --out "$OUT/default" --quiet
"$EMBZIP" decode --in "$OUT/default" --out "$OUT/default/decoded.npy"
"$EMBZIP" verify --in "$OUT/default" --input "$TABLE"
echo "row 0: $("$EMBZIP" row --in "$OUT/default" --index 0 | cut -c1-60)..."
echo
echo "== Simulate: the coded layout vs the plain table (DDR4-3200, one channel, sim_configs/default.json)"
"$BUILD/systemc/embzip-sim" --config "$ROOT/sim_configs/default.json" --set table.coded_dir="$OUT/default" \
    --out "$OUT/sim.json" --quiet
echo
echo "== Verilog decoder of the sa8 code: generate, co-simulate 2000 rows (bytes and cycles vs the contract)"
"$EMBZIP" encode --input "$TABLE" --method sa8 --out "$OUT/sa8" --quiet
"$BUILD/rtl_gen/embzip-rtl" --code "$OUT/sa8/code.json" --out "$OUT/rtl_sa8"
"$BUILD/rtl_gen/embzip-cosim" --in "$OUT/sa8" --rows 2000 --cache "$BUILD/cosim_cache"
echo
echo "== Design-space sweep: minimax8 with 1 and 4 books x 2..16 lanes x DDR4/HBM2 (sim_configs/sweeps/small.json)"
"$BUILD/sweep/embzip-sweep" "$ROOT/sim_configs/sweeps/small.json" --out "$OUT/sweep_small" -j2
/usr/bin/python3 "$ROOT/scripts/plot_sweep.py" "$OUT/sweep_small"
echo "outputs: $OUT/report.{json,png}, $OUT/default/{table.ezt,code.json,decoded.npy}, $OUT/sim.json, $OUT/rtl_sa8/,"
echo "         $OUT/sweep_small/{results.jsonl,results.csv,plots/}"
