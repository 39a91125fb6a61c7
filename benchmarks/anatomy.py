"""The anatomy of one update: what benchmarks.anatomy_study counts and times, printed.

    python -m benchmarks.anatomy [--repeat N]        (docs/anatomy.txt is its output here)

Arguments are checked before TensorFlow is imported, so a bad one is one line and no start-up noise.
"""

import argparse
import sys
from collections import Counter

from benchmarks import docstring
from fitways.output import path_problem, prepare_terminal
from fitways.signals import run_command

DEFAULT_REPEAT = 41


class Parser(argparse.ArgumentParser):
    def error(self, message):
        """One line, e.g. `error: --repeat must be ...`, and exit 2 (argparse would print its usage first)."""
        if message.startswith("argument ") and ": " in message:
            message = message.removeprefix("argument ").replace(": ", " ", 1)
        print(f"error: {message}", file=sys.stderr)
        sys.exit(2)


def repeat_count(text):
    if not (text.strip().isdigit() and 1 <= int(text) <= 10_000):
        raise argparse.ArgumentTypeError(f"must be an integer between 1 and 10000, got {text!r}")
    return int(text)


def parse(argv):
    parser = Parser(prog="python -m benchmarks.anatomy", description=docstring(__file__).splitlines()[0])
    parser.add_argument(
        "--repeat", type=repeat_count, default=DEFAULT_REPEAT, help=f"rounds per median (default {DEFAULT_REPEAT})"
    )
    parser.add_argument("--json", metavar="PATH", help="also write the figures printed as JSON (the README's source)")
    args = parser.parse_args(argv)
    bad_path = args.json is not None and path_problem(args.json, ".json")
    if bad_path:
        parser.error(f"--json {bad_path}")
    return args


def types(ops):
    return " ".join(ops)


