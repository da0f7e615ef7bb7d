#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What a decoder's longest supported code costs: saving per --max-code-len for a few methods.
# Usage: scripts/sweep_max_code_len.sh [TABLE] [OUT_DIR]   (default: the shipped table, build/out/sweep_L)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TABLE="${1:-$ROOT/data/glove100_int8_50k.npy}"
OUT="${2:-$ROOT/build/out/sweep_L}"
EMBZIP="${EMBZIP:-$ROOT/build/release/encoder/embzip}"
[ -x "$EMBZIP" ] || { echo "sweep: $EMBZIP not built; run scripts/run.sh first" >&2; exit 1; }
mkdir -p "$OUT"
for L in 8 9 10 11 12 14 16 20 24 32; do
    echo "sweep: --max-code-len $L" >&2
    "$EMBZIP" report --input "$TABLE" --methods huffman8,sa8,minimax8,nibble4 --max-code-len "$L" \
        --format json --quiet --out "$OUT/L$L.json"
done
/usr/bin/python3 - "$OUT" <<'PY'
import glob, json, os, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
out = sys.argv[1]
rows = []
for path in glob.glob(os.path.join(out, "L*.json")):
    L = int(os.path.basename(path)[1:-5])
    for e in json.load(open(path)):
        rows.append((L, e["method"], 100 * e["saving"], e.get("code_row_bits", e["row_bits"])))
rows.sort()
with open(os.path.join(out, "sweep.csv.tmp"), "w") as f:
    f.write("max_code_len,method,saving_pct,row_bits\n")
    for r in rows:
        f.write("%d,%s,%.3f,%d\n" % r)
os.replace(os.path.join(out, "sweep.csv.tmp"), os.path.join(out, "sweep.csv"))
fig, ax = plt.subplots(figsize=(7, 3.5))
for m in sorted({r[1] for r in rows}):
    pts = [(r[0], r[2]) for r in rows if r[1] == m]
    ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=m)
ax.set_xlabel("--max-code-len (longest code the decoder supports)")
ax.set_ylabel("saving % (stored width)")
ax.grid(alpha=0.3)
ax.legend()
fig.tight_layout()
fig.savefig(os.path.join(out, "sweep.tmp.png"), dpi=120)
os.replace(os.path.join(out, "sweep.tmp.png"), os.path.join(out, "sweep.png"))
print("sweep: wrote %s/sweep.csv and sweep.png" % out)
PY
