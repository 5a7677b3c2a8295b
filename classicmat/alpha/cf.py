"""Closed-form matting (Levin, Lischinski & Weiss 2008)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .._method import matting_method
from ..laplacian.closed_form import CF_OPTIONS, _cf_system
from ..laplacian.system import direct_solver_ahead, solve_system, solver_options
from ..trimap import masks_of


@matting_method(*CF_OPTIONS, *solver_options(auto="direct", local=True), ahead=direct_solver_ahead)
def estimate_alpha_cf(
    image: np.ndarray,
    trimap: np.ndarray,
    *,
    epsilon: float = 1e-7,
    radius: int = 1,
    solver: str = "auto",
    rtol: float = 1e-7,
    atol: float = 0.0,
    maxiter: int | None = None,
    solver_options: Mapping[str, Any] | None = None,
) -> np.ndarray:
    r"""Estimate alpha by closed-form matting.

    Minimises :math:`\alpha^T L \alpha` over the unknown pixels, with
    :math:`L` the matting Laplacian and :math:`\alpha` fixed to 1 on known
    foreground and 0 on known background: the system
    :math:`L_{UU}\alpha_U = -L_{UK}\alpha_K` of :func:`classicmat.cf_system`,
    solved by :func:`classicmat.solve`.

    Parameters
    ----------
    image : (H, W, 3) or (H, W) ndarray, PIL image or path
        uint8, uint16 or float in [0, 1]; the alpha channel of RGBA is ignored.
    trimap : (H, W) ndarray, PIL image or path
        After scaling to [0, 1]: ``<= 0.1`` background, ``>= 0.9``
        foreground, unknown between.
    epsilon : float, optional
        Regulariser of the colour covariance of each window (> 0). Larger
        values smooth the matte and make the system easier to solve.
        Default 1e-7, as in PyMatting.
    radius : int, optional
        Window radius (>= 1); windows have (2 radius + 1)^2 pixels. Default 1.
    solver : str, optional
        Linear solver, one of :data:`classicmat.SOLVERS`. ``"auto"`` (the
        default) uses the exact multifrontal Cholesky solver ordered by a
        nested dissection of the pixel grid, at every size.
    rtol, atol, maxiter : optional
        Stopping rule of iterative solvers, with SciPy's meaning:
        ``norm(b - A x) <= max(rtol * norm(b), atol)``.
    solver_options : mapping, optional
        Settings of the solver (``classicmat methods --solvers`` lists
        them), e.g. ``{"factor_dtype": "float32"}`` for ``"direct"`` or
        ``{"drop_tol": 1e-3}`` for ``"cg-ichol"``; checked before any work.

    Returns
    -------
    alpha : (H, W) ndarray of float64
        In [0, 1]; 1 on known foreground and 0 on known background.

    Raises
    ------
    ValueError
        Bad inputs or options, or a trimap whose unknown region has no known
        foreground or no known background to lean on.

    Warns
    -----
    classicmat.ConvergenceWarning
        If an iterative solver stops before reaching the tolerance.

    References
    ----------
    .. [1] A. Levin, D. Lischinski, Y. Weiss, "A Closed-Form Solution to
       Natural Image Matting", IEEE TPAMI 30(2), 228-242, 2008.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.zeros((5, 8, 3)); image[:, 4:] = 1.0
    >>> trimap = np.full((5, 8), 0.5); trimap[:, :2] = 0.0; trimap[:, 6:] = 1.0
    >>> alpha = estimate_alpha_cf(image, trimap)
    >>> bool(alpha[:, :4].max() < 0.01 and alpha[:, 4:].min() > 0.99)
    True
    """
    masks = masks_of(trimap)
    del trimap
    system = _cf_system(image, masks, epsilon, radius)
    options = solver_settings(image, system, solver, solver_options)
    # the image is not needed any more: free it before the factorisation, the
    # memory peak of large images
    del image
    return solve_system(
        system, solver=solver, rtol=rtol, atol=atol, maxiter=maxiter, options=options
    )


def solver_settings(image, system, solver, settings):
    """The solver's settings for a closed-form system: the user's, and for an
    aggregation multigrid the near-null space of the matting Laplacian, the
    functions affine in the colour (columns 1, R, G, B of the unknown pixels)."""
    options = dict(settings or {})
    if solver in ("cg-amg", "multigrid") and options.get("method", "sa") != "rs":
        colours = image.reshape(-1, image.shape[2])[system.unknown]
        options.setdefault("near_nullspace", np.column_stack([np.ones(len(colours)), colours]))
    return options
