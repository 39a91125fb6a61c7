"""What compare.py shows: one row per run, the table, and the same rows as strict JSON."""

import json
import math
import textwrap

import numpy as np

from fitways.checks import TOLERANCE, distance, diverging, finite_or_none, verdict
from fitways.output import write_atomically


def result_row(problem, config, data, reference, run, measurement):
    """One row of the table and the JSON; run is (trainer, device). Every final parameter is in it by
    name, so that anyone can recompute the loss and the verdict from the JSON."""
    trajectory = measurement.trajectory
    params = problem.named(config, measurement.final)
    diverged = trajectory.diverged_at is not None or diverging(problem, config, None, params.values())
    loss = finite_or_none(problem.loss(config, params, *problem.trained(config, data)))
    converged, why_not = (False, None) if diverged else verdict(reference, params, math.inf if loss is None else loss)
    truth = problem.truth(config)
    row = {
        "trainer": run[0],
        "device": run[1],
        "placed_on": measurement.placed_on,
        "parameters": None if diverged else {name: value.tolist() for name, value in params.items()},
        "loss": None if diverged else loss,
        "distance_to_reference": None
        if diverged or reference.parameters is None
        else finite_or_none(distance(params, reference.parameters)),
    }
    if truth is not None:
        row["distance_to_true_line"] = None if diverged else finite_or_none(distance(params, truth))
    return {
        **row,
        "converged": converged,
        "why_not": why_not,
        "diverged_at": trajectory.diverged_at,
        "divergence": trajectory.divergence or ("diverged" if diverged else None),
        "first_call_extra_seconds": measurement.first_call_extra_seconds,
        "seconds_per_call": measurement.seconds_per_call,
        "seconds_per_update": measurement.seconds_per_update,
        "spread": {key: list(low_high) for key, low_high in measurement.spread.items()},
        "logging_seconds_per_update": measurement.logging_seconds_per_update,
        "updates": trajectory.updates_run if trajectory.diverged_at else measurement.updates,
        "run_seconds": [{"updates": n, "seconds": seconds} for n, seconds in measurement.run_seconds.items()],
    }


def failed_row(run, error):
    """A trainer that raised: its row says why, and the others still run."""
    return {"trainer": run[0], "device": run[1], "placed_on": run[1], "converged": False, "error": error}


def add_speedups(rows, baseline):
    """speedup: the baseline's time per update over this row's, on the same device in the same run;
    None where either fitted cost is not above zero (noise swamped it: there is no ratio to give)."""
    timed = [row for row in rows if row.get("seconds_per_update", 0) > 0]
    for row in rows:
        base = next((r for r in timed if r["trainer"] == baseline and r["device"] == row["device"]), None)
        row["speedup"] = base["seconds_per_update"] / row["seconds_per_update"] if base and row in timed else None


def fmt(value, spec):
    """A number as `spec`; a short vector as [a, b, c]; a longer one by its size (the JSON has every number)."""
    if value is None:
        return "—"
    if isinstance(value, list):
        flat = np.ravel(value).tolist()
        return f"[{', '.join(format(n, spec) for n in flat)}]" if len(flat) <= 3 else f"({len(flat)} numbers)"
    return format(value, spec)


def ratio(value):
    """388×, 3.0×, 0.0031×: enough digits to tell a slow row from zero."""
    if value is None:
        return "—"
    if value >= 10:
        return f"{value:,.0f}×"
    return f"{value:.1f}×" if value >= 1 else f"{value:.2f}×" if value >= 0.1 else f"{value:.2g}×"


def micros(seconds):
    """A table cell in µs, the unit in its header: 8.38, 4709.2."""
    return "—" if seconds is None else f"{seconds * 1e6:.3g}" if seconds < 1e-4 else f"{seconds * 1e6:.1f}"


def micros_with_unit(value):
    """µs with the unit, for a label or a summary: "1,234 µs", "3.45 µs"; value in µs."""
    return f"{value:,.0f} µs" if value >= 100 else f"{value:.3g} µs"


def log_cost(seconds):
    """What the log adds per update; a difference of two noisy medians, so below zero reads as ~0."""
    return "~0" if seconds is not None and seconds <= 0 else micros(seconds)


def with_range(row, key):
    """The fitted figure in µs and, after it, the range of the per-repeat fits: "3.89 (3.5–4.1)".
    A fitted intercept may fall below zero by noise where the true one is ~0: shown as ~0."""
    low, high = row["spread"][key]
    return f"{log_cost(row[key])} ({log_cost(low)}–{log_cost(high)})"


def status(row):
    if "error" in row:
        return "FAILED"
    if row["converged"]:
        return "yes"
    return f"no: {row['divergence'] or row['why_not']}" if row["divergence"] or row["why_not"] else "no"


