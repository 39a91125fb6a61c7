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
from fitways.cli import HelpFormatter, Parser
from fitways.output import prepare_terminal
from fitways.signals import run_command

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
    parser = Parser(prog="python -m benchmarks.summarize", description=docstring(__file__).split("\n\n")[0],
                    epilog=docstring(__file__).split("\n\n", 1)[1], formatter_class=HelpFormatter)  # fmt: skip
    parser.add_argument("report", metavar="BENCHMARK_JSON", help="pytest --benchmark-only --benchmark-json=PATH's file")
    parser.add_argument("limit", metavar="LIMIT_JSON", nargs="?", help="python -m benchmarks.limit's bound")
    parser.add_argument("--wide", action="store_true", help="every column: × floor, × limit, per call")
    args = parser.parse_args(argv)
    try:
        with open(args.report) as file:
            report = json.load(file, parse_constant=lambda c: math.nan)
        limit = None
        if args.limit:
            with open(args.limit) as file:
                limit = json.load(file)
            if not isinstance(limit, dict) or "benchmarks" not in limit or "machine" not in limit:
                raise ValueError(f"{args.limit} is not benchmarks/limit.py's JSON (no 'benchmarks' bound)")
        table = summarize(report, limit)
        print(table if args.wide else narrow(table))
    except (OSError, ValueError) as error:
        name = getattr(error, "filename", None) or args.report
        print(f"error: cannot summarize {name}: {getattr(error, 'strerror', None) or error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(run_command(main))
