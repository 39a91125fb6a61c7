"""anatomy: what one update of the textbook's setup is made of, and where its time goes — the
counting and timing functions; benchmarks/anatomy.py prints them:

    python -m benchmarks.anatomy [--repeat N]

For Config() (3000 samples, batch 20, lr 0.1, 150 updates) it shows the ops an eager update
dispatches, the graph tf.function traces, the loop AutoGraph builds, what XLA leaves of that loop,
and a measured breakdown of an update's time for eager, tf.function, numpy and Keras's fit. Every
count comes from a function here (eager_ops, graph_ops, loop_ops, hlo_fusions, ...) so that tests
can check it; the script only prints. Times are medians over --repeat rounds, in µs, on this machine.

Two private TensorFlow modules are used, each in one place: tensorflow.python.framework.op_callbacks
(eager_ops: the hook TensorFlow's own debugging tools use to see every op) and the profiler's
XSpace protobuf (eager_kernels, through benchmarks.timeline.trace: to read what tf.profiler wrote).
tests/test_anatomy.py checks each against an independent count.
"""

import dataclasses
import itertools
import statistics
import sys
import time
from collections import Counter, namedtuple

import impls  # noqa: F401  (first: KERAS_BACKEND and TF_CPP_MIN_LOG_LEVEL before Keras and TensorFlow)

# isort: split
import numpy as np
import tensorflow as tf
from tensorflow.python.framework import op_callbacks  # private: the eager op hook

from benchmarks.hlo import hlo_instructions
from fitways.timing import fit_line, second_length
from impls import gradient_tape, keras_fit, numpy_manual, tf_function, tf_graph_loop, tf_xla
from impls.problem import make_data

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

    def note(op_type, inputs, attrs, outputs, op_name=None, graph=None):
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

    op_callbacks.add_op_callback(note)
    try:
        trainer.update(x, y)
    finally:
        op_callbacks.remove_op_callback(note)
    return seen


def eager_kernels(trainer, x, y, updates=5):
    """The kernels tf.profiler sees per eager update, in order (median run of `updates`): eager_ops plus
    _EagerConst, the op that turns a Python value (a shape, an axis list) into a tensor."""
    from benchmarks.timeline import trace

    def run():
        for _ in range(updates):
            trainer.update(x, y)

    space = trace(run)
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
    """What AutoGraph made of tf_graph_loop's train_loop(keep_log=False): the outer graph's op types,
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
    """XLA's optimized HLO for tf_xla's train_loop(keep_log=False). `keep_log` is a Python bool, so it is
    passed to experimental_get_compiler_ir like any argument; the method's self is already bound."""
    return trainer.train_loop.experimental_get_compiler_ir(False)(stage="optimized_hlo")


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
    """An array that counts each numpy call made on it, or on anything computed from it."""

    calls = []  # (kind, name): kind "array" for a call on the batch, "scalar" for one on single numbers

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        plain = [np.asarray(i) if isinstance(i, Counted) else i for i in inputs]
        kind = "scalar" if all(np.ndim(i) == 0 for i in plain) else "array"
        Counted.calls.append((kind, ufunc.__name__ if method == "__call__" else f"{ufunc.__name__}.{method}"))
        # 0-d results stay Counted too, so the scalar arithmetic that follows them is counted
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
