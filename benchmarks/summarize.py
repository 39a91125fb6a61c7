"""Turn a `pytest --benchmark-only --benchmark-json=PATH` file into the README's Markdown table.

    python benchmarks/summarize.py docs/benchmarks.json          µs per update (speed-up), 100 columns
    python benchmarks/summarize.py --wide docs/benchmarks.json   and × floor, the per-call range

The table is fitways/benchmark_table.py's: µs per update (speed-up over gradient_tape), × floor
(over numba_loop's) per batch size, and the per-call range; by default only the first, to fit a
terminal 100 columns wide. Exit status 2, with one line, for a
file that is missing, not JSON, or not a benchmark report with finite positive medians.
"""

import json
import math
import os
import sys
import textwrap

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.realpath(__file__))))  # also through a link

from fitways.benchmark_table import summarize  # noqa: E402
from fitways.cli import docstring  # noqa: E402
from fitways.output import prepare_terminal  # noqa: E402

USAGE = "usage: python benchmarks/summarize.py [--wide] BENCHMARK_JSON  (from pytest --benchmark-json=...)"
WIDTH = 100


def narrow(table):
    """The table's µs-per-update columns only (× floor and the per-call range are --wide's), and its last
    line, the machine, wrapped to WIDTH."""
    lines = []
    for line in table.splitlines():
        if line.startswith("|"):
            cells = line.strip("|").split("|")
            kept = [cells[0]] + cells[1:-1:2]  # trainer, then each column's µs (speed-up), not its × floor
            lines.append("|" + "|".join(kept) + "|")
        else:
            lines.append(textwrap.fill(line, WIDTH) if line else line)
    return "\n".join(lines)


def main(argv):
    prepare_terminal()
    if argv in (["-h"], ["--help"]):
        print(docstring(__file__) + "\n\n" + USAGE)
        return 0
    wide = "--wide" in argv
    argv = [arg for arg in argv if arg != "--wide"]
    if len(argv) != 1:
        print(USAGE, file=sys.stderr)
        return 2
    try:
        with open(argv[0]) as file:
            table = summarize(json.load(file, parse_constant=lambda c: math.nan))
        print(table if wide else narrow(table))
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
