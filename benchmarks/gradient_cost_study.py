"""gradient_cost: what one gradient costs as the parameter count n grows, and how accurate a finite
difference can be. Pure functions; benchmarks/gradient_cost.py prints and draws what they measure.

The model is one hidden layer of H tanh units, on a scalar x:

    ŷ = w2 · tanh(W1·x + b1) + b2        W1, b1, w2 of shape (H,), b2 a scalar: n = 3H + 1

with the line's data (x = 10·u − 5, y = 2x − 1 + noise: the textbook's first batch of 20) and the
mean squared error. Its parameters travel as one flat vector θ = [W1, b1, w2, b2], so that "one
tangent per parameter" is the i-th unit vector and a finite difference nudges θ[i].

Four ways to get dL/dθ:
- central finite differences, (L(θ + h·e_i) − L(θ − h·e_i)) / 2h for each i: 2n forward passes;
- forward mode, one tangent per parameter: each pass carries dL/dθ_i along, n passes (jacfwd
  pushes the n tangents through side by side: the same arithmetic, and n times the memory);
- reverse mode (backpropagation): one forward pass, then one backward pass that yields all n;
- the same reverse pass derived by hand in numpy (mlp_backprop).

numpy runs in float64 (finite differences need it: see step_errors), the frameworks in their
default float32; each cost is also given as a multiple of one forward pass of the same framework,
computed the same way (numpy; TensorFlow under tf.function; JAX under jax.jit; PyTorch eager).
"""

import dataclasses
import functools
import os
import sys
import time

import numpy as np

from fitways.frameworks import load
from impls.mlp.numpy_manual import mse as backprop  # the network lesson's backpropagation
from impls.numpy_manual import mse
from impls.problem import Config, make_data

BATCH = 20  # the textbook's batch
TEXTBOOK_STEP = 1e-6  # the textbook's "a perturbation of about 1e-6 usually does"
STEPS = 10.0 ** (-np.arange(2, 25) / 2)  # 1e-1, 10^-1.5, ..., 1e-12: half a decade apart
MAX_N = 3_000_001  # H = 1e6: a (20, H) float64 activation is 160 MB, as far as this is meant to go
ROUND_S = 5e-3  # a timed round repeats a fast call until it lasts about this long
POINT_S = 0.5  # the most seconds spent timing one method at one n, beyond its first calls
TANGENT_BYTES = 2**30  # jacfwd holds all n tangents of the (B, H) activations at once: 1 GiB at most


# --- the model, in numpy ------------------------------------------------------------------------


def width(n):
    """The hidden width whose parameter count 3H + 1 is nearest n (at least 1)."""
    return max(1, round((n - 1) / 3))


def split(theta):
    """θ = [W1, b1, w2, b2] → (W1, b1, w2, b2); H from len(θ) = 3H + 1."""
    H = (len(theta) - 1) // 3
    return theta[:H], theta[H : 2 * H], theta[2 * H : 3 * H], theta[3 * H]


def initial(H, seed=0):
    """Seeded parameters, float64: W1, b1 ~ N(0, 1), w2 ~ N(0, 1/H) (so ŷ stays O(1) for any H), b2 = 0."""
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.normal(size=2 * H), rng.normal(size=H) / np.sqrt(H), [0.0]])


def textbook_batch(size=BATCH):
    """The first `size` samples of the textbook's data (float32, as the lessons see them)."""
    data = make_data(Config())
    return data.x[:size], data.y[:size]


def mlp_loss(theta, x, y):
    """L(θ) = (1/B) Σ_i (ŷ_i − y_i)², in θ's dtype."""
    W1, b1, w2, b2 = split(theta)
    x, y = x.astype(theta.dtype), y.astype(theta.dtype)
    a = np.tanh(np.outer(x, W1) + b1)  # (B, H)
    r = a @ w2 + b2 - y  # (B,)
    return r @ r / len(x)


