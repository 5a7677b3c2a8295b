"""The page of ``classicmat edit`` in a real headless browser (Debian's chromium, driven by
Playwright's Python package): paint strokes with the mouse, see the matte, undo, save.

Skipped, with the reason, where Playwright or chromium is missing; failed instead when
the ``CI`` environment variable is set or ``CLASSICMAT_REQUIRE_BROWSER=1`` (``.ci/run``
installs chromium). ``CLASSICMAT_CHROMIUM`` names another chromium executable.
"""

from __future__ import annotations

import io
import os
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import classicmat
from classicmat.edit import EditServer, Workspace

pytestmark = pytest.mark.slow

#: Chromium's flags for a closed network: no background connections, no sandbox as root.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

WIDTH, HEIGHT = 160, 120


def _required() -> bool:
    ci = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
    return ci or os.environ.get("CLASSICMAT_REQUIRE_BROWSER") == "1"


def _chromium() -> str:
    """The chromium executable and Playwright, or skip (fail where a browser is required)."""
    problem = None
    executable = os.environ.get("CLASSICMAT_CHROMIUM") or shutil.which("chromium")
    if executable is None and Path("/usr/bin/chromium").exists():
        executable = "/usr/bin/chromium"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problem = "Playwright's Python package is not installed (pip install playwright)"
    if problem is None and executable is None:
        problem = "no chromium executable (apt-get install chromium, or set CLASSICMAT_CHROMIUM)"
    elif problem is None and not Path(executable).is_file():
        problem = f"chromium executable {executable!r} not found"
    if problem is not None:
        if _required():
            pytest.fail(
                f"{problem}; a browser is required here (CI or CLASSICMAT_REQUIRE_BROWSER=1)"
            )
        pytest.skip(problem)
    return executable


def _photo() -> np.ndarray:
    """Dark on the left, bright on the right, a soft edge between, a little texture."""
    rng = np.random.default_rng(17)
    x = np.arange(WIDTH)
    alpha = np.clip((x - 72) / 16, 0, 1)[None, :, None]
    dark = np.array([40, 35, 30]) + rng.uniform(-6, 6, (HEIGHT, WIDTH, 3))
    bright = np.array([220, 200, 170]) + rng.uniform(-6, 6, (HEIGHT, WIDTH, 3))
    return np.rint(np.clip(alpha * bright + (1 - alpha) * dark, 0, 255)).astype(np.uint8)


def _decode(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image).copy()


def _gray(data: bytes) -> np.ndarray:
    """A trimap the page sent (RGBA with R = G = B) as (H, W)."""
    array = _decode(data)
    if array.ndim == 3:
        assert (array[:, :, 0] == array[:, :, 1]).all() and (
            array[:, :, 0] == array[:, :, 2]
        ).all()
        array = array[:, :, 0]
    return array


@pytest.fixture
def server(tmp_path):
    Image.fromarray(_photo()).save(tmp_path / "photo.png")
    out = tmp_path / "out"
    out.mkdir()
    workspace = Workspace(tmp_path / "photo.png", out_dir=out)
    workspace.received = []  # every request body, as the server decodes it
    decode = workspace.decode_trimap

    def recording(body):
        workspace.received.append(body)
        return decode(body)

    workspace.decode_trimap = recording
    running = EditServer(workspace)
    thread = threading.Thread(target=running.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield running
    running.shutdown()
    running.server_close()
    thread.join(10)


@pytest.fixture
def page(server, tmp_path):
    executable = _chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),  # a fresh, empty profile
            executable_path=executable,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1200, "height": 700},
        )
        try:
            page = browser.new_page()
            page.set_default_timeout(60_000)
            page.problems = []  # errors of the page's script, and requests elsewhere
            page.on("pageerror", lambda error: page.problems.append(f"page error: {error}"))
            page.on(
                "request",
                lambda request: (
                    None
                    if request.url.startswith((server.url, "data:", "blob:"))
                    else page.problems.append(f"request elsewhere: {request.url}")
                ),
            )
            page.received = server.workspace.received
            page.goto(server.url)
            page.wait_for_selector("body[data-ready='1']")
            yield page
        finally:
            browser.close()


def _drag(page, points, mode: str, size: int | None = None):
    """Choose the brush, then press, move through ``points`` (image pixels), release."""
    page.check(f"input[name='mode'][value='{mode}']")
    if size is not None:
        page.fill("#size", str(size))
    box = page.locator("#overlay").bounding_box()
    scale = box["width"] / WIDTH

    def at(x, y):
        return box["x"] + (x + 0.5) * scale, box["y"] + (y + 0.5) * scale

    page.mouse.move(*at(*points[0]))
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*at(*point), steps=8)
    page.mouse.up()


