"""Turn a `pytest --benchmark-only --benchmark-json=PATH` file into the README's Markdown table.

    python benchmarks/summarize.py docs/benchmarks.json

The table is fitways/benchmark_table.py's: µs per update (speed-up over gradient_tape), × floor
(over numba_loop's) per batch size, and the per-call range. Exit status 2, with one line, for a
file that is missing, not JSON, or not a benchmark report with finite positive medians.
"""

import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.realpath(__file__))))  # also through a link

from fitways.benchmark_table import summarize  # noqa: E402
from fitways.cli import docstring  # noqa: E402
from fitways.output import prepare_terminal  # noqa: E402
from fitways.signals import run_command  # noqa: E402

USAGE = "usage: python benchmarks/summarize.py BENCHMARK_JSON  (from pytest --benchmark-only --benchmark-json=...)"


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
    sys.exit(run_command(main))
