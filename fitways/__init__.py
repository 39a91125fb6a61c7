"""fitways: the harness that runs, measures and checks the lessons in impls/.

Each module has one role:

    registry.py     the lessons by name: where each lives, its framework, a one-line summary
    frameworks.py   each framework once: installed?, imported quietly, devices, placement, versions
    runner.py       one lesson on one device: reset, timed train, recorded trajectory, gradient
    trajectory.py   W, b and the loss after every update, and where a run diverged
    checks.py       the closed-form fit, the reference loss, "converged" and "diverged"
    timing.py       the first call apart from the steady state, and what recording costs
    gradcheck.py    every lesson's gradient against float64 central finite differences
    report.py       the table and the JSON (written atomically, never NaN)
    output.py       writing files safely, and a terminal that may not speak UTF-8
    cli.py          what compare.py and the scripts share: argument types, one-line errors, devices
    plots.py        the pictures (matplotlib)
    anatomy.py      `python -m fitways.anatomy`: where the time of one update goes
    gradient_cost.py  what a gradient costs as the parameter count grows, by finite differences,
                    forward mode, reverse mode and by hand; how accurate a finite difference is

A lesson talks to the harness only through its Trainer: Trainer(config, data), reset(W, b),
loss_and_gradient(x, y), train(log=None), and its W and b (see impls/__init__.py).
"""
