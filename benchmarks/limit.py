"""The physical limit: the least time one update can take on this machine, and each way's multiple of it.

    python -m benchmarks.limit     docs/limit.json, docs/roofline_line.png and docs/roofline_mlp.png, from
                                   docs/machine.json (benchmarks/machine.py) and the committed sweeps
    python -m benchmarks.limit --here numba_loop --here jax_loop --here tf_xla
                                   first times those trainers on this machine (docs/limit_here.json), so
                                   that some times and the bound come from the same machine

The model, per update, from the counts below and the rates benchmarks/machine.py measured:

    bound = max(bytes / bandwidth(level),  multiply-adds / FMA rate,  tanh count / tanh rate,  chain)

Each term alone is a time the update cannot beat, so the largest is a lower bound and names the resource
that sets it. Each rate is the best of its repeats (other work on the machine only slows a repeat down). level: the cache level that holds the whole data set (x and y, 8 bytes a sample), since a
pass reads every batch once before it comes round again. chain: the next update needs this one's
parameters, so its sums cannot start early: the measured latency of a dependent sum over B (and, for
the network, over H) plus one dependent multiply-add per step between them. Anything left out (loop
control, tanh's own latency) only lowers the bound. Counts per update of a batch of B samples:

    line     bytes 8B; multiply-adds 4B + 2 (r = W·x + b − y: 2, Σ r·x: 1, Σ r: 1; W and b: 2); tanh 0;
             chain: a sum over B, then 1 multiply-add (W − lr·dW)
    network  bytes 8B, and the 3H + 1 parameters read and written (8(3H + 1), at their own level);
             multiply-adds 8BH + 2B + 3H + 1 (per sample and unit: W1·x + b1, w2·a, Σ r·a, r·w2, 1 − a²,
             δ, Σ δ·x, Σ δ); tanh BH; chain: a sum over H, then over B, and 3 multiply-adds
"""

import dataclasses
import json
import os
import sys

from benchmarks import render  # its micros and ratio: one number format across the docs

LEVELS = ("L1", "L2", "L3", "memory")
BYTES_PER_SAMPLE = 8  # x and y, float32
BENCHMARK_SAMPLES = 2**20  # benchmarks/bench_trainers.py's SAMPLES (its report does not say; a test checks)
WIDTH_SWEEP_SAMPLES = 2**16  # benchmarks/sweep_width.py's SAMPLES (the same)
MLP_BATCH_SWEEP_HIDDEN = 64  # docs/mlp_batch_sweep.json was run with --hidden 64 (the README's command)
NEAR = 2.0  # "within 2× of the bound"
SOURCES = {  # section: (file, what it holds)
    "line": ("batch_sweep.json", "the line along batch size (benchmarks/sweep_batch_size.py)"),
    "benchmarks": ("benchmarks.json", "the line at the benchmarked batch sizes (pytest --benchmark-only)"),
    "mlp_width": ("width_sweep.json", "the network along width H (benchmarks/sweep_width.py)"),
    "mlp_batch": ("mlp_batch_sweep.json", "the network along batch size at H = 64 (sweep_batch_size.py --problem mlp)"),
    "here": ("limit_here.json", "the line timed on the machine of the bound (benchmarks/limit.py --here)"),
}
HERE_BATCH_SIZES = (16, 64, 256, 1024, 4096)
HERE_REPEAT, HERE_SECONDS = 5, 0.06
VARIANTS = {  # numba_loop's update, pared down one step at a time: where its time above the bound goes
    "inlined": "numba_loop's sums (float64, divided by n) inlined into the loop: no call, no huber or log branches",
    "no division": "the same, multiplied by 2/n instead of divided by n",
    "float32 sums": "the same, summed in float32 (no conversions; numba_loop keeps float64 for accuracy)",
}


@dataclasses.dataclass(frozen=True)
class Counts:
    """What one update must do: bytes of data (at the data's level) and of parameters (at theirs),
    multiply-adds, tanh evaluations, and its dependent chain: sums over these sizes, then chain_fmas
    dependent multiply-adds."""

    data_bytes: int
    parameter_bytes: int
    fma: int
    tanh: int
    chain_sums: tuple
    chain_fmas: int


