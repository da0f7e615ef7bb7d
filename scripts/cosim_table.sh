#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Full-table co-simulation of the generated decoders (the CTest tests take 300 rows):
#   scripts/cosim_table.sh [BUILD_DIR] [TABLE.npy] [ROWS]
# encodes TABLE (default: the default table) with sa8, then runs embzip-cosim on ROWS rows
# (default: all) for the canonical design, the lut design (S=2, B=12) and the chain design (S=4,
# B=40), checking every byte
# against the library and every row's cycles against row_timing. Models are cached
# (~/.cache/embzip-cosim, or $EMBZIP_COSIM_CACHE).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${1:-$ROOT/build/release}"
TABLE="${2:-$ROOT/data/glove100_int8_50k.npy}"
ROWS="${3:-0}"
OUT="$BUILD/out/cosim"
for tool in encoder/embzip rtl_gen/embzip-cosim; do
    [ -x "$BUILD/$tool" ] || { echo "cosim_table.sh: $BUILD/$tool not built" >&2; exit 1; }
done
mkdir -p "$OUT"
"$BUILD/encoder/embzip" encode --input "$TABLE" --method sa8 --out "$OUT/sa8" --quiet
[ "$ROWS" = 0 ] && ROWS=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["rows"])' "$OUT/sa8/code.json")
"$BUILD/rtl_gen/embzip-cosim" --in "$OUT/sa8" --rows "$ROWS" --arch canonical
"$BUILD/rtl_gen/embzip-cosim" --in "$OUT/sa8" --rows "$ROWS" --arch lut -S 2 -B 12
"$BUILD/rtl_gen/embzip-cosim" --in "$OUT/sa8" --rows "$ROWS" --arch chain -S 4 -B 40
