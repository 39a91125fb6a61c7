"""The README's benchmark table is computed from pytest-benchmark's JSON, not typed in."""

from benchmarks.summarize import summarize


def bench(impl, device, batch_size, median):
    return {
        "extra_info": {
            "impl": impl,
            "device": device,
            "batch_size": batch_size,
            "cpu": "test cpu",
            "python": "3",
            "tensorflow": "2",
            "keras": "3",
            "numpy": "2",
        },
        "stats": {"median": median},
    }


def test_table_gives_microseconds_and_speedup_over_gradient_tape():
    report = {
        "datetime": "2026-11-27T00:00:00",
        "benchmarks": [
            bench("gradient_tape", "cpu", 16, 800e-6),
            bench("tf_xla", "cpu", 16, 0.08e-6),
            bench("gradient_tape", "cpu", 4096, 900e-6),
            bench("numpy_manual", "cpu", 16, 4e-6),
        ],
    }
    lines = summarize(report).splitlines()
    assert lines[0] == "| trainer | cpu · batch 16 | cpu · batch 4096 |"
    assert "| gradient_tape | 800 µs (1×) | 900 µs (1×) |" in lines
    assert "| numpy_manual | 4 µs (200×) | — |" in lines
    assert "| tf_xla | 0.08 µs (10,000×) | — |" in lines