def line_counts(batch_size):
    return Counts(BYTES_PER_SAMPLE * batch_size, 0, 4 * batch_size + 2, 0, (batch_size,), 1)


def mlp_counts(batch_size, hidden):
    B, H = batch_size, hidden
    return Counts(BYTES_PER_SAMPLE * B, 2 * 4 * (3 * H + 1), 8 * B * H + 2 * B + 3 * H + 1, B * H, (H, B), 3)


def level_of(size, caches):
    """The smallest cache level that holds `size` bytes ({"L1": bytes, ...}), or "memory"."""
    for level in LEVELS[:-1]:
        if level in caches and size <= caches[level]:
            return level
    return "memory"


def bandwidth(machine, level):
    """Bytes per second read at `level` (the best repeat); a level the machine file did not measure is an error."""
    try:
        return machine["levels"][level]["bytes_per_second"]["max"]
    except KeyError:
        raise ValueError(
            f"the machine file measured no bandwidth for {level} (run benchmarks/machine.py in full)"
        ) from None


def sum_latency(machine, n):
    """Seconds of a dependent sum over n numbers: the best repeat at the largest size measured ≤ n, 0 below the
    smallest (too few to count; the bound stays a lower bound)."""
    below = [point for point in machine["sum_latency"] if point["n"] <= n]
    return max(below, key=lambda point: point["n"])["seconds"]["min"] if below else 0.0


