"""What compare.py does, as functions: train each chosen lesson and report, or check their gradients.

    train_and_report(problem, config, runs, options)   the table, and the JSON and plot asked for
    check_gradients(problem, config, runs, json_path)  every lesson's gradient against finite differences

Each returns the exit status. A lesson that raises is a failed row (one line on stderr, the reason in
the table and the JSON) and the others still run; Ctrl-C still stops everything.
"""

import contextlib
import math
import os
import sys
import textwrap
import time
import traceback

import numpy as np

from fitways.checks import finite_or_none
from fitways.output import OutputError, still_running, warn
from fitways.registry import BASELINE


def run_all(problem, config, data, reference, runs, repeat, log_every=None, replicas=None):
    """Measure each (trainer, device); returns (rows, trajectories by (trainer, device))."""
    from fitways.report import failed_row, result_row
    from fitways.timing import measure

    rows, trajectories = [], {}
    for index, (name, device) in enumerate(runs, 1):
        warn(f"[{index}/{len(runs)}] {name} on {device} ...", end="")
        started = time.perf_counter()
        try:
            with still_running():
                measurement = measure(problem, name, config, data, device, repeat, replicas)
        except Exception as error:  # noqa: BLE001  (any failure of one lesson is that row's, not the run's)
            reason = one_line(error)
            warn(f" failed after {time.perf_counter() - started:.1f} s: {reason}")
            rows.append(failed_row((name, device), reason))
            continue
        warn(f" {time.perf_counter() - started:.1f} s")
        trajectories[name, device] = measurement.trajectory
        rows.append(result_row(problem, config, data, reference, (name, device), measurement))
        if log_every:
            print_log(problem, f"{name} on {measurement.placed_on}", config, measurement.trajectory, log_every)
    return rows, trajectories


def one_line(error):
    """An exception as one line: its type and the first line of its message, and where it was raised."""
    message = str(error).strip().splitlines()
    frames = traceback.extract_tb(error.__traceback__)
    where = f" ({frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno})" if frames else ""
    return f"{type(error).__name__}: {message[0] if message else ''}{where}"


def print_log(problem, title, config, trajectory, every):
    """The textbook's log line every `every` updates, replayed from the logged trajectory."""
    print(f"{title}:")
    if not trajectory.every_update:
        print(f"  Python saw the model only after updates {', '.join(map(str, trajectory.updates))}, never a batch loss:")
    log = problem.textbook_log(config, every, out=lambda line: print("  " + line))
    loss = trajectory.loss if trajectory.loss is not None else [None] * len(trajectory.updates)
    for index, (update, batch_loss) in enumerate(zip(trajectory.updates, loss)):
        log(int(update) - 1, batch_loss, *(trajectory[name][index] for name in problem.parameters))
    if trajectory.divergence:
        print(f"  {trajectory.divergence}")


def finite(value, spec=".7f"):
    """A number (an array: its first) as the tables show it; never "nan" or "inf" (the check fails such a value anyway)."""
    value = float(np.ravel(value)[0])
    return format(value, spec) if math.isfinite(value) else "not finite"


def check_gradients(problem, config, data, runs, json_path):
    from fitways.gradcheck import MAX_RELATIVE_ERROR, check, passes, random_points, step_description
    from fitways.report import write_json
    from fitways.runner import Runner

    points = random_points(problem, config, data)
    count = sum(len(value.reshape(-1)) for value in points[0][0].values())
    print(textwrap.fill(
        f"gradient check, {problem.name}, loss {config.loss}: each trainer's gradient ({count} numbers) vs float64 "
        f"central differences ({step_description(problem)}) at {len(points)} random points on batches "
        f"of {config.batch_size}", 100, break_on_hyphens=False,
    ))  # fmt: skip
    shown = problem.parameters[:2]  # the first numbers of the first two parameters, for a person to compare
    print(f"{'trainer':<17} {'device':<11} " + "  ".join(f"{'d' + n:>13} {'numeric':>13}" for n in shown) + f"  {'rel. error':>10}")
    results = []
    for name, device in runs:
        try:  # a trainer that fails loses its own check only: the others and the JSON go on
            runner = Runner(problem, name, config, data, device)
            with still_running(doing=f"checking {name}'s gradient", own_line=True):  # the network's grows as H²
                rows = check(runner, points)
        except Exception as error:  # noqa: BLE001
            print(f"{name:<17} {device:<11} FAILED: {one_line(error)}")
            results.append({"trainer": name, "device": device, "failed": one_line(error), "passed": False})
            continue
        for row in rows:
            ok = passes(row["error"])
            cells = "  ".join(
                f"{finite(row['gradient'][n]):>13} {finite(row['finite_difference'][n]):>13}" for n in shown
            )
            print(f"{name:<17} {runner.placed_on():<11} {cells}  {finite(row['error'], '.1e'):>10}{'' if ok else '  FAIL'}")
            results.append({"trainer": name, "device": device, "placed_on": runner.placed_on(), **row, "passed": ok})
    total, failures = len(results), sum(not result["passed"] for result in results)
    if failures:
        print(f"FAIL: {failures} of {total} gradients differ from finite differences by more than {MAX_RELATIVE_ERROR:g}")
    else:
        print(f"PASS: all {total} gradients agree with finite differences to within {MAX_RELATIVE_ERROR:g} (relative)")
    if json_path:
        for result in results:  # a non-finite number is reported as null, its check as failed
            if "failed" in result:
                continue
            for key in ("parameters", "gradient", "finite_difference"):
                result[key] = {n: as_json(v) for n, v in result[key].items()}
            result["error"] = finite_or_none(result["error"])
        document = {"problem": problem.name, "config": config.asdict(), "max_relative_error": MAX_RELATIVE_ERROR}
        write_json(json_path, {**document, "results": results})
        warn(f"wrote {json_path}")
    return 1 if failures or not results else 0


