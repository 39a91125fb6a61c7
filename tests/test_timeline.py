"""benchmarks/timeline.py on a small trace built by hand (no TensorFlow), and the command end to end."""

import subprocess
import sys
from types import SimpleNamespace as Plain

import pytest

from benchmarks import timeline


def small_trace():
    """One thread: an eager Mul (runtime around its kernel), then a gap, then an XLA executable running
    a fusion; a second thread: a graph op. Times in ps from the line's start, the line at 1000 ns."""
    names = ["EagerExecute", "EagerLocalExecute: Mul", "CpuExecutable::ExecuteAsyncOnStream", "fusion.3",
             "end: fusion.3", "ThreadpoolListener::Record", "StatefulPartitionedCall/sub:Sub"]  # fmt: skip
    metadata = {index: Plain(name=name) for index, name in enumerate(names)}

    def event(index, offset_us, duration_us):
        return Plain(metadata_id=index, offset_ps=offset_us * 1e6, duration_ps=duration_us * 1e6)

    python = Plain(name="python", timestamp_ns=1000, events=[
        event(0, 0, 10), event(1, 2, 6), event(2, 30, 10), event(3, 32, 4), event(4, 36, 0), event(5, 38, 0)])  # fmt: skip
    compute = Plain(name="tf_Compute", timestamp_ns=1000, events=[event(6, 50, 5)])
    return Plain(planes=[Plain(event_metadata=metadata, lines=[python, compute])])


def test_events_are_in_microseconds_from_the_first_and_markers_are_dropped():
    found = timeline.events(small_trace())
    assert [e.name for e in found][:2] == ["EagerExecute", "EagerLocalExecute: Mul"]
    assert not any(e.name.startswith(("end: ", "ThreadpoolListener")) for e in found)
    assert found[0].start_us == 0 and found[1].start_us == pytest.approx(2) and found[1].duration_us == pytest.approx(6)


def test_bars_nest_and_tell_kernels_from_the_runtime():
    laid = {bar.label: bar for bar in timeline.bars(timeline.events(small_trace()))}
    assert (laid["EagerExecute"].depth, laid["EagerExecute"].kernel) == (0, False)
    assert (laid["Mul"].depth, laid["Mul"].kernel) == (1, True)  # inside EagerExecute
    assert (laid["fusion.3"].depth, laid["fusion.3"].kernel) == (1, True)  # a thunk inside XLA's executable
    assert laid["CpuExecutable::ExecuteAsyncOnStream"].depth == 0  # EagerExecute had ended: not its parent
    assert (laid["Sub"].thread, laid["Sub"].kernel) == ("tf_Compute", True)


def test_busy_fraction_counts_kernel_time_over_the_span():
    laid = timeline.bars(timeline.events(small_trace()))
    assert timeline.busy_fraction(laid) == pytest.approx((6 + 4 + 5) / 55)  # Mul, fusion.3, Sub over 0-55 µs
    # control: a bar that is not a kernel adds nothing
    assert timeline.busy_fraction([bar._replace(kernel=False) for bar in laid]) == 0


def test_kernel_labels():
    assert timeline.kernel_label("EagerLocalExecute: AssignSubVariableOp", False) == "AssignSubVariableOp"
    assert timeline.kernel_label("EagerLocalExecute: __inference_update_12", False) is None
    assert timeline.kernel_label("StatefulPartitionedCall/gradient_tape/Mul_1:Mul", False) == "Mul"
    assert timeline.kernel_label("KernelAndDeviceFunc::Run", False) is None
    assert timeline.kernel_label("copy.13", True) == "copy.13"


def test_draw_writes_a_png(tmp_path):
    laid = timeline.bars(timeline.events(small_trace()))
    timeline.draw(tmp_path / "t.png", {"small": laid, "again": laid})
    assert (tmp_path / "t.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("out", ["x.svg", "/nonexistent/t.png"])
def test_a_bad_out_is_one_line_and_exit_2(out, capsys):
    with pytest.raises(SystemExit) as exit_info:
        timeline.parse(["--out", out])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.count("\n") == 1


@pytest.mark.slow
def test_the_command_traces_the_three_ways(tmp_path):
    done = subprocess.run([sys.executable, "-m", "benchmarks.timeline", "--out", str(tmp_path / "t.png")],
                          capture_output=True, text=True, timeout=180)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert len(lines) == 3 and all("kernels busy" in line for line in lines)
    kernels = [int(line.split(" kernels")[0].rsplit(", ", 1)[1]) for line in lines]
    assert all(count > 0 for count in kernels)
    assert (tmp_path / "t.png").exists()


def test_an_unwritable_profile_directory_is_one_line_and_exit_2(tmp_path, capsys):
    from fitways.command import main

    (tmp_path / "file").write_text("")
    for bad in [tmp_path / "file", tmp_path / "file" / "below"]:
        with pytest.raises(SystemExit) as exit_info:
            main(["--impl", "numpy_manual", "--profile", str(bad)])
        assert exit_info.value.code == 2
        err = capsys.readouterr().err
        assert err.startswith("error: --profile ") and err.count("\n") == 1


@pytest.mark.slow
def test_profile_writes_the_trace_tensorboard_opens(tmp_path, capsys):
    from fitways.command import main

    assert main(["--impl", "tf_function", "--repeat", "1", "--profile", str(tmp_path / "profile")]) == 0
    assert list((tmp_path / "profile").glob("plugins/profile/*/*.xplane.pb"))  # where TensorBoard looks
    assert "tensorboard --logdir" in capsys.readouterr().err
