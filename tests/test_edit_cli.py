"""``classicmat edit``: its options, checked before anything starts, and a real process
that serves, warns about --host, and stops at once on Ctrl-C."""

from __future__ import annotations

import http.client
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from classicmat import cli

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def in_tmp(synthetic_files, monkeypatch):
    """Run in ``tmp_path``, holding ``image.png`` and ``trimap.png``."""
    directory = synthetic_files.image.parent
    monkeypatch.chdir(directory)
    return directory


def test_help(capsys):
    assert cli.main(["edit", "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: classicmat edit [options] IMAGE [TRIMAP]")
    for words in ("--port P", "--host H", "--no-browser", "--out DIR", "--method NAME"):
        assert words in out
    assert "POST /api/alpha?method=NAME" in out and "127.0.0.1" in out
    assert "choices" not in out and "onnx" not in out.split("--port")[0]


def test_edit_is_listed_in_the_main_help(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "classicmat edit IMAGE [TRIMAP]" in out and "  edit  " in out


@pytest.mark.parametrize(
    "argv, message",
    [
        ([], "the following arguments are required: IMAGE"),
        (["missing.png"], "image file not found: 'missing.png'"),
        (["image.png", "missing.png"], "trimap file not found: 'missing.png'"),
        (["image.png", "image.png"], "TRIMAP 'image.png' is the IMAGE file"),
        (["image.png", "trimap.png", "extra.png"], "unrecognized arguments: extra.png"),
        (["image.png", "--port", "70000"], "must be in 0-65535"),
        (["image.png", "--port", "-1"], "must be in 0-65535"),
        (["image.png", "--port", "http"], "expected a port number, got 'http'"),
        (["image.png", "--host", ""], "--host: expected an address"),
        (["image.png", "--out", "nowhere"], "output directory 'nowhere' does not exist"),
        (["image.png", "--out", "trimap.png"], "'trimap.png' is not a directory"),
        (["image.png", "--method", "nope"], "invalid choice: 'nope'"),
        (["image.png", "--method", "onnx"], "invalid choice: 'onnx'"),
        (["image.png", "--no-such-flag"], "unrecognized arguments: --no-such-flag"),
    ],
)
def test_bad_arguments_exit_2_before_starting(in_tmp, capsys, monkeypatch, argv, message):
    import classicmat.edit

    def started(*args, **kwargs):  # pragma: no cover - the failure this test looks for
        raise AssertionError("the server was started")

    monkeypatch.setattr(classicmat.edit, "EditServer", started)
    monkeypatch.setattr(classicmat.edit, "Workspace", started)
    assert cli.main(["edit", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("classicmat: error: ")
    assert message in captured.err
    assert captured.err.count("\n") == 1


def test_a_read_only_out_folder_is_a_usage_error(in_tmp, capsys):
    folder = in_tmp / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running as a user who can write anywhere")
        assert cli.main(["edit", "image.png", "--out", "ro"]) == 2
        assert "output directory 'ro' is not writable" in capsys.readouterr().err
    finally:
        folder.chmod(0o700)


def test_an_unreadable_image_exits_1(in_tmp, capsys):
    (in_tmp / "bad.png").write_bytes(b"not an image")
    assert cli.main(["edit", "bad.png", "--no-browser"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("classicmat: error: image 'bad.png' is not a readable image")
    assert err.count("\n") == 1


def test_a_trimap_of_another_size_exits_1(in_tmp, capsys):
    Image.fromarray(np.zeros((5, 5), np.uint8)).save(in_tmp / "small.png")
    assert cli.main(["edit", "image.png", "small.png", "--no-browser"]) == 1
    assert "does not match image size 32x24" in capsys.readouterr().err


def test_a_port_in_use_exits_1(in_tmp, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert cli.main(["edit", "image.png", "--port", str(port), "--no-browser"]) == 1
    err = capsys.readouterr().err
    expected = f"cannot listen on 127.0.0.1 port {port}: Address already in use"
    assert err == f"classicmat: error: {expected}\n"


# ---------------------------------------------------------------- a real process


class Edit:
    """``python -m classicmat edit ...`` in a subprocess; the address it prints."""

    def __init__(self, argv: list[str], cwd: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        env.pop("CLASSICMAT_DEBUG", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "classicmat", "edit", *argv],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._guard = threading.Timer(120, self.proc.kill)  # never hang the suite
        self._guard.start()
        self.line = self.proc.stdout.readline()
        assert self.line.startswith("serving "), (self.line, self.proc.stderr.read())
        self.url = self.line.split(" at ")[1].split()[0]
        self.port = int(self.url.rsplit(":", 1)[1].strip("/"))

    def get(self, path: str, host: str = "127.0.0.1"):
        connection = http.client.HTTPConnection(host, self.port, timeout=60)
        connection.request("GET", path)
        response = connection.getresponse()
        data = response.read()
        connection.close()
        return response.status, data

    def interrupt(self) -> tuple[int, str, str, float]:
        """SIGINT; ``(status, stdout after the first line, stderr, seconds to exit)``."""
        start = time.perf_counter()
        self.proc.send_signal(signal.SIGINT)
        out, err = self.proc.communicate(timeout=60)
        seconds = time.perf_counter() - start
        self._guard.cancel()
        return self.proc.returncode, out, err, seconds

    def close(self) -> None:
        self._guard.cancel()
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    except ConnectionRefusedError:
        return True
    return False


@pytest.mark.slow
def test_serves_until_ctrl_c_then_exits_130_at_once(synthetic_files):
    folder = synthetic_files.image.parent
    edit = Edit(["image.png", "trimap.png", "--no-browser"], folder)
    try:
        assert edit.url == f"http://127.0.0.1:{edit.port}/"
        assert edit.line == f"serving image.png at {edit.url} (Ctrl-C to stop)\n"
        status, data = edit.get("/api/info")
        assert status == 200 and json.loads(data)["name"] == "image.png"
        status, _ = edit.get("/")
        code, out, err, seconds = edit.interrupt()
    finally:
        edit.close()
    assert status == 200
    assert code == 130 and out == ""
    assert err == "classicmat: interrupted\n"
    assert seconds < 5
    assert _refused(edit.port)


@pytest.mark.slow
def test_ctrl_c_while_a_matte_is_solved(tmp_path):
    """The lemur, with every pixel but a few strokes unknown: a solve of seconds."""
    lemur = REPO / "examples" / "data" / "lemur.png"
    edit = Edit([str(lemur), "--no-browser", "--out", str(tmp_path)], tmp_path)
    try:
        labels = np.full((440, 680), 128, dtype=np.uint8)
        labels[20:30, 20:660] = 0
        labels[300:310, 250:450] = 255
        buffer = io.BytesIO()
        Image.fromarray(labels).save(buffer, format="PNG")
        connection = http.client.HTTPConnection("127.0.0.1", edit.port, timeout=60)
        connection.request(
            "POST", "/api/save", body=buffer.getvalue(), headers={"Content-Type": "image/png"}
        )
        time.sleep(1.0)  # solving now
        code, out, err, seconds = edit.interrupt()
        connection.close()
    finally:
        edit.close()
    assert code == 130
    assert err == "classicmat: interrupted\n" and out == ""
    assert seconds < 5
    assert list(tmp_path.iterdir()) == []  # nothing saved, no temporary file left


@pytest.mark.slow
def test_host_prints_a_warning_and_serves_on_that_address(synthetic_files):
    folder = synthetic_files.image.parent
    edit = Edit(["image.png", "--no-browser", "--host", "0.0.0.0"], folder)
    try:
        status, _ = edit.get("/api/info")
        code, _, err, _ = edit.interrupt()
    finally:
        edit.close()
    assert status == 200
    assert edit.url == f"http://127.0.0.1:{edit.port}/"
    warning, rest = err.split("\n", 1)
    assert warning == (
        "classicmat: warning: listening on 0.0.0.0: the page and its API (which saves "
        "files) are reachable from other machines, with no password"
    )
    assert rest == "classicmat: interrupted\n" and code == 130


@pytest.mark.slow
def test_a_loopback_host_gives_no_warning(synthetic_files):
    folder = synthetic_files.image.parent
    edit = Edit(["image.png", "--no-browser", "--host", "localhost"], folder)
    try:
        code, _, err, _ = edit.interrupt()
    finally:
        edit.close()
    assert err == "classicmat: interrupted\n" and code == 130


def _post(port: int, path: str, body: bytes) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("POST", path, body=body, headers={"Content-Type": "image/png"})
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, data


@pytest.mark.slow
def test_a_save_prints_the_files_and_an_input_clash_is_said_at_the_start(tmp_path):
    photo = Image.new("RGB", (32, 24), (40, 30, 20))
    photo.paste((230, 220, 200), (16, 0, 32, 24))
    photo.save(tmp_path / "p.png")
    labels = np.full((24, 32), 128, np.uint8)
    labels[:, :4] = 0
    labels[:, 28:] = 255
    Image.fromarray(labels).save(tmp_path / "p_trimap.png")
    buffer = io.BytesIO()
    Image.fromarray(labels).save(buffer, format="PNG")

    edit = Edit(["p.png", "p_trimap.png", "--no-browser"], tmp_path)
    try:
        status, data = _post(edit.port, "/api/save", buffer.getvalue())
        code, out, err, _ = edit.interrupt()
    finally:
        edit.close()
    assert status == 409 and b"--out DIR" in data
    assert err.splitlines() == [
        "classicmat: warning: the trimap output 'p_trimap.png' is the trimap file: Save "
        "will refuse to overwrite it; give --out DIR to save elsewhere",
        "classicmat: interrupted",
    ]
    assert out == "" and code == 130

    (tmp_path / "saved").mkdir()
    edit = Edit(["p.png", "p_trimap.png", "--no-browser", "--out", "saved"], tmp_path)
    try:
        status, data = _post(edit.port, "/api/save", buffer.getvalue())
        code, out, err, _ = edit.interrupt()
    finally:
        edit.close()
    assert status == 200, data
    names = [str(Path("saved") / f"p_{kind}.png") for kind in ("trimap", "alpha", "cutout")]
    assert out == f"saved {', '.join(names)}\n"
    assert err == "classicmat: interrupted\n" and code == 130
    assert sorted(p.name for p in (tmp_path / "saved").iterdir()) == sorted(
        Path(n).name for n in names
    )
