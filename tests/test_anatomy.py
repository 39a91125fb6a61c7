"""benchmarks/anatomy.py runs, and the counts it prints (from benchmarks/anatomy_study.py) match counts made here another way."""

import importlib
import json
import os
import re
import subprocess
import sys

import pytest

from fitways.frameworks import FRAMEWORKS
from impls.problem import Config, make_data

pytestmark = pytest.mark.slow
CONFIG = Config()
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # where benchmarks/anatomy.py is found


@pytest.fixture(scope="module")
def anatomy():
    """benchmarks.anatomy_study imports TensorFlow as it loads: load it through the harness first, in the suite's order."""
    FRAMEWORKS["tensorflow"].load()
    return importlib.import_module("benchmarks.anatomy_study")


def lesson(name):
    return importlib.import_module(f"impls.{name}")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The command's output with a small --repeat (its timings are not checked, only its counts), and
    the figures it wrote with --json."""
    path = tmp_path_factory.mktemp("anatomy") / "anatomy.json"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.anatomy", "--repeat", "3", "--json", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, json.loads(path.read_text())


@pytest.fixture(scope="module")
def printed(run):
    return run[0]


def test_the_json_holds_the_figures_printed(run):
    text, figures = run
    assert number_after(text, r"(\d+) ops dispatched per update") == figures["ops"]
    assert figures["ops_forward"] + figures["ops_gradient"] + figures["ops_apply"] == figures["ops"]
    assert f"{figures['gradient_tape']['whole']:.1f}" in text and f"{figures['phases_sum']:.1f}" in text
    assert number_after(text, r"fit makes (\d+) Python function calls") == figures["fit_calls"]


def number_after(text, pattern):
    match = re.search(pattern, text)
    assert match, f"{pattern!r} not in the output"
    return int(match.group(1))


def test_eager_ops_are_those_the_profiler_sees(printed, anatomy):
    """The op callback (a private hook) against tf.profiler's trace: same ops, same order, except the
    _EagerConst ops the profiler also traces."""
    trainer = lesson("gradient_tape").Trainer(CONFIG, make_data(CONFIG))
    x, y = trainer.batches[0]
    trainer.update(x, y)
    ops = [op.type for op in anatomy.eager_ops(trainer, x, y)]
    kernels = anatomy.eager_kernels(trainer, x, y)
    assert ops == [kernel for kernel in kernels if kernel != "_EagerConst"]
    assert ops.count("AssignSubVariableOp") == 2 and "Square" in ops and "Mean" in ops
    assert number_after(printed, r"(\d+) ops dispatched per update") == len(ops)
    assert number_after(printed, r"tf.profiler sees (\d+) kernels") == len(kernels)


def test_graph_op_count_is_the_traced_graph_s(printed, anatomy):
    trainer = lesson("tf_function").Trainer(CONFIG, make_data(CONFIG))
    operations = trainer.update.get_concrete_function().graph.get_operations()
    assert number_after(printed, r"update's graph: (\d+) ops") == len(operations)


def test_fusion_count_is_the_hlo_s(printed, anatomy):
    """Counted here from the HLO text another way: only a fusion instruction carries a fusion kind."""
    trainer = lesson("tf_xla").Trainer(CONFIG, make_data(CONFIG))  # held: train_loop keeps only a weak reference to it
    hlo = trainer.train_loop.experimental_get_compiler_ir(False)(stage="optimized_hlo")
    fusions = len(re.findall(r"\bkind=k[A-Z]\w*", hlo))
    assert fusions > 0
    assert number_after(printed, r"(\d+) fusions:") == fusions
    assert number_after(printed, r"(\d+) while loop") == len(re.findall(r"\swhile\(", hlo)) == 1


def test_numpy_calls_are_counted(anatomy):
    """15 numpy calls per update: 3 for the residual, 4 + 4 for loss and gradient, 4 to apply."""
    trainer = anatomy.numpy_manual.Trainer(CONFIG, make_data(CONFIG))
    calls = anatomy.numpy_calls(trainer, *trainer.batches[0])
    assert [name for _, name in calls][:3] == ["multiply", "add", "subtract"]
    assert len(calls) == 15
    assert (trainer.W, trainer.b) == (CONFIG.W0, CONFIG.b0)  # counting left the trainer as it was


@pytest.mark.parametrize("value", ["0", "x", "-3", "2.5", "10001"])
def test_bad_repeat_is_one_line_and_exit_2(value, capsys):
    from benchmarks import anatomy as script  # it parses before it imports TensorFlow

    with pytest.raises(SystemExit) as exit:
        script.main(["--repeat", value])
    assert exit.value.code == 2
    out, err = capsys.readouterr()
    assert (out, err) == ("", f"error: --repeat must be an integer between 1 and 10000, got {value!r}\n")
