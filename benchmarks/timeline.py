"""timeline: one update along a time axis, as TensorFlow's profiler traced it.

    python -m benchmarks.timeline [--out docs/timeline.png]

Traces (tf.profiler.experimental) one eager update (gradient_tape), one tf.function update
(tf_function) and one update of the XLA loop (tf_xla, a loop of one), each after warm-up, and draws
every traced event as a bar along time: kernels (the ops' own work) in colour, the runtime around
them (Python's call, dispatch, the executor) in grey, nested events stacked below their parent, each
thread on its own band. The white between the coloured bars is time no kernel ran.

The trace is read with the profiler's XSpace protobuf (private, as in benchmarks.anatomy_study); every function
from events() on takes plain objects, so the tests call them on a small trace built by hand.
"""

import gc
import glob
import os
import tempfile
from typing import NamedTuple

DEFAULT_OUT = "docs/timeline.png"
WAYS = {  # panel title -> the lesson and how it runs one update
    "eager (gradient_tape): one update": "gradient_tape",
    "tf.function (tf_function): one update": "tf_function",
    "XLA loop (tf_xla): a loop of one update": "tf_xla",
}
LEAVES = ("ThreadpoolListener::",)  # zero-length markers: no time to draw
EAGER = "EagerLocalExecute: "
XLA_END = "end: "


class Event(NamedTuple):
    thread: str
    name: str
    start_us: float  # from the first event of the trace
    duration_us: float


class Bar(NamedTuple):
    thread: str
    depth: int  # 0 for an outermost event, 1 for one inside it, ...
    label: str  # the op (or XLA thunk) a kernel runs; the event's name for the runtime
    kernel: bool
    start_us: float
    duration_us: float


def events(space):
    """Every timed event of a trace's host planes, in µs from the earliest one. `space` is an XSpace
    or anything shaped like one (planes with event_metadata and lines of events)."""
    found = []
    for plane in space.planes:
        names = {key: meta.name for key, meta in plane.event_metadata.items()}
        for line in plane.lines:
            for event in line.events:
                name = names[event.metadata_id]
                if name.startswith(LEAVES) or name.startswith(XLA_END):
                    continue
                start_ns = line.timestamp_ns + event.offset_ps / 1e3
                found.append((line.name, name, start_ns, event.duration_ps / 1e3))
    if not found:
        return []
    origin = min(start for _, _, start, _ in found)
    return sorted(
        (Event(thread, name, (start - origin) / 1e3, duration / 1e3) for thread, name, start, duration in found),
        key=lambda event: (event.start_us, -event.duration_us),  # a parent before the events it encloses
    )


def kernel_label(name, inside_xla):
    """The op a kernel event runs, or None for the runtime around kernels.

    "EagerLocalExecute: Mul" (an eager op) -> "Mul"; "StatefulPartitionedCall/mul:Mul" (an op of a graph
    the executor runs) -> "Mul"; inside XLA's CpuExecutable, a thunk such as "fusion.3" -> "fusion.3"."""
    if name.startswith(EAGER):
        op = name[len(EAGER) :]
        return None if op.startswith("__inference_") else op  # a whole function: runtime around its ops
    if inside_xla:
        return name
    scope, colon, op_type = name.rpartition(":")
    if colon and "/" in scope and " " not in name and not op_type.startswith("__"):
        return op_type
    return None


def bars(trace_events):
    """Each event as a Bar: its depth is how many events on its thread enclose it."""
    laid_out, open_events = [], {}
    for event in trace_events:
        stack = open_events.setdefault(event.thread, [])
        end = event.start_us + event.duration_us
        while stack and stack[-1].start_us + stack[-1].duration_us < end - 1e-6:
            stack.pop()  # the event on top has ended before this one ends: not its parent
        inside_xla = any(parent.name.startswith("CpuExecutable::") for parent in stack)
        label = kernel_label(event.name, inside_xla)
        laid_out.append(
            Bar(event.thread, len(stack), label or event.name, label is not None, event.start_us, event.duration_us)
        )
        stack.append(event)
    return laid_out


def busy_fraction(laid_out):
    """The share of the traced span in which some kernel ran (overlapping kernels counted once)."""
    kernels = sorted((bar.start_us, bar.start_us + bar.duration_us) for bar in laid_out if bar.kernel)
    span = max((bar.start_us + bar.duration_us for bar in laid_out), default=0.0)
    busy, reach = 0.0, 0.0
    for start, end in kernels:
        if end > reach:
            busy += end - max(start, reach)
            reach = end
    return busy / span if span else 0.0