def mlp_backprop(theta, x, y):
    """dL/dθ by the chain rule, run backwards from L: the reverse mode, derived by hand.

    Forward, for sample i and unit j:  z_ij = W1_j·x_i + b1_j,  a_ij = tanh(z_ij),
    ŷ_i = Σ_j w2_j·a_ij + b2,  r_i = ŷ_i − y_i,  L = (1/B) Σ_i r_i².

    Backward, each line from the one before it:
        g_i    = dL/dŷ_i  = 2 r_i / B
        dL/db2 = Σ_i g_i                      (∂ŷ_i/∂b2 = 1)
        dL/dw2_j = Σ_i g_i · a_ij             (∂ŷ_i/∂w2_j = a_ij)
        d_ij   = dL/dz_ij = g_i · w2_j · (1 − a_ij²)     (tanh′ = 1 − tanh²)
        dL/db1_j = Σ_i d_ij                   (∂z_ij/∂b1_j = 1)
        dL/dW1_j = Σ_i d_ij · x_i             (∂z_ij/∂W1_j = x_i)

    One pass over the same (B, H) arrays as the forward pass, a few times its arithmetic, for all
    3H + 1 derivatives at once. The arithmetic is the lesson's (impls/mlp/numpy_manual.py: mse)."""
    W1, b1, w2, b2 = split(theta)
    x, y = x.astype(theta.dtype), y.astype(theta.dtype)
    a = np.tanh(np.outer(x, W1) + b1)
    _, dW1, db1, dw2, db2 = backprop(a @ w2 + b2 - y, x, a, w2)
    return np.concatenate([dW1, db1, dw2, [db2]])


def line_loss(theta, x, y):
    """The textbook's line: θ = [W, b], L = (1/B) Σ (W·x + b − y)²."""
    x, y = x.astype(theta.dtype), y.astype(theta.dtype)
    r = theta[0] * x + theta[1] - y
    return r @ r / len(x)


def line_gradient(theta, x, y):
    """numpy_manual's hand gradient: (2/B) Σ r·x, (2/B) Σ r."""
    x, y = x.astype(theta.dtype), y.astype(theta.dtype)
    return np.array(mse(theta[0] * x + theta[1] - y, x)[1:])


def central_difference(loss, theta, x, y, h):
    """(L(θ + h·e_i) − L(θ − h·e_i)) / 2h for every i, in θ's dtype: 2n calls of loss. θ is nudged in
    place (a copy of it), so the loop costs the passes and not n copies of θ."""
    theta = theta.copy()
    gradient = np.empty_like(theta)
    for i in range(len(theta)):
        kept = theta[i]
        theta[i] = kept + h
        up = loss(theta, x, y)
        theta[i] = kept - h
        down = loss(theta, x, y)
        theta[i] = kept
        gradient[i] = (up - down) / (2 * h)
    return gradient


def relative_error(gradient, exact):
    """max_i |gradient_i − exact_i| / max_i |exact_i|: one number for a whole gradient, not thrown by
    components that happen to be near zero. inf where gradient is not finite."""
    gradient = np.asarray(gradient, dtype=np.float64)
    if not np.all(np.isfinite(gradient)):
        return float("inf")
    return float(np.max(np.abs(gradient - exact)) / np.max(np.abs(exact)))


# --- how accurate a finite difference is ----------------------------------------------------------

PROBLEMS = {  # for the accuracy study: (loss, exact gradient, θ)
    "line": (line_loss, line_gradient, lambda: np.array([Config.W0, Config.b0])),  # the textbook's start
    "mlp": (mlp_loss, mlp_backprop, lambda: initial(3)),  # H = 3, n = 10
}


def step_errors(problem, dtype, steps=STEPS):
    """[(h, relative error of the central difference)] for each step h, computed in `dtype`, against
    the exact gradient (the hand derivation in float64, at the very same float32- or float64-rounded
    θ and data). Large h: truncation, error ∝ h². Small h: rounding, error ∝ ε·|L| / h, ε the dtype's
    epsilon. Best near h ≈ ε^(1/3): ~5e-3 in float32, ~6e-6 in float64."""
    loss, gradient, theta = PROBLEMS[problem]
    x, y = textbook_batch()
    theta = theta().astype(dtype)
    exact = gradient(theta.astype(np.float64), x.astype(np.float64), y.astype(np.float64))
    return [(float(h), relative_error(central_difference(loss, theta, x, y, h), exact)) for h in steps]


