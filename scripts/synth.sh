#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Generic yosys synthesis of a generated decoder (embzip-rtl --out RTL_DIR), for area and depth:
#   scripts/synth.sh RTL_DIR [OUT.json]     (default OUT: RTL_DIR/synth.json, also printed)
# yosys 0.23 has no cell areas, so: flatten, turn every flip-flop into a plain D flip-flop (enables
# and synchronous resets become gates), map all combinational logic to 2-input NANDs and
# inverters (abc -g NAND), and weigh cells by the X1 areas of the Nangate 45 nm open cell library
# relative to NAND2_X1 (0.798 um^2): NAND2 1, INV 0.67 (0.532), DFF 5.67 (4.522).
# longest_path_cells: the longest combinational path in cells (yosys ltp -noff).
set -euo pipefail
RTL="${1:?usage: scripts/synth.sh RTL_DIR [OUT.json]}"
OUT="${2:-$RTL/synth.json}"
[ -f "$RTL/manifest.json" ] || { echo "synth.sh: $RTL/manifest.json not found (run embzip-rtl first)" >&2; exit 1; }
command -v yosys >/dev/null || { echo "synth.sh: yosys not found (scripts/install_deps.sh)" >&2; exit 1; }

read -r TOP FILES < <(python3 -c '
import json, sys, os
m = json.load(open(os.path.join(sys.argv[1], "manifest.json")))
print(m["top"], " ".join(os.path.join(sys.argv[1], f) for f in m["files"]))' "$RTL")

LOG="$(mktemp)"
trap 'rm -f "$LOG" "$OUT.tmp.$$"' EXIT
yosys -q -l "$LOG" -p "read_verilog $FILES; synth -top $TOP -flatten; dfflegalize -cell \$_DFF_P_ 01; abc -g NAND; opt_clean; stat; ltp -noff" >/dev/null \
    || { tail -n 20 "$LOG" >&2; echo "synth.sh: yosys failed on $RTL" >&2; exit 1; }

python3 - "$LOG" "$RTL" "$TOP" > "$OUT.tmp.$$" <<'EOF'
import json, re, sys
log, rtl, top = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(log).read()
# The last statistics block is the mapped netlist's.
block = text[text.rindex("Number of cells:"):]
cells = int(re.match(r"Number of cells:\s+(\d+)", block).group(1))
types = {}
for line in block.splitlines()[1:]:
    m = re.match(r"\s+(\$\S+)\s+(\d+)$", line)
    if not m:
        break
    types[m.group(1)] = int(m.group(2))
weights = {"$_NAND_": 1.0, "$_NOT_": 0.67, "$_DFF_P_": 5.67}
unknown = sorted(set(types) - set(weights))
if unknown:
    sys.exit("synth.sh: unexpected cell types after mapping: " + ", ".join(unknown))
ltp = re.findall(r"Longest topological path in \S+ \(length=(\d+)\)", text)
result = {
    "rtl_dir": rtl,
    "top": top,
    "cells": cells,
    "nand2_equivalents": round(sum(weights[t] * n for t, n in types.items()), 1),
    "flip_flops": types.get("$_DFF_P_", 0),
    "longest_path_cells": int(ltp[-1]) if ltp else 0,
    "cell_types": types,
    "weights": {"NAND2": 1.0, "INV": 0.67, "DFF": 5.67, "source": "Nangate 45nm X1 areas / NAND2_X1"},
    "tool": "yosys 0.23: synth -flatten; dfflegalize $_DFF_P_; abc -g NAND",
}
print(json.dumps(result, indent=2))
EOF
mv "$OUT.tmp.$$" "$OUT"
cat "$OUT"
