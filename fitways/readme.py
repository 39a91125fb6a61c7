"""readme: every measured number in README.md, rendered from the JSON committed in docs/.

    python -m fitways.readme            rewrite README.md's marked regions from docs/*.json
    python -m fitways.readme --check    exit 1, naming each region, where README.md differs

A region is `<!-- fitways:begin NAME -->…<!-- fitways:end NAME -->`, a whole table or one number
inside a sentence; the text between the markers is rendered, never typed. tests/test_readme.py fails
when README.md holds anything else there. The sources:

    docs/compare.json, docs/compare-*.json   `python compare.py --json ...`, one file per run (at least 3)
    docs/benchmarks.json                     `pytest --benchmark-only --benchmark-json=...`
    docs/batch_sweep.json                    `python benchmarks/sweep_batch_size.py --json ...`
    docs/width_sweep.json                    `python benchmarks/sweep_width.py --json ...`

A NAME is a table (compare-table, benchmark-table, sweep-table, width-table), a line or sentence
(compare-machine, crossovers, width-crossovers), or a value
spelled with colons, each a median over the compare runs with its range (the spread between runs
on a shared machine is the honest figure, not one run's):

    faster:A:B        how many times less A's update costs than B's, "4.7–6.1×" (range over the runs)
    per-update:A      A's fitted µs per update, "3.9 µs (3.5–4.4 over 3 runs)"
    per-call:A        A's fitted µs per call, the same way
    floor:A:BATCH     A's per-update cost over numba_loop's at that batch size, from the benchmarks
    runs              how many compare runs there are
"""

import argparse
import glob
import io
import json
import math
import os
import re
import statistics
import sys
from contextlib import redirect_stdout

from fitways.sweep import crossings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIN_RUNS = 3  # a ratio or time quoted from fewer runs would be one run's luck on a shared machine
FLOOR = "numba_loop"
REGION = re.compile(r"<!-- fitways:begin (?P<name>\S+) -->(?P<body>.*?)<!-- fitways:end (?P=name) -->", re.S)


class RenderError(ValueError):
    """A region the renderer cannot fill: unknown name, missing source, too few runs."""


class Sources:
    """The JSON files in docs/, read once each, on demand."""

    def __init__(self, docs):
        self.docs, self._cache = docs, {}

    def read(self, name):
        if name not in self._cache:
            path = os.path.join(self.docs, name)
            try:
                with open(path) as file:
                    self._cache[name] = json.load(file)
            except (OSError, ValueError) as error:
                raise RenderError(f"cannot read {path}: {getattr(error, 'strerror', None) or error}") from None
        return self._cache[name]

    def compare_runs(self):
        names = sorted(os.path.basename(p) for p in glob.glob(os.path.join(self.docs, "compare*.json")))
        if len(names) < MIN_RUNS:
            raise RenderError(f"{len(names)} compare runs in {self.docs} (compare*.json), at least {MIN_RUNS} needed")
        return [self.read(name) for name in names]


def result(document, trainer, device="cpu"):
    row = next((r for r in document["results"] if r["trainer"] == trainer and r["device"] == device), None)
    if row is None:
        raise RenderError(f"{trainer} on {device} is not in every compare run")
    return row


def over_runs(sources, value):
    """value(document) for every compare run: the list, in file order."""
    return [value(document) for document in sources.compare_runs()]


def micros(seconds):
    """µs with enough digits: 3,894 / 38.1 / 1.01 / 0.0509; a fitted cost at or below zero is ~0."""
    if seconds <= 0:
        return "~0"
    value = seconds * 1e6
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def times(value):
    """A ratio: 1,000× / 15× / 4.7× / 0.49×."""
    from fitways.report import ratio

    return ratio(value)


def span(values, show):
    low, high = show(min(values)), show(max(values))
    return low if low == high else f"{low}–{high}"


def render_faster(sources, a, b):
    ratios = over_runs(sources, lambda d: result(d, b)["seconds_per_update"] / result(d, a)["seconds_per_update"])
    if not all(math.isfinite(r) and r > 0 for r in ratios):
        raise RenderError(f"faster:{a}:{b}: a fitted cost at or below zero in some run, no ratio to quote")
    return span(ratios, lambda r: times(r).removesuffix("×")) + "×"


def render_cost(sources, key, a):
    values = over_runs(sources, lambda d: result(d, a)[key])
    return f"{micros(statistics.median(values))} µs ({span(values, micros)} over {len(values)} runs)"


