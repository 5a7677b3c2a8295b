"""Bayesian matting next to closed-form matting on alphamatting.com (Trimap1).

Usage::

    python benchmarks/bench_bayesian.py [--repeat 1] [--trimap trimap1] [--out FILE.md]

For each of the 20 training images: the time of
``classicmat.bayesian_matting`` (warmed up; median of ``--repeat`` runs), the
number of pixels that used the sparse-sample fallback, and SAD, MSE and
gradient error (``classicmat.metrics``, on the unknown region) of bayesian
and of cf. Prints a Markdown table, the mean errors, the median time and the
machine. Needs ../shared/data/alphamatting.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import alphamatting_cases, load_gray, load_rgb, machine, median_time  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--trimap", default="trimap1")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    import classicmat
    from classicmat.alpha.bayesian import SparseSamplesWarning

    tiny = np.random.default_rng(0).random((20, 20, 3))
    tiny_trimap = np.full((20, 20), 0.5)
    tiny_trimap[:, :3] = 0.0
    tiny_trimap[:, -3:] = 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SparseSamplesWarning)
        classicmat.bayesian_matting(tiny, tiny_trimap)  # compile / load the cache

    lines = [
        "| image | unknown px | fallback px | time bayesian (s) | SAD bayes | SAD cf "
        "| MSE bayes (1e-3) | MSE cf (1e-3) | Grad bayes | Grad cf |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    times, errors = [], {"bayes": [], "cf": []}
    for tag, image_path, trimap_path, gt_path in alphamatting_cases((args.trimap,)):
        image, trimap, gt = load_rgb(image_path), load_gray(trimap_path), load_gray(gt_path)
        fallback = [0]

        def run(image=image, trimap=trimap, fallback=fallback):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", SparseSamplesWarning)
                result = classicmat.bayesian_matting(image, trimap)
            fallback[0] = int(str(caught[0].message).split()[0]) if caught else 0
            return result

        seconds, (alpha, _, _) = median_time(run, args.repeat)
        cf = classicmat.estimate_alpha(image, trimap, method="cf")
        row = {}
        for key, a in (("bayes", alpha), ("cf", cf)):
            row[key] = (
                classicmat.sad(a, gt, trimap),
                classicmat.mse(a, gt, trimap) * 1e3,
                classicmat.gradient_error(a, gt, trimap),
            )
            errors[key].append(row[key])
        times.append(seconds)
        unknown = int(((trimap > 0.1) & (trimap < 0.9)).sum())
        b, c = row["bayes"], row["cf"]
        lines.append(
            f"| {tag} | {unknown} | {fallback[0]} | {seconds:.2f} | {b[0]:.1f} | {c[0]:.1f} "
            f"| {b[1]:.2f} | {c[1]:.2f} | {b[2]:.1f} | {c[2]:.1f} |"
        )
        print(lines[-1], flush=True)
    mean_b = np.mean(errors["bayes"], axis=0)
    mean_c = np.mean(errors["cf"], axis=0)
    lines.append(
        f"| **mean** | | | median {statistics.median(times):.2f} | {mean_b[0]:.1f} | "
        f"{mean_c[0]:.1f} | {mean_b[1]:.2f} | {mean_c[1]:.2f} | {mean_b[2]:.1f} "
        f"| {mean_c[2]:.1f} |"
    )
    lines.append("")
    lines.append(f"mean MSE ratio bayesian / cf: {mean_b[1] / mean_c[1]:.2f}")
    lines.append(f"machine: {machine()}")
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
