"""fitways: the harness that runs, measures and checks the lessons in impls/ and every folder under it.

Each module has one role:

    problem.py      what a problem folder's problem.py fills in: Problem (parameters by name, data, float64
                    forward and loss, reference, log line), Reference, Entry (a row of its trainer table)
    problems.py     the problems, found: every impls/**/problem.py, each exporting PROBLEM
    registry.py     a trainer's lesson loaded: its framework first, then its Trainer
    execution.py    how a trainer runs: in process on one device, mirrored over replicas, in workers
    remote.py       a trainer in processes of its own: Keras on another backend, or a cluster of workers
    processes.py    child processes: their own group, stopped and killed with their launcher
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
    plots.py        the pictures (matplotlib)

The studies (anatomy, gradient cost, timeline, sweeps, the benchmark table) live in benchmarks/, beside
their scripts.

A lesson talks to the harness only through its Trainer (contract.py): Trainer(config, data),
reset(*parameters), loss_and_gradient(x, y), train(log=None), and its first parameter's attribute.
"""