def render_floor(sources, a, batch):
    cells = _bench_cells(sources)
    column = ("cpu", int(batch))
    if (a, *column) not in cells or (FLOOR, *column) not in cells:
        raise RenderError(f"floor:{a}:{batch}: {a} or {FLOOR} at cpu batch {batch} is not in docs/benchmarks.json")
    return times(cells[(a, *column)][0] / cells[(FLOOR, *column)][0])


def _bench_cells(sources):
    from fitways.benchmark_table import NotAReport, medians

    try:
        return medians(sources.read("benchmarks.json"))
    except NotAReport as error:
        raise RenderError(f"docs/benchmarks.json: {error}") from None


def render_compare_table(sources, file="compare.json"):
    from fitways.problems import PROBLEMS
    from fitways.report import print_table

    document = sources.read(file)
    problem = PROBLEMS[document["problem"]]
    config = problem.Config(**document["config"])
    reference = problem.reference(config, problem.make_data(config))  # the same seeded data: the same reference
    out = io.StringIO()
    with redirect_stdout(out):
        print_table(problem, config, reference, document["results"], document["notes"], document["baseline"])
    return "\n```\n" + out.getvalue().rstrip("\n") + "\n```\n"


def render_benchmark_table(sources):
    from fitways.benchmark_table import NotAReport, summarize

    try:
        return "\n" + summarize(sources.read("benchmarks.json")) + "\n"
    except NotAReport as error:
        raise RenderError(f"docs/benchmarks.json: {error}") from None


def sweep_points(sources, file="batch_sweep.json"):
    """{trainer: {batch_size: seconds per update}} from the sweep, in the sweep's order."""
    lines = {}
    for point in sources.read(file)["points"]:
        lines.setdefault(point["trainer"], {})[point["batch_size"]] = point["seconds_per_update"]
    return lines


def axis_table(lines, header, label):
    """A markdown table of µs per update: a row per axis value (label(value) names it), a column per line."""
    values = sorted({value for line in lines.values() for value in line})
    rows = [f"| {header} | " + " | ".join(lines) + " |", "|---" * (len(lines) + 1) + "|"]
    for value in values:
        cells = [micros(line[value]) if value in line else "—" for line in lines.values()]
        rows.append(f"| {label(value)} | " + " | ".join(cells) + " |")
    return "\n" + "\n".join(rows) + "\n"


def render_sweep_table(sources, file="batch_sweep.json"):
    return axis_table(sweep_points(sources, file), "batch", lambda size: f"{size:,}")


def cheapest(lines):
    """[(trainer, [batch sizes where its update is the cheapest of all lines])], in batch order."""
    sizes = sorted(set.intersection(*(set(line) for line in lines.values())))
    runs = []
    for size in sizes:
        best = min(lines, key=lambda name: lines[name][size])
        if runs and runs[-1][0] == best:
            runs[-1][1].append(size)
        else:
            runs.append((best, [size]))
    return runs


def render_crossovers(sources, file="batch_sweep.json"):
    """Which line is lowest where, which pairs of lines cross (and between which batch sizes), and
    which pairs never do."""
    lines = sweep_points(sources, file)
    names = list(lines)
    spans = [
        f"{name} at batch {sizes[0]:,}" + (f" to {sizes[-1]:,}" if len(sizes) > 1 else "")
        for name, sizes in cheapest(lines)
    ]
    text = "Cheapest update: " + ", ".join(spans) + "."
    crossed, apart = [], []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            where = crossings(lines[a], lines[b])  # fitways.sweep's rule, as the width sweep uses it
            between = ", ".join(f"{low:,} and {high:,}" for low, high in where)
            if len(where) == 1:
                crossed.append(f"{a} and {b} (between batch {between})")
            elif where:
                crossed.append(f"{a} and {b}, {len(where)} times (between batch {between})")
            else:
                sizes = sorted(set(lines[a]) & set(lines[b]))
                low, high = (a, b) if lines[a][sizes[0]] < lines[b][sizes[0]] else (b, a)
                apart.append(f"{low} below {high}")
    text += " Lines that cross: " + ("; ".join(crossed) if crossed else "none") + "."
    if apart:
        text += " Never crossing over the whole sweep: " + ", ".join(apart) + "."
    return text


def render_compare_machine(sources):
    """The machine and versions docs/compare.json was measured with, in one line."""
    from fitways.benchmark_table import FRAMEWORK_NAMES

    machine = sources.read("compare.json")["machine"]
    versions = [f"{name} {machine[name]}" for name in FRAMEWORK_NAMES if name in machine]
    return f"{machine['cpu']}; Python {machine['python']}; " + ", ".join(versions)


def width_points(sources):
    """{lesson: {hidden width: seconds per update}} from the width sweep (fitways.sweep's points)."""
    points = sources.read("width_sweep.json")["points"]
    return {who.removesuffix(" on cpu"): {width: seconds for width, seconds, _ in line} for who, line in points.items()}


