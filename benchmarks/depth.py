"""The deep problem's timing for chapter 3, rendered from compare's JSON: µs per update per lesson, the
median fit over the repeats and its range.

    python compare.py --problem deep --device cpu --repeat 7 --json docs/deep.json
"""


def micros(seconds):
    """µs with three significant digits; a fit at or below zero (noise around a tiny cost) as ~0."""
    return "~0" if seconds <= 0 else f"{seconds * 1e6:,.3g}" if seconds < 1e-3 else f"{seconds * 1e6:,.0f}"


def times(ratio):
    return f"{ratio:.2g}×" if ratio < 10 else f"{ratio:,.0f}×"


def markdown_speed(document):
    """A table: per lesson, µs per update (median, and the range over the repeats), and how many times the
    numpy lesson's cost it is; then the machine it ran on."""
    rows = document["results"]
    numpy_cost = next(row["seconds_per_update"] for row in rows if row["trainer"] == "numpy_manual")
    lines = ["| lesson | µs per update | range over the repeats | vs numpy_manual |", "|---|---:|---:|---:|"]
    for row in rows:
        low, high = row["spread"]["seconds_per_update"]
        cost = row["seconds_per_update"]
        ratio = times(cost / numpy_cost) if cost > 0 and numpy_cost > 0 else "—"
        lines.append(f"| {row['trainer']} | {micros(cost)} | {micros(low)}–{micros(high)} | {ratio} |")
    machine, config = document["machine"], document["config"]
    repeats = len(rows[0]["run_seconds"][0]["seconds"])
    lines.append("")
    names = {"numpy": "numpy", "tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}
    versions = "".join(f", {label} {machine[key]}" for key, label in names.items() if key in machine)
    lines.append(
        f"Measured by `python compare.py --problem deep` with {config['layers']} layers of {config['hidden']}, batch "
        f"{config['batch_size']}, {repeats} repeats at each of two run lengths, on {machine['cpu']} "
        f"(the CPU: no GPU), Python {machine['python']}{versions}."
    )
    return "\n".join(lines) + "\n"