def table_lines(problem, config, reference, rows, baseline):
    """The table as lists of cells: a header, then one line per row."""
    label = reference.label
    header = ["trainer", "device", *problem.shown, config.loss, f"|Δ {label}|"]
    header += ["|Δ true|"] if problem.truth(config) is not None else []
    header += ["converged", "first call s", "µs/call (range)", "µs/update (range)", "log µs", f"vs {baseline}"]
    lines = [header]
    for row in rows:
        if "error" in row:
            lines.append([row["trainer"], row["placed_on"], *["—"] * (len(header) - 2)])
            lines[-1][header.index("converged")] = "FAILED"
            continue
        parameters = row["parameters"] or {}
        line = [row["trainer"], row["placed_on"]]
        line += [fmt(parameters.get(name), ".5f") for name in problem.shown]
        line += [fmt(row["loss"], ".2e"), fmt(row["distance_to_reference"], ".1e")]
        line += [fmt(row["distance_to_true_line"], ".1e")] if "distance_to_true_line" in row else []
        line += [
            status(row),
            f"{row['first_call_extra_seconds']:.2f}",
            with_range(row, "seconds_per_call"),
            with_range(row, "seconds_per_update"),
            log_cost(row["logging_seconds_per_update"]),
            ratio(row["speedup"]),
        ]
        lines.append(line)
    return lines


WIDTH = 100  # the default table and its footer fit a terminal this wide; --wide prints every column


def compact(cell):
    """A time cell without its range, to 3 significant figures: "52637.5 (50379.7–57002.9)" → "52,600"."""
    value = cell.split(" (")[0]
    try:
        number = float(value)
    except ValueError:
        return value  # "~0", "—"
    return f"{float(f'{number:.3g}'):,.0f}" if number >= 100 else f"{number:.3g}"


def narrow(lines, loss):
    """The default table: the columns a newcomer reads, times without their ranges (--wide and the JSON
    have them), a "no: reason" verdict cut to "no" (the reason is printed below the table)."""
    header = lines[0]
    names = ("trainer", "device", loss, "converged", "first call s", "µs/call (range)", "µs/update (range)")
    keep = [header.index(name) for name in names] + [len(header) - 1]
    short = [[line[i] for i in keep] for line in lines]
    short[0] = ["trainer", "device", loss, "converged", "first s", "µs/call", "µs/update", "speed-up"]
    for line in short[1:]:
        line[3], line[5], line[6] = line[3].split(":")[0], compact(line[5]), compact(line[6])
    return short


def say(label, text, wide):
    """One footer line, "label:" in an 18-character margin, wrapped to WIDTH unless wide."""
    first = f"{label + ':':<18}"
    if wide:
        print(first + text)
        return
    for index, part in enumerate(text.split("\n")):
        margin = first if index == 0 else " " * 18
        print(textwrap.fill(part, WIDTH, initial_indent=margin, subsequent_indent=" " * 18, break_on_hyphens=False))


def print_table(problem, config, reference, rows, notes, baseline, wide=False):
    lines = table_lines(problem, config, reference, rows, baseline)
    lines = lines if wide else narrow(lines, config.loss)
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    for i, line in enumerate(lines):
        print("  ".join(cell.ljust(w) if j < 2 else cell.rjust(w) for j, (cell, w) in enumerate(zip(line, widths))))
        if i == 0:
            print("  ".join("-" * w for w in widths))
    print()
    for label, text in problem.describe(config, reference):
        say(label, text, wide)
    say("converged means", problem.converged_means(config, reference), wide)
    fit = "time of a run = per call + updates × per update, fitted to the median runs of two lengths"
    say("µs/call, /update", fit + ("; in brackets the range of that fit over the repeats" if wide else ""), wide)
    if not wide:
        say("first s", "what the first call cost beyond a steady one: tracing, compiling", wide)
        say("speed-up", f"{baseline}'s µs/update over this row's; --wide: every column and the ranges", wide)
    say("setup", problem.setup_line(config), wide)
    if rows and not any(r["trainer"] == baseline for r in rows):
        notes = [*notes, f"vs {baseline}: blank, {baseline} was not run (choose another with --baseline)"]
    if config.unused_samples:
        notes = [
            f"the last {config.unused_samples} samples of each pass fill no whole batch and are not used",
            *notes,
        ]
    for line in notes:
        say("note", line, wide)
    for row in rows:
        if "error" in row:
            say("failed", f"{row['trainer']} on {row['device']}: {row['error']}", wide)
        elif not wide and ":" in status(row):
            say("not converged", f"{row['trainer']} on {row['placed_on']}: {status(row).removeprefix('no: ')}", wide)
    failed = [f"{r['trainer']} on {r['placed_on']}" for r in rows if not r["converged"]]
    if not rows:
        say("verdict", "NOTHING RAN — every trainer asked for was skipped (see the notes above)", wide)
    elif failed:
        say("verdict", f"NOT CONVERGED — {', '.join(failed)}", wide)
    else:
        say("verdict", f"all {len(rows)} runs converged: {problem.success(config, reference)}", wide)


def to_json(document):
    """Strict JSON: NaN or infinity anywhere is a bug, so it raises instead of writing them."""
    return json.dumps(document, indent=2, allow_nan=False) + "\n"


def write_json(path, document):
    text = to_json(document)  # before the file is touched: a failure here leaves the old file alone
    write_atomically(path, lambda out: out.write(text.encode()))


def run_document(problem, config, reference, rows, machine, notes=(), baseline=None):
    """What --json writes: enough to print the table again and to compare runs."""
    parameters = reference.parameters
    return {
        "problem": problem.name,
        "config": config.asdict(),
        "reference": {
            "label": reference.label,
            "parameters": None if parameters is None else {name: value.tolist() for name, value in parameters.items()},
            "loss": finite_or_none(reference.loss),
            "ceiling": reference.ceiling,
        },
        "tolerance": TOLERANCE,
        "machine": machine,
        "baseline": baseline,
        "notes": list(notes),
        "results": rows,
    }
