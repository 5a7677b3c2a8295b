"""Learning-based digital matting (Zheng & Kambhamettu 2009)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .._method import matting_method
from ..laplacian.lbdm import LBDM_OPTIONS, LBDM_SYSTEM_OPTIONS, _lbdm_system
from ..laplacian.system import direct_solver_ahead, solve_system, solver_options
from ..trimap import masks_of


@matting_method(
    *LBDM_OPTIONS,
    *LBDM_SYSTEM_OPTIONS,
    *solver_options(auto="direct", local=True),
    ahead=direct_solver_ahead,
)
def estimate_alpha_lbdm(
    image: np.ndarray,
    trimap: np.ndarray,
    *,
    epsilon: float = 1e-7,
    radius: int = 1,
    regularization: float = 1e-6,
    solver: str = "auto",
    rtol: float = 1e-7,
    atol: float = 0.0,
    maxiter: int | None = None,
    solver_options: Mapping[str, Any] | None = None,
) -> np.ndarray:
    r"""Estimate alpha by learning-based digital matting.

    In every window, alpha is predicted from the colours by a local ridge
    regression (a linear model with a bias); the Laplacian :math:`L` of
    :func:`classicmat.lbdm_laplacian` sums the squared prediction errors.
    With the authors' labels :math:`\beta = 2\alpha - 1` (+1 on known
    foreground, -1 on known background, fixed), :math:`\beta` minimises
    :math:`\beta^T L \beta + \rho \|\beta_U\|^2`: the system
    :math:`(L_{UU} + \rho I)\beta_U = -L_{UK}\beta_K` on the unknown pixels,
    built from the windows that touch them only and solved exactly; then
    :math:`\alpha = (1 + \beta) / 2`.

    Parameters
    ----------
    image : (H, W, 3) or (H, W) ndarray, PIL image or path
        uint8, uint16 or float in [0, 1]; the alpha channel of RGBA is ignored.
    trimap : (H, W) ndarray, PIL image or path
        After scaling to [0, 1]: ``<= 0.1`` background, ``>= 0.9``
        foreground, unknown between.
    epsilon : float, optional
        Ridge regulariser of each window's regression (> 0); larger values
        smooth the matte. Default 1e-7, as PyMatting and the authors' code.
    radius : int, optional
        Window radius (>= 1); windows have (2 radius + 1)^2 pixels.
        Default 1, as PyMatting and the paper (3 x 3 windows).
    regularization : float, optional
        :math:`\rho \ge 0`, the authors' ridge term on the unknown pixels:
        where the Laplacian leaves alpha undetermined (regions without
        colour edges, far from known pixels) it is pulled towards 1/2, the
        middle of the labels, rather than anywhere. Default 1e-6, the value
        of the authors' released code; 0 leaves the Laplacian alone (the
        energy PyMatting minimises, up to its soft constraints).
    solver : str, optional
        Linear solver, one of :data:`classicmat.SOLVERS`. ``"auto"`` (the
        default) is the exact multifrontal Cholesky solver ordered by a
        nested dissection of the pixel grid (the system has the sparsity of
        closed-form matting's).
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
        Bad inputs or options (an image smaller than one window), or a
        trimap whose unknown region has no known foreground or no known
        background to lean on.

    Warns
    -----
    classicmat.ConvergenceWarning
        If an iterative solver stops before reaching the tolerance.

    Notes
    -----
    Differences from PyMatting's ``estimate_alpha_lbdm`` (same Laplacian,
    same ``epsilon`` and ``radius``): the authors' ``regularization`` term
    (PyMatting has none); the known pixels are fixed (hard constraints)
    instead of weighted by :math:`\lambda = 100` (the authors' code uses
    800), so the system has the unknown pixels only; and it is solved by a
    direct factorisation instead of CG with incomplete Cholesky, whose
    early stop (its tolerance is relative to the right-hand side
    :math:`\lambda m_F`) leaves PyMatting's result away from the minimiser
    on some images. Alpha is exactly 0 and 1 on the known pixels. See
    ``docs/lbdm.md`` for the measurements.

    References
    ----------
    .. [1] Y. Zheng, C. Kambhamettu, "Learning Based Digital Matting",
       ICCV 2009.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.zeros((5, 8, 3)); image[:, 4:] = 1.0
    >>> trimap = np.full((5, 8), 0.5); trimap[:, :2] = 0.0; trimap[:, 6:] = 1.0
    >>> alpha = estimate_alpha_lbdm(image, trimap)
    >>> bool(alpha[:, :4].max() < 0.01 and alpha[:, 4:].min() > 0.99)
    True
    """
    masks = masks_of(trimap)
    del trimap
    system = _lbdm_system(image, masks, epsilon, radius, regularization)
    del image  # freed before the factorisation, the memory peak
    return solve_system(
        system, solver=solver, rtol=rtol, atol=atol, maxiter=maxiter, options=solver_options
    )
