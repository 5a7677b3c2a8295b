"""The names of the solvers, without importing any of them (SciPy stays unloaded).

:data:`SOLVERS` feeds ``solve(..., solver=NAME)``, the ``solver`` option of
every Laplacian method and the command line's ``--solver``.
"""

from __future__ import annotations

from .._registry import Registry

__all__ = ["DIRECT_MAX_SIZE", "SOLVERS"]

#: Largest system ``solver="direct"`` accepts without pixel coordinates
#: (SuperLU; unknowns). Measured: 178k unknowns (GT04, trimap 1) take 4 s
#: and 0.67 GB peak; the fill grows superlinearly beyond.
DIRECT_MAX_SIZE = 200_000

SOLVERS = Registry("solver")
SOLVERS.register(
    "auto",
    "classicmat.solvers._solve:_solve_auto",
    "pick a solver from the system size (see classicmat.solvers docs)",
)
SOLVERS.register(
    "cg",
    "classicmat.solvers._solve:_solve_cg",
    "conjugate gradients without preconditioner (slow on matting systems)",
    "Hestenes & Stiefel 1952",
)
SOLVERS.register(
    "cg-jacobi",
    "classicmat.solvers._solve:_solve_cg_jacobi",
    "conjugate gradients with a diagonal (Jacobi) preconditioner",
    "Saad 2003, ch. 10",
)
SOLVERS.register(
    "cg-ichol",
    "classicmat.solvers._solve:_solve_cg_ichol",
    "conjugate gradients with thresholded incomplete Cholesky (numba)",
    "Saad 2003, sec. 10.4; Jones & Plassmann 1995",
)
SOLVERS.register(
    "cg-amg",
    "classicmat.solvers._solve:_solve_cg_amg",
    "conjugate gradients with one algebraic multigrid V-cycle (pyamg)",
    "Bell, Olson & Schroder 2022 (PyAMG)",
)
SOLVERS.register(
    "multigrid",
    "classicmat.solvers._solve:_solve_multigrid",
    "algebraic multigrid cycles as the solver, no Krylov acceleration (pyamg)",
    "Vanek, Mandel & Brezina 1996; Bell, Olson & Schroder 2022",
)
SOLVERS.register(
    "direct",
    "classicmat.solvers._solve:_solve_direct",
    "exact: multifrontal Cholesky on a nested dissection of the pixels (with coords), "
    f"else sparse LU (SuperLU, up to {DIRECT_MAX_SIZE} unknowns)",
    "George 1973; Duff & Reid 1983; Li 2005 (SuperLU)",
)
