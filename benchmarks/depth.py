"""The deep problem's figures beside its studies: each lesson's drift from numpy_manual, update by update
(what impls/deep/problem.py's equivalence tolerance is set from), and the timing chapter 3 renders from
compare's JSON (µs per update per lesson, the median fit over the repeats and its range).

    python -m benchmarks.depth --drift                     # the drift table in impls/deep/problem.py
    python compare.py --problem deep --device cpu --repeat 7 --json docs/deep.json
"""

import sys

from benchmarks.render import micros
from fitways.report import ratio

CONFIGS = {  # the default run, and one that wraps an uneven pass at another size
    "default run (150 updates, L = 4)": {},
    "1000 samples, batch 36, 60 updates, L = 3, H = 7": {"samples": 1000, "batch_size": 36, "updates": 60, "seed": 3,
                                                         "hidden": 7, "layers": 3},
}  # fmt: skip


def drift(problem, config, names):
    """{lesson: (largest |Δ| over every number of every parameter and every update, largest relative
    difference of the batch loss)} against numpy_manual's run, from the same start on the same batches."""
    import numpy as np

    from fitways.runner import Runner

    def run(name):
        return Runner(problem, name, config, problem.make_data(config)).trajectory()

    numpy_run = run("numpy_manual")
    found = {}
    for name in names:
        ours = run(name)
        worst = max(float(np.max(np.abs(np.asarray(ours[p]) - numpy_run[p]), initial=0)) for p in problem.parameters)
        loss = float(np.max(np.abs(ours.loss - numpy_run.loss) / np.abs(numpy_run.loss)))
        found[name] = (worst, loss)
    return found


def main(argv=None):
    from benchmarks import docstring
    from fitways.cli import HelpFormatter, Parser
    from fitways.problems import PROBLEMS
    from fitways.registry import framework_of

    parser = Parser(prog="python -m benchmarks.depth", description=docstring(__file__), formatter_class=HelpFormatter)
    parser.add_argument("--drift", action="store_true", help="print each lesson's drift from numpy_manual")
    args = parser.parse_args(argv)
    if not args.drift:
        print("error: nothing to do: give --drift (the timing comes from compare.py --json)", file=sys.stderr)
        return 2
    problem = PROBLEMS["deep"]
    names = [n for n, entry in problem.trainers.items() if n != "numpy_manual" and framework_of(entry).installed()]
    columns = {label: drift(problem, problem.Config(**setup), names) for label, setup in CONFIGS.items()}
    print(f"{'lesson':<15} " + "   ".join(f"{label:<35}" for label in columns))
    for name in names:
        cells = [f"{worst:.1e}, loss {loss:.1e}" for worst, loss in (found[name] for found in columns.values())]
        print(f"{name:<15} " + "   ".join(f"{cell:<35}" for cell in cells))
    return 0


def markdown_speed(document):
    """A table: per lesson, µs per update (median, and the range over the repeats), and how many times the
    numpy lesson's cost it is; then the machine it ran on."""
    rows = document["results"]
    numpy_cost = next(row["seconds_per_update"] for row in rows if row["trainer"] == "numpy_manual")
    lines = ["| lesson | µs per update | range over the repeats | vs numpy_manual |", "|---|---:|---:|---:|"]
    for row in rows:
        low, high = row["spread"]["seconds_per_update"]
        cost = row["seconds_per_update"]
        multiple = ratio(cost / numpy_cost) if cost > 0 and numpy_cost > 0 else "—"
        lines.append(f"| {row['trainer']} | {micros(cost)} | {micros(low)}–{micros(high)} | {multiple} |")
    machine, config = document["machine"], document["config"]
    repeats = len(rows[0]["run_seconds"][0]["seconds"])
    lines.append("")
    names = {"numpy": "numpy", "tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}
    versions = "".join(f", {label} {machine[key]}" for key, label in names.items() if key in machine)
    lines.append(
        f"Measured by `python compare.py --problem deep` with {config['layers']} layers of {config['hidden']}, batch "
        f"{config['batch_size']}, {repeats} repeats at each of two run lengths, on {machine['cpu']} "
        f"(the CPU: no GPU), Python {machine['python']}{versions}."
    )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    from fitways.signals import run_command

    sys.exit(run_command(main))