def accuracy():
    """{problem: {dtype: {"steps": [{h, error}], "best": {h, error}, "textbook": {h, error}}}}."""
    found = {}
    for problem in PROBLEMS:
        for dtype in ("float32", "float64"):
            errors = step_errors(problem, np.dtype(dtype))
            best = min(errors, key=lambda pair: pair[1])
            textbook = next(pair for pair in errors if np.isclose(pair[0], TEXTBOOK_STEP))
            found.setdefault(problem, {})[dtype] = {
                "steps": [{"h": h, "error": error} for h, error in errors],
                "best": {"h": best[0], "error": best[1]},
                "textbook": {"h": textbook[0], "error": textbook[1]},
            }
    return found


# --- the ways to a gradient, per framework ------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Method:
    name: str
    framework: str  # fitways.frameworks' key
    mode: str  # "finite differences", "forward", "reverse", "by hand"
    how: str  # what runs, as the table and the README say it
    build: object  # build(theta, x, y) -> (gradient, forward): zero-argument calls, results on the host,
    #                traced and compiled already (never run: a slow method's first run is its measurement)
    tangent_bytes: object = None  # tangent_bytes(n): memory that grows as n·B·H, checked before a run


def _numpy_fd(theta, x, y):
    return (lambda: central_difference(mlp_loss, theta, x, y, TEXTBOOK_STEP)), (lambda: mlp_loss(theta, x, y))


def _numpy_backprop(theta, x, y):
    return (lambda: mlp_backprop(theta, x, y)), (lambda: mlp_loss(theta, x, y))


@functools.cache
def _tf_functions():
    """TensorFlow's loss, reverse-mode and forward-mode gradients as tf.functions, made once: each
    traces once per width, so every build at that width shares the trace."""
    import tensorflow as tf

    def loss(theta, x, y):
        H = (theta.shape[0] - 1) // 3  # static under tf.function
        W1, b1, w2, b2 = theta[:H], theta[H : 2 * H], theta[2 * H : 3 * H], theta[3 * H]
        r = tf.linalg.matvec(tf.tanh(x[:, None] * W1 + b1), w2) + b2 - y
        return tf.reduce_mean(r * r)

    def reverse(theta, x, y):
        with tf.GradientTape() as tape:
            tape.watch(theta)
            value = loss(theta, x, y)
        return tape.gradient(value, theta)

    def forward(theta, x, y):
        n = theta.shape[0]
        partials = tf.TensorArray(tf.float32, size=n)
        for i in tf.range(n):  # a tf.while_loop: one tangent, the i-th unit vector, per iteration
            with tf.autodiff.ForwardAccumulator(theta, tf.one_hot(i, n)) as accumulator:
                value = loss(theta, x, y)
            partials = partials.write(i, accumulator.jvp(value))
        return partials.stack()

    return {name: tf.function(fn) for name, fn in (("loss", loss), ("reverse", reverse), ("forward", forward))}


def _tf(theta, x, y, mode):
    import tensorflow as tf

    functions = _tf_functions()
    args = [tf.constant(array, tf.float32) for array in (theta, x, y)]
    for name in (mode, "loss"):
        functions[name].get_concrete_function(*args)  # trace now (once per width), without running
    return (lambda: functions[mode](*args).numpy()), (lambda: functions["loss"](*args).numpy())


@functools.cache
def _jax_functions():
    """JAX's loss, reverse-mode and forward-mode gradients under jax.jit, made once (compiled per width)."""
    import jax
    import jax.numpy as jnp

    def loss(theta, x, y):
        H = (theta.shape[0] - 1) // 3  # static under jit
        W1, b1, w2, b2 = theta[:H], theta[H : 2 * H], theta[2 * H : 3 * H], theta[3 * H]
        r = jnp.tanh(jnp.outer(x, W1) + b1) @ w2 + b2 - y
        return jnp.mean(r * r)

    def forward(theta, x, y):
        n = theta.shape[0]

        def partial(i):  # dL/dθ_i: one jvp with the i-th unit vector as the tangent
            return jax.jvp(lambda t: loss(t, x, y), (theta,), (jax.nn.one_hot(i, n, dtype=theta.dtype),))[1]

        return jax.lax.map(partial, jnp.arange(n))  # a compiled loop, one tangent at a time

    return {
        "loss": jax.jit(loss),
        "reverse": jax.jit(jax.grad(loss)),
        "forward": jax.jit(forward),
        "jacfwd": jax.jit(jax.jacfwd(loss)),  # the n tangents side by side (vmap), not one at a time
    }


