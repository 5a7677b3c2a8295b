"""Random-walk matting (Grady, Schiwietz, Aharon & Westermann 2005)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .._method import matting_method
from ..laplacian.rw import RW_OPTIONS, _rw_system
from ..laplacian.system import direct_solver_ahead, solve_system, solver_options
from ..trimap import masks_of


@matting_method(*RW_OPTIONS, *solver_options(auto="direct", local=True), ahead=direct_solver_ahead)
def estimate_alpha_rw(
    image: np.ndarray,
    trimap: np.ndarray,
    *,
    sigma: float = 1 / 30,
    radius: int = 1,
    regularization: float = 1e-8,
    solver: str = "auto",
    rtol: float = 1e-7,
    atol: float = 0.0,
    maxiter: int | None = None,
    solver_options: Mapping[str, Any] | None = None,
) -> np.ndarray:
    r"""Estimate alpha by random-walk matting.

    The pixels are the nodes of a graph whose edges link neighbours with
    weights :math:`w_{ij} = \exp(-\|I_i - I_j\|^2 / \sigma^2)`; alpha at an
    unknown pixel is the probability that a random walker leaving it
    reaches the known foreground before the known background. It solves
    :math:`L_{UU}\alpha_U = -L_{UK}\alpha_K` for the graph Laplacian
    :math:`L = D - W` of :func:`classicmat.rw_laplacian` (the Dirichlet
    problem of the paper), exactly.

    Parameters
    ----------
    image : (H, W, 3) or (H, W) ndarray, PIL image or path
        uint8, uint16 or float in [0, 1]; the alpha channel of RGBA is ignored.
    trimap : (H, W) ndarray, PIL image or path
        After scaling to [0, 1]: ``<= 0.1`` background, ``>= 0.9``
        foreground, unknown between.
    sigma : float, optional
        Colour scale of the weights (> 0). Default 1/30 (about 0.0333),
        which gives :math:`w = \exp(-900 \|I_i - I_j\|^2)`, the weights that
        PyMatting's ``estimate_alpha_rw`` actually uses: its ``sigma``
        argument (default 0.033) is ignored and 900 is hard-coded. Here
        ``sigma`` is honoured.
    radius : int, optional
        Neighbourhood: the (2 radius + 1)^2 square around each pixel
        (>= 1). Default 1, the 8 neighbours, as PyMatting.
    regularization : float, optional
        :math:`\rho \ge 0`, added to the diagonal of the Laplacian. Default
        1e-8, as PyMatting. The system is written for the labels
        :math:`\beta = 2\alpha - 1` (+1 foreground, -1 background), so the
        term pulls alpha towards 1/2, not towards 0 as in PyMatting's 0/1
        labels; either way it matters only where every weight of a pixel
        underflows (an isolated pixel gets 1/2: nothing tells it apart).
    solver : str, optional
        Linear solver, one of :data:`classicmat.SOLVERS`. ``"auto"`` (the
        default) is the exact multifrontal Cholesky solver ordered by a
        nested dissection of the pixel grid.
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

    Notes
    -----
    Differences from PyMatting's ``estimate_alpha_rw``: ``sigma`` is used
    (see above); the Laplacian is the symmetric :math:`D - W` of the paper
    rather than PyMatting's row-normalised, non-symmetric :math:`I - D^{-1}
    W` (which it solves by CG although CG needs a symmetric matrix), without
    self-loops and without duplicating border neighbours; the known pixels
    are fixed (the paper's Dirichlet boundary conditions) rather than
    weighted by :math:`\lambda = 100`; and the system is solved exactly. See
    ``docs/rw.md`` for the neighbourhood (8 neighbours rather than the
    paper's 4) and the measurements.

    References
    ----------
    .. [1] L. Grady, T. Schiwietz, S. Aharon, R. Westermann, "Random Walks
       for Interactive Alpha-Matting", VIIP 2005.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.zeros((5, 8, 3)); image[:, 4:] = 1.0
    >>> trimap = np.full((5, 8), 0.5); trimap[:, :2] = 0.0; trimap[:, 6:] = 1.0
    >>> alpha = estimate_alpha_rw(image, trimap)
    >>> bool(alpha[:, :4].max() < 0.01 and alpha[:, 4:].min() > 0.99)
    True
    """
    masks = masks_of(trimap)
    del trimap
    system = _rw_system(image, masks, sigma, radius, regularization)
    del image
    return solve_system(
        system, solver=solver, rtol=rtol, atol=atol, maxiter=maxiter, options=solver_options
    )
