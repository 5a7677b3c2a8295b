"""Information-flow matting: quality and speed next to cf, knn and bayesian, in one run.

Usage::

    python benchmarks/bench_ifm.py [--repeat 3] [--out benchmarks/results/ifm.md]
        [--subset GT01,GT05] [--lemur] [--mosaic /tmp/mosaic5] [--stages GT04/trimap1]
        [--skip-cases]

Measures, on this machine, for the 20 alphamatting.com training images x
(Trimap1, Trimap2):

- SAD, MSE, gradient and connectivity errors on the unknown region
  (``classicmat.metrics.errors``) of ``method="ifm"`` (its defaults), of
  ifm without trimming (``cs_trim=False``) and with both trimming steps
  (``patch_trim=True`` too), and of cf,
  knn, bayesian (and lbdm when it is registered), all with their defaults;
- the time of each (warm; ifm the median of ``--repeat`` runs).

``--lemur``: the lemur upscaled x4 (bicubic image, nearest trimap),
``--mosaic DIR``: the image of ``benchmarks/mosaic.py`` (e.g. 5 x 5 tiles,
4000 x 2450): time and peak RSS (VmHWM) of ifm in a fresh process, and its
errors where there is a ground truth. ``--stages CASE``: the seconds of each
step of ifm on one case (median of ``--repeat``). ``--skip-cases``: only
these, merged into ``benchmarks/results/ifm_large.json`` (the full report of
the cases, ``results/ifm.md`` and ``results/ifm.json``, is left as it is).

Needs ../shared/data/alphamatting.
"""

from __future__ import annotations

import argparse
import json
import statistics
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
    run_isolated,
)

#: ifm settings compared: the defaults (the paper's energy, soft constraints
#: lambda = 100, the edge-based trimming), without any trimming, and with
#: both of the paper's trimming steps.
CONFIGS = {"ifm": {}, "ifm-no-trim": {"cs_trim": False}, "ifm-trim": {"patch_trim": True}}
METRICS = ("sad", "mse", "grad", "conn")


def other_methods() -> list[str]:
    import classicmat

    names = ["cf", "knn", "bayesian"]
    if "lbdm" in classicmat.METHODS.names():
        names.append("lbdm")
    return names


def _warm_up(methods) -> None:
    import warnings

    import classicmat

    rng = np.random.default_rng(0)
    image = rng.random((30, 40, 3))
    trimap = np.full((30, 40), 0.5)
    trimap[:, :6] = 0.0
    trimap[:, -6:] = 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in methods:
            classicmat.estimate_alpha(image, trimap, method=name)
        for options in CONFIGS.values():
            classicmat.estimate_alpha(image, trimap, method="ifm", **options)


def bench_alphamatting(repeat: int, subset: list[str] | None) -> tuple[list[dict], list[str]]:
    import classicmat

    others = other_methods()
    _warm_up(others)
    rows = []
    for tag, image_path, trimap_path, gt_path in alphamatting_cases():
        if subset and tag.split("/")[0] not in subset:
            continue
        image = load_rgb(image_path)
        trimap = load_gray(trimap_path)
        gt = load_gray(gt_path)
        row = {"case": tag, "unknown": int(((trimap > 0.1) & (trimap < 0.9)).sum())}
        for key, options in CONFIGS.items():
            runs = repeat if key == "ifm" else 1
            row[f"t_{key}"], alpha = median_time(
                lambda image=image, trimap=trimap, options=options: classicmat.estimate_alpha(
                    image, trimap, method="ifm", **options
                ),
                runs,
            )
            row.update({f"{m}_{key}": v for m, v in classicmat.errors(alpha, gt, trimap).items()})
        for name in others:
            start = time.perf_counter()
            alpha = classicmat.estimate_alpha(image, trimap, method=name)
            row[f"t_{name}"] = time.perf_counter() - start
            row.update({f"{m}_{name}": v for m, v in classicmat.errors(alpha, gt, trimap).items()})
        rows.append(row)
        print(
            f"{tag}: ifm {row['t_ifm']:.2f} s MSE {row['mse_ifm'] * 1e3:.3f} SAD "
            f"{row['sad_ifm']:.2f} | "
            + " | ".join(f"{n} MSE {row[f'mse_{n}'] * 1e3:.3f}" for n in others),
            flush=True,
        )
    return rows, others


