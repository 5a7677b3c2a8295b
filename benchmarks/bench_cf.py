"""Closed-form matting: classicmat against PyMatting, side by side in one run.

Usage::

    python benchmarks/bench_cf.py [--repeat 3] [--out benchmarks/results/cf.md] [--skip-large]

Measures, on this machine:

1. the 20 alphamatting.com training images x (Trimap1, Trimap2): time of
   ``pymatting.estimate_alpha_cf`` and ``classicmat.estimate_alpha(method="cf")``
   (both warmed up, median of ``--repeat`` runs, interleaved), their ratio,
   max |alpha difference| and the MSE of each against the ground truth on the
   unknown region;
2. the lemur sample upscaled x4 (2720x1760): time and peak RSS of each
   library, each in a fresh process;
3. ``import classicmat`` time, and the first-call time with a cold and with a
   warm numba cache.

Needs ``pip install pymatting psutil`` and ../shared/data/alphamatting.
"""

from __future__ import annotations

import argparse
import json
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
    median_time,
    run_isolated,
)


def bench_alphamatting(repeat: int) -> tuple[list[dict], dict]:
    import pymatting

    import classicmat
    from classicmat.laplacian import cf_system
    from classicmat.solvers import solve

    # warm up both (compilation / cache loading) on a small case
    tiny = np.random.default_rng(0).random((20, 20, 3))
    tiny_trimap = np.full((20, 20), 0.5)
    tiny_trimap[:, :3] = 0.0
    tiny_trimap[:, -3:] = 1.0
    pymatting.estimate_alpha_cf(tiny, tiny_trimap)
    classicmat.estimate_alpha(tiny, tiny_trimap, method="cf")

    rows = []
    for tag, image_path, trimap_path, gt_path in alphamatting_cases():
        image = load_rgb(image_path)
        trimap = load_gray(trimap_path)
        gt = load_gray(gt_path)
        t_pm, a_pm = median_time(
            lambda image=image, trimap=trimap: pymatting.estimate_alpha_cf(image, trimap), repeat
        )
        t_cm, a_cm = median_time(
            lambda image=image, trimap=trimap: classicmat.estimate_alpha(image, trimap),
            repeat,
        )
        system = cf_system(image, trimap)
        coords = np.column_stack(np.divmod(system.unknown, trimap.shape[1]))
        info = solve(system.A, system.b, coords=coords)
        mse_pm, sad_pm = classicmat.mse(a_pm, gt, trimap), classicmat.sad(a_pm, gt, trimap)
        mse_cm, sad_cm = classicmat.mse(a_cm, gt, trimap), classicmat.sad(a_cm, gt, trimap)
        row = {
            "case": tag,
            "unknown": int(system.unknown.size),
            "pymatting_s": t_pm,
            "classicmat_s": t_cm,
            "ratio": t_pm / t_cm,
            "max_abs_diff": float(np.abs(a_pm - a_cm).max()),
            "mse_pymatting": mse_pm,
            "mse_classicmat": mse_cm,
            "sad_pymatting": sad_pm,
            "sad_classicmat": sad_cm,
            "solver": info.solver,
            "iterations": info.iterations,
        }
        rows.append(row)
        print(
            f"{tag:12s} n={row['unknown']:6d}  pymatting {t_pm:6.3f}s  classicmat "
            f"{t_cm:6.3f}s  x{row['ratio']:5.2f}  max|da| {row['max_abs_diff']:.1e}  "
            f"MSE {mse_pm:.5f} / {mse_cm:.5f}  {info.solver} {info.iterations} it",
            flush=True,
        )
    summary = {
        "median_ratio": statistics.median(r["ratio"] for r in rows),
        "min_ratio": min(r["ratio"] for r in rows),
        "median_pymatting_s": statistics.median(r["pymatting_s"] for r in rows),
        "median_classicmat_s": statistics.median(r["classicmat_s"] for r in rows),
        "max_abs_diff": max(r["max_abs_diff"] for r in rows),
        "mean_mse_pymatting": statistics.mean(r["mse_pymatting"] for r in rows),
        "mean_mse_classicmat": statistics.mean(r["mse_classicmat"] for r in rows),
    }
    return rows, summary


