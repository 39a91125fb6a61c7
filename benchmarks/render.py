"""render: every figure in README.md and docs/*.md, rendered by cogapp from the JSON committed in docs/.

    python -m benchmarks.render           re-run every cog region in README.md and docs/*.md (atomic writes)
    python -m benchmarks.render --check   change nothing; exit 1 naming each file a render would change

A region is a whole table or a whole paragraph, never a number inside a sentence:

    <!-- [[[cog import benchmarks.render as r; cog.out(r.markdown_ladder(r.load_runs("docs/compare*.json"))) ]]] -->
    ...what the function returned...
    <!-- [[[end]]] -->

Each markdown_* function here is pure: data read from docs/*.json in, markdown out. `load` validates
as it reads (a missing file or key, a wrong type, NaN, a failed row is a RenderError naming the file
and the key; the command prints it as one line and exits 2), and `escape` keeps text from the JSON
from opening a cog region, an HTML comment or a table cell. Nothing here imports a framework or runs
a trainer: --check only re-reads JSON. docs/10-trusting-the-numbers.md describes the convention.
"""

import argparse
import glob
import html
import json
import math
import os
import re
import statistics
import sys
import tempfile

from benchmarks.sweep import crossings  # light: numpy, no framework
from fitways.report import micros_with_unit, ratio  # one number format for the tables and the docs

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIN_RUNS = 3  # a range quoted from fewer runs would be one run's luck on a shared machine
FLOOR = "numba_loop"  # the fastest update by hand on this machine (impls/numba_loop.py)
BASELINE = "gradient_tape"

# The compilation ladder: each way, and what it removes compared with the one before it.
LADDER = [
    ("gradient_tape", "— (the textbook: every op dispatched from Python, one by one)"),
    ("tf_function", "the dispatch of each op: the update is traced once into a graph, one call per update"),
    ("tf_graph_loop", "the call per update: the whole loop traced into one graph"),
    ("tf_xla", "the graph executor: the whole loop compiled by XLA into a few fused kernels"),
    ("numba_loop", "the kernel boundaries: one hand-written pass per batch, compiled by numba (the floor)"),
]


class RenderError(ValueError):
    """A figure that cannot be rendered: a missing file or key, a wrong type, NaN, a failed row."""


# --- reading: validated on the way in -------------------------------------------------------------


def _refuse_constant(name):
    raise ValueError(f"{name} is not a number JSON allows")


def _wrap(value, file, where):
    if isinstance(value, dict):
        return Checked(value, file, where)
    if isinstance(value, list):
        return CheckedList(value, file, where)
    return value