@functools.cache
def _jax_compiled(name, n, batch):
    """_jax_functions()[name] compiled for θ of n and a batch of `batch` float32s, without running it."""
    import jax

    shapes = [jax.ShapeDtypeStruct((size,), "float32") for size in (n, batch, batch)]
    return _jax_functions()[name].lower(*shapes).compile()


def _jax(theta, x, y, mode):
    import jax.numpy as jnp

    args = [jnp.asarray(array, dtype=jnp.float32) for array in (theta, x, y)]
    gradient, forward = (_jax_compiled(name, len(theta), len(x)) for name in (mode, "loss"))
    return (lambda: np.asarray(gradient(*args))), (lambda: np.asarray(forward(*args)))


def _torch(theta, x, y):
    import torch

    def loss(theta, x, y):
        H = (theta.shape[0] - 1) // 3
        W1, b1, w2, b2 = theta[:H], theta[H : 2 * H], theta[2 * H : 3 * H], theta[3 * H]
        r = torch.tanh(torch.outer(x, W1) + b1) @ w2 + b2 - y
        return torch.mean(r * r)

    theta_t, x_t, y_t = (torch.as_tensor(array, dtype=torch.float32) for array in (theta, x, y))
    theta_t.requires_grad_(True)

    def gradient():
        (partials,) = torch.autograd.grad(loss(theta_t, x_t, y_t), theta_t)
        return partials.numpy()

    def forward():
        with torch.no_grad():
            return loss(theta_t, x_t, y_t).numpy()

    return gradient, forward


METHODS = {
    method.name: method
    for method in (
        Method("numpy_fd", "numpy", "finite differences", "numpy float64, central, h = 1e-6", _numpy_fd),
        Method("numpy_backprop", "numpy", "by hand", "numpy float64, mlp_backprop", _numpy_backprop),
        Method("tf_forward", "tensorflow", "forward", "tf.autodiff.ForwardAccumulator, n tangents, tf.function loop",
               functools.partial(_tf, mode="forward")),  # fmt: skip
        Method("tf_reverse", "tensorflow", "reverse", "tf.GradientTape in a tf.function",
               functools.partial(_tf, mode="reverse")),  # fmt: skip
        Method("jax_forward", "jax", "forward", "jax.jvp, n tangents in lax.map, jax.jit",
               functools.partial(_jax, mode="forward")),  # fmt: skip
        Method("jax_jacfwd", "jax", "forward", "jax.jacfwd (all n tangents at once), jax.jit",
               functools.partial(_jax, mode="jacfwd"), lambda n: 4 * n * BATCH * width(n)),  # fmt: skip
        Method("jax_reverse", "jax", "reverse", "jax.grad, jax.jit", functools.partial(_jax, mode="reverse")),
        Method("torch_reverse", "torch", "reverse", "torch.autograd.grad, eager", _torch),
    )
}


def load_on_one_thread(frameworks):
    """Import the frameworks (fitways.frameworks.load), each asked to compute on one thread: the ratio
    to a forward pass then counts work, not how well a framework spreads it over cores, and a busy
    shared machine cannot stall a thread pool waiting for its slowest thread. Only a framework this
    call imports can still be asked (the thread pools start with it); returns the names that were."""
    fresh = [name for name in frameworks if name != "numpy" and name not in sys.modules]
    if "jax" in fresh:  # read when JAX starts its CPU backend
        flags = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
        os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {flags}".strip()
    load(frameworks)
    if "torch" in fresh:
        sys.modules["torch"].set_num_threads(1)
    if "tensorflow" in fresh:
        threading = sys.modules["tensorflow"].config.threading
        threading.set_intra_op_parallelism_threads(1)
        threading.set_inter_op_parallelism_threads(1)
    return sorted(fresh)


