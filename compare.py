"""Train y = W·x + b — or, with --problem mlp, a small tanh network — every way fitways knows, and
print one table. `python compare.py --help` explains every option; the code is fitways/command.py."""

import sys

from fitways.command import run

if __name__ == "__main__":
    sys.exit(run())
