"""Train y = W·x + b — or, with --problem mlp, a small tanh network — every way fitways knows, and
print one table. `python compare.py --help` explains every option; the code is fitways/command.py."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))  # also under python -I, which leaves it out

from fitways.command import run  # noqa: E402

if __name__ == "__main__":
    sys.exit(run())
