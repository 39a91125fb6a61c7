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
# The hands-on part of the course, one section per chapter, using only what a student would: the
# lessons in `impls/` (each a `Trainer` you can build and call), the command line `compare.py`, and
# the JSON committed in `docs/`. Where a chapter's hands-on part needs a command line or a long run,
# the section says which command and links the chapter. Run it from the repository root or from
# `notebooks/`.

# %%
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up lines, before any framework loads

import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402


def repository_root():
    """The checkout: the working directory or a folder above it, else where an importable fitways lives."""
    for folder in [Path.cwd(), *Path.cwd().parents]:
        if (folder / "impls").is_dir() and (folder / "fitways").is_dir():
            return folder
    import importlib.util

    harness = importlib.util.find_spec("fitways")  # installed (pip install -e .) or on PYTHONPATH
    return Path(harness.origin).resolve().parent.parent


ROOT = repository_root()  # opened from anywhere: notebooks/, the root, or elsewhere
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from impls.problem import Config, make_data, textbook_log  # noqa: E402

config = Config()  # the textbook's setup: 3000 samples, batch 20, lr 0.1, one pass (150 updates)
data = make_data(config)

# %% [markdown]
# ## 1. The textbook fit ([chapter 1](../docs/01-the-textbook-fit.md))
# `impls/gradient_tape.py` is the textbook's loop. Its log's "step" is the sample offset (0, 300, …),
# not the update count: one line every 15 updates of 20 samples.

# %%
from impls import gradient_tape  # noqa: E402

W, b = gradient_tape.Trainer(config, data).train(log=textbook_log(config))
print(f"W = {W:.4f}, b = {b:.4f}   (the data came from W = 2, b = -1)")

# %% [markdown]
# ## 2. Why autodiff ([chapter 2](../docs/02-why-autodiff.md))
# Swap the loss for Huber's. The tape needs nothing new; numpy_manual's hand-derived gradient must be
# derived anew. Below, on the first batch at W = 3, b = 1 (residuals beyond δ = 1, where Huber
# differs from MSE), each gradient is put next to a float64 central finite difference of the Huber
# loss: the old MSE formula is far off, the new Huber formula and the tape agree with it.

# %%
from impls import numpy_manual  # noqa: E402

huber = Config(loss="huber")
x, y = data.x[:20].astype(np.float64), data.y[:20].astype(np.float64)
W0, b0, h = 3.0, 1.0, 1e-6


def huber_loss(W, b):
    return numpy_manual.huber(W * x + b - y, x, huber.huber_delta)[0]


finite = np.array([(huber_loss(W0 + h, b0) - huber_loss(W0 - h, b0)) / (2 * h),
                   (huber_loss(W0, b0 + h) - huber_loss(W0, b0 - h)) / (2 * h)])  # fmt: skip
residual = W0 * x + b0 - y
tape = gradient_tape.Trainer(huber, data)
tape.reset(W0, b0)
gradients = {
    "numpy, old MSE formula": numpy_manual.mse(residual, x)[1:],
    "numpy, new Huber formula": numpy_manual.huber(residual, x, huber.huber_delta)[1:],
    "GradientTape": [float(g) for g in tape.loss_and_gradient(data.x[:20], data.y[:20])[1:]],
}
for label, gradient in gradients.items():
    error = np.max(np.abs(np.array(gradient) - finite) / np.abs(finite))
    print(f"{label:<26} dL/dW = {gradient[0]:8.4f}  dL/db = {gradient[1]:8.4f}  relative error {error:.1e}")

# %% [markdown]
# ## 3. Depth
# Deeper networks and what they do to the gradient: [chapter 3](../docs/03-depth.md).
#
# ## 4. Reverse mode ([chapter 4](../docs/04-reverse-mode.md))
# Forward mode pushes a tangent through the model once per parameter; reverse mode walks back from
# the loss once. Two parameters, both ways, in numpy:

# %%
xs, ys, W, b = np.array([1.0, 2.0, 3.0]), np.array([1.0, 3.0, 5.0]), 1.0, 0.0
r = W * xs + b - ys


def forward(dW, db):  # how L moves when (W, b) moves along the tangent (dW, db)
    return np.mean(2 * r * (dW * xs + db))


print("forward mode, two passes:", forward(1.0, 0.0), forward(0.0, 1.0))
g = 2 * r / len(r)  # dL/dr, then dL/dz = dL/dr
print("reverse mode, one pass:  ", np.sum(g * xs), np.sum(g))

# %% [markdown]
# What one gradient costs as the parameter count n grows, from `docs/gradient_cost.json`
# (`python -m benchmarks.gradient_cost --json docs/gradient_cost.json`):

# %%
import json  # noqa: E402

with open("docs/gradient_cost.json") as file:
    cost = json.load(file)
figure, ax = plt.subplots(figsize=(7, 4))
for method, found in cost["cost"].items():
    points = found["points"]
    ax.loglog([p["n"] for p in points], [p["ratio"] for p in points], "o-", label=method)
ax.set_xlabel("parameters n")
ax.set_ylabel("forward passes per gradient")
ax.legend(fontsize=8)
figure.tight_layout()

