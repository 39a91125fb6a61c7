"""Turn a `pytest --benchmark-only --benchmark-json=PATH` file into the README's Markdown table.

    python benchmarks/summarize.py docs/benchmarks.json

One row per trainer, one column per (device, batch size): the median µs per update, and in
brackets the speed-up over gradient_tape measured in the same run. Exit status 2, with one line,
for a file that is missing, not JSON, or not a benchmark report with finite positive medians.
"""

import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.realpath(__file__))))  # also through a link

from fitways.cli import docstring  # noqa: E402
from fitways.output import prepare_terminal  # noqa: E402
from fitways.registry import BASELINE, LINE_TRAINERS  # noqa: E402
from fitways.report import ratio  # noqa: E402

USAGE = "usage: python benchmarks/summarize.py BENCHMARK_JSON  (from pytest --benchmark-only --benchmark-json=...)"


class NotAReport(ValueError):
    pass


def medians(report):
    """{(trainer, device, batch_size): median seconds per update}, or NotAReport saying what is wrong."""
    if not isinstance(report, dict) or not isinstance(report.get("benchmarks"), list):
        raise NotAReport("not a pytest-benchmark report (no 'benchmarks' list)")
    if not report["benchmarks"]:
        raise NotAReport("the report holds no benchmarks (was it run with --benchmark-only?)")
    cells = {}
    for index, bench in enumerate(report["benchmarks"]):
        try:
            info, median = bench["extra_info"], bench["stats"]["median"]
            key = (label(info), info["device"], info["batch_size"])
        except (KeyError, TypeError):
            raise NotAReport(f"benchmark {index} lacks extra_info trainer/device/batch_size or stats median") from None
        if isinstance(median, bool) or not isinstance(median, (int, float)) or not (0 < median < math.inf):
            raise NotAReport(f"benchmark {index} ({key[0]}) has median {median!r}, not a finite time > 0")
        cells[key] = median
    return cells


def label(info):
    """The row's name: the trainer, and for a data-parallel one its replica count."""
    entry = LINE_TRAINERS.get(info["trainer"])
    if entry is None or not entry.runs.takes_replicas:
        return info["trainer"]
    return f"{info['trainer']} ×{info['replicas']}"


def micros(seconds):
    value = seconds * 1e6
    return f"{value:,.0f} µs" if value >= 100 else f"{value:.3g} µs"


def summarize(report):
    cells = medians(report)
    columns = sorted({(device, size) for _, device, size in cells})
    order = {name: index for index, name in enumerate(LINE_TRAINERS)}  # registry order; unknown names last
    trainers = sorted({name for name, _, _ in cells}, key=lambda row: (order.get(row.split(" ×")[0], len(order)), row))
    header = "| trainer | " + " | ".join(f"{device} · batch {size}" for device, size in columns) + " |"
    lines = [header, "|---" * (len(columns) + 1) + "|"]
    for name in trainers:
        row = []
        for column in columns:
            seconds, base = cells.get((name, *column)), cells.get((BASELINE, *column))
            row.append("—" if seconds is None else micros(seconds) + (f" ({ratio(base / seconds)})" if base else ""))
        lines.append(f"| {name} | " + " | ".join(row) + " |")
    machine = {}
    for bench in report["benchmarks"]:  # each case names the versions of the frameworks it ran
        machine.update(bench.get("extra_info", {}))
    versions = ", ".join(f"{key} {machine[key]}" for key in ("numpy", "tensorflow", "jax", "torch") if key in machine)
    lines += ["", f"{machine.get('cpu', 'unknown CPU')}; Python {machine.get('python', '?')}; {versions}; {report.get('datetime', '')[:10]}"]
    return "\n".join(lines)


def main(argv):
    prepare_terminal()
    if argv in (["-h"], ["--help"]):
        print(docstring(__file__) + "\n\n" + USAGE)
        return 0
    if len(argv) != 1:
        print(USAGE, file=sys.stderr)
        return 2
    try:
        with open(argv[0]) as file:
            print(summarize(json.load(file, parse_constant=lambda c: math.nan)))
    except (OSError, ValueError) as error:
        print(f"error: cannot summarize {argv[0]}: {getattr(error, 'strerror', None) or error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        sys.exit(130)