class Checked(dict):
    """A JSON object that names its file and key when a key is missing or a value has the wrong type."""

    def __init__(self, value, file, where=""):
        super().__init__(value)
        self.file, self.where = file, where

    def _at(self, key):
        return f"{self.where}.{key}" if self.where else str(key)

    def __getitem__(self, key):
        if key not in self:
            raise RenderError(f"{self.file}: no key {self._at(key)}")
        return _wrap(super().__getitem__(key), self.file, self._at(key))

    def items(self):
        return [(key, self[key]) for key in self]

    def values(self):
        return [self[key] for key in self]

    def num(self, key):
        """A finite number (not a bool), or a RenderError naming the file and key."""
        value = self[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise RenderError(f"{self.file}: {self._at(key)} is {value!r}, not a finite number")
        return value

    def text(self, key):
        """A string, escaped for markdown (see escape)."""
        value = self[key]
        if not isinstance(value, str):
            raise RenderError(f"{self.file}: {self._at(key)} is {value!r}, not a string")
        return escape(value)

    def mapping(self, key):
        value = self[key]
        if not isinstance(value, dict):
            raise RenderError(f"{self.file}: {self._at(key)} is not an object")
        return value

    def sequence(self, key):
        value = self[key]
        if not isinstance(value, list):
            raise RenderError(f"{self.file}: {self._at(key)} is not a list")
        return value


class CheckedList(list):
    def __init__(self, value, file, where):
        super().__init__(value)
        self.file, self.where = file, where

    def __getitem__(self, index):
        if not -len(self) <= index < len(self):
            raise RenderError(f"{self.file}: no item {self.where}[{index}]")
        return _wrap(super().__getitem__(index), self.file, f"{self.where}[{index}]")

    def __iter__(self):
        return (self[index] for index in range(len(self)))


def load(path):
    """docs/NAME.json, read strictly (NaN and Infinity refused), as a Checked object."""
    full = path if os.path.isabs(path) else os.path.join(ROOT, path)
    try:
        with open(full, encoding="utf-8") as file:
            value = json.load(file, parse_constant=_refuse_constant)
    except OSError as error:
        raise RenderError(f"{path}: cannot read ({error.strerror or error})") from None
    except ValueError as error:
        raise RenderError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(value, dict):
        raise RenderError(f"{path}: not a JSON object")
    return Checked(value, path)


def load_runs(pattern="docs/compare*.json"):
    """Every compare run the pattern matches (compare.py --json), in name order, at least MIN_RUNS."""
    paths = sorted(glob.glob(os.path.join(ROOT, pattern)))
    if len(paths) < MIN_RUNS:
        raise RenderError(f"{pattern}: {len(paths)} compare runs, at least {MIN_RUNS} needed for a range")
    return [load(os.path.relpath(path, ROOT)) for path in paths]


def rows(document, device="cpu"):
    """{trainer: row} of a compare run on that device; a failed row is a RenderError."""
    found = {}
    for index, row in enumerate(document.sequence("results")):
        if "error" in row:
            raise RenderError(f"{document.file}: results[{index}] ({row.get('trainer')}) failed: {row['error']}")
        if row["device"] == device:
            found[row["trainer"]] = row
    return found


def row_of(document, trainer, device="cpu"):
    found = rows(document, device)
    if trainer not in found:
        raise RenderError(f"{document.file}: no row for trainer {trainer} on {device}")
    return found[trainer]


# --- formatting --------------------------------------------------------------------------------------


def escape(text):
    """Text from the JSON made inert in markdown: no HTML or comment, no cog marker, no table cell break."""
    text = html.escape(str(text), quote=False)
    return text.replace("[", "&#91;").replace("]", "&#93;").replace("|", "&#124;").replace("\n", " ")


def micros(seconds):
    """µs with enough digits, no unit: 3,894 / 38.1 / 1.01 / 0.0509; a fitted cost at or below zero is ~0."""
    return "~0" if seconds <= 0 else micros_with_unit(seconds * 1e6).removesuffix(" µs")


def spread(values, show):
    """The median and, in brackets, the range: "12.3 (12.1–15.3)"."""
    low, high = show(min(values)), show(max(values))
    middle = show(statistics.median(values))
    return middle if low == high else f"{middle} ({low}–{high})"


def table(header, body):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cells) + " |" for cells in body]
    return "\n".join(lines) + "\n"


def paragraph(sentences):
    return " ".join(sentences) + "\n"


# --- compare runs (python compare.py --json docs/compare*.json) -------------------------------------


def over_runs(runs, trainer, key):
    return [row_of(document, trainer).num(key) for document in runs]


def markdown_ladder(runs):
    """The ladder of README.md: each way, what it removes, µs per update and per call over the runs."""
    body = []
    for trainer, removes in LADDER + [("numpy_manual", "off the ladder: no framework, the gradient by hand")]:
        per_update = over_runs(runs, trainer, "seconds_per_update")
        per_call = over_runs(runs, trainer, "seconds_per_call")
        body.append([escape(trainer), removes, spread(per_update, micros), spread(per_call, micros)])
    note = f"Median over {len(runs)} compare runs, in brackets the range; ~0 is a fitted cost at or below zero.\n"
    return table(["way", "what it removes", "µs per update", "µs per call"], body) + "\n" + note


