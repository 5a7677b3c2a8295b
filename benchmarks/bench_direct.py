"""Direct solvers on closed-form matting systems: multifrontal Cholesky vs SuperLU.

For each system: symbolic (ordering + structure), numeric (factorisation) and
solve times (medians of warm runs), factor nonzeros, largest front, peak RSS
of a fresh process that builds the system and runs one factorisation + solve,
and the relative residual. SuperLU (``solve(..., solver="direct")`` without
``coords``: MMD on A + A^T, LU) is skipped on lemur x4 (about 20 s and 5 GB).

Run: ``python benchmarks/bench_direct.py [--repeat 5] [--leaf-size 32]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    ALPHAMATTING,
    LEMUR,
    ROOT,
    lemur_upscaled,
    load_gray,
    load_rgb,
    machine,
)

CASES = ["lemur", "GT01_t1", "GT01_t2", "GT13_t2", "lemur4"]


def build(case: str):
    from classicmat.laplacian import cf_system

    if case == "lemur":
        image, trimap = load_rgb(LEMUR / "lemur.png"), load_gray(LEMUR / "lemur_trimap.png")
    elif case == "lemur4":
        image, trimap = lemur_upscaled(4)
    else:
        name, t = case.split("_t")
        image = load_rgb(ALPHAMATTING / "input" / f"{name}.png")
        trimap = load_gray(ALPHAMATTING / f"trimap{t}" / f"{name}.png")
    s = cf_system(image, trimap)
    coords = np.column_stack(np.divmod(s.unknown, trimap.shape[1]))
    return s.A, np.asarray(s.b), coords


def run_case(case: str, method: str, repeat: int, leaf_size: int, factor_dtype: str) -> dict:
    """One system in this process: medians over ``repeat`` warm runs."""
    import scipy.sparse as sp
    from scipy.sparse.linalg import splu

    from classicmat.solvers import multifrontal_cholesky

    A, b, coords = build(case)
    A = sp.csr_array(A)
    rec = {"case": case, "method": method, "n": A.shape[0]}
    sym, num, sol = [], [], []
    for rep in range(repeat + 1):  # the first run warms up (numba cache load, BLAS)
        if method == "multifrontal":
            t0 = time.perf_counter()
            f = multifrontal_cholesky(A, coords, leaf_size=leaf_size, factor_dtype=factor_dtype)
            t1 = time.perf_counter()
            x = f.solve(b)
            t2 = time.perf_counter()
            sym.append(f.times["symbolic"])
            num.append(f.times["numeric"])
            rec.update(
                nnz=f.factor_nnz,
                front=f.max_front,
                fronts=f.nfronts,
                dtype=str(f._lbuf.dtype),
                cg=f.iterations,
            )
        else:
            t0 = time.perf_counter()
            lu = splu(
                A.tocsc(),
                permc_spec="MMD_AT_PLUS_A",
                diag_pivot_thresh=0.0,
                options={"SymmetricMode": True},
            )
            t1 = time.perf_counter()
            x = lu.solve(b)
            t2 = time.perf_counter()
            num.append(t1 - t0)
            rec.update(nnz=lu.L.nnz + lu.U.nnz, front=None, fronts=None, dtype="float64", cg=0)
        if rep == 0:
            sym.clear()
            num.clear()
        else:
            sol.append(t2 - t1)
        del x
        f = lu = None  # noqa: F841 - free the factor before the next run
    x = (
        multifrontal_cholesky(A, coords, leaf_size=leaf_size, factor_dtype=factor_dtype).solve(b)
        if method == "multifrontal"
        else splu(
            A.tocsc(),
            permc_spec="MMD_AT_PLUS_A",
            diag_pivot_thresh=0.0,
            options={"SymmetricMode": True},
        ).solve(b)
    )
    rec["residual"] = float(np.linalg.norm(b - A @ x) / np.linalg.norm(b))
    rec["symbolic"] = statistics.median(sym) if sym else None
    rec["numeric"] = statistics.median(num)
    rec["solve"] = statistics.median(sol)
    rec["total"] = (rec["symbolic"] or 0.0) + rec["numeric"] + rec["solve"]
    return rec


def vm_hwm_mb() -> float:
    """Peak RSS of this process in MB (``VmHWM``; unlike ``getrusage``'s ``ru_maxrss``,
    it is not inherited from the parent across ``fork`` + ``exec``)."""
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def peak_rss(case: str, method: str, leaf_size: int, factor_dtype: str) -> dict:
    """Build the system and solve once in a fresh process; its peak RSS in MB."""
    code = (
        "import json, sys; sys.path.insert(0, {bench!r}); sys.path.insert(0, {root!r});"
        "import bench_direct as B;"
        "A, b, coords = B.build({case!r});"
        "r0 = B.vm_hwm_mb();"
        "import time; t = time.perf_counter();"
        "from classicmat.solvers import solve;"
        "from scipy.sparse.linalg import splu;"
        "res = solve(A, b, solver='direct', coords=coords, options={opts}) if {mf} else "
        "splu(A.tocsc(), permc_spec='MMD_AT_PLUS_A', diag_pivot_thresh=0.0, "
        "options={{'SymmetricMode': True}}).solve(b);"
        "t = time.perf_counter() - t;"
        "print(json.dumps({{'system_mb': r0, 'peak_mb': B.vm_hwm_mb(), 'cold_s': t}}))"
    ).format(
        bench=str(ROOT / "benchmarks"),
        root=str(ROOT),
        case=case,
        mf=method == "multifrontal",
        opts={"leaf_size": leaf_size, "factor_dtype": factor_dtype}
        if method == "multifrontal"
        else {},
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--leaf-size", type=int, default=32)
    parser.add_argument("--factor-dtype", default="auto")
    parser.add_argument("--cases", nargs="*", default=CASES)
    args = parser.parse_args()
    print(f"Machine: {machine()}\n")
    rows = []
    for case in args.cases:
        for method in ("multifrontal", "superlu"):
            if method == "superlu" and case == "lemur4":
                continue
            repeat = min(args.repeat, 3) if case == "lemur4" else args.repeat
            if case == "lemur4":  # in its own process, so the RSS is this case's alone
                rec = json.loads(
                    subprocess.run(
                        [
                            sys.executable,
                            __file__,
                            "--one",
                            case,
                            method,
                            str(repeat),
                            str(args.leaf_size),
                            args.factor_dtype,
                        ],
                        capture_output=True,
                        text=True,
                        check=True,
                    )
                    .stdout.strip()
                    .splitlines()[-1]
                )
            else:
                rec = run_case(case, method, repeat, args.leaf_size, args.factor_dtype)
            rec.update(peak_rss(case, method, args.leaf_size, args.factor_dtype))
            rows.append(rec)
            print(json.dumps(rec), file=sys.stderr)
    print(
        "| system | n | method | symbolic s | numeric s | solve s | total s | factor nnz "
        "| fronts | largest front | factor | CG | peak RSS MB (system) | rel. residual |"
    )
    print("|" + "---|" * 14)
    for r in rows:

        def fmt(v, spec=".3f"):
            return "-" if v is None else format(v, spec)

        print(
            f"| {r['case']} | {r['n']:,} | {r['method']} | {fmt(r['symbolic'])} "
            f"| {fmt(r['numeric'])} | {fmt(r['solve'])} | {fmt(r['total'])} "
            f"| {r['nnz']:,} | {fmt(r['fronts'], ',')} | {fmt(r['front'], ',')} "
            f"| {r['dtype']} | {r['cg']} | {r['peak_mb']:.0f} ({r['system_mb']:.0f}) "
            f"| {r['residual']:.1e} |"
        )
    print(f"\nleaf_size={args.leaf_size}, factor_dtype={args.factor_dtype!r}; medians of "
          f"{args.repeat} warm runs (3 for lemur4); peak RSS of a fresh process.")  # fmt: skip


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--one":
        _, _, case, method, repeat, leaf, dtype = sys.argv
        print(json.dumps(run_case(case, method, int(repeat), int(leaf), dtype)))
    else:
        main()
