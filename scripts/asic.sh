#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A generated decoder (embzip-rtl --out RTL_DIR) through the open-source ASIC flow qflow with the
# OSU 0.18 um standard cells (Debian qflow, qflow-tech-osu018, opensta; graywolf and qrouter for
# place and route):
#   scripts/asic.sh RTL_DIR [--clock-mhz F] [--route] [--out OUT.json] [--work DIR]
# Synthesis (yosys mapped to the library by qflow, with fanout buffering), static timing with
# vesta (qflow's zero-margin fmax, register to register) and with OpenSTA against the design's
# SDC (RTL_DIR/<top>.sdc, regenerated at F MHz when --clock-mhz is given: slack, worst path with
# I/O budgets). --route adds placement (graywolf), routing (qrouter) and post-route timing
# (vesta with back-annotated wire delays): minutes to tens of minutes, not for the default
# test run. Writes OUT.json (default RTL_DIR/asic.json) and prints it.
# The numbers come from the tools' logs; nothing is estimated here.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
usage() { echo "usage: scripts/asic.sh RTL_DIR [--clock-mhz F] [--route] [--out OUT.json] [--work DIR]" >&2; exit 2; }
[ $# -ge 1 ] || usage
RTL="$(cd "$1" && pwd)" || { echo "asic.sh: $1: no such folder" >&2; exit 1; }
shift
CLOCK="" ROUTE=0 OUT="" WORK=""
while [ $# -gt 0 ]; do
    case "$1" in
        --clock-mhz) CLOCK="${2:?--clock-mhz needs a value}"; shift 2 ;;
        --route) ROUTE=1; shift ;;
        --out) OUT="${2:?--out needs a file}"; shift 2 ;;
        --work) WORK="${2:?--work needs a folder}"; shift 2 ;;
        *) usage ;;
    esac
