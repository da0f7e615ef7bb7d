#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Plots of an embzip-sweep output folder (DIR/results.jsonl) into DIR/plots/.

  pareto.png        decoder area (lanes x ASIC-flow mm2, or NAND2 eq.) vs lookups/s per memory:
                    Pareto front, plain table, the cheapest point at least as fast as plain
  speedup_lanes.png speedup over the plain table vs decoder lanes per memory channel
  saving.png        saving vs books / overflow fraction / max code length (those the sweep varies)
  break_even.txt    per memory: the cheapest decoder (lanes x area) at least as fast as plain
  methods.png       saving, speedup and energy per lookup per encoding method (method varies)
  energy.png        energy per lookup vs lanes (when lanes vary and the simulator reports it)
  speedup.png       speedup vs the sweep's axes (declared-table sweeps: dim, saving, pitch, memory)
Only the plots whose columns exist and vary are drawn. Usage: scripts/plot_sweep.py DIR
"""
import itertools
import json
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

PLAIN = FuncFormatter(lambda v, _: f"{v:g}")

LANES = "sim.config.decoder.lanes"


def load(out):
    path = os.path.join(out, "results.jsonl")
    rows = []
    with open(path) as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                if r.get("status") == "ok":
                    v = dict(r["inputs"])
                    v.update(r["figures"])
                    rows.append(v)
    return rows


def memory_label(r):
    name = r.get("sim.config.memory.name") or os.path.basename(str(r.get("memory", "memory")))
    ch = r.get("sim.config.memory.channels")
    return f"{name}, {ch} ch" if ch else name


def design_label(r):
    arch = r.get("sim.config.decoder.arch", r.get("decoder.arch"))
    if arch is None:
        return ""
    if arch == "canonical":
        return "canonical"
    s = r.get("sim.config.decoder.symbols_per_cycle", r.get("decoder.symbols_per_cycle"))
    b = r.get("sim.config.decoder.lut_bits", r.get("decoder.lut_bits"))
    return f"{arch} S={s} B={b}"


def code_label(r):
    parts = [str(r.get("code.method", ""))]
    if r.get("code.books", 1) != 1:
        parts.append(f"{r['code.books']} books")
    if r.get("code.overflow_rows"):
        parts.append("overflow")
    return " ".join(p for p in parts if p)


def design_colours(rows):
    """One colour per decoder design, the same in every plot of a sweep."""
    designs = list(dict.fromkeys(design_label(r) for r in rows))
    return {d: plt.get_cmap("tab10")(i % 10) for i, d in enumerate(designs)}


def varies(rows, key):
    return len({json.dumps(r.get(key)) for r in rows}) > 1


def save(fig, out, name):
    os.makedirs(os.path.join(out, "plots"), exist_ok=True)
    tmp = os.path.join(out, "plots", name + ".tmp.png")
    fig.savefig(tmp, dpi=110)
    os.replace(tmp, os.path.join(out, "plots", name))
    plt.close(fig)
    print(f"plot_sweep: wrote {os.path.join(out, 'plots', name)}")


def area_of(r):
    """(decoder area of all lanes, unit) from the ASIC flow (mm2) or the NAND2 estimate."""
    lanes = r.get(LANES, 1)
    if "hw.cell_area_um2" in r:
        return lanes * r["hw.cell_area_um2"] / 1e6, "mm²"
    return lanes * r["hw.nand2_equivalents"] / 1000, "thousand NAND2 eq."


def break_even(pts):
    """The cheapest point whose lookups/s are at least the plain table's (speedup >= 1)."""
    ok = [r for r in pts if r.get("sim.speedup", 0) >= 1.0]
    return min(ok, key=lambda r: area_of(r)[0]) if ok else None


def describe(r):
    """One point in words: design x lanes, then area, lane clock and speedup."""
    area, unit = area_of(r)
    clock = r.get("sim.config.decoder.clock_ghz")
    parts = [f"{area:.3g} {unit}"]
    if clock:
        parts.append(f"{1000 * clock:.0f} MHz")
    parts.append(f"speedup {r['sim.speedup']:.3f}x")
    return f"{design_label(r)} x{r.get(LANES)} lanes,\n" + ", ".join(parts)


