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
- :func:`jacobi`, :func:`ichol`, :func:`amg` -- preconditioner builders
  returning :class:`scipy.sparse.linalg.LinearOperator` objects.

The ``"auto"`` rule
-------------------
``"auto"`` picks ``"cg-ichol"`` at every size. Measured on the 40
alphamatting.com systems (20k-220k unknowns, 2-core machine, medians;
see ``benchmarks/bench_solvers.py``), thresholded incomplete Cholesky
(drop 1e-4) needs 4-10 CG iterations, while pyamg multigrid needs 100-230
(the near-null space of a matting Laplacian is every locally affine function
of colour, which plain aggregation does not capture), and the sparse LU of
``"direct"`` costs about as much as the factorisation of ``"cg-ichol"`` at
40k unknowns but grows much faster with the size.

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

from ._solve import DIRECT_MAX_SIZE, SOLVERS, SolveResult, solve
from .preconditioners import (
    AMGPreconditioner,
    IncompleteCholesky,
    amg,
    ichol,
    jacobi,
)

__all__ = [
    "DIRECT_MAX_SIZE",
    "SOLVERS",
    "AMGPreconditioner",
    "IncompleteCholesky",
    "SolveResult",
    "amg",
    "ichol",
    "jacobi",
    "solve",
]
