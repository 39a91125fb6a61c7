"""Pictures for learners: what compare.py measured, drawn with matplotlib (Agg: no display needed)."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from fitways.output import write_atomically  # noqa: E402
from fitways.report import micros_with_unit  # noqa: E402


def save(figure, path):
    """Rendered to a temporary file beside `path`, then renamed into place."""
    write_atomically(path, lambda out: figure.savefig(out, format="png", dpi=100))
    plt.close(figure)


def plot_comparison(path, problem, config, data, reference, rows, trajectories):
    """Four panels: batch loss per update; the path of (W, b) for a two-parameter problem, the distance
    from the start otherwise; the fitted curves over the data; µs per update."""
    figure, ((losses, path_panel), (lines, speed)) = plt.subplots(2, 2, figsize=(15, 10), layout="constrained")
    figure.suptitle(f"fitways, {problem.name}: {problem.setup_line(config)}")
    start = problem.start(config)
    two = len(problem.parameters) == 2 and all(np.size(value) == 1 for value in start.values())  # a path in a plane
    for (name, device), trajectory in trajectories.items():
        label = f"{name} ({device})"
        if not trajectory.every_update:
            label += f", every {trajectory.updates[0]}th update"
        if trajectory.loss is not None:  # keras_fit_tuned sees only every steps_per_execution-th update
            losses.plot(trajectory.updates, trajectory.loss, label=label, linewidth=1.2, alpha=0.8)
        if two:
            first, second = problem.parameters
            walk = [np.concatenate([np.ravel(start[n]), trajectory[n].reshape(-1)]) for n in (first, second)]
            path_panel.plot(*walk, marker=".", markersize=3, linewidth=0.8, alpha=0.7, label=label)
        else:
            moved = sum(np.sum((trajectory[n] - start[n]).reshape(len(trajectory.updates), -1) ** 2, axis=1)
                        for n in problem.parameters)  # fmt: skip
            path_panel.plot(trajectory.updates, np.sqrt(moved), linewidth=1.2, alpha=0.8, label=label)
    losses.set(
        yscale="log",
        xlabel="update",
        ylabel=f"batch {config.loss} before the update",
        title="Same batches, same trajectory: the curves lie on top of each other",
    )
    losses.legend(fontsize=8)
    unseen = [f"{name} ({device})" for (name, device), trajectory in trajectories.items() if trajectory.loss is None]
    if unseen:
        note = f"not shown, no batch loss seen: {', '.join(unseen)}"
        losses.text(0.02, 0.02, note, fontsize=8, transform=losses.transAxes)

    if two:
        first, second = problem.parameters
        path_panel.plot(start[first], start[second], "ko", label=f"start ({start[first]:g}, {start[second]:g})")
        if reference.parameters is not None:
            path_panel.plot(reference.parameters[first], reference.parameters[second], "r*", markersize=14,
                            label="closed-form fit")  # fmt: skip
        path_panel.set(xlabel=first, ylabel=second, title=f"The path of ({first}, {second}): each update overshoots, then settles")
    else:
        path_panel.set(xlabel="update", ylabel="‖θ − θ₀‖ (every parameter)",
                       title="How far the parameters have moved from the start")  # fmt: skip
    path_panel.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))  # outside: the path fills the box

    if np.ndim(data.x) != 1:  # a curve over x needs one input: leave the panel out, say so
        lines.text(0.5, 0.5, f"x has shape {np.shape(data.x)[1:]} per sample: no curve over x to draw",
                   ha="center", va="center", transform=lines.transAxes)  # fmt: skip
        lines.set_axis_off()
    else:
        draw_fits(lines, problem, config, data, rows, two)

    ordered = sorted(rows, key=lambda row: row["seconds_per_update"])
    labels = [f"{row['trainer']} ({row['device']})" for row in ordered]
    where = np.arange(len(ordered))
    shown = []
    bars_of = ((-0.2, "seconds_per_update", "per update", "C2"), (0.2, "seconds_per_call", "per call", "C0"))
    for offset, key, what, colour in bars_of:
        # a fitted per-call cost can come out ≤ 0 (it is ~0 for a Python loop): nothing to draw on a log axis
        micros = [max(row[key] * 1e6, 0.0) for row in ordered]
        colours = [colour if row["converged"] else "C3" for row in ordered]
        bars = speed.barh(where + offset, micros, height=0.4, color=colours, label=what)
        text = ["~0" if m <= 0 else micros_with_unit(m) for m in micros]
        speed.bar_label(bars, labels=text, fontsize=7, padding=2)
        shown += [m for m in micros if m > 0]
    speed.set_yticks(where, labels)
    speed.set(
        xscale="log",
        xlabel="µs (log scale), fitted: time of a run = per call + updates × per update; red: did not converge",
        title=f"What a call costs and each update adds, {sum(np.size(v) for v in start.values())} parameters",
    )
    if shown:
        speed.set_xlim(min(shown) / 2, max(shown) * 4)  # room for the labels
        speed.legend(fontsize=8, loc="lower right")
    speed.invert_yaxis()
    save(figure, path)


def draw_fits(lines, problem, config, data, rows, two):
    """The data, the truth (zoomed in at x = 0) and each run's fitted curve, for a problem with one input."""
    shown = np.random.default_rng(0).choice(config.samples, size=min(400, config.samples), replace=False)
    lines.scatter(data.x[shown], data.y[shown], s=6, color="0.6", label=f"data ({len(shown)} of {config.samples})")
    x = np.linspace(data.x.min(), data.x.max(), 200 if not two else 2).astype(np.float64)
    truth = problem.truth(config)
    zoom = None
    if truth is not None:
        lines.plot(x, problem.predict(config, truth, x), "k--", linewidth=2, label=problem.truth_label(config))
        zoom = lines.inset_axes([0.55, 0.08, 0.42, 0.38])
        near_zero = np.array([-0.01, 0.01])
        zoom.plot(near_zero, problem.predict(config, truth, near_zero), "k--", linewidth=2)
    for row in rows:
        if row["parameters"] is not None:
            params = {n: np.asarray(v) for n, v in row["parameters"].items()}
            for axes in (lines, zoom) if zoom else (lines,):
                axes.plot(x, problem.predict(config, params, x), linewidth=1, alpha=0.7, label=f"{row['trainer']} ({row['device']})")
    if zoom:
        at_zero = float(problem.predict(config, truth, np.zeros(1))[0])
        zoom.set(xlim=(-0.01, 0.01), ylim=(at_zero - 0.03, at_zero + 0.03), xticks=[-0.01, 0, 0.01])
        zoom.tick_params(labelsize=7)
        zoom.set_title("zoom at x = 0: fits sit\nnoise/2 above the truth", fontsize=8)
    lines.set(xlabel="x", ylabel="y", title=f"Fitted {'lines' if two else 'curves'} over the data")
    lines.legend(fontsize=7, loc="upper left")