LARGE_CODE = (
    PEAK_RSS_SNIPPET
    + """
import json, sys, time
sys.path.insert(0, "benchmarks")
import numpy as np
from _common import lemur_upscaled
lib = {lib!r}
tiny = np.random.default_rng(0).random((20, 20, 3))
tt = np.full((20, 20), 0.5); tt[:, :3] = 0; tt[:, -3:] = 1
if lib == "pymatting":
    from pymatting import estimate_alpha_cf as run
else:
    import classicmat
    def run(image, trimap):
        return classicmat.estimate_alpha(image, trimap, method="cf")
run(tiny, tt)
image, trimap = lemur_upscaled(4)
base = peak_rss_mb()
t = time.perf_counter()
alpha = run(image, trimap)
elapsed = time.perf_counter() - t
np.save({out!r}, alpha.astype(np.float32))
print(json.dumps({{"seconds": elapsed, "peak_rss_mb": peak_rss_mb(), "rss_before_mb": base,
                   "unknown": int(((trimap > 0.1) & (trimap < 0.9)).sum())}}))
"""
)


FILES_CODE = (
    PEAK_RSS_SNIPPET
    + """
import json, time
import numpy as np
lib = {lib!r}
tiny = np.random.default_rng(0).random((20, 20, 3))
tt = np.full((20, 20), 0.5); tt[:, :3] = 0; tt[:, -3:] = 1
if lib == "pymatting":
    from pymatting import estimate_alpha_cf, load_image, save_image
    estimate_alpha_cf(tiny, tt)
    def run():
        image = load_image({image!r}, "RGB")
        trimap = load_image({trimap!r}, "GRAY")
        save_image({out!r}, estimate_alpha_cf(image, trimap))
else:
    import classicmat
    from classicmat.cli import main
    classicmat.estimate_alpha(tiny, tt)
    def run():
        assert main([{image!r}, {trimap!r}, "-o", {out!r}, "--quiet"]) == 0
base = peak_rss_mb()
t = time.perf_counter()
run()
elapsed = time.perf_counter() - t
print(json.dumps({{"seconds": elapsed, "peak_rss_mb": peak_rss_mb(), "rss_before_mb": base}}))
"""
)


def bench_large_files(repeat: int) -> dict:
    """Lemur x4 from PNG files to a PNG file: the path a user of the CLI takes."""
    from _common import lemur_upscaled
    from PIL import Image

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        image, trimap = lemur_upscaled(4)
        image_path, trimap_path = str(Path(tmp) / "x4.png"), str(Path(tmp) / "x4_trimap.png")
        Image.fromarray(np.rint(image * 255).astype(np.uint8)).save(image_path)
        Image.fromarray(np.rint(trimap * 255).astype(np.uint8)).save(trimap_path)
        del image, trimap
        for lib in ("classicmat", "pymatting"):
            out = str(Path(tmp) / f"{lib}_alpha.png")
            code = FILES_CODE.format(lib=lib, image=image_path, trimap=trimap_path, out=out)
            runs = [run_isolated(code) for _ in range(repeat)]
            results[lib] = {
                key: statistics.median(r[key] for r in runs)
                for key in ("seconds", "peak_rss_mb", "rss_before_mb")
            }
            print(f"lemur x4 files {lib}: {results[lib]}", flush=True)
    return results


def bench_large(repeat: int) -> dict:
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for lib in ("classicmat", "pymatting"):
            out = str(Path(tmp) / f"{lib}.npy")
            runs = [run_isolated(LARGE_CODE.format(lib=lib, out=out)) for _ in range(repeat)]
            results[lib] = {
                "seconds": statistics.median(r["seconds"] for r in runs),
                "peak_rss_mb": statistics.median(r["peak_rss_mb"] for r in runs),
                "rss_before_mb": statistics.median(r["rss_before_mb"] for r in runs),
                "unknown": runs[0]["unknown"],
            }
            print(f"lemur x4 {lib}: {results[lib]}", flush=True)
        diff = np.abs(np.load(Path(tmp) / "classicmat.npy") - np.load(Path(tmp) / "pymatting.npy"))
        results["max_abs_diff"] = float(diff.max())
    return results


