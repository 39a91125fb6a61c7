"""The physical limit: the bound's arithmetic (counts and units) on cases checked by hand, the machine
command's bad input (one line, exit 2), and — slow — the machine measured end to end on a tiny range.
The fast tests import no framework and no numba: the bound is arithmetic on a dictionary."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from benchmarks import bench_trainers, sweep_width
from benchmarks.benchmark_table import summarize
from benchmarks.limit import (
    BENCHMARK_SAMPLES,
    WIDTH_SWEEP_SAMPLES,
    Counts,
    bound,
    level_of,
    limit_document,
    line_counts,
    markdown_against,
    markdown_bound,
    markdown_closest,
    markdown_machine,
    markdown_tanh,
    markdown_variants,
    markdown_worked,
    mlp_counts,
    sum_latency,
)
from benchmarks.machine import cache_sizes, instruction_mix, level_sizes, parse_size, spread, working_sets

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KIB, MIB = 2**10, 2**20
CACHES = {"L1": 48 * KIB, "L2": 1 * MIB, "L3": 32 * MIB}


def figure(best, worst):
    """A measured figure whose best repeat is `best` (median and worst beside it, to be ignored)."""
    low, high = sorted([best, worst])
    return {"median": (best + worst) / 2, "min": low, "max": high, "repeats": 3}


def rate(best):  # a rate's best repeat is its max
    return figure(best, best / 2)


def latency(best):  # a latency's best repeat is its min
    return figure(best, best * 2)


def machine(cpu="test cpu"):
    """Round numbers: L3 reads 1e11 B/s (1 byte in 0.01 ns), 1e11 FMA/s, 1e8 tanh/s, 1 ns an FMA."""
    return {
        "machine": {"cpu": cpu},
        "when": "today",
        "caches": CACHES,
        "levels": {
            level: {"bytes": 1, "bytes_per_second": rate(bandwidth)}
            for level, bandwidth in (("L1", 4e11), ("L2", 2e11), ("L3", 1e11), ("memory", 5e10))
        },  # fmt: skip
        "fma_latency_seconds": latency(1e-9),
        "sum_latency": [{"n": 16, "seconds": latency(5e-9)}, {"n": 256, "seconds": latency(20e-9)}],
        "fma_per_second": rate(1e11),
        "tanh_per_second": rate(1e8),
        "tanh_per_second_numba": rate(1e7),
        "repeat": 3,
        "command": "python -m benchmarks.machine",
        "load_average": {"before": 0.5, "after": 0.6},
    }


def test_the_lines_counts_per_update():
    """8 bytes a sample; 4 multiply-adds a sample (2 for r = W·x + b − y, 1 each for Σ r·x and Σ r) and 2
    for W and b; a sum over the batch, then one multiply-add, between one update and the next."""
    assert line_counts(16) == Counts(data_bytes=128, parameter_bytes=0, fma=66, tanh=0, chain_sums=(16,), chain_fmas=1)


def test_the_networks_counts_per_update():
    """B = 2, H = 3: 16 bytes of data; 10 parameters read and written, 80 bytes; 8·6 + 2·2 + 9 + 1 = 62
    multiply-adds; 6 tanh; sums over H then B, and 3 multiply-adds."""
    assert mlp_counts(2, 3) == Counts(16, 80, 62, 6, (3, 2), 3)


def test_the_data_lives_in_the_smallest_level_that_holds_it():
    assert [level_of(size, CACHES) for size in (48 * KIB, 48 * KIB + 1, 8 * MIB, 32 * MIB + 1)] == [
        "L1", "L2", "L3", "memory"]  # fmt: skip
    assert level_of(8 * BENCHMARK_SAMPLES, CACHES) == "L3"  # the benchmarks' 2^20 samples: 8 MiB


def test_a_sum_below_the_smallest_measured_size_costs_nothing_and_between_sizes_the_smaller():
    measured = machine()
    assert sum_latency(measured, 8) == 0
    assert sum_latency(measured, 16) == 5e-9 and sum_latency(measured, 255) == 5e-9
    assert sum_latency(measured, 2**20) == 20e-9  # past the largest: its value, still a lower bound


def test_the_bound_at_a_small_batch_is_the_chain_and_at_a_large_one_memory():
    """Batch 16, data in L3: memory 128 B / 1e11 B/s = 1.28 ns, arithmetic 66 / 1e11 = 0.66 ns, chain
    5 ns + 1 ns = 6 ns: the chain. Batch 4096: memory 32,768 B → 327.68 ns, arithmetic 163.86 ns,
    chain 20 + 1 ns: memory. The best repeat counts (the medians would give other numbers)."""
    small = bound(line_counts(16), machine(), samples=2**20)
    assert small["level"] == "L3" and small["resource"] == "latency"
    assert small["terms"] == pytest.approx({"memory": 1.28e-9, "arithmetic": 0.66e-9, "tanh": 0, "latency": 6e-9})
    assert small["seconds"] == pytest.approx(6e-9)
    large = bound(line_counts(4096), machine(), samples=2**20)
    assert large["resource"] == "memory" and large["seconds"] == pytest.approx(327.68e-9)
    assert large["terms"]["arithmetic"] == pytest.approx(163.86e-9) and large["terms"]["latency"] == pytest.approx(
        21e-9
    )
    in_l1 = bound(line_counts(4096), machine(), samples=4096)  # 32 KiB of data: L1, at 4e11 B/s
    assert in_l1["level"] == "L1" and in_l1["resource"] == "arithmetic" and in_l1["seconds"] == pytest.approx(163.86e-9)


def test_the_networks_bound_is_its_tanh_when_tanh_is_slow():
    """B = 2, H = 3: 6 tanh at 1e8/s = 60 ns; memory 16 B (2^16 samples, 512 KiB: L2) / 2e11 + 80 B
    (40 B of parameters: L1) / 4e11 = 0.08 + 0.2 ns; arithmetic 0.62 ns; chain 0 (sums over 3 and 2:
    below 16) + 3 ns."""
    result = bound(mlp_counts(2, 3), machine(), samples=2**16)
    assert result["parameter_level"] == "L1" and result["resource"] == "tanh"
    assert result["terms"] == pytest.approx({"memory": 0.28e-9, "arithmetic": 0.62e-9, "tanh": 60e-9, "latency": 3e-9})


def sweep(cpu, times):
    return {"samples": 2**21, "machine": {"cpu": cpu},
            "points": [{"trainer": name, "device": "cpu", "batch_size": size, "seconds_per_update": seconds}
                       for name, line in times.items() for size, seconds in line.items()]}  # fmt: skip


def width(cpu):
    return {"batch_size": 2, "machine": {"cpu": cpu}, "points": {"jax_loop on cpu": [[3, 1e-6, True]]}}


def bench(trainer, size, seconds, cpu="other cpu"):
    info = {"trainer": trainer, "device": "cpu", "batch_size": size, "cpu": cpu, "python": "3",
            "seconds_per_update": seconds}  # fmt: skip
    return {"extra_info": info, "stats": {"median": seconds}}


def document(sweep_cpu="test cpu"):
    line = sweep(sweep_cpu, {"numba_loop": {16: 12e-9, 4096: 400e-9}, "tf_xla": {16: 60e-9, 4096: 1e-6}})
    report = {"benchmarks": [bench("numba_loop", 16, 12e-9), bench("tf_xla", 4096, 1e-6)]}
    sources = {"line": ("batch_sweep.json", line), "benchmarks": ("benchmarks.json", report),
               "mlp_width": ("width_sweep.json", width(sweep_cpu))}  # fmt: skip
    return limit_document(machine(), sources)


def test_each_trainer_is_a_multiple_of_the_bound_and_the_source_machine_is_compared():
    limit = document()
    small, large = limit["line"]["points"]
    assert small["value"] == 16 and small["trainers"]["numba_loop"]["times_limit"] == pytest.approx(2.0)  # 12 / 6 ns
    assert large["trainers"]["tf_xla"]["times_limit"] == pytest.approx(1e-6 / 327.68e-9)
    assert limit["line"]["same_machine"] and not limit["benchmarks"]["same_machine"]
    assert limit["mlp_width"]["points"][0]["counts"] == {"data_bytes": 16, "parameter_bytes": 80, "fma": 62, "tanh": 6,
                                                         "chain_sums": (3, 2), "chain_fmas": 3}  # fmt: skip
    assert not document("another cpu")["line"]["same_machine"]


def test_the_markdown_is_whole_tables_and_paragraphs():
    limit = document()
    bound_table = markdown_bound(limit).strip().splitlines()
    assert bound_table[0].startswith("| batch | data in | bytes |") and len(bound_table) == 4
    assert "| 16 | L3 | 128 | 66 | 0 |" in bound_table[2] and bound_table[2].endswith("| **0.006** | latency |")
    against = markdown_against(limit)
    assert "| 16 | 0.006 | 2.0× (1.0×) | 10× (5.0×) |" in against
    said = markdown_closest(limit)
    assert "set by latency at batch 16" in said and "numba_loop at batch 16 (2.0×)" in said
    assert "| read bandwidth, L3" in markdown_machine(machine())


def test_the_worked_example_the_variants_and_the_tanh_paragraph():
    """The worked example says each term's count and rate; --here's variants and XLA's tanh rate are set
    against the same bound (16 at 6 ns: numba_loop 30 ns is 5×; 4096 at 327.68 ns)."""
    here = {**sweep("test cpu", {"numba_loop": {16: 30e-9}}), "samples": 2**20,
            "variants": [{"variant": "numba_loop", "batch_size": 16, "seconds": latency(30e-9)},
                         {"variant": "float32 sums", "batch_size": 16, "seconds": latency(9e-9)}],
            "variants_are": {"float32 sums": "summed in float32"}, "xla_tanh_per_second": rate(2.5e7)}  # fmt: skip
    sources = {"benchmarks": ("benchmarks.json", {"benchmarks": [bench("numba_loop", 16, 12e-9)]}),
               "here": ("limit_here.json", here), "mlp_width": ("width_sweep.json", width("test cpu"))}  # fmt: skip
    limit = limit_document(machine(), sources)
    worked = markdown_worked(limit, "benchmarks", 16)
    assert "Memory: 128 bytes ÷ 100 GB/s = 1.28 ns" in worked and "66 multiply-adds ÷ 100 G/s = 0.66 ns" in worked
    assert "a dependent sum over 16 (5 ns, measured at 16) + 1 multiply-add (1 ns each) = 6 ns" in worked
    assert worked.endswith("The largest term, latency, is the bound: 6 ns per update.")
    assert "| 16 | 6 | 30 (5.0×) | 9 (1.5×) |" in markdown_variants(limit)
    tanh = markdown_tanh(limit)  # 6 tanh at 2.5e7/s = 240 ns, 4× the bound of 60 ns
    assert "4.0× slower" in tanh and "take 0.24 µs at XLA's rate, 4.0× the bound" in tanh


def test_the_benchmark_summary_gains_a_limit_column():
    limit = document()
    report = {"benchmarks": [bench("numba_loop", 16, 12e-9), bench("tf_xla", 4096, 1e-6)]}
    lines = summarize(report, limit).splitlines()
    assert (
        lines[0] == "| trainer | cpu · batch 16 | × floor | × limit | cpu · batch 4096 | × floor | × limit | per call |"
    )
    assert "| numba_loop | 0.012 µs | 1.0× | 2.0× | — | — | — | — |" in lines
    assert "| tf_xla | — | — | — | 1 µs | — | 3.1× | — |" in lines  # 1 µs / 327.68 ns; no floor at 4096
    assert lines[-1].endswith("measured on test cpu (another machine than these times)")
    assert "× limit" not in summarize(report)  # without the bound, the table the README renders


def test_the_sample_counts_the_module_states_are_the_scripts():
    assert BENCHMARK_SAMPLES == bench_trainers.SAMPLES and WIDTH_SWEEP_SAMPLES == sweep_width.SAMPLES


def test_cache_sizes_are_read_from_sysfs(tmp_path):
    for index, (level, kind, size) in enumerate([(1, "Data", "48K"), (1, "Instruction", "32K"), (2, "Unified", "1024K"),
                                                 (3, "Unified", "32768K")]):  # fmt: skip
        folder = tmp_path / f"index{index}"
        folder.mkdir()
        for name, value in (("level", level), ("type", kind), ("size", size)):
            (folder / name).write_text(f"{value}\n")
    assert cache_sizes(str(tmp_path)) == CACHES
    assert cache_sizes(str(tmp_path / "missing")) == {}
    assert parse_size("32M") == 32 * MIB and parse_size("512") == 512


def test_the_working_sets_span_the_levels():
    levels = level_sizes(CACHES, 256 * MIB)
    assert levels == {"L1": 24 * KIB, "L2": 512 * KIB, "L3": 8 * MIB, "memory": 256 * MIB}
    assert level_sizes(CACHES, 64 * KIB) == {"L1": 24 * KIB}
    assert working_sets(4 * KIB, 64 * KIB, [24 * KIB]) == [4 * KIB, 8 * KIB, 16 * KIB, 24 * KIB, 32 * KIB, 64 * KIB]
    assert spread([3, 1, 2]) == {"median": 2, "min": 1, "max": 3, "repeats": 3}


def test_the_read_arrays_start_on_a_cache_line():
    from benchmarks.machine import aligned_ones

    for count in (1, 6144, 6145):
        array = aligned_ones(count)
        assert array.ctypes.data % 64 == 0 and len(array) == count and array.dtype == "float32" and array.sum() == count


def test_the_instruction_mix_counts_vector_widths():
    asm = "\tvaddps\t(%rcx), %zmm2, %zmm2\n\tvaddps\t%zmm3, %zmm2, %zmm2\n\tvaddss\t%xmm3, %xmm2, %xmm2\n\tmovq\t%rax, %rbx"
    assert instruction_mix(asm, {"vaddps", "vaddss"}) == {"vaddps zmm": 2, "vaddss xmm": 1}


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--min-size", "0"], "--min-size must be between 64 bytes"),
        (["--max-size", "-5"], "--max-size must be between 64 bytes"),
        (["--min-size", "1048576", "--max-size", "4096"], "must not be below --min-size"),
        (["--max-size", str(2**40)], "--max-size must be between"),
        (["--repeat", "0"], "--repeat must be between 1 and 100"),
        (["--seconds", "nan"], "--seconds must be between"),
        (["--min-size", "lots"], "must be an integer"),
        (["--json", "out.txt"], "--json must name a .json file"),
    ],
)
def test_the_machine_commands_bad_input_is_one_line_and_exit_2(capsys, arguments, message):
    from benchmarks.machine import main

    with pytest.raises(SystemExit) as exit_:
        main(arguments)
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.count("\n") == 1 and message in err, err


def test_the_limit_commands_bad_input_is_one_line_and_exit_2(tmp_path, capsys):
    from benchmarks.limit import main

    for arguments, message in ((["--docs", str(tmp_path)], "cannot compute the bound"),
                               (["--here", "no_such_trainer"], "--here no_such_trainer: --problem line has no lesson of that name")):  # fmt: skip
        with pytest.raises(SystemExit) as exit_:
            main(arguments)
        err = capsys.readouterr().err
        assert exit_.value.code == 2 and err.count("\n") == 1 and message in err, err


@pytest.mark.slow
def test_the_machine_is_measured_end_to_end_on_a_tiny_range(tmp_path):
    """--quick: 4–64 KiB, two repeats; JSON and PNG written, every figure finite and positive. The bound
    then needs L3 and main memory, which so small a run did not measure: one line, exit 2."""
    out = tmp_path / "machine.json"
    run = subprocess.run([sys.executable, "-m", "benchmarks.machine", "--quick", "--json", str(out),
                          "--out", str(tmp_path / "machine.png")], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)  # fmt: skip
    assert run.returncode == 0, run.stderr
    measured = json.loads(out.read_text())
    assert (tmp_path / "machine.png").stat().st_size > 0
    assert set(measured["levels"]) == {"L1"} and all(p["bytes"] <= 64 * KIB for p in measured["bandwidth"])
    for key in ("fma_latency_seconds", "fma_per_second", "tanh_per_second"):
        assert (
            0 < measured[key]["min"] <= measured[key]["median"] <= measured[key]["max"]
            and measured[key]["repeats"] == 2
        )
    assert [p["n"] for p in measured["sum_latency"]] == [16, 64, 256, 1024, 4096]
    assert any(key.endswith("zmm") or key.endswith("ymm") for key in measured["code"]["read"])  # vectorised
    for name in ("batch_sweep.json", "width_sweep.json"):
        shutil.copy(os.path.join(ROOT, "docs", name), tmp_path / name)
    limit = subprocess.run([sys.executable, "-m", "benchmarks.limit", "--docs", str(tmp_path)], cwd=ROOT,
                           capture_output=True, text=True, timeout=300)  # fmt: skip
    assert limit.returncode == 2 and "measured no bandwidth for L3" in limit.stderr, limit.stderr
