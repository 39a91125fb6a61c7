"""Train y = W·x + b every way fitways knows, on every device asked for, and print one table.

Exit status: 0 when every trainer converged, 1 when any did not (or diverged), 2 on bad arguments.
"""

import argparse
import json
import math
import os
import sys
import time

from impls import BASELINE, TRAINERS
from impls.problem import LOSSES, TOLERANCE, Config, closed_form_fit, converged, log_line, loss_value, make_data

DEFAULTS = Config()


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Shows defaults, but not the empty ones ("default: None" tells a reader nothing)."""

    def _get_help_string(self, action):
        if action.default is None or action.default is False:
            return action.help
        return super()._get_help_string(action)


class Parser(argparse.ArgumentParser):
    def error(self, message):
        """One line, exit 2: bad input is the user's to fix, not a traceback to read."""
        print(f"error: {message}", file=sys.stderr)
        sys.exit(2)


def number(kind):
    """An argparse type that names the expected kind in its message, e.g. "must be an integer, got 'x'"."""
    expected = "an integer" if kind is int else "a number"

    def convert(text):
        try:
            return kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {expected}, got {text!r}") from None

    return convert


def build_parser():
    parser = Parser(
        description=(
            "Fit y = W·x + b (the textbook's first TensorFlow 2 example) with every trainer in impls/ "
            "on the same data and the same batches, then print one table: the fit each trainer reached, "
            "whether it converged, and what each update cost. Defaults are the textbook's setup."
        ),
        epilog="trainers:\n"
        + "".join(f"  {name:<16} {entry.summary}\n" for name, entry in TRAINERS.items())
        + "\nexample: python compare.py --impl gradient_tape --impl numpy_manual --log-every 15",
        formatter_class=HelpFormatter,
    )
    parser.add_argument(
        "--impl",
        action="append",
        choices=list(TRAINERS),
        metavar="NAME",
        help="trainer to run (listed below); repeat for several (default: all)",
    )
    parser.add_argument(
        "--device",
        choices=["cpu", "gpu", "all"],
        default="all",
        help="where the TensorFlow trainers run; 'all' skips the GPU when none is visible",
    )
    parser.add_argument(
        "--steps",
        type=number(int),
        default=None,
        help="parameter updates (default: one pass over the data, samples // batch-size)",
    )
    parser.add_argument("--batch-size", type=number(int), default=DEFAULTS.batch_size, help="samples per update")
    parser.add_argument("--lr", type=number(float), default=DEFAULTS.lr, help="learning rate")
    parser.add_argument("--samples", type=number(int), default=DEFAULTS.samples, help="x = 10·u − 5, u uniform")
    parser.add_argument(
        "--noise", type=number(float), default=DEFAULTS.noise, help="y gets noise·u, u uniform on [0, 1)"
    )
    parser.add_argument("--seed", type=number(int), default=DEFAULTS.seed, help="same seed, same data and result")
    parser.add_argument(
        "--loss",
        choices=LOSSES,
        default=DEFAULTS.loss,
        help="'huber' is the variant whose gradient numpy_manual needs derived anew",
    )
    parser.add_argument(
        "--repeat",
        type=number(int),
        default=10,
        help="timed steady-state runs per trainer, after the first (compiling) one",
    )
    parser.add_argument(
        "--log-every",
        type=number(int),
        metavar="N",
        help="print the textbook's log line every N updates (N=15: the textbook's ten lines)",
    )
    parser.add_argument("--json", metavar="PATH", help="also write config, reference fit and results as JSON")
    parser.add_argument("--plot", metavar="PATH", help="also draw loss curves, fitted lines and µs/step to a PNG")
    parser.add_argument(
        "--check-gradients",
        action="store_true",
        help="only check every trainer's gradient against float64 finite differences",
    )
    return parser