def bench_stages(case: str, repeat: int) -> dict:
    """Seconds of each step of ifm (defaults) on one case, medians of ``repeat``."""
    from dataclasses import replace

    from threadpoolctl import threadpool_limits

    from classicmat.alpha import ifm as method
    from classicmat.laplacian.ifm import _ifm_system
    from classicmat.laplacian.ifm_trimap import transparency_error, trim_trimap
    from classicmat.solvers import solve
    from classicmat.trimap import masks_of

    name, trimap_name = case.split("/")
    paths = {c[0]: c for c in alphamatting_cases()}[case]
    image, trimap = load_rgb(paths[1]), load_gray(paths[2])
    defaults = {o.name: o.default for o in method.estimate_alpha_ifm.options}
    flows = {o.name: defaults[o.name] for o in method.FLOW_OPTIONS}
    trims = {o.name: defaults[o.name] for o in method.TRIM_OPTIONS}
    runs: list[dict] = []
    for _ in range(max(repeat, 1)):
        t = {}
        start = time.perf_counter()
        masks = masks_of(trimap)
        e = transparency_error(image, masks)
        t["transparency test"] = time.perf_counter() - start
        start = time.perf_counter()
        trimmed = (
            trim_trimap(image, masks, **trims)
            if trims["cs_trim"] or trims["patch_trim"]
            else masks
        )
        t["trimming"] = time.perf_counter() - start
        use_ku = defaults["known_to_unknown"] == "on" or (
            defaults["known_to_unknown"] == "auto" and e <= defaults["transparency_threshold"]
        )
        system, x0 = _ifm_system(
            image,
            trimmed if defaults["trimmed_known"] else masks,
            ku_masks=trimmed if use_ku else None,
            timings=t,
            **flows,
        )
        solver = defaults["solver"]
        if solver not in method.MATRIX_FREE:
            system = replace(system, A=system.A.tocsr())
        with threadpool_limits(limits=1, user_api="blas"):
            start = time.perf_counter()
            result = solve(
                system.A, system.b, solver=method._auto(system) if solver == "auto" else solver,
                rtol=defaults["rtol"], x0=x0,
            )  # fmt: skip
            t["solve"] = time.perf_counter() - start
        t["iterations"] = result.iterations
        t["unknowns"] = system.A.shape[0]
        runs.append(t)
    return {key: statistics.median(r[key] for r in runs) for key in runs[0]}


LARGE_CODE = (
    PEAK_RSS_SNIPPET
    + """
import json, sys, time
import numpy as np
sys.path.insert(0, {bench!r})
from _common import lemur_upscaled, load_rgb, load_gray
import classicmat
source = {source!r}
if source == "lemur":
    image, trimap = lemur_upscaled(4)
    gt = None
else:
    from pathlib import Path
    image = load_rgb(Path(source) / "image.png")
    trimap = load_gray(Path(source) / "trimap.png")
    gt = load_gray(Path(source) / "gt.png")
unknown = int(((trimap > 0.1) & (trimap < 0.9)).sum())
start = time.perf_counter()
alpha = classicmat.estimate_alpha(image, trimap, method="ifm")
seconds = time.perf_counter() - start
out = {{"time": seconds, "peak_rss_mb": peak_rss_mb(), "pixels": int(trimap.size),
        "unknown": unknown}}
if gt is not None:
    out.update(classicmat.errors(alpha, gt, trimap))
print(json.dumps(out))
"""
)


def bench_large(source: str) -> dict:
    return run_isolated(LARGE_CODE.format(bench=str(ROOT / "benchmarks"), source=source))


def _means(rows: list[dict], key: str) -> dict:
    return {m: statistics.mean(r[f"{m}_{key}"] for r in rows) for m in METRICS}