def pareto(rows, out):
    rows = [r for r in rows if ("hw.cell_area_um2" in r or "hw.nand2_equivalents" in r)
            and "sim.lookups_per_s" in r]
    if len(rows) < 2:
        return
    unit = area_of(rows[0])[1]
    rows = [r for r in rows if area_of(r)[1] == unit]
    mems = list(dict.fromkeys(memory_label(r) for r in rows))
    fig, axes = plt.subplots(1, len(mems), figsize=(6.4 * len(mems), 5.0), squeeze=False)
    by_saving = varies(rows, "code.saving")
    savings = [100 * r.get("code.saving", 0) for r in rows]
    designs = list(dict.fromkeys(design_label(r) for r in rows))
    colours = design_colours(rows)
    summary = []
    sc = None
    for ax, mem in zip(axes[0], mems):
        pts = [r for r in rows if memory_label(r) == mem]
        xs = [area_of(r)[0] for r in pts]
        ys = [r["sim.lookups_per_s"] / 1e6 for r in pts]
        if by_saving:
            sc = ax.scatter(xs, ys, c=[100 * r.get("code.saving", 0) for r in pts], cmap="viridis",
                            vmin=min(savings), vmax=max(savings) + 1e-9, s=28, edgecolors="none")
        else:
            for d in designs:
                sel = [i for i, r in enumerate(pts) if design_label(r) == d]
                ax.scatter([xs[i] for i in sel], [ys[i] for i in sel], color=colours[d], s=26,
                           label=d, zorder=2)
        # Pareto front: no other point has less area and more lookups/s.
        order = sorted(range(len(pts)), key=lambda i: (xs[i], -ys[i]))
        front, best = [], -1.0
        for i in order:
            if ys[i] > best:
                front.append(i)
                best = ys[i]
        ax.plot([xs[i] for i in front], [ys[i] for i in front], color="tab:red", lw=1.2,
                drawstyle="steps-post", zorder=1)
        ax.scatter([xs[i] for i in front], [ys[i] for i in front], s=70, facecolors="none",
                   edgecolors="tab:red", lw=1.2, label="Pareto front", zorder=3)
        base = [r["sim.baseline.lookups_per_s"] / 1e6 for r in pts if "sim.baseline.lookups_per_s" in r]
        if base:
            ax.axhline(sum(base) / len(base), color="gray", ls="--", lw=1, label="plain table")
        even = break_even(pts)
        if even is not None:
            i = pts.index(even)
            ax.scatter([xs[i]], [ys[i]], marker="*", s=220, color="gold", edgecolors="black",
                       zorder=4, label="cheapest at least as fast as plain")
            text = "cheapest at least as fast as plain:\n" + describe(even)
        else:
            top = max(pts, key=lambda r: r["sim.speedup"])
            text = "never as fast as plain; best:\n" + describe(top)
            if top.get("sim.baseline.bottleneck"):
                text += f"\n(the plain table is bound by {top['sim.baseline.bottleneck']})"
        ax.text(0.02, 0.82, text, transform=ax.transAxes, fontsize=8, va="top",
                bbox=dict(boxstyle="round", fc="white", ec="0.7", alpha=0.9))
        summary.append(f"{mem}: {text}")
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(PLAIN)
        ax.set_xlabel(f"decoder area, all lanes ({unit}, log scale)")
        ax.set_ylabel("lookups per second (millions)")
        ax.set_title(mem, fontsize=10)
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7, loc="lower right")
    codes = list(dict.fromkeys(code_label(r) for r in rows))
    clocked = all(r.get("rtl.clock_from_flow") for r in rows)
    fig.suptitle((", ".join(codes) if len(codes) <= 3 else f"{len(codes)} codes") +
                 (": each design's lanes at its ASIC-flow fmax" if clocked else ""), fontsize=10)
    if sc is not None:
        fig.colorbar(sc, ax=axes[0].tolist(), label="saving (% of row width)")
    else:
        fig.tight_layout()
    save(fig, out, "pareto.png")
    # The answer in words, computed from the same points as the plot.
    text = "".join(" ".join(line.split("\n")) + "\n" for line in summary)
    tmp = os.path.join(out, "plots", "break_even.txt.tmp")
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, os.path.join(out, "plots", "break_even.txt"))
    for line in summary:
        print("plot_sweep: " + line.replace("\n", " "))


