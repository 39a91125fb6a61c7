"""Turn a `pytest --benchmark-only --benchmark-json=PATH` file into the README's Markdown table.

    python -m benchmarks.summarize docs/benchmarks.json [docs/limit.json]          µs per update (speed-up)
    python -m benchmarks.summarize --wide docs/benchmarks.json [docs/limit.json]   and × floor, × limit, per call

The table is benchmarks/benchmark_table.py's: µs per update (speed-up over gradient_tape), × floor
(over numba_loop's) per batch size — and, given docs/limit.json (benchmarks/limit.py), × limit, over the
least an update can take on that machine — and the per-call range; by default only the first, to fit a
terminal 100 columns wide. Exit status 2, with one line, for a
file that is missing, not JSON, or not a benchmark report with finite positive medians.
"""

import json
import math
import sys
import textwrap

from benchmarks import docstring
from benchmarks.benchmark_table import summarize
from fitways.output import prepare_terminal
from fitways.signals import run_command

USAGE = ("usage: python -m benchmarks.summarize [--wide] BENCHMARK_JSON [LIMIT_JSON]  (from pytest "
         "--benchmark-only --benchmark-json=...; python -m benchmarks.limit)")
WIDTH = 100


def narrow(table):
    """The table's µs-per-update columns only (× floor, × limit and the per-call range are --wide's), and
    its last line, the machine, wrapped to WIDTH."""
    lines, kept = [], None
    for line in table.splitlines():
        if line.startswith("|"):
            cells = line.strip("|").split("|")
            if kept is None:  # the header says which columns are µs per update
                kept = [0] + [i for i, cell in enumerate(cells) if "·" in cell]
            lines.append("|" + "|".join(cells[i] for i in kept) + "|")
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
    if len(argv) not in (1, 2):
        print(USAGE, file=sys.stderr)
        return 2
    try:
        with open(argv[0]) as file:
            report = json.load(file, parse_constant=lambda c: math.nan)
        limit = None
        if len(argv) == 2:
            with open(argv[1]) as file:
                limit = json.load(file)
            if not isinstance(limit, dict) or "benchmarks" not in limit or "machine" not in limit:
                raise ValueError(f"{argv[1]} is not benchmarks/limit.py's JSON (no 'benchmarks' bound)")
        table = summarize(report, limit)
        print(table if wide else narrow(table))
    except (OSError, ValueError) as error:
        name = getattr(error, "filename", None) or argv[0]
        print(f"error: cannot summarize {name}: {getattr(error, 'strerror', None) or error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(run_command(main))
