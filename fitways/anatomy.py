"""anatomy: what one update of the textbook's setup is made of, and where its time goes.

    python -m fitways.anatomy [--repeat N]

For Config() (3000 samples, batch 20, lr 0.1, 150 updates) it shows the ops an eager update
dispatches, the graph tf.function traces, the loop AutoGraph builds, what XLA leaves of that loop,
and a measured breakdown of an update's time for eager, tf.function, numpy and Keras's fit. Every
count comes from a function here (eager_ops, graph_ops, loop_ops, hlo_fusions, ...) so that tests
can check it; main() only prints. Times are medians over --repeat rounds, in µs, on this machine.

Two private TensorFlow modules are used, each in one place: tensorflow.python.framework.op_callbacks
(eager_ops: the hook TensorFlow's own debugging tools use to see every op) and the profiler's
XSpace protobuf (eager_kernels: to read what tf.profiler recorded). tests/test_anatomy.py checks
each against an independent count.
"""

import argparse
import dataclasses
import glob
import itertools
import os
import statistics
import sys
import tempfile
import time
from collections import Counter, namedtuple

import impls  # noqa: F401  (first: KERAS_BACKEND and TF_CPP_MIN_LOG_LEVEL before Keras and TensorFlow)

# isort: split
import keras
import numpy as np
import tensorflow as tf
from tensorflow.python.framework import op_callbacks  # private: the eager op hook
from tensorflow.tsl.profiler.protobuf import xplane_pb2  # private: the profiler's trace format

from fitways.cli import docstring
from fitways.timing import fit_line, second_length
from impls import gradient_tape, keras_fit, numpy_manual, tf_function, tf_graph_loop, tf_xla
from impls.problem import Config, make_data

DEFAULT_REPEAT = 41
ROUND_S = 2e-3  # each round times enough calls to last about this long, so the clock's resolution is moot
PLUMBING = {"Placeholder", "Identity", "NoOp", "Const"}  # graph ops that move values in and out, no arithmetic
STATE = {"ReadVariableOp", "AssignSubVariableOp", "AssignVariableOp"}
CALLS = {"StatefulPartitionedCall", "PartitionedCall"}
UNITEMISED = {  # what breakdown() does not time apart, by way of training
    "eager (gradient_tape)": "tape, gradient functions, wrappers beyond a * b's",
    "tf.function (tf_function)": "what the parts miss, and noise",
    "numpy (numpy_manual)": "what the parts miss, and noise",
}

Op = namedtuple("Op", "type phase")  # phase: forward, gradient (inside tape.gradient) or apply


# --- what runs --------------------------------------------------------------------------------


def eager_ops(trainer, x, y):
    """The ops one eager `trainer.update(x, y)` dispatches, in order, as Op(type, phase).

    An op callback sees every op as it executes; the phase comes from the Python stack at that moment."""
    gradient_code = tf.GradientTape.gradient.__code__
    seen = []

    def record(op_type, inputs, attrs, outputs, op_name=None, graph=None):
        if graph is None:  # executed now (eagerly), not added to a graph being traced
            codes = []
            frame = sys._getframe(1)
            while frame is not None:
                codes.append(frame.f_code)
                frame = frame.f_back
            if gradient_code in codes:
                phase = "gradient"
            elif any(code.co_name == "loss_and_gradient" for code in codes):
                phase = "forward"
            else:
                phase = "apply"
            seen.append(Op(op_type, phase))

    op_callbacks.add_op_callback(record)
    try:
        trainer.update(x, y)
    finally:
        op_callbacks.remove_op_callback(record)
    return seen


