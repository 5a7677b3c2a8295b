"""The HTTP API of ``classicmat edit``, in-process: a real server thread on 127.0.0.1.

Every refusal is a 4xx with a one-line message, and the server answers the
next request, on the same connection where it can and on a new one always.
"""

from __future__ import annotations

import http.client
import io
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import classicmat
from classicmat.edit import EditServer, Workspace, body_limit, is_loopback
from classicmat.edit._server import PAGE_FILES

PAGE_METHODS = [name for name in classicmat.METHODS.names() if name != "onnx"]


def png(array: np.ndarray, mode: str | None = None) -> bytes:
    buffer = io.BytesIO()
    image = Image.fromarray(array)
    if mode is not None:
        image = image.convert(mode)
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def decode(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG"
        return np.asarray(image).copy()


@contextmanager
def serving(workspace: Workspace, host: str = "127.0.0.1") -> Iterator[EditServer]:
    server = EditServer(workspace, host, 0)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


class Client:
    """One keep-alive connection to the server."""

    def __init__(self, server: EditServer) -> None:
        self.server = server
        self.connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)

    def request(self, verb, path, body=None, headers=None):
        """``(status, headers, body)``; the connection is reopened if the server closed it."""
        self.connection.request(verb, path, body=body, headers=headers or {})
        response = self.connection.getresponse()
        data = response.read()
        if response.getheader("Connection", "").lower() == "close":
            self.connection.close()
        return response.status, response, data

    def post(self, path, body, content_type="image/png", **headers):
        if content_type is not None:
            headers["Content-Type"] = content_type
        return self.request("POST", path, body, headers)

    def close(self):
        self.connection.close()


@pytest.fixture
def files(synthetic_files):
    image, trimap, _ = synthetic_files
    return image, trimap