def draw(path, panels):
    """panels: {title: bars}. One panel per way, one band per thread, time in µs along x."""
    from matplotlib import colormaps
    from matplotlib.figure import Figure  # no pyplot: no backend chosen, none switched in a notebook

    heights = [
        sum(1 + max(b.depth for b in laid if b.thread == t) for t in dict.fromkeys(b.thread for b in laid))
        for laid in panels.values()
    ]
    figure = Figure(figsize=(13, 1.2 + 0.32 * sum(heights) + 0.6 * len(panels)))
    axes = figure.subplots(len(panels), 1, gridspec_kw={"height_ratios": heights}, squeeze=False)
    colours = colormaps["tab20"]
    for ax, (title, laid) in zip(axes[:, 0], panels.items()):
        row, ticks, palette = 0, [], {}
        total_us = max(bar.start_us + bar.duration_us for bar in laid)
        for thread in dict.fromkeys(bar.thread for bar in laid):
            on_thread = [bar for bar in laid if bar.thread == thread]
            for bar in on_thread:
                y = row + bar.depth
                colour = colours(palette.setdefault(bar.label, len(palette)) % 20) if bar.kernel else "0.82"
                ax.barh(
                    y,
                    max(bar.duration_us, 0.05),
                    left=bar.start_us,
                    height=0.8,
                    color=colour,
                    edgecolor="0.4",
                    linewidth=0.3,
                )
                if bar.kernel or bar.duration_us > 0.06 * total_us:
                    ax.text(
                        bar.start_us + bar.duration_us / 2,
                        y,
                        bar.label[:24],
                        ha="center",
                        va="center",
                        fontsize=5.5,
                        clip_on=True,
                    )
            depth = 1 + max(bar.depth for bar in on_thread)
            ticks.append((row + (depth - 1) / 2, thread if len(thread) < 22 else thread[:20] + "…"))
            row += depth
        ax.set_yticks([t for t, _ in ticks], [label for _, label in ticks], fontsize=7)
        ax.set_ylim(row - 0.5, -0.5)  # the outermost event on top
        ax.set_title(f"{title} — kernels busy {busy_fraction(laid):.0%} of {total_us:.0f} µs", fontsize=9, loc="left")
        ax.tick_params(axis="x", labelsize=7)
    axes[-1, 0].set_xlabel(
        "µs since the first traced event (colour: a kernel, the op's own work; grey: the runtime around it)"
    )
    figure.tight_layout()
    figure.savefig(path, dpi=150)


# --- tracing (needs TensorFlow) -------------------------------------------------------------------


def trace(fn):
    """Runs fn() under TensorFlow's profiler; the XSpace it wrote."""
    import tensorflow as tf
    from tensorflow.tsl.profiler.protobuf import xplane_pb2  # private: the profiler's trace format

    with tempfile.TemporaryDirectory() as logdir:
        tf.profiler.experimental.start(logdir)
        try:
            fn()
        finally:
            tf.profiler.experimental.stop()
        (path,) = glob.glob(os.path.join(logdir, "**", "*.xplane.pb"), recursive=True)
        space = xplane_pb2.XSpace()
        with open(path, "rb") as file:
            space.ParseFromString(file.read())
    return space


def one_update(lesson):
    """A function that runs one update of the lesson, already traced and compiled (three warm-up calls)."""
    import importlib

    from impls.problem import Config, make_data

    if lesson == "tf_xla":
        config = Config(updates=1)
        trainer = importlib.import_module(f"impls.{lesson}").Trainer(config, make_data(config))
        run = trainer.train
    else:
        config = Config()
        trainer = importlib.import_module(f"impls.{lesson}").Trainer(config, make_data(config))
        run = lambda: trainer.update(*trainer.batches[0])  # noqa: E731
    collecting = gc.isenabled()
    gc.disable()  # while tracing: TensorFlow binds tf.function methods through weak references
    try:  # (tensorflow#50807), and a collection mid-trace was seen to leave `self` unbound, flakily
        for _ in range(3):
            run()
    finally:
        if collecting:
            gc.enable()
    return run


def parse(argv=None):
    from fitways.cli import Parser, UsageError
    from fitways.output import path_problem

    parser = Parser(
        description="Draw one update of eager, tf.function and the XLA loop along a time axis, from TensorFlow's profiler."
    )
    parser.add_argument("--out", default=DEFAULT_OUT, metavar="PATH", help="the PNG to write (default: %(default)s)")
    args = parser.parse_args(argv)
    problem = path_problem(args.out, ".png")
    if problem:
        parser.error(str(UsageError(f"--out {problem}")))
    return args


def main(argv=None):
    args = parse(argv)
    from fitways.frameworks import FRAMEWORKS
    from fitways.output import warn

    FRAMEWORKS["tensorflow"].load()
    panels = {}
    for title, lesson in WAYS.items():
        panels[title] = bars(events(trace(one_update(lesson))))
        kernels = sum(bar.kernel for bar in panels[title])
        print(
            f"{title}: {len(panels[title])} events, {kernels} kernels, kernels busy {busy_fraction(panels[title]):.0%}"
        )
    draw(args.out, panels)
    warn(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    from fitways.signals import run_command

    raise SystemExit(run_command(main))
