"""Output is never lost, half-written or unreadable: atomic files, strict JSON, any terminal."""

import io
import json
import os
import stat
import subprocess
import sys

import pytest

from fitways import command
from fitways.output import OutputError, PlainWriter, path_problem, write_atomically
from fitways.report import to_json
from tests.helpers import strict_json

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QUICK = ["--impl", "numpy_manual", "--repeat", "1"]


def test_a_failed_write_leaves_the_old_file_whole(tmp_path):
    path = tmp_path / "results.json"
    path.write_text('{"old": true}\n')

    def fails_halfway(out):
        out.write(b'{"new": ')
        raise OSError(28, "No space left on device")

    with pytest.raises(OutputError, match=f"cannot write {path}: No space left on device"):
        write_atomically(str(path), fails_halfway)
    assert path.read_text() == '{"old": true}\n'
    assert os.listdir(tmp_path) == ["results.json"]  # no temporary file left behind


@pytest.mark.slow
def test_concurrent_writers_leave_one_complete_file(tmp_path):
    path = tmp_path / "results.json"
    documents = [{"writer": k, "payload": "x" * 200_000} for k in range(4)]
    script = (
        "import sys, json; from fitways.report import write_json; "
        "[write_json(sys.argv[1], {'writer': int(sys.argv[2]), 'payload': 'x' * 200000}) for _ in range(20)]"
    )
    writers = [
        subprocess.Popen([sys.executable, "-c", script, str(path), str(k)], cwd=ROOT) for k in range(len(documents))
    ]
    assert all(writer.wait(timeout=60) == 0 for writer in writers)
    assert strict_json(path.read_text()) in documents


def test_json_is_strict():
    with pytest.raises(ValueError):
        to_json({"W": float("nan")})
    with pytest.raises(ValueError, match="non-finite"):
        strict_json('{"W": NaN}')  # the tests' own parser rejects what json.loads accepts
    assert json.loads('{"W": NaN}')


@pytest.mark.parametrize(
    "make, reason",
    [
        (lambda d: str(d / ("x" * 300 + ".json")), "file name longer than"),
        (lambda d: os.symlink(d / "nowhere" / "x.json", d / "dangling.json") or str(d / "dangling.json"), "symbolic link to nothing"),
        (lambda d: str(d / "missing" / "x.json"), "does not exist"),
    ],
    ids=["name too long", "dangling link", "missing directory"],
)
def test_unwritable_paths_are_known_before_training(tmp_path, make, reason):
    assert reason in path_problem(make(tmp_path), ".json")


def test_a_read_only_directory_is_refused_up_front(tmp_path, capsys):
    if os.geteuid() == 0:
        pytest.skip("root writes anywhere; the permission check cannot fail here")
    os.chmod(tmp_path, 0o500)
    assert "cannot write there" in path_problem(str(tmp_path / "x.json"), ".json")


def test_same_path_for_json_and_plot_is_an_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        command.main([*QUICK, "--json", "out.json", "--plot", "out.json"])
    assert exit_info.value.code == 2


def test_a_write_that_fails_after_training_is_one_line_exit_1_and_the_table_stays(tmp_path, capsys, monkeypatch):
    path = tmp_path / "out.json"

    def disk_full(path, write):
        raise OutputError(f"cannot write {path}: No space left on device")

    monkeypatch.setattr("fitways.report.write_atomically", disk_full)
    assert command.run([*QUICK, "--json", str(path)]) == 1  # fitways.signals.run_command says why, once for every command
    captured = capsys.readouterr()
    assert "verdict:" in captured.out
    assert captured.err.splitlines()[-1] == f"error: cannot write {path}: No space left on device"


@pytest.mark.slow
def test_plot_writes_a_png(tmp_path):
    path = tmp_path / "compare.png"
    assert command.main([*QUICK, "--impl", "keras_fit_tuned", "--plot", str(path)]) == 0
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 20_000