def render_width_table(sources):
    label = lambda width: f"{width:,} ({3 * width + 1:,})"  # noqa: E731
    return axis_table(width_points(sources), "H (parameters)", label)


def render_width_crossovers(sources):
    """For each lesson, the width from which it is faster than numpy_manual at every larger width
    measured (fitways.sweep.crossover, as the sweep printed it), or that there is none."""
    said = []
    for who, width in sources.read("width_sweep.json")["crossovers"].items():
        name = who.removesuffix(" on cpu")
        said.append(f"{name} from H = {width:,}" if width else f"{name} at no width measured")
    return "Faster than numpy_manual at every larger width measured: " + "; ".join(said) + "."


def significant(value, digits):
    """value rounded to `digits` significant figures: 1,783.2 → 1,780.0 for 3."""
    return float(f"{value:.{digits}g}")


def render_mlp_table(sources):
    """The network's compare table, docs/mlp.json re-printed."""
    return render_compare_table(sources, "mlp.json")


def render_mlp(sources, file, what):
    """A figure of the network's compare run docs/FILE.json: the worst distance of any trainer to the
    float64 replay, the worst loss, the best straight line's loss, and that loss over the noise's variance."""
    from fitways.problems import PROBLEMS

    document = sources.read(f"{file}.json")
    rows = [row for row in document["results"] if "error" not in row and row["parameters"] is not None]
    if not rows:
        raise RenderError(f"mlp:{file}:{what}: docs/{file}.json has no trained row")
    line_loss = document["reference"]["ceiling"] * PROBLEMS["mlp"].LEARNED
    shown = {
        "distance": lambda: f"{max(row['distance_to_reference'] for row in rows):.1g}",
        "loss": lambda: f"{max(row['loss'] for row in rows):.2g}",
        "line-loss": lambda: f"{line_loss:.2g}",
        "over-noise": lambda: f"{significant(line_loss / (document['config']['noise'] ** 2 / 12), 2):,.0f}",
        "updates": lambda: f"{document['config']['updates']:,}",
    }
    if what not in shown:
        raise RenderError(f"mlp:{file}:{what}: what is one of {', '.join(shown)}")
    return shown[what]()


def cost_point(sources, method, n):
    points = sources.read("gradient_cost.json")["cost"].get(method, {}).get("points", [])
    if n == "last":
        if not points:
            raise RenderError(f"gc: {method} has no points in docs/gradient_cost.json")
        return points[-1]
    point = next((p for p in points if p["n"] == int(n)), None)
    if point is None:
        raise RenderError(f"gc: {method} has no point at n = {n} in docs/gradient_cost.json")
    return point


def render_gradient_cost(sources, kind, *arguments):
    """Figures of docs/gradient_cost.json:
        gc:ratio:METHOD:N       forward passes one gradient costs at n = N (or "last": where it stopped)
        gc:n:METHOD:last        the last n a method ran
        gc:constant:METHOD      reverse mode's forward passes at the largest n
        gc:accuracy:PROBLEM:PRECISION:best|textbook:h|error
        gc:cap                  the time cap, s"""
    document = sources.read("gradient_cost.json")
    try:
        if kind == "ratio":
            ratio = cost_point(sources, *arguments)["ratio"]
            return f"{significant(ratio, 3):,.0f}" if ratio >= 100 else f"{ratio:.2g}"
        if kind == "n":
            return f"{cost_point(sources, *arguments)['n']:,}"
        if kind == "constant":
            return f"{document['constants'][arguments[0]]['ratio']:.2g}"
        if kind == "accuracy":
            problem, precision, which, field = arguments
            value = document["accuracy"][problem][precision][which][field]
            return f"{value:.1e}".replace("e-0", "e-")
        if kind == "cap":
            return f"{document['settings']['cap_seconds']:g}"
    except (KeyError, TypeError, ValueError) as error:
        raise RenderError(f"gc:{kind}:{':'.join(arguments)}: not in docs/gradient_cost.json ({error})") from None
    raise RenderError(f"gc:{kind}: unknown (ratio, n, constant, accuracy, cap)")


def render_anatomy(sources, key, *path):
    """A figure of docs/anatomy.json (python benchmarks/anatomy.py --json): a count as an integer, a
    time in µs with enough digits, a percentage whole; path indexes into a nested figure."""
    value = sources.read("anatomy.json")
    try:
        for step in (key, *path):
            value = value[int(step)] if isinstance(value, list) else value[step]
    except (KeyError, IndexError, ValueError, TypeError):
        raise RenderError(f"anatomy:{':'.join((key, *path))}: not in docs/anatomy.json") from None
    if isinstance(value, int) or (key.startswith(("ops", "numpy_", "fit_")) and float(value).is_integer()):
        return f"{int(value):,}"
    if path and path[-1] == "percent":
        return f"{value:.0f}"
    return micros(value / 1e6)


