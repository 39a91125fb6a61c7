"""Batch-size sweep: µs per update against batch size for each trainer and device, as a PNG.

    python benchmarks/sweep_batch_size.py --out docs/batch_sweep.png

For a two-parameter model an update is a few dozen flops per sample: at small batches the cost is
fixed per-update overhead (Python, op dispatch, kernel launches); only at large batches does the
arithmetic — and so the device — start to matter. Takes about 20 seconds on a 2-core CPU.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.bench_trainers import SAMPLES, steps_per_round  # noqa: E402
from compare import Parser, devices_to_run, number, output_path_problem, progress  # noqa: E402
from impls import TRAINERS, trainer_class  # noqa: E402
from impls.problem import Config, converged, make_data  # noqa: E402

DEFAULT_BATCH_SIZES = "16,64,256,1024,4096,16384"  # below ~16, lr 0.1 can diverge on one unlucky batch


def batch_sizes(text):
    try:
        sizes = sorted({int(part) for part in text.split(",")})
    except ValueError:
        raise ValueError(f"--batch-sizes must be comma-separated integers, got {text!r}") from None
    if sizes[0] < 1 or sizes[-1] > 1_000_000:
        raise ValueError(f"--batch-sizes must lie between 1 and 1000000, got {text!r}")
    return sizes


def main(argv=None):
    parser = Parser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="batch_sweep.png", help="PNG to write")
    parser.add_argument("--batch-sizes", default=DEFAULT_BATCH_SIZES, help="comma-separated")
    parser.add_argument("--impl", action="append", choices=list(TRAINERS), metavar="NAME", help="repeatable")
    parser.add_argument("--device", choices=["cpu", "gpu", "all"], default="all")
    parser.add_argument("--repeat", type=number(int), default=3, help="timed runs per point (median)")
    args = parser.parse_args(argv)
    try:
        sizes = batch_sizes(args.batch_sizes)
    except ValueError as error:
        parser.error(str(error))
    problem = output_path_problem(args.out, ".png")
    if problem:
        parser.error(f"--out {problem}")
    if not 1 <= args.repeat <= 100:
        parser.error(f"--repeat must be between 1 and 100, got {args.repeat}")

    from impls.tf_setup import machine_description
    from impls.timing import measure
    from plots import plot_sweep

    devices, skipped = devices_to_run(parser, args.device)
    for line in skipped:
        progress(line)
    results, failures = {}, []
    for device in devices:
        for name in args.impl or list(TRAINERS):
            if device not in trainer_class(name).devices:
                continue
            for size in sizes:
                # a quarter of a benchmark round: enough updates to swamp the per-call overhead
                steps = max(steps_per_round(name, size) // 4, 50)
                config = Config(samples=max(SAMPLES, 2 * sizes[-1]), batch_size=size, steps=steps)
                progress(f"{name} on {device}, batch {size} ...")
                trainer = trainer_class(name)(config, make_data(config), device)
                measurement = measure(trainer, args.repeat)
                ok = converged(config, *measurement.history.final)
                if not ok:
                    failures.append(f"{name} on {device} at batch {size}")
                results.setdefault((name, device), []).append((size, measurement.seconds_per_step, ok))
                print(f"{name:<16} {device:<4} batch {size:>6}: {measurement.seconds_per_step * 1e6:10.2f} µs/update")
    machine = machine_description()
    plot_sweep(args.out, f"{machine['cpu']}; TensorFlow {machine['tensorflow']}", results)
    progress(f"wrote {args.out}")
    if failures:
        print(f"did not converge: {', '.join(failures)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
