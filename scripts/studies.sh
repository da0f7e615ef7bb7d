#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Where compression pays (sim_configs/studies/): runs every study through embzip-sim and prints
# one line per run. Results: build/out/studies/*.json. Usage: scripts/studies.sh [embzip-sim]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$ROOT/build/release"
SIM="${1:-}"
if [ -z "$SIM" ]; then
    "$ROOT/scripts/install_deps.sh"
    cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DEMBZIP_BUILD_TESTS=OFF -DEMBZIP_BUILD_BENCH=OFF >/dev/null
    cmake --build "$BUILD" -j2 --target embzip embzip-sim >/dev/null
    SIM="$BUILD/systemc/embzip-sim"
fi
EMBZIP="$(dirname "$SIM")/../encoder/embzip"
S="$ROOT/sim_configs/studies"
OUT="$ROOT/build/out/studies"
mkdir -p "$OUT"
if [ ! -f "$ROOT/build/out/default/table.ezt" ]; then
    echo "studies: encoding the default table (embzip encode --method best)" >&2
    "$EMBZIP" encode --input "$ROOT/data/glove100_int8_50k.npy" --method best --out "$ROOT/build/out/default" --quiet
fi

run() {  # name config [--set ...]
    local name="$1" cfg="$2"
    shift 2
    "$SIM" --config "$S/$cfg" "$@" --out "$OUT/$name.json" -q >"$OUT/$name.txt"
}
run dlrm_no_sram dlrm_hbm2_ddr4.json
for mb in 4 16 64; do
    run "dlrm_sram${mb}_hot" dlrm_sram_hot.json --set tiers.0.capacity_mb=$mb
    run "dlrm_sram${mb}_cache" dlrm_sram_cache.json --set tiers.0.capacity_mb=$mb
done
run glove_sram glove_sram.json
run glove_sram_zipf glove_sram.json --set stream.distribution=zipf
# One DDR4 channel (16 GB): the plain tables fit nowhere (an error), the coded ones run.
if "$SIM" --config "$S/dlrm_hbm2_ddr4_16gb.json" -q >"$OUT/dlrm_16gb_plain.txt" 2>&1; then
    echo "studies: expected the plain DLRM tables not to fit in HBM2 8 GB + DDR4 16 GB" >&2
    exit 1
fi
echo "== HBM2 8 GB + DDR4 16 GB, both systems: $(cat "$OUT/dlrm_16gb_plain.txt")"
run dlrm_16gb_coded_only dlrm_hbm2_ddr4_16gb.json --no-baseline

/usr/bin/python3 - "$OUT" <<'PY'
import json, sys, os
out = sys.argv[1]
runs = ["dlrm_no_sram"] + [f"dlrm_sram{mb}_{p}" for mb in (4, 16, 64) for p in ("hot", "cache")] + \
       ["dlrm_16gb_coded_only", "glove_sram", "glove_sram_zipf"]
def share(s):
    return "/".join(f"{100*t['share_of_reads']:.1f}" for t in s["tiers"])
print(f"{'run':22} {'Mlookups/s c/p/pb':>22} {'speedup':>8} {'stored GB c/p':>14} {'reads % per tier c | p':>28} "
      f"{'DRAM B/lookup c/p':>18} {'bottleneck c | p':>32}")
for r in runs:
    p = os.path.join(out, r + ".json")
    if not os.path.exists(p):
        continue
    j = json.load(open(p))
    b = j.get("baseline")
    bb = j.get("baseline_burst")
    bbl = bb["lookups_per_s"] / 1e6 if isinstance(bb, dict) else (b["lookups_per_s"] / 1e6 if b else 0)
    lps = f"{j['lookups_per_s']/1e6:.0f}/" + (f"{b['lookups_per_s']/1e6:.0f}/{bbl:.0f}" if b else "-/-")
    sp = f"{j['speedup']:.3f}" if b else "-"
    st = f"{j['bytes_stored']/1e9:.3f}/" + (f"{b['bytes_stored']/1e9:.3f}" if b else "-")
    sh = share(j) + " | " + (share(b) if b else "-")
    dpl = f"{j['dram_bytes_per_lookup']:.1f}/" + (f"{b['dram_bytes_per_lookup']:.1f}" if b else "-")
    bn = f"{j['bottleneck']} | " + (b["bottleneck"] if b else "-")
    print(f"{r:22} {lps:>22} {sp:>8} {st:>14} {sh:>28} {dpl:>18} {bn:>32}")
    if "cache" in j:
        print(f"{'':22} cache hit rate coded {j['cache']['hit_rate']:.3f}" +
              (f", plain {b['cache']['hit_rate']:.3f}" if b and 'cache' in b else ""))
PY
