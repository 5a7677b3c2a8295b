"""Throughput of ``classicmat evaluate`` on the alphamatting.com training set.

Runs closed-form matting (``cf``, default options) on the 20 images x 2 trimap
sets (40 runs) of ``../shared/data/alphamatting`` with ``--jobs 1`` and then
``--jobs 2`` (each in a fresh output folder, so nothing is reused), prints the
wall times and images per second, checks that both give the same rows (runtimes
aside), and prints the summary table of the run.

With ``--cluster N`` it also runs on a Dask ``LocalCluster`` of N worker
processes (one thread each, ``NUMBA_NUM_THREADS=cpu_count // N``), started
before the clock starts, the way ``--scheduler`` runs on a real cluster:
workers compute, this process writes every file. It needs
``pip install "classicmat[distributed]"``.

    python benchmarks/bench_evaluate.py [--jobs 1 2] [--cluster 2] [--data DIR]
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
    parser.add_argument("--cluster", type=int, metavar="N", help="also on a LocalCluster of N")
    args = parser.parse_args()
    if not args.data.is_dir():
        raise SystemExit(f"data not found: {args.data}")

    print(
        f"machine: {platform.platform()}, {os.cpu_count()} logical CPUs, "
        f"Python {platform.python_version()}"
    )
    results = {}
    runs: list[tuple[str, dict]] = [(f"--jobs {jobs}", {"jobs": jobs}) for jobs in args.jobs]
    cluster = client = None
    if args.cluster:
        from distributed import Client, LocalCluster

        threads = str(max(1, (os.cpu_count() or 1) // args.cluster))
        cluster = LocalCluster(
            n_workers=args.cluster,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=None,
            env={"NUMBA_NUM_THREADS": threads, "OMP_NUM_THREADS": threads},
        )
        client = Client(cluster, set_as_default=False)
        runs.append((f"LocalCluster of {args.cluster}", {"scheduler": client}))
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for k, (name, how) in enumerate(runs):
                start = time.perf_counter()
                summary = evaluate_dataset(
                    args.data,
                    layout="alphamatting",
                    methods=("cf",),
                    out_dir=Path(tmp) / f"run{k}",
                    progress=False,
                    command=f"benchmarks/bench_evaluate.py ({name})",
                    **how,
                )
                wall = time.perf_counter() - start
                count = len(summary.rows)
                busy = sum(r["runtime_s"] for r in summary.rows)
                results[name] = (wall, summary)
                print(
                    f"{name}: {count} runs in {wall:.1f} s wall = {count / wall:.2f} images/s "
                    f"(sum of per-image estimate times {busy:.1f} s"
                    f", {len(summary.failures)} failed)"
                )
    finally:
        if client is not None:
            client.close()
            cluster.close()
    if len(results) > 1:
        base_name = next(iter(results))
        base_wall, base = results[base_name]

        def strip(rows):
            return [{k: v for k, v in r.items() if k != "runtime_s"} for r in rows]

        for name, (wall, summary) in results.items():
            if name == base_name:
                continue
            same = strip(summary.rows) == strip(base.rows)
            print(
                f"{name} vs {base_name}: speed-up {base_wall / wall:.2f}x, identical rows: {same}"
            )
    print()
    print(results[next(iter(results))][1].to_markdown())


if __name__ == "__main__":
    main()
