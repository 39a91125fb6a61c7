"""Turn a `pytest --benchmark-only --benchmark-json=PATH` file into the README's Markdown table.

    python -m benchmarks.summarize docs/benchmarks.json [docs/limit.json]

The table is benchmarks/benchmark_table.py's: µs per update (speed-up over gradient_tape), × floor
(over numba_loop's) per batch size — and, given docs/limit.json (benchmarks/limit.py), × limit, over the
least an update can take on that machine — and the per-call range. Exit status 2, with one line, for a
file that is missing, not JSON, or not a benchmark report with finite positive medians.
"""

import json
import math
import sys

from benchmarks.benchmark_table import summarize
from fitways.cli import docstring
from fitways.output import prepare_terminal

USAGE = ("usage: python -m benchmarks.summarize BENCHMARK_JSON [LIMIT_JSON]  (from pytest --benchmark-only "
         "--benchmark-json=...; python -m benchmarks.limit)")


def main(argv):
    prepare_terminal()
    if argv in (["-h"], ["--help"]):
        print(docstring(__file__) + "\n\n" + USAGE)
        return 0
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
        print(summarize(report, limit))
    except (OSError, ValueError) as error:
        name = getattr(error, "filename", None) or argv[0]
        print(f"error: cannot summarize {name}: {getattr(error, 'strerror', None) or error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        sys.exit(130)
