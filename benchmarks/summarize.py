"""Turn a `pytest --benchmark-only --benchmark-json=PATH` file into the README's Markdown table.

    python benchmarks/summarize.py docs/benchmarks.json

One row per trainer, one column per (device, batch size): the median µs per update, and in
brackets the speed-up over gradient_tape measured in the same run.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from impls import BASELINE, TRAINERS  # noqa: E402


def summarize(report):
    cells, columns = {}, []
    for bench in report["benchmarks"]:
        info = bench["extra_info"]
        column = (info["device"], info["batch_size"])
        if column not in columns:
            columns.append(column)
        cells[info["impl"], column] = bench["stats"]["median"] * 1e6  # the clock was divided by updates
    columns.sort(key=lambda c: (c[0], c[1]))
    trainers = [name for name in TRAINERS if any((name, column) in cells for column in columns)]
    header = "| trainer | " + " | ".join(f"{device} · batch {size}" for device, size in columns) + " |"
    lines = [header, "|---" * (len(columns) + 1) + "|"]
    for name in trainers:
        row = []
        for column in columns:
            micros, base = cells.get((name, column)), cells.get((BASELINE, column))
            if micros is None:
                row.append("—")
            else:
                row.append(f"{micros:.3g} µs" + (f" ({base / micros:,.0f}×)" if base else ""))
        lines.append(f"| {name} | " + " | ".join(row) + " |")
    machine = report["benchmarks"][0]["extra_info"]
    lines.append("")
    lines.append(
        f"{machine['cpu']}; Python {machine['python']}, TensorFlow {machine['tensorflow']}, "
        f"Keras {machine['keras']}, numpy {machine['numpy']}; {report['datetime'][:10]}"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: python benchmarks/summarize.py BENCHMARK_JSON", file=sys.stderr)
        sys.exit(2)
    try:
        with open(sys.argv[1]) as file:
            print(summarize(json.load(file)))
    except (OSError, ValueError, KeyError) as error:
        print(f"error: cannot summarize {sys.argv[1]}: {error}", file=sys.stderr)
        sys.exit(2)