def markdown_compare(document):
    """One compare run as a narrow table: where it ran, the loss, converged, per call and per update."""
    baseline = document.text("baseline")
    found = rows(document)
    names = [escape(name) for name in next(iter(found.values())).mapping("parameters")] if found else []
    shown = names if len(names) <= 2 else []  # the line's W and b; a network's 49 numbers stay in the JSON
    body = []
    for trainer, row in found.items():
        parameters = row["parameters"]
        body.append([
            escape(trainer), escape(row["placed_on"]), *(f"{parameters.num(name):.5f}" for name in shown),
            f"{row.num('loss'):.2e}",
            "yes" if row["converged"] else "no", f"{row.num('first_call_extra_seconds'):.2f}",
            micros(row.num("seconds_per_call")), micros(row.num("seconds_per_update")),
            "—" if row["speedup"] is None else ratio(row.num("speedup")),
        ])  # fmt: skip
    header = ["trainer", "placed on", *shown, "loss", "converged", "first call s", "µs/call", "µs/update"]
    header.append(f"vs {baseline}")
    return table(header, body)


def markdown_machine(document):
    """The machine and versions a JSON file was measured with, as one sentence."""
    machine = document.mapping("machine")
    names = ("numpy", "numba", "tensorflow", "jax", "torch")
    versions = ", ".join(f"{name} {machine.text(name)}" for name in names if name in machine)
    return f"Measured on {machine.text('cpu')}, Python {machine.text('python')}; {versions}.\n"


def markdown_speedups(runs, pairs):
    """Sentences: how many times cheaper one update is than the other, the range over the runs."""
    said = []
    for a, b in pairs:
        ratios = [row_of(d, b).num("seconds_per_update") / row_of(d, a).num("seconds_per_update") for d in runs]
        if not all(r > 0 and math.isfinite(r) for r in ratios):
            raise RenderError(f"{runs[0].file}: a fitted cost of {a} or {b} at or below zero, no ratio to quote")
        if statistics.median(ratios) < 1:  # say it the way round that reads as "cheaper"
            a, b, ratios = b, a, [1 / r for r in ratios]
        low, high = ratio(min(ratios)), ratio(max(ratios))
        shown = low if low == high else f"{low.removesuffix('×')}–{high}"
        said.append(f"{escape(a)}'s update is {shown} cheaper than {escape(b)}'s.")
    return paragraph([*said, f"(Each range is over the {len(runs)} compare runs.)"])


def markdown_keras_backends(runs):
    """keras_fit on TensorFlow, JAX and PyTorch: one table from the compare runs."""
    body = []
    for trainer, backend in (("keras_fit", "TensorFlow"), ("keras_fit_jax", "JAX"), ("keras_fit_torch", "PyTorch")):
        per_update = over_runs(runs, trainer, "seconds_per_update")
        base = over_runs(runs, "keras_fit", "seconds_per_update")
        ratios = [b / p for b, p in zip(base, per_update)]
        body.append([escape(trainer), backend, spread(per_update, micros), spread(ratios, ratio)])
    return table(["trainer", "Keras backend", "µs per update", "keras_fit's update over this one's"], body)


# --- the network (python compare.py --problem mlp --json docs/mlp.json) ------------------------------


def markdown_mlp_equivalence(short, long):
    """A paragraph: how close every network trainer ends to the float64 replay, after 150 and 3,000 updates."""
    said = []
    for document in (short, long):
        trained = list(rows(document).values())
        worst = max(row.num("distance_to_reference") for row in trained)
        updates = document["config"].num("updates")
        said.append(f"after {updates:,} updates every one of the {len(trained)} trainers is within {worst:.1g}")
    loss = max(row.num("loss") for row in rows(short).values())
    line = short["reference"].num("ceiling") * 10  # the verdict's ceiling is a tenth of the best line's loss
    return (
        f"Measured: {said[0]} of the float64 replay in every parameter, and {said[1]}. One pass brings every "
        f"trainer's loss to {loss:.2g} or below; the best straight line leaves {line:.2g}.\n"
    )