def render_width_ratio(sources, a, b, width):
    """How many times B's update A's costs at that width, from the width sweep: "24×", "2.1×"."""
    lines = width_points(sources)
    try:
        return times(lines[a][int(width)] / lines[b][int(width)])
    except (KeyError, ValueError, ZeroDivisionError):
        raise RenderError(f"width-ratio:{a}:{b}:{width}: not in docs/width_sweep.json") from None


def render_keras_changes(sources):
    """keras_fit_tuned's three changes priced one at a time (docs/keras_fit_changes.json), a table."""
    variants = sources.read("keras_fit_changes.json")["variants"]
    base = variants["keras_fit"]["per_update_us"]
    rows = ["| variant | µs per call | µs per update | keras_fit's update over this one's |", "|---|---|---|---|"]
    for name, row in variants.items():
        rows.append(
            f"| {name} | {micros(row['per_call_us'] / 1e6)} | {micros(row['per_update_us'] / 1e6)} | "
            f"{times(base / row['per_update_us'])} |"
        )
    return "\n" + "\n".join(rows) + "\n"


NAMED = {
    "keras-changes-table": render_keras_changes,
    "mlp-table": render_mlp_table,
    "width-table": render_width_table,
    "width-crossovers": render_width_crossovers,
    "compare-table": render_compare_table,
    "compare-machine": render_compare_machine,
    "benchmark-table": render_benchmark_table,
    "sweep-table": render_sweep_table,
    "mlp-sweep-table": lambda sources: render_sweep_table(sources, "mlp_batch_sweep.json"),
    "mlp-sweep-crossovers": lambda sources: render_crossovers(sources, "mlp_batch_sweep.json"),
    "crossovers": render_crossovers,
    "runs": lambda sources: str(len(sources.compare_runs())),
}
VALUES = {  # name: (function, how many arguments after the name)
    "faster": (render_faster, 2),
    "per-update": (lambda sources, a: render_cost(sources, "seconds_per_update", a), 1),
    "per-call": (lambda sources, a: render_cost(sources, "seconds_per_call", a), 1),
    "floor": (render_floor, 2),
    "mlp": (render_mlp, 2),
    "width-ratio": (render_width_ratio, 3),
}


def render_region(name, sources):
    if name in NAMED:
        return NAMED[name](sources)
    kind, *arguments = name.split(":")
    if kind == "gc":
        return render_gradient_cost(sources, *arguments)
    if kind == "anatomy":
        return render_anatomy(sources, *arguments)
    if kind not in VALUES or len(arguments) != VALUES[kind][1]:
        raise RenderError(f"unknown region {name!r} (see fitways/readme.py for the names)")
    return VALUES[kind][0](sources, *arguments)


def render(text, docs):
    """README text with every region re-rendered; RenderError for a region that cannot be."""
    sources = Sources(docs)
    begins = len(re.findall(r"<!-- fitways:begin ", text))
    if begins != len(REGION.findall(text)):
        raise RenderError("a fitways:begin marker has no matching fitways:end")

    def fill(match):
        name = match["name"]
        return f"<!-- fitways:begin {name} -->{render_region(name, sources)}<!-- fitways:end {name} -->"

    return REGION.sub(fill, text)


def differences(text, rendered):
    """The names of the regions whose text differs between README.md and what the renderer makes."""
    ours = {m["name"]: m["body"] for m in REGION.finditer(rendered)}
    return [m["name"] for m in REGION.finditer(text) if ours.get(m["name"]) != m["body"]]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m fitways.readme", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 where README.md differs")
    parser.add_argument("--readme", default=os.path.join(ROOT, "README.md"))
    parser.add_argument("--docs", default=os.path.join(ROOT, "docs"))
    args = parser.parse_args(argv)
    try:
        with open(args.readme) as file:
            text = file.read()
        rendered = render(text, args.docs)
    except (OSError, RenderError) as error:
        print(f"error: {getattr(error, 'strerror', None) or error}", file=sys.stderr)
        return 2
    if args.check:
        stale = differences(text, rendered)
        for name in stale:
            print(f"{args.readme}: region {name} differs from what docs/ renders (python -m fitways.readme)")
        return 1 if stale else 0
    if rendered != text:
        with open(args.readme, "w") as file:
            file.write(rendered)
    return 0


if __name__ == "__main__":
    sys.exit(main())