done
OUT="${OUT:-$RTL/asic.json}"
# The flow runs in its work folder: a relative --out is the caller's.
case "$OUT" in /*) ;; *) OUT="$PWD/$OUT" ;; esac
[ -f "$RTL/manifest.json" ] || { echo "asic.sh: $RTL/manifest.json not found (run embzip-rtl first)" >&2; exit 1; }
if [ -n "$CLOCK" ] && ! python3 -c 'import sys; f = float(sys.argv[1]); sys.exit(not 1 <= f <= 10000)' "$CLOCK" 2>/dev/null; then
    echo "asic.sh: --clock-mhz must be a number in 1..10000, got '$CLOCK'" >&2; exit 1
fi

# The flow's packages, only for runs that use it (not part of the default dependencies).
"$HERE/install_deps.sh" qflow qflow-tech-osu018 opensta graywolf qrouter
TECH=/usr/share/qflow/tech/osu018
LIB="$TECH/osu018_stdcells.lib"
[ -f "$LIB" ] || { echo "asic.sh: $LIB missing (qflow-tech-osu018)" >&2; exit 1; }

read -r TOP SDC FILES < <(python3 -c '
import json, sys, os
m = json.load(open(os.path.join(sys.argv[1], "manifest.json")))
print(m["top"], m.get("sdc", ""), " ".join(m["files"]))' "$RTL")

if [ -z "$WORK" ]; then
    WORK="$(mktemp -d)"
    trap 'rm -rf "$WORK"' EXIT
else
    rm -rf "$WORK"
    mkdir -p "$WORK"
    WORK="$(cd "$WORK" && pwd)"
fi
trap 'rm -rf "$WORK"/*.tmp; rm -f "$OUT.tmp.$$"' ERR
mkdir -p "$WORK/source" "$WORK/synthesis" "$WORK/layout"
# qflow reads one source file named after the top module.
(cd "$RTL" && cat $FILES) > "$WORK/source/$TOP.v"

# Constraints: the design's SDC, or one at --clock-mhz (same budgets: the generator's).
if [ -n "$CLOCK" ]; then
    python3 - "$RTL/$SDC" "$CLOCK" > "$WORK/$TOP.sdc" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
period = 1000.0 / float(sys.argv[2])
print(re.sub(r"^set period .*$", "set period %.4f" % period, text, flags=re.M), end="")
EOF
else
    cp "$RTL/$SDC" "$WORK/$TOP.sdc"
fi

cd "$WORK"
STAGES="synthesize sta"
[ "$ROUTE" = 1 ] && STAGES="synthesize place sta route backanno"
echo "asic.sh: qflow $STAGES -T osu018 $TOP (in $WORK)" >&2
START=$(date +%s)
if ! qflow $STAGES -T osu018 "$TOP" > qflow.log 2>&1; then
    tail -n 30 qflow.log >&2
    echo "asic.sh: qflow failed (log: $WORK/qflow.log)" >&2
    exit 1
fi
grep -q "Computed maximum clock frequency" log/sta.log \
    || { tail -n 30 qflow.log >&2; echo "asic.sh: qflow's sta step reported no fmax" >&2; exit 1; }
NETLIST="synthesis/$TOP.rtlnopwr.v"
[ -f "$NETLIST" ] || { echo "asic.sh: qflow left no $NETLIST" >&2; exit 1; }

# Area and cell counts of the mapped, buffered netlist with the library's cell areas.
yosys -q -l yosys_area.log -p "read_liberty -lib $LIB; read_verilog $NETLIST; hierarchy -top $TOP; stat -liberty $LIB" >/dev/null 2>&1 \
    || { tail -n 20 yosys_area.log >&2; echo "asic.sh: yosys stat failed" >&2; exit 1; }

# OpenSTA against the SDC (ideal clock, no wire load: the synthesis view).
cat > sta.tcl <<EOF
read_liberty $LIB
read_verilog $NETLIST
link_design $TOP
read_sdc $WORK/$TOP.sdc
report_checks -path_delay max -digits 3
report_wns
exit
EOF
sta -no_init -exit sta.tcl > opensta.log 2>&1 || { tail -n 20 opensta.log >&2; echo "asic.sh: opensta failed" >&2; exit 1; }
SECONDS_USED=$(( $(date +%s) - START ))

python3 - "$WORK" "$RTL" "$TOP" "$LIB" "$ROUTE" "$SECONDS_USED" > "$OUT.tmp.$$" <<'EOF'
import json, os, re, sys
work, rtl, top, lib, route, seconds = sys.argv[1:7]
def read(p):
    return open(os.path.join(work, p)).read()

def vesta(log):
    """qflow's vesta: zero-margin fmax and its worst path (start, end, delay, cells on it)."""
    text = read(log)
    fmax = re.findall(r"Computed maximum clock frequency \(zero margin\) = ([0-9.]+) MHz", text)
    if not fmax:
        sys.exit("asic.sh: no fmax in " + log)
    m = re.search(r"Top \d+ maximum delay paths:\nPath (\S+) to (\S+) delay ([0-9.]+) ps\n((?:\s+[0-9.]+ ps.*\n)+)", text)
    path = None
    if m:
        path = {"from": m.group(1), "to": m.group(2), "delay_ps": float(m.group(3)),
                "cells": len(m.group(4).strip().splitlines()) - 1}
    return float(fmax[-1]), path

fmax, path = vesta("log/sta.log")
stat = read("yosys_area.log")
block = stat[stat.rindex("Number of cells:"):]
cells = int(re.match(r"Number of cells:\s+(\d+)", block).group(1))
types = {}
for line in block.splitlines()[1:]:
    m = re.match(r"\s+(\S+)\s+(\d+)$", line)
    if m:
        types[m.group(1)] = int(m.group(2))
area = re.findall(r"Chip area for (?:top )?module '\\?\S+': ([0-9.]+)", stat)
if not area:
    sys.exit("asic.sh: no chip area in the yosys log")
libtext = open(lib).read()
nand2 = float(re.search(r"cell \(NAND2X1\) \{\s*area : ([0-9.]+)", libtext).group(1))
sta = read("opensta.log")
slack = re.findall(r"([-0-9.]+)\s+slack \((MET|VIOLATED)\)", sta)
start = re.findall(r"Startpoint: (\S+)", sta)
end = re.findall(r"Endpoint: (\S+)", sta)
period = float(re.search(r"^set period ([0-9.]+)", read(top + ".sdc"), re.M).group(1))
result = {
    "rtl_dir": rtl,
    "top": top,
    "tech": "osu018 (OSU 0.18 um standard cells, qflow-tech-osu018)",
    "flow": "qflow synthesize (yosys + abc to the library, blifFanout buffering) + vesta; "
            "OpenSTA with the design's SDC",
    "cell_area_um2": round(float(area[-1]), 1),
    # After --route the netlist also holds the placer's filler cells (FILL: no logic, not in
    # the liberty, so no area here): counted apart.
    "cells": cells - sum(n for t, n in types.items() if t.startswith("FILL")),
    "fill_cells": sum(n for t, n in types.items() if t.startswith("FILL")),
    "flip_flops": sum(n for t, n in types.items() if t.startswith("DFF")),
    "buffers": sum(n for t, n in types.items() if t.startswith(("BUF", "CLKBUF"))),
    "nand2x1_area_um2": nand2,
    "area_in_nand2x1": round(float(area[-1]) / nand2, 1),
    "fmax_mhz_synth": fmax,
    "worst_path_synth": path,
    "sdc": {
        "clock_mhz": round(1000.0 / period, 3),
        "period_ns": period,
        "slack_ns": float(slack[0][0]) if slack else None,
        "met": (slack[0][1] == "MET") if slack else None,
        "worst_from": start[0] if start else None,
        "worst_to": end[0] if end else None,
    },
    "cell_types": types,
    "seconds": int(seconds),
}
if route == "1":
    rfmax, rpath = vesta("log/post_sta.log")
    result["fmax_mhz_routed"] = rfmax
    result["worst_path_routed"] = rpath
print(json.dumps(result, indent=2))
EOF
mv "$OUT.tmp.$$" "$OUT"
cat "$OUT"