STARTUP_CODE = """
import json, time
t = time.perf_counter()
import classicmat
t_import = time.perf_counter() - t
import numpy as np
image = np.random.default_rng(0).random((30, 30, 3))
trimap = np.full((30, 30), 0.5); trimap[:, :4] = 0; trimap[:, -4:] = 1
t = time.perf_counter()
classicmat.estimate_alpha(image, trimap, method="cf")
print(json.dumps({"import_s": t_import, "first_call_s": time.perf_counter() - t}))
"""


def bench_startup(repeat: int) -> dict:
    imports, cold, warm = [], [], []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as cache:
            # classicmat's own variable first: it overrides NUMBA_CACHE_DIR
            env = {"CLASSICMAT_CACHE_DIR": cache, "NUMBA_CACHE_DIR": cache}
            first = run_isolated(STARTUP_CODE, env)
            second = run_isolated(STARTUP_CODE, env)
        cold.append(first["first_call_s"])
        warm.append(second["first_call_s"])
        imports.append(second["import_s"])
    result = {
        "import_s": statistics.median(imports),
        "first_call_cold_cache_s": statistics.median(cold),
        "first_call_warm_cache_s": statistics.median(warm),
    }
    print(f"startup: {result}", flush=True)
    return result


def bench_solvers_lemur() -> list[dict]:
    """Every solver on the lemur system, as estimate_alpha_cf calls them."""
    import classicmat
    from classicmat.laplacian import cf_system
    from classicmat.solvers import SOLVERS, solve

    image = load_rgb(ROOT / "examples" / "data" / "lemur.png")
    trimap = load_gray(ROOT / "examples" / "data" / "lemur_trimap.png")
    system = cf_system(image, trimap)
    coords = np.column_stack(np.divmod(system.unknown, trimap.shape[1]))
    colours = image.reshape(-1, 3)[system.unknown]
    nullspace = np.column_stack([np.ones(len(colours)), colours])
    exact = classicmat.estimate_alpha(image, trimap).flat[system.unknown]
    rows = []
    for name in SOLVERS.names():
        if name in ("auto", "cg"):
            continue
        options = {"near_nullspace": nullspace} if name in ("cg-amg", "multigrid") else None
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t, res = median_time(
                lambda name=name, options=options: solve(
                    system.A, system.b, solver=name, coords=coords, options=options
                ),
                1,
            )
        rows.append(
            {
                "solver": name,
                "seconds": t,
                "iterations": res.iterations,
                "converged": res.converged,
                "max_abs_err": float(np.abs(np.clip(res.x, 0, 1) - exact).max()),
            }
        )
        print(f"lemur solver {rows[-1]}", flush=True)
    return rows