def speedup_lanes(rows, out):
    rows = [r for r in rows if "sim.speedup" in r and LANES in r]
    if len(rows) < 2 or not varies(rows, LANES):
        return
    mems = list(dict.fromkeys(memory_label(r) for r in rows))
    colours = design_colours(rows)
    codes = list(dict.fromkeys(code_label(r) for r in rows))
    code_styles = ["-", "--", ":", "-."]
    fig, axes = plt.subplots(1, len(mems), figsize=(6.2 * len(mems), 4.2), squeeze=False, sharey=True)
    for ax, mem in zip(axes[0], mems):
        pts = [r for r in rows if memory_label(r) == mem]
        groups = {}
        for r in pts:
            groups.setdefault((design_label(r), code_label(r)), []).append(r)
        for (design, code), g in sorted(groups.items()):
            g.sort(key=lambda r: r[LANES])
            x = [r[LANES] / r.get("sim.config.memory.channels", 1) for r in g]
            ax.plot(x, [r["sim.speedup"] for r in g], marker="o", ms=3, lw=1,
                    color=colours[design] if len(colours) > 1 else None,
                    ls=code_styles[codes.index(code) % 4] if len(colours) > 1 else "-",
                    label=", ".join(p for p in (design, code) if p))
        ax.axhline(1.0, color="gray", ls="--", lw=1)
        ax.set_xscale("log", base=2)
        ax.xaxis.set_major_formatter(PLAIN)
        ax.set_xlabel("decoder lanes per memory channel (log scale)")
        ax.set_ylabel("speedup over the plain table (x)")
        ax.set_title(mem, fontsize=10)
        ax.grid(alpha=0.3)
        if len(groups) <= 12:
            ax.legend(fontsize=7)
    fig.tight_layout()
    save(fig, out, "speedup_lanes.png")


