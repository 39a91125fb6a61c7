"""One worker of fitways.multiworker's cluster, run as a script: `python fitways/worker.py RESULT_PATH PID`.

Not a module of the package at run time, so that no package __init__ runs a TensorFlow op before the worker
makes its strategy. It reads TF_CONFIG (the cluster, its index) and FITWAYS_CONFIG (problem, lesson, config)
from its environment; worker 0 writes the result as JSON to RESULT_PATH.
"""

import dataclasses
import json
import os
import sys
import time
from pathlib import Path

from fitways.processes import die_with_parent


def work(result_path):
    """One worker: the strategy first (before any other TensorFlow op), then train, then worker 0 reports."""
    import importlib

    import numpy as np

    from fitways.problems import PROBLEMS
    from fitways.timing import timed

    options = json.loads(os.environ["FITWAYS_CONFIG"])
    problem = PROBLEMS[options["problem"]]
    config = problem.Config(**options["config"])
    # TensorFlow is imported only here, in the worker
    Trainer = importlib.import_module(problem.trainers[options["lesson"]].module).Trainer
    trainer = Trainer(config, problem.make_data(config))
    start_values = problem.initial_parameters(config)

    def timed_run(run_config):
        # The strategy can be made once per process, so the second length reuses this trainer with a
        # config that differs in updates only: its Python loop reads config.updates at every train().
        trainer.config = run_config
        trainer.reset(*start_values)
        return timed(trainer.train)  # the parameters come back on the host: training is over when the clock stops

    final, first = timed_run(config)
    seconds, other_seconds = [first], {}  # type: list[float], dict[int, list[float]]
    if options["timed_runs"] > 1:
        other = dataclasses.replace(config, updates=options["second"])
        timed_run(other)  # its first run, untimed
        other_seconds[other.updates] = []
        for _ in range(options["timed_runs"] - 1):
            final, run_seconds = timed_run(config)
            seconds.append(run_seconds)
            other_seconds[other.updates].append(timed_run(other)[1])
    trainer.config = config
    rows, logged_seconds = [], None
    if options["log"]:
        trainer.reset(*start_values)
        start = time.perf_counter()
        trainer.train(log=lambda update, loss, *parameters: rows.append((update, float(loss), *parameters)))
        logged_seconds = time.perf_counter() - start
    if result_path:
        partial = Path(result_path + ".partial")
        as_lists = lambda values: [np.asarray(value, np.float64).tolist() for value in values]  # noqa: E731
        result = {
            "final": as_lists(final),
            "rows": [(update, loss, *as_lists(parameters)) for update, loss, *parameters in rows],
            "train_seconds": seconds,
            "other_seconds": other_seconds,
            "logged_seconds": logged_seconds,
        }
        partial.write_text(json.dumps(result))  # json writes NaN for a diverged run; json reads it back
        partial.replace(result_path)  # the launcher never reads a half-written file


if __name__ == "__main__":
    die_with_parent(int(sys.argv[2]))  # spawn() appends the launcher's pid
    work(sys.argv[1])
