"""Photos of 10-20 megapixels: mosaics of alphamatting.com photos (benchmarks/mosaic.py).

Usage::

    python benchmarks/bench_large.py [--cases cf5,pm-cf5,cf7,knn5,bayesian5,pm-knn3]
                                     [--data DIR] [--out benchmarks/results/large.md]

Every case runs in a fresh Python process that reads the mosaic the way
each library's users do (``classicmat.read_image``: 8-bit arrays, the
method owns its float copy; ``pymatting.load_image``: float64 arrays),
warms the kernels up on a tiny image (so the numba cache is loaded, not
compiled), then times one call and reports the process's peak resident
memory (``VmHWM``). The parent compares the mattes: MSE on the unknown
region against the ground truth, and, for cf, the largest difference from
PyMatting's matte.

Cases: ``cf5``/``pm-cf5`` (cf on the 5 x 5 mosaic, 9.8 MP), ``cf7`` (7 x 7,
19.2 MP), ``knn5``, ``bayesian5``, ``pm-knn3`` (PyMatting's knn on the
3 x 3 mosaic: its 5 x 5 run does not fit in memory here), ``knn3``, and
``shared5``/``pm-shared5`` (shared matting, PyMatting's ``estimate_alpha_sm``). The mosaics are
written to ``--data`` (default: a folder in the system's temporary
directory, kept for later runs). Needs ../shared/data/alphamatting, and
``pip install pymatting`` for the ``pm-`` cases.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import PEAK_RSS_SNIPPET, machine, run_isolated  # noqa: E402

#: case -> (library, method, mosaic size)
CASES = {
    "cf5": ("classicmat", "cf", 5),
    "pm-cf5": ("pymatting", "cf", 5),
    "cf7": ("classicmat", "cf", 7),
    "knn5": ("classicmat", "knn", 5),
    "bayesian5": ("classicmat", "bayesian", 5),
    "pm-knn3": ("pymatting", "knn", 3),
    "knn3": ("classicmat", "knn", 3),
    "shared5": ("classicmat", "shared", 5),
    "pm-shared5": ("pymatting", "sm", 5),
}

_CHILD = (
    PEAK_RSS_SNIPPET
    + """
import json, time, warnings
import numpy as np
lib, method, folder, out = {lib!r}, {method!r}, {folder!r}, {out!r}
tiny = np.random.default_rng(0).random((40, 40, 3))
tt = np.full((40, 40), 0.5); tt[:, :6] = 0; tt[:, -6:] = 1
if lib == "pymatting":
    import pymatting
    run = getattr(pymatting, "estimate_alpha_" + method)
    run(tiny, tt)
    image = pymatting.load_image(folder + "/image.png", "RGB")
    trimap = pymatting.load_image(folder + "/trimap.png", "GRAY")
else:
    import classicmat
    def run(image, trimap):
        return classicmat.estimate_alpha(image, trimap, method=method)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run(tiny, tt)
    image = classicmat.read_image(folder + "/image.png")
    trimap = classicmat.read_image(folder + "/trimap.png", kind="trimap")
before = peak_rss_mb()
t = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    alpha = run(image, trimap)
seconds = time.perf_counter() - t
np.save(out, np.asarray(alpha, dtype=np.float32))
print(json.dumps({{"seconds": seconds, "peak_rss_mb": peak_rss_mb(), "before_mb": before}}))
"""
)


def _mosaic(data: Path, n: int) -> Path:
    """The n x n mosaic's folder, made on first use."""
    folder = data / f"mosaic{n}"
    if not (folder / "gt.png").exists():
        from mosaic import make_mosaic
        from PIL import Image

        folder.mkdir(parents=True, exist_ok=True)
        for name, array in zip(("image", "trimap", "gt"), make_mosaic(n), strict=True):
            Image.fromarray(array).save(folder / f"{name}.png")
    return folder


def _gray(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im.convert("L"), dtype=np.float64) / 255.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="cf5,pm-cf5,cf7,knn5,bayesian5,knn3,pm-knn3")
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "cm-mosaics")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/large.md"))
    args = parser.parse_args()
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = [c for c in cases if c not in CASES]
    if unknown:
        raise SystemExit(f"unknown cases {unknown}; choose from {sorted(CASES)}")

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases:
            lib, method, n = CASES[case]
            folder = _mosaic(args.data, n)
            out = str(Path(tmp) / f"{case}.npy")
            code = _CHILD.format(lib=lib, method=method, folder=str(folder), out=out)
            print(f"{case}: {lib} {method} on the {n} x {n} mosaic ...", flush=True)
            try:
                row = run_isolated(code, timeout=3600)
            except Exception as exc:  # noqa: BLE001 - report and go on
                print(f"  failed: {str(exc).splitlines()[-1]}")
                continue
            trimap = _gray(folder / "trimap.png")
            gt = _gray(folder / "gt.png")
            alpha = np.load(out).astype(np.float64)
            is_unknown = (trimap > 0.1) & (trimap < 0.9)
            row.update(
                case=case, lib=lib, method=method, n=n,
                megapixels=trimap.size / 1e6, unknown=int(is_unknown.sum()),
                mse=float(np.mean((alpha[is_unknown] - gt[is_unknown]) ** 2)),
            )  # fmt: skip
            results[case] = (row, alpha)
            print(f"  {row['seconds']:.1f} s, peak {row['peak_rss_mb']:.0f} MB, "
                  f"MSE {row['mse']:.5f}", flush=True)  # fmt: skip

    lines = [
        "# Large photos (mosaics of alphamatting.com photos, benchmarks/mosaic.py)",
        "",
        f"Machine: {machine()}",
        "",
        "Each case in a fresh process, kernels warmed up; time of one call; peak RSS of "
        "the process (with the image it read). MSE on the unknown region against the "
        "ground truth.",
        "",
        "| case | library | method | mosaic | MP | unknown | time s | peak MB | MSE |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for case, (row, _) in results.items():
        lines.append(
            f"| {case} | {row['lib']} | {row['method']} | {row['n']} x {row['n']} | "
            f"{row['megapixels']:.1f} | {row['unknown']:,} | {row['seconds']:.1f} | "
            f"{row['peak_rss_mb']:.0f} | {row['mse']:.5f} |"
        )
    for ours, theirs in (("cf5", "pm-cf5"), ("knn3", "pm-knn3"), ("shared5", "pm-shared5")):
        if ours in results and theirs in results:
            a, b = results[ours], results[theirs]
            lines += [
                "",
                f"{ours} vs {theirs}: PyMatting / classicmat time "
                f"{b[0]['seconds'] / a[0]['seconds']:.2f}x, memory "
                f"{b[0]['peak_rss_mb'] / a[0]['peak_rss_mb']:.2f}x, "
                f"max |alpha difference| {np.abs(a[1] - b[1]).max():.2e}",
            ]
    text = "\n".join(lines) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    (args.out.with_suffix(".json")).write_text(
        json.dumps({case: row for case, (row, _) in results.items()}, indent=1)
    )
    print(text)


if __name__ == "__main__":
    main()
