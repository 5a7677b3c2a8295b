"""Benchmark of classicmat.solvers on saved matting systems.

Usage::

    python benchmarks/bench_solvers.py SYSTEM_DIR OUT.md [--tags GT01_t1,lemur] [--repeat 3]
        [--configs cg-ichol,cg-amg-sa] [--exact-max 200000]

``SYSTEM_DIR`` holds ``{tag}_A.npz`` (``scipy.sparse.save_npz``) and
``{tag}_b.npz`` (``b``, ``unknown``, ``shape``). For every system and solver
setup it measures the setup and solve time (medians over ``--repeat`` runs),
the iterations, and ``max |clip(x) - clip(x_exact)|`` against a sparse LU
solution (for systems up to ``--exact-max`` unknowns), then prints a table
and the medians per setup, and writes both as Markdown to ``OUT.md``. The
``rtol`` study reports, for CG + incomplete Cholesky, the largest alpha
error reached at each candidate ``rtol`` over all systems. Peak memory (RSS)
is measured per setup in a subprocess for systems above ``--isolate-min``
unknowns. PyMatting's ichol + CG is run in the same process when installed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from classicmat.solvers import solve

CONFIGS = {
    # name: (solver, options)
    "cg-ichol": ("cg-ichol", {}),
    "cg-ichol-f32": ("cg-ichol", {"factor_dtype": "float32"}),
    "cg-ichol-rcm-3e-4": ("cg-ichol", {"ordering": "rcm", "drop_tol": 3e-4}),
    "cg-ichol-1e-3": ("cg-ichol", {"drop_tol": 1e-3}),
    "cg-amg-sa": ("cg-amg", {"method": "sa"}),
    "cg-amg-sa-sgs": (
        "cg-amg",
        {
            "method": "sa",
            "presmoother": ("gauss_seidel", {"sweep": "symmetric"}),
            "postsmoother": ("gauss_seidel", {"sweep": "symmetric"}),
        },
    ),
    "cg-amg-sa-evolution": (
        "cg-amg",
        {"method": "sa", "strength": ("evolution", {"k": 2, "proj_type": "l2", "epsilon": 4.0})},
    ),
    "cg-amg-sa-W": ("cg-amg", {"method": "sa", "cycle": "W"}),
    "cg-amg-rootnode": ("cg-amg", {"method": "rootnode"}),
    "cg-amg-rs": ("cg-amg", {"method": "rs"}),
    "multigrid-sa": ("multigrid", {"method": "sa"}),
    "multigrid-rs": ("multigrid", {"method": "rs"}),
    "cg-jacobi": ("cg-jacobi", {}),
    "direct": ("direct", {}),
    "auto": ("auto", {}),
}
DEFAULT_CONFIGS = [
    "auto", "cg-ichol", "cg-ichol-f32", "cg-ichol-rcm-3e-4", "cg-amg-sa",
    "cg-amg-rootnode", "cg-amg-rs", "multigrid-sa", "direct", "pymatting",
]  # fmt: skip
RTOLS = [1e-3, 1e-4, 1e-5, 1e-6, 1e-7]


def load(directory: Path, tag: str):
    A = sp.load_npz(directory / f"{tag}_A.npz").tocsr()
    with np.load(directory / f"{tag}_b.npz") as d:
        b = d["b"]
    return A, b


def run_config(name, A, b, rtol, maxiter):
    if name == "pymatting":
        from pymatting.preconditioner.ichol import ichol as pm_ichol
        from scipy.sparse.linalg import LinearOperator, cg

        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import contextlib
            import io

            with contextlib.redirect_stdout(io.StringIO()):
                dec = pm_ichol(sp.csr_matrix(A))
        t1 = time.perf_counter()
        count = [0]

        def cb(_):
            count[0] += 1

        M = LinearOperator(A.shape, matvec=dec, dtype=np.float64)
        x, _ = cg(sp.csr_matrix(A), b, rtol=rtol, M=M, callback=cb, maxiter=maxiter)
        t2 = time.perf_counter()
        return x, t1 - t0, t2 - t1, count[0], True
    solver, options = CONFIGS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = solve(A, b, solver=solver, rtol=rtol, maxiter=maxiter, options=dict(options))
    return res.x, res.setup_time, res.solve_time, res.iterations, res.converged


def isolated_peak_rss(directory, tag, name, rtol, maxiter):
    code = (  # noqa: UP031
        "import sys, json, resource; sys.path.insert(0, %r);"
        "from bench_solvers import load, run_config; from pathlib import Path;"
        "A, b = load(Path(%r), %r);"
        "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss;"
        "x, ts, tt, it, ok = run_config(%r, A, b, %r, %r);"
        "print(json.dumps([ts, tt, it, ok, base/1e6,"
        " resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1e6]))"
    ) % (str(Path(__file__).parent), str(directory), tag, name, rtol, maxiter)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if out.returncode != 0:
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def rtol_study(A, b, x_exact):
    """Alpha error at the first CG + ichol iterate that meets each rtol."""
    bnorm = np.linalg.norm(b)
    hist = []

    def cb(xk):
        hist.append(
            (
                np.linalg.norm(b - A @ xk) / bnorm,
                np.abs(np.clip(xk, 0, 1) - np.clip(x_exact, 0, 1)).max(),
            )
        )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        solve(A, b, solver="cg-ichol", rtol=1e-10, maxiter=300, callback=cb)
    errors = {}
    for rtol in RTOLS:
        errors[rtol] = next((e for r, e in hist if r <= rtol), float("nan"))
    return errors


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("directory", type=Path)
    p.add_argument("output", type=Path)
    p.add_argument("--tags", default=None, help="comma-separated tags (default: all)")
    p.add_argument("--configs", default=",".join(DEFAULT_CONFIGS))
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--rtol", type=float, default=1e-7)
    p.add_argument("--maxiter", type=int, default=500)
    p.add_argument("--exact-max", type=int, default=200_000)
    p.add_argument("--isolate-min", type=int, default=300_000)
    p.add_argument("--skip-large-for", default="direct,cg-amg-rs,multigrid-sa,pymatting",
                   help="configs not run above --isolate-min unknowns")  # fmt: skip
    args = p.parse_args(argv)

    tags = (
        args.tags.split(",")
        if args.tags
        else sorted(f.name[: -len("_A.npz")] for f in args.directory.glob("*_A.npz"))
    )
    configs = args.configs.split(",")
    skip_large = set(args.skip_large_for.split(","))
    rows = []
    study = []
    # warm-up: compile the numba kernels, import pyamg
    A0 = sp.diags([-1.0, 2.5, -1.0], [-1, 0, 1], shape=(200, 200), format="csr")
    for name in configs:
        try:
            run_config(name, A0, np.ones(200), 1e-6, 50)
        except Exception:
            pass
    for tag in tags:
        A, b = load(args.directory, tag)
        n = A.shape[0]
        x_exact = None
        if n <= args.exact_max:
            x_exact = solve(A, b, solver="direct").x
            study.append((tag, n, rtol_study(A, b, x_exact)))
        for name in configs:
            if n > args.isolate_min and name in skip_large:
                continue
            if name == "direct" and n > args.exact_max:
                continue
            mem = None
            if n > args.isolate_min:
                runs = [isolated_peak_rss(args.directory, tag, name, args.rtol, args.maxiter)]
                if runs[0] is None:
                    continue
                ts, tt, it, ok, base, peak = runs[0]
                mem = peak
                err = float("nan")
            else:
                times = []
                for _ in range(args.repeat):
                    x, ts, tt, it, ok = run_config(name, A, b, args.rtol, args.maxiter)
                    times.append((ts, tt))
                ts = statistics.median(t[0] for t in times)
                tt = statistics.median(t[1] for t in times)
                err = (
                    float(np.abs(np.clip(x, 0, 1) - np.clip(x_exact, 0, 1)).max())
                    if x_exact is not None
                    else float("nan")
                )
            row = dict(tag=tag, n=n, config=name, setup=ts, solve=tt, total=ts + tt,
                       it=it, ok=ok, err=err, mem=mem)  # fmt: skip
            rows.append(row)
            print(
                f"{tag:9s} {n:7d} {name:22s} setup {ts:7.3f} solve {tt:7.3f} it {it:4d} "
                f"{'ok ' if ok else 'NOT'} err {err:.1e}"
                + (f" peakRSS {mem:.2f} GB" if mem else ""),
                flush=True,
            )
    write_report(args, rows, study, configs)


def _median(values):
    values = [v for v in values if v is not None and np.isfinite(v)]
    return statistics.median(values) if values else float("nan")


def write_report(args, rows, study, configs):
    lines = [
        "# classicmat solver benchmark",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}, "
        f"peak RSS of this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.1f}"
        f" GB. rtol={args.rtol}, maxiter={args.maxiter}, medians of {args.repeat} runs.",
        "",
        "## Medians per setup (systems up to --isolate-min unknowns)",
        "",
        "| setup | systems | setup s | solve s | total s | iterations | max err | "
        "not converged | total vs pymatting |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    small = [r for r in rows if r["mem"] is None]
    pm = {r["tag"]: r["total"] for r in small if r["config"] == "pymatting"}
    for name in configs:
        rs = [r for r in small if r["config"] == name]
        if not rs:
            continue
        ratio = _median([pm[r["tag"]] / r["total"] for r in rs if r["tag"] in pm])
        lines.append(
            f"| {name} | {len(rs)} | {_median([r['setup'] for r in rs]):.3f} | "
            f"{_median([r['solve'] for r in rs]):.3f} | {_median([r['total'] for r in rs]):.3f} | "
            f"{_median([r['it'] for r in rs]):.0f} | {max(r['err'] for r in rs):.1e} | "
            f"{sum(not r['ok'] for r in rs)} | {ratio:.2f}x |"
        )
    lines += [
        "",
        "## All runs",
        "",
        "| system | unknowns | setup | setup s | solve s | iterations | converged | "
        "max abs(x - x_exact) | peak RSS GB |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        mem = f"{r['mem']:.2f}" if r["mem"] else ""
        lines.append(
            f"| {r['tag']} | {r['n']} | {r['config']} | {r['setup']:.3f} | {r['solve']:.3f} | "
            f"{r['it']} | {r['ok']} | {r['err']:.1e} | {mem} |"
        )
    if study:
        lines += [
            "",
            "## rtol study (cg-ichol): alpha error max|clip(x)-clip(x_exact)| when rtol is met",
            "",
            "| rtol | max over systems | median |",
            "|---|---|---|",
        ]
        for rtol in RTOLS:
            errs = [s[2][rtol] for s in study]
            lines.append(f"| {rtol:g} | {max(errs):.2e} | {_median(errs):.2e} |")
    text = "\n".join(lines) + "\n"
    args.output.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
