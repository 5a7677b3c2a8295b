"""Alpha estimation: one dispatcher over a registry of methods."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._registry import Registry, check_options

#: The alpha matting methods. Listing them imports no method module.
METHODS = Registry("method")
METHODS.register(
    "cf",
    "classicmat.alpha.cf:estimate_alpha_cf",
    "closed-form matting: the matting Laplacian solved on the unknown pixels",
    "Levin, Lischinski & Weiss, A Closed-Form Solution to Natural Image Matting, "
    "IEEE TPAMI 30(2), 2008",
)
METHODS.register(
    "knn",
    "classicmat.alpha.knn:estimate_alpha_knn",
    "KNN matting: nonlocal nearest neighbours in colour and position",
    "Q. Chen, D. Li, C.-K. Tang, KNN Matting, IEEE TPAMI 35(9), 2013",
)
METHODS.register(
    "bayesian",
    "classicmat.alpha.bayesian:estimate_alpha_bayesian",
    "Bayesian matting: onion-peeling MAP estimate of F, B and alpha per pixel",
    "Chuang, Curless, Salesin & Szeliski, A Bayesian Approach to Digital Matting, CVPR 2001",
)

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np


def estimate_alpha(image: Any, trimap: Any, *, method: str = "cf", **options: Any) -> np.ndarray:
    """Estimate the alpha matte of ``image`` given ``trimap``.

    Parameters
    ----------
    image : (H, W, 3) or (H, W) ndarray, PIL image or path
        uint8, uint16 or float in [0, 1]; gray, RGB or RGBA (the alpha channel
        of an RGBA image is ignored).
    trimap : (H, W) ndarray, PIL image or path
        uint8, uint16 or float in [0, 1] (gray, or RGB with equal channels).
        After scaling to [0, 1], values ``<= 0.1`` are known background,
        values ``>= 0.9`` known foreground, anything between is unknown.
    method : str
        One of the registered methods (see ``classicmat methods``):

        - ``"cf"``: closed-form matting (Levin et al. 2008); options in
          :func:`classicmat.alpha.cf.estimate_alpha_cf`.
        - ``"knn"``: KNN matting (Chen et al. 2013); options in
          :func:`classicmat.alpha.knn.estimate_alpha_knn`.
        - ``"bayesian"``: Bayesian matting (Chuang et al. 2001); options in
          :func:`classicmat.alpha.bayesian.bayesian_matting`.
    **options
        Keyword options of the chosen method. Unknown options raise
        ``TypeError`` listing the valid ones.

    Returns
    -------
    alpha : (H, W) ndarray of float64
        Values in [0, 1]; exactly 1 on known foreground, 0 on known background.

    Raises
    ------
    ValueError
        Unknown ``method``, malformed inputs, sizes that differ, or a trimap
        whose unknown region borders neither known foreground nor known
        background.
    TypeError
        Unknown option, or an input of the wrong type.

    Examples
    --------
    >>> import numpy as np
    >>> import classicmat
    >>> image = np.zeros((4, 6, 3)); image[:, 3:] = 1.0
    >>> trimap = np.full((4, 6), 0.5); trimap[:, 0] = 0.0; trimap[:, 5] = 1.0
    >>> alpha = classicmat.estimate_alpha(image, trimap, method="cf")
    >>> alpha.shape
    (4, 6)
    """
    func = METHODS.get(method)
    check_options(func, options, f"method {method!r}")
    return func(image, trimap, **options)
