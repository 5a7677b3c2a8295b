"""Throughput of ``classicmat score`` (the four errors of saved predictions).

Predictions are made once, cheaply: the ground truth blurred (Gaussian,
sigma 2) and saved as 8-bit PNGs, which gives errors on every unknown pixel.
Then :func:`classicmat.score_predictions` scores them with ``--jobs 1`` and
``--jobs 2``:

- the 20 images x 2 trimap sets of ``../shared/data/alphamatting`` (0.4 MP,
  about 50k unknown pixels each);
- ``--mosaic N`` copies of a 2 x 2 mosaic of them (1600 x 980, 1.6 MP, the
  size of Composition-1k's composites; ``benchmarks/mosaic.py``).

Reading the files is included (as in ``classicmat score``); the first call
of a process also loads scipy and numba.

    python benchmarks/bench_score.py [--jobs 1 2] [--mosaic 10] [--data DIR]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image
from scipy.ndimage import gaussian_filter

from classicmat import score_predictions

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "alphamatting"


def _predictions(gts: dict[str, np.ndarray], folder: Path) -> None:
    folder.mkdir(parents=True)
    for stem, gt in gts.items():
        blurred = gaussian_filter(gt.astype(np.float64), 2.0)
        Image.fromarray(np.rint(blurred).clip(0, 255).astype(np.uint8)).save(
            folder / f"{stem}.png"
        )


def _time(name: str, pred: Path, gt: Path, trimap: Path, jobs: int) -> float:
    start = time.perf_counter()
    cpu = time.process_time()
    summary = score_predictions(pred, gt, trimap, jobs=jobs)
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu
    pixels = sum(r["width"] * r["height"] for r in summary.rows) / 1e6
    unknown = sum(r["unknown_pixels"] for r in summary.rows) / 1e6
    print(
        f"{name}, --jobs {jobs}: {len(summary.rows)} images ({pixels:.1f} MP, {unknown:.2f} M "
        f"unknown) in {wall:.2f} s = {len(summary.rows) / wall:.2f} images/s "
        f"(this process's CPU {cpu:.2f} s; SAD {summary.means['sad']:.2f})"
    )
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--mosaic", type=int, default=10, metavar="N")
    args = parser.parse_args()
    if not args.data.is_dir():
        raise SystemExit(f"data not found: {args.data}")
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} logical CPUs, "
        f"Python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        gts = {
            p.stem: np.asarray(Image.open(p).convert("L"))
            for p in (args.data / "gt").glob("*.png")
        }
        _predictions(gts, root / "pred")
        score_predictions(root / "pred", args.data / "gt", args.data / "trimap1")  # warm up
        for trimap in ("trimap1", "trimap2"):
            for jobs in args.jobs:
                _time(f"alphamatting {trimap}", root / "pred", args.data / "gt",
                      args.data / trimap, jobs)  # fmt: skip
        if args.mosaic:
            import sys

            sys.path.insert(0, str(Path(__file__).parent))
            from mosaic import make_mosaic

            _, trimap, gt = make_mosaic(2)
            for folder in ("gt", "trimap"):
                (root / "m" / folder).mkdir(parents=True)
            for i in range(args.mosaic):
                Image.fromarray(gt).save(root / "m" / "gt" / f"m{i:02d}.png")
                Image.fromarray(trimap).save(root / "m" / "trimap" / f"m{i:02d}.png")
            _predictions({f"m{i:02d}": gt for i in range(args.mosaic)}, root / "m" / "pred")
            for jobs in args.jobs:
                _time("2x2 mosaic (1.6 MP)", root / "m" / "pred", root / "m" / "gt",
                      root / "m" / "trimap", jobs)  # fmt: skip


if __name__ == "__main__":
    main()
