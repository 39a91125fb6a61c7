"""keras_fit_tuned's three changes, priced one at a time: what each buys keras_fit on its own.

    python -m benchmarks.keras_fit_changes --json docs/keras_fit_changes.json

keras_fit_tuned differs from keras_fit in three ways: the input is a tf.data pipeline of batches cut
up front (instead of arrays that fit() slices), `jit_compile=True` hands the update to XLA, and
`steps_per_execution=64` runs 64 updates per call. Each variant here is keras_fit with one of them
(then all three: keras_fit_tuned itself), built from the lessons and recompiled with the variant's
options; each is timed at two run lengths and fitted, time = per call + updates × per update, like
compare.py, and must end at the closed-form fit.
"""

import statistics
import sys

from benchmarks import docstring
from fitways.cli import Parser, UsageError, number
from fitways.output import path_problem, prepare_terminal, warn
from fitways.signals import run_command

LENGTHS = (150, 1500)  # updates per run: one pass of the textbook's data, and ten
VARIANTS = {  # name: (tf.data input, jit_compile, steps_per_execution)
    "keras_fit": (False, False, 1),
    "+ tf.data input": (True, False, 1),
    "+ jit_compile (XLA)": (False, True, 1),
    "+ steps_per_execution=64": (False, False, 64),
    "keras_fit_tuned (all three)": (True, True, 64),
}


def build(variant, config, data):
    """A trainer of the variant: keras_fit's (arrays) or keras_fit_tuned's (tf.data), recompiled with
    the variant's jit_compile and steps_per_execution."""
    import keras

    from impls import keras_fit, keras_fit_tuned

    dataset, jit, steps = VARIANTS[variant]
    trainer = (keras_fit_tuned if dataset else keras_fit).Trainer(config, data)
    trainer.model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=config.lr),
        loss=trainer.keras_loss(),
        steps_per_execution=steps,
        jit_compile=jit,
    )
    return trainer


def price(variant, repeat):
    """(µs per call, µs per update, converged) of one variant, fitted over LENGTHS."""
    import time

    from fitways.checks import verdict
    from fitways.problems import PROBLEMS
    from fitways.timing import fit_line

    line = PROBLEMS["line"]
    medians, converged = {}, True
    for updates in LENGTHS:
        config = line.Config(updates=updates)
        data = line.make_data(config)
        trainer = build(variant, config, data)
        trainer.train()  # the first call: tracing, compiling
        seconds = []
        for _ in range(repeat):
            trainer.reset(config.W0, config.b0)
            start = time.perf_counter()
            W, b = trainer.train()  # Python floats: training is over when the clock stops
            seconds.append(time.perf_counter() - start)
        medians[updates] = statistics.median(seconds)
        reference = line.reference(config, data)
        params = line.named(config, (W, b))
        converged &= verdict(reference, params, line.loss(config, params, *line.trained(config, data)))[0]
    per_call, per_update = fit_line(medians)
    return per_call * 1e6, per_update * 1e6, converged


def main(argv=None):
    prepare_terminal()
    parser = Parser(prog="python -m benchmarks.keras_fit_changes", description=docstring(__file__).split("\n\n")[0])
    parser.add_argument("--json", metavar="PATH", help="also write every variant's figures as JSON")
    parser.add_argument("--repeat", type=number(int), default=5, help="timed runs per length (median)")
    args = parser.parse_args(argv)
    try:
        if not 1 <= args.repeat <= 100:
            raise UsageError(f"--repeat must be between 1 and 100, got {args.repeat}")
        bad_path = args.json is not None and path_problem(args.json, ".json")
        if bad_path:
            raise UsageError(f"--json {bad_path}")
    except UsageError as error:
        parser.error(str(error))
    from fitways.frameworks import load, machine_description

    load(["tensorflow"])  # quietly
    rows, failures = {}, []
    for variant in VARIANTS:
        warn(f"{variant} ...")
        per_call, per_update, ok = price(variant, args.repeat)
        rows[variant] = {"per_call_us": per_call, "per_update_us": per_update, "converged": ok}
        if not ok:
            failures.append(variant)
        base = rows["keras_fit"]["per_update_us"]
        print(f"{variant:<30} {per_call:>10,.0f} µs/call {per_update:>9.1f} µs/update  {base / per_update:5.2f}× keras_fit's update")
    from benchmarks import finish

    document = {"lengths": LENGTHS, "repeat": args.repeat, "variants": rows, "machine": machine_description(["tensorflow"])}
    return finish(args.json, document, failures)


if __name__ == "__main__":
    sys.exit(run_command(main))
