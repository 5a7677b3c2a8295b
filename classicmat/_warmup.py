"""Compile every numba kernel of classicmat now, into its disk cache (``classicmat compile``).

The kernels are compiled lazily, on first use, and cached on disk
(:mod:`classicmat._jit`), so only the first run after an installation pays
for the compilation. A deployment can pay it at build time instead, in a
Docker layer or a CI cache step: :func:`compile_kernels` runs each method
(and the solvers and foreground methods it uses) on tiny inputs that reach
every kernel, so that every later process loads them from the cache.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "AHEAD_GROUPS",
    "CompileReport",
    "compile_group",
    "compile_kernels",
    "kernel_dispatchers",
]


@dataclass(frozen=True)
class CompileReport:
    """What :func:`compile_kernels` did for one part (a method, the solvers, ...)."""

    name: str
    seconds: float
    compiled: int  # kernel signatures compiled (not found in the cache)
    loaded: int  # kernel signatures loaded from the cache


def kernel_dispatchers() -> dict[str, object]:
    """Every numba dispatcher of the kernel modules imported so far, by qualified name."""
    import sys

    from numba.core.dispatcher import Dispatcher

    found = {}
    for name, module in list(sys.modules.items()):
        if not name.startswith("classicmat.") or module is None:
            continue
        for attr, value in vars(module).items():
            if isinstance(value, Dispatcher) and value.py_func.__module__ == name:
                found[f"{name}.{attr}"] = value
    return found


def _counts() -> tuple[int, int]:
    misses = hits = 0
    for dispatcher in kernel_dispatchers().values():
        misses += sum(dispatcher._cache_misses.values())
        hits += sum(dispatcher._cache_hits.values())
    return misses, hits


def _scene(height: int = 24, width: int = 30):
    import numpy as np

    rng = np.random.default_rng(0)
    image = rng.random((height, width, 3))
    trimap = np.full((height, width), 0.5)
    trimap[:, : width // 6] = 0.0
    trimap[:, -width // 6 :] = 1.0
    return image, trimap


def _run_method(name: str) -> None:
    import warnings

    import numpy as np

    from .alpha import METHODS

    image, trimap = _scene()
    func = METHODS.get(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tiny inputs: sparse samples, early stops
        if name == "knn":
            func(image, trimap)
            func(image, trimap, variant="paper")  # soft constraints and kernel
        elif name == "ifm":
            # soft constraints, both trimming steps, and a gray image (kernels
            # compiled per number of channels)
            func(image, trimap)
            func(image, trimap, lambda_=100.0, cs_trim=True, patch_trim=True)
            func(image[..., 0], trimap, cs_trim=True, patch_trim=True)
        elif name == "bayesian":
            from .alpha.bayesian import bayesian_matting

            func(image, trimap)
            bayesian_matting(image, trimap, parallel=False)
        elif name == "shared":
            func(image, trimap)
            # one path per pixel and one known pixel a side: the nearest-pixel fallback
            sparse = np.full(trimap.shape, 0.5)
            sparse[0, 0], sparse[-1, -1] = 1.0, 0.0
            func(image, sparse, n_angles=1)
        else:
            func(image, trimap)


def _run_solvers() -> None:
    import warnings

    from . import estimate_alpha

    image, trimap = _scene()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for solver in ("cg-ichol", "cg-jacobi", "cg-amg"):
            estimate_alpha(image, trimap, solver=solver)


def _run_foreground() -> None:
    import numpy as np

    from .foreground import FOREGROUND_METHODS, estimate_foreground

    image, _ = _scene()
    alpha = np.linspace(0, 1, image.shape[0] * image.shape[1]).reshape(image.shape[:2])
    for name in FOREGROUND_METHODS.names():
        estimate_foreground(image, alpha, method=name)


_I32 = "int32[::1]"
_I64 = "int64[::1]"
_F64 = "float64[::1]"
_I64_2 = "int64[:, ::1]"
_F64_2 = "float64[:, ::1]"
_F64_3 = "float64[:, :, ::1]"

#: Kernel module -> groups of its kernels with the argument types of their
#: calls, compiled by :func:`compile_group` without running anything. A first
#: run splits such a module's compilation: its second process
#: (:mod:`classicmat._ahead`) compiles group 0 while this one works, and this
#: one compiles group 1 when it imports the module; every other kernel loads
#: what they cached (a kernel that calls cached kernels compiles only its own
#: code). Compile times measured here, 2 cores:
#:
#: - multifrontal solver (int32 CSR indices and pixel coordinates, a float64
#:   factor: the calls of a matting system's solve): the front assembly
#:   (first: the numeric factorisation calls it), the ordering, the
#:   elimination tree's postorder and the triangular solves (about 3.2 s),
#:   then the symbolic factorisation and the numeric factorisation's own
#:   code (1.5 s), while the Laplacian's kernels took this process 2 s;
#: - Bayesian matting (the calls of ``_solve_span``): the colour solve, the
#:   sample gathering and the 3 x 3 inverse (1.5 s), then the clustering
#:   (2.2 s, with LAPACK's ``eigh``); ``_solve_span`` then compiles in 2.5 s
#:   instead of 7 s.
AHEAD_GROUPS: dict[str, tuple[dict[str, tuple[str, ...]], ...]] = {
    "classicmat.solvers._mf_kernels": (
        {
            "assemble": ("int64",)
            + (_I64,) * 6
            + (_I32, _I32, _F64, _I64, _I64, _I64, _F64, "int64", _F64, _I64),
            "coupling_reach": (_I32, _I32, _I64, _I64),
            "nested_dissection": (_I64, _I64, "int64", "int64", "int64", "float64")
            + (_I64,) * 5
            + (_I64_2,),
            "supernodal_solve": (_I64, _I64, _I64, _F64, _I64, "int64", "int64", "int64", _F64),
            "tree_postorder": (_I64,) * 6,
        },
        {
            "symbolic": (_I64, _I32, _I32) + (_I64,) * 10,
            "plan_groups": (_I64,) * 8,
            "factor_nodes": (_I64,) * 8
            + (_I32, _I32, _F64, _I64, _I64, _I64, _F64, _I64, _F64, _F64, "boolean", _I64),
        },
    ),
    "classicmat.alpha._bayesian_kernels": (
        {
            "solve_fb_alpha": (_F64, _F64, _F64_2, _F64, _F64_2)
            + ("float64", "float64", "int64", "float64", _F64),
            "_gather": (_F64_3, _F64_2, _F64_3, _F64_3, _I64_2)
            + ("int64", "int64", "int64", "int64", "float64", _F64_2, _F64, _F64_2, _F64, _I64),
            "_inv3": (_F64_2, _F64_2),
        },
        {
            "cluster_samples": (_F64_2, _F64, "float64", "int64", "float64", _F64_2, _F64_3),
        },
    ),
}


def compile_group(module: str, group: int) -> None:
    """Compile (or load from the cache) one group of :data:`AHEAD_GROUPS`."""
    import importlib

    from numba.core.sigutils import normalize_signature

    kernels = importlib.import_module(module)
    for name, types in AHEAD_GROUPS[module][group].items():
        # numba keys its cache by the signature as given: a tuple of types, as
        # in a call, not a string
        args, _ = normalize_signature("(" + ", ".join(types) + ")")
        getattr(kernels, name).compile(tuple(args))


def compile_kernels(methods: Sequence[str] | None = None) -> list[CompileReport]:
    """Compile (or load) every kernel that ``methods`` use; return what was done.

    Parameters
    ----------
    methods : sequence of str, optional
        Built-in alpha methods (default: every built-in method but
        ``"onnx"``, which has no kernels). The solvers and the foreground
        methods are always included: the command line uses them for
        ``--solver`` and ``--cutout``.

    Returns
    -------
    list of CompileReport
        One per method, then ``"solvers"`` and ``"foreground"``. A second
        call (in a new process) compiles nothing: ``compiled == 0``.
    """
    from .alpha import METHODS

    if methods is None:
        methods = [e.name for e in METHODS.builtins() if e.name != "onnx"]
    for name in methods:
        METHODS.entry(name)  # ValueError naming the valid ones
    parts = [(name, lambda name=name: _run_method(name)) for name in methods]
    parts += [("solvers", _run_solvers), ("foreground", _run_foreground)]
    reports = []
    for name, run in parts:
        misses, hits = _counts()
        start = time.perf_counter()
        run()
        seconds = time.perf_counter() - start
        after_misses, after_hits = _counts()
        reports.append(CompileReport(name, seconds, after_misses - misses, after_hits - hits))
    return reports