def main(argv=None):
    prepare_terminal()
    args = parse(argv)
    from fitways.frameworks import load

    load(["tensorflow"])  # quietly: TensorFlow's C++ start-up log stays off the screen
    import keras
    import numpy as np
    import tensorflow as tf

    from benchmarks.anatomy_study import (
        CALLS,
        PLUMBING,
        STATE,
        UNITEMISED,
        breakdown,
        build,
        called_ops,
        eager_kernels,
        eager_ops,
        eager_phases,
        fit_calls,
        graph_ops,
        hlo_fusions,
        hlo_instructions,
        hlo_op_types,
        loop_ops,
        numpy_calls,
        optimized_hlo,
        train_costs,
    )  # fmt: skip  (after parsing: it imports TensorFlow)
    from impls.problem import Config

    config = Config()
    trainers = build(config)
    eager, x, y = trainers["gradient_tape"], *trainers["gradient_tape"].batches[0]
    p = print
    p(f"The anatomy of one update: y = W*x + b, {config.samples} samples, batch {config.batch_size}, "
      f"lr {config.lr:g}, {config.updates} updates")
    p(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, numpy {np.__version__}; "
      f"times: medians of {args.repeat} rounds on this machine, in us")

    eager.update(x, y)  # first calls build caches; what follows is the steady state
    ops = eager_ops(eager, x, y)
    kernels = eager_kernels(eager, x, y)
    figures = {"repeat": args.repeat, "ops": len(ops), "kernels": len(kernels)}
    figures.update({f"ops_{phase}": sum(op.phase == phase for op in ops) for phase in ("forward", "gradient", "apply")})
    p("\n1. Eager: gradient_tape")
    p("   eager: every op runs the moment Python reaches it, one at a time, and returns a concrete tensor.")
    p("   dispatch: getting one op from Python to its kernel: wrappers, checks, kernel lookup, placement.")
    p("   kernel: the compiled C++ routine that does one op's arithmetic on one device.")
    p(f"   {len(ops)} ops dispatched per update (an op callback sees each one):")
    for phase in ("forward", "gradient", "apply"):
        mine = [op.type for op in ops if op.phase == phase]
        p(f"     {phase:<9}{len(mine):>3}  {types(mine)}")
    extra = Counter(kernels) - Counter(op.type for op in ops)
    p(f"   tf.profiler sees {len(kernels)} kernels: those {len(ops)} + {types(f'{n} {t}' for t, n in extra.items())}"
      " (Python values made tensors)")
    p("   host read: float(loss) copies the result into a Python float; on a GPU it is a host/device")
    p("   sync: the host (the CPU running Python) waits for the device to finish, then copies.")

    graph = trainers["tf_function"]
    outer = graph_ops(graph)
    inner = called_ops(graph.update.get_concrete_function().graph, "StatefulPartitionedCall", "f")
    p("\n2. tf.function: tf_function")
    p("   trace: tf.function runs the Python once with symbolic tensors, adding each op it reaches to a graph;")
    p("   graph: those ops and the tensors between them, run by TensorFlow's C++ executor with no Python.")
    p(f"   update's graph: {len(outer)} ops: {_sorted_counts(outer)}")
    p(f"     of which plumbing {sum(t in PLUMBING for t in outer)} (Placeholder: x, y and the W, b handles; "
      f"Const; Identity/NoOp: outputs), state {sum(t in STATE for t in outer)}, calls {sum(t in CALLS for t in outer)},"
      f" arithmetic {sum(t not in PLUMBING | STATE | CALLS for t in outer)}")
    p(f"   the call runs loss_and_gradient's graph: {len(inner)} ops: {_sorted_counts(inner)}")
    figures.update(graph_ops=len(outer), called_ops=len(inner))

    loop = loop_ops(trainers["tf_graph_loop"])
    p("\n3. The whole loop in one graph: tf_graph_loop")
    p("   AutoGraph: tf.function's translator of Python control flow on tensors into graph ops.")
    p("   tf.while_loop: a loop inside the graph (a While op running a body graph while a cond graph is true).")
    p(f"   train_loop(keep_log=False): {len(loop['outer'])} ops, {loop['outer'].count('While')} While; "
      f"cond {len(loop['cond'])} ops, body {len(loop['body'])} ops:")
    p(f"     {_sorted_counts(loop['body'])}")
    p(f"   the body's call runs loss_and_gradient: {len(loop['call'])} ops (arguments are not ops here)")
    figures.update(loop_body=len(loop["body"]), loop_call=len(loop["call"]))

    xla = trainers["tf_xla"]
    hlo = optimized_hlo(xla)
    fusions = hlo_fusions(hlo)
    dropped = sorted({t for t in loop["call"] + loop["body"] if t not in PLUMBING | CALLS} - hlo_op_types(hlo))
    p("\n4. XLA: tf_xla")
    p("   XLA: TensorFlow's compiler; jit_compile=True hands it the whole function to compile (a one-time cost,")
    p("   unrelated to Keras's model.compile, which only configures training).")
    p("   HLO: XLA's program format; optimized_hlo is that program after XLA's passes, just before codegen.")
    p("   fusion: several element-wise instructions merged into one kernel: one loop, no tensors in between.")
    p(f"   {len(hlo.splitlines())} lines of HLO, {len(hlo_instructions(hlo, 'while'))} while loop, "
      f"{len(fusions)} fusions: {' '.join(fusions)}")
    p(f"   gone: {' '.join(dropped) or 'nothing'} (the loss is never read when keep_log=False, so it is not computed)")
    figures["fusions"] = len(fusions)

    times = breakdown(trainers, args.repeat)
    p("\n5. Where the time of one update goes (us, medians)")
    for way, parts in times.items():
        (_, whole, how), rest = parts[0], parts[1:]
        p(f"   {way:<36}{whole:>9.1f}   measured: {how}")
        for label, us, how in rest:
            p(f"     {label:<34}{us:>9.1f}   {how}")
        total = sum(us for _, us, _ in rest)
        p(f"     {'sum of the parts':<34}{total:>9.1f}   {100 * total / whole:.0f}% of the whole")
        p(f"     {'whole - sum':<34}{whole - total:>9.1f}   {UNITEMISED[way]}")
        figures[way.split(" (")[1].rstrip(")")] = {  # by trainer: gradient_tape, tf_function, numpy_manual
            "whole": whole, "parts": [us for _, us, _ in rest], "sum": total, "percent": 100 * total / whole,
            "unexplained": whole - total,
        }  # fmt: skip
    phases = eager_phases(eager, args.repeat)
    counts = Counter(op.phase for op in ops)
    p("   the eager update by phase, each timed apart (us; ops in that phase; us per op):")
    for (label, us), phase in zip(phases.items(), ("forward", "gradient", "apply")):
        p(f"     {label:<34}{us:>9.1f}   {counts[phase]:>2} ops, {us / counts[phase]:6.1f} per op")
        figures[f"phase_{phase}"], figures[f"per_op_{phase}"] = us, us / counts[phase]
    p(f"     {'sum of the phases':<34}{sum(phases.values()):>9.1f}")
    figures["phases_sum"] = sum(phases.values())
    calls = numpy_calls(trainers["numpy_manual"], *trainers["numpy_manual"].batches[0])
    p(f"   numpy's calls: {' '.join(name for _, name in calls)}")
    figures["numpy_calls"] = len(calls)
    figures.update({f"numpy_{kind}_calls": n for kind, n in Counter(kind for kind, _ in calls).items()})
    figures["one_op"] = figures["gradient_tape"]["parts"][1] / figures["ops"]  # the dispatch part is ops × one op
    figures["one_array"] = figures["numpy_manual"]["parts"][1] / figures["numpy_array_calls"]
    figures["one_scalar"] = figures["numpy_manual"]["parts"][2] / figures["numpy_scalar_calls"]

    keras_trainer, fit_repeat = trainers["keras_fit"], max(3, args.repeat // 8)
    python_calls, hooks = fit_calls(keras_trainer)
    p(f"\n6. A whole train() ({config.updates} updates) split: time = per call + updates x per update, "
      "fitted to runs of two lengths (us)")
    p("   model.fit walks the batches in Python and runs each update as one call of its own tf.function;")
    p("   a whole-loop lesson pays its call once per train(), a Python loop next to nothing.")
    p(f"   {'':<36}{'per call':>9} {'per update':>11}")
    for name, how in (("keras_fit", "model.fit"), ("tf_function", "Python loop"), ("tf_graph_loop", "one call"),
                      ("tf_xla", "one call"), ("numpy_manual", "Python loop")):  # fmt: skip
        per_call, per_update = train_costs(name, config, fit_repeat)
        p(f"   {name + f' ({how})':<36}{per_call:>9.1f} {per_update:>11.3f}")
        figures[f"{name}_per_call"], figures[f"{name}_per_update"] = per_call, per_update
    p(f"   per update, fit makes {python_calls:.0f} Python function calls, {hooks:.0f} of them callback hooks")
    figures.update(fit_calls=python_calls, fit_hooks=hooks)
    if args.json:
        from fitways.report import write_json

        write_json(args.json, figures)
    return 0


def _sorted_counts(op_types):
    return " ".join(f"{t}" if n == 1 else f"{t} x{n}" for t, n in Counter(op_types).most_common())


if __name__ == "__main__":
    sys.exit(run_command(main))
