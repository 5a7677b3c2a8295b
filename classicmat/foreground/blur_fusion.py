"""Blur-fusion foreground estimation (Forte & Pitie, ICIP 2021)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import check_number
from .._warnings import warn
from ._inputs import pin_known, validates_inputs

_DIVISION_GUARD = 1e-5  # as in the authors' code: blur(F a) / (blur(a) + 1e-5)


def _box(array: np.ndarray, size: int) -> np.ndarray:
    from scipy.ndimage import uniform_filter

    # size x size box mean, mirrored border (OpenCV's default, used by the authors)
    axes_size = (size, size) + (1,) * (array.ndim - 2)
    return uniform_filter(array, size=axes_size, mode="mirror")


def _fuse(image, foreground, background, alpha, size):
    """One pass: blurred F and B weighted by alpha, then the compositing correction."""
    a = alpha[:, :, None]
    blurred_alpha = _box(a, size)
    f_hat = _box(foreground * a, size) / (blurred_alpha + _DIVISION_GUARD)
    b_hat = _box(background * (1.0 - a), size) / ((1.0 - blurred_alpha) + _DIVISION_GUARD)
    f = f_hat + a * (image - a * f_hat - (1.0 - a) * b_hat)
    return np.clip(f, 0.0, 1.0), np.clip(b_hat, 0.0, 1.0)


@validates_inputs
def estimate_foreground_blur_fusion(
    image: Any,
    alpha: Any,
    *,
    return_background: bool = False,
    size: int = 90,
    refine_size: int = 6,
    radius: int | None = None,
    refine_radius: int | None = None,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Estimate the foreground colours by two passes of blur fusion.

    Parameters
    ----------
    image : (H, W, 3) or (H, W) ndarray, PIL image or path
        uint8, uint16 or float in [0, 1].
    alpha : (H, W) ndarray, PIL image or path
        The alpha matte.
    return_background : bool
        Also return the (blurred) background estimate ``B_hat`` of the
        second pass.
    size, refine_size : int
        Box sizes (widths in pixels, the paper's ``r``) of the first and the
        second pass. ``refine_size=0`` skips the second pass.
    radius, refine_radius : int, optional
        Deprecated names of ``size`` and ``refine_size`` (a radius is a
        half-width everywhere else in classicmat).

    Returns
    -------
    foreground : (H, W, C) ndarray of float64
        In [0, 1].
    background : (H, W, C) ndarray of float64
        Only with ``return_background=True``.

    Notes
    -----
    A pass computes the local alpha-weighted means of the current F and B,

    .. math::

        \\hat F = \\frac{\\mathrm{blur}(\\alpha F)}{\\mathrm{blur}(\\alpha)},
        \\quad
        \\hat B = \\frac{\\mathrm{blur}((1 - \\alpha) B)}{\\mathrm{blur}(1 - \\alpha)},

    then moves ``F_hat`` along the compositing error:
    ``F = F_hat + alpha (I - alpha F_hat - (1 - alpha) B_hat)``. The first pass
    starts from ``F = B = I``; the second from the first's ``F`` and
    ``B_hat``. Box blurs are O(1) per pixel whatever the size
    (:func:`scipy.ndimage.uniform_filter`); the divisions add 1e-5 to the
    denominators.

    References
    ----------
    .. [1] M. Forte and F. Pitie, "Approximate Fast Foreground Colour
       Estimation", ICIP 2021.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.full((8, 8, 3), 0.5)
    >>> alpha = np.linspace(0, 1, 64).reshape(8, 8)
    >>> estimate_foreground_blur_fusion(image, alpha).shape
    (8, 8, 3)
    """
    for old, new in (("radius", "size"), ("refine_radius", "refine_size")):
        value = {"radius": radius, "refine_radius": refine_radius}[old]
        if value is not None:
            warn(
                f"{old} of blur fusion is deprecated: it is a box size; use {new}",
                DeprecationWarning,
            )
            if new == "size":
                size = value
            else:
                refine_size = value
    size = check_number(size, "size", integer=True, low=1)
    refine_size = check_number(refine_size, "refine_size", integer=True, low=0)
    foreground, background = _fuse(image, image, image, alpha, size)
    if refine_size > 0:
        foreground, background = _fuse(image, foreground, background, alpha, refine_size)
    pin_known(image, alpha, foreground, background)
    if return_background:
        return foreground, background
    return foreground
