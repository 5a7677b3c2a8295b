"""Information-flow matting: how far each CG stopping rule leaves alpha from the minimiser.

Usage::

    python benchmarks/bench_ifm_rtol.py > benchmarks/results/ifm_rtol.txt
    python benchmarks/bench_ifm_rtol.py --summarise benchmarks/results/ifm_rtol.txt

For the 20 alphamatting.com training images x (Trimap1, Trimap2), ``method="ifm"``
with its defaults but ``rtol`` in 1e-6, 1e-7, 1e-8 and 1e-10: the MSE (x 1e3)
on the unknown region, the time, and the mean and largest absolute difference
of alpha from the ``rtol=1e-10`` solve, one line per case; ``--summarise``
reads those lines back and prints one row per ``rtol``.

Needs ../shared/data/alphamatting.
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "alphamatting"
RTOLS = (1e-6, 1e-7, 1e-8, 1e-10)


def run() -> None:
    import PIL.Image

    import classicmat

    for i in range(1, 21):
        for t in (1, 2):
            case = f"GT{i:02d}/trimap{t}"
            image = classicmat.read_image(DATA / "input" / f"GT{i:02d}.png")
            gray = PIL.Image.open(DATA / f"trimap{t}" / f"GT{i:02d}.png").convert("L")
            trimap = np.asarray(gray, dtype=np.float64) / 255
            truth = PIL.Image.open(DATA / "gt" / f"GT{i:02d}.png").convert("L")
            truth = np.asarray(truth, dtype=np.float64) / 255
            unknown = (trimap > 0.1) & (trimap < 0.9)
            found = {}
            for rtol in RTOLS:
                start = time.perf_counter()
                alpha = classicmat.estimate_alpha(image, trimap, method="ifm", rtol=rtol)
                found[rtol] = (alpha, time.perf_counter() - start)
            tight = found[RTOLS[-1]][0]
            parts = [case]
            for rtol in RTOLS:
                alpha, seconds = found[rtol]
                off = np.abs(alpha - tight)[unknown]
                mse = ((alpha - truth)[unknown] ** 2).mean() * 1e3
                parts.append(
                    f"{rtol:.0e}: mse {mse:.3f} t {seconds:.1f} "
                    f"dmean {off.mean():.1e} dmax {off.max():.1e}"
                )
            print(" | ".join(parts), flush=True)


def summarise(path: Path) -> None:
    rows: dict[str, list] = {}
    pattern = re.compile(r"(\S+): mse ([\d.]+) t ([\d.]+) dmean (\S+) dmax (\S+)")
    for line in path.read_text().splitlines():
        if not line.startswith("GT"):
            continue
        case, *parts = line.split(" | ")
        for part in parts:
            m = pattern.match(part)
            rows.setdefault(m[1], []).append((*map(float, m.groups()[1:]), case))
    print(
        "| rtol | cases | mean MSE x 1e3 | median time (s) | mean error | largest error (case) "
        "| cases off by more than 1e-3 |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for rtol, values in rows.items():
        v = np.array([x[:4] for x in values])
        worst = max(values, key=lambda x: x[3])
        print(
            f"| {rtol} | {len(values)} | {v[:, 0].mean():.3f} | {np.median(v[:, 1]):.2f} "
            f"| {v[:, 2].mean():.1e} | {v[:, 3].max():.1e} ({worst[4]}) "
            f"| {(v[:, 3] > 1e-3).sum()} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--summarise", type=Path, default=None, help="a file of this script's lines"
    )
    args = parser.parse_args()
    if args.summarise:
        summarise(args.summarise)
    else:
        run()


if __name__ == "__main__":
    main()
