# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # A tour of fitways
#
# One textbook problem, fit y = W·x + b, trained many equivalent ways. This notebook runs the
# textbook's lesson, shows what one idea changes between two lessons, tells the Huber story with the
# gradient check, looks inside one update, and draws the benchmark figures the README quotes.
# Every cell is short; every figure is drawn here.

# %%
import os
import sys
from pathlib import Path


def repository_root():
    """The checkout: the working directory or a folder above it, else where an importable fitways lives."""
    for folder in [Path.cwd(), *Path.cwd().parents]:
        if (folder / "impls").is_dir() and (folder / "fitways").is_dir():
            return folder
    import fitways  # installed (pip install -e .) or on PYTHONPATH

    return Path(fitways.__file__).resolve().parent.parent


ROOT = repository_root()  # opened from anywhere: notebooks/, the root, or elsewhere
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)

import matplotlib.pyplot as plt  # noqa: E402

from fitways.frameworks import FRAMEWORKS  # noqa: E402
from fitways.problems import PROBLEMS  # noqa: E402
from fitways.runner import Runner  # noqa: E402
from impls.problem import Config, make_data, textbook_log  # noqa: E402

FRAMEWORKS["tensorflow"].load()  # quietly, and Keras on TensorFlow
config = Config()
data = make_data(config)

# %% [markdown]
# ## 1. The textbook's lesson
# `impls/gradient_tape.py`: a tf.GradientTape loop over 150 batches of 20, logging every 300 samples.

# %%
from impls import gradient_tape  # noqa: E402

W, b = gradient_tape.Trainer(config, data).train(log=textbook_log(config))
print(f"W = {W:.4f}, b = {b:.4f}   (the data came from W = 2, b = -1)")

# %% [markdown]
# ## 2. What compilation changes
# Neighbouring lessons differ by one idea; `diff` shows it. Here: eager → tf.function.

# %%
import difflib  # noqa: E402


def diff(a, b):
    old, new = (open(f"impls/{name}.py").read().splitlines() for name in (a, b))
    print("\n".join(difflib.unified_diff(old, new, f"impls/{a}.py", f"impls/{b}.py", lineterm="", n=1)))


diff("gradient_tape", "tf_function")

# %% [markdown]
# ## 3. The Huber story
# Swap the loss for Huber's. The autodiff lessons need nothing else; numpy_manual's hand-derived
# gradient must be derived anew. The gradient check compares each gradient with float64 finite
# differences: the old MSE formula on the Huber problem fails it, the new derivation passes.

# %%
from fitways.gradcheck import check, random_points  # noqa: E402

line, huber = PROBLEMS["line"], Config(loss="huber")
points = random_points(line, huber, make_data(huber))
old = Runner(line, "numpy_manual", huber, make_data(huber))
old.trainer.config = config  # numpy_manual picks its formula from the config: this is its MSE gradient
runners = {
    "numpy, old MSE formula": old,
    "numpy, new Huber formula": Runner(line, "numpy_manual", huber, make_data(huber)),
    "GradientTape": Runner(line, "gradient_tape", huber, make_data(huber)),
}
for label, runner in runners.items():
    errors = [row["error"] for row in check(runner, points)]
    print(f"{label:<26} worst relative error {max(errors):.1e}")

# %% [markdown]
# ## 4. Inside one update
# The ops one eager update dispatches (fitways.anatomy), then the same update along a time axis as
# TensorFlow's profiler recorded it (fitways.timeline): coloured bars are kernels, grey the runtime
# around them, white the time no kernel ran.

# %%
from collections import Counter  # noqa: E402

from fitways import anatomy, timeline  # noqa: E402

trainer = gradient_tape.Trainer(config, data)
x, y = trainer.batches[0]
trainer.update(x, y)
print(Counter(op.phase for op in anatomy.eager_ops(trainer, x, y)))

# %%
panels = {title: timeline.bars(timeline.events(timeline.trace(timeline.one_update(lesson))))
          for title, lesson in timeline.WAYS.items()}  # fmt: skip
timeline.draw("notebooks/timeline.png", panels)
from IPython.display import Image  # noqa: E402

Image("notebooks/timeline.png")

# %% [markdown]
# ## 5. The benchmark figures
# `docs/benchmarks.json` is what `pytest --benchmark-only --benchmark-json docs/benchmarks.json` wrote:
# µs per update for every trainer at three batch sizes.

# %%
import json  # noqa: E402

with open("docs/benchmarks.json") as file:
    results = json.load(file)["benchmarks"]
groups = sorted({r["group"] for r in results}, key=lambda g: int(g.rsplit(" ", 1)[1]))
figure, axes = plt.subplots(1, len(groups), figsize=(14, 4), sharey=False)
for ax, group in zip(axes, groups):
    rows = sorted((r for r in results if r["group"] == group), key=lambda r: r["extra_info"]["us_per_update"])
    ax.barh([r["name"].split("-", 2)[-1].rstrip("]") for r in rows], [r["extra_info"]["us_per_update"] for r in rows])
    ax.set_xscale("log")
    ax.set_title(group)
    ax.set_xlabel("µs per update")
figure.tight_layout()

# %% [markdown]
# ## 6. The grown model
# The same harness on a second problem (`python compare.py --problem mlp`): one hidden layer of tanh
# units fit to a curve no line follows. numpy's hand-derived backpropagation trains it here; the
# dashed line is the best straight line, the problem the rest of this tour solved.

# %%
import numpy as np  # noqa: E402

mlp = PROBLEMS["mlp"]
net_config = mlp.Config()
net_data = mlp.make_data(net_config)
net = mlp.named(net_config, Runner(mlp, "numpy_manual", net_config, net_data).train())
grid = np.linspace(-5, 5, 200)
slope, intercept = np.polyfit(net_data.x, net_data.y, 1)
figure, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(net_data.x[::10], net_data.y[::10], ".", color="0.7", label="data (every 10th sample)")
ax.plot(grid, mlp.predict(net_config, net, grid), label=f"{net_config.hidden} tanh units after one pass")
ax.plot(grid, slope * grid + intercept, "--", label="the best straight line")
ax.legend()
figure.tight_layout()
