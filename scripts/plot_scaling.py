#!/usr/bin/env python3
"""Plot the cost of a delay+cancel pair against the pending count.

Reads criterion's estimates for the `pair` group of `bench/benches/scheduler/`
(`<target>/criterion/pair/<peer>/<n>/new/estimates.json`) and writes an SVG
(log-scale pending count, linear ns per pair) by hand: standard library only.

Usage:
    cargo bench -p schedgroup-bench --bench scheduler -- pair/
    python3 scripts/plot_scaling.py [--target-dir DIR]... [--out docs/scaling.svg]

`--target-dir` defaults to $CARGO_TARGET_DIR, else ./target. It may be given
several times (e.g. copies of `target/` from repeated runs, or directories
holding a `criterion/` folder): each point is then the median across them,
and the individual runs are drawn as small dots. It also prints the numbers
as a table, with each peer's max/min ratio across sizes.
"""

import argparse
import json
import math
import os
import statistics
import sys

GROUP = "pair"
# (criterion function id, legend label, colour)
SERIES = [
    ("schedgroup", "schedgroup: Group::delay + TaskHandle::cancel", "#1f77b4"),
    ("schedgroup_schedule", "schedgroup: Group::schedule + cancel (no clock read)", "#17becf"),
    ("heap", "Go design: Mutex<BinaryHeap> (delay + lazy cancel)", "#d62728"),
    ("delayqueue", "tokio-util DelayQueue (insert + remove, no lock)", "#7f7f7f"),
]
SIZES = [1_000, 100_000, 1_000_000, 10_000_000]
STAT = "median"  # of the per-sample averages criterion measured


def criterion_dir(path):
    """Accepts a cargo target dir or a directory that is criterion's output."""
    for candidate in (os.path.join(path, "criterion"), path):
        if os.path.isdir(os.path.join(candidate, GROUP)):
            return candidate
    return None


def load(dirs):
    """{series: {n: [ns per pair, one per run]}}"""
    data = {}
    for path in dirs:
        root = criterion_dir(path)
        if root is None:
            print(f"warning: no criterion/{GROUP} under {path}", file=sys.stderr)
            continue
        for name, _, _ in SERIES:
            for n in SIZES:
                file = os.path.join(root, GROUP, name, str(n), "new", "estimates.json")
                try:
                    with open(file) as f:
                        estimates = json.load(f)
                except FileNotFoundError:
                    continue
                ns = estimates[STAT]["point_estimate"]
                data.setdefault(name, {}).setdefault(n, []).append(ns)
    return data


def fmt_n(n):
    if n >= 1_000_000:
        return f"{n // 1_000_000}M"
    if n >= 1_000:
        return f"{n // 1_000}k"
    return str(n)


