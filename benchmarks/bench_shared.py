"""Shared matting: classicmat against PyMatting's estimate_alpha_sm, side by side in one run.

Usage::

    python benchmarks/bench_shared.py [--repeat 3] [--out benchmarks/results/shared.md]
        [--subset GT01,GT05] [--skip-large]

Measures, on this machine:

1. the 20 alphamatting.com training images x (Trimap1, Trimap2): time of
   ``pymatting.estimate_alpha_sm`` and ``classicmat.estimate_alpha(method="shared")``
   (both with their defaults, warmed up, median of ``--repeat`` runs,
   interleaved), their ratio, and the MSE and SAD of each against the ground
   truth on the unknown region (``classicmat.metrics``);
2. the lemur sample upscaled x4 (2720x1760): time and peak RSS of each
   library, each in a fresh process (warmed up on a small image first);
3. the first call in a fresh process with a cold and with a warm numba cache.

The load average of the machine is printed at the start and at the end:
the times are medians, the ratios those of one run. Needs
``pip install pymatting`` and ../shared/data/alphamatting.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
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
    run_isolated,
)


def _tiny() -> tuple[np.ndarray, np.ndarray]:
    image = np.random.default_rng(0).random((30, 30, 3))
    trimap = np.full((30, 30), 0.5)
    trimap[:, :5] = 0.0
    trimap[:, -5:] = 1.0
    return image, trimap


def bench_alphamatting(repeat: int, subset: list[str] | None) -> list[dict]:
    import time

    import pymatting

    import classicmat

    tiny, tiny_trimap = _tiny()
    pymatting.estimate_alpha_sm(tiny, tiny_trimap)  # compile / load both caches
    classicmat.estimate_alpha(tiny, tiny_trimap, method="shared")

    def run(func, *args, **kwargs):
        start = time.perf_counter()
        result = func(*args, **kwargs)
        return time.perf_counter() - start, result

    rows = []
    for tag, image_path, trimap_path, gt_path in alphamatting_cases():
        if subset and tag.split("/")[0] not in subset:
            continue
        image, trimap, gt = load_rgb(image_path), load_gray(trimap_path), load_gray(gt_path)
        times = {"pymatting": [], "classicmat": []}
        alphas = {}
        for _ in range(repeat):  # interleaved: both see the same load
            t, alphas["pymatting"] = run(pymatting.estimate_alpha_sm, image, trimap)
            times["pymatting"].append(t)
            t, alphas["classicmat"] = run(
                classicmat.estimate_alpha, image, trimap, method="shared"
            )
            times["classicmat"].append(t)
        row = {
            "case": tag,
            "unknown": int(((trimap > 0.1) & (trimap < 0.9)).sum()),
            "t_pymatting": statistics.median(times["pymatting"]),
            "t_classicmat": statistics.median(times["classicmat"]),
        }
        row["ratio"] = row["t_pymatting"] / row["t_classicmat"]
        for key, alpha in alphas.items():
            row[f"mse_{key}"] = classicmat.mse(alpha, gt, trimap)
            row[f"sad_{key}"] = classicmat.sad(alpha, gt, trimap)
        rows.append(row)
        print(
            f"{tag:12s} n={row['unknown']:6d}  pymatting {row['t_pymatting']:.3f} s  "
            f"classicmat {row['t_classicmat']:.3f} s  x{row['ratio']:.2f}  MSE(1e-3) "
            f"{row['mse_pymatting'] * 1e3:.3f} / {row['mse_classicmat'] * 1e3:.3f}",
            flush=True,
        )
    return rows


LARGE_CODE = (
    PEAK_RSS_SNIPPET
    + """
import json, sys, time
sys.path.insert(0, {bench!r})
import numpy as np
from _common import lemur_upscaled
from bench_shared import _tiny
if {lib!r} == "pymatting":
    from pymatting import estimate_alpha_sm as run
else:
    import classicmat
    def run(image, trimap):
        return classicmat.estimate_alpha(image, trimap, method="shared")
run(*_tiny())
image, trimap = lemur_upscaled(4)
before = peak_rss_mb()
start = time.perf_counter()
alpha = run(image, trimap)
elapsed = time.perf_counter() - start
np.save({out!r}, np.asarray(alpha, dtype=np.float32))
print(json.dumps({{"seconds": elapsed, "peak_rss_mb": peak_rss_mb(), "rss_before_mb": before,
                   "unknown": int(((trimap > 0.1) & (trimap < 0.9)).sum())}}))
