"""Learning-based, random-walk and large-kernel matting: classicmat against PyMatting.

Usage::

    python benchmarks/bench_pymatting_methods.py [--repeat 1] [--methods lbdm,rw,lkm]
        [--subset GT01,GT05] [--mosaic /tmp/mosaic5] [--out OUT.md]

Measures, on this machine, side by side in one run, for the 20
alphamatting.com training images x (Trimap1, Trimap2) and each method:

- the time of PyMatting's ``estimate_alpha_<method>`` and of classicmat's
  ``estimate_alpha(method=<method>)``, both with their defaults, both warmed
  up, median of ``--repeat`` runs, and the ratio;
- SAD (thousands) and MSE (x 1e3) on the unknown region against the ground
  truth, for both.

With ``--mosaic DIR`` (made by ``python benchmarks/mosaic.py 5 DIR``: 4000 x
2450, 9.8 MP, Trimap1), the time and peak RSS (VmHWM) of each library and
method in a fresh process; a run is stopped when it passes ``--max-rss-gb``
(default 14) or ``--max-seconds`` (default 600), and reported as such. With
``--skip-cases`` too, only the mosaic runs, and its report goes to
``OUT_mosaic.md`` (and ``.json``) beside the results of the cases.

Needs ``pip install pymatting``, psutil and ../shared/data/alphamatting.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
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
)

METHODS = ("lbdm", "rw", "lkm")


def _warm_up(methods) -> None:
    import pymatting

    import classicmat

    rng = np.random.default_rng(0)
    image = rng.random((60, 60, 3))  # PyMatting's lkm needs 4 radius + 1 pixels
    trimap = np.full((60, 60), 0.5)
    trimap[:, :5] = 0.0
    trimap[:, -5:] = 1.0
    for method in methods:
        getattr(pymatting, f"estimate_alpha_{method}")(image, trimap)
        classicmat.estimate_alpha(image, trimap, method=method)


def bench_alphamatting(methods, repeat: int, subset: list[str] | None) -> list[dict]:
    import pymatting

    import classicmat

    _warm_up(methods)
    rows = []
    for tag, image_path, trimap_path, gt_path in alphamatting_cases():
        if subset and tag.split("/")[0] not in subset:
            continue
        image = load_rgb(image_path)
        trimap = load_gray(trimap_path)
        gt = load_gray(gt_path)
        row = {"case": tag, "unknown": int(((trimap > 0.1) & (trimap < 0.9)).sum())}
        line = [tag]
        for method in methods:
            pm_func = getattr(pymatting, f"estimate_alpha_{method}")
            t_pm, a_pm = median_time(
                lambda f=pm_func, image=image, trimap=trimap: f(image, trimap), repeat
            )
            t_cm, a_cm = median_time(
                lambda m=method, image=image, trimap=trimap: classicmat.estimate_alpha(
                    image, trimap, method=m
                ),
                repeat,
            )
            row[f"{method}_t_pm"], row[f"{method}_t_cm"] = t_pm, t_cm
            for lib, alpha in (("pm", a_pm), ("cm", a_cm)):
                row[f"{method}_mse_{lib}"] = classicmat.mse(alpha, gt, trimap) * 1e3
                row[f"{method}_sad_{lib}"] = classicmat.sad(alpha, gt, trimap)
            line.append(
                f"{method}: pm {t_pm:.2f} s mse {row[f'{method}_mse_pm']:.3f} | "
                f"cm {t_cm:.2f} s mse {row[f'{method}_mse_cm']:.3f} ({t_pm / t_cm:.1f}x)"
            )
        rows.append(row)
        print("  ".join(line), flush=True)
    return rows


MOSAIC_CODE = (
    PEAK_RSS_SNIPPET
    + """
import json, sys, time
import numpy as np
from PIL import Image
folder = {folder!r}
def load(name, mode):
    with Image.open(folder + "/" + name) as im:
        return np.asarray(im.convert(mode), dtype=np.float64) / 255.0
