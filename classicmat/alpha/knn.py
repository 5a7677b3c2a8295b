"""KNN matting (Chen, Li & Tang 2013)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from .._method import matting_method
from .._options import Option
from ..laplacian.knn import KNN_OPTIONS, _knn_system, knn_features, neighbors_of
from ..laplacian.system import MattingSystem, solve_system, solver_options
from ..trimap import check_has_known, masks_of

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
        "lambda_": math.inf,
    },
}

#: Solver of ``solver="auto"`` at every size (docs/knn.md, "Solver"): on
#: images with real detail Jacobi-CG needs 130-200 iterations even with 1.6
#: million unknowns, and pyamg's setup alone takes longer than its whole solve.
AUTO_SOLVER = "cg-jacobi"


def _auto(system: MattingSystem) -> str:
    return AUTO_SOLVER


def _with_variant(values: dict) -> dict:
    """Fill the options left at ``None`` from the variant's preset."""
    preset = VARIANTS[values["variant"]]
    return {
        name: preset[name] if value is None and name in preset else value
        for name, value in values.items()
    }


_VARIANT = Option(
    "variant",
    "str",
    "presets of the options left unset: pymatting (default, PyMatting's settings) or paper",
    choices=tuple(VARIANTS),
    metavar="NAME",
)
_LAMBDA = Option(
    "lambda_",
    "float",
    "weight of the known pixels, or inf to fix them (hard constraints)",
    low=0.0,
    low_open=True,
    allow_inf=True,
    metavar="X",
)
# Laplacian options default to "from the variant" (None) here
_PRESET_OPTIONS = tuple(
    replace(option, allow_none=True, default_text="the variant's")
    if option.name != "features"
    else option
    for option in KNN_OPTIONS
)


@matting_method(
    _VARIANT,
    *_PRESET_OPTIONS,
    replace(_LAMBDA, allow_none=True, default_text="the variant's"),
    *solver_options(auto=AUTO_SOLVER, local=False),
    resolve=_with_variant,
)
def estimate_alpha_knn(
    image: np.ndarray,
    trimap: np.ndarray,
    *,
    variant: str = "pymatting",
    n_neighbors: int | tuple[int, ...] | None = None,
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
    solver_options: Mapping[str, Any] | None = None,
) -> np.ndarray:
    r"""Estimate alpha by KNN matting.

    With :math:`L` the KNN Laplacian (:func:`classicmat.knn_laplacian`),
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
    variant : {"pymatting", "paper"}, optional
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
        The Laplacian, as in :func:`classicmat.knn_laplacian`; ``None``
        takes the value of ``variant``. ``features`` defaults to ``"rgb"``.
    lambda_ : float, optional
        Weight of the known pixels (> 0); 100 in the paper.
        ``np.inf`` fixes alpha on the known pixels (hard constraints, as
        PyMatting does) and solves :math:`L_{UU} \alpha_U = -L_{UK}
        \alpha_K` on the unknown pixels only: a much smaller system.
    solver : str, optional
        One of :data:`classicmat.SOLVERS`; ``"auto"`` (the default) is
        ``"cg-jacobi"``, measured fastest here: 3.2-3.7 s against 8.9-12.5 s
        for ``"cg-amg"`` (most of it pyamg's setup) on a 3 x 3 mosaic of
        alphamatting.com photos (620,000 unknowns), 12.8 s against 27.4 s on
        the 5 x 5 mosaic (1.6 million). ``"cg-amg"`` wins only on smooth
        images (the lemur upscaled x4: 8.5 s against 10.9 s). The matrix is
        not local in the image, so the geometric direct solver is not used.
    rtol, atol, maxiter : optional
        Stopping rule of iterative solvers, with SciPy's meaning:
        ``norm(b - A x) <= max(rtol * norm(b), atol)``.
    solver_options : mapping, optional
        Settings of the solver (``classicmat methods --solvers`` lists
        them), e.g. ``{"drop_tol": 1e-3}`` for ``"cg-ichol"`` or
        ``{"max_levels": 4}`` for ``"cg-amg"``; checked before any work.

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
    masks = masks_of(trimap)
    del trimap
    if not masks.is_unknown.any():
        return masks.is_fg.astype(np.float64)
    check_has_known(masks)
    # the features, then the neighbour lists, are the memory peak of large
    # images: each is freed as soon as it is used
    shape = image.shape[:2]
    f = knn_features(image, level=level, features=features, position=position)
    del image
    hard = lambda_ == math.inf
    neighbors, values, unknown_rows = neighbors_of(
        f, shape, n_neighbors, level, spatial_weakening, kernel, position,
        unknown=masks.is_unknown if hard else None,
    )  # fmt: skip
    del f
    # the unknowns numbered in the tree's order: faster products in CG
    system = _knn_system(neighbors, values, masks, lambda_, unknown_rows)
    del neighbors, values
    return solve_system(
        system, solver=solver, rtol=rtol, atol=atol, maxiter=maxiter, auto=_auto,
        options=solver_options,
    )  # fmt: skip