"""
)


def bench_large(repeat: int) -> dict:
    bench = str(ROOT / "benchmarks")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        alphas = {}
        for lib in ("pymatting", "classicmat"):
            out = str(Path(tmp) / f"{lib}.npy")
            runs = [
                run_isolated(LARGE_CODE.format(bench=bench, lib=lib, out=out))
                for _ in range(repeat)
            ]
            results[lib] = {
                key: statistics.median(r[key] for r in runs)
                for key in ("seconds", "peak_rss_mb", "rss_before_mb")
            }
            results[lib]["unknown"] = runs[0]["unknown"]
            alphas[lib] = np.load(out)
            print(f"lemur x4 {lib}: {results[lib]}", flush=True)
        results["mean_abs_diff"] = float(np.abs(alphas["pymatting"] - alphas["classicmat"]).mean())
    return results


FIRST_CALL_CODE = """
import json, time
start = time.perf_counter()
import numpy as np
import classicmat
image = np.random.default_rng(0).random((30, 30, 3))
trimap = np.full((30, 30), 0.5); trimap[:, :5] = 0.0; trimap[:, -5:] = 1.0
classicmat.estimate_alpha(image, trimap, method="shared")
print(json.dumps({"seconds": time.perf_counter() - start}))
"""


def bench_first_call() -> dict:
    with tempfile.TemporaryDirectory() as cache:
        env = {"CLASSICMAT_CACHE_DIR": cache}
        cold = run_isolated(FIRST_CALL_CODE, env=env)["seconds"]
        warm = run_isolated(FIRST_CALL_CODE, env=env)["seconds"]
    result = {"cold_s": cold, "warm_s": warm}
    print(f"first call: {result}", flush=True)
    return result


def _load() -> str:
    try:
        return "load average " + ", ".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:  # pragma: no cover - not on this platform
        return "load average unknown"


def report(rows, large, first, repeat, loads) -> str:
    lines = [
        "# Shared matting: classicmat vs PyMatting",
        "",
        f"Machine: {machine()}. Median of {repeat} interleaved runs per case, both warmed "
        f"up. {loads[0]} at the start, {loads[1]} at the end.",
        "",
    ]
    if rows:
        lines += [
            "| case | unknown px | PyMatting s | classicmat s | ratio | MSE PyMatting (1e-3) "
            "| MSE classicmat (1e-3) | SAD PyMatting | SAD classicmat |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in rows:
            lines.append(
                f"| {r['case']} | {r['unknown']} | {r['t_pymatting']:.3f} | "
                f"{r['t_classicmat']:.3f} | {r['ratio']:.2f} | {r['mse_pymatting'] * 1e3:.3f} | "
                f"{r['mse_classicmat'] * 1e3:.3f} | {r['sad_pymatting']:.2f} | "
                f"{r['sad_classicmat']:.2f} |"
            )
        ratios = [r["ratio"] for r in rows]
        lines += ["", f"{len(rows)} cases.", ""]
        lines.append(
            f"- **median time ratio PyMatting / classicmat: {statistics.median(ratios):.2f}** "
            f"(min {min(ratios):.2f}, max {max(ratios):.2f}); median time "
            f"{statistics.median(r['t_pymatting'] for r in rows):.3f} s (PyMatting) vs "
            f"{statistics.median(r['t_classicmat'] for r in rows):.3f} s (classicmat)"
        )
        for trimap in ("trimap1", "trimap2", None):
            part = [r for r in rows if trimap is None or r["case"].endswith(trimap)]
            if not part:
                continue
            lines.append(
                f"- mean MSE (1e-3) on the unknown region, {trimap or 'both trimaps'}: "
                f"PyMatting {statistics.mean(r['mse_pymatting'] for r in part) * 1e3:.3f}, "
                f"classicmat {statistics.mean(r['mse_classicmat'] for r in part) * 1e3:.3f}; "
                f"mean SAD {statistics.mean(r['sad_pymatting'] for r in part):.2f} vs "
                f"{statistics.mean(r['sad_classicmat'] for r in part):.2f}"
            )
        lines.append("")
    if large:
        pm, cm = large["pymatting"], large["classicmat"]
        lines += [
            f"Lemur x4 (2720x1760, {cm['unknown']} unknown pixels), each library in a fresh "
            "process (median of its runs):",
            "",
            "| library | time s | peak RSS MB | RSS before the call MB |",
            "|---|---:|---:|---:|",
            f"| PyMatting | {pm['seconds']:.2f} | {pm['peak_rss_mb']:.0f} | "
            f"{pm['rss_before_mb']:.0f} |",
            f"| classicmat | {cm['seconds']:.2f} | {cm['peak_rss_mb']:.0f} | "
            f"{cm['rss_before_mb']:.0f} |",
            "",
            f"Ratio {pm['seconds'] / cm['seconds']:.2f}x in time; mean |alpha difference| "
            f"between the two {large['mean_abs_diff']:.3f}.",
            "",
        ]
    if first:
        lines += [
            f"First call in a fresh process (import, then a 30x30 image): "
            f"{first['cold_s']:.1f} s with a cold numba cache (compilation), "
            f"{first['warm_s']:.2f} s with a warm one.",
            "",
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/shared.md")
    parser.add_argument("--subset", default=None, help="comma-separated names, e.g. GT01,GT05")
    parser.add_argument("--skip-large", action="store_true")
    args = parser.parse_args()
    loads = [_load()]
    print(loads[0], flush=True)
    subset = args.subset.split(",") if args.subset else None
    rows = bench_alphamatting(args.repeat, subset)
    large = None if args.skip_large else bench_large(max(1, args.repeat // 2))
    first = bench_first_call()
    loads.append(_load())
    text = report(rows, large, first, args.repeat, loads)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + "\n")
    args.out.with_suffix(".json").write_text(
        json.dumps({"rows": rows, "large": large, "first_call": first, "load": loads}, indent=1)
    )
    print(text)


if __name__ == "__main__":
    main()
