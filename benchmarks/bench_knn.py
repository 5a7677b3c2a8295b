"""KNN matting: classicmat against PyMatting, side by side in one run.

Usage::

    python benchmarks/bench_knn.py [--repeat 1] [--out benchmarks/results/knn.md]
        [--subset GT01,GT05] [--lemur]

Measures, on this machine, for the 20 alphamatting.com training images x
(Trimap1, Trimap2):

- time of ``pymatting.estimate_alpha_knn`` (its defaults) and of
  ``classicmat.estimate_alpha(method="knn")`` (its default,
  ``variant="pymatting"``, then ``variant="paper"`` with soft and with hard
  constraints), all warmed up, median of ``--repeat`` runs, and the ratios;
- SAD (thousands) and MSE (x 1e3) on the unknown region for both, next to
  closed-form matting (``method="cf"``).

With ``--lemur``, the lemur sample upscaled x4 (2720x1760): time and peak RSS
of each library in a fresh process.

Needs ``pip install pymatting`` and ../shared/data/alphamatting.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    PEAK_RSS_SNIPPET,
    ROOT,
    alphamatting_cases,
    load_gray,
    load_rgb,
    machine,
    median_time,
    run_isolated,
)

#: classicmat settings compared: the default (``variant="pymatting"``), the
#: paper's settings, and the paper's with hard constraints.
CONFIGS = {
    "classicmat": {},
    "paper": {"variant": "paper"},
    "paper_hard": {"variant": "paper", "lambda_": np.inf},
}


def bench_alphamatting(repeat: int, subset: list[str] | None) -> list[dict]:
    import pymatting

    import classicmat

    tiny = np.random.default_rng(0).random((20, 20, 3))
    tiny_trimap = np.full((20, 20), 0.5)
    tiny_trimap[:, :3] = 0.0
    tiny_trimap[:, -3:] = 1.0
    pymatting.estimate_alpha_knn(tiny, tiny_trimap)
    classicmat.estimate_alpha(tiny, tiny_trimap, method="knn")
    classicmat.estimate_alpha(tiny, tiny_trimap, method="cf")

    rows = []
    for tag, image_path, trimap_path, gt_path in alphamatting_cases():
        if subset and tag.split("/")[0] not in subset:
            continue
        image = load_rgb(image_path)
        trimap = load_gray(trimap_path)
        gt = load_gray(gt_path)
        t_pm, a_pm = median_time(
            lambda image=image, trimap=trimap: pymatting.estimate_alpha_knn(image, trimap), repeat
        )
        row = {"case": tag, "t_pymatting": t_pm}
        alphas = {"pymatting": a_pm}
        for key, options in CONFIGS.items():
            row[f"t_{key}"], alphas[key] = median_time(
                lambda image=image, trimap=trimap, options=options: classicmat.estimate_alpha(
                    image, trimap, method="knn", **options
                ),
                repeat,
            )
        alphas["cf"] = classicmat.estimate_alpha(image, trimap, method="cf")
        for key, alpha in alphas.items():
            row[f"sad_{key}"] = classicmat.sad(alpha, gt, trimap)
            row[f"mse_{key}"] = classicmat.mse(alpha, gt, trimap) * 1e3
        rows.append(row)
        print(
            f"{tag}: pymatting-knn {t_pm:.2f} s mse {row['mse_pymatting']:.3f} | "
            f"classicmat-knn {row['t_classicmat']:.2f} s mse {row['mse_classicmat']:.3f} | "
            f"cf mse {row['mse_cf']:.3f}",
            flush=True,
        )
    return rows


LEMUR_CODE = (
    PEAK_RSS_SNIPPET
    + """
import json, sys, time
sys.path.insert(0, {bench!r})
from _common import lemur_upscaled
image, trimap = lemur_upscaled(4)
start = time.perf_counter()
if {lib!r} == "pymatting":
    import pymatting
    pymatting.estimate_alpha_knn(image, trimap)