def as_json(value):
    """An array as nested lists, a non-finite number as null."""
    array = np.asarray(value, np.float64)
    if array.ndim == 0:
        return finite_or_none(float(array))
    return [as_json(item) for item in array]


def train_and_report(problem, config, data, runs, notes, options):
    """options: repeat, baseline, log_every, replicas, json, plot, profile, wide (compare.py's arguments)."""
    from fitways.frameworks import machine_description
    from fitways.registry import framework_of
    from fitways.report import add_speedups, print_table, run_document, write_json

    with still_running(doing="computing the float64 reference", own_line=True):  # the network's is a replay of every update
        reference = problem.reference(config, data)
    baseline = options.baseline or BASELINE
    on_tensorflow = [name for name, _ in runs if problem.trainers[name].framework == "tensorflow"]
    elsewhere = [name for name in on_tensorflow if problem.trainers[name].way.elsewhere]
    profile = options.profile if len(elsewhere) < len(on_tensorflow) else None
    if options.profile and elsewhere:  # the profiler traces this process only
        warn(f"note: --profile does not see {', '.join(dict.fromkeys(elsewhere))}: {problem.trainers[elsewhere[0]].way.elsewhere}")
    if options.profile and not profile:
        warn("note: --profile traces with TensorFlow's profiler, and none of these trainers runs on TensorFlow here")
    with profiling(profile) if profile else contextlib.nullcontext():
        rows, trajectories = run_all(
            problem, config, data, reference, runs, options.repeat, options.log_every, options.replicas
        )
    if profile:
        warn(f"wrote TensorFlow's profile under {profile} (tensorboard --logdir {profile})")
    add_speedups(rows, baseline)
    print_table(problem, config, reference, rows, notes, baseline, wide=getattr(options, "wide", False))
    sys.stdout.flush()
    unwritten: list[OutputError] = []  # each file asked for is attempted; one that fails does not stop the next
    if options.json:
        frameworks = sorted({framework_of(problem.trainers[name]).name for name, _ in runs})
        machine = machine_description(frameworks)
        with kept(unwritten):
            write_json(options.json, run_document(problem, config, reference, rows, machine, notes, baseline))
            warn(f"wrote {options.json}")
    drawn = [r for r in rows if "error" not in r]
    if options.plot and not drawn:
        warn(f"error: --plot {options.plot}: nothing to draw, no run finished")  # the table says why each failed
    elif options.plot:
        from fitways.plots import plot_comparison

        with kept(unwritten):
            plot_comparison(options.plot, problem, config, data, reference, drawn, trajectories)
            warn(f"wrote {options.plot}")
    if unwritten:
        raise OutputError("; ".join(map(str, unwritten)))
    if profile and not profile_written(profile):
        warn(f"error: --profile {profile}: the directory vanished or holds no trace after the run")
        return 1
    return 0 if rows and all(r["converged"] for r in rows) else 1


@contextlib.contextmanager
def kept(errors):
    """An OutputError inside is added to `errors` instead of raised."""
    try:
        yield
    except OutputError as error:
        errors.append(error)


@contextlib.contextmanager
def profiling(logdir):
    """TensorFlow's profiler on for the block, its trace written under logdir (TensorBoard's Profile tab
    opens it: pip install tensorboard-plugin-profile, then tensorboard --logdir DIR)."""
    import tensorflow as tf

    os.makedirs(logdir, exist_ok=True)  # created now, not by the argument check: a refused run leaves none
    tf.profiler.experimental.start(logdir)
    try:
        yield
    finally:
        tf.profiler.experimental.stop()


def profile_written(folder):
    """Whether TensorFlow's profiler left a trace under `folder` (it says nothing when it could not)."""
    return os.path.isdir(folder) and any(files for _, _, files in os.walk(folder))
