"""Foreground estimation: classicmat's three methods side by side with PyMatting.

Run ``python benchmarks/bench_foreground.py [--quick]``; prints Markdown.

Quality set: for alphamatting.com image k (1..20), F = input/GTk.png,
B = input/GT(k+1).png (GT20 takes GT01) brought to the same size by
``classicmat.compose.fit_background(..., fit="cover")``, alpha = gt/GTk.png and
I = alpha F + (1 - alpha) B. Each method estimates F from (I, alpha); the
errors are over the pixels with 0 < alpha < 1: the alpha-weighted SAD
``sum(alpha |F_est - F|)`` (summed over channels, / 1000) and the
alpha-weighted MSE ``sum(alpha |F_est - F|^2) / (3 * count)``.

Speed: median wall time of warmed-up calls on the same 20 composites, and
the lemur upscaled x4 with its FBA alpha (bicubic / bilinear) timed with
peak RSS in fresh subprocesses.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    ALPHAMATTING,
    SHARED,
    load_gray,
    load_rgb,
    machine,
    median_time,
    run_isolated,
)

METHODS = ("multilevel", "blur-fusion", "closed-form")


def make_case(k: int, scale: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(image, alpha, true foreground) of alphamatting image ``k`` composed over ``k + 1``."""
    from classicmat.compose import _resize, fit_background

    fg = load_rgb(ALPHAMATTING / "input" / f"GT{k:02d}.png")
    alpha = load_gray(ALPHAMATTING / "gt" / f"GT{k:02d}.png")
    bg = load_rgb(ALPHAMATTING / "input" / f"GT{k % 20 + 1:02d}.png")
    if scale != 1.0:
        h, w = round(fg.shape[0] * scale), round(fg.shape[1] * scale)
        fg = _resize(fg, h, w)
        alpha = _resize(alpha[:, :, None], h, w)[:, :, 0]
    bg = fit_background(bg, *alpha.shape)
    a = alpha[:, :, None]
    return a * fg + (1 - a) * bg, alpha, fg


def errors(estimate: np.ndarray, alpha: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """Alpha-weighted SAD (/1000) and MSE of ``estimate`` over 0 < alpha < 1."""
    mask = (alpha > 0) & (alpha < 1)
    a = alpha[mask][:, None]
    diff = estimate[mask] - truth[mask]
    sad = float(np.sum(a * np.abs(diff))) / 1000
    mse = float(np.sum(a * diff**2)) / (3 * max(int(mask.sum()), 1))
    return sad, mse


def runners():
    from pymatting import estimate_foreground_ml

    import classicmat.foreground as fg

    out = {m: (lambda im, a, m=m: fg.estimate_foreground(im, a, method=m)) for m in METHODS}
    out["pymatting ml"] = estimate_foreground_ml
    return out


def quality_and_speed(images, repeat: int) -> str:
    funcs = runners()
    tiny = np.random.default_rng(0).random((16, 16, 3)), np.linspace(0, 1, 256).reshape(16, 16)
    for f in funcs.values():  # warm up (numba compile / cache load)
        f(*tiny)
    sad = {name: [] for name in funcs}
    mse = {name: [] for name in funcs}
    times = {name: [] for name in funcs}
    for k in images:
        image, alpha, truth = make_case(k)
        for name, f in funcs.items():
            reps = 1 if name == "closed-form" else repeat  # seconds per call
            t, est = median_time(lambda f=f, i=image, a=alpha: f(i, a), reps)
            s, m = errors(np.asarray(est, dtype=np.float64), alpha, truth)
            sad[name].append(s)
            mse[name].append(m)
            times[name].append(t)
    ref = "pymatting ml"
    lines = [
        f"Quality and speed on {len(images)} alphamatting composites "
        f"(median of {repeat} warm calls per image, 1 for closed-form)",
        "",
        "| method | mean SAD/1000 | mean MSE x1e3 | median time (s) | time / PyMatting "
        "(median ratio) | images better than PyMatting (SAD) |",
        "|---|---|---|---|---|---|",
    ]
    for name in funcs:
        ratio = statistics.median(t / r for t, r in zip(times[name], times[ref], strict=True))
        better = sum(s <= r for s, r in zip(sad[name], sad[ref], strict=True))
        lines.append(
            f"| {name} | {np.mean(sad[name]):.3f} | {1e3 * np.mean(mse[name]):.4f} | "
            f"{statistics.median(times[name]):.3f} | {ratio:.2f} | {better}/{len(images)} |"
        )
    return "\n".join(lines)


LEMUR_CHILD = """
def peak_rss_mb():
    # VmHWM: unlike getrusage's ru_maxrss, not inherited from the parent across fork + exec
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")
import json, time
import numpy as np
from PIL import Image
from pathlib import Path
factor, method = {factor}, {method!r}
root = Path({shared!r}) / "pymatting" / "lemur"
with Image.open(root / "lemur.png") as im, Image.open(root / "lemur_alpha_fba.png") as al:
    w, h = im.size
    image = np.asarray(im.convert("RGB").resize((w * factor, h * factor), Image.BICUBIC)) / 255.0
    alpha = np.asarray(al.convert("L").resize((w * factor, h * factor), Image.BILINEAR)) / 255.0
tiny = np.random.default_rng(0).random((16, 16, 3)), np.linspace(0, 1, 256).reshape(16, 16)
if method == "pymatting ml":
    from pymatting import estimate_foreground_ml as f
else:
    import classicmat.foreground as fg
    f = lambda im, a: fg.estimate_foreground(im, a, method=method)
f(*tiny)
base = peak_rss_mb()
t = time.perf_counter()
f(image, alpha)
t = time.perf_counter() - t
print(json.dumps({{"time": t, "peak": peak_rss_mb(), "base": base, "shape": image.shape[:2]}}))
"""


def lemur(factor: int, methods) -> str:
    lines = [
        f"Lemur x{factor} (FBA alpha), fresh process per run, warm kernels (compiled once, "
        "then cached)",
        "",
        "| method | size | time (s) | peak RSS (MB) | RSS before the call (MB) |",
        "|---|---|---|---|---|",
    ]
    for method in methods:
        code = LEMUR_CHILD.format(factor=factor, method=method, shared=str(SHARED))
        r = run_isolated(code)
        h, w = r["shape"]
        lines.append(
            f"| {method} | {w}x{h} | {r['time']:.2f} | {r['peak']:.0f} | {r['base']:.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 images, 1 repeat, no lemur")
    args = parser.parse_args()
    print(f"# Foreground estimation benchmark\n\n{machine()}\n")
    images = range(1, 6) if args.quick else range(1, 21)
    print(quality_and_speed(list(images), 1 if args.quick else 3))
    if not args.quick:
        print()
        print(lemur(4, ("multilevel", "pymatting ml", "blur-fusion", "closed-form")))


if __name__ == "__main__":
    main()