def bound(counts, machine, samples):
    """{"seconds", "resource", "terms", "level", "parameter_level"} of one update; samples fixes the data's level."""
    caches = machine["caches"]
    level = level_of(BYTES_PER_SAMPLE * samples, caches)
    parameter_level = level_of(counts.parameter_bytes // 2, caches)  # each parameter read once, written once
    memory = counts.data_bytes / bandwidth(machine, level)
    if counts.parameter_bytes:
        memory += counts.parameter_bytes / bandwidth(machine, parameter_level)
    terms = {
        "memory": memory,
        "arithmetic": counts.fma / machine["fma_per_second"]["max"],
        "tanh": counts.tanh / machine["tanh_per_second"]["max"],
        "latency": sum(sum_latency(machine, n) for n in counts.chain_sums)
        + counts.chain_fmas * machine["fma_latency_seconds"]["min"],
    }
    resource = max(terms, key=terms.get)
    return {"seconds": terms[resource], "resource": resource, "terms": terms, "level": level,
            "parameter_level": parameter_level if counts.parameter_bytes else None}  # fmt: skip


def times(section, document):
    """{trainer: {axis value: seconds per update}} of one source document (its cpu beside it)."""
    if section == "benchmarks":
        lines = {}
        for bench in document["benchmarks"]:
            info = bench["extra_info"]
            if info["device"] != "cpu" or info.get("replicas", 1) != 1:
                continue
            seconds = info.get("seconds_per_update", bench["stats"]["median"])
            lines.setdefault(info["trainer"], {})[info["batch_size"]] = (
                seconds if seconds > 0 else bench["stats"]["median"]
            )
        return lines
    if section == "mlp_width":
        return {who.removesuffix(" on cpu"): {width: s for width, s, _ in line}
                for who, line in document["points"].items() if who.endswith(" on cpu")}  # fmt: skip
    lines = {}
    for point in document["points"]:
        if point["device"] == "cpu" and point["seconds_per_update"] > 0:
            lines.setdefault(point["trainer"], {})[point["batch_size"]] = point["seconds_per_update"]
    return lines


def source_cpu(section, document):
    if section == "benchmarks":
        return next((b["extra_info"]["cpu"] for b in document["benchmarks"] if "cpu" in b["extra_info"]), None)
    return document.get("machine", {}).get("cpu")


def setups(section, document):
    """(samples, {axis value: Counts}) of one source's setups."""
    lines = times(section, document)
    values = sorted({value for line in lines.values() for value in line})
    if section == "benchmarks":
        return BENCHMARK_SAMPLES, {B: line_counts(B) for B in values}
    if section in ("line", "here"):
        return document["samples"], {B: line_counts(B) for B in values}
    if section == "mlp_width":
        return WIDTH_SWEEP_SAMPLES, {H: mlp_counts(document["batch_size"], H) for H in values}
    return document["samples"], {B: mlp_counts(B, MLP_BATCH_SWEEP_HIDDEN) for B in values}


def section_document(section, document, machine, file):
    """One source against the bound: where it came from, and per axis value the counts, the bound and
    every trainer's time and multiple of it."""
    samples, counted = setups(section, document)
    lines = times(section, document)
    cpu = source_cpu(section, document)
    points = []
    for value, counts in counted.items():
        limit = bound(counts, machine, samples)
        trainers = {name: {"seconds": line[value], "times_limit": line[value] / limit["seconds"]}
                    for name, line in lines.items() if value in line}  # fmt: skip
        points.append({"value": value, "counts": dataclasses.asdict(counts), **limit, "trainers": trainers})
    part = {"file": file, "holds": SOURCES[section][1], "cpu": cpu, "same_machine": cpu == machine["machine"]["cpu"],
            "samples": samples, "axis": "hidden" if section == "mlp_width" else "batch_size",
            "points": points}  # fmt: skip
    if document.get("variants"):  # --here's pared-down numba_loops, against the same bound
        bounds = {point["value"]: point["seconds"] for point in points}
        part["variants"] = [
            {**row, "times_limit": row["seconds"]["min"] / bounds[row["batch_size"]]}
            for row in document["variants"]
            if row["batch_size"] in bounds
        ]
        part["variants_are"] = document["variants_are"]
    if document.get("xla_tanh_per_second"):
        part["xla_tanh_per_second"] = document["xla_tanh_per_second"]
    return part


def limit_document(machine, sources, machine_file="docs/machine.json"):
    """docs/limit.json: the bound, its inputs, and each source's trainers against it. sources:
    {section: (file, document)}, any of SOURCES."""
    rates = {  # the best repeat of each: what bound() uses
        "bandwidth_bytes_per_second": {level: bandwidth(machine, level) for level in machine["levels"]},
        "fma_latency_seconds": machine["fma_latency_seconds"]["min"],
        "sum_latency_seconds": {str(point["n"]): point["seconds"]["min"] for point in machine["sum_latency"]},
        "fma_per_second": machine["fma_per_second"]["max"],
        "tanh_per_second": machine["tanh_per_second"]["max"],
    }
    return {
        "command": "python -m benchmarks.limit",
        "model": "bound = max(bytes / bandwidth(level), multiply-adds / FMA rate, tanh / tanh rate, dependent chain)",
        "machine": {
            "file": machine_file,
            "cpu": machine["machine"]["cpu"],
            "when": machine["when"],
            "caches": machine["caches"],
        },  # fmt: skip
        "rates": rates,
        **{
            section: section_document(section, document, machine, file) for section, (file, document) in sources.items()
        },
    }


def best(point):
    """(trainer, multiple) of the fastest trainer at one point."""
    name = min(point["trainers"], key=lambda n: point["trainers"][n]["seconds"])
    return name, point["trainers"][name]["times_limit"]


def resource_spans(part):
    """"latency at batch 16 to 64, memory at batch 256 to 4,096": which resource sets the bound where."""
    axis = "H" if part["axis"] == "hidden" else "batch"
    runs = []
    for point in part["points"]:
        if runs and runs[-1][0] == point["resource"]:
            runs[-1][1].append(point["value"])
        else:
            runs.append((point["resource"], [point["value"]]))
    return ", ".join(f"{resource} at {axis} {values[0]:,}" + (f" to {values[-1]:,}" if len(values) > 1 else "")
                     for resource, values in runs)  # fmt: skip


def fastest_by_framework(section):
    """{framework: (trainer, axis value, multiple)}: the smallest multiple of the bound each framework's
    trainers reach anywhere along the section."""
    from fitways.problems import PROBLEMS
    from fitways.registry import framework_of

    problem = PROBLEMS["line" if section["points"][0]["counts"]["tanh"] == 0 else "mlp"]
    closest = {}
    for point in section["points"]:
        for name, cell in point["trainers"].items():
            entry = problem.trainers.get(name)
            framework = framework_of(entry).name if entry else "unknown"
            if framework not in closest or cell["times_limit"] < closest[framework][2]:
                closest[framework] = (name, point["value"], cell["times_limit"])
    return closest


# --- Markdown for docs/07-the-physical-limit.md (whole tables and paragraphs, rendered by cog) ---


def nanos(seconds):
    value = seconds * 1e9
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def with_range(figure, scale, show):
    return f"{show(figure['median'] * scale)} ({show(figure['min'] * scale)}–{show(figure['max'] * scale)})"


def markdown_machine(machine):
    """The measured rates: median and range over the repeats, the machine and the load it ran under."""
    g = lambda value: f"{value:.3g}"  # noqa: E731
    rows = ["| what | median (range) | unit |", "|---|---|---|"]
    for level, point in machine["levels"].items():
        rows.append(f"| read bandwidth, {level} ({point['bytes'] // 1024:,} KiB working set) | "
                    f"{with_range(point['bytes_per_second'], 1e-9, g)} | GB/s |")  # fmt: skip
    rows.append(f"| dependent multiply-add (FMA) latency | {with_range(machine['fma_latency_seconds'], 1e9, g)} | ns |")
    for point in machine["sum_latency"]:
        rows.append(f"| dependent sum over {point['n']:,} numbers | {with_range(point['seconds'], 1e9, g)} | ns |")
    rows.append(
        f"| multiply-add throughput (vectorised) | {with_range(machine['fma_per_second'], 1e-9, g)} | G FMA/s |"
    )
    rows.append(f"| tanh rate (numpy's vectorised tanh) | {with_range(machine['tanh_per_second'], 1e-9, g)} | G/s |")
    rows.append(f"| tanh rate (numba's np.tanh: scalar libm) | {with_range(machine['tanh_per_second_numba'], 1e-9, g)} "
                "| G/s |")  # fmt: skip
    caches = ", ".join(f"{level} {size // 1024:,} KiB" for level, size in machine["caches"].items())
    load = machine["load_average"]
    rows += ["", f"{machine['machine']['cpu']}; caches per core: {caches}; measured {machine['when']} by "
             f"`{machine['command']}`, {machine['repeat']} repeats each; load average {load['before']:.1f} before, "
             f"{load['after']:.1f} after."]  # fmt: skip
    return "\n" + "\n".join(rows) + "\n"


def markdown_bound(limit, section="line"):
    """The bound per axis value: the counts, each term, the bound and the resource that sets it."""
    part = limit[section]
    axis = "H" if part["axis"] == "hidden" else "batch"
    rows = [f"| {axis} | data in | bytes | multiply-adds | tanh | memory µs | arithmetic µs | tanh µs | chain µs "
            "| bound µs | set by |", "|---" * 11 + "|"]  # fmt: skip
    for point in part["points"]:
        counts, terms = point["counts"], point["terms"]
        cells = [f"{point['value']:,}", point["level"], f"{counts['data_bytes'] + counts['parameter_bytes']:,}",
                 f"{counts['fma']:,}", f"{counts['tanh']:,}",
                 *(render.micros(terms[key]) if terms[key] else "0" for key in ("memory", "arithmetic", "tanh", "latency")),  # 0: no such work
                 f"**{render.micros(point['seconds'])}**", point["resource"]]  # fmt: skip
        rows.append("| " + " | ".join(cells) + " |")
    return "\n" + "\n".join(rows) + "\n"


def markdown_against(limit, section="line", floor="numba_loop"):
    """Each trainer's µs per update as a multiple of the bound (× limit) and, in brackets, of numba_loop's (× floor)."""
    part = limit[section]
    names = list(dict.fromkeys(name for point in part["points"] for name in point["trainers"]))
    axis = "H" if part["axis"] == "hidden" else "batch"
    rows = [f"| {axis} | bound µs | " + " | ".join(names) + " |", "|---" * (len(names) + 2) + "|"]
    for point in part["points"]:
        cells = []
        for name in names:
            cell = point["trainers"].get(name)
            base = point["trainers"].get(floor)
            if cell is None:
                cells.append("—")
                continue
            shown = f"{render.ratio(cell['times_limit'])}"
            cells.append(shown + (f" ({render.ratio(cell['seconds'] / base['seconds'])})" if base else ""))
        rows.append(f"| {point['value']:,} | {render.micros(point['seconds'])} | " + " | ".join(cells) + " |")
    floor_note = (
        f" (in brackets: × floor, over {floor}'s)" if any(floor in p["trainers"] for p in part["points"]) else ""
    )
    rows += ["", f"× limit: µs per update over the bound{floor_note}; times from docs/{part['file']} ({part['cpu']})."]
    return "\n" + "\n".join(rows) + "\n"


def markdown_variants(limit):
    """numba_loop and its pared-down variants on the machine of the bound: best repeat in ns, and × limit."""
    part = limit["here"]
    names = list(dict.fromkeys(row["variant"] for row in part["variants"]))
    sizes = list(dict.fromkeys(row["batch_size"] for row in part["variants"]))
    bounds = {point["value"]: point["seconds"] for point in part["points"]}
    cells = {(row["variant"], row["batch_size"]): row for row in part["variants"]}
    rows = ["| batch | bound ns | " + " | ".join(names) + " |", "|---" * (len(names) + 2) + "|"]
    for size in sizes:
        shown = [f"{nanos(cells[name, size]['seconds']['min'])} ({render.ratio(cells[name, size]['times_limit'])})"
                 if (name, size) in cells else "—" for name in names]  # fmt: skip
        rows.append(f"| {size:,} | {nanos(bounds[size])} | " + " | ".join(shown) + " |")
    rows += [""] + [f"- {name}: {what}" for name, what in part["variants_are"].items()]
    return "\n" + "\n".join(rows) + "\n"


def markdown_worked(limit, section="benchmarks", value=16):
    """The bound at one point worked by hand, as a paragraph: each term from its count and its rate."""
    part, rates = limit[section], limit["rates"]
    point = next(p for p in part["points"] if p["value"] == value)
    counts, terms = point["counts"], point["terms"]
    measured = {int(n): seconds for n, seconds in rates["sum_latency_seconds"].items()}

    def chain_sum(n):  # sum_latency()'s rule, on the rates as limit.json keeps them
        below = [size for size in measured if size <= n]
        return f"a dependent sum over {n:,} ({nanos(measured[max(below)]) if below else 0} ns, measured at {max(below, default=0):,})"

    sums = " + ".join(chain_sum(n) for n in counts["chain_sums"])
    fmas = f"{counts['chain_fmas']} multiply-add" + ("s" if counts["chain_fmas"] > 1 else "")
    data_mib = part["samples"] * BYTES_PER_SAMPLE / 2**20
    return (
        f"Batch {value:,}, {part['samples']:,} samples ({data_mib:g} MiB of x and y, so the data lives in {point['level']}). "
        f"Memory: {counts['data_bytes']:,} bytes ÷ {rates['bandwidth_bytes_per_second'][point['level']] / 1e9:.3g} GB/s "
        f"= {nanos(terms['memory'])} ns. Arithmetic: {counts['fma']:,} multiply-adds ÷ "
        f"{rates['fma_per_second'] / 1e9:.3g} G/s = {nanos(terms['arithmetic'])} ns. Chain: {sums} + "
        f"{fmas} ({nanos(rates['fma_latency_seconds'])} ns each) = {nanos(terms['latency'])} ns. "
        f"The largest term, {point['resource']}, is the bound: {nanos(point['seconds'])} ns per update."
    )


def markdown_benchmarks(report, limit):
    """The benchmark summary (benchmarks.benchmark_table) with its × limit columns."""
    from benchmarks.benchmark_table import summarize

    return "\n" + summarize(report, limit) + "\n"


def markdown_tanh(limit, section="mlp_width"):
    """XLA's tanh rate against the bound's (numpy's), and what the network's tanh term would be at XLA's."""
    xla = limit["here"]["xla_tanh_per_second"]
    best_rate = limit["rates"]["tanh_per_second"]
    last = limit[section]["points"][-1]
    at_xla = last["counts"]["tanh"] / xla["max"]
    return (
        f"On the machine of the bound, XLA's compiled tanh (jax.jit) runs at {xla['median'] / 1e9:.3g} G/s "
        f"(best {xla['max'] / 1e9:.3g}), numpy's vectorised tanh at {best_rate / 1e9:.3g} G/s (best): "
        f"{render.ratio(best_rate / xla['max'])} slower. At H {last['value']:,}, the {last['counts']['tanh']:,} tanh of one "
        f"update alone take {render.micros(at_xla)} µs at XLA's rate, {render.ratio(at_xla / last['seconds'])} the bound."
    )


def markdown_provenance(limit):
    """Where the times and the bound came from, and whether it is one machine."""
    here = limit["machine"]["cpu"]
    said = []
    for section in SOURCES:
        if section in limit:
            part = limit[section]
            said.append(
                f"docs/{part['file']} on {part['cpu']}" + ("" if part["same_machine"] else " (another machine)")
            )
    text = (
        f"The bound was measured on {here} ({limit['machine']['when']}); the trainers' times come from "
        + "; ".join(said)
        + "."
    )
    if not all(limit[s]["same_machine"] for s in SOURCES if s in limit):
        text += (" Where the machines differ, a multiple of the bound is only indicative: the bound is this "
                 "machine's, the time another's. Re-run the sweeps and benchmarks here (or the machine "
                 "measurement there) before quoting one as a fact.")  # fmt: skip
    return text


def markdown_closest(limit, sections=("line", "here", "mlp_width")):
    """Which resource sets the bound at the ends of each axis, and how close each framework's fastest way gets."""
    text = []
    for section in sections:
        if section not in limit:
            continue
        part = limit[section]
        first, last = part["points"][0], part["points"][-1]
        axis = "H" if part["axis"] == "hidden" else "batch"
        closest = fastest_by_framework(part)
        ways = ", ".join(f"{framework}: {name} at {axis} {value:,}, {render.ratio(multiple)}"
                         for framework, (name, value, multiple) in sorted(closest.items(), key=lambda f: f[1][2]))  # fmt: skip
        near = [f"{name} at {axis} {point['value']:,} ({render.ratio(cell['times_limit'])})"
                for point in part["points"] for name, cell in point["trainers"].items()
                if cell["times_limit"] <= NEAR]  # fmt: skip
        far = [f"{axis} {point['value']:,} ({best(point)[0]}, {render.ratio(best(point)[1])})"
               for point in part["points"] if best(point)[1] > NEAR]  # fmt: skip
        text.append(
            f"{SOURCES[section][1][0].upper() + SOURCES[section][1][1:]}: the bound is set by {resource_spans(part)}; "
            f"it is {render.micros(first['seconds'])} µs at {axis} {first['value']:,} and {render.micros(last['seconds'])} µs at "
            f"{axis} {last['value']:,} (data in {last['level']}). Closest way of each framework: {ways}. "
            f"Within {NEAR:.0f}× of the bound: {'; '.join(near) if near else 'none'}. The best way is more than "
            f"{NEAR:.0f}× above it at " + ("; ".join(far) if far else "no point") + "."
        )
    return "\n\n".join(text)


# --- The roofline pictures ---


def plot_roofline(path, part, title, xlabel, here=None):
    """µs per update against the axis: the bound as a line, each term dotted, every trainer as points
    (filled); trainers timed on the machine of the bound (here), as open points of the same colour."""
    from fitways.plots import plt, save  # matplotlib on Agg: no display needed

    values = [point["value"] for point in part["points"]]
    figure, axes = plt.subplots(figsize=(9.5, 6), layout="constrained")
    axes.plot(
        values, [p["seconds"] * 1e6 for p in part["points"]], "k-", linewidth=3, label="the bound (max of the terms)"
    )
    for index, term in enumerate(("memory", "arithmetic", "tanh", "latency")):
        line = [p["terms"][term] * 1e6 for p in part["points"]]
        if any(line):
            axes.plot(values, line, linestyle=":", color=f"C{index}", label=f"term: {term}")
    names = list(dict.fromkeys(name for point in part["points"] for name in point["trainers"]))
    for index, name in enumerate(names):
        shown = [(p["value"], p["trainers"][name]["seconds"] * 1e6) for p in part["points"] if name in p["trainers"]]
        style = {"marker": "os^Dv<>"[index % 7], "linestyle": "none", "color": plt.cm.tab10(index % 10)}
        axes.plot(*zip(*shown), label=name, **style)
        mine = [(p["value"], p["trainers"][name]["seconds"] * 1e6) for p in (here or {"points": []})["points"]
                if name in p["trainers"]]  # fmt: skip
        if mine:
            axes.plot(*zip(*mine), markerfacecolor="none", markersize=10, label=f"{name}, on the bound's machine", **style)
    axes.set(xscale="log", yscale="log", xlabel=xlabel, ylabel="µs per update", title=title)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    save(figure, path)


def measure_here(names, sizes):
    """The line's trainers timed on this machine, in the batch sweep's format (benchmarks.sweep.measured_point),
    with the benchmarks' sample count."""
    from benchmarks.sweep import measured_point
    from fitways.frameworks import load as load_frameworks
    from fitways.frameworks import machine_description
    from fitways.output import warn
    from fitways.problems import PROBLEMS

    line = PROBLEMS["line"]
    load_frameworks(line.trainers[name].framework for name in names)
    points = []
    for name in names:
        for size in sizes:
            setup = {"samples": BENCHMARK_SAMPLES, "batch_size": size}
            measurement, ok = measured_point(line, name, "cpu", setup, HERE_REPEAT, HERE_SECONDS)
            points.append({"trainer": name, "device": "cpu", "batch_size": size, "converged": ok,
                           "seconds_per_update": measurement.seconds_per_update,
                           "spread": {key: list(pair) for key, pair in measurement.spread.items()}})  # fmt: skip
            warn(f"{name} at batch {size}: {measurement.seconds_per_update * 1e9:.1f} ns per update")
    frameworks = sorted({line.trainers[name].framework for name in names})
    variants = measure_variants(sizes) if "numba_loop" in names else []
    xla_tanh = measure_xla_tanh() if "jax" in frameworks else None
    return {"command": "python -m benchmarks.limit " + " ".join(f"--here {name}" for name in names),
            "samples": BENCHMARK_SAMPLES, "repeat": HERE_REPEAT, "machine": machine_description(frameworks),
            "points": points, "variants": variants, "variants_are": VARIANTS,
            "xla_tanh_per_second": xla_tanh, "load_average_after": os.getloadavg()[0]}  # fmt: skip


def variant_loop():
    """numba_loop's training loop with its gradient inlined, in VARIANTS' three forms (kind 0, 1, 2)."""
    import numba
    import numpy as np

    from impls.numba_loop import FAST

    @numba.njit(fastmath=FAST)
    def train(W, b, x, y, lr, updates, size, kind):
        scale = 2.0 / size
        for update in range(updates):
            start = (update % (len(x) // size)) * size
            xs, ys = x[start : start + size], y[start : start + size]
            if kind == 2:
                sum_x32 = sum32 = np.float32(0)
                for i in range(size):
                    r = W * xs[i] + b - ys[i]
                    sum_x32 += r * xs[i]
                    sum32 += r
                dW, db = np.float32(scale) * sum_x32, np.float32(scale) * sum32
            else:
                sum_x = total = 0.0
                for i in range(size):
                    r = W * xs[i] + b - ys[i]
                    sum_x += r * np.float64(xs[i])
                    total += r
                if kind == 0:
                    dW, db = np.float32(2.0 * sum_x / size), np.float32(2.0 * total / size)
                else:
                    dW, db = np.float32(scale * sum_x), np.float32(scale * total)
            W = W - lr * dW
            b = b - lr * db
        return W, b

    return train


def measure_variants(sizes, updates=2**25):
    """[{"variant", "batch_size", "seconds": spread}] of VARIANTS, and numba_loop itself, on the benchmarks'
    data: best and median of HERE_REPEAT runs of about `updates` × batch samples' work."""
    import time

    import numpy as np

    from benchmarks.machine import spread
    from impls import numba_loop
    from impls.problem import Config, make_data

    train = variant_loop()
    rows = []
    for size in sizes:
        config = Config(samples=BENCHMARK_SAMPLES, batch_size=size, updates=min(10**6, max(1000, updates // size)))
        trainer = numba_loop.Trainer(config, make_data(config))
        arguments = (np.float32(0), np.float32(0), trainer.x, trainer.y, trainer.lr, config.updates, size)
        runs = {"numba_loop": trainer.train}
        for kind, name in enumerate(VARIANTS):
            runs[name] = lambda kind=kind, arguments=arguments: train(*arguments, kind)
        for name, run in runs.items():
            run()  # compilation
            seconds = []
            for _ in range(HERE_REPEAT):
                start = time.perf_counter()
                run()
                seconds.append((time.perf_counter() - start) / config.updates)
            rows.append({"variant": name, "batch_size": size, "seconds": spread(seconds)})
    return rows


def measure_xla_tanh(elements=2**16, steps=100):
    """tanh per second as XLA compiles it for this CPU (jax.jit, a loop of `steps` tanh over `elements`
    float32 numbers): the tanh jax_loop and tf_xla's network runs, against numpy's in the bound."""
    import time

    import jax
    import jax.numpy as jnp
    import numpy as np

    from benchmarks.machine import spread

    x = jax.device_put(np.random.default_rng(0).uniform(-3, 3, elements).astype(np.float32))
    run = jax.jit(lambda a: jax.lax.fori_loop(0, steps, lambda i, a: jnp.tanh(a) * 2.5, a))  # 2.5: stay in (−3, 3)
    run(x).block_until_ready()  # compilation
    rates = []
    for _ in range(HERE_REPEAT):
        start = time.perf_counter()
        run(x).block_until_ready()
        rates.append(elements * steps / (time.perf_counter() - start))
    return spread(rates)


def read_json(path):
    with open(path) as file:
        return json.load(file)


def main(argv=None):
    from benchmarks import docstring
    from fitways.cli import Parser, UsageError
    from fitways.output import prepare_terminal, warn
    from fitways.report import write_json

    prepare_terminal()
    parser = Parser(description=docstring(__file__).split("\n\n")[0])
    parser.add_argument("--docs", default="docs", help="folder with machine.json and the sweeps; outputs go there too")
    parser.add_argument("--here", action="append", metavar="TRAINER", default=[],
                        help="time this line trainer on this machine first (repeatable): docs/limit_here.json")  # fmt: skip
    args = parser.parse_args(argv)
    try:
        from fitways.cli import choose_trainers
        from fitways.problems import PROBLEMS

        if args.here:
            choose_trainers(PROBLEMS["line"], args.here, option="--here")
        machine = read_json(os.path.join(args.docs, "machine.json"))
        sources = {section: (file, read_json(os.path.join(args.docs, file))) for section, (file, _) in SOURCES.items()
                   if os.path.exists(os.path.join(args.docs, file))}  # fmt: skip
        if "line" not in sources or "mlp_width" not in sources:
            raise UsageError(f"{args.docs} needs batch_sweep.json and width_sweep.json")
        document = limit_document(machine, sources, os.path.join(args.docs, "machine.json"))
    except UsageError as error:
        parser.error(str(error))
    except (OSError, ValueError, KeyError) as error:
        parser.error(f"cannot compute the bound: {getattr(error, 'strerror', None) or error}")
    if args.here:
        here = measure_here(args.here, HERE_BATCH_SIZES)
        write_json(os.path.join(args.docs, SOURCES["here"][0]), here)
        sources["here"] = (SOURCES["here"][0], here)
        document = limit_document(machine, sources, os.path.join(args.docs, "machine.json"))
    write_json(os.path.join(args.docs, "limit.json"), document)
    bound_on, line, width = document["machine"]["cpu"], document["line"], document["mlp_width"]
    plot_roofline(os.path.join(args.docs, "roofline_line.png"), line,
                  f"The line against the limit (bound: {bound_on})\npoints: docs/{line['file']} ({line['cpu']})",
                  "batch size (samples per update)", document.get("here"))  # fmt: skip
    batch = width["points"][0]["counts"]["data_bytes"] // BYTES_PER_SAMPLE
    plot_roofline(os.path.join(args.docs, "roofline_mlp.png"), width,
                  f"The network at batch {batch} against the limit (bound: {bound_on})\n"
                  f"points: docs/{width['file']} ({width['cpu']})", "hidden units H")  # fmt: skip
    print(markdown_provenance(document))
    print(markdown_closest(document))
    warn(f"wrote {args.docs}/limit.json, roofline_line.png, roofline_mlp.png")
    return 0


if __name__ == "__main__":
    from fitways.signals import run_command

    sys.exit(run_command(main))
