"""The benchmark table: a pytest-benchmark report (its JSON) as one Markdown table.

One row per trainer, and per (device, batch size) two columns: µs per update, with in brackets the
speed-up over gradient_tape measured in the same run, and "× floor", that cost over numba_loop's (the
floor: see impls/numba_loop.py) in the same run; a last column gives the cost of one call, the range
over the batch sizes. Given docs/limit.json (benchmarks/limit.py), each column also gets "× limit", that
cost over the least an update can take on the machine of the bound. µs per update is the slope of the line fitted to rounds of two lengths
(extra_info seconds_per_update) or, in a report without it, the median round over its updates.
benchmarks/summarize.py prints it.
"""

import math

from fitways.problems import DEFAULT, PROBLEMS
from fitways.registry import BASELINE
from fitways.report import micros_with_unit, ratio

FLOOR = "numba_loop"  # the fastest update this machine can do: every trainer's cost is quoted against it
FRAMEWORK_NAMES = ("numpy", "numba", "tensorflow", "jax", "torch")


class NotAReport(ValueError):
    pass


def medians(report):
    """{(trainer, device, batch_size): (seconds per update, seconds per call or None)}, or NotAReport
    saying what is wrong."""
    if not isinstance(report, dict) or not isinstance(report.get("benchmarks"), list):
        raise NotAReport("not a pytest-benchmark report (no 'benchmarks' list)")
    if not report["benchmarks"]:
        raise NotAReport("the report holds no benchmarks (was it run with --benchmark-only?)")
    cells = {}
    for index, bench in enumerate(report["benchmarks"]):
        try:
            info, median = bench["extra_info"], bench["stats"]["median"]
            key = (label(info), info["device"], info["batch_size"])
        except (KeyError, TypeError):
            raise NotAReport(f"benchmark {index} lacks extra_info trainer/device/batch_size or stats median") from None
        if isinstance(median, bool) or not isinstance(median, (int, float)) or not (0 < median < math.inf):
            raise NotAReport(f"benchmark {index} ({key[0]}) has median {median!r}, not a finite time > 0")
        per_update = info.get("seconds_per_update", median)
        if isinstance(per_update, bool) or not isinstance(per_update, (int, float)) or not (0 < per_update < math.inf):
            per_update = median  # a fitted slope ≤ 0 is noise swamping a tiny cost: the median is the honest figure
        cells[key] = (per_update, info.get("seconds_per_call"))
    return cells


def label(info):
    """The row's name: the trainer, and for a data-parallel one its replica count."""
    entry = PROBLEMS[DEFAULT].trainers.get(info["trainer"])
    if entry is None or entry.way.replicas_problem(2):
        return info["trainer"]
    return f"{info['trainer']} ×{info['replicas']}"


def micros(seconds):
    return micros_with_unit(seconds * 1e6)


def call_range(calls):
    """The per-call costs of one trainer over the batch sizes, as "lo–hi µs"; a fitted cost at or below
    zero (a Python loop's, ~0 plus noise) reads "~0"."""
    shown = ["~0" if seconds <= 0 else micros(seconds).removesuffix(" µs") for seconds in sorted(calls)]
    if not shown:
        return "—"
    return (shown[0] if shown[0] == shown[-1] else f"{shown[0]}–{shown[-1]}") + " µs"


def summarize(report, limit=None):
    cells = medians(report)
    bounds = {p["value"]: p["seconds"] for p in limit["benchmarks"]["points"]} if limit else {}
    columns = sorted({(device, size) for _, device, size in cells})
    order = {name: index for index, name in enumerate(PROBLEMS[DEFAULT].trainers)}  # the trainer table's order; unknown names last
    trainers = sorted({name for name, _, _ in cells}, key=lambda row: (order.get(row.split(" ×")[0], len(order)), row))
    header = "| trainer | " + " | ".join(f"{device} · batch {size} | × floor" + " | × limit" * bool(limit)
                                         for device, size in columns)  # fmt: skip
    header += " | per call |"
    lines = [header, "|---" * ((3 if limit else 2) * len(columns) + 2) + "|"]
    for name in trainers:
        row, calls = [], []
        for column in columns:
            cell, base, floor = (cells.get((trainer, *column)) for trainer in (name, BASELINE, FLOOR))
            if cell is None:
                row += ["—"] * (3 if limit else 2)
                continue
            seconds, per_call = cell
            row.append(micros(seconds) + (f" ({ratio(base[0] / seconds)})" if base else ""))
            row.append(ratio(seconds / floor[0]) if floor else "—")
            if limit:
                bound = bounds.get(column[1]) if column[0] == "cpu" else None
                row.append(ratio(seconds / bound) if bound else "—")
            calls += [] if per_call is None else [per_call]
        lines.append(f"| {name} | " + " | ".join(row) + f" | {call_range(calls)} |")
    machine = {}
    for bench in report["benchmarks"]:  # each case names the versions of the frameworks it ran
        machine.update(bench.get("extra_info", {}))
    versions = ", ".join(f"{key} {machine[key]}" for key in FRAMEWORK_NAMES if key in machine)
    cpu, python, day = machine.get("cpu", "unknown CPU"), machine.get("python", "?"), report.get("datetime", "")[:10]
    lines += ["", f"{cpu}; Python {python}; {versions}; {day}"]
    if limit:
        lines += [f"× limit: over the bound of docs/limit.json, measured on {limit['machine']['cpu']}"
                  + ("" if limit["benchmarks"]["same_machine"] else " (another machine than these times)")]
    return "\n".join(lines)