def _answer(page, action, route="/api/alpha"):
    """Run ``action``; the trimap the server received, the status and the text of a refusal.

    Playwright shows neither the body of a ``fetch`` made with a Blob nor an
    image answer the page has read as a Blob, so the trimap is taken where
    the server reads it, and a matte from the page itself (:func:`_result_pixels`).
    """
    with page.expect_response(lambda r: r.url.split("?")[0].endswith(route)) as caught:
        action()
    response = caught.value
    text = response.text() if response.status >= 400 else None
    return page.received[-1], response.status, text


def _result_pixels(page) -> np.ndarray:
    """The pixels of the result <img> as the page shows them, (H, W, 4)."""
    data = page.evaluate(
        """() => {
            const img = document.getElementById("result");
            const c = document.createElement("canvas");
            c.width = img.naturalWidth; c.height = img.naturalHeight;
            const ctx = c.getContext("2d");
            ctx.drawImage(img, 0, 0);
            return Array.from(ctx.getImageData(0, 0, c.width, c.height).data);
        }"""
    )
    return np.array(data, dtype=np.uint8).reshape(HEIGHT, WIDTH, 4)


def test_paint_see_the_matte_undo_and_save(page, server, tmp_path):
    image = classicmat.read_image(server.workspace.image_path)
    assert page.locator("#status").text_content().startswith("Paint some foreground")
    assert page.locator("#method option").all_text_contents() == [
        name for name in classicmat.METHODS.names() if name != "onnx"
    ]

    # a foreground scribble alone: the API says what is missing, and the page shows it
    fg_stroke = [(130, 20), (135, 60), (130, 100)]
    sent, status, text = _answer(page, lambda: _drag(page, fg_stroke, "scribble-fg"))
    assert status == 422 and "no known background" in text
    status_line = page.locator("#status")
    status_line.filter(has_text="no known background").wait_for()
    assert status_line.get_attribute("class") == "error"
    first = _gray(sent)
    assert first.shape == (HEIGHT, WIDTH)
    assert set(np.unique(first)) == {128, 255}
    assert first[60, 135] == 255 and first[60, 30] == 128
    assert (first == 255).sum() < 4 * 90  # a thin stroke: 3 px wide, about 90 px long

    # a background scribble: now a matte, equal to estimate_alpha's for the trimap sent
    # (the first solve of the session: the same computation)
    bg_stroke = [(25, 15), (30, 60), (25, 105)]
    sent, status, _ = _answer(page, lambda: _drag(page, bg_stroke, "scribble-bg"))
    assert status == 200
    trimap = _gray(sent)
    assert trimap[60, 30] == 0 and trimap[60, 135] == 255
    page.wait_for_selector("#result[data-updates='1']")
    expected = np.rint(255 * classicmat.estimate_alpha(image, trimap)).astype(np.uint8)
    shown = _result_pixels(page)
    np.testing.assert_array_equal(shown[:, :, 0], expected)
    assert shown[:, :20, 0].mean() < 30 and shown[:, -20:, 0].mean() > 225
    page.locator("#status").filter(has_text="alpha: cf, ").wait_for()

    # undo takes the background stroke back: the same labels as after the first stroke
    sent, status, _ = _answer(page, lambda: page.click("#undo"))
    assert status == 422
    np.testing.assert_array_equal(_gray(sent), first)

    # a wide trimap brush of background: a new matte
    _, status, _ = _answer(page, lambda: _drag(page, [(10, 10), (10, 110)], "bg", size=30))
    assert status == 200
    page.wait_for_selector("#result[data-updates='2']")
    before = _result_pixels(page)
    assert not np.array_equal(before[:, :, 0], shown[:, :, 0])

    # the cut-out over a checkerboard
    sent, status, _ = _answer(page, lambda: page.select_option("#view", "checker"), "/api/cutout")
    assert status == 200
    page.wait_for_selector("#result[data-updates='3']")
    assert "checker" in page.locator("#result-stage").get_attribute("class")
    trimap = _gray(sent)
    assert (trimap[10:110, 0:20] == 0).all()
    alpha = np.rint(255 * classicmat.estimate_alpha(image, trimap)).astype(np.uint8)
    cutout = _result_pixels(page)
    np.testing.assert_array_equal(cutout[:, :, 3], alpha)
    np.testing.assert_array_equal(before[:, :, 0], alpha)

    # save: the three files, with the trimap the page holds
    sent, status, text = _answer(page, lambda: page.click("#save"), "/api/save")
    assert status == 200, text
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == [
        "photo_alpha.png",
        "photo_cutout.png",
        "photo_trimap.png",
    ]
    np.testing.assert_array_equal(_decode((out / "photo_trimap.png").read_bytes()), trimap)
    np.testing.assert_array_equal(_decode((out / "photo_alpha.png").read_bytes()), alpha)
    page.locator("#status").filter(has_text="saved photo_trimap.png").wait_for()
    assert page.problems == []