# --- benchmarks (pytest --benchmark-only --benchmark-json=docs/benchmarks.json) ----------------------


def benchmark_cells(report):
    """{(row name, batch size): (seconds per update, seconds per call or None)} for the cpu cases, read by
    benchmarks.benchmark_table (the row name carries the replica count of a data-parallel trainer)."""
    from benchmarks.benchmark_table import NotAReport, medians

    try:
        cells = {(name, size): cell for (name, device, size), cell in medians(report).items() if device == "cpu"}
    except NotAReport as error:
        raise RenderError(f"{report.file}: {error}") from None
    if not cells:
        raise RenderError(f"{report.file}: no cpu benchmark in benchmarks")
    return {(escape(name), size): cell for (name, size), cell in cells.items()}


def markdown_benchmarks(report, only=None):
    """µs per update per trainer and batch size, and × floor (over numba_loop's, same run and batch)."""
    cells = benchmark_cells(report)
    sizes = sorted({size for _, size in cells})
    names = list(dict.fromkeys(name for name, _ in cells))
    if only is not None:
        names = [name for name in names if name.split(" ×")[0] in only]
    header = ["trainer"] + [f"batch {size:,}: µs · × floor" for size in sizes]
    body = []
    for name in names:
        row = [escape(name)]
        for size in sizes:
            cell, floor = cells.get((name, size)), cells.get((FLOOR, size))
            if cell is None:
                row.append("—")
            else:
                row.append(micros(cell[0]) + (f" · {ratio(cell[0] / floor[0])}" if floor else ""))
        body.append(row)
    return table(header, body)


def markdown_benchmark_machine(report):
    """The machine, versions and day a pytest-benchmark report was measured on, as one sentence."""
    machine = {}
    for bench in report.sequence("benchmarks"):  # each case names the versions of the frameworks it ran
        machine.update(bench["extra_info"])
    names = ("numpy", "numba", "tensorflow", "jax", "torch")
    versions = ", ".join(f"{name} {escape(machine[name])}" for name in names if name in machine)
    cpu, python = escape(machine.get("cpu", "an unnamed CPU")), escape(machine.get("python", "?"))
    day = escape(str(report.get("datetime", ""))[:10])
    return f"Measured on {cpu}, Python {python}; {versions}" + (f"; {day}" if day else "") + ".\n"


def markdown_floor(report, trainers=("tf_xla", "jax_loop")):
    """Sentences: how far the fastest compiled loops are from the floor, per batch size, in that run."""
    cells = benchmark_cells(report)
    sizes = sorted({size for _, size in cells})
    said = []
    for trainer in trainers:
        quoted = [
            f"{ratio(cells[(trainer, s)][0] / cells[(FLOOR, s)][0])} at batch {s:,}"
            for s in sizes
            if (trainer, s) in cells and (FLOOR, s) in cells
        ]
        said.append(f"{escape(trainer)}'s update over the floor's: {', '.join(quoted)}.")
    return paragraph(said)


# --- sweeps: one axis, sentences that say where lines cross -----------------------------------------


def batch_lines(document):
    """{trainer: {batch size: seconds per update}} from sweep_batch_size.py's JSON."""
    lines = {}
    for point in document.sequence("points"):
        if "error" in point:
            raise RenderError(f"{document.file}: {point['trainer']} at batch {point['batch_size']} failed")
        lines.setdefault(escape(point["trainer"]), {})[point.num("batch_size")] = point.num("seconds_per_update")
    return lines


