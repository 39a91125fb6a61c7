"""fitways: the harness that runs, measures and checks the lessons in impls/ and impls/mlp/.

Each module has one role:

    problems.py     each problem once: parameters by name, data, float64 forward and loss, reference
                    (closed form, or a float64 replay), log line, and its trainers
    registry.py     the trainers by name, per problem: where each lesson lives, its framework, how it
                    runs, a one-line summary
    execution.py    how a trainer runs: in process on one device, mirrored over replicas, in workers
    keras_process.py  Keras on another backend (keras_fit_jax, keras_fit_torch) in a process of its own
    processes.py    child processes (workers, backend processes): their own group, killed with their launcher
    contract.py     the Trainer contract, as a Protocol every lesson is held to
    frameworks.py   each framework once: installed?, imported quietly, devices, placement, versions
    runner.py       one trainer on one device: reset, timed train, logged trajectory, gradient
    trajectory.py   the parameters and the loss after every update, and where a run diverged
    checks.py       distance to the reference, "converged" and "diverged"
    timing.py       the first call apart from the steady state, per call apart from per update, what the log costs
    gradcheck.py    every trainer's gradient against float64 central finite differences
    suite.py        what compare.py does: run every trainer (a failure is one row), report, check gradients
    command.py      compare.py's command line: parse, call the suite, exit 0/1/2
    report.py       the table and the JSON (written atomically, never NaN)
    output.py       writing files safely, and a terminal that may not speak UTF-8 or may stop reading
    cli.py          what compare.py and the scripts share: argument types, one-line errors, devices
    environment.py  the environment variables and memory a run needs, checked before training
    signals.py      SIGTERM and SIGHUP end a command the way Ctrl-C does, cleaning up
    sweep.py        µs per update along one axis of the setup, each point checked, and crossovers
    plots.py        the pictures (matplotlib)
    anatomy.py      where the time of one update goes, counted and timed (benchmarks/anatomy.py prints it)
    timeline.py     `python -m fitways.timeline`: one update along a time axis, from TensorFlow's profiler;
                    and compare.py --profile's profiler
    benchmark_table.py  the benchmark report as the README's table (µs per update, × floor, per call)
    gradient_cost.py  what a gradient costs as the parameter count grows, by finite differences,
                    forward mode, reverse mode and by hand; how accurate a finite difference is

A lesson talks to the harness only through its Trainer (contract.py): Trainer(config, data),
reset(*parameters), loss_and_gradient(x, y), train(log=None), and its first parameter's attribute.
"""