image = load("image.png", "RGB")
trimap = load("trimap.png", "L")
before = peak_rss_mb()
start = time.perf_counter()
if {lib!r} == "pymatting":
    import pymatting
    alpha = getattr(pymatting, "estimate_alpha_" + {method!r})(image, trimap)
else:
    import classicmat
    alpha = classicmat.estimate_alpha(image, trimap, method={method!r})
seconds = time.perf_counter() - start
gt = load("gt.png", "L")
import classicmat
print(json.dumps({{"time": seconds, "peak_rss_mb": peak_rss_mb(), "before_mb": before,
                  "mse": classicmat.mse(alpha, gt, trimap) * 1e3}}))
"""
)


def _run_watched(code: str, max_rss_gb: float, max_seconds: float) -> dict:
    """Run ``code`` in a fresh Python, stopped above ``max_rss_gb`` or ``max_seconds``."""
    import psutil

    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    watched = psutil.Process(proc.pid)
    start = time.perf_counter()
    peak = 0.0
    while proc.poll() is None:
        try:
            peak = max(peak, watched.memory_info().rss / 2**20)
        except psutil.NoSuchProcess:
            break
        elapsed = time.perf_counter() - start
        reason = None
        if peak > max_rss_gb * 1024:
            reason = f"stopped: RSS above {max_rss_gb:g} GB after {elapsed:.0f} s"
        elif elapsed > max_seconds:
            reason = f"stopped: more than {max_seconds:.0f} s (RSS {peak / 1024:.1f} GB)"
        if reason:
            proc.kill()
            proc.wait()
            return {"stopped": reason}
        time.sleep(0.2)
    out, err = proc.communicate()
    if proc.returncode != 0:
        return {"stopped": f"failed: {err.strip().splitlines()[-1] if err.strip() else '?'}"}
    return json.loads(out.strip().splitlines()[-1])


def bench_mosaic(folder: Path, methods, max_rss_gb: float, max_seconds: float) -> dict:
    results = {}
    for method in methods:
        for lib in ("classicmat", "pymatting"):
            code = MOSAIC_CODE.format(folder=str(folder), lib=lib, method=method)
            results[f"{method}/{lib}"] = _run_watched(code, max_rss_gb, max_seconds)
            print(method, lib, results[f"{method}/{lib}"], flush=True)
    return results


def _summary(rows: list[dict], method: str) -> dict:
    ratios = [r[f"{method}_t_pm"] / r[f"{method}_t_cm"] for r in rows]
    out = {
        "median_ratio": statistics.median(ratios),
        "min_ratio": min(ratios),
        "max_ratio": max(ratios),
        "median_t_pm": statistics.median(r[f"{method}_t_pm"] for r in rows),
        "median_t_cm": statistics.median(r[f"{method}_t_cm"] for r in rows),
        "worse": [
            r["case"] for r in rows if r[f"{method}_mse_cm"] > r[f"{method}_mse_pm"] * 1.0001
        ],
    }
    for trimap in ("trimap1", "trimap2", None):
        part = [r for r in rows if trimap is None or r["case"].endswith(trimap)]
        key = trimap or "all"
        for lib in ("pm", "cm"):
            out[f"mse_{lib}_{key}"] = statistics.mean(r[f"{method}_mse_{lib}"] for r in part)
            out[f"sad_{lib}_{key}"] = statistics.mean(r[f"{method}_sad_{lib}"] for r in part)
    return out


def report(rows: list[dict], methods, mosaic: dict | None, load: str) -> str:
    lines = [
        "# Learning-based, random-walk and large-kernel matting: classicmat vs PyMatting\n",
        f"Machine: {machine()}\n",
        f"Load average during the run (1, 5, 15 min), at the end: {load}\n",
        "Both libraries with their defaults (PyMatting's `estimate_alpha_lbdm`, `_rw`, "
        "`_lkm`; classicmat's `estimate_alpha(method=...)`), warmed up, in one process. "
        "SAD in thousands and MSE x 1e3 on the unknown region of each trimap.\n",
    ]
    if rows:
        lines += [
            "## Summary\n",
            "| method | median ratio PyMatting/classicmat (min-max) | median time pm / cm (s) "
            "| MSE pm trimap1 / trimap2 / all | MSE cm trimap1 / trimap2 / all "
            "| SAD pm / cm (all) | cases where cm's MSE is higher |",
            "|---|---|---|---|---|---|---|",
        ]
    for method in methods if rows else ():
        s = _summary(rows, method)
        lines.append(
            f"| {method} | **{s['median_ratio']:.2f}** ({s['min_ratio']:.2f}-"
            f"{s['max_ratio']:.2f}) | {s['median_t_pm']:.2f} / {s['median_t_cm']:.2f} "
            f"| {s['mse_pm_trimap1']:.3f} / {s['mse_pm_trimap2']:.3f} / {s['mse_pm_all']:.3f} "
            f"| {s['mse_cm_trimap1']:.3f} / {s['mse_cm_trimap2']:.3f} / "
            f"**{s['mse_cm_all']:.3f}** | {s['sad_pm_all']:.2f} / {s['sad_cm_all']:.2f} "
            f"| {len(s['worse'])}: {', '.join(s['worse']) or '-'} |"
        )
    if rows:
        lines.append(f"\n{len(rows)} cases.\n")
    for method in methods if rows else ():
        lines += [
            f"## {method}\n",
            "| case | unknown px | t pm (s) | t cm (s) | ratio | MSE pm | MSE cm "
            "| SAD pm | SAD cm |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in rows:
            t_pm, t_cm = r[f"{method}_t_pm"], r[f"{method}_t_cm"]
            lines.append(
                f"| {r['case']} | {r['unknown']:,} | {t_pm:.2f} | {t_cm:.2f} | {t_pm / t_cm:.2f} "
                f"| {r[f'{method}_mse_pm']:.3f} | {r[f'{method}_mse_cm']:.3f} "
                f"| {r[f'{method}_sad_pm']:.2f} | {r[f'{method}_sad_cm']:.2f} |"
            )
        lines.append("")
    if mosaic:
        lines += [
            "## The 5 x 5 mosaic (4000 x 2450, 9.8 MP, Trimap1), each run in a fresh process\n",
            "| method | library | time (s) | peak RSS (MB) | RSS before the call (MB) "
            "| MSE x1e3 |",
            "|---|---|---:|---:|---:|---:|",
        ]
        for key, m in mosaic.items():
            method, lib = key.split("/")
            if "stopped" in m:
                lines.append(f"| {method} | {lib} | {m['stopped']} | | | |")
            else:
                lines.append(
                    f"| {method} | {lib} | {m['time']:.1f} | {m['peak_rss_mb']:.0f} "
                    f"| {m['before_mb']:.0f} | {m['mse']:.3f} |"
                )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--subset", default=None, help="image names, e.g. GT01,GT05")
    parser.add_argument("--mosaic", type=Path, default=None, help="folder of mosaic.py")
    parser.add_argument("--skip-cases", action="store_true", help="only the mosaic")
    parser.add_argument("--max-rss-gb", type=float, default=14.0)
    parser.add_argument("--max-seconds", type=float, default=600.0)
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "benchmarks/results/pymatting_methods.md",
        help="default benchmarks/results/pymatting_methods.md",
    )
    args = parser.parse_args()
    methods = [m for m in args.methods.split(",") if m]
    subset = args.subset.split(",") if args.subset else None
    rows = [] if args.skip_cases else bench_alphamatting(methods, args.repeat, subset)
    mosaic = None
    if args.mosaic is not None:
        mosaic = bench_mosaic(args.mosaic, methods, args.max_rss_gb, args.max_seconds)
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    out = args.out
    if not rows:  # the mosaic only: beside the results of the cases, not over them
        out = out.with_name(out.stem + "_mosaic.md")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report(rows, methods, mosaic, load))
    out.with_suffix(".json").write_text(
        json.dumps({"rows": rows, "mosaic": mosaic, "load": load}, indent=1)
    )
    print(out.read_text())


if __name__ == "__main__":
    main()
