"""From any matting Laplacian and a trimap to the linear system, and from its solution to alpha.

Affinity-based matting minimises :math:`\\alpha^T L \\alpha` for a matting
Laplacian :math:`L` (symmetric positive semi-definite, constants in its null
space), with alpha fixed by the trimap on the known pixels. Two ways to fix
it (:func:`constrain`):

- **hard constraints** (``lambda_=inf``): order the pixels as unknown (U)
  then known (K) and split :math:`L` into blocks; the minimiser solves

  .. math:: L_{UU} \\, \\alpha_U = -L_{UK} \\, \\alpha_K ,

  a system in the unknown pixels only, symmetric positive definite when
  every unknown pixel is linked to a known one;
- **soft constraints** (finite ``lambda_``): every pixel is an unknown of

  .. math:: (L + \\lambda \\, \\mathrm{diag}(m)) \\, \\alpha = \\lambda \\, m_F ,

  with :math:`m` 1 on known pixels and :math:`m_F` 1 on known foreground.

:func:`solve_system` picks the solver, solves, clips to [0, 1] and puts the
known pixels back. A Laplacian method is then its Laplacian plus these two
steps; closed-form and KNN matting build their systems directly (fused
kernels that skip the rows nobody needs) and hand back the same
:class:`MattingSystem`.

References
----------
.. [1] L. Grady, T. Schiwietz, S. Aharon, R. Westermann, "Random Walks for
   Interactive Alpha-Matting", VIIP 2005 (the block split).
.. [2] A. Levin, D. Lischinski, Y. Weiss, "A Closed-Form Solution to Natural
   Image Matting", IEEE TPAMI 30(2), 2008.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._options import Option
from ..trimap import TrimapMasks, check_has_known

__all__ = ["SOLVER_OPTIONS", "MattingSystem", "constrain", "solve_system", "solver_options"]


def _solver_names() -> list[str]:
    from ..solvers.registry import SOLVERS

    return SOLVERS.names()


#: The options every Laplacian method takes for its linear solve.
SOLVER_OPTIONS = (
    Option(
        "solver",
        "str",
        "linear solver (see classicmat.solvers; 'auto' picks by method and size)",
        choices=_solver_names,
        metavar="NAME",
    ),
    Option(
        "rtol",
        "float",
        "relative tolerance of iterative solvers: |b - Ax| <= max(rtol |b|, atol)",
        low=0.0,
        metavar="X",
    ),
    Option("atol", "float", "absolute tolerance of iterative solvers", low=0.0, metavar="X"),
    Option(
        "maxiter",
        "int",
        "iteration limit of iterative solvers",
        low=1,
        metavar="N",
        default_text="per solver (classicmat.solve)",
    ),
)


def _parse_settings(text: str) -> Any:
    from ..solvers.settings import parse_settings

    return parse_settings(text)


def _settings_check(auto: str, local: bool) -> Callable[[Any, Mapping[str, Any]], Any]:
    def depends(settings: Any, values: Mapping[str, Any]) -> Any:
        from ..solvers.settings import check_settings

        if settings is None or (isinstance(settings, Mapping) and not settings):
            return None  # no settings: one spelling (evaluate's records)
        solver = values.get("solver", "auto")
        picked = ""
        if solver == "auto":
            solver = auto
            picked = f" (solver='auto' is {auto!r} for this method)"
        try:
            return check_settings(solver, settings, coords=local)
        except TypeError as exc:
            raise TypeError(f"solver_options: {exc}{picked}") from None
        except ValueError as exc:
            raise ValueError(f"solver_options: {exc}{picked}") from None

    return depends


def solver_options(*, auto: str, local: bool) -> tuple[Option, ...]:
    """:data:`SOLVER_OPTIONS` and ``solver_options``, the settings of the chosen solver.

    Parameters
    ----------
    auto : str
        The solver that ``solver="auto"`` picks for the method (``"direct"``
        for a local system): the settings given with ``solver="auto"`` are
        checked against it.
    local : bool
        The method's system is :attr:`MattingSystem.local`: ``"direct"`` is
        the multifrontal solver (else SuperLU).
    """
    settings = Option(
        "solver_options",
        "any",
        "settings of the chosen solver, e.g. "
        + ("factor_dtype=float32 (direct)" if local else "max_levels=4 (cg-amg)")
        + " or drop_tol=1e-3 (cg-ichol); 'classicmat methods --solvers' lists them",
        allow_none=True,
        parse_text=_parse_settings,
        metavar="SETTINGS",
        expected_text="NAME=VALUE pairs separated by commas",
        default_text="the solver's",
        depends=_settings_check(auto, local),
    )
    return (*SOLVER_OPTIONS, settings)


@dataclass(frozen=True)
class MattingSystem:
    """The linear system of a matting problem, ``A @ x = b``.

    Attributes
    ----------
    A : (n, n) scipy.sparse.csr_array or scipy.sparse.linalg.LinearOperator
        Symmetric positive definite; a LinearOperator for matrix-free
        methods (iterative solvers only).
    b : (n,) ndarray of float64
        The right-hand side.
    unknown : (n,) ndarray of intp
        Flat (row-major) indices of the pixels of the unknowns: row ``t`` of
        ``A`` is pixel ``unknown[t]``. For soft constraints every pixel, or
        the unknown pixels and the known ones coupled to them (a known pixel
        coupled to nothing solves ``lambda alpha = lambda alpha_K`` exactly).
    is_fg : (H, W) ndarray of bool
        The known foreground: alpha is 1 there.
    is_bg : (H, W) ndarray of bool
        The known background: alpha is 0 there.
    hard : bool
        Hard constraints: the unknowns are exactly the unknown pixels.
    local : bool
        ``A`` couples only pixels a few pixels apart (closed-form, learning
        based, random-walk matting): the direct solver orders the unknowns
        by a nested dissection of the image plane.
    """

    A: Any
    b: np.ndarray
    unknown: np.ndarray
    is_fg: np.ndarray
    is_bg: np.ndarray
    hard: bool = True
    local: bool = False

    @property
    def shape(self) -> tuple[int, int]:
        """The (height, width) of the image."""
        return self.is_fg.shape

    def coords(self) -> np.ndarray:
        """The (row, column) pixel of each unknown, (n, 2) int32 (int64 for huge images)."""
        h, w = self.is_fg.shape
        out = np.empty((self.unknown.size, 2), np.int32 if max(h, w) < 2**31 else np.int64)
        np.floor_divide(self.unknown, w, out=out[:, 0], casting="unsafe")
        np.remainder(self.unknown, w, out=out[:, 1], casting="unsafe")
        return out


#: ``assemble(is_row, col_id, known_value) -> (indptr, indices, data, rhs, rows)``:
#: a row-by-row Laplacian builder (cf, lbdm, rw). It writes the rows of the
#: pixels ``is_row`` ((H, W) bool) in CSR form, sorted by column, keeping the
#: columns with ``col_id >= 0`` (numbered by it) and folding the others into
#: ``rhs = -sum_j L_ij known_value[j]``; ``rows`` are the pixels of the rows.
RowAssembler = Callable[[np.ndarray, np.ndarray, np.ndarray], tuple]


def laplacian_from_rows(assemble: RowAssembler, shape: tuple[int, int], is_row=None):
    """The (H W, H W) Laplacian of a row builder: every row, or the rows
    ``is_row`` with their entries mirrored into the columns (L is symmetric)."""
    import scipy.sparse

    h, w = shape
    n = h * w
    every = is_row is None
    if every:
        is_row = np.ones((h, w), dtype=np.bool_)
    col_id = np.arange(n, dtype=np.int64).reshape(h, w)
    indptr, indices, data, _, rows = assemble(is_row, col_id, np.zeros((h, w), dtype=np.bool_))
    if every:
        return scipy.sparse.csr_array((data, indices, indptr), shape=(n, n))
    row_of = np.repeat(rows, np.diff(indptr))
    outside = ~is_row.ravel()[indices]
    all_rows = np.concatenate([row_of, indices[outside]])
    all_cols = np.concatenate([indices, row_of[outside]])
    all_data = np.concatenate([data, data[outside]])
    return scipy.sparse.coo_array((all_data, (all_rows, all_cols)), shape=(n, n)).tocsr()


def system_from_rows(assemble: RowAssembler, masks: TrimapMasks) -> MattingSystem:
    """``L_UU alpha_U = -L_UK alpha_K`` from a row builder: the rows of the
    unknown pixels only, their known columns folded into the right-hand side."""
    import scipy.sparse

    check_has_known(masks)
    h, w = masks.is_fg.shape
    unknown = np.flatnonzero(masks.is_unknown)
    col_id = np.full((h, w), -1, dtype=np.int64)
    col_id.flat[unknown] = np.arange(unknown.size)
    indptr, indices, data, rhs, _ = assemble(masks.is_unknown, col_id, masks.is_fg)
    A = scipy.sparse.csr_array((data, indices, indptr), shape=(unknown.size, unknown.size))
    A.has_canonical_format = True  # rows sorted by column, no duplicates (the builder's)
    return MattingSystem(A, rhs, unknown, masks.is_fg, masks.is_bg, hard=True, local=True)


def direct_solver_ahead(values: Mapping[str, Any]) -> tuple[str, ...]:
    """``matting_method(ahead=...)`` of a method whose system has pixel
    coordinates: ``'auto'`` and ``'direct'`` then run the multifrontal solver,
    whose kernels are the slowest to compile (:mod:`classicmat._ahead`)."""
    if values.get("solver") in ("auto", "direct"):
        return ("classicmat.solvers._mf_kernels",)
    return ()


def constrain(L: Any, masks: TrimapMasks, *, lambda_: float = math.inf, local: bool = False):
    """The system of the Laplacian ``L`` (every pixel) under the trimap's constraints.

    Parameters
    ----------
    L : (H W, H W) sparse matrix or LinearOperator
        A matting Laplacian, pixels in row-major order.
    masks : TrimapMasks
        The split trimap (:func:`classicmat.split_trimap`).
    lambda_ : float
        ``inf`` (default) for hard constraints, else the weight of the known
        pixels (soft constraints; 100 in most papers).
    local : bool
        Whether ``L`` couples only nearby pixels (see :class:`MattingSystem`).

    Returns
    -------
    MattingSystem
    """
    import scipy.sparse as sp
    from scipy.sparse.linalg import LinearOperator, aslinearoperator

    is_fg = masks.is_fg
    n_pixels = is_fg.size
    fg = is_fg.ravel().astype(np.float64)
    matrix_free = isinstance(L, LinearOperator)
    if lambda_ == math.inf:
        unknown = np.flatnonzero(masks.is_unknown.ravel())
        if matrix_free:
            A = _restricted_operator(L, unknown, n_pixels)
            b = -(L @ fg)[unknown]
        else:
            L = sp.csr_array(L)
            rows = L[unknown]
            A = sp.csr_array(rows[:, unknown])
            A.sort_indices()
            b = -(rows @ fg)
        return MattingSystem(A, np.ascontiguousarray(b), unknown, is_fg, masks.is_bg, True, local)
    weight = lambda_ * masks.is_known.ravel().astype(np.float64)
    if matrix_free:
        A = aslinearoperator(L) + aslinearoperator(sp.diags_array(weight))
    else:
        A = (sp.csr_array(L) + sp.diags_array(weight)).tocsr()
        A.sort_indices()
    return MattingSystem(A, lambda_ * fg, np.arange(n_pixels), is_fg, masks.is_bg, False, local)


def _restricted_operator(L: Any, unknown: np.ndarray, n_pixels: int):
    """``L_UU`` as a LinearOperator: scatter into the image, apply ``L``, gather."""
    from scipy.sparse.linalg import LinearOperator

    def matvec(x):
        full = np.zeros(n_pixels)
        full[unknown] = np.ravel(x)
        return (L @ full)[unknown]

    return LinearOperator((unknown.size, unknown.size), matvec=matvec, dtype=np.float64)


def solve_system(
    system: MattingSystem,
    *,
    solver: str = "auto",
    rtol: float = 1e-7,
    atol: float = 0.0,
    maxiter: int | None = None,
    auto: Callable[[MattingSystem], str] | None = None,
    options: Mapping[str, Any] | None = None,
    x0: np.ndarray | None = None,
) -> np.ndarray:
    """Solve ``system`` and return alpha: (H, W) float64 in [0, 1], exact on known pixels.

    Parameters
    ----------
    system : MattingSystem
    solver : str
        One of :data:`classicmat.SOLVERS`. ``"auto"`` asks ``auto(system)``
        if given (a method's own rule), else the rule of
        :func:`classicmat.solve`: the direct solver, ordered by the pixels'
        positions for a ``local`` system.
    rtol, atol, maxiter
        As in :func:`classicmat.solve`.
    auto : callable, optional
        The method's rule for ``solver="auto"``.
    options : mapping, optional
        Options of the solver (``near_nullspace`` for ``"cg-amg"``, ...).
    x0 : (n,) ndarray, optional
        Initial guess of iterative solvers.

    Warns
    -----
    classicmat.ConvergenceWarning
        If an iterative solver stops before reaching the tolerance.
    """
    from ..solvers import solve

    if system.unknown.size == 0:
        return system.is_fg.astype(np.float64)
    if solver == "auto" and auto is not None:
        solver = auto(system)
    result = solve(
        system.A,
        system.b,
        solver=solver,
        rtol=rtol,
        atol=atol,
        maxiter=maxiter,
        coords=system.coords() if system.local else None,
        options=options,
        x0=x0,
    )
    x = np.clip(result.x, 0.0, 1.0)
    del result
    # (allocated after the solve: the image-sized matte is not held at its memory peak)
    alpha = system.is_fg.astype(np.float64)
    if system.hard:
        alpha.flat[system.unknown] = x
        return alpha
    # the unknowns may be every pixel, but not in raster order (ifm puts the
    # unknown pixels first): always scatter by pixel index
    alpha.flat[system.unknown] = x
    alpha[system.is_fg] = 1.0
    alpha[system.is_bg] = 0.0
    return alpha