def width_lines(document):
    """{trainer: {hidden width: seconds per update}} from sweep_width.py's JSON."""
    lines = {}
    for who, points in document.mapping("points").items():
        name = escape(who.removesuffix(" on cpu"))
        for point in points:
            width, seconds, checked = point
            if not checked:
                raise RenderError(f"{document.file}: {who} at H = {width} failed its check")
            lines.setdefault(name, {})[width] = seconds
    return lines


def markdown_axis_table(lines, header, label=lambda value: f"{value:,}"):
    values = sorted({value for line in lines.values() for value in line})
    body = [[label(v)] + [micros(line[v]) if v in line else "—" for line in lines.values()] for v in values]
    return table([header, *lines], body)


def markdown_batch_sweep(document):
    return markdown_axis_table(batch_lines(document), "batch")


def markdown_width_sweep(document):
    return markdown_axis_table(width_lines(document), "H (parameters)", lambda h: f"{h:,} ({3 * h + 1:,})")


def markdown_crossovers(lines, incumbent, axis):
    """Sentences with numbers: which update is cheapest where, and for every other line whether and
    where it overtakes the incumbent. axis names a value: "batch" → "batch 16", "H =" → "H = 16"."""
    at = lambda value: f"{axis} {value:,}"  # noqa: E731
    values = sorted(set.intersection(*(set(line) for line in lines.values())))
    runs = []
    for value in values:
        best = min(lines, key=lambda name: lines[name][value])
        if runs and runs[-1][0] == best:
            runs[-1][1].append(value)
        else:
            runs.append((best, [value]))
    spans = [
        f"{name}'s at {at(vs[0])}" if len(vs) == 1 else f"{name}'s from {at(vs[0])} to {vs[-1]:,}" for name, vs in runs
    ]
    said = ["The cheapest update is " + ", then ".join(spans) + "."]
    mine = lines[incumbent]
    for name, line in lines.items():
        if name == incumbent:
            continue
        shared = sorted(set(line) & set(mine))
        first, last = shared[0], shared[-1]
        changes = crossings(line, mine)  # benchmarks.sweep's rule: where two lines change order
        cheaper = {value: mine[value] / line[value] for value in shared}.get  # how many times cheaper `name` is
        if not changes:
            if cheaper(first) > 1:
                said.append(
                    f"{name}'s update is cheaper than {incumbent}'s at every {axis.removesuffix(' =')} measured: "
                    f"{ratio(cheaper(first))} cheaper at {at(first)}, {ratio(cheaper(last))} at {at(last)}."
                )
            else:
                said.append(
                    f"{name} never overtakes {incumbent}: its update costs {ratio(1 / cheaper(first))} "
                    f"{incumbent}'s at {at(first)} and {ratio(1 / cheaper(last))} at {at(last)}."
                )
            continue
        where = " and ".join(f"between {at(lo)} and {hi:,}" for lo, hi in changes)
        ahead, behind = (name, incumbent) if cheaper(last) > 1 else (incumbent, name)
        count = "once" if len(changes) == 1 else f"{len(changes)} times"
        said.append(
            f"{name} and {incumbent} change order {count}, {where}; at {at(last)}, the largest measured, "
            f"{ahead}'s update is the cheaper: {micros(lines[ahead][last])} µs against {micros(lines[behind][last])} µs."
        )
    return paragraph(said)


def markdown_batch_crossovers(document, incumbent="numpy_manual"):
    return markdown_crossovers(batch_lines(document), incumbent, "batch")


def markdown_width_crossovers(document, incumbent="numpy_manual"):
    return markdown_crossovers(width_lines(document), incumbent, "H =")


# --- gradient cost (python -m benchmarks.gradient_cost --json docs/gradient_cost.json) --------------


def passes(value):
    """A count of forward passes to 3 significant figures: 2,050 / 54.2 / 1.07."""
    return f"{float(f'{value:.3g}'):,.0f}" if value >= 100 else f"{value:.3g}"