# %% [markdown]
# ## 5. Compilation ([chapter 5](../docs/05-compilation.md))
# `diff` shows what one idea changes: eager → traced into a graph by `tf.function`.

# %%
import difflib  # noqa: E402


def diff(a, b):
    old, new = (open(f"impls/{name}.py").read().splitlines() for name in (a, b))
    print("\n".join(difflib.unified_diff(old, new, f"impls/{a}.py", f"impls/{b}.py", lineterm="", n=1)))


diff("gradient_tape", "tf_function")

# %% [markdown]
# Per call and per update, measured here: time `train()` at two lengths and fit
# `time = per call + updates × per update`. A Python loop pays per update; a whole-loop trainer pays
# once per call. (Noisy on a busy machine: compare.py repeats and reports a range.)

# %%
from impls import tf_function, tf_xla  # noqa: E402


def seconds(lesson, updates, repeat=5):
    trainer = lesson.Trainer(Config(updates=updates), data)
    trainer.train()  # the first call traces (and compiles): not timed
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        trainer.train()
        times.append(time.perf_counter() - start)
    return min(times)


def micros(value):
    return f"{value * 1e6:9.2f}" if value > 0 else "       ~0"  # a fitted cost at or below zero: noise around ~0


for lesson in (numpy_manual, tf_function, tf_xla):
    short, long = seconds(lesson, 15), seconds(lesson, 150)
    per_update = (long - short) / 135
    print(f"{lesson.__name__:<20} per update {micros(per_update)} µs   per call {micros(short - 15 * per_update)} µs")

# %% [markdown]
# One update along a time axis (`python -m benchmarks.timeline`, committed as `docs/timeline.png`):

# %%
from IPython.display import Image  # noqa: E402

Image("docs/timeline.png")

# %% [markdown]
# ## 6. How fast ([chapter 6](../docs/06-how-fast.md)) and 7. the physical limit ([chapter 7](../docs/07-the-physical-limit.md))
# µs per update against batch size, from `docs/batch_sweep.json`
# (`python -m benchmarks.sweep_batch_size --json docs/batch_sweep.json`); numba_loop is the floor.

# %%
with open("docs/batch_sweep.json") as file:
    sweep = json.load(file)["points"]
figure, ax = plt.subplots(figsize=(7, 4))
for name in dict.fromkeys(p["trainer"] for p in sweep):
    line = [p for p in sweep if p["trainer"] == name]
    ax.loglog([p["batch_size"] for p in line], [p["seconds_per_update"] * 1e6 for p in line], "o-", label=name)
ax.set_xlabel("batch size")
ax.set_ylabel("µs per update")
ax.legend()
figure.tight_layout()

# %% [markdown]
# ## 8. Other frameworks ([chapter 8](../docs/08-other-frameworks.md))
# The whole loop in one `jax.jit` follows the same trajectory as TensorFlow's XLA loop.

# %%
from impls import jax_loop  # noqa: E402

print("jax_loop:", jax_loop.Trainer(config, data).train())
print("tf_xla:  ", tf_xla.Trainer(config, data).train())

# %% [markdown]
# ## 9. Scaling out
# `tf.distribute` needs its devices set before TensorFlow starts, so it runs from the command line:
# `python compare.py --impl tf_mirrored --replicas 2` ([chapter 9](../docs/09-scaling-out.md)).
#
# ## 10. Trusting the numbers ([chapter 10](../docs/10-trusting-the-numbers.md))
# compare.py trains the chosen trainers on the same batches and prints one table (100 columns wide;
# `--wide` for every column), and `--check-gradients` checks each gradient against float64 finite
# differences.

# %%
for argv in (["--impl", "numpy_manual", "--impl", "gradient_tape", "--repeat", "1"],
             ["--impl", "numpy_manual", "--check-gradients"]):  # fmt: skip
    done = subprocess.run([sys.executable, "compare.py", *argv], capture_output=True, text=True, timeout=600)
    print(done.stdout)

# %% [markdown]
# ## The grown model
# The same lessons on a network (`python compare.py --problem mlp`): one hidden layer of tanh units
# fit to a curve no line follows, trained here by numpy's hand-written backpropagation.

# %%
from impls.mlp import numpy_manual as mlp_numpy  # noqa: E402
from impls.mlp.problem import Config as NetConfig  # noqa: E402
from impls.mlp.problem import make_data as make_net_data  # noqa: E402

net_config = NetConfig()
net_data = make_net_data(net_config)
W1, b1, w2, b2 = mlp_numpy.Trainer(net_config, net_data).train()
grid = np.linspace(-5, 5, 200)
slope, intercept = np.polyfit(net_data.x, net_data.y, 1)
figure, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(net_data.x[::10], net_data.y[::10], ".", color="0.7", label="data (every 10th sample)")
ax.plot(grid, np.tanh(np.outer(grid, W1) + b1) @ w2 + b2, label=f"{net_config.hidden} tanh units after one pass")
ax.plot(grid, slope * grid + intercept, "--", label="the best straight line")
ax.legend()
figure.tight_layout()
