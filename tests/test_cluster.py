"""Runs on a real Dask distributed cluster (``scheduler=``, ``--scheduler``).

The cluster is the session's ``dask_cluster`` (conftest.py): a LocalCluster of
two single-threaded worker processes on 127.0.0.1. A worker "on another
machine" that does not see the dataset is simulated by hiding the dataset's
files from that worker process (its ``open`` and ``os.access``), which is
what such a worker sees.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from classicmat import cli, score_predictions
from classicmat._tasks import run_tasks
from classicmat.batch import run_batch
from classicmat.evaluate import evaluate_dataset

from .test_evaluate import make_dataset

REPO = Path(__file__).resolve().parents[1]
LEMUR = REPO / "examples" / "data" / "lemur.png"
LEMUR_TRIMAP = REPO / "examples" / "data" / "lemur_trimap.png"


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as file:
        return [{k: v for k, v in r.items() if k != "runtime_s"} for r in csv.DictReader(file)]


def _lemurs(root: Path, n: int) -> Path:
    """A ``simple`` dataset of ``n`` copies of the lemur (a cf run of about a second each)."""
    for folder in ("image", "trimap", "alpha"):
        (root / folder).mkdir(parents=True)
    for i in range(n):
        (root / "image" / f"l{i:02d}.png").write_bytes(LEMUR.read_bytes())
        (root / "trimap" / f"l{i:02d}.png").write_bytes(LEMUR_TRIMAP.read_bytes())
        (root / "alpha" / f"l{i:02d}.png").write_bytes(LEMUR_TRIMAP.read_bytes())
    return root


def _hide(client, workers, prefix: str) -> None:
    """Make the files under ``prefix`` invisible to ``workers`` (as on a machine without them)."""

    def hide(prefix=prefix):
        import builtins
        import os

        real_open, real_access = builtins.open, os.access
        builtins.__dict__.setdefault("_classicmat_real", (real_open, real_access))

        def fake_open(file, *args, **kwargs):
            if str(file).startswith(prefix):
                raise FileNotFoundError(2, "No such file or directory", str(file))
            return real_open(file, *args, **kwargs)

        def fake_access(path, mode, *args, **kwargs):
            if str(path).startswith(prefix):
                return False
            return real_access(path, mode, *args, **kwargs)

        builtins.open, os.access = fake_open, fake_access

    client.run(hide, workers=list(workers))


def _unhide(client) -> None:
    def unhide():
        import builtins
        import os

        real = builtins.__dict__.pop("_classicmat_real", None)
        if real is not None:
            builtins.open, os.access = real

    client.run(unhide)


def _workers(client) -> list[str]:
    client.wait_for_workers(2, timeout=120)
    return sorted(client.nthreads())


# ------------------------------------------------------------------ without a cluster


def test_nothing_imports_dask_without_a_scheduler(tmp_path):
    data = make_dataset(tmp_path / "data", "simple")
    script = (
        "import sys\n"
        "from classicmat import cli\n"
        f"d = {str(data)!r}\n"
        f"o = {str(tmp_path)!r}\n"
        "assert cli.main(['evaluate', '--dataset', d, '--layout', 'simple', '--out', o + '/e',"
        " '-q']) == 0\n"
        "assert cli.main(['batch', d + '/image', d + '/trimap', '-o', o + '/b', '-q']) == 0\n"
        "assert cli.main(['score', '--pred', o + '/b', '--gt', d + '/alpha', '--trimap',"
        " d + '/trimap', '--out', o + '/s.csv', '-q']) == 0\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]"


def test_a_scheduler_without_dask_is_an_import_error_naming_the_extra(
    tmp_path, monkeypatch, capsys
):
    data = make_dataset(tmp_path / "data", "simple")
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    hint = r'pip install "classicmat\[distributed\]"'
    with pytest.raises(ImportError, match=hint):
        evaluate_dataset(data, layout="simple", out_dir=tmp_path / "o", scheduler="tcp://x:1")
    with pytest.raises(ImportError, match=hint):
        run_batch(data / "image", data / "trimap", tmp_path / "b", scheduler="tcp://x:1")
    with pytest.raises(ImportError, match=hint):
        list(run_tasks(abs, [1], scheduler="tcp://x:1"))
    with pytest.raises(ImportError, match=hint):
        score_predictions(data / "alpha", data / "alpha", data / "trimap", scheduler="tcp://x:1")
    argv = ["evaluate", "--dataset", str(data), "--layout", "simple", "--out", str(tmp_path)]
    assert cli.main([*argv, "--scheduler", "tcp://x:1"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and 'pip install "classicmat[distributed]"' in err
    assert not (tmp_path / "records").exists()  # refused before any work
    batch = ["batch", str(data / "image"), str(data / "trimap"), "-o", str(tmp_path / "b")]
    assert cli.main([*batch, "--scheduler", "tcp://x:1", "-q"]) == 1
    assert 'pip install "classicmat[distributed]"' in capsys.readouterr().err


def test_scheduler_arguments_are_checked_before_any_work(tmp_path, capsys):
    pytest.importorskip("distributed")
    data = make_dataset(tmp_path / "data", "simple")
    argv = ["evaluate", "--dataset", str(data), "--layout", "simple", "--out", str(tmp_path)]
    assert cli.main([*argv, "--scheduler", "tcp://127.0.0.1:1", "--jobs", "2"]) == 2
    assert "--jobs and --scheduler are exclusive" in capsys.readouterr().err
    with pytest.raises(ValueError, match="jobs=2 and scheduler= are exclusive"):
        evaluate_dataset(data, layout="simple", out_dir=tmp_path, jobs=2, scheduler="tcp://a:1")
    with pytest.raises(TypeError, match="scheduler must be a scheduler address .* got int"):
        run_batch(data / "image", data / "trimap", tmp_path / "b", scheduler=8786)


def test_an_unreachable_scheduler_is_one_clear_error(tmp_path, capsys):
    dask = pytest.importorskip("dask")
    data = make_dataset(tmp_path / "data", "simple")
    argv = ["evaluate", "--dataset", str(data), "--layout", "simple", "--out", str(tmp_path)]
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        assert cli.main([*argv, "--scheduler", "tcp://127.0.0.1:9", "-q"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("classicmat: error: cannot connect to the Dask scheduler at ")


# ------------------------------------------------------------------ on the cluster


@pytest.mark.slow
def test_evaluate_on_a_cluster_gives_the_rows_of_a_local_run(dask_cluster, tmp_path, capsys):
    data = make_dataset(tmp_path / "data", "alphamatting")
    argv = ["evaluate", "--dataset", str(data), "--layout", "alphamatting", "--save-alpha"]
    assert cli.main([*argv, "--out", str(tmp_path / "local"), "-q"]) == 0
    out = tmp_path / "cluster"
    assert cli.main([*argv, "--out", str(out), "--scheduler", dask_cluster.address]) == 0
    captured = capsys.readouterr()
    assert "| cf | trimap1 | 3 |" in captured.out and "6 computed, 0 reused" in captured.out
    assert "on 2 workers" in captured.err  # tasks running across the cluster
    assert _rows(out / "results.csv") == _rows(tmp_path / "local" / "results.csv")
    for alpha in (tmp_path / "local" / "alpha").rglob("*.png"):
        assert (out / alpha.relative_to(tmp_path / "local")).read_bytes() == alpha.read_bytes()
    document = json.loads((out / "results.json").read_text())
    assert document["parameters"]["scheduler"] == dask_cluster.address
    assert not list(out.rglob(".*.tmp"))

    # resume: the same rules as a local run
    assert cli.main([*argv, "--out", str(out), "--scheduler", dask_cluster.address]) == 0
    assert "0 computed, 6 reused" in capsys.readouterr().out
    next(iter(sorted((out / "records").rglob("a1.*.json")))).unlink()
    summary = evaluate_dataset(
        data, layout="alphamatting", out_dir=out, save_alpha=True, progress=False,
        scheduler=dask_cluster.client,
    )  # fmt: skip
    assert (summary.computed, summary.reused) == (1, 5)
    assert _rows(out / "results.csv") == _rows(tmp_path / "local" / "results.csv")
    assert dask_cluster.client.status == "running"  # a given client is left open


@pytest.mark.slow
def test_batch_on_a_cluster_writes_what_a_local_run_writes(dask_cluster, tmp_path, capsys):
    data = make_dataset(tmp_path / "data", "simple")
    folders = [str(data / "image"), str(data / "trimap")]
    assert cli.main(["batch", *folders, "-o", str(tmp_path / "local"), "--cutout", "-q"]) == 0
    out = tmp_path / "cluster"
    argv = ["batch", *folders, "-o", str(out), "--cutout", "--scheduler", dask_cluster.address]
    assert cli.main(argv) == 0
    assert "wrote 3 of 3 alpha mattes" in capsys.readouterr().out
    local = sorted((tmp_path / "local").iterdir())
    assert [p.name for p in local] == sorted(p.name for p in out.iterdir())
    for path in local:
        assert (out / path.name).read_bytes() == path.read_bytes()


@pytest.mark.slow
def test_a_worker_killed_mid_run_loses_nothing(dask_cluster, tmp_path):
    client = dask_cluster.client
    _workers(client)
    data = _lemurs(tmp_path / "data", 10)
    local = evaluate_dataset(data, layout="simple", out_dir=tmp_path / "local", progress=False)
    outcome: dict = {}

    def work():
        try:
            outcome["summary"] = evaluate_dataset(
                data, layout="simple", out_dir=tmp_path / "cluster", progress=False,
                scheduler=dask_cluster.address,
            )  # fmt: skip
        except BaseException as exc:  # handed to the test
            outcome["error"] = exc

    thread = threading.Thread(target=work)
    thread.start()
    victim = None
    deadline = time.monotonic() + 120
    while victim is None and time.monotonic() < deadline and thread.is_alive():
        for worker, keys in client.processing().items():
            if any(str(key).startswith("classicmat-") for key in keys):
                victim = worker
                break
        time.sleep(0.02)
    assert victim is not None, "no task ever ran on the cluster"
    pid = client.run(os.getpid, workers=[victim])[victim]
    os.kill(pid, signal.SIGKILL)  # mid-task: the scheduler runs its task again elsewhere
    thread.join(600)
    assert not thread.is_alive()
    assert "error" not in outcome, outcome.get("error")
    summary = outcome["summary"]
    assert summary.ok and summary.computed == 10
    assert _rows(tmp_path / "cluster" / "results.csv") == _rows(tmp_path / "local" / "results.csv")
    assert len(local.rows) == 10
    assert len(list((tmp_path / "cluster" / "records").rglob("*.json"))) == 10
    assert victim not in _workers(client)  # it died; its nanny started a new one


@pytest.mark.slow
def test_a_worker_that_cannot_read_the_inputs_is_reported_once(dask_cluster, tmp_path):
    def _slow_read(path: str) -> int:  # (nested: sent to the workers by value)
        import time

        time.sleep(0.3)
        with open(path, "rb") as file:
            return len(file.read())

    client = dask_cluster.client
    first, second = _workers(client)
    paths = []
    for i in range(8):
        path = tmp_path / f"f{i}.bin"
        path.write_bytes(b"x" * (i + 1))
        paths.append(str(path))
    try:
        # during the run: `first` reads f0 (so it passes the first check) but no other file
        for path in paths[1:]:
            _hide(client, [first], path)
        with pytest.warns(UserWarning) as caught:
            results = sorted(
                run_tasks(_slow_read, paths, scheduler=client, inputs=lambda path: [path])
            )
        assert results == [(i, True, i + 1) for i in range(8)]
        messages = [str(w.message) for w in caught]
        assert len(messages) == 1, messages
        assert messages[0].startswith(f"Dask worker {first} cannot read '{tmp_path}")
        assert "this machine reads it" in messages[0] and "shared filesystem" in messages[0]
        assert messages[0].endswith("its tasks run on the other 1 worker(s)")

        # before the run: no worker reads the first task's file
        _hide(client, [second], paths[0])
        _hide(client, [first], paths[0])
        with pytest.raises(RuntimeError, match="no worker of the Dask scheduler at .* can run"):
            list(run_tasks(_slow_read, paths, scheduler=client, inputs=lambda p: [p]))
    finally:
        _unhide(client)


@pytest.mark.slow
def test_evaluate_with_a_worker_that_does_not_see_the_dataset(dask_cluster, tmp_path, capsys):
    client = dask_cluster.client
    first, second = _workers(client)
    data = make_dataset(tmp_path / "data", "simple")
    argv = ["evaluate", "--dataset", str(data), "--layout", "simple", "-q"]
    assert cli.main([*argv, "--out", str(tmp_path / "local")]) == 0
    try:
        _hide(client, [first], str(data))
        out = tmp_path / "cluster"
        assert cli.main([*argv, "--out", str(out), "--scheduler", dask_cluster.address]) == 0
        err = capsys.readouterr().err.splitlines()
        assert len(err) == 1 and err[0].startswith(f"classicmat: warning: Dask worker {first} ")
        assert "cannot read" in err[0] and "shared filesystem" in err[0]
        assert _rows(out / "results.csv") == _rows(tmp_path / "local" / "results.csv")

        _hide(client, [second], str(data))
        assert cli.main([*argv, "--out", str(tmp_path / "none"), "--scheduler",
                         dask_cluster.address]) == 1  # fmt: skip
        err = capsys.readouterr().err.splitlines()
        assert len(err) == 1 and err[0].startswith("classicmat: error: no worker of the Dask ")
        assert "cannot read" in err[0] and "1 other worker(s) too" in err[0]
    finally:
        _unhide(client)


@pytest.mark.slow
def test_ctrl_c_cancels_the_cluster_tasks_and_exits_130(dask_cluster, tmp_path):
    client = dask_cluster.client
    _workers(client)
    data = _lemurs(tmp_path / "data", 60)
    out = tmp_path / "out"
    argv = ["evaluate", "--dataset", str(data), "--layout", "simple", "--out", str(out), "-q"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("CLASSICMAT_DEBUG", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "classicmat", *argv, "--scheduler", dask_cluster.address],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def ours() -> list[str]:
        def keys(dask_scheduler):
            return [str(k) for k in dask_scheduler.tasks if str(k).startswith("classicmat-")]

        return client.run_on_scheduler(keys)

    deadline = time.monotonic() + 120
    while not list(out.rglob("*.json")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ours()  # some tasks done, others on the cluster
    proc.send_signal(signal.SIGINT)
    start = time.perf_counter()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.endswith("classicmat: interrupted\n"), err
    assert time.perf_counter() - start < 10
    deadline = time.monotonic() + 30
    while ours() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert ours() == []  # the scheduler forgot every task of the run
    records = sorted((out / "records").rglob("*.json"))
    assert 0 < len(records) < 60
    time.sleep(2.0)
    assert sorted((out / "records").rglob("*.json")) == records  # nothing written after
    assert not list(out.rglob(".*.tmp"))