def markdown_gradient_cost(document, shown=(10, 100, 1000, 10000, 100000)):
    """Forward passes one gradient costs, per method and n; — where the method stopped before that n."""
    body = []
    for method, described in document.mapping("methods").items():
        points = {p.num("n"): p.num("ratio") for p in document["cost"][method].sequence("points")}
        cells = [passes(points[n]) if n in points else "—" for n in shown]
        body.append([escape(method), described.text("mode"), described.text("how"), *cells])
    return table(["method", "mode", "how", *(f"n = {n:,}" for n in shown)], body)


def markdown_forward_mode(document):
    """Why forward mode's measured cost is not n forward passes at small n, with the numbers."""
    points = {p.num("n"): p.num("ratio") for p in document["cost"]["tf_forward"].sequence("points")}
    fd = {p.num("n"): p.num("ratio") for p in document["cost"]["numpy_fd"].sequence("points")}
    n_small, n_large = 1000, max(points)
    return (
        f"Finite differences cost what they count: {passes(fd[n_small])} forward passes at n = {n_small:,}, "
        f"about 2n. Forward mode in TensorFlow cost {passes(points[n_small])} forward passes at n = {n_small:,}, "
        f"not {n_small:,}, and {passes(points[n_large])} at n = {n_large:,}, the last n it ran.\n"
    )


def markdown_reverse_mode(document):
    """Reverse mode's cost at the largest n, per framework: a sentence."""
    constants = document.mapping("constants")
    quoted = [f"{escape(name)} {c.num('ratio'):.2g}" for name, c in constants.items()]
    n = max(c.num("n") for c in constants.values())
    return f"At n = {n:,}, one reverse-mode gradient costs, in forward passes: {', '.join(quoted)}.\n"


def markdown_accuracy(document):
    """The best finite-difference step and the textbook's, per problem and precision: a table."""
    body = []
    for problem, precisions in document.mapping("accuracy").items():
        for precision, found in precisions.items():
            best, textbook = found["best"], found["textbook"]
            body.append([
                escape(problem), escape(precision), f"{best.num('h'):.1e}", f"{best.num('error'):.1e}",
                f"{textbook.num('h'):.0e}", f"{textbook.num('error'):.1e}",
            ])  # fmt: skip
    return table(["problem", "precision", "best h", "its error", "textbook h", "its error"], body)


# --- anatomy (python -m benchmarks.anatomy --json docs/anatomy.json) ---------------------------------


def markdown_anatomy(document):
    """What one update of each way is made of, and what it costs (µs, medians)."""
    d, us = document, lambda value: micros(value / 1e6)
    body = [
        ["eager (`gradient_tape`)", f"{d.num('ops')} ops dispatched one by one: forward {d.num('ops_forward')}, "
         f"the tape's gradient {d.num('ops_gradient')}, apply {d.num('ops_apply')}", us(d["gradient_tape"].num("whole"))],
        ["`tf.function`", f"one call of a {d.num('graph_ops')}-op graph that calls the {d.num('called_ops')}-op "
         "traced gradient graph", us(d["tf_function"].num("whole"))],
        ["whole loop in a graph (`tf_graph_loop`)", f"one call for all updates; a While op whose body has "
         f"{d.num('loop_body')} ops", us(d.num("tf_graph_loop_per_update"))],
        ["XLA (`tf_xla`)", f"one call into one compiled program: a while loop of {d.num('fusions')} fused kernels",
         f"{us(d.num('tf_xla_per_update'))} (and {us(d.num('tf_xla_per_call'))} per call)"],
        ["`keras_fit`", f"`model.fit` walks the batches in Python: {d.num('fit_calls'):,} Python function calls "
         "per update around one call of its traced update", us(d.num("keras_fit_per_update"))],
        ["numpy (`numpy_manual`)", f"{d.num('numpy_calls')} numpy calls, {d.num('numpy_array_calls')} of them on arrays",
         us(d["numpy_manual"].num("whole"))],
    ]  # fmt: skip
    return table(["way", "what one update is", "µs per update"], body)


