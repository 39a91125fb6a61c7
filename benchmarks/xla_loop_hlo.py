"""What XLA runs per update: the body of tf_xla's and jax_loop's compiled loop, kernel by kernel.

    python -m benchmarks.xla_loop_hlo > docs/xla_loop_hlo.txt

For each batch size, the optimized HLO's while-loop body, one line per instruction (metadata cut),
and for each fusion (one compiled kernel) the instructions fused into it. numba_loop's update is one
pass over the batch with two running sums; this shows what XLA's is instead. Then the same for
jax_loop's update written as one pass (ONE_PASS below: both sums from one variadic reduction), and
the fitted µs per update of jax_loop, that one-pass loop and numba_loop, timed the way compare.py
times (fitways.timing), so that whether one kernel closes the gap is measured, not assumed.
"""

import dataclasses
import re
import statistics
import sys
from collections import Counter

from benchmarks import docstring
from benchmarks.hlo import computations, opcode, short
from fitways.cli import Parser
from fitways.frameworks import load
from fitways.signals import run_command
from impls.problem import Config, make_data

BATCH_SIZES = [256, 4096]
SAMPLES = 2**20


def optimized_hlo(name, config, data):
    if name == "jax_loop":
        from impls import jax_loop

        trainer = jax_loop.Trainer(config, data)
        return jax_loop.train_loop.lower(config, False, trainer.params, trainer.x, trainer.y).compile().as_text()
    from benchmarks.anatomy_study import optimized_hlo as tf_optimized_hlo
    from impls import tf_xla

    return tf_optimized_hlo(tf_xla.Trainer(config, data))


def loop_body(hlo):
    """The lines of the while loop's body, and {fusion name: its fused opcodes, counted}."""
    parts = computations(hlo)
    whiles = [line for lines in parts.values() for line in lines if opcode(line) == "while"]
    body = re.search(r"body=%(\S+?)[,\s]", whiles[0] + " ")[1]
    fused = {}
    for line in parts[body]:
        called = re.search(r"calls=%(\S+?)[,\s]", line + " ")
        if opcode(line) == "fusion" and called:
            ops = Counter(opcode(inner) for inner in parts[called[1]] if opcode(inner) not in ("parameter", "constant"))
            fused[line.split(" = ")[0]] = ops
    return parts[body], fused


def one_pass_loop(config):
    """jax_loop's loop with the gradient written by hand as one reduction: lax.reduce over the pair
    (r·x, r) at once, which XLA can fuse with the residual into a single kernel."""
    import functools

    import jax
    import jax.numpy as jnp
    from jax import lax

    size, lr = config.batch_size, config.lr

    @functools.partial(jax.jit, static_argnums=0)
    def train_loop(updates, params, x, y):
        def one_update(params, update):
            W, b = params
            start = (update % config.batches_per_epoch) * size
            xs, ys = lax.dynamic_slice(x, [start], [size]), lax.dynamic_slice(y, [start], [size])
            r = W * xs + b - ys
            zero = jnp.float32(0)
            sum_rx, sum_r = lax.reduce((r * xs, r), (zero, zero), lambda a, c: (a[0] + c[0], a[1] + c[1]), (0,))
            return (W - lr * 2 * sum_rx / size, b - lr * 2 * sum_r / size), None

        return lax.scan(one_update, params, jnp.arange(updates))[0]

    return train_loop


def per_update_us(train, updates):
    """µs per update of train(updates) (blocking until the result is on the host), fitted like compare.py."""
    from fitways.timing import fit_line, timed

    seconds = {}
    for n in (updates, 10 * updates):
        train(n)
        seconds[n] = statistics.median(timed(lambda n=n: train(n))[1] for _ in range(7))
    return fit_line(seconds)[1] * 1e6


def timings(config, data):
    import jax.numpy as jnp
    import numpy as np

    from impls import jax_loop, numba_loop

    x, y = data.x[: config.used_samples], data.y[: config.used_samples]
    jx, jy = jnp.asarray(x), jnp.asarray(y)
    params = (jnp.float32(config.W0), jnp.float32(config.b0))
    one_pass = one_pass_loop(config)
    start = {"W": jnp.float32(config.W0), "b": jnp.float32(config.b0)}

    def jax_train(n):
        return float(jax_loop.train_loop(dataclasses.replace(config, updates=n), False, start, jx, jy)[0]["W"])

    def numba_train(n):
        lr, delta, rows = np.float32(config.lr), np.float32(config.huber_delta), np.zeros((0, 3), np.float32)
        return numba_loop.train_loop(np.float32(config.W0), np.float32(config.b0), x, y, lr, n, config.batch_size,
                                     False, delta, rows)  # fmt: skip

    return {
        "jax_loop": per_update_us(jax_train, 1000),
        "one pass (variadic reduce)": per_update_us(lambda n: float(one_pass(n, params, jx, jy)[0]), 1000),
        "numba_loop": per_update_us(numba_train, 1000),
    }


def print_body(hlo):
    body, fused = loop_body(hlo)
    for line in body:
        if opcode(line) in ("parameter", "get-tuple-element", "tuple", "constant"):
            continue
        print(f"  {short(line)}")
        fusion = line.split(" = ")[0]
        if fusion in fused:
            print("      fused: " + ", ".join(f"{op} x{n}" if n > 1 else op for op, n in fused[fusion].items()))
    print()


def main(argv=None):
    parser = Parser(prog="python -m benchmarks.xla_loop_hlo", description=docstring(__file__).split("\n\n")[0])
    parser.parse_args(argv)  # no options: --help, and anything else is refused before the measurement
    load(["jax", "tensorflow", "numba"])
    for batch_size in BATCH_SIZES:
        config = Config(samples=SAMPLES, batch_size=batch_size, updates=1000)
        data = make_data(config)
        for name in ("tf_xla", "jax_loop"):
            hlo = optimized_hlo(name, config, data)
            print(f"== {name}, batch {batch_size}: {len(kernels(hlo))} kernels (fusions) per update")
            print_body(hlo)
        import jax.numpy as jnp

        x = jnp.asarray(data.x[: config.used_samples])
        params = (jnp.float32(config.W0), jnp.float32(config.b0))
        hlo = one_pass_loop(config).lower(1000, params, x, x).compile().as_text()
        print(f"== one pass (jax_loop's update as one variadic reduction), batch {batch_size}: "
              f"{len(kernels(hlo))} kernels (fusions) per update")  # fmt: skip
        print_body(hlo)
        print(f"== fitted us per update, batch {batch_size} (medians of 7 runs at 1000 and 10000 updates):")
        for name, us in timings(config, data).items():
            print(f"  {name:<28}{us:9.3f}")
        print()
    return 0


def kernels(hlo):
    return [line for line in loop_body(hlo)[0] if opcode(line) == "fusion"]


if __name__ == "__main__":
    sys.exit(run_command(main))
