"""classicmat.batch, ``classicmat batch`` and the progress display."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from classicmat import batch, cli
from classicmat._progress import Progress, format_duration
from classicmat.io import read_image


def _write_pair(images: Path, trimaps: Path, stem: str, pair, trimap_name: str | None = None):
    images.mkdir(parents=True, exist_ok=True)
    trimaps.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pair.image).save(images / f"{stem}.png")
    Image.fromarray(pair.trimap).save(trimaps / f"{trimap_name or stem}.png")


@pytest.fixture
def folders(tmp_path, synthetic_pair):
    """images/ with a, b (trimap b_trimap.png), c (corrupt), d (no trimap), e (wrong size)."""
    images, trimaps = tmp_path / "images", tmp_path / "trimaps"
    _write_pair(images, trimaps, "a", synthetic_pair)
    _write_pair(images, trimaps, "b", synthetic_pair, "b_trimap")
    _write_pair(images, trimaps, "c", synthetic_pair)
    (images / "c.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    Image.fromarray(synthetic_pair.image).save(images / "d.jpg")
    _write_pair(images, trimaps, "e", synthetic_pair)
    Image.fromarray(synthetic_pair.trimap[:, :20]).save(trimaps / "e.png")
    return images, trimaps


def test_find_pairs(folders):
    images, trimaps = folders
    pairs = {p.stem: p for p in batch.find_pairs(images, trimaps)}
    assert sorted(pairs) == ["a", "b", "c", "d", "e"]
    assert pairs["b"].trimap.name == "b_trimap.png"
    assert pairs["d"].trimap is None and "no trimap" in pairs["d"].problem
    Image.new("L", (4, 4)).save(trimaps / "a_trimap.png")
    assert "two trimaps match" in batch.find_pairs(images, trimaps)[0].problem


def test_same_folder_for_images_and_trimaps(tmp_path, synthetic_pair):
    _write_pair(tmp_path, tmp_path, "cat", synthetic_pair, "cat_trimap")
    pairs = batch.find_pairs(tmp_path, tmp_path)
    assert [(p.stem, p.trimap.name) for p in pairs] == [("cat", "cat_trimap.png")]


def test_cli_batch_reports_each_bad_file_and_writes_the_others(folders, tmp_path, capsys):
    images, trimaps = folders
    out = tmp_path / "out" / "nested"
    before = {p: p.read_bytes() for p in [*images.iterdir(), *trimaps.iterdir()]}
    assert cli.main(["batch", str(images), str(trimaps), "-o", str(out), "--cutout"]) == 1
    captured = capsys.readouterr()
    assert "wrote 2 of 5 alpha mattes" in captured.out
    errors = [line for line in captured.err.splitlines() if line.startswith("classicmat: error")]
    assert len(errors) == 3
    assert errors[0].startswith("classicmat: error: c.png: ")  # the corrupt PNG
    assert errors[1].startswith("classicmat: error: d.jpg: no trimap")
    assert errors[2].startswith("classicmat: error: e.png: ") and "does not match" in errors[2]
    assert sorted(p.name for p in out.iterdir()) == [
        "a_alpha.png",
        "a_cutout.png",
        "b_alpha.png",
        "b_cutout.png",
    ]
    alpha = read_image(out / "a_alpha.png")
    assert alpha.dtype == np.uint8 and alpha.shape == (24, 32)
    cutout = read_image(out / "a_cutout.png")
    assert cutout.shape == (24, 32, 4)
    np.testing.assert_array_equal(cutout[:, :, 3], alpha)
    assert {p: p.read_bytes() for p in before} == before  # inputs untouched


def test_two_images_with_one_stem_are_reported_and_the_rest_processed(folders, tmp_path, capsys):
    images, trimaps = folders
    Image.new("RGB", (32, 24)).save(images / "a.jpg")  # a.png and a.jpg share a stem
    out = tmp_path / "out"
    assert cli.main(["batch", str(images), str(trimaps), "-o", str(out)]) == 1
    captured = capsys.readouterr()
    assert "wrote 1 of 5 alpha mattes" in captured.out
    assert "classicmat: error: a.jpg: two images share a stem: 'a.jpg' and 'a.png'" in captured.err
    assert sorted(p.name for p in out.iterdir()) == ["b_alpha.png"]


def test_an_input_is_never_overwritten(tmp_path, synthetic_pair, capsys):
    _write_pair(tmp_path, tmp_path, "x", synthetic_pair, "x_trimap")
    Image.fromarray(synthetic_pair.trimap).save(tmp_path / "x_alpha.png")  # an input by name
    (tmp_path / "other").mkdir()
    content = (tmp_path / "x_alpha.png").read_bytes()
    result = batch.run_batch(tmp_path, tmp_path, tmp_path, progress="off")
    assert (tmp_path / "x_alpha.png").read_bytes() == content
    names = [name for name, _ in result.failures]
    assert "x.png" in names
    assert any("refusing to overwrite" in message for _, message in result.failures)


def test_parallel_batch_equals_serial(tmp_path, synthetic_pair, capsys):
    images, trimaps = tmp_path / "images", tmp_path / "trimaps"
    for stem in ("p", "q", "r"):
        _write_pair(images, trimaps, stem, synthetic_pair)
    assert cli.main(["batch", str(images), str(trimaps), "-o", str(tmp_path / "s"), "-q"]) == 0
    argv = ["batch", str(images), str(trimaps), "-o", str(tmp_path / "p"), "--jobs", "2"]
    assert cli.main([*argv, "--preview", str(tmp_path / "sheet.png")]) == 0
    assert capsys.readouterr().err.count("batch ") == 3
    for stem in ("p", "q", "r"):
        name = f"{stem}_alpha.png"
        assert (tmp_path / "s" / name).read_bytes() == (tmp_path / "p" / name).read_bytes()
    assert read_image(tmp_path / "sheet.png").shape[0] > 3 * 96


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda d: ["batch", str(d / "nope"), str(d), "-o", str(d / "o")], "images folder not"),
        (lambda d: ["batch", str(d), str(d / "nope"), "-o", str(d / "o")], "trimaps folder not"),
        (lambda d: ["batch", str(d), str(d)], "the following arguments are required: -o"),
        (lambda d: ["batch", str(d), str(d), "-o", str(d / "o")], "no images in"),
        (lambda d: ["batch", str(d), str(d), "-o", str(d), "--method", "zz"], "invalid choice"),
        (lambda d: ["batch", str(d), str(d), "-o", str(d), "--jobs", "0"], "must be >= 1"),
    ],
)
def test_cli_batch_usage_errors(tmp_path, capsys, make, message):
    assert cli.main(make(tmp_path)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err


def test_run_tasks_reports_errors_per_task():
    from classicmat._tasks import run_tasks

    results = sorted(run_tasks(int, ["1", "x", "3"]))
    assert results[0] == (0, True, 1) and results[2] == (2, True, 3)
    assert results[1][:2] == (1, False) and "invalid literal" in results[1][2]
    with pytest.raises(ValueError, match="jobs must be an integer >= 1"):
        list(run_tasks(int, ["1"], jobs=0))


# ------------------------------------------------------------------ progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal():
    ticks = iter([0.0, 1.0, 2.0, 4.0, 4.0])
    stream = _Terminal()
    with Progress(4, label="batch", stream=stream, clock=lambda: next(ticks)) as bar:
        assert bar.mode == "bar"
        bar.update("a.png")
        bar.update("b.png", ok=False)
    text = stream.getvalue()
    assert text.endswith("\n") and text.count("\r") == 3
    last = text.split("\r")[-1]
    assert "batch [############------------] 2/4  50% 0.50 img/s ETA 0:04 1 failed b.png" in last


def test_progress_status_of_a_cluster():
    ticks = iter([0.0, 1.0, 2.0, 2.0, 3.0])
    stream = _Terminal()
    bar = Progress(3, label="evaluate", stream=stream, clock=lambda: next(ticks))
    bar.update("a")
    bar.set_status("2 running on 2 workers")
    assert stream.getvalue().split("\r")[-1].endswith("ETA 0:04, 2 running on 2 workers a")
    lines = io.StringIO()
    bar = Progress(3, label="batch", stream=lines, mode="lines", clock=lambda: 1.0)
    bar.set_status("1 running on 2 workers")
    bar.update("b", ok=False)
    assert lines.getvalue().endswith("b FAILED (0.00 img/s, ETA ?; 1 running on 2 workers)\n")


def test_progress_lines_and_off():
    stream = io.StringIO()
    Progress(2, stream=stream, mode="auto").update("x")
    assert stream.getvalue().startswith("1/2 x (")
    quiet = io.StringIO()
    bar = Progress(2, stream=quiet, mode="off")
    bar.update("x")
    bar.close()
    assert quiet.getvalue() == ""
    with pytest.raises(ValueError, match="mode must be one of"):
        Progress(1, mode="fancy")
    assert format_duration(-1) == "?"


def test_help_lists_the_subcommands_and_imports_nothing_heavy(capsys):
    import subprocess
    import sys

    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "evaluate" in out and "batch" in out and "score" in out
    for name in ("evaluate", "batch", "score"):
        assert cli.main([name, "--help"]) == 0
        text = capsys.readouterr().out
        assert f"usage: classicmat {name}" in text and "exit status" in text
    script = (
        "import sys\n"
        "from classicmat.cli import main\n"
        "assert main(['evaluate', '--help']) == 0\n"
        "assert main(['batch', '--help']) == 0\n"
        "assert main(['score', '--help']) == 0\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('scipy', 'numba', 'PIL')))\n"
    )
    repo = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(repo)},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]"


def test_a_killed_pool_that_hangs_in_shutdown_does_not_hang_the_caller():
    """A pool whose shutdown deadlocks (CPython 3.11's ProcessPoolExecutor can,
    once its workers are killed) costs the caller the bounded wait, no more."""
    import threading
    import time

    from classicmat import _tasks

    class Stuck:
        def __init__(self, block):
            self.block, self.calls = block, 0

        def shutdown(self, wait=True, cancel_futures=False):
            self.calls += 1
            if self.block:
                threading.Event().wait()  # never returns

    start = time.perf_counter()
    assert _tasks._shutdown_within(Stuck(block=True), 0.2) is False
    assert time.perf_counter() - start < 1.0
    done = Stuck(block=False)
    assert _tasks._shutdown_within(done, 5.0) is True and done.calls == 1


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"epsilon": -1.0}, ValueError, "epsilon must be > 0"),
        ({"solver_options": {"leaf_size": 0}}, ValueError, "leaf_size must be >= 1"),
        ({"epsilom": 1e-6}, TypeError, "unknown option 'epsilom'"),
    ],
)
def test_run_batch_checks_the_options_before_any_image(
    folders, tmp_path, options, error, match, monkeypatch
):
    images, trimaps = folders
    monkeypatch.setattr(batch, "find_pairs", lambda *a: pytest.fail("images were listed"))
    with pytest.raises(error, match=match):
        batch.run_batch(images, trimaps, tmp_path / "out", method_options=options, progress="off")
    assert not (tmp_path / "out").exists()