else:
    import classicmat
    classicmat.estimate_alpha(image, trimap, method="knn")
print(json.dumps({{"time": time.perf_counter() - start, "peak_rss_mb": peak_rss_mb()}}))
"""
)


def bench_lemur() -> dict:
    bench = str(ROOT / "benchmarks")
    return {
        lib: run_isolated(LEMUR_CODE.format(bench=bench, lib=lib))
        for lib in ("pymatting", "classicmat")
    }


SAD_COLUMNS = ("pymatting", "classicmat", "paper", "cf")


def report(rows: list[dict], lemur: dict | None) -> str:
    keys = ["pymatting", *CONFIGS, "cf"]
    lines = [f"# KNN matting: classicmat vs PyMatting\n\nMachine: {machine()}\n"]
    lines.append(
        "Columns: PyMatting `estimate_alpha_knn` (pm); classicmat knn with its default "
        '`variant="pymatting"` (cm), with `variant="paper"` (paper) and with '
        '`variant="paper", lambda_=inf` (paper hard); closed-form (cf). SAD in thousands, '
        "MSE x 1e3, on the unknown region.\n"
    )
    lines.append(
        "| case | t pm (s) | t cm (s) | t paper (s) | t paper hard (s) | ratio pm/cm "
        "| ratio pm/paper | ratio pm/paper hard | MSE pm | MSE cm | MSE paper "
        "| MSE paper hard | MSE cf | SAD pm | SAD cm | SAD paper | SAD cf |"
    )
    lines.append("|---" * 17 + "|")
    for r in rows:
        t = r["t_pymatting"]
        lines.append(
            f"| {r['case']} | {t:.2f} | {r['t_classicmat']:.2f} | {r['t_paper']:.2f} "
            f"| {r['t_paper_hard']:.2f} | {t / r['t_classicmat']:.2f} "
            f"| {t / r['t_paper']:.2f} | {t / r['t_paper_hard']:.2f} "
            + " ".join(f"| {r[f'mse_{k}']:.3f}" for k in keys)
            + " "
            + " ".join(
                f"| {r[f'sad_{k}']:.2f}" for k in ("pymatting", "classicmat", "paper", "cf")
            )
            + " |"
        )
    lines.append("")
    for key in CONFIGS:
        ratios = [r["t_pymatting"] / r[f"t_{key}"] for r in rows]
        lines.append(
            f"- median time ratio PyMatting-knn / classicmat-knn ({key}): "
            f"{statistics.median(ratios):.2f} (min {min(ratios):.2f}, max {max(ratios):.2f})"
        )
    for key in keys:
        lines.append(
            f"- {key}: mean MSE x1e3 {statistics.mean(r[f'mse_{key}'] for r in rows):.3f}, "
            f"mean SAD {statistics.mean(r[f'sad_{key}'] for r in rows):.2f}"
        )
    lines.append(f"\n{len(rows)} cases.\n")
    if lemur:
        lines.append("| lemur x4 (fresh process) | time (s) | peak RSS (MB) |\n|---|---|---|")
        for lib, m in lemur.items():
            lines.append(f"| {lib} knn | {m['time']:.2f} | {m['peak_rss_mb']:.0f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/knn.md")
    parser.add_argument(
        "--subset", default=None, help="comma-separated image names, e.g. GT01,GT05"
    )
    parser.add_argument(
        "--lemur", action="store_true", help="also the lemur x4 in fresh processes"
    )
    args = parser.parse_args()
    subset = args.subset.split(",") if args.subset else None
    rows = bench_alphamatting(args.repeat, subset)
    lemur = bench_lemur() if args.lemur else None
    text = report(rows, lemur)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    args.out.with_suffix(".json").write_text(json.dumps({"rows": rows, "lemur": lemur}, indent=1))
    print(text)


if __name__ == "__main__":
    main()