def saving(rows, out):
    keys = [k for k in ("encode.books", "encode.overflow", "encode.max_code_len")
            if any(k in r for r in rows) and varies(rows, k)]
    rows = [r for r in rows if "code.saving" in r]
    if not keys or not rows:
        return
    fig, axes = plt.subplots(1, len(keys), figsize=(5.2 * len(keys), 3.8), squeeze=False)
    labels = {"encode.books": "code books", "encode.overflow": "overflow fraction (rows stored raw)",
              "encode.max_code_len": "longest code (bits)"}
    for ax, key in zip(axes[0], keys):
        methods = list(dict.fromkeys(r.get("code.method") for r in rows))
        for m in methods:
            seen = {}
            for r in rows:
                if r.get("code.method") == m and key in r:
                    seen[r[key]] = (100 * r["code.saving"], 100 * r.get("code.total_saving", 0))
            xs = sorted(seen)
            line, = ax.plot(xs, [seen[x][0] for x in xs], marker="o", label=f"{m}: row width")
            if key == "encode.overflow":
                ax.plot(xs, [seen[x][1] for x in xs], marker="s", ls="--", color=line.get_color(),
                        label=f"{m}: total bytes")
        ax.set_xlabel(labels[key])
        if key != "encode.overflow":
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("saving (% of the plain row)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    save(fig, out, "saving.png")


ENERGY = "sim.energy.per_lookup_pj"


def methods(rows, out):
    if not varies(rows, "encode.method") or len({r.get("encode.method") for r in rows}) < 3:
        return
    seen = {}
    for r in rows:
        seen.setdefault(r["encode.method"], r)
    names = list(seen)
    has_sim = all("sim.speedup" in seen[m] for m in names)
    has_energy = has_sim and all(ENERGY in seen[m] for m in names)
    panels = 1 + has_sim + has_energy
    fig, axes = plt.subplots(1, panels, figsize=(5.2 * panels, 4.0), squeeze=False)
    def bars(ax, values, colour, fmt, ylabel):
        b = ax.bar(names, values, color=colour)
        ax.bar_label(b, labels=[fmt(v) for v in values], fontsize=7, padding=2)
        ax.set_ylabel(ylabel)
        ax.tick_params(axis="x", rotation=30)
        ax.grid(axis="y", alpha=0.3)
        ax.margins(y=0.12)
    ax = axes[0][0]
    bars(ax, [100 * seen[m]["code.saving"] for m in names], "tab:blue", lambda v: f"{v:.1f}",
         "saving (% of row width)")
    ax.set_title("row width saved (0 = stored raw)", fontsize=10)
    if has_sim:
        ax = axes[0][1]
        bars(ax, [seen[m]["sim.speedup"] for m in names], "tab:orange", lambda v: f"{v:.3f}",
             "speedup over the plain table (x)")
        ax.axhline(1.0, color="gray", ls="--", lw=1)
        first = seen[names[0]]
        ax.set_title(f"{memory_label(first)}, {first.get(LANES)} lanes at "
                     f"{first.get('sim.config.decoder.clock_ghz', 0):g} GHz", fontsize=10)
    if has_energy:
        ax = axes[0][2]
        bars(ax, [seen[m][ENERGY] / 1000 for m in names], "tab:green", lambda v: f"{v:.1f}",
             "energy per lookup (nJ)")
        plain = seen[names[0]].get(ENERGY.replace("sim.", "sim.baseline.", 1))
        if plain:
            ax.axhline(plain / 1000, color="gray", ls="--", lw=1)
        ax.set_title("DRAM + decoder + SRAM energy (dashed: plain table)", fontsize=10)
    fig.tight_layout()
    save(fig, out, "methods.png")


def energy(rows, out):
    """Energy per lookup against lanes (sweeps that vary lanes; methods.png covers methods)."""
    pts = [r for r in rows if ENERGY in r and LANES in r]
    if len(pts) < 2 or not varies(pts, LANES):
        return
    fig, ax = plt.subplots(figsize=(7, 4.3))
    groups = {}
    for r in pts:
        groups.setdefault((memory_label(r), design_label(r), code_label(r)), []).append(r)
    mems = list(dict.fromkeys(k[0] for k in groups))
    styles = ["-", "--", ":", "-."]
    for (mem, design, code), g in sorted(groups.items()):
        g.sort(key=lambda r: r[LANES])
        label = ", ".join(p for p in (mem, design, code) if p)
        line, = ax.plot([r[LANES] for r in g], [r[ENERGY] / 1000 for r in g], marker="o", ms=3,
                        ls=styles[mems.index(mem) % 4], label=label)
    for mem in mems:
        plain = [r[ENERGY.replace("sim.", "sim.baseline.", 1)] for r in pts
                 if memory_label(r) == mem and ENERGY.replace("sim.", "sim.baseline.", 1) in r]
        if plain:
            ax.axhline(sum(plain) / len(plain) / 1000, color="gray", lw=1,
                       ls=styles[mems.index(mem) % 4], label=f"{mem}: plain table")
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_formatter(PLAIN)
    ax.set_xlabel("decoder lanes (log scale)")
    ax.set_ylabel("energy per lookup (nJ)")
    ax.grid(alpha=0.3)
    if len(groups) <= 14:
        ax.legend(fontsize=7)
    fig.tight_layout()
    save(fig, out, "energy.png")


def speedup_by_axes(rows, out):
    """Speedup against whatever the sweep varies, for sweeps without a decoder-area axis."""
    rows = [r for r in rows if "sim.speedup" in r]
    if len(rows) < 2 or any("hw.nand2_equivalents" in r for r in rows) or varies(rows, LANES):
        return  # pareto.png and speedup_lanes.png cover those
    inputs = [k for k in rows[0] if not k.startswith(("sim.", "code.", "hw.")) and varies(rows, k)]
    # Derived settings (the spec's `let`, e.g. table.row_bits from dim and saving) are fixed by the
    # other inputs: they are not dimensions of the plot.
    # Looked at from the last key back (derived keys come after the axes), one at a time, since
    # a derived key and its source determine each other.
    for k in reversed(list(inputs)):
        others = [o for o in inputs if o != k]
        key = lambda r: json.dumps([r.get(o) for o in others])  # noqa: E731
        if len({key(r) for r in rows}) == len({key(r) + json.dumps(r.get(k)) for r in rows}):
            inputs.remove(k)
    numeric = [k for k in inputs if all(isinstance(r.get(k), (int, float)) for r in rows)]
    if not numeric:
        return
    distinct = lambda k: sorted({json.dumps(r.get(k)) for r in rows})  # noqa: E731
    x = max(numeric, key=lambda k: len(distinct(k)))
    rest = [k for k in inputs if k != x]
    colour = min((k for k in rest if k in numeric), key=lambda k: len(distinct(k)), default=None)
    rest = [k for k in rest if k != colour]
    style = min((k for k in rest if len(distinct(k)) <= 3), key=lambda k: len(distinct(k)), default=None)
    panels_keys = [k for k in rest if k != style]
    panels = list(itertools.product(*[distinct(k) for k in panels_keys])) or [()]
    if len(panels) > 24:
        print(f"plot_sweep: speedup.png left out: {len(panels)} panels (over 24)", file=sys.stderr)
        return
    ncol = min(len(panels), max(1, math.ceil(math.sqrt(len(panels)))))  # near-square grid
    nrow = (len(panels) + ncol - 1) // ncol
    fig, axes = plt.subplots(nrow, ncol, figsize=(max(7.0, 4.4 * ncol), 3.4 * nrow + 0.6), squeeze=False,
                             sharex=True, sharey=True)
    styles = ["-", "--", ":"]
    # The last component of a key, unless two keys share it (table.pitch, baseline.pitch).
    lasts = [k.split(".")[-1] for k in inputs]
    short = lambda k: k.split(".")[-1] if lasts.count(k.split(".")[-1]) == 1 else k  # noqa: E731
    def show(k, v):
        v = json.loads(v)
        return os.path.basename(v).replace(".json", "") if isinstance(v, str) else v
    for n, panel in enumerate(panels):
        ax = axes[n // ncol][n % ncol]
        sel = [r for r in rows if all(json.dumps(r.get(k)) == v for k, v in zip(panels_keys, panel))]
        cmap = plt.get_cmap("viridis")
        cvals = distinct(colour) if colour else ["null"]
        svals = distinct(style) if style else ["null"]
        for ci, cv in enumerate(cvals):
            for si, sv in enumerate(svals):
                g = sorted((r for r in sel if (not colour or json.dumps(r.get(colour)) == cv) and
                            (not style or json.dumps(r.get(style)) == sv)), key=lambda r: r[x])
                if not g:
                    continue
                label = ", ".join(f"{short(k)}={show(k, v)}" for k, v in ((colour, cv), (style, sv)) if k)
                ax.plot([r[x] for r in g], [r["sim.speedup"] for r in g], ls=styles[si % 3], marker=".",
                        color=cmap(ci / max(1, len(cvals) - 1)), label=label if n == 0 else None)
        ax.axhline(1.0, color="gray", lw=0.8)
        ax.set_title(", ".join(f"{short(k)}={show(k, v)}" for k, v in zip(panels_keys, panel)), fontsize=8)
        if sorted(r[x] for r in rows)[-1] / max(1e-12, sorted(r[x] for r in rows)[0]) >= 16:
            ax.set_xscale("log", base=2)
            ax.xaxis.set_major_formatter(PLAIN)
        ax.grid(alpha=0.3)
        if n // ncol == nrow - 1:
            ax.set_xlabel(short(x) + (" (log scale)" if ax.get_xscale() == "log" else ""))
        if n % ncol == 0:
            ax.set_ylabel("speedup over plain (x)")
    fig.legend(loc="lower center", ncol=4, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.6 / (3.4 * nrow + 0.6) + 0.04, 1, 1))
    save(fig, out, "speedup.png")


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    out = sys.argv[1]
    if not os.path.exists(os.path.join(out, "results.jsonl")):
        print(f"plot_sweep: {out}/results.jsonl not found (run embzip-sweep SPEC --out {out})",
              file=sys.stderr)
        return 1
    rows = load(out)
    if not rows:
        print(f"plot_sweep: {out}: no successful points to plot", file=sys.stderr)
        return 1
    for plot in (pareto, speedup_lanes, saving, methods, energy, speedup_by_axes):
        plot(rows, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