def eager_kernels(trainer, x, y, updates=5):
    """The kernels tf.profiler sees per eager update, in order (median run of `updates`): eager_ops plus
    _EagerConst, the op that turns a Python value (a shape, an axis list) into a tensor."""
    with tempfile.TemporaryDirectory() as logdir:
        tf.profiler.experimental.start(logdir)
        try:
            for _ in range(updates):
                trainer.update(x, y)
        finally:
            tf.profiler.experimental.stop()
        (path,) = glob.glob(os.path.join(logdir, "**", "*.xplane.pb"), recursive=True)
        space = xplane_pb2.XSpace()
        with open(path, "rb") as file:
            space.ParseFromString(file.read())
    prefix = "EagerLocalExecute: "
    kernels = []
    for plane in space.planes:
        names = {key: meta.name for key, meta in plane.event_metadata.items()}
        for line in plane.lines:
            for event in sorted(line.events, key=lambda event: event.offset_ps):
                if names[event.metadata_id].startswith(prefix):
                    kernels.append(names[event.metadata_id][len(prefix) :])
    if len(kernels) % updates:
        raise RuntimeError(f"the profiler saw {len(kernels)} kernels in {updates} updates: not one list per update")
    return kernels[: len(kernels) // updates]


def graph_ops(trainer):
    """The op types of the graph tf.function traced for `trainer.update`, in creation order."""
    return [op.type for op in trainer.update.get_concrete_function().graph.get_operations()]


def function_ops(graph, name):
    """The op types of function `name` in `graph`'s library (a FunctionDef: its arguments are not ops)."""
    for function in graph.as_graph_def().library.function:
        if function.signature.name == name:
            return [node.op for node in function.node_def]
    raise KeyError(name)


def called_ops(graph, op_type, attr):
    """For the first `op_type` op in `graph`: the op types of the function its `attr` names."""
    op = next(op for op in graph.get_operations() if op.type == op_type)
    return function_ops(graph, op.get_attr(attr).name)


def loop_ops(trainer):
    """What AutoGraph made of tf_graph_loop's train_loop(record=False): the outer graph's op types,
    the While body's and the body's call of loss_and_gradient's."""
    graph = trainer.train_loop.get_concrete_function(False).graph
    body = called_ops(graph, "While", "body")
    call_type = next(op_type for op_type in body if op_type in CALLS)
    body_call = next(node for node in _function_def(graph, "While", "body").node_def if node.op == call_type)
    return {
        "outer": [op.type for op in graph.get_operations()],
        "body": body,
        "cond": called_ops(graph, "While", "cond"),
        "call": function_ops(graph, body_call.attr["f"].func.name),
    }


def _function_def(graph, op_type, attr):
    op = next(op for op in graph.get_operations() if op.type == op_type)
    name = op.get_attr(attr).name
    return next(f for f in graph.as_graph_def().library.function if f.signature.name == name)


def optimized_hlo(trainer):
    """XLA's optimized HLO for tf_xla's train_loop(record=False). `record` is a Python bool, so it is
    passed to experimental_get_compiler_ir like any argument; the method's self is already bound."""
    return trainer.train_loop.experimental_get_compiler_ir(False)(stage="optimized_hlo")


def hlo_instructions(hlo, opcode):
    """The names of the HLO instructions with this opcode: `%name = <shape> opcode(operands), ...`."""
    names = []
    for line in hlo.splitlines():
        line = line.strip().removeprefix("ROOT ")
        if line.startswith("%") and " = " in line:
            name, rest = line[1:].split(" = ", 1)
            # the shape comes first and may be a tuple "(s32[], f32[3000]{0})": the opcode follows it
            shape_end = _shape_end(rest)
            if rest[shape_end:].lstrip().startswith(opcode + "("):
                names.append(name)
    return names


def _shape_end(text):
    depth = 0
    for i, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == " " and depth == 0:
            return i
    return len(text)


def hlo_fusions(hlo):
    """The fusion instructions left in the optimized HLO: each runs as one compiled kernel."""
    return hlo_instructions(hlo, "fusion")


def hlo_op_types(hlo):
    """The TensorFlow op types XLA's instructions still carry in their metadata."""
    return {part.split('"')[1] for part in hlo.split("op_type=")[1:]}


# --- where the time goes ------------------------------------------------------------------------


def median_us(fn, repeat):
    """The median over `repeat` rounds of one call's time, in µs; each round times enough calls to
    last about ROUND_S. One untimed call first: steady state only."""
    fn()
    start = time.perf_counter()
    fn()
    number = max(1, min(100_000, int(ROUND_S / max(time.perf_counter() - start, 1e-9))))
    rounds = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        rounds.append((time.perf_counter() - start) / number)
    return statistics.median(rounds) * 1e6



class Hollow:
    """A lesson's update with every op taken out: its method calls, returns and assignments and, for
    gradient_tape, the tape's context. What the Python around the arithmetic costs."""

    def __init__(self, tape):
        self.tape = tape

    def loss_and_gradient(self, x, y):
        if self.tape:
            with tf.GradientTape():
                pass
            return x, x, y
        return _stand_in_for_mse(x, y)  # numpy_manual calls mse(residual, x)

    def update(self, x, y):
        loss, dW, db = self.loss_and_gradient(x, y)
        self.W, self.b = dW, db
        return loss


def _stand_in_for_mse(residual, x):
    return residual, x, residual


class Counted(np.ndarray):
    """An array that records each numpy call made on it, or on anything computed from it."""

    calls = []  # (kind, name): kind "array" for a call on the batch, "scalar" for one on single numbers

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        plain = [np.asarray(i) if isinstance(i, Counted) else i for i in inputs]
        kind = "scalar" if all(np.ndim(i) == 0 for i in plain) else "array"
        Counted.calls.append((kind, ufunc.__name__ if method == "__call__" else f"{ufunc.__name__}.{method}"))
        # 0-d results stay Counted too, so the scalar arithmetic that follows them is recorded
        return np.asarray(getattr(ufunc, method)(*plain, **kwargs)).view(Counted)


def numpy_calls(trainer, x, y):
    """The numpy calls one numpy_manual update makes, in order, as (kind, ufunc name)."""
    W, b = trainer.W, trainer.b
    Counted.calls = []
    try:
        trainer.update(x.view(Counted), y.view(Counted))
        return list(Counted.calls)
    finally:
        trainer.reset(W, b)


def in_order(update, batches):
    """A zero-argument call of update on the next batch, in order, pass after pass, as train() walks them
    (one batch over and over can diverge: its own mean x² may be too large for lr 0.1)."""
    batches = itertools.cycle(batches)
    return lambda: update(*next(batches))


def breakdown(trainers, repeat):
    """Where one update's time goes (µs), for eager, tf.function and numpy: {way: [(part, µs, how)]}.
    Each list starts with ("whole", µs, how), measured directly; the parts after it are measured apart,
    and their sum is to be set beside the whole."""
    eager, graph, manual = trainers["gradient_tape"], trainers["tf_function"], trainers["numpy_manual"]
    batches, numpy_batches = eager.batches, manual.batches
    x, y = batches[0]
    n_ops = len(eager_ops(eager, x, y))
    loss = eager.update(x, y)
    a, b = tf.constant(1.0), tf.constant(2.0)
    one_op = median_us(lambda: a * b, repeat)
    returns_x = tf.function(lambda x, y: x, input_signature=[tf_function.BATCH, tf_function.BATCH])
    call = median_us(in_order(returns_x, batches), repeat)
    # the same ops inside a graph, the whole loop in one call, its call cost fitted apart: kernels plus the
    # executor's few µs per op (a step less an empty call would be a difference of two noisy numbers)
    kernels = train_costs("tf_graph_loop", trainers["tf_graph_loop"].config, repeat)[1]
    read = median_us(lambda: float(loss), repeat)
    counts = Counter(kind for kind, _ in numpy_calls(manual, *numpy_batches[0]))
    W, (xn, _), loss_n = manual.W, numpy_batches[0], manual.update(*numpy_batches[0])
    one_array, one_scalar = median_us(lambda: W * xn, repeat), median_us(lambda: W * W, repeat)
    eager_update, graph_update, numpy_update = (
        in_order(trainer.update, trainer.batches) for trainer in (eager, graph, manual)
    )
    return {
        "eager (gradient_tape)": [
            ("whole", median_us(lambda: float(eager_update()), repeat), "float(update(x, y))"),
            ("Python: calls, tape context", median_us(in_order(Hollow(True).update, batches), repeat), "ops taken out"),
            (f"dispatch: {n_ops} ops x {one_op:.1f}", n_ops * one_op, "one trivial eager op (a * b), per op"),
            ("kernels (+ executor)", kernels, "tf_graph_loop's train(), per update"),
            ("host read", read, "float(loss)"),
        ],
        "tf.function (tf_function)": [
            ("whole", median_us(lambda: float(graph_update()), repeat), "float(update(x, y))"),
            ("call overhead", call, "a tf.function that returns x"),
            ("kernels (+ executor)", kernels, "tf_graph_loop's train(), per update"),
            ("host read", read, "float(loss)"),
        ],
        "numpy (numpy_manual)": [
            ("whole", median_us(lambda: float(numpy_update()), repeat), "float(update(x, y))"),
            ("Python: calls, returns", median_us(in_order(Hollow(False).update, numpy_batches), repeat), "calls out"),
            (f"array calls: {counts['array']} x {one_array:.2f}", counts["array"] * one_array, "W * x, 20 samples"),
            (f"scalar calls: {counts['scalar']} x {one_scalar:.2f}", counts["scalar"] * one_scalar, "W * W"),
            ("to a Python float", median_us(lambda: float(loss_n), repeat), "float(loss)"),
        ],
    }


def eager_phases(trainer, repeat):
    """An eager update cut where its ops are, each phase timed apart (µs): the forward pass under the
    tape, the tape's backward pass (tape.gradient), and the two parameter updates."""
    (x, y), W, b = trainer.batches[0], trainer.W, trainer.b

    def forward():
        with tf.GradientTape() as tape:
            loss = trainer.loss_fn(W * x + b - y)
        return tape, loss

    def forward_and_backward():
        tape, loss = forward()
        return tape.gradient(loss, [W, b])

    zero = tf.zeros_like(forward_and_backward()[0])  # the same ops as an update, but W and b stay put

    def apply():
        W.assign_sub(trainer.lr * zero)
        b.assign_sub(trainer.lr * zero)

    forward_us = median_us(forward, repeat)
    return {
        "forward under the tape": forward_us,
        "backward: tape.gradient": median_us(forward_and_backward, repeat) - forward_us,
        "apply: two assign_sub": median_us(apply, repeat),
    }


def fit_calls(trainer):
    """Per update of trainer.train() (model.fit): the Python function calls made between one update's
    start and the next's, and how many of them are callback hooks (on_train_batch_*: Keras's
    CallbackList dispatching, then each callback's own method)."""
    marks, hooks, calls = [], 0, 0

    def profile(frame, event, arg):
        nonlocal hooks, calls
        if event != "call":
            return
        calls += 1
        if frame.f_code.co_name.startswith("on_train_batch"):
            hooks += 1
            if frame.f_code.co_name == "on_train_batch_begin" and type(frame.f_locals.get("self")).__name__ == "CallbackList":
                marks.append(calls)

    sys.setprofile(profile)
    try:
        trainer.train()
    finally:
        sys.setprofile(None)
    between = [later - earlier for earlier, later in zip(marks, marks[1:])]
    return statistics.median(between), hooks / len(marks)


def train_costs(name, config, repeat):
    """(µs per call, µs per update) of the lesson's train(): timed at config.updates and at a second
    length (fitways.timing.second_length), and the line through both. One call's time over its
    updates would credit a whole-loop lesson's call to its updates."""
    data = make_data(config)
    short_us = median_us(LESSONS[name].Trainer(config, data).train, repeat)
    other = dataclasses.replace(config, updates=second_length(config.updates, short_us / 1e6))
    long_us = median_us(LESSONS[name].Trainer(other, data).train, repeat)
    return fit_line({config.updates: short_us, other.updates: long_us})


# --- the command ------------------------------------------------------------------------------


LESSONS = {
    "gradient_tape": gradient_tape,
    "tf_function": tf_function,
    "tf_graph_loop": tf_graph_loop,
    "tf_xla": tf_xla,
    "keras_fit": keras_fit,
    "numpy_manual": numpy_manual,
}


def build(config):
    data = make_data(config)
    return {name: lesson.Trainer(config, data) for name, lesson in LESSONS.items()}


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
    parser = Parser(prog="python -m fitways.anatomy", description=docstring(__file__).splitlines()[0])
    parser.add_argument(
        "--repeat", type=repeat_count, default=DEFAULT_REPEAT, help=f"rounds per median (default {DEFAULT_REPEAT})"
    )
    return parser.parse_args(argv)


def types(ops):
    return " ".join(ops)


def main(argv=None):
    args = parse(argv)
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
    p("   trace: tf.function runs the Python once with symbolic tensors, recording each op it reaches;")
    p("   graph: the recorded ops and the tensors between them, run by TensorFlow's C++ executor with no Python.")
    p(f"   update's graph: {len(outer)} ops: {_sorted_counts(outer)}")
    p(f"     of which plumbing {sum(t in PLUMBING for t in outer)} (Placeholder: x, y and the W, b handles; "
      f"Const; Identity/NoOp: outputs), state {sum(t in STATE for t in outer)}, calls {sum(t in CALLS for t in outer)},"
      f" arithmetic {sum(t not in PLUMBING | STATE | CALLS for t in outer)}")
    p(f"   the call runs loss_and_gradient's graph: {len(inner)} ops: {_sorted_counts(inner)}")

    loop = loop_ops(trainers["tf_graph_loop"])
    p("\n3. The whole loop in one graph: tf_graph_loop")
    p("   AutoGraph: tf.function's translator of Python control flow on tensors into graph ops.")
    p("   tf.while_loop: a loop inside the graph (a While op running a body graph while a cond graph is true).")
    p(f"   train_loop(record=False): {len(loop['outer'])} ops, {loop['outer'].count('While')} While; "
      f"cond {len(loop['cond'])} ops, body {len(loop['body'])} ops:")
    p(f"     {_sorted_counts(loop['body'])}")
    p(f"   the body's call runs loss_and_gradient: {len(loop['call'])} ops (arguments are not ops here)")

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
    p(f"   gone: {' '.join(dropped) or 'nothing'} (the loss is never read when record=False, so it is not computed)")

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
    phases = eager_phases(eager, args.repeat)
    counts = Counter(op.phase for op in ops)
    p("   the eager update by phase, each timed apart (us; ops in that phase; us per op):")
    for (label, us), phase in zip(phases.items(), ("forward", "gradient", "apply")):
        p(f"     {label:<34}{us:>9.1f}   {counts[phase]:>2} ops, {us / counts[phase]:6.1f} per op")
    p(f"     {'sum of the phases':<34}{sum(phases.values()):>9.1f}")
    calls = numpy_calls(trainers["numpy_manual"], *trainers["numpy_manual"].batches[0])
    p(f"   numpy's calls: {' '.join(name for _, name in calls)}")

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
    p(f"   per update, fit makes {python_calls:.0f} Python function calls, {hooks:.0f} of them callback hooks")
    return 0


def _sorted_counts(op_types):
    return " ".join(f"{t}" if n == 1 else f"{t} x{n}" for t, n in Counter(op_types).most_common())


if __name__ == "__main__":
    sys.exit(main())