def markdown_anatomy_parts(document):
    """The eager and tf.function updates split into measured parts; the rest is not attributed."""
    d, us = document, lambda value: micros(value / 1e6)
    eager, graph = d["gradient_tape"], d["tf_function"]
    eager_parts, graph_parts = eager.sequence("parts"), graph.sequence("parts")
    body = [
        ["eager: the whole update", us(eager.num("whole")), "measured: `float(update(x, y))`"],
        ["Python: the loop, the tape's context", us(eager_parts[0]), "the update with its ops taken out"],
        [f"dispatch: {d.num('ops')} ops × {us(d.num('one_op'))}", us(eager_parts[1]),
         "one trivial eager op (`a * b`) timed alone, times the op count"],
        ["kernels and executor", us(eager_parts[2]), "`tf_graph_loop`'s time per update: the same kernels run by "
         "the graph executor, with no Python and no dispatch"],
        ["host read", us(eager_parts[3]), "`float(loss)`"],
        ["not attributed", us(eager.num("unexplained")), f"{100 - eager.num('percent'):.0f}% of the whole: the "
         "tape's recording, its gradient functions, wrappers beyond `a * b`'s"],
        ["`tf.function`: the whole update", us(graph.num("whole")), "measured: `float(update(x, y))`"],
        ["the call", us(graph_parts[0]), "a `tf.function` that only returns its input"],
        ["kernels and executor", us(graph_parts[1]), "as above"],
        ["not attributed", us(graph.num("unexplained")), f"{100 - graph.num('percent'):.0f}% of the whole"],
    ]  # fmt: skip
    return table(["part", "µs", "how it is measured"], body)


def markdown_dispatch(document):
    """One eager op against one numpy call, a sentence with the numbers."""
    d = document
    return (
        f"One trivial eager op costs {micros(d.num('one_op') / 1e6)} µs here; one numpy call on an array "
        f"{micros(d.num('one_array') / 1e6)} µs, on scalars {micros(d.num('one_scalar') / 1e6)} µs. The eager "
        f"update is {d.num('ops')} ops ({d.num('ops_gradient')} of them the tape's gradient); numpy_manual's is "
        f"{d.num('numpy_calls')} calls, {d.num('numpy_array_calls')} of them on arrays.\n"
    )


# --- keras_fit_tuned's changes (python -m benchmarks.keras_fit_changes --json ...) -------------------


def markdown_keras_changes(document):
    variants = document.mapping("variants")
    base = variants["keras_fit"].num("per_update_us")
    body = []
    for name, row in variants.items():
        if not row["converged"]:
            raise RenderError(f"{document.file}: variants.{name} did not converge")
        per_update = row.num("per_update_us")
        body.append(
            [escape(name), micros(row.num("per_call_us") / 1e6), micros(per_update / 1e6), ratio(base / per_update)]
        )
    return table(["variant", "µs per call", "µs per update", "keras_fit's update over this one's"], body)


# --- the site's pages made from files outside docs/ ----------------------------------------------------

LINK = re.compile(r"\[(?P<text>[^\]]+)\]\((?P<target>[^)\s]+)\)")


def site_links(text):
    """Links as the site sees them: docs/X becomes X; a link to a file outside docs/ becomes its text
    and its path in code (the site holds only docs/), a web address stays."""

    def fix(match):
        text, target = match["text"], match["target"]
        if target.startswith(("http://", "https://", "#")):
            return match.group(0)
        if target.startswith(("docs/", "../docs/")):  # README's links, and the notebook's (it sits in notebooks/)
            return f"[{text}]({target.split('docs/', 1)[1] or 'index.md'})"
        return text if text.strip("`") == target.rstrip("/") else f"{text} (`{target}`)"

    return LINK.sub(fix, text)