def test_plain_writer_gives_ascii_stand_ins():
    raw = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    writer = PlainWriter(raw)
    writer.write("µs/update 3.0× |Δ fit| y = 2·x − 1 — ok ☃\n")
    writer.flush()
    assert raw.buffer.getvalue() == b"us/update 3.0x |d fit| y = 2*x - 1 - ok ?\n"


@pytest.mark.slow
@pytest.mark.parametrize("encoding", ["latin-1", "ascii"])
def test_a_terminal_without_utf8_gets_the_table_and_the_help(encoding):
    env = {**os.environ, "PYTHONIOENCODING": encoding}
    for argv in ([*QUICK], ["--help"]):
        done = subprocess.run(
            [sys.executable, "compare.py", *argv], cwd=ROOT, capture_output=True, env=env, timeout=120
        )
        assert done.returncode == 0, done.stderr
        assert b"Traceback" not in done.stderr
        done.stdout.decode("ascii" if encoding == "ascii" else "latin-1")
    assert b"us/update" in subprocess.run(
        [sys.executable, "compare.py", *QUICK], cwd=ROOT, capture_output=True, env=env, timeout=120
    ).stdout


@pytest.mark.slow
@pytest.mark.parametrize(
    "stderr, trainers",
    [("2>&-", [*QUICK, "--impl", "tf_function"]), ("2</dev/null", QUICK)],  # TensorFlow redirects fd 2 too
    ids=["closed", "read-only"],
)
def test_a_closed_stderr_does_not_stop_the_run(stderr, trainers):
    """2>&- closes fd 2; a launcher script (pyenv's shim) then leaves a read-only file there."""
    done = subprocess.run(  # the shell sets up fd 2, then becomes compare.py
        ["sh", "-c", f'exec "$0" "$@" {stderr}', sys.executable, "compare.py", *trainers],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        timeout=120,
        text=True,
    )
    assert done.returncode == 0 and "verdict:          all" in done.stdout and "runs converged" in done.stdout
    assert "[1/" not in done.stdout  # progress does not spill into stdout


# What the path is stays what it was (issue 19, class 6).


def write(path, text="new\n"):
    write_atomically(str(path), lambda out: out.write(text.encode()))


def test_a_symbolic_link_is_written_through_and_stays_a_link(tmp_path):
    target, link = tmp_path / "real.json", tmp_path / "link.json"
    target.write_text("old\n")
    link.symlink_to(target)
    write(link)
    assert link.is_symlink() and target.read_text() == "new\n"
    assert sorted(os.listdir(tmp_path)) == ["link.json", "real.json"]


def test_a_hard_link_keeps_seeing_the_new_content(tmp_path):
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.write_text("old\n")
    os.link(first, second)
    write(first)
    assert second.read_text() == "new\n" and os.stat(first).st_ino == os.stat(second).st_ino


def test_an_existing_file_keeps_its_mode(tmp_path):
    path = tmp_path / "private.json"
    path.write_text("old\n")
    os.chmod(path, 0o600)
    write(path)
    assert path.read_text() == "new\n" and os.stat(path).st_mode & 0o777 == 0o600


def test_a_fifo_is_refused_up_front_and_never_replaced(tmp_path):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    assert "is not a regular file" in path_problem(str(fifo), ".json")
    with pytest.raises(OutputError, match="not a regular file"):
        write(fifo)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and os.listdir(tmp_path) == ["pipe.json"]


def test_the_name_length_check_leaves_room_for_the_temporary_file(tmp_path):
    limit = os.pathconf(tmp_path, "PC_NAME_MAX")
    longest = tmp_path / ("x" * (limit - 10 - len(".json")) + ".json")
    assert path_problem(str(longest), ".json") is None
    write(longest)  # the temporary name, 10 bytes longer, fits
    assert longest.read_text() == "new\n"
    one_more = tmp_path / ("x" * (limit - 9 - len(".json")) + ".json")
    assert f"file name longer than {limit - 10} bytes" in path_problem(str(one_more), ".json")
