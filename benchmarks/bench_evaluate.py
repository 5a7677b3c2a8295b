"""Throughput of ``classicmat evaluate`` on the alphamatting.com training set.

Runs closed-form matting (``cf``, default options) on the 20 images x 2 trimap
sets (40 runs) of ``../shared/data/alphamatting`` with ``--jobs 1`` and then
``--jobs 2`` (each in a fresh output folder, so nothing is reused), prints the
wall times and images per second, checks that both give the same rows (runtimes
aside), and prints the summary table of the run.

    python benchmarks/bench_evaluate.py [--jobs 1 2] [--data DIR]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

from classicmat.evaluate import evaluate_dataset

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "alphamatting"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    if not args.data.is_dir():
        raise SystemExit(f"data not found: {args.data}")

    print(
        f"machine: {platform.platform()}, {os.cpu_count()} logical CPUs, "
        f"Python {platform.python_version()}"
    )
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for jobs in args.jobs:
            start = time.perf_counter()
            summary = evaluate_dataset(
                args.data,
                layout="alphamatting",
                methods=("cf",),
                jobs=jobs,
                out_dir=Path(tmp) / f"jobs{jobs}",
                progress=False,
                command=f"benchmarks/bench_evaluate.py (jobs={jobs})",
            )
            wall = time.perf_counter() - start
            runs = len(summary.rows)
            busy = sum(r["runtime_s"] for r in summary.rows)
            results[jobs] = (wall, summary)
            print(
                f"--jobs {jobs}: {runs} runs in {wall:.1f} s wall = {runs / wall:.2f} images/s "
                f"(sum of per-image estimate times {busy:.1f} s"
                f", {len(summary.failures)} failed)"
            )
    if len(results) > 1:
        base_jobs = min(results)
        base_wall, base = results[base_jobs]

        def strip(rows):
            return [{k: v for k, v in r.items() if k != "runtime_s"} for r in rows]

        for jobs, (wall, summary) in sorted(results.items()):
            if jobs == base_jobs:
                continue
            same = strip(summary.rows) == strip(base.rows)
            print(
                f"--jobs {jobs} vs --jobs {base_jobs}: speed-up {base_wall / wall:.2f}x, "
                f"identical rows: {same}"
            )
    print()
    print(results[min(results)][1].to_markdown())


if __name__ == "__main__":
    main()
