"""KNN matting (Chen, Li & Tang 2013)."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import scipy.sparse

from .._checks import check_choice, check_number
from .._validation import as_image, as_trimap, check_same_size
from ..laplacian._knn_kernels import knn_system
from ..laplacian.closed_form import check_trimap_has_known
from ..laplacian.knn import _check_options, knn_neighbors
from ..trimap import split_trimap

#: The settings of each ``variant``; options given explicitly override them.
VARIANTS = {
    # the paper and its authors' code
    "paper": {
        "n_neighbors": (10, 2),
        "level": 1.0,
        "spatial_weakening": 0.01,
        "kernel": "soft",
        "position": "diagonal",
        "lambda_": 100.0,
    },
    # pymatting.estimate_alpha_knn (row normalisation does not change alpha
    # under hard constraints: rows of L_UU x = -L_UK alpha_K scaled by 1/D_ii)
    "pymatting": {
        "n_neighbors": (20, 10),
        "level": 2.0,
        "spatial_weakening": 0.05,
        "kernel": "binary",
        "position": "axes",
        "lambda_": np.inf,
    },
}

#: Solver used by ``solver="auto"`` (see docs/knn.md for the measurements)...
AUTO_SOLVER = "cg-jacobi"
#: ... except for hard constraints from this many unknowns, where the Jacobi
#: iterations grow (493 on the lemur x4, 618,656 unknowns) and one AMG
#: V-cycle per step pays for its setup: ``"cg-amg"``.
AUTO_AMG_MIN_UNKNOWNS = 400_000


def auto_solver(n_unknowns: int, hard: bool) -> str:
    """The solver that ``solver="auto"`` picks for a KNN system (docs/knn.md, "Solver")."""
    if hard and n_unknowns >= AUTO_AMG_MIN_UNKNOWNS:
        return "cg-amg"
    return AUTO_SOLVER


def estimate_alpha_knn(
    image: Any,
    trimap: Any,
    *,
    variant: str = "pymatting",
    n_neighbors: Any = None,
    level: float | None = None,
    spatial_weakening: float | None = None,
    features: str = "rgb",
    kernel: str | None = None,
    position: str | None = None,
    lambda_: float | None = None,
    solver: str = "auto",
    rtol: float = 1e-7,
    atol: float = 0.0,
    maxiter: int | None = None,
) -> np.ndarray:
    r"""Estimate alpha by KNN matting.

    With :math:`L` the KNN Laplacian (:func:`classicmat.laplacian.knn_laplacian`),
    solves either, with hard constraints (``lambda_=np.inf``, the default
    variant), :math:`L_{UU} \alpha_U = -L_{UK} \alpha_K` on the unknown
    pixels only, or, with the paper's soft constraints (finite ``lambda_``,
    ``variant="paper"``), on all pixels

    .. math:: (L + \lambda \, \mathrm{diag}(m)) \, \alpha = \lambda \, m_F

    with :math:`m` 1 on known pixels and :math:`m_F` 1 on known foreground.
    The result is clipped to [0, 1] and the known pixels are then set to
    their trimap value.

    Parameters
    ----------
    image : (H, W, 3) or (H, W) ndarray, PIL image or path
        uint8, uint16 or float in [0, 1]; the alpha channel of RGBA is ignored.
    trimap : (H, W) ndarray, PIL image or path
        After scaling to [0, 1]: ``<= 0.1`` background, ``>= 0.9``
        foreground, unknown between.
    variant : {"paper", "pymatting"}, optional
        Presets of the options below that are left at ``None``:

        - ``"pymatting"`` (default): ``n_neighbors=(20, 10), level=2.0,
          spatial_weakening=0.05, kernel="binary", position="axes",
          lambda_=np.inf``: PyMatting's ``estimate_alpha_knn`` (its
          row-normalised Laplacian gives the same alpha as ``D - A`` under
          hard constraints). The default because it scores better: mean
          MSE on the unknown region of the alphamatting.com training set
          16.5e-3 against 21.6e-3 for the paper's settings (docs/knn.md).
        - ``"paper"``: ``n_neighbors=(10, 2), level=1.0,
          spatial_weakening=0.01, kernel="soft", position="diagonal",
          lambda_=100``: the paper and its authors' code.
    n_neighbors, level, spatial_weakening, features, kernel, position : optional
        The Laplacian, as in :func:`classicmat.laplacian.knn_laplacian`;
        ``None`` takes the value of ``variant``. ``features`` defaults to
        ``"rgb"``.
    lambda_ : float, optional
        Weight of the known pixels (> 0); 100 in the paper.
        ``np.inf`` fixes alpha on the known pixels (hard constraints, as
        PyMatting does) and solves :math:`L_{UU} \alpha_U = -L_{UK}
        \alpha_K` on the unknown pixels only: a much smaller system.
    solver : str, optional
        One of :data:`classicmat.SOLVERS`; ``"auto"`` (the default) is
        ``"cg-jacobi"`` (measured fastest on the alphamatting.com images),
        or ``"cg-amg"`` for hard constraints with 400,000 unknown pixels or
        more (faster there: 20.0 s instead of 23.9 s on the lemur x4).
        The matrix is not local in the image, so the geometric direct solver
        is not used.
    rtol, atol, maxiter : optional
        Stopping rule of iterative solvers, with SciPy's meaning:
        ``norm(b - A x) <= max(rtol * norm(b), atol)``.

    Returns
    -------
    alpha : (H, W) ndarray of float64
        In [0, 1]; 1 on known foreground and 0 on known background.

    Raises
    ------
    ValueError
        Bad inputs or options, or a trimap whose unknown region has no known
        foreground or no known background.
    TypeError
        ``n_neighbors`` that is not an int or a sequence of ints.

    Warns
    -----
    classicmat.ConvergenceWarning
        If an iterative solver stops before reaching the tolerance.

    References
    ----------
    .. [1] Q. Chen, D. Li, C.-K. Tang, "KNN Matting", IEEE TPAMI 35(9),
       2175-2188, 2013.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.zeros((20, 30, 3)); image[:, 15:] = 1.0
    >>> trimap = np.full((20, 30), 0.5); trimap[:, :5] = 0.0; trimap[:, 25:] = 1.0
    >>> alpha = estimate_alpha_knn(image, trimap)
    >>> bool(alpha[:, :15].max() < 0.01 and alpha[:, 15:].min() > 0.99)
    True
    """
    from ..solvers import SOLVERS, solve

    image = as_image(image)
    trimap = as_trimap(trimap)
    check_same_size(image, trimap)
    check_choice(variant, "variant", VARIANTS)
    preset = VARIANTS[variant]
    n_neighbors = preset["n_neighbors"] if n_neighbors is None else n_neighbors
    level = preset["level"] if level is None else level
    spatial_weakening = (
        preset["spatial_weakening"] if spatial_weakening is None else spatial_weakening
    )
    kernel = preset["kernel"] if kernel is None else kernel
    position = preset["position"] if position is None else position
    lambda_ = preset["lambda_"] if lambda_ is None else lambda_
    hard = isinstance(lambda_, numbers.Real) and lambda_ == np.inf
    if not hard:
        lambda_ = check_number(lambda_, "lambda_", low=0.0, low_open=True)
    n_neighbors, level, spatial_weakening = _check_options(
        n_neighbors, level, spatial_weakening, features, kernel, position
    )
    SOLVERS.entry(solver)  # validate before any work
    masks = split_trimap(trimap)
    check_trimap_has_known(masks)
    if not masks.is_unknown.any():
        return masks.is_fg.astype(np.float64)
    neighbors, values = knn_neighbors(
        image,
        n_neighbors,
        level,
        spatial_weakening,
        features,
        kernel,
        position,
        # hard constraints need the lists that can hold an unknown pixel only
        unknown=masks.is_unknown if hard else None,
    )
    del image
    n = neighbors.shape[0]
    is_fg = masks.is_fg.ravel()
    if hard:
        # alpha fixed on the known pixels: L_UU x = -L_UK alpha_K
        unknown = np.flatnonzero(masks.is_unknown.ravel())
        col_id = np.full(n, -1, dtype=np.int64)
        col_id[unknown] = np.arange(unknown.size)
        data, indices, indptr, b = knn_system(
            neighbors,
            values,
            unknown,
            col_id,
            unknown.size,
            is_fg.astype(np.float64),
            np.zeros(n),
        )
    else:
        # the paper: soft constraints, all pixels are unknowns of the system
        unknown = np.arange(n)
        lam_known = lambda_ * masks.is_known.ravel()
        data, indices, indptr, _ = knn_system(
            neighbors, values, unknown, unknown, n, np.zeros(n), lam_known
        )
        b = lambda_ * is_fg.astype(np.float64)
    del neighbors, values
    A = scipy.sparse.csr_array((data, indices, indptr), shape=(unknown.size, unknown.size))
    A.has_canonical_format = True  # rows sorted, no duplicates (knn_system)
    if solver == "auto":
        solver = auto_solver(unknown.size, hard)
    result = solve(A, b, solver=solver, rtol=rtol, atol=atol, maxiter=maxiter)
    if hard:
        alpha = masks.is_fg.astype(np.float64)
        alpha.flat[unknown] = np.clip(result.x, 0.0, 1.0)
        return alpha
    alpha = np.clip(result.x, 0.0, 1.0).reshape(trimap.shape)
    alpha[masks.is_fg] = 1.0
    alpha[masks.is_bg] = 0.0
    return alpha
