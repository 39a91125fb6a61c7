"""What compare.py shows: one row per run, the table, and the same rows as strict JSON."""

import json

from fitways.checks import TOLERANCE, converged, distance, diverging, finite_or_none, loss_value
from fitways.output import write_atomically


def result_row(config, data, closed_form, run, placed_on, measurement):
    """One row of the table and the JSON; run is (trainer, device)."""
    trajectory = measurement.trajectory
    W, b = measurement.final
    diverged = trajectory.diverged_at is not None or diverging(config, None, W, b)
    return {
        "trainer": run[0],
        "device": run[1],
        "placed_on": placed_on,
        "W": None if diverged else W,
        "b": None if diverged else b,
        "loss": None if diverged else finite_or_none(loss_value(config, W, b, data.x, data.y)),
        "distance_to_closed_form": None if diverged else distance(W, b, closed_form),
        "distance_to_true_line": None if diverged else distance(W, b, (config.true_W, config.true_b)),
        "converged": not diverged and converged(closed_form, W, b),
        "diverged_at": trajectory.diverged_at,
        "divergence": trajectory.divergence or ("diverged" if diverged else None),
        "first_call_extra_seconds": measurement.first_call_extra_seconds,
        "seconds_per_update": measurement.seconds_per_update,
        "recording_seconds_per_update": measurement.recording_seconds_per_update,
        "updates": trajectory.updates_run if trajectory.diverged_at else measurement.updates,
        "run_seconds": measurement.run_seconds,
    }


def add_speedups(rows, baseline):
    """speedup: the baseline's time per update over this row's, on the same device in the same run."""
    for row in rows:
        base = next((r for r in rows if r["trainer"] == baseline and r["device"] == row["device"]), None)
        row["speedup"] = base["seconds_per_update"] / row["seconds_per_update"] if base else None


def fmt(value, spec):
    return "—" if value is None else format(value, spec)


def ratio(value):
    """388×, 3.0×, 0.0031×: enough digits to tell a slow row from zero."""
    if value is None:
        return "—"
    if value >= 10:
        return f"{value:,.0f}×"
    return f"{value:.1f}×" if value >= 1 else f"{value:.2f}×" if value >= 0.1 else f"{value:.2g}×"


def micros(seconds):
    return "—" if seconds is None else f"{seconds * 1e6:.3g}" if seconds < 1e-4 else f"{seconds * 1e6:.1f}"


def recording(seconds):
    """What recording adds per update; a difference of two noisy medians, so below zero reads as ~0."""
    return "~0" if seconds is not None and seconds <= 0 else micros(seconds)


def print_table(config, closed_form, rows, notes, baseline):
    header = ["trainer", "device", "W", "b", config.loss, "|Δ fit|", "|Δ true|", "converged"]
    header += ["first call s", "µs/update", "record µs", f"vs {baseline}"]
    lines = []
    for row in rows:
        status = "yes" if row["converged"] else f"no: {row['divergence']}" if row["divergence"] else "no"
        lines.append(
            [
                row["trainer"],
                row["placed_on"],
                fmt(row["W"], ".5f"),
                fmt(row["b"], ".5f"),
                fmt(row["loss"], ".2e"),
                fmt(row["distance_to_closed_form"], ".1e"),
                fmt(row["distance_to_true_line"], ".1e"),
                status,
                f"{row['first_call_extra_seconds']:.2f}",
                micros(row["seconds_per_update"]),
                recording(row["recording_seconds_per_update"]),
                ratio(row["speedup"]),
            ]
        )
    widths = [max(len(line[i]) for line in [header, *lines]) for i in range(len(header))]
    for i, line in enumerate([header, *lines]):
        print("  ".join(cell.ljust(w) if j < 2 else cell.rjust(w) for j, (cell, w) in enumerate(zip(line, widths))))
        if i == 0:
            print("  ".join("-" * w for w in widths))
    print()
    sign = "−" if config.true_b < 0 else "+"
    print(
        f"true line:        y = {config.true_W:g}·x {sign} {abs(config.true_b):g} (+ noise, mean {config.noise / 2:g})"
    )
    print(f"closed-form fit:  W = {closed_form[0]:.5f}, b = {closed_form[1]:.5f}  (float64 least squares, same data)")
    print(
        f"converged means:  |W − W*| and |b − b*| both < {TOLERANCE} for the closed-form fit (W*, b*), "
        "the best this data supports"
    )
    print(
        f"setup:            {config.samples} samples, batch {config.batch_size}, lr {config.lr:g}, "
        f"{config.updates} updates, loss {config.loss}, seed {config.seed}"
    )
    if rows and not any(r["trainer"] == baseline for r in rows):
        notes = [*notes, f"vs {baseline}: blank, {baseline} was not run (choose another with --baseline)"]
    if config.unused_samples:
        notes = [
            f"the last {config.unused_samples} samples of each pass fill no whole batch and are not used",
            *notes,
        ]
    for line in notes:
        print(f"note:             {line}")
    failed = [f"{r['trainer']} on {r['placed_on']}" for r in rows if not r["converged"]]
    if not rows:
        print("verdict:          NOTHING RAN — every trainer asked for was skipped (see the notes above)")
    elif failed:
        print(f"verdict:          NOT CONVERGED — {', '.join(failed)}")
    else:
        print(
            f"verdict:          all {len(rows)} runs converged: W ≈ {config.true_W:g}, b ≈ {config.true_b:g}, "
            "next to the closed-form fit"
        )


def to_json(document):
    """Strict JSON: NaN or infinity anywhere is a bug, so it raises instead of writing them."""
    return json.dumps(document, indent=2, allow_nan=False) + "\n"


def write_json(path, document):
    text = to_json(document)  # before the file is touched: a failure here leaves the old file alone
    write_atomically(path, lambda out: out.write(text.encode()))


def run_document(config, closed_form, rows, machine):
    return {
        "config": config.asdict(),
        "closed_form_fit": {"W": closed_form[0], "b": closed_form[1]},
        "tolerance": TOLERANCE,
        "machine": machine,
        "results": rows,
    }