@pytest.fixture
def workspace(files, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    return Workspace(files[0], files[1], out_dir=out)


@pytest.fixture
def server(workspace):
    with serving(workspace) as running:
        yield running


@pytest.fixture
def client(server):
    result = Client(server)
    yield result
    result.close()


def assert_still_serving(client: Client) -> None:
    """The same connection (reopened if the server closed it) and a new one both work."""
    status, _, data = client.request("GET", "/api/info")
    assert status == 200
    assert json.loads(data)["width"] == 32
    fresh = Client(client.server)
    try:
        assert fresh.request("GET", "/api/info")[0] == 200
    finally:
        fresh.close()


# ---------------------------------------------------------------- the page


def test_get_page_is_html_with_a_canvas_and_a_strict_policy(client):
    status, response, data = client.request("GET", "/")
    assert status == 200
    assert response.getheader("Content-Type") == "text/html; charset=utf-8"
    text = data.decode()
    assert "<canvas" in text and '<script src="/edit.js"' in text
    policy = response.getheader("Content-Security-Policy")
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy


@pytest.mark.parametrize("route", sorted(PAGE_FILES))
def test_page_files_are_served_and_load_nothing_from_the_network(client, route):
    status, response, data = client.request("GET", route)
    assert status == 200
    assert response.getheader("Content-Type") == PAGE_FILES[route][1]
    text = data.decode()
    assert "http://" not in text and "https://" not in text and "//cdn" not in text


def test_page_files_are_package_data():
    from importlib import resources

    folder = resources.files("classicmat.edit") / "page"
    assert sorted(p.name for p in folder.iterdir()) == ["edit.css", "edit.js", "index.html"]
    pyproject = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    assert '"classicmat.edit" = ["page/*.html", "page/*.js", "page/*.css"]' in pyproject


def test_get_image_is_the_photo_as_png(client, files):
    status, response, data = client.request("GET", "/image")
    assert status == 200 and response.getheader("Content-Type") == "image/png"
    with Image.open(files[0]) as original:
        np.testing.assert_array_equal(decode(data), np.asarray(original.convert("RGB")))


def test_get_trimap_is_the_starting_trimap(client, synthetic_pair):
    status, _, data = client.request("GET", "/trimap")
    assert status == 200
    np.testing.assert_array_equal(decode(data), synthetic_pair.trimap)


def test_without_a_trimap_every_pixel_starts_unknown(files, tmp_path):
    with serving(Workspace(files[0], out_dir=tmp_path)) as server:
        client = Client(server)
        trimap = decode(client.request("GET", "/trimap")[2])
        info = json.loads(client.request("GET", "/api/info")[2])
        client.close()
    assert trimap.shape == (24, 32) and (trimap == 128).all()
    assert info["trimap"] is None


def test_info_names_the_outputs_and_the_limit(client, tmp_path):
    status, _, data = client.request("GET", "/api/info")
    info = json.loads(data)
    assert status == 200
    assert info["outputs"] == {
        "trimap": "image_trimap.png",
        "alpha": "image_alpha.png",
        "cutout": "image_cutout.png",
    }
    assert info["folder"] == str((tmp_path / "out").resolve())
    assert info["body_limit"] == body_limit(32, 24) == 4 * 32 * 24 + 2**20
    assert (info["width"], info["height"], info["method"]) == (32, 24, "cf")


def test_methods_lists_every_method_but_onnx_with_its_summary(client):
    status, _, data = client.request("GET", "/api/methods")
    listed = json.loads(data)
    assert status == 200
    assert [m["name"] for m in listed] == PAGE_METHODS
    assert "onnx" not in PAGE_METHODS and "cf" in PAGE_METHODS
    summaries = {e.name: e.summary for e in classicmat.METHODS}
    assert all(m["summary"] == summaries[m["name"]] for m in listed)


# ---------------------------------------------------------------- the matte


@pytest.mark.parametrize("method", PAGE_METHODS)
def test_post_alpha_is_estimate_alpha_in_8_bits(client, synthetic_pair, method):
    status, response, data = client.post(f"/api/alpha?method={method}", png(synthetic_pair.trimap))
    assert status == 200, data
    assert response.getheader("Content-Type") == "image/png"
    expected = classicmat.estimate_alpha(
        synthetic_pair.image, synthetic_pair.trimap, method=method
    )
    answer = decode(data)
    assert answer.dtype == np.uint8
    np.testing.assert_array_equal(answer, np.rint(255 * expected).astype(np.uint8))


def test_a_label_map_as_the_canvas_sends_it_gives_the_same_matte(client, synthetic_pair):
    """RGBA with R = G = B (a browser canvas), and the default method (cf)."""
    gray = synthetic_pair.trimap
    rgba = np.dstack([gray, gray, gray, np.full_like(gray, 255)])
    status, _, data = client.post("/api/alpha", png(rgba))
    assert status == 200, data
    expected = classicmat.estimate_alpha(synthetic_pair.image, gray, method="cf")
    np.testing.assert_array_equal(decode(data), np.rint(255 * expected).astype(np.uint8))


def test_scribbles_a_trimap_of_a_few_strokes(client, synthetic_pair):
    labels = np.full((24, 32), 128, dtype=np.uint8)
    labels[4:20, 3] = 0
    labels[4:20, 28] = 255
    status, _, data = client.post("/api/alpha", png(labels))
    assert status == 200, data
    alpha = decode(data)
    assert alpha[:, :12].mean() < 40 and alpha[:, 20:].mean() > 215
    expected = classicmat.estimate_alpha(synthetic_pair.image, labels)
    np.testing.assert_array_equal(alpha, np.rint(255 * expected).astype(np.uint8))


def test_a_second_stroke_is_solved_by_the_session_from_the_first(client, synthetic_pair):
    """cf keeps its factorisation: a stroke that adds known pixels is an update."""
    labels = synthetic_pair.trimap.copy()
    assert client.post("/api/alpha?method=cf", png(labels))[0] == 200
    labels[:, 8:11] = 0  # more background
    status, _, data = client.post("/api/alpha?method=cf", png(labels))
    assert status == 200, data
    session = client.server.workspace._sessions["cf"]
    assert isinstance(session, classicmat.MattingSession)
    assert session.last["mode"] == "update"
    expected = np.rint(255 * classicmat.estimate_alpha(synthetic_pair.image, labels))
    # the session's matte is estimate_alpha's within 1e-3: in 8 bits, one level at most
    assert np.abs(decode(data).astype(int) - expected).max() <= 1


def test_post_cutout_is_the_rgba_cutout(client, synthetic_pair):
    status, _, data = client.post("/api/cutout?method=cf", png(synthetic_pair.trimap))
    assert status == 200, data
    rgba = decode(data)
    image = classicmat.read_image(client.server.workspace.image_path)
    alpha = classicmat.estimate_alpha(image, synthetic_pair.trimap)
    expected = np.rint(255 * classicmat.cutout(image, alpha)).astype(np.uint8)
    np.testing.assert_array_equal(rgba, expected)


# ---------------------------------------------------------------- refusals


def _refusals(synthetic_pair) -> dict[str, tuple]:
    """name -> (verb, path, body, content type, status, words of the message)."""
    trimap = synthetic_pair.trimap
    good = png(trimap)
    colour = np.dstack([trimap, np.zeros_like(trimap), trimap])
    no_bg = np.where(trimap == 0, 128, trimap).astype(np.uint8)
    jpeg = io.BytesIO()
    Image.fromarray(trimap).save(jpeg, format="JPEG")
    return {
        "not a PNG": ("POST", "/api/alpha", b"hello, world", "image/png", 400, "not a PNG"),
        "a JPEG": ("POST", "/api/alpha", jpeg.getvalue(), "image/png", 400, "not a PNG"),
        "a truncated PNG": ("POST", "/api/alpha", good[:60], "image/png", 400, "PNG"),
        "wrong size": (
            "POST",
            "/api/alpha",
            png(np.full((24, 31), 128, np.uint8)),
            "image/png",
            400,
            "31x24",
        ),
        "colour trimap": ("POST", "/api/alpha", png(colour), "image/png", 400, "gray"),
        "unknown method": ("POST", "/api/alpha?method=nope", good, "image/png", 400, "'nope'"),
        "onnx without a model": (
            "POST",
            "/api/alpha?method=onnx",
            good,
            "image/png",
            400,
            "choose from cf",
        ),
        "unknown parameter": ("POST", "/api/alpha?methd=cf", good, "image/png", 400, "'methd'"),
        "wrong content type": ("POST", "/api/alpha", good, "text/plain", 415, "image/png"),
        "missing content type": ("POST", "/api/alpha", good, None, 415, "image/png"),
        "no background": ("POST", "/api/alpha", png(no_bg), "image/png", 422, "background"),
        "GET on a POST route": ("GET", "/api/alpha", None, None, 405, "POST"),
        "POST on a GET route": ("POST", "/image", good, "image/png", 405, "GET"),
        "no such route": ("GET", "/../../etc/passwd", None, None, 404, "no such"),
        "a file name as a route": ("GET", "/edit.py", None, None, 404, "no such"),
    }


REFUSALS = [
    "not a PNG",
    "a JPEG",
    "a truncated PNG",
    "wrong size",
    "colour trimap",
    "unknown method",
    "onnx without a model",
    "unknown parameter",
    "wrong content type",
    "missing content type",
    "no background",
    "GET on a POST route",
    "POST on a GET route",
    "no such route",
    "a file name as a route",
]


def test_every_refusal_is_tested(synthetic_pair):
    assert sorted(_refusals(synthetic_pair)) == sorted(REFUSALS)


@pytest.mark.parametrize("case", REFUSALS)
def test_a_bad_request_gets_a_4xx_with_one_line_and_the_server_goes_on(
    client, synthetic_pair, case
):
    verb, path, body, content_type, expected, words = _refusals(synthetic_pair)[case]
    headers = {} if content_type is None else {"Content-Type": content_type}
    status, response, data = client.request(verb, path, body, headers)
    assert status == expected, data
    assert response.getheader("Content-Type") == "text/plain; charset=utf-8"
    text = data.decode()
    assert text.endswith("\n") and text.count("\n") == 1, text
    assert words in text
    assert_still_serving(client)


def test_an_oversized_body_gets_413_and_the_server_goes_on(client, synthetic_pair):
    limit = body_limit(32, 24)
    body = png(synthetic_pair.trimap) + b"\0" * (limit + 1)
    status, response, data = client.post("/api/alpha", body)
    assert status == 413
    assert f"limit of {limit} bytes" in data.decode()
    assert response.getheader("Connection") == "close"
    assert_still_serving(client)


def test_an_oversized_body_is_refused_before_it_is_sent(server):
    """``Expect: 100-continue`` (curl's default for large bodies): 413, not 100."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.putrequest("POST", "/api/alpha")
    connection.putheader("Content-Type", "image/png")
    connection.putheader("Content-Length", str(10**9))
    connection.putheader("Expect", "100-continue")
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == 413
    assert "over the limit" in response.read().decode()
    connection.close()
    client = Client(server)
    assert_still_serving(client)
    client.close()


def test_a_body_without_content_length_gets_411(server, synthetic_pair):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.request(
        "POST",
        "/api/alpha",
        body=iter([png(synthetic_pair.trimap)]),  # sent chunked
        headers={"Content-Type": "image/png"},
        encode_chunked=True,
    )
    response = connection.getresponse()
    assert response.status == 411
    assert "Content-Length" in response.read().decode()
    connection.close()
    client = Client(server)
    assert_still_serving(client)
    client.close()


def test_a_body_shorter_than_its_length_gets_400(server):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.putrequest("POST", "/api/alpha")
    connection.putheader("Content-Type", "image/png")
    connection.putheader("Content-Length", "1000")
    connection.endheaders()
    connection.send(b"\x89PNG\r\n\x1a\n")
    connection.sock.shutdown(__import__("socket").SHUT_WR)
    response = connection.getresponse()
    assert response.status == 400
    assert "ended after 8 of 1000 bytes" in response.read().decode()
    connection.close()
    client = Client(server)
    assert_still_serving(client)
    client.close()


def test_an_error_inside_the_method_is_a_500_and_the_server_goes_on(
    client, workspace, synthetic_pair, monkeypatch
):
    class Broken:
        def solve(self, trimap):
            raise RuntimeError("the solver fell over")

    monkeypatch.setattr(workspace, "_session", lambda method: Broken())
    status, _, data = client.post("/api/alpha", png(synthetic_pair.trimap))
    assert status == 500
    assert data.decode() == "internal error: RuntimeError: the solver fell over\n"
    monkeypatch.undo()
    assert client.post("/api/alpha", png(synthetic_pair.trimap))[0] == 200


@pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "127.0.0.2:1"])
def test_a_request_for_another_host_is_refused_on_loopback(client, host):
    """A page elsewhere cannot reach the API through a DNS name rebound to 127.0.0.1."""
    status, _, data = client.request("GET", "/api/info", headers={"Host": host})
    assert status == 403
    assert "not this server's address" in data.decode()
    port = client.server.port
    for good in (f"127.0.0.1:{port}", f"localhost:{port}"):
        assert client.request("GET", "/api/info", headers={"Host": good})[0] == 200


def test_no_cors_preflight_is_granted(client):
    """A page of another site cannot send ``Content-Type: image/png`` here."""
    headers = {
        "Origin": "https://elsewhere.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    status, response, _ = client.request("OPTIONS", "/api/alpha", headers=headers)
    assert status >= 400
    assert response.getheader("Access-Control-Allow-Origin") is None
    status, response, _ = client.request("GET", "/api/info", headers={"Origin": headers["Origin"]})
    assert status == 200 and response.getheader("Access-Control-Allow-Origin") is None


def test_loopback_addresses():
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert is_loopback("127.0.0.5") and is_loopback("[::1]")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.2") and not is_loopback("::")


def test_the_server_listens_on_loopback_by_default(workspace):
    server = EditServer(workspace)
    try:
        assert server.server_address[0] == "127.0.0.1"
        assert server.url == f"http://127.0.0.1:{server.port}/"
    finally:
        server.server_close()


def test_concurrent_requests_are_all_answered(server, synthetic_pair):
    body = png(synthetic_pair.trimap)
    statuses = []

    def one():
        client = Client(server)
        statuses.append(client.post("/api/alpha", body)[0])
        client.close()

    threads = [threading.Thread(target=one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert statuses == [200] * 4


# ---------------------------------------------------------------- saving


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_save_writes_the_trimap_alpha_and_cutout(client, synthetic_pair, tmp_path):
    labels = synthetic_pair.trimap.copy()
    labels[0, 10] = 255  # an edit: the saved trimap is the one sent
    status, _, data = client.post("/api/save?method=cf", png(labels))
    assert status == 200, data
    answer = json.loads(data)
    out = tmp_path / "out"
    names = ["image_trimap.png", "image_alpha.png", "image_cutout.png"]
    assert answer == {"saved": names, "folder": str(out.resolve())}
    assert sorted(p.name for p in out.iterdir()) == sorted(names)
    np.testing.assert_array_equal(decode((out / names[0]).read_bytes()), labels)
    alpha = decode((out / names[1]).read_bytes())
    answered = decode(client.post("/api/alpha?method=cf", png(labels))[2])
    np.testing.assert_array_equal(alpha, answered)
    cutout = decode((out / names[2]).read_bytes())
    assert cutout.shape == (24, 32, 4)
    np.testing.assert_array_equal(cutout[:, :, 3], alpha)


def test_save_replaces_earlier_outputs(client, synthetic_pair, tmp_path):
    out = tmp_path / "out"
    assert client.post("/api/save", png(synthetic_pair.trimap))[0] == 200
    labels = synthetic_pair.trimap.copy()
    labels[:, 20:24] = 255
    assert client.post("/api/save", png(labels))[0] == 200
    np.testing.assert_array_equal(decode((out / "image_trimap.png").read_bytes()), labels)
    assert _leftovers(out) == []


def test_save_writes_all_three_files_or_none(client, synthetic_pair, tmp_path, monkeypatch):
    """The third file fails to write: the first two do not appear either."""
    import classicmat._files as files

    real = files._write_temporary
    calls = []

    def failing(target, data):
        calls.append(target.name)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real(target, data)

    monkeypatch.setattr(files, "_write_temporary", failing)
    status, _, data = client.post("/api/save", png(synthetic_pair.trimap))
    assert status == 500
    assert "cannot save" in data.decode() and "No space left" in data.decode()
    assert list((tmp_path / "out").iterdir()) == []
    assert calls == ["image_trimap.png", "image_alpha.png", "image_cutout.png"]
    monkeypatch.undo()
    assert_still_serving(client)


def test_save_refuses_to_overwrite_an_input(tmp_path, synthetic_pair):
    """``edit photo.png photo_trimap.png``: the trimap output is the input trimap."""
    Image.fromarray(synthetic_pair.image).save(tmp_path / "photo.png")
    Image.fromarray(synthetic_pair.trimap).save(tmp_path / "photo_trimap.png")
    before = (tmp_path / "photo_trimap.png").read_bytes()
    workspace = Workspace(tmp_path / "photo.png", tmp_path / "photo_trimap.png")
    labels = synthetic_pair.trimap.copy()
    labels[:, 8:12] = 0
    with serving(workspace) as server:
        client = Client(server)
        status, _, data = client.post("/api/save", png(labels))
        assert status == 409
        text = data.decode()
        assert "refusing to save" in text and "photo_trimap.png" in text and "--out" in text
        assert_still_serving(client)
        client.close()
    assert (tmp_path / "photo_trimap.png").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photo.png", "photo_trimap.png"]


def test_save_refuses_to_overwrite_the_image_through_a_link(tmp_path, synthetic_pair):
    """The image is also ``<stem>_alpha.png`` of its folder, by a hard link."""
    Image.fromarray(synthetic_pair.image).save(tmp_path / "p.png")
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "p_alpha.png").hardlink_to(tmp_path / "p.png")
    before = (tmp_path / "p.png").read_bytes()
    with serving(Workspace(tmp_path / "p.png", out_dir=folder)) as server:
        client = Client(server)
        status, _, data = client.post("/api/save", png(synthetic_pair.trimap))
        client.close()
    assert status == 409 and "input image" in data.decode()
    assert (tmp_path / "p.png").read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["p_alpha.png"]


def test_an_output_that_is_a_directory_is_refused(client, synthetic_pair, tmp_path):
    (tmp_path / "out" / "image_cutout.png").mkdir()
    status, _, data = client.post("/api/save", png(synthetic_pair.trimap))
    assert status == 409
    assert "directory" in data.decode()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["image_cutout.png"]


def test_a_bad_save_request_writes_nothing(client, tmp_path):
    assert client.post("/api/save", b"not a png")[0] == 400
    assert client.post("/api/save", b"\x89PNG\r\n\x1a\n", content_type="text/plain")[0] == 415
    assert list((tmp_path / "out").iterdir()) == []


# ---------------------------------------------------------------- the workspace


def test_a_trimap_of_another_size_is_refused_at_the_start(files, tmp_path):
    Image.fromarray(np.zeros((5, 5), np.uint8)).save(tmp_path / "small.png")
    with pytest.raises(ValueError, match="does not match image size 32x24"):
        Workspace(files[0], tmp_path / "small.png")


def test_an_unreadable_image_is_refused_at_the_start(tmp_path):
    (tmp_path / "bad.png").write_bytes(b"not an image")
    with pytest.raises(ValueError, match="not a readable image"):
        Workspace(tmp_path / "bad.png")


def test_an_unknown_method_is_refused_at_the_start(files):
    with pytest.raises(ValueError, match=r"unknown method 'nope' \(choose from cf, "):
        Workspace(files[0], method="nope")