# --- timing -------------------------------------------------------------------------------------


def seconds_per_call(calls, budget, rounds=15):
    """For each zero-argument call, the fastest of up to `rounds` rounds, in seconds per call: what the
    computation costs when nothing else gets in its way (timeit's advice; on a shared machine a median
    measures the neighbours). The rounds take turns between the calls, so that a busy moment hits
    them alike; a fast call is repeated within its round to last about ROUND_S. A call slower than
    `budget` is timed once; the others stop once `budget` seconds are spent on them."""
    first = []
    for call in calls:
        start = time.perf_counter()
        call()
        first.append(time.perf_counter() - start)
    repeated = [i for i, seconds in enumerate(first) if seconds < budget]
    number = {i: max(1, int(ROUND_S / max(first[i], 1e-9))) for i in repeated}
    samples = {i: [] for i in repeated}
    spent = sum(first[i] for i in repeated)
    while repeated and spent < budget and len(samples[repeated[0]]) < rounds:
        for i in repeated:
            start = time.perf_counter()
            for _ in range(number[i]):
                calls[i]()
            elapsed = time.perf_counter() - start
            samples[i].append(elapsed / number[i])
            spent += elapsed
    return [min(samples[i]) if samples.get(i) else first[i] for i in range(len(calls))]


def measure(method, n, cap, seed=0):
    """One point: {n, H, seconds, forward_seconds, ratio, over_cap} for `method` at the width nearest n."""
    H = width(n)
    x, y = textbook_batch()
    gradient, forward = method.build(initial(H, seed), x, y)
    seconds, forward_seconds = seconds_per_call([gradient, forward], min(POINT_S, cap))
    return {
        "n": 3 * H + 1,
        "H": H,
        "seconds": seconds,
        "forward_seconds": forward_seconds,
        "ratio": seconds / forward_seconds,
        "over_cap": seconds > cap,
    }


def sizes(n_min, n_max, per_decade):
    """Parameter counts from n_min to n_max, `per_decade` to a decade, each 3H + 1, none twice."""
    decades = np.log10(n_max) - np.log10(n_min)
    count = max(1, int(round(decades * per_decade))) + 1
    return list(dict.fromkeys(3 * width(n) + 1 for n in np.geomspace(n_min, n_max, count)))


def run(methods, counts, cap, progress=lambda line: None):
    """{name: {"points": [...], "stopped": why or None}}: each method at each n in turn, until one
    gradient takes more than `cap` seconds (that point is kept, larger n are not tried), or, for
    jacfwd, until its tangents would not fit in TANGENT_BYTES (that n is not tried)."""
    found = {}
    for name in methods:
        points, stopped = [], None
        for n in counts:
            tangents = METHODS[name].tangent_bytes
            if tangents and tangents(n) > TANGENT_BYTES:
                gib, allowed = tangents(n) / 2**30, TANGENT_BYTES / 2**30
                stopped = f"at n = {n} its tangents would take {gib:.1f} GiB, over the {allowed:g} GiB allowed"
                break
            progress(f"{name}, n = {n} ...")
            point = measure(METHODS[name], n, cap)
            points.append(point)
            if point["over_cap"]:
                stopped = f"one gradient took {point['seconds']:.3g} s at n = {point['n']}, over the {cap:g} s cap"
                break
        found[name] = {"points": points, "stopped": stopped}
    return found


def constants(found):
    """For each reverse-mode (and hand) method: its cost in forward passes at the largest n it reached
    (where arithmetic, not overhead, dominates) and the range over every n."""
    summary = {}
    for name, result in found.items():
        if METHODS[name].mode in ("reverse", "by hand") and result["points"]:
            ratios = [point["ratio"] for point in result["points"]]
            last = result["points"][-1]
            summary[name] = {"n": last["n"], "ratio": last["ratio"], "min_ratio": min(ratios), "max_ratio": max(ratios)}
    return summary


MODE_STYLE = {"finite differences": "o-", "forward": "s--", "reverse": "^-", "by hand": "D:"}


