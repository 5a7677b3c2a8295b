"""Large-kernel matting (He, Sun & Tang 2010)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from .._method import matting_method
from .._options import Option
from ..laplacian.lkm import LKM_OPTIONS, _lkm_system
from ..laplacian.system import SOLVER_OPTIONS, solve_system
from ..trimap import masks_of

#: The solvers of a matrix-free system (``classicmat.solve`` refuses the others).
LKM_SOLVERS = ("auto", "cg-jacobi", "cg")

_LAMBDA = Option(
    "lambda_",
    "float",
    "weight of the known pixels, or inf to fix them (hard constraints)",
    low=0.0,
    low_open=True,
    allow_inf=True,
    metavar="X",
)

_SOLVER_OPTIONS = tuple(
    replace(
        option,
        choices=LKM_SOLVERS,
        help="linear solver of the matrix-free system: auto (= cg-jacobi), cg-jacobi or cg",
    )
    if option.name == "solver"
    else option
    for option in SOLVER_OPTIONS
)


@matting_method(*LKM_OPTIONS, _LAMBDA, *_SOLVER_OPTIONS)
def estimate_alpha_lkm(
    image: np.ndarray,
    trimap: np.ndarray,
    *,
    epsilon: float = 1e-7,
    radius: int = 10,
    lambda_: float = math.inf,
    solver: str = "auto",
    rtol: float = 1e-7,
    atol: float = 0.0,
    maxiter: int | None = None,
) -> np.ndarray:
    r"""Estimate alpha by large-kernel matting.

    Closed-form matting with a large window: the matting Laplacian of
    radius ``radius`` (:func:`classicmat.lkm_laplacian`), never built but
    applied by box sums at O(1) cost per pixel whatever the radius, and
    solved by conjugate gradients. By default the known pixels are fixed
    (hard constraints): :math:`L_{UU}\alpha_U = -L_{UK}\alpha_K` on the
    unknown pixels, over the bounding box of the unknown pixels grown by
    2 radius (the windows that hold an unknown pixel).

    Parameters
    ----------
    image : (H, W, 3) or (H, W) ndarray, PIL image or path
        uint8, uint16 or float in [0, 1]; the alpha channel of RGBA is
        ignored. At least 2 radius + 1 pixels in each direction.
    trimap : (H, W) ndarray, PIL image or path
        After scaling to [0, 1]: ``<= 0.1`` background, ``>= 0.9``
        foreground, unknown between.
    epsilon : float, optional
        Regulariser of the colour covariance of each window (> 0). Default
        1e-7, as PyMatting.
    radius : int, optional
        Window radius (>= 1); windows have (2 radius + 1)^2 pixels.
        Default 10, as PyMatting. Larger windows propagate further per
        iteration (fewer CG iterations) and smooth the matte more.
    lambda_ : float, optional
        ``np.inf`` (default) fixes alpha on the known pixels. A finite value
        weights them instead, :math:`(L + \lambda D)\alpha = \lambda D
        \beta` on every pixel (the paper's form; PyMatting hard-codes
        :math:`\lambda = 100`). With a large window the entries of
        :math:`L` grow with the window area (its diagonal reaches about 440
        at radius 10), so :math:`\lambda = 100` no longer holds the known
        pixels: see Notes.
    solver : {"auto", "cg-jacobi", "cg"}, optional
        ``"auto"`` (the default) is ``"cg-jacobi"``: CG preconditioned by
        the exact diagonal of the system (measured against plain CG in
        ``docs/lkm.md``). The system has no matrix, so the direct and the
        factorisation-based solvers do not apply.
    rtol, atol, maxiter : optional
        Stopping rule of CG, with SciPy's meaning: ``norm(b - A x) <=
        max(rtol * norm(b), atol)``.

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
        If CG stops before reaching the tolerance.

    Notes
    -----
    He et al. solve :math:`(L + \lambda D)\alpha = \lambda D \beta` with a
    large :math:`\lambda`: the known pixels are meant to stay at their
    trimap values. Hard constraints are the limit :math:`\lambda \to
    \infty` of that system, solved exactly rather than approximated; with
    PyMatting's :math:`\lambda = 100` at radius 10, known pixels drift by up
    to 0.4 from their trimap values on the lemur, and the drift spreads into
    the unknown region. Differences from PyMatting's ``estimate_alpha_lkm``:
    these constraints; the system restricted to the unknown pixels and the
    box around them; products by compiled box sums. The paper's adaptive
    kernel sizes and trimap segmentation are not implemented (nor in
    PyMatting). See ``docs/lkm.md``.

    References
    ----------
    .. [1] K. He, J. Sun, X. Tang, "Fast Matting Using Large Kernel Matting
       Laplacian Matrices", CVPR 2010.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.zeros((24, 30, 3)); image[:, 15:] = 1.0
    >>> trimap = np.full((24, 30), 0.5); trimap[:, :5] = 0.0; trimap[:, 25:] = 1.0
    >>> alpha = estimate_alpha_lkm(image, trimap, radius=2)
    >>> bool(alpha[:, :15].max() < 0.01 and alpha[:, 15:].min() > 0.99)
    True
    """
    masks = masks_of(trimap)
    del trimap
    if not masks.is_unknown.any():
        return masks.is_fg.astype(np.float64)
    system = _lkm_system(image, masks, epsilon, radius, lambda_)
    del image
    return solve_system(system, solver=solver, rtol=rtol, atol=atol, maxiter=maxiter)
