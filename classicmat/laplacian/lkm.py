"""The large-kernel matting Laplacian as a matrix-free operator, and its system."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .._options import Option
from .._validation import as_image
from ..trimap import TrimapMasks, check_has_known
from .closed_form import _check_window
from .system import MattingSystem

if TYPE_CHECKING:  # pragma: no cover
    from ._lkm_operator import LargeKernelLaplacian

__all__ = ["LKM_OPTIONS", "lkm_laplacian"]

#: The options of the large-kernel Laplacian.
LKM_OPTIONS = (
    Option(
        "epsilon",
        "float",
        "regulariser of each window's colour covariance; larger is smoother",
        low=0.0,
        low_open=True,
        metavar="E",
    ),
    Option(
        "radius",
        "int",
        "window radius (half-width) in pixels; the cost does not grow with it",
        low=1,
        metavar="R",
    ),
)


def lkm_laplacian(image: Any, *, epsilon: float = 1e-7, radius: int = 10) -> LargeKernelLaplacian:
    r"""The large-kernel matting Laplacian: closed-form matting's, applied without the matrix.

    Parameters
    ----------
    image : (H, W, 3) or (H, W) ndarray, PIL image or path
        uint8, uint16 or float in [0, 1]; RGBA is read as RGB. At least
        2 radius + 1 pixels in each direction.
    epsilon : float, optional
        Regulariser of the window covariances (> 0). Default 1e-7, as
        PyMatting's ``lkm_laplacian``.
    radius : int, optional
        Window radius r (>= 1); windows have (2r + 1)^2 pixels. Default 10,
        as PyMatting. The cost of a product does not depend on it.

    Returns
    -------
    L : LargeKernelLaplacian
        A :class:`scipy.sparse.linalg.LinearOperator` of shape (H W, H W):
        ``L @ p`` for a vector of the pixels (row-major), and
        ``L.diagonal()``, exact. ``L @ p`` equals ``cf_laplacian(image,
        epsilon=epsilon, radius=radius) @ p``, whose matrix would hold
        (4r + 1)^2 entries per row (1,681 at r = 10).

    Notes
    -----
    With :math:`P_k = \sum_{j \in w_k} p_j`, :math:`Q_k = \sum_{j \in w_k}
    p_j I_j` (box sums over every window :math:`w_k` of :math:`m` pixels
    wholly inside the image), :math:`V_k = (\Sigma_k + \frac{\epsilon}{m}
    I)^{-1} / m` and :math:`u_k = V_k (Q_k - \mu_k P_k)`, the product with
    closed-form matting's Laplacian is

    .. math::

        (L p)_i = n_i \, p_i - \sum_{k \mid i \in w_k}
        \left( \frac{P_k}{m} + (I_i - \mu_k)^T u_k \right),

    :math:`n_i` the number of windows holding :math:`i` (:math:`m` away
    from the borders): two rounds of box sums, O(1) per pixel (He, Sun &
    Tang's product, in their notation :math:`a^*_k, b^*_k`).

    References
    ----------
    .. [1] K. He, J. Sun, X. Tang, "Fast Matting Using Large Kernel Matting
       Laplacian Matrices", CVPR 2010.
    .. [2] A. Levin, D. Lischinski, Y. Weiss, "A Closed-Form Solution to
       Natural Image Matting", IEEE TPAMI 30(2), 228-242, 2008.

    Examples
    --------
    >>> import numpy as np
    >>> from classicmat import cf_laplacian
    >>> image = np.random.default_rng(0).random((12, 14, 3))
    >>> L = lkm_laplacian(image, radius=3)
    >>> p = np.arange(12 * 14, dtype=float)
    >>> explicit = cf_laplacian(image, radius=3)
    >>> bool(np.allclose(L @ p, explicit @ p) and np.allclose(L.diagonal(), explicit.diagonal()))
    True
    """
    image = as_image(image)
    epsilon = LKM_OPTIONS[0].check(epsilon)
    radius = LKM_OPTIONS[1].check(radius)
    _check_window(image, radius)
    from ._lkm_operator import LargeKernelLaplacian

    return LargeKernelLaplacian(image, epsilon, radius)


def _crop_box(is_unknown: np.ndarray, reach: int) -> tuple[slice, slice]:
    """The bounding box of the unknown pixels grown by ``reach``, within the image."""
    rows = np.flatnonzero(is_unknown.any(axis=1))
    cols = np.flatnonzero(is_unknown.any(axis=0))
    h, w = is_unknown.shape
    return (
        slice(max(rows[0] - reach, 0), min(rows[-1] + reach + 1, h)),
        slice(max(cols[0] - reach, 0), min(cols[-1] + reach + 1, w)),
    )


def _lkm_system(
    image: np.ndarray, masks: TrimapMasks, epsilon: float, radius: int, lambda_: float
) -> MattingSystem:
    """The system of validated inputs, matrix-free.

    Hard constraints (``lambda_ = inf``): ``L_UU alpha_U = -L_UK alpha_K``.
    The rows of unknown pixels reach 2 radius pixels away at most, so only
    the bounding box of the unknown pixels grown by 2 radius is kept: the
    windows holding an unknown pixel all lie inside it, and their rows are
    exact. Soft constraints: ``(L + lambda_ diag(known)) alpha = lambda_ fg``
    on every pixel, as PyMatting (with ``lambda_ = 100``).
    """
    from ._lkm_operator import LargeKernelLaplacian, _SoftSystem, _UnknownBlock

    _check_window(image, radius)
    check_has_known(masks)
    h, w = masks.is_fg.shape
    if lambda_ != math.inf:
        L = LargeKernelLaplacian(image, epsilon, radius)
        weight = lambda_ * masks.is_known.ravel().astype(np.float64)
        A = _SoftSystem(L, weight)
        b = lambda_ * masks.is_fg.ravel().astype(np.float64)
        return MattingSystem(A, b, np.arange(h * w), masks.is_fg, masks.is_bg, hard=False)
    ys, xs = _crop_box(masks.is_unknown, 2 * radius)
    crop = np.ascontiguousarray(image[ys, xs])
    L = LargeKernelLaplacian(crop, epsilon, radius)
    in_crop = np.flatnonzero(masks.is_unknown[ys, xs])
    fg = masks.is_fg[ys, xs].ravel().astype(np.float64)
    b = -L._matvec(fg)[in_crop]
    A = _UnknownBlock(L, in_crop)
    yy, xx = np.divmod(in_crop, crop.shape[1])
    unknown = (yy + ys.start) * w + (xx + xs.start)
    return MattingSystem(A, b, unknown, masks.is_fg, masks.is_bg, hard=True)
