"""``solve``: one entry point over the registered solvers."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._checks import check_number
from .._warnings import ConvergenceWarning, warn
from ._checks import as_rhs, as_square_csr, check_finite_matrix
from ._krylov import BreakdownError, pcg, stationary
from .registry import DIRECT_MAX_SIZE, SOLVERS
from .settings import SUPERLU_ORDERING, check_settings

#: ``solver="auto"`` uses ``"direct"`` up to this many unknowns (see module docs).
AUTO_DIRECT_MAX_SIZE = 200_000


@dataclass(frozen=True)
class SolveResult:
    """Result of :func:`solve`.

    Attributes
    ----------
    x : (n,) ndarray of float64
        The solution.
    converged : bool
        ``norm(b - A @ x) <= max(rtol * norm(b), atol)`` holds.
    iterations : int
        CG iterations or multigrid cycles; 0 for the direct solver (with a
        float32 multifrontal factor, the CG steps it preconditioned).
    residual : float
        Final relative residual ``norm(b - A @ x) / norm(b)`` (the absolute
        residual norm when ``b == 0``).
    solver : str
        The solver that ran (the one ``"auto"`` picked).
    setup_time, solve_time : float
        Seconds spent building the preconditioner / factorisation, and
        iterating (or in the triangular solves).
    """

    x: np.ndarray
    converged: bool
    iterations: int
    residual: float
    solver: str
    setup_time: float
    solve_time: float


# Default maxiter per solver (iterations or cycles); None -> 10 * n like SciPy.
DEFAULT_MAXITER = {
    "cg": None,
    "cg-jacobi": None,
    "cg-ichol": 1000,
    "cg-amg": 1000,
    "multigrid": 500,
}


def _iterate(A, b, x, M, target, maxiter, callback, *, stationary_loop=False):
    # A matrix-free system (large-kernel matting) runs its iterations with one
    # BLAS thread: threads bring nothing on the vector operations, and
    # OpenBLAS threads spinning on a shared machine made CG several times
    # slower (measured: large-kernel matting on GT01, 60 iterations, 5.8 s
    # instead of 1.7 s). Sparse matrices keep the BLAS defaults, unchanged.
    if is_operator(A):
        from threadpoolctl import threadpool_limits

        limit = threadpool_limits(limits=1, user_api="blas")
    else:
        limit = contextlib.nullcontext()
    with limit:
        if stationary_loop:
            return stationary(A, b, x, M.matvec, target, maxiter, callback)
        return pcg(A, b, x, None if M is None else M.matvec, target, maxiter, callback)


def _krylov(build: Callable | None, stationary_loop: bool = False):
    def run(A, b, x, target, maxiter, callback, options):
        t0 = time.perf_counter()
        M = None if build is None else build(A, **options)
        t1 = time.perf_counter()
        x, it, rnorm = _iterate(
            A, b, x, M, target, maxiter, callback, stationary_loop=stationary_loop
        )
        return x, it, rnorm, t1 - t0, time.perf_counter() - t1

    return run


def _build_jacobi(A, **options):
    from .preconditioners import jacobi

    return jacobi(A, **options)


def _build_ichol(A, **options):
    from .preconditioners import ichol

    return ichol(A, **options)


def _build_amg(A, **options):
    from .preconditioners import amg

    return amg(A, **options)


_solve_cg = _krylov(None)
_solve_cg_jacobi = _krylov(_build_jacobi)
_solve_cg_ichol = _krylov(_build_ichol)
_solve_cg_amg = _krylov(_build_amg)
_solve_multigrid = _krylov(_build_amg, stationary_loop=True)


def _solve_multifrontal(A, b, coords, callback, options):
    from ._multifrontal import multifrontal_cholesky

    t0 = time.perf_counter()
    factor = multifrontal_cholesky(A, coords, **options)
    t1 = time.perf_counter()
    x = factor.solve(b)
    rnorm = float(np.linalg.norm(b - A @ x))
    if callback is not None:
        callback(x)
    return x, factor.iterations, rnorm, t1 - t0, time.perf_counter() - t1


def _solve_direct(A, b, x, target, maxiter, callback, options):
    coords = options.pop("coords", None)
    if coords is not None:
        return _solve_multifrontal(A, b, coords, callback, options)
    from scipy.sparse.linalg import splu

    n = A.shape[0]
    if n > DIRECT_MAX_SIZE:
        raise ValueError(
            f"solver='direct' accepts at most {DIRECT_MAX_SIZE} unknowns (its fill would "
            f"need several GB), got {n}; use solver='cg-ichol' or 'auto'"
        )
    permc_spec = options.pop("permc_spec", SUPERLU_ORDERING)
    t0 = time.perf_counter()
    lu = splu(
        A.tocsc(),
        permc_spec=permc_spec,
        diag_pivot_thresh=0.0,
        options={"SymmetricMode": True},
        **options,
    )
    t1 = time.perf_counter()
    x = lu.solve(b)
    rnorm = float(np.linalg.norm(b - A @ x))
    if callback is not None:
        callback(x)
    return x, 0, rnorm, t1 - t0, time.perf_counter() - t1


#: The solvers that need only products ``A @ p`` (and ``A.diagonal()`` for Jacobi).
MATRIX_FREE_SOLVERS = ("cg", "cg-jacobi")


def is_operator(A: Any) -> bool:
    """Whether ``A`` is a matrix-free operator (a SciPy ``LinearOperator``)."""
    from scipy.sparse.linalg import LinearOperator

    return isinstance(A, LinearOperator)


def _check_operator(A: Any) -> None:
    shape = A.shape
    if len(shape) != 2 or shape[0] != shape[1]:
        raise ValueError(f"A must be square, got shape {shape}")


def _resolve_auto_operator(A: Any) -> str:
    """``"auto"`` for a matrix-free ``A``: Jacobi if it knows its diagonal."""
    return "cg-jacobi" if callable(getattr(A, "diagonal", None)) else "cg"


def _solve_auto(A, b, x, target, maxiter, callback, options):  # pragma: no cover
    raise AssertionError("'auto' is resolved in solve()")


def _resolve_auto(n: int, has_coords: bool = False) -> str:
    """The rule of ``solver="auto"`` (figures in the module docstring)."""
    if has_coords or n <= AUTO_DIRECT_MAX_SIZE:
        return "direct"
    return "cg-ichol"


def solve(
    A: Any,
    b: Any,
    *,
    solver: str = "auto",
    rtol: float = 1e-7,
    atol: float = 0.0,
    maxiter: int | None = None,
    x0: Any = None,
    callback: Callable[[np.ndarray], object] | None = None,
    options: Mapping[str, Any] | None = None,
    coords: Any = None,
) -> SolveResult:
    """Solve the symmetric positive definite system ``A x = b``.

    Parameters
    ----------
    A : (n, n) sparse matrix, ndarray or LinearOperator
        Symmetric positive definite matrix (e.g. a matting Laplacian
        restricted to the unknown pixels). A
        :class:`scipy.sparse.linalg.LinearOperator` (a matrix-free system,
        such as large-kernel matting's) takes ``'cg'``, or ``'cg-jacobi'``
        if it has a ``diagonal()`` method; ``'auto'`` picks the latter when
        it can.
    b : (n,) array_like
        Right-hand side.
    solver : str, optional
        One of ``SOLVERS.names()``:

        - ``'auto'``: ``'direct'`` when ``coords`` is given (any size) or up
          to 200,000 unknowns, else ``'cg-ichol'`` (see the module docstring
          for the figures).
        - ``'cg'``: conjugate gradients, no preconditioner.
        - ``'cg-jacobi'``: CG with ``diag(A)^{-1}``.
        - ``'cg-ichol'``: CG with thresholded incomplete Cholesky.
        - ``'cg-amg'``: CG with one pyamg V-cycle.
        - ``'multigrid'``: pyamg cycles as a stationary solver.
        - ``'direct'``: exact. With ``coords``, multifrontal Cholesky on a
          geometric nested dissection of the pixels (any size); without,
          sparse LU (SuperLU, at most ``DIRECT_MAX_SIZE`` unknowns).
    rtol, atol : float, optional
        Stop when ``norm(b - A @ x) <= max(rtol * norm(b), atol)`` (SciPy's
        rule, checked on the true residual). Ignored by ``'direct'`` except to
        set ``converged``.
    maxiter : int, optional
        Maximum iterations (multigrid: cycles). Default: ``10 * n`` for
        ``'cg'`` and ``'cg-jacobi'`` (as SciPy), 1000 for ``'cg-ichol'`` and
        ``'cg-amg'``, 500 for ``'multigrid'``.
    x0 : (n,) array_like, optional
        Initial guess (default zeros). Not modified.
    callback : callable, optional
        ``callback(xk)`` after each iteration with the current iterate
        (a view: copy it to keep it); once with the solution for ``'direct'``.
    options : mapping, optional
        Settings of the solver (:func:`classicmat.solvers.settings.settings_of`
        lists them): the keyword arguments of :func:`ichol` for
        ``'cg-ichol'``, of :func:`amg` for ``'cg-amg'`` and ``'multigrid'``
        (e.g. ``near_nullspace``, and pyamg's own settings); for
        ``'direct'``, ``leaf_size``, ``balance``, ``factor_dtype`` and
        ``threads`` of :func:`multifrontal_cholesky` with ``coords``,
        ``permc_spec``, ``panel_size`` and ``relax`` of SuperLU without.
        Names and values are checked before any work.
    coords : (n, 2) array_like of int, optional
        The (row, column) pixel of each unknown, e.g.
        ``np.column_stack(np.divmod(unknown, W))``. Used by ``'direct'`` for
        a geometric nested-dissection ordering (and makes ``'auto'`` pick
        ``'direct'`` at any size); ignored by the iterative solvers.

    Returns
    -------
    SolveResult
        ``x``, ``converged``, ``iterations``, ``residual``, ``solver``,
        ``setup_time``, ``solve_time``.

    Raises
    ------
    ValueError
        Bad shapes, NaN in ``A`` or ``b``, a bad ``rtol``/``atol``/``maxiter``,
        an unknown ``solver`` (the message lists the valid names), a system
        too large for ``'direct'``, or a breakdown (``A`` not SPD).
    TypeError
        Unknown ``options`` for the chosen solver (the message lists the
        valid ones).

    Warns
    -----
    ConvergenceWarning
        The tolerance was not reached within ``maxiter``; ``converged`` is
        False and the message says how far the residual got.

    References
    ----------
    .. [1] M. R. Hestenes and E. Stiefel, "Methods of conjugate gradients for
       solving linear systems", J. Res. Nat. Bur. Standards 49(6), 1952.
    .. [2] Y. Saad, *Iterative Methods for Sparse Linear Systems*, 2nd ed.,
       SIAM, 2003.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> from classicmat.solvers import solve
    >>> A = sp.diags([-1.0, 2.5, -1.0], [-1, 0, 1], shape=(50, 50))
    >>> res = solve(A, [1.0] * 50, solver="cg-jacobi", rtol=1e-10)
    >>> res.converged, res.solver
    (True, 'cg-jacobi')
    """
    entry = SOLVERS.entry(solver)
    rtol = check_number(rtol, "rtol", low=0.0)
    atol = check_number(atol, "atol", low=0.0)
    maxiter = check_number(maxiter, "maxiter", integer=True, low=1, allow_none=True)
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable, got {type(callback).__name__}")
    if options is None:
        options = {}
    elif not isinstance(options, Mapping):
        raise TypeError(f"options must be a mapping, got {type(options).__name__}")
    matrix_free = is_operator(A)
    if matrix_free:
        _check_operator(A)
    else:
        A = as_square_csr(A)
    n = A.shape[0]
    b = as_rhs(b, n)
    x = np.zeros(n) if x0 is None else as_rhs(x0, n, name="x0").copy()
    if coords is not None:
        from ._multifrontal import check_coords

        coords = check_coords(coords, n)
    if not matrix_free:
        check_finite_matrix(A)

    has_coords = coords is not None
    if entry.name == "auto":
        name = _resolve_auto_operator(A) if matrix_free else _resolve_auto(n, has_coords)
    else:
        name = entry.name
    if matrix_free and name not in MATRIX_FREE_SOLVERS:
        raise ValueError(
            f"solver {name!r} needs the matrix, and A is a matrix-free operator "
            f"({type(A).__name__}); use one of {', '.join(map(repr, MATRIX_FREE_SOLVERS))}"
        )
    options = check_settings(name, options, coords=has_coords)
    if name == "direct" and has_coords:
        options["coords"] = coords
    if maxiter is None:
        default = DEFAULT_MAXITER.get(name)
        maxiter = 10 * n if default is None else default
    bnorm = float(np.linalg.norm(b))
    target = max(rtol * bnorm, atol)
    if n == 0 or (bnorm == 0.0 and x0 is None):
        return SolveResult(np.zeros(n), True, 0, 0.0, name, 0.0, 0.0)

    run = SOLVERS.get(name)
    try:
        x, iterations, rnorm, t_setup, t_solve = run(A, b, x, target, maxiter, callback, options)
    except BreakdownError as exc:
        raise ValueError(f"solver {name!r}: {exc}") from None
    converged = bool(rnorm <= target)
    relres = rnorm / bnorm if bnorm > 0 else rnorm
    if not converged:
        wanted = f"rtol={rtol:g}" + (f", atol={atol:g}" if atol else "")
        warn(
            ConvergenceWarning(
                f"solver {name!r} did not converge: relative residual {relres:.3g} after "
                f"{iterations} iteration{'s' if iterations != 1 else ''} (maxiter={maxiter}), "
                f"wanted {wanted}. Raise maxiter, try another solver (e.g. 'cg-ichol' or "
                f"'direct' for small systems), or raise epsilon to better condition the "
                f"matting Laplacian."
            )
        )
    return SolveResult(x, converged, int(iterations), float(relres), name, t_setup, t_solve)
