"""Shared helpers of the benchmarks: data loading, machine facts, timing, memory."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
ALPHAMATTING = SHARED / "alphamatting"
LEMUR = ROOT / "examples" / "data"


def machine() -> str:
    """One line describing this machine and the library versions."""
    import numba
    import scipy

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = f"numpy {np.__version__}, scipy {scipy.__version__}, numba {numba.__version__}"
    try:
        import pymatting

        versions += f", pymatting {pymatting.__version__}"
    except ImportError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {versions}"


def load_rgb(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"), dtype=np.float64) / 255.0


def load_gray(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("L"), dtype=np.float64) / 255.0


def alphamatting_cases(trimaps=("trimap1", "trimap2")) -> Iterator[tuple[str, Path, Path, Path]]:
    """(tag, image path, trimap path, ground-truth path) for the 20 images x trimaps."""
    if not ALPHAMATTING.is_dir():
        raise SystemExit(f"{ALPHAMATTING} not found: the alphamatting data is needed")
    for i in range(1, 21):
        name = f"GT{i:02d}"
        for t in trimaps:
            yield (
                f"{name}/{t}",
                ALPHAMATTING / "input" / f"{name}.png",
                ALPHAMATTING / t / f"{name}.png",
                ALPHAMATTING / "gt" / f"{name}.png",
            )


def lemur_upscaled(factor: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """The lemur sample upscaled by ``factor``: bicubic image, nearest trimap."""
    with Image.open(LEMUR / "lemur.png") as im, Image.open(LEMUR / "lemur_trimap.png") as tr:
        w, h = im.size
        image = im.convert("RGB").resize((w * factor, h * factor), Image.BICUBIC)
        trimap = tr.convert("L").resize((w * factor, h * factor), Image.NEAREST)
        return (
            np.asarray(image, dtype=np.float64) / 255.0,
            np.asarray(trimap, dtype=np.float64) / 255.0,
        )


def median_time(func: Callable[[], object], repeat: int) -> tuple[float, object]:
    """Median wall time of ``repeat`` calls, and the last result."""
    times = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def run_isolated(code: str, env: dict | None = None, timeout: float = 1800) -> dict:
    """Run ``code`` in a fresh Python; it must print one JSON object last.

    The child reports its own peak resident memory (``ru_maxrss``), so each
    measurement starts from an empty process.
    """
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        cwd=ROOT,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"child failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


PEAK_RSS_SNIPPET = """
import resource, sys
def peak_rss_mb():
    # VmHWM: this process's own high-water mark. (ru_maxrss is inherited from
    # the parent across fork + exec on Linux, so it over-reports in a child.)
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024.0 if sys.platform != "darwin" else kb / 2**20
"""