def report(rows, others, stages, large) -> str:
    keys = [*CONFIGS, *others]
    lines = [f"# Information-flow matting\n\nMachine: {machine()}\n"]
    lines.append(
        "Errors on the unknown region: SAD, Grad and Conn / 1000, MSE x 1000 "
        "(`classicmat.metrics.errors`). `ifm`: the defaults (edge-based trimming); "
        "`ifm-no-trim`: `cs_trim=False`; `ifm-trim`: `patch_trim=True` too; "
        "the other methods with their defaults. "
        "Times in seconds (warm; ifm the median of the repeats).\n"
    )
    lines.append("## Means\n")
    lines.append("| method | trimap | SAD | MSE | Grad | Conn | median time (s) |")
    lines.append("|---|---|---:|---:|---:|---:|---:|")
    for key in keys:
        for trimap in ("trimap1", "trimap2", None):
            part = [r for r in rows if trimap is None or r["case"].endswith(trimap)]
            if not part:
                continue
            m = _means(part, key)
            t = statistics.median(r[f"t_{key}"] for r in part)
            lines.append(
                f"| {key} | {trimap or 'both'} | {m['sad']:.2f} | {m['mse'] * 1e3:.2f} "
                f"| {m['grad']:.2f} | {m['conn']:.2f} | {t:.2f} |"
            )
    lines.append("")
    for other in others:
        for metric in ("mse", "sad"):
            wins = sum(r[f"{metric}_ifm"] < r[f"{metric}_{other}"] for r in rows)
            lines.append(f"- ifm {metric.upper()} below {other}'s on {wins} of {len(rows)} cases")
    best = {
        metric: min(statistics.mean(r[f"{metric}_{o}"] for r in rows) for o in ("cf", "knn"))
        for metric in ("mse", "sad")
    }
    for metric in ("mse", "sad"):
        ours = statistics.mean(r[f"{metric}_ifm"] for r in rows)
        lines.append(
            f"- mean {metric.upper()}: ifm {ours * (1e3 if metric == 'mse' else 1):.3f}, "
            f"best of cf and knn {best[metric] * (1e3 if metric == 'mse' else 1):.3f} "
            f"({100 * (1 - ours / best[metric]):.1f}% below)"
        )
    lines.append("")
    lines.append("## Per case\n")
    head = "| case | unknown | t ifm |"
    for key in keys:
        head += f" SAD {key} | MSE {key} | Grad {key} | Conn {key} |"
    lines.append(head)
    lines.append("|---" * (3 + 4 * len(keys)) + "|")
    for r in rows:
        line = f"| {r['case']} | {r['unknown']} | {r['t_ifm']:.2f} |"
        for key in keys:
            line += (
                f" {r[f'sad_{key}']:.2f} | {r[f'mse_{key}'] * 1e3:.2f} | "
                f"{r[f'grad_{key}']:.2f} | {r[f'conn_{key}']:.2f} |"
            )
        lines.append(line)
    lines.append(f"\n{len(rows)} cases.\n")
    if stages:
        lines.append(f"## Where the time goes ({stages.pop('case')}, medians)\n")
        lines.append("| step | seconds |\n|---|---:|")
        for key, value in stages.items():
            if key in ("iterations", "unknowns"):
                continue
            lines.append(f"| {key} | {value:.3f} |")
        lines.append(
            f"\n{stages['unknowns']:.0f} unknowns, {stages['iterations']:.0f} CG iterations.\n"
        )
    if large:
        lines.append("## Large images (fresh process)\n")
        lines.append("| image | pixels | unknown | time (s) | peak RSS (MB) | SAD | MSE x1e3 |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|")
        for name, m in large.items():
            errs = f"{m['sad']:.1f} | {m['mse'] * 1e3:.2f}" if "sad" in m else "- | -"
            lines.append(
                f"| {name} | {m['pixels']} | {m['unknown']} | {m['time']:.2f} "
                f"| {m['peak_rss_mb']:.0f} | {errs} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="report file (default results/ifm.md and results/ifm.json; with "
        "--skip-cases the .json of this name, default results/ifm_large.json, into "
        "which the new figures are merged)",
    )
    parser.add_argument("--subset", default=None, help="comma-separated names, e.g. GT01,GT05")
    parser.add_argument("--lemur", action="store_true", help="the lemur x4, fresh process")
    parser.add_argument("--mosaic", default=None, help="folder of benchmarks/mosaic.py output")
    parser.add_argument("--stages", default=None, help="a case, e.g. GT04/trimap1")
    parser.add_argument("--skip-cases", action="store_true", help="only --stages/large")
    args = parser.parse_args()
    subset = args.subset.split(",") if args.subset else None
    rows, others = (
        ([], other_methods()) if args.skip_cases else bench_alphamatting(args.repeat, subset)
    )
    stages = None
    if args.stages:
        stages = {"case": args.stages, **bench_stages(args.stages, args.repeat)}
    large = {}
    if args.lemur:
        large["lemur x4"] = bench_large("lemur")
    if args.mosaic:
        large[f"mosaic {args.mosaic}"] = bench_large(args.mosaic)
    if not rows:  # a partial run: its figures, merged into the JSON file's
        out = (args.out or ROOT / "benchmarks/results/ifm_large.json").with_suffix(".json")
        old = json.loads(out.read_text()) if out.exists() else {}
        large = {**old.get("large", {}), **large}
        stages = stages if stages is not None else old.get("stages")
        text = report_partial(stages, large)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n")
        print(text)
        return
    out = args.out or ROOT / "benchmarks/results/ifm.md"
    text = report(rows, others, dict(stages) if stages else None, large)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    out.with_suffix(".json").write_text(
        json.dumps({"rows": rows, "stages": stages, "large": large}, indent=1)
    )
    print(text)


def report_partial(stages, large) -> str:
    return json.dumps({"rows": [], "stages": stages, "large": large}, indent=1)


if __name__ == "__main__":
    main()