def markdown(rows, summary, large, startup, repeat, solver_rows=()) -> str:
    lines = [
        "## Closed-form matting: classicmat vs PyMatting",
        "",
        f"Machine: {machine()}. Median of {repeat} runs per case, both libraries warmed up.",
        "",
    ]
    if rows:
        lines += [
            "| case | unknown px | PyMatting s | classicmat s | ratio | max abs diff | "
            "MSE PyMatting | MSE classicmat | solver (iterations) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for r in rows:
            lines.append(
                f"| {r['case']} | {r['unknown']} | {r['pymatting_s']:.3f} | "
                f"{r['classicmat_s']:.3f} | {r['ratio']:.2f} | {r['max_abs_diff']:.1e} | "
                f"{r['mse_pymatting']:.5f} | {r['mse_classicmat']:.5f} | "
                f"{r['solver']} ({r['iterations']}) |"
            )
        s = summary
        lines += [
            "",
            f"**Median time ratio PyMatting / classicmat: {s['median_ratio']:.2f}** "
            f"(min {s['min_ratio']:.2f}); median time {s['median_pymatting_s']:.3f} s vs "
            f"{s['median_classicmat_s']:.3f} s. Max |alpha difference| over all cases: "
            f"{s['max_abs_diff']:.1e}. Mean MSE on the unknown region: PyMatting "
            f"{s['mean_mse_pymatting']:.6f}, classicmat {s['mean_mse_classicmat']:.6f}.",
            "",
        ]
    if large:
        cm, pm = large["classicmat"], large["pymatting"]
        lines += [
            f"Lemur x4 (2720x1760, {cm['unknown']} unknown pixels), each in a fresh process:",
            "",
            "| library | time s | peak RSS MB | peak RSS before the call MB (image loaded) |",
            "|---|---:|---:|---:|",
            f"| PyMatting | {pm['seconds']:.2f} | {pm['peak_rss_mb']:.0f} | "
            f"{pm['rss_before_mb']:.0f} |",
            f"| classicmat | {cm['seconds']:.2f} | {cm['peak_rss_mb']:.0f} | "
            f"{cm['rss_before_mb']:.0f} |",
            "",
            f"Ratio {pm['seconds'] / cm['seconds']:.1f}x in time, "
            f"{pm['peak_rss_mb'] / cm['peak_rss_mb']:.1f}x in peak memory; "
            f"max |alpha difference| {large['max_abs_diff']:.1e}.",
            "",
        ]
        files = large.get("files")
        if files:
            cmf, pmf = files["classicmat"], files["pymatting"]
            lines += [
                "The same from PNG files to a PNG file, as a user of the command line "
                "runs it (`classicmat x4.png x4_trimap.png -o alpha.png` in-process; "
                "PyMatting: `load_image`, `estimate_alpha_cf`, `save_image`), which "
                "includes reading and writing the files:",
                "",
                "| library | time s | peak RSS MB |",
                "|---|---:|---:|",
                f"| PyMatting | {pmf['seconds']:.2f} | {pmf['peak_rss_mb']:.0f} |",
                f"| classicmat | {cmf['seconds']:.2f} | {cmf['peak_rss_mb']:.0f} |",
                "",
            ]
    if solver_rows:
        lines += [
            "Every solver on the lemur system (38,666 unknowns; `cg-amg` and `multigrid` "
            "with the colour near-null space [1, R, G, B], as `estimate_alpha_cf` passes it):",
            "",
            "| solver | time s | iterations | converged | max abs error vs exact |",
            "|---|---:|---:|---|---:|",
        ]
        for r in solver_rows:
            lines.append(
                f"| {r['solver']} | {r['seconds']:.2f} | {r['iterations']} | "
                f"{r['converged']} | {r['max_abs_err']:.1e} |"
            )
        lines.append("")
    if startup:
        lines += [
            f"`import classicmat`: {startup['import_s'] * 1000:.0f} ms. First call on a "
            f"30x30 image: {startup['first_call_cold_cache_s']:.1f} s with a cold numba "
            f"cache (compilation), {startup['first_call_warm_cache_s']:.2f} s with a warm one.",
            "",
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "cf.md")
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument("--skip-alphamatting", action="store_true")
    args = parser.parse_args()
    startup = bench_startup(args.repeat)
    rows, summary = ([], {}) if args.skip_alphamatting else bench_alphamatting(args.repeat)
    large = None
    if not args.skip_large:
        large = bench_large(max(1, args.repeat // 2))
        large["files"] = bench_large_files(max(1, args.repeat // 2))
    solver_rows = bench_solvers_lemur()
    text = markdown(rows, summary, large, startup, args.repeat, solver_rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + "\n")
    args.out.with_suffix(".json").write_text(
        json.dumps(
            {"rows": rows, "summary": summary, "large": large, "startup": startup}, indent=1
        )
    )
    print(text)


if __name__ == "__main__":
    main()
