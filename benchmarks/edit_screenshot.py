"""The screenshot of ``classicmat edit`` in the docs (``docs/images/edit.png``).

Not a benchmark: it serves the bundled lemur, opens the page in
Debian's headless chromium (Playwright's Python package; ``pip install -e
".[dev]"`` and ``apt-get install chromium``), draws a few scribbles with the
mouse (no trimap), shows the cut-out over a checkerboard and saves the
screenshot. Nothing is written next to the lemur.

    python benchmarks/edit_screenshot.py [--out docs/images/edit.png]
"""

from __future__ import annotations

import argparse
import tempfile
import threading
from pathlib import Path

from classicmat.edit import EditServer, Workspace

ROOT = Path(__file__).resolve().parents[1]
LEMUR = ROOT / "examples" / "data"
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


#: The strokes, in image pixels: a few scribbles, as for closed-form matting.
SCRIBBLES = [
    ("scribble-bg", [(40, 40), (70, 230), (45, 420)]),
    ("scribble-bg", [(640, 40), (610, 230), (640, 420)]),
    ("scribble-bg", [(130, 25), (340, 20), (560, 30)]),
    ("scribble-bg", [(110, 330), (140, 420)]),
    ("scribble-bg", [(560, 330), (530, 420)]),
    ("scribble-fg", [(335, 110), (320, 250), (340, 400)]),
    ("scribble-fg", [(210, 300), (340, 320), (480, 300)]),
    ("scribble-fg", [(250, 170), (340, 150), (430, 180)]),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images" / "edit.png")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        workspace = Workspace(LEMUR / "lemur.png", out_dir=folder, method="cf")
        server = EditServer(workspace)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch_persistent_context(
                str(Path(folder) / "profile"),
                executable_path=args.chromium,
                headless=True,
                args=CHROMIUM_ARGS,
                viewport={"width": 1400, "height": 640},
            )
            page = browser.new_page()
            page.set_default_timeout(300_000)
            page.goto(server.url)
            page.wait_for_selector("body[data-ready='1']")
            page.select_option("#view", "checker")
            box = page.locator("#overlay").bounding_box()
            scale = box["width"] / workspace.width

            def at(x: float, y: float) -> tuple[float, float]:
                return box["x"] + x * scale, box["y"] + y * scale

            for mode, points in SCRIBBLES:
                page.check(f"input[name='mode'][value='{mode}']")
                page.mouse.move(*at(*points[0]))
                page.mouse.down()
                for point in points[1:]:
                    page.mouse.move(*at(*point), steps=12)
                page.mouse.up()
            page.wait_for_function(
                "() => document.body.dataset.busy === '0' && "
                "document.getElementById('status').textContent.startsWith('cut-out')"
            )
            page.check("input[name='mode'][value='bg']")
            page.mouse.move(*at(590, 400))  # the outline of the brush
            args.out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(args.out))
            browser.close()
        server.shutdown()
        server.server_close()
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
