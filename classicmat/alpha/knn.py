"""KNN matting (Chen, Li & Tang 2013)."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import scipy.sparse

from .._validation import as_image, as_trimap, check_number, check_same_size
from ..laplacian.closed_form import check_trimap_has_known
from ..laplacian.knn import knn_laplacian
from ..trimap import split_trimap

#: Solver used by ``solver="auto"`` (see docs/knn.md for the measurements).
AUTO_SOLVER = "cg-jacobi"


def estimate_alpha_knn(
    image: Any,
    trimap: Any,
    *,
    n_neighbors: Any = (10, 2),
    level: float = 1.0,
    spatial_weakening: float = 0.01,
    features: str = "rgb",
    kernel: str = "soft",
    lambda_: float = 100.0,
    solver: str = "auto",
    rtol: float = 1e-7,
    atol: float = 0.0,
    maxiter: int | None = None,
) -> np.ndarray:
    r"""Estimate alpha by KNN matting.

    Solves, on all pixels,

    .. math:: (L + \lambda \, \mathrm{diag}(m)) \, \alpha = \lambda \, m_F

    with :math:`L` the KNN Laplacian (:func:`classicmat.laplacian.knn_laplacian`),
    :math:`m` 1 on known pixels and :math:`m_F` 1 on known foreground: the
    paper's soft constraints. The result is clipped to [0, 1] and the known
    pixels are then set to their trimap value.

    Parameters
    ----------
    image : (H, W, 3) or (H, W) ndarray, PIL image or path
        uint8, uint16 or float in [0, 1]; the alpha channel of RGBA is ignored.
    trimap : (H, W) ndarray, PIL image or path
        After scaling to [0, 1]: ``<= 0.1`` background, ``>= 0.9``
        foreground, unknown between.
    n_neighbors, level, spatial_weakening, features, kernel : optional
        The Laplacian, as in :func:`classicmat.laplacian.knn_laplacian`
        (defaults ``(10, 2)``, 1, 0.01, ``"rgb"``, ``"soft"``: the paper and
        its authors' code).
    lambda_ : float, optional
        Weight of the known pixels (> 0). Default 100, as in the paper.
        ``np.inf`` fixes alpha on the known pixels (hard constraints, as
        PyMatting does) and solves :math:`L_{UU} \alpha_U = -L_{UK}
        \alpha_K` on the unknown pixels only: a much smaller system.
    solver : str, optional
        One of :data:`classicmat.SOLVERS`; ``"auto"`` (the default) is
        ``"cg-jacobi"`` (measured fastest on the alphamatting.com images).
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
    >>> image = np.zeros((5, 8, 3)); image[:, 4:] = 1.0
    >>> trimap = np.full((5, 8), 0.5); trimap[:, :2] = 0.0; trimap[:, 6:] = 1.0
    >>> alpha = estimate_alpha_knn(image, trimap)
    >>> bool(alpha[:, :4].max() < 0.01 and alpha[:, 4:].min() > 0.99)
    True
    """
    from ..solvers import SOLVERS, solve

    image = as_image(image)
    trimap = as_trimap(trimap)
    check_same_size(image, trimap)
    hard = isinstance(lambda_, numbers.Real) and lambda_ == np.inf
    if not hard:
        lambda_ = check_number(lambda_, "lambda_", low=0.0, low_open=True)
    SOLVERS.entry(solver)  # validate before any work
    masks = split_trimap(trimap)
    check_trimap_has_known(masks)
    if not masks.is_unknown.any():
        return masks.is_fg.astype(np.float64)
    L = knn_laplacian(
        image,
        n_neighbors=n_neighbors,
        level=level,
        spatial_weakening=spatial_weakening,
        features=features,
        kernel=kernel,
    )
    del image
    if hard:
        # alpha fixed on the known pixels: L_UU x = -L_UK alpha_K
        unknown = np.flatnonzero(masks.is_unknown)
        rows = L[unknown]
        del L
        A = rows[:, unknown].tocsr()
        b = -(rows @ masks.is_fg.ravel().astype(np.float64))
        del rows
    else:
        # the paper: soft constraints, all pixels are unknowns of the system
        unknown = None
        is_known = masks.is_known.ravel().astype(np.float64)
        A = (L + scipy.sparse.diags_array(lambda_ * is_known, format="csr")).tocsr()
        del L
        b = lambda_ * masks.is_fg.ravel().astype(np.float64)
    if solver == "auto":
        solver = AUTO_SOLVER
    result = solve(A, b, solver=solver, rtol=rtol, atol=atol, maxiter=maxiter)
    if hard:
        alpha = masks.is_fg.astype(np.float64)
        alpha.flat[unknown] = np.clip(result.x, 0.0, 1.0)
        return alpha
    alpha = np.clip(result.x, 0.0, 1.0).reshape(trimap.shape)
    alpha[masks.is_fg] = 1.0
    alpha[masks.is_bg] = 0.0
    return alpha
