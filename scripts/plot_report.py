#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Bar chart of an `embzip report --format json` file: saving per method, per table.

Fixed-width encodings are solid bars, references (per-row limits, entropy, zstd) hatched; a
minimax bar carries its proven bound as a tick. Usage: scripts/plot_report.py REPORT.json OUT.png
"""
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    with open(sys.argv[1]) as f:
        entries = json.load(f)
    if not isinstance(entries, list) or not entries:
        print(f"plot_report: {sys.argv[1]}: expected a non-empty JSON array", file=sys.stderr)
        return 1
    tables = list(dict.fromkeys(e["table"] for e in entries))
    fig, axes = plt.subplots(len(tables), 1, figsize=(9, 3.2 * len(tables)), squeeze=False)
    for ax, table in zip(axes[:, 0], tables):
        rows = [e for e in entries if e["table"] == table]
        names = [e["method"] for e in rows]
        values = [100 * e.get("total_saving", e["saving"]) if e.get("overflow_rows") else 100 * e["saving"]
                  for e in rows]
        bars = ax.bar(names, values, color=["#9bbbd4" if e.get("is_bound") else "#2a6f97" for e in rows])
        for bar, e in zip(bars, rows):
            if e.get("is_bound"):
                bar.set_hatch("//")
            if "bound_saving" in e:
                x = bar.get_x() + bar.get_width() / 2
                ax.plot([x - 0.3, x + 0.3], [100 * e["bound_saving"]] * 2, color="#c0392b", lw=2)
            ax.annotate(f"{bar.get_height():.1f}", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                        ha="center", va="bottom", fontsize=8)
        ax.axhline(0, color="black", lw=0.6)
        ax.set_ylabel("saving %")
        ax.set_title(f"{os.path.basename(table)}: {rows[0]['rows']} rows x {rows[0]['dim']} "
                     f"({rows[0].get('dtype', 'int8')}); hatched = reference, red tick = proven bound",
                     fontsize=9)
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    fig.tight_layout()
    tmp = sys.argv[2] + ".tmp.png"
    fig.savefig(tmp, dpi=120)
    os.replace(tmp, sys.argv[2])
    print(f"plot_report: wrote {sys.argv[2]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