def plot_gradient_cost(path, document):
    """Left: seconds per gradient against n; right: the same as a multiple of one forward pass. A line per
    method (benchmarks/gradient_cost.py's JSON); a point over the time cap is circled."""
    from fitways.plots import plt, save

    figure, (seconds_panel, ratio_panel) = plt.subplots(1, 2, figsize=(14, 6), layout="constrained")
    for index, (name, result) in enumerate(document["cost"].items()):
        method = document["methods"][name]
        points = result["points"]
        if not points:  # stopped before its first n (jacfwd's memory limit)
            continue
        n = np.array([point["n"] for point in points])
        label = f"{name} ({method['mode']})"
        for panel, key in ((seconds_panel, "seconds"), (ratio_panel, "ratio")):
            values = np.array([point[key] for point in points])
            panel.plot(n, values, MODE_STYLE[method["mode"]], color=f"C{index}", label=label)
            if result["stopped"]:
                panel.plot(n[-1], values[-1], "o", markersize=14, markerfacecolor="none", color=f"C{index}")
    n_all = np.array(document["settings"]["n"])
    ratio_panel.plot(n_all, 2 * n_all, color="0.6", linewidth=4, alpha=0.4, label="2n: finite differences' passes")
    seconds_panel.axhline(document["settings"]["cap_seconds"], color="0.5", linestyle=":", label="time cap")
    seconds_panel.set(title="Seconds per gradient (circled: over the cap, the method stops there)",
                      ylabel="seconds per gradient (fastest round)")  # fmt: skip
    ratio_panel.set(title="Cost of one gradient in forward passes of the same framework",
                    ylabel="seconds per gradient / seconds per forward pass")  # fmt: skip
    for panel in (seconds_panel, ratio_panel):
        panel.set(xscale="log", yscale="log", xlabel="parameters n = 3H + 1")
        panel.grid(True, which="both", alpha=0.3)
    ratio_panel.legend(fontsize=8, loc="upper left")
    machine = document["machine"]
    figure.suptitle(f"Why reverse mode: ŷ = w2·tanh(W1·x + b1) + b2, batch {document['settings']['batch_size']}, "
                    f"MSE — {machine['cpu']}")  # fmt: skip
    save(figure, path)


def plot_gradient_accuracy(path, document):
    """Relative error of a central difference against the step h, one panel per problem, float32 and
    float64, with the textbook's h = 1e-6 marked and each curve's best h starred."""
    from fitways.plots import plt, save

    problems = document["accuracy"]
    size = (7 * len(problems), 5.5)
    figure, panels = plt.subplots(1, len(problems), figsize=size, layout="constrained", squeeze=False)
    titles = {"line": "line y = W·x + b (n = 2): a quadratic loss, no truncation error",
              "mlp": "MLP, H = 3 (n = 10): truncation ∝ h², rounding ∝ ε/h"}  # fmt: skip
    textbook = document["settings"]["textbook_step"]
    for panel, (problem, by_dtype) in zip(panels[0], problems.items()):
        for index, (dtype, found) in enumerate(by_dtype.items()):
            h = [step["h"] for step in found["steps"]]
            error = [step["error"] for step in found["steps"]]
            panel.plot(h, error, "o-", color=f"C{index}", label=dtype, markersize=4)
            best = found["best"]
            panel.plot(best["h"], best["error"], "*", color=f"C{index}", markersize=16,
                       label=f"{dtype} best: h = {best['h']:.0e}, error {best['error']:.1e}")  # fmt: skip
            panel.plot(textbook, found["textbook"]["error"], "kx", markersize=10)
        panel.axvline(textbook, color="k", linestyle=":", label=f"the textbook's h = {textbook:g}")
        panel.set(xscale="log", yscale="log", xlabel="step h", ylabel="max |difference − exact| / max |exact|",
                  title=titles.get(problem, problem))  # fmt: skip
        panel.invert_xaxis()
        panel.grid(True, which="both", alpha=0.3)
        panel.legend(fontsize=8)
    figure.suptitle("Central differences (L(θ + h·e_i) − L(θ − h·e_i)) / 2h against the exact gradient")
    save(figure, path)