def parse(argv):
    """Arguments and a validated Config; every bad value ends here with one line and exit 2."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = Config(
            samples=args.samples,
            batch_size=args.batch_size,
            steps=args.steps,
            lr=args.lr,
            noise=args.noise,
            seed=args.seed,
            loss=args.loss,
        )
    except ValueError as error:
        parser.error(str(error))
    if not 1 <= args.repeat <= 1000:
        parser.error(f"--repeat must be between 1 and 1000, got {args.repeat}")
    if args.log_every is not None and not 1 <= args.log_every <= config.steps:
        parser.error(f"--log-every must be between 1 and --steps ({config.steps}), got {args.log_every}")
    for option, suffix in (("json", ".json"), ("plot", ".png")):
        path = getattr(args, option)
        problem = path and output_path_problem(path, suffix if option == "plot" else None)
        if problem:
            parser.error(f"--{option} {problem}")
    return parser, args, config


def output_path_problem(path, suffix=None):
    """Why `path` cannot be written once the run is over, checked before it starts; None if it can."""
    folder = os.path.dirname(os.path.abspath(path))
    if suffix and not path.lower().endswith(suffix):
        return f"must name a {suffix} file, got {path}"
    if not os.path.isdir(folder):
        return f"{path}: directory {folder} does not exist"
    if os.path.isdir(path) or not os.access(folder, os.W_OK):
        return f"{path}: cannot write a file there"
    return None


def devices_to_run(parser, requested):
    """The devices to use, and a line for each one skipped."""
    from impls.tf_setup import gpus_visible

    if requested == "gpu" and not gpus_visible():
        parser.error("--device gpu: TensorFlow sees no GPU (see README, 'GPU'); use --device cpu or all")
    if requested == "all":
        if gpus_visible():
            return ["cpu", "gpu"], []
        return ["cpu"], ["gpu: skipped, TensorFlow sees no GPU"]
    return [requested], []


def progress(message):
    print(message, file=sys.stderr, flush=True)


def run_all(config, data, reference, names, devices, repeat, log_every=None):
    """Train each trainer on each device; returns (rows, skipped lines, histories by (name, device)).
    reference is the closed-form (W, b) each result is measured against."""
    from impls import trainer_class
    from impls.timing import measure

    jobs = [(name, device) for device in devices for name in names]
    rows, skipped, histories = [], [], {}
    for index, (name, device) in enumerate(jobs, 1):
        cls = trainer_class(name)
        if device not in cls.devices:
            skipped.append(f"{name} on {device}: skipped, it runs on {' and '.join(cls.devices)} only")
            continue
        print(f"[{index}/{len(jobs)}] {name} on {device} ...", end="", file=sys.stderr, flush=True)
        started = time.perf_counter()
        trainer = cls(config, data, device)
        result = measure(trainer, repeat)
        progress(f" {time.perf_counter() - started:.1f} s")
        histories[name, device] = result.history
        rows.append(result_row(config, data, reference, name, device, trainer, result))
        if log_every:
            print_log(name, trainer.placed_on(), config, result.history, log_every)
    for row in rows:
        base = next((r for r in rows if r["impl"] == BASELINE and r["device"] == row["device"]), None)
        row["speedup"] = base["seconds_per_step"] / row["seconds_per_step"] if base else None
    return rows, skipped, histories


def result_row(config, data, reference, name, device, trainer, result):
    history = result.history
    diverged = history.diverged_at is not None
    W, b = (None, None) if diverged else history.final
    return {
        "impl": name,
        "device": device,
        "placed_on": trainer.placed_on(),
        "W": W,
        "b": b,
        "loss": None if diverged else loss_value(config, W, b, data.x, data.y),
        "distance_to_closed_form": None if diverged else max(abs(W - reference[0]), abs(b - reference[1])),
        "converged": not diverged and converged(config, W, b),
        "diverged_at": history.diverged_at,
        "divergence": history.divergence,
        "compile_seconds": result.compile_seconds,
        "seconds_per_step": result.seconds_per_step,
        "steps": history.steps_run,
        "run_seconds": result.run_seconds,
    }


def print_log(name, placed_on, config, history, every):
    """The textbook's log line every `every` updates; its "step" is the batch's sample offset."""
    print(f"{name} on {placed_on}:")
    if history.loss is None:  # keras_fit_tuned: Python regains control only between executions
        print("  Python sees the model only between compiled calls, and never a batch loss:")
        for step, W, b in zip(history.steps, history.W, history.b):
            print(f"  after update {step}: W = {W:.4f}, b = {b:.4f}")
    else:
        for step, loss, W, b in zip(history.steps, history.loss, history.W, history.b):
            if (step - 1) % every == 0:
                print("  " + log_line((step - 1) * config.batch_size, loss, W, b))
    if history.divergence:
        print(f"  {history.divergence}")


def fmt(value, spec):
    return "—" if value is None else format(value, spec)


def print_table(config, reference, rows, skipped):
    header = ["trainer", "device", "W", "b", "loss", "|Δ fit|", "converged", "compile s", "µs/step", "vs tape"]
    lines = []
    for row in rows:
        status = "yes" if row["converged"] else f"no: {row['divergence']}" if row["divergence"] else "no"
        lines.append(
            [
                row["impl"],
                row["placed_on"],
                fmt(row["W"], ".5f"),
                fmt(row["b"], ".5f"),
                fmt(row["loss"], ".2e"),
                fmt(row["distance_to_closed_form"], ".1e"),
                status,
                f"{row['compile_seconds']:.2f}",
                f"{row['seconds_per_step'] * 1e6:.1f}",
                fmt(row["speedup"], ".1f") + ("×" if row["speedup"] else ""),
            ]
        )
    widths = [max(len(str(r[i])) for r in [header, *lines]) for i in range(len(header))]
    for i, line in enumerate([header, *lines]):
        print("  ".join(cell.ljust(w) if j < 2 else cell.rjust(w) for j, (cell, w) in enumerate(zip(line, widths))))
        if i == 0:
            print("  ".join("-" * w for w in widths))
    print()
    sign = "−" if config.true_b < 0 else "+"
    print(
        f"true line:        y = {config.true_W:g}·x {sign} {abs(config.true_b):g} (+ noise, mean {config.noise / 2:g})"
    )
    print(f"closed-form fit:  W = {reference[0]:.5f}, b = {reference[1]:.5f}  (float64 least squares, same data)")
    print(f"converged means:  |W − {config.true_W:g}| and |b − ({config.true_b:g})| both < {TOLERANCE}")
    print(
        f"setup:            {config.samples} samples, batch {config.batch_size}, lr {config.lr:g}, "
        f"{config.steps} updates, loss {config.loss}, seed {config.seed}"
    )
    if config.unused_samples:
        print(
            f"note:             the last {config.unused_samples} samples of each pass fill no whole batch "
            "and are not used"
        )
    for line in skipped:
        print(f"note:             {line}")
    failed = [f"{r['impl']} on {r['placed_on']}" for r in rows if not r["converged"]]
    if not rows:
        print("verdict:          NOTHING RAN — every trainer asked for was skipped (see the notes above)")
    elif failed:
        print(f"verdict:          NOT CONVERGED — {', '.join(failed)}")
    else:
        print(f"verdict:          all {len(rows)} runs converged to the same line, next to the closed-form fit")


def write_json(path, config, reference, rows):
    clean = [{k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in r.items()} for r in rows]
    with open(path, "w") as out:
        json.dump(
            {
                "config": config.asdict(),
                "reference": {"W": reference[0], "b": reference[1]},
                "tolerance": TOLERANCE,
                "results": clean,
            },
            out,
            indent=2,
        )
        out.write("\n")


def main(argv=None):
    parser, args, config = parse(argv)
    names = list(dict.fromkeys(args.impl or TRAINERS))  # in the order given, each once
    data = make_data(config)
    if args.check_gradients:
        from impls.gradcheck import print_report

        return print_report(config, data, names)
    devices, skipped = devices_to_run(parser, args.device)
    reference = closed_form_fit(data)
    rows, more_skipped, histories = run_all(config, data, reference, names, devices, args.repeat, args.log_every)
    print_table(config, reference, rows, skipped + more_skipped)
    if args.json:
        write_json(args.json, config, reference, rows)
    if args.plot:
        from plots import plot_comparison

        plot_comparison(args.plot, config, data, reference, rows, histories)
        progress(f"wrote {args.plot}")
    return 0 if rows and all(r["converged"] for r in rows) else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        sys.exit(130)
