"""Matting from scribbles: quality and time of the Laplacian methods on strokes drawn from gt.

Usage::

    python benchmarks/bench_scribbles.py [--methods cf,knn,...] [--images 20]
                                         [--spacing 24] [--out benchmarks/results/scribbles.md]

For each alphamatting.com training image the strokes are drawn
automatically, the same way for every method: lines ``--width`` pixels wide
on a grid of ``--spacing`` pixels, kept only where they lie at least
``--margin`` pixels inside the known foreground (ground truth alpha 1) or the
known background (alpha 0). The label map (0 background strokes, 255
foreground strokes, 128 elsewhere) goes to ``estimate_alpha``, so nearly
every pixel is unknown. Reported per method: the MSE of alpha against the
ground truth off the strokes, and the time of one call (kernels warmed up
on a tiny image first; one run per image on this shared machine, medians
over the images). The methods default to those of
``classicmat.scribbles.scribble_methods()``.

Needs ../shared/data/alphamatting and scipy (for the erosion).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ALPHAMATTING, load_gray, load_rgb, machine  # noqa: E402


def strokes_from_gt(gt: np.ndarray, spacing: int, width: int, margin: int) -> np.ndarray:
    """A scribble label map: grid lines kept well inside the known foreground and background."""
    from scipy import ndimage

    fg = ndimage.binary_erosion(gt >= 1.0, iterations=margin)
    bg = ndimage.binary_erosion(gt <= 0.0, iterations=margin)
    grid = np.zeros(gt.shape, dtype=bool)
    for offset in range(width):
        grid[offset::spacing, :] = True
        grid[:, offset::spacing] = True
    labels = np.full(gt.shape, 128, dtype=np.uint8)
    labels[grid & fg] = 255
    labels[grid & bg] = 0
    return labels


def main() -> None:
    import classicmat
    from classicmat.scribbles import scribble_methods

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    available = scribble_methods()
    parser.add_argument("--methods", default=",".join(available))
    parser.add_argument("--images", type=int, default=20)
    parser.add_argument("--spacing", type=int, default=24)
    parser.add_argument("--width", type=int, default=3)
    parser.add_argument("--margin", type=int, default=15)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/scribbles.md"))
    args = parser.parse_args()
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    if not ALPHAMATTING.is_dir():
        raise SystemExit(f"{ALPHAMATTING} not found: the alphamatting data is needed")

    tiny = np.random.default_rng(0).random((40, 40, 3))
    tiny_labels = np.full((40, 40), 128, np.uint8)
    tiny_labels[:, 2:4] = 0
    tiny_labels[:, -4:-2] = 255
    rows = {m: [] for m in methods}
    coverage = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for m in methods:
            classicmat.estimate_alpha(tiny, tiny_labels, method=m)
        for i in range(1, args.images + 1):
            name = f"GT{i:02d}"
            image = load_rgb(ALPHAMATTING / "input" / f"{name}.png")
            gt = load_gray(ALPHAMATTING / "gt" / f"{name}.png")
            labels = strokes_from_gt(gt, args.spacing, args.width, args.margin)
            off = labels == 128
            coverage.append(1.0 - off.mean())
            for m in methods:
                start = time.perf_counter()
                alpha = classicmat.estimate_alpha(image, labels, method=m)
                seconds = time.perf_counter() - start
                mse = float(np.mean((alpha[off] - gt[off]) ** 2))
                rows[m].append((name, seconds, mse))
                print(f"{name} {m}: {seconds:.2f} s, MSE {mse:.5f}", flush=True)

    lines = [
        "# Matting from scribbles (strokes drawn from the ground truth)",
        "",
        f"Machine: {machine()}",
        "",
        f"{args.images} alphamatting.com training images; strokes {args.width} px wide on a "
        f"{args.spacing} px grid, at least {args.margin} px inside the known foreground or "
        f"background: {100 * statistics.median(coverage):.1f} % of the pixels (median). "
        "MSE off the strokes; time of one call, median over the images.",
        "",
        "| method | mean MSE | median MSE | median time s | max time s |",
        "|---|---|---|---|---|",
    ]
    for m in methods:
        times = [r[1] for r in rows[m]]
        mses = [r[2] for r in rows[m]]
        lines.append(
            f"| {m} | {statistics.mean(mses):.5f} | {statistics.median(mses):.5f} | "
            f"{statistics.median(times):.2f} | {max(times):.2f} |"
        )
    lines += ["", "Per image (MSE):", "", "| image | " + " | ".join(methods) + " |"]
    lines.append("|---" * (len(methods) + 1) + "|")
    for k in range(args.images):
        name = rows[methods[0]][k][0]
        lines.append(f"| {name} | " + " | ".join(f"{rows[m][k][2]:.5f}" for m in methods) + " |")
    text = "\n".join(lines) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