def nice_ceiling(value):
    """A round axis maximum at or above `value`."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def esc(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render(data, title, subtitle):
    width, height = 760, 480
    left, right, top, bottom = 70, 20, 64, 150
    plot_w = width - left - right
    plot_h = height - top - bottom
    all_values = [v for series in data.values() for runs in series.values() for v in runs]
    y_max = nice_ceiling(max(all_values) * 1.08)
    x_lo, x_hi = math.log10(SIZES[0]), math.log10(SIZES[-1])
    pad = 0.25

    def x_of(n):
        return left + (math.log10(n) - x_lo + pad) / (x_hi - x_lo + 2 * pad) * plot_w

    def y_of(ns):
        return top + plot_h - ns / y_max * plot_h

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="white"/>',
        f'<text x="{width / 2}" y="24" font-size="16" text-anchor="middle" '
        f'font-weight="bold">{esc(title)}</text>',
        f'<text x="{width / 2}" y="44" font-size="11" text-anchor="middle" '
        f'fill="#444">{esc(subtitle)}</text>',
    ]
    # Horizontal grid and y labels.
    ticks = 5
    for i in range(ticks + 1):
        ns = y_max * i / ticks
        y = y_of(ns)
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" '
            f'stroke="#ddd" stroke-width="1"/>'
        )
        out.append(
            f'<text x="{left - 8}" y="{y + 4:.1f}" font-size="11" text-anchor="end">{ns:g}</text>'
        )
    # Vertical grid and x labels (decades).
    for exponent in range(3, 8):
        n = 10**exponent
        x = x_of(n)
        out.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + plot_h}" '
            f'stroke="#eee" stroke-width="1"/>'
        )
        out.append(
            f'<text x="{x:.1f}" y="{top + plot_h + 18}" font-size="11" '
            f'text-anchor="middle">{fmt_n(n)}</text>'
        )
    out.append(
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" '
        f'stroke="#333" stroke-width="1"/>'
    )
    out.append(
        f'<text x="{left + plot_w / 2}" y="{top + plot_h + 38}" font-size="12" '
        f'text-anchor="middle">pending timers (log scale)</text>'
    )
    out.append(
        f'<text x="18" y="{top + plot_h / 2}" font-size="12" text-anchor="middle" '
        f'transform="rotate(-90 18 {top + plot_h / 2})">ns per delay + cancel pair</text>'
    )
    legend_y = top + plot_h + 62
    label_y = value_label_positions(data, y_of, top + plot_h - 3)
    # Value labels go on top of every line, so they are drawn last.
    labels = []
    for index, (name, label, colour) in enumerate(SERIES):
        series = data.get(name)
        if not series:
            continue
        points = sorted((n, statistics.median(runs)) for n, runs in series.items())
        path = " ".join(f"{x_of(n):.1f},{y_of(ns):.1f}" for n, ns in points)
        out.append(
            f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5"/>'
        )
        for n, runs in sorted(series.items()):
            if len(runs) > 1:
                for ns in runs:
                    out.append(
                        f'<circle cx="{x_of(n):.1f}" cy="{y_of(ns):.1f}" r="2" '
                        f'fill="{colour}" fill-opacity="0.45"/>'
                    )
        for n, ns in points:
            out.append(
                f'<circle cx="{x_of(n):.1f}" cy="{y_of(ns):.1f}" r="4.5" fill="{colour}"/>'
            )
            labels.append(
                f'<text x="{x_of(n) + 8:.1f}" y="{label_y[(name, n)]:.1f}" font-size="10" '
                f'fill="{colour}" stroke="white" stroke-width="3" paint-order="stroke">'
                f"{ns:.0f}</text>"
            )
        y = legend_y + index * 18
        out.append(
            f'<line x1="{left}" y1="{y}" x2="{left + 26}" y2="{y}" stroke="{colour}" '
            f'stroke-width="2.5"/>'
        )
        out.append(f'<circle cx="{left + 13}" cy="{y}" r="4" fill="{colour}"/>')
        ratio = ratio_of(series)
        ratio_text = f"  (max/min {ratio:.2f}x)" if ratio else ""
        out.append(
            f'<text x="{left + 34}" y="{y + 4}" font-size="12">{esc(label + ratio_text)}</text>'
        )
    out.extend(labels)
    out.append("</svg>")
    return "\n".join(out) + "\n"


def value_label_positions(data, y_of, bottom, gap=11):
    """Baselines for the value labels beside each point, pushed apart so
    that labels of different series at the same pending count never
    overlap, and lifted as a block if that pushed them below `bottom`."""
    positions = {}
    for n in SIZES:
        at_n = sorted(
            (y_of(statistics.median(series[n])) + 4, name)
            for name, series in data.items()
            if n in series
        )
        placed = []
        for y, name in at_n:
            if placed and y < placed[-1][0] + gap:
                y = placed[-1][0] + gap
            placed.append((y, name))
        lift = max(0, placed[-1][0] - bottom) if placed else 0
        for y, name in placed:
            positions[(name, n)] = y - lift
    return positions


def ratio_of(series):
    medians = [statistics.median(runs) for runs in series.values()]
    if len(medians) < 2 or min(medians) <= 0:
        return None
    return max(medians) / min(medians)


def print_table(data, runs):
    header = "peer".ljust(22) + "".join(fmt_n(n).rjust(10) for n in SIZES) + "   max/min"
    print(f"ns per delay+cancel pair, {STAT} of criterion samples, median of {runs} run(s)")
    print(header)
    for name, _, _ in SERIES:
        series = data.get(name)
        if not series:
            continue
        cells = []
        for n in SIZES:
            runs_at_n = series.get(n)
            cells.append(f"{statistics.median(runs_at_n):10.1f}" if runs_at_n else " " * 10)
        ratio = ratio_of(series)
        print(name.ljust(22) + "".join(cells) + (f"   {ratio:7.2f}" if ratio else ""))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--target-dir",
        action="append",
        help="cargo target dir (or criterion output dir); repeatable "
        "(default: $CARGO_TARGET_DIR or ./target)",
    )
    parser.add_argument("--out", default="docs/scaling.svg", help="SVG to write")
    parser.add_argument(
        "--subtitle",
        default=None,
        help="second title line (default: names the data source)",
    )
    args = parser.parse_args()
    dirs = args.target_dir or [os.environ.get("CARGO_TARGET_DIR") or "target"]
    data = load(dirs)
    if not data:
        sys.exit(
            f"no criterion estimates for group '{GROUP}' under {dirs}: "
            "run `cargo bench -p schedgroup-bench --bench scheduler -- pair/` first"
        )
    runs = max(len(r) for series in data.values() for r in series.values())
    print_table(data, runs)
    subtitle = args.subtitle or (
        f"criterion {STAT}, median of {runs} run(s); closures capture one Arc; "
        "deadlines 1 h + uniform 0..17 min; random victim"
    )
    svg = render(data, "Cost of a delay + cancel pair vs pending timers", subtitle)
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    with open(args.out, "w") as f:
        f.write(svg)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
