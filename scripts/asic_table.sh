#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The decoder designs of coded tables through the ASIC flow (scripts/asic.sh), as one table:
#   scripts/asic_table.sh OUT_DIR CODED_DIR... [-- DESIGN...]
# CODED_DIR: from `embzip encode` (code.json + table.ezt, for the measured bits per cycle).
# DESIGN: "name:embzip-rtl options", default the four below. Binaries from $B (default
# build/release). Writes OUT_DIR/<code>_<design>/{*.v,asic.json}, OUT_DIR/asic_table.md and
# prints it. bits/cycle: decoded bits per row latency (manifest, whole table); rows/kcycle and
# Gbit/s per lane: a busy lane (manifest lane_bits_per_cycle, the same bits/cycle without
# --overlap) x fmax after synthesis; per mm^2 = that / cell area. Each design takes 1-5 minutes (qflow synthesis + STA);
# REUSE=1 keeps the results of designs already run in OUT_DIR.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
B="${B:-build/release}"
OUT="${1:?usage: scripts/asic_table.sh OUT_DIR CODED_DIR... [-- DESIGN...]}"
shift
CODES=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do CODES+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
DESIGNS=("$@")
[ ${#DESIGNS[@]} -gt 0 ] || DESIGNS=(
    "canonical:--arch canonical"
    "lut_s2_b10:--arch lut -S 2 -B 10"
    "chain_s2_b20:--arch chain -S 2 -B 20"
    "chain_s4_b40:--arch chain -S 4 -B 40"
)
[ ${#CODES[@]} -gt 0 ] || { echo "asic_table.sh: no CODED_DIR given" >&2; exit 2; }
[ -x "$B/rtl_gen/embzip-rtl" ] || { echo "asic_table.sh: $B/rtl_gen/embzip-rtl not built (set B=)" >&2; exit 1; }
mkdir -p "$OUT"
ROWS=()
for code in "${CODES[@]}"; do
    [ -f "$code/code.json" ] || { echo "asic_table.sh: $code/code.json not found" >&2; exit 1; }
    name="$(basename "$code")"
    for d in "${DESIGNS[@]}"; do
        design="${d%%:*}"
        read -r -a opts <<< "${d#*:}"
        dir="$OUT/${name}_$design"
        echo "asic_table.sh: $name $design (${opts[*]})" >&2
        if [ "${REUSE:-0}" = 1 ] && [ -f "$dir/asic.json" ]; then
            echo "asic_table.sh: reusing $dir/asic.json (REUSE=1)" >&2
        else
            "$B/rtl_gen/embzip-rtl" --code "$code/code.json" --out "$dir" "${opts[@]}" >&2
            "$HERE/asic.sh" "$dir" --out "$dir/asic.json" > /dev/null
        fi
        ROWS+=("$name" "$design" "$dir")
    done
done
python3 - "${ROWS[@]}" > "$OUT/asic_table.md.tmp" <<'EOF'
import json, os, sys
args = sys.argv[1:]
print("| code | design | cell area um^2 | cells | flip-flops | fmax MHz (synth) | "
      "bits/cycle | rows/kcycle (busy lane) | Gbit/s per lane | Gbit/s per mm^2 |")
print("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|")
for i in range(0, len(args), 3):
    code, design, d = args[i:i + 3]
    a = json.load(open(os.path.join(d, "asic.json")))
    m = json.load(open(os.path.join(d, "manifest.json")))
    t = m.get("table", {})
    bpc = t.get("decoded_bits_per_cycle")
    # A busy lane's bits per cycle (older manifests: one row at a time, the same figure).
    lane_bpc = t.get("lane_bits_per_cycle", bpc)
    rows_k = 1000.0 * t["rows_per_cycle"] if "rows_per_cycle" in t else (
        1000.0 / t["latency_mean"] if "latency_mean" in t else None)
    gbps = lane_bpc * a["fmax_mhz_synth"] / 1000 if lane_bpc else None
    per_mm2 = gbps / (a["cell_area_um2"] / 1e6) if gbps else None
    fmt = lambda v, p: ("%.*f" % (p, v)) if v is not None else "-"
    print("| %s | %s | %.0f | %d | %d | %.1f | %s | %s | %s | %s |" % (
        code, design, a["cell_area_um2"], a["cells"], a["flip_flops"], a["fmax_mhz_synth"],
        fmt(bpc, 2), fmt(rows_k, 3), fmt(gbps, 2), fmt(per_mm2, 1)))
EOF
mv "$OUT/asic_table.md.tmp" "$OUT/asic_table.md"
cat "$OUT/asic_table.md"
