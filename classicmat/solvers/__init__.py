"""Solvers for the symmetric positive definite systems of matting.

Closed-form matting (Levin et al. 2008) solves ``L_UU x = b`` where ``L_UU``
is the matting Laplacian restricted to the unknown pixels: symmetric
positive definite, 25 nonzeros per row (radius 1), and very poorly
conditioned for the usual ``epsilon = 1e-7``.

- :func:`solve` -- one entry point, SciPy's ``rtol``/``atol``/``maxiter``/
  ``x0``/``callback`` semantics, returns a :class:`SolveResult`.
- :data:`SOLVERS` -- the registry of solver names (``"auto"``, ``"cg"``,
  ``"cg-jacobi"``, ``"cg-ichol"``, ``"cg-amg"``, ``"multigrid"``,
  ``"direct"``) with one-line summaries.
- :func:`multifrontal_cholesky` -- exact sparse Cholesky of a system on
  pixels (geometric nested dissection, multifrontal), reusable through
  :meth:`MultifrontalCholesky.solve`; ``solver="direct"`` uses it when
  ``solve(..., coords=...)`` gives the pixel of each unknown.
- :func:`jacobi`, :func:`ichol`, :func:`amg` -- preconditioner builders
  returning :class:`scipy.sparse.linalg.LinearOperator` objects.

The ``"auto"`` rule
-------------------
With ``coords`` (the pixel of each unknown), ``"auto"`` picks ``"direct"``
at any size, which then runs :func:`multifrontal_cholesky` (geometric nested
dissection, leaf_size 32; float32 factor + CG above 256 MiB). Measured warm
(medians, ``benchmarks/bench_direct.py``; quiet-machine run):

=========  ========  ================  ==============
system     unknowns  multifrontal (s)  SuperLU (s)
=========  ========  ================  ==============
GT01_t1    38,573    0.057             0.16
lemur      38,666    0.082             0.26
GT01_t2    67,603    0.127             0.39
GT13_t2    202,150   0.59  (0.50 GB)   3.9  (0.88 GB)
lemur x4   618,656   2.6   (0.89 GB)   --  (~20 s, 5 GB)
=========  ========  ================  ==============

(peak RSS of the whole process in parentheses, system included).

Without ``coords`` it picks ``"direct"`` (SuperLU, MMD ordering on ``A + A^T``,
symmetric mode) up to ``AUTO_DIRECT_MAX_SIZE = 200_000`` unknowns and
``"cg-ichol"`` above. Measured on the alphamatting.com systems (2-core
shared machine, warm, rtol=1e-7; ``benchmarks/bench_solvers.py``):

============  ========  ===========  =============  ===============
system        unknowns  direct (s)   cg-ichol (s)   PyMatting (s)
============  ========  ===========  =============  ===============
GT01_t1       38,573    0.16         0.22 (5 it)    0.19 (4 it)
lemur         38,666    0.25         0.29 (9 it)    0.38 (6 it)
GT03_t1       121,014   1.41         1.82 (12 it)   2.49 (9 it)
GT04_t1       178,728   3.98 0.67GB  6.6 (22 it)    --
============  ========  ===========  =============  ===============

The exact solve is both faster and more accurate up to that size; above it
the LU fill (memory) grows too fast, and thresholded incomplete Cholesky
(drop 1e-4) with CG takes over. pyamg multigrid (smoothed aggregation,
root-node, Ruge-Stuben) needs 100-230 CG iterations on these systems (the
near-null space of a matting Laplacian is every locally affine function of
colour, which plain aggregation does not capture) and is 4-10x slower; as a
stand-alone solver (``"multigrid"``) it does not reach rtol=1e-7 in 500
cycles. Passing ``options={"near_nullspace": [1, R, G, B]}`` (the colours
of the unknown pixels) cuts the CG iterations about 3x (lemur: 101 -> 31).

Default maxiter
---------------
``10 * n`` for ``"cg"``/``"cg-jacobi"`` (as SciPy), 1000 for ``"cg-ichol"``
and ``"cg-amg"``, 500 cycles for ``"multigrid"``.

References
----------
.. [1] A. Levin, D. Lischinski and Y. Weiss, "A closed-form solution to
   natural image matting", IEEE TPAMI 30(2), 2008.
.. [2] M. R. Hestenes and E. Stiefel, "Methods of conjugate gradients for
   solving linear systems", J. Res. Nat. Bur. Standards 49(6), 1952.
.. [3] Y. Saad, *Iterative Methods for Sparse Linear Systems*, 2nd ed.,
   SIAM, 2003.
.. [4] N. Bell, L. N. Olson and J. Schroder, "PyAMG: Algebraic multigrid
   solvers in Python", JOSS 7(72), 4142, 2022.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .registry import DIRECT_MAX_SIZE, SOLVERS

# Imported on first use: listing the solvers (SOLVERS) must not import SciPy.
_LAZY = {
    "AUTO_DIRECT_MAX_SIZE": "._solve",
    "SolveResult": "._solve",
    "solve": "._solve",
    "MultifrontalCholesky": "._multifrontal",
    "multifrontal_cholesky": "._multifrontal",
    "AMGPreconditioner": ".preconditioners",
    "IncompleteCholesky": ".preconditioners",
    "amg": ".preconditioners",
    "ichol": ".preconditioners",
    "jacobi": ".preconditioners",
}

__all__ = [
    "AUTO_DIRECT_MAX_SIZE",
    "DIRECT_MAX_SIZE",
    "SOLVERS",
    "AMGPreconditioner",
    "IncompleteCholesky",
    "MultifrontalCholesky",
    "SolveResult",
    "amg",
    "ichol",
    "jacobi",
    "multifrontal_cholesky",
    "solve",
]


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'classicmat.solvers' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return __all__


if TYPE_CHECKING:  # pragma: no cover
    from ._multifrontal import MultifrontalCholesky, multifrontal_cholesky
    from ._solve import AUTO_DIRECT_MAX_SIZE, SolveResult, solve
    from .preconditioners import AMGPreconditioner, IncompleteCholesky, amg, ichol, jacobi