def markdown_home(path="README.md"):
    """README.md as the site's home page: its text with its own cog markers taken out and its links
    made to work inside the site (README.md is rendered first, so its figures are current)."""
    full = os.path.join(ROOT, path)
    try:
        with open(full, encoding="utf-8") as file:
            lines = file.read().splitlines()
    except OSError as error:
        raise RenderError(f"{path}: cannot read ({error.strerror or error})") from None
    kept = [line for line in lines if not line.startswith(("<!-- [[[cog", "<!-- [[[end]]]"))]
    return site_links("\n".join(kept)) + "\n"


def markdown_notebook(path="notebooks/tour.ipynb"):
    """The stored notebook as a page: its prose (headings one level down, under the page's title), its
    code, and the text each cell printed when it was stored; a figure is named, not embedded."""
    import nbformat

    try:
        notebook = nbformat.read(os.path.join(ROOT, path), as_version=4)
    except (OSError, ValueError) as error:
        raise RenderError(f"{path}: cannot read ({getattr(error, 'strerror', None) or error})") from None
    parts = []
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            parts.append(site_links(re.sub(r"^(#+) ", r"#\1 ", cell.source, flags=re.M)))
        elif cell.cell_type == "code":
            parts.append("```python\n" + cell.source + "\n```")
            printed = "".join(out.get("text", "") for out in cell.get("outputs", []) if out.get("name") == "stdout")
            if printed.strip():
                parts.append("```text\n" + printed.rstrip("\n").replace("```", "ʼʼʼ") + "\n```")
            if any("image/png" in out.get("data", {}) for out in cell.get("outputs", [])):
                parts.append("*(a figure: open the notebook to see it)*")
    return "\n\n".join(parts) + "\n"


# --- the command ----------------------------------------------------------------------------------------


def documents(root=ROOT):
    """README.md and docs/*.md: the files that may hold regions."""
    return [os.path.join(root, "README.md")] + sorted(glob.glob(os.path.join(root, "docs", "*.md")))


def render_text(text, name):
    """The text with every cog region re-run; RenderError (one line) for any failure inside one."""
    from cogapp import Cog
    from cogapp.errors import CogError

    if "[[[cog" not in text:
        return text
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
    cwd = os.getcwd()
    os.chdir(ROOT)  # regions name their JSON relative to the repository root
    try:
        return Cog().process_string(text, fname=name)
    except CogError as error:
        cause = error.__context__
        while cause is not None and not isinstance(cause, RenderError):
            cause = cause.__context__
        if cause is not None:
            raise RenderError(f"{name}: {cause}") from None
        last = str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
        raise RenderError(f"{name}: {last}") from None
    finally:
        os.chdir(cwd)


def write_atomically(path, text):
    """Replace the file in one step: a temporary file beside it, then os.replace; the mode is kept."""
    folder = os.path.dirname(path) or "."
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=".render-", suffix=".md")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
        os.chmod(temporary, os.stat(path).st_mode & 0o7777)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


class Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2: bad input never prints a usage block or a traceback
        self.exit(2, f"error: {message} (python -m benchmarks.render --help)\n")


def main(argv=None, root=ROOT):
    parser = Parser(prog="python -m benchmarks.render", description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 naming each stale file")
    args = parser.parse_args(argv)
    stale = []
    try:
        for path in documents(root):
            name = os.path.relpath(path, root)
            with open(path, encoding="utf-8") as file:
                text = file.read()
            rendered = render_text(text, name)
            if rendered == text:
                continue
            if args.check:
                stale.append(name)
            else:
                write_atomically(path, rendered)
    except (OSError, RenderError) as error:
        print(f"error: {getattr(error, 'strerror', None) or error}", file=sys.stderr)
        return 2
    for name in stale:
        print(f"{name}: stale; run python -m benchmarks.render")
    return 1 if stale else 0


if __name__ == "__main__":
    from fitways.signals import run_command

    sys.exit(run_command(main))
