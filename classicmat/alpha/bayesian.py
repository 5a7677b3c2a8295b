"""Bayesian matting (Chuang, Curless, Salesin & Szeliski 2001)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .._checks import check_number
from .._validation import as_image, as_trimap, check_same_size
from .._warnings import ClassicmatWarning
from ..trimap import split_trimap


class SparseSamplesWarning(ClassicmatWarning):
    """Some unknown pixels had no foreground or no background sample at all even
    in the largest window (``max_window``) and used the global colour model of
    the known pixels of that side.

    The message gives their number and advice (raise ``max_window``, or draw
    a tighter trimap).
    """


def _check_options(
    sigma, window, max_window, min_samples, sigma_c, min_var, max_clusters, reg, maxiter, tol
):
    sigma = check_number(sigma, "sigma", low=0.0, low_open=True)
    window = check_number(window, "window", integer=True, low=3)
    if window % 2 == 0:
        raise ValueError(f"window must be odd, got {window}")
    max_window = check_number(max_window, "max_window", integer=True, low=3)
    if max_window < window:
        raise ValueError(f"max_window ({max_window}) must be >= window ({window})")
    if max_window > 401:
        raise ValueError(f"max_window must be <= 401, got {max_window}")
    min_samples = check_number(min_samples, "min_samples", integer=True, low=1)
    sigma_c = check_number(sigma_c, "sigma_c", low=0.0, low_open=True)
    min_var = check_number(min_var, "min_var", low=0.0, low_open=True)
    max_clusters = check_number(max_clusters, "max_clusters", integer=True, low=1, high=64)
    reg = check_number(reg, "reg", low=0.0, low_open=True)
    maxiter = check_number(maxiter, "maxiter", integer=True, low=1)
    tol = check_number(tol, "tol", low=0.0)
    params = np.array([sigma, sigma_c, min_var, reg, tol], dtype=np.float64)
    iparams = np.array([window, max_window, min_samples, max_clusters, maxiter], dtype=np.int64)
    return params, iparams


def _onion_rings(is_unknown: np.ndarray) -> np.ndarray:
    """Ring index of every pixel: 0 known, k >= 1 the chessboard distance to the known region.

    Ring k is what the k-th erosion (3x3 square) of the unknown mask removes:
    the unknown region is peeled from its boundary with the known region
    inward. The image border does not count as known.
    """
    from scipy import ndimage

    if not is_unknown.any():
        return np.zeros(is_unknown.shape, dtype=np.int64)
    return ndimage.distance_transform_cdt(is_unknown, metric="chessboard").astype(np.int64)


def _global_model(image: np.ndarray, mask: np.ndarray, reg: float):
    colours = image[mask]
    mean = colours.mean(axis=0)
    cov = np.cov(colours.T, bias=True).reshape(3, 3) if len(colours) > 1 else np.zeros((3, 3))
    return mean, np.linalg.inv(cov + (reg + 1e-4) * np.eye(3))


def bayesian_matting(
    image: Any,
    trimap: Any,
    *,
    sigma: float = 8.0,
    window: int = 25,
    max_window: int = 65,
    min_samples: int = 10,
    sigma_c: float = 0.01,
    min_var: float = 0.05,
    max_clusters: int = 5,
    reg: float = 1e-5,
    maxiter: int = 50,
    tol: float = 1e-4,
    parallel: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Bayesian matting: alpha, foreground and background colours.

    The unknown pixels are solved from the known boundary inward, one onion
    ring at a time. For each pixel, the known and already estimated
    foreground (background) colours of a window around it, weighted by
    :math:`\alpha^2 g` (:math:`(1-\alpha)^2 g`) with :math:`g` a Gaussian
    falloff, are clustered (Orchard & Bouman 1991); for every pair of
    foreground and background clusters a MAP estimate of
    :math:`(F, B, \alpha)` is found by alternating a 6x6 linear solve for
    :math:`(F, B)` given :math:`\alpha` and a projection for :math:`\alpha`
    given :math:`(F, B)`; the pair of highest likelihood wins.

    Parameters
    ----------
    image : (H, W, 3) or (H, W) ndarray, PIL image or path
        uint8, uint16 or float in [0, 1]; gray images are used as three equal
        channels, the alpha channel of RGBA is ignored.
    trimap : (H, W) ndarray, PIL image or path
        After scaling to [0, 1]: ``<= 0.1`` background, ``>= 0.9``
        foreground, unknown between.
    sigma : float, optional
        Standard deviation in pixels of the Gaussian falloff of the sample
        weights (> 0). Default 8, as in the paper.
    window : int, optional
        Initial window width in pixels (odd, >= 3). Default 25, as in the paper.
    max_window : int, optional
        The window grows by 8 pixels while it holds fewer than
        ``min_samples`` foreground or background samples, up to this width
        (odd is not required; <= 401). Default 65.
    min_samples : int, optional
        Samples wanted on each side (>= 1). Default 10.
    sigma_c : float, optional
        Camera noise standard deviation, colours in [0, 1] (> 0). Default 0.01.
    min_var : float, optional
        Clusters are split until the largest eigenvalue of every cluster
        covariance is below this (> 0). Default 0.05.
    max_clusters : int, optional
        Most clusters per side (1 to 64). Default 5.
    reg : float, optional
        Added to the diagonal of every cluster covariance so that it can be
        inverted (> 0). Default 1e-5.
    maxiter : int, optional
        Most rounds of the alternating solve per cluster pair (>= 1). Default 50.
    tol : float, optional
        The alternating solve stops when alpha changes by less (>= 0).
        Default 1e-4.
    parallel : bool, optional
        Solve the pixels of one ring on all numba threads (default) or
        serially; the results are identical.

    Returns
    -------
    alpha : (H, W) ndarray of float64
        In [0, 1]; 1 on known foreground and 0 on known background.
    foreground, background : (H, W, 3) ndarray of float64
        Estimated colours on the unknown pixels; on known pixels the image
        colour on their own side and 0 on the other.

    Raises
    ------
    ValueError
        Bad inputs or option values, or a trimap whose unknown region has no
        known foreground or no known background.
    TypeError
        An option of the wrong type.

    Warns
    -----
    SparseSamplesWarning
        (a :class:`classicmat.ClassicmatWarning`) if some pixels had no
        sample at all of one side in a ``max_window`` window: that side then
        uses the mean and covariance of all known pixels of that side. (Pixels
        with fewer than ``min_samples`` samples use the samples they have,
        without a warning.)

    Notes
    -----
    With :math:`C` the pixel colour and :math:`(\bar F, \Sigma_F)`,
    :math:`(\bar B, \Sigma_B)` the cluster models, the (F, B) step solves

    .. math::

        \begin{pmatrix} \Sigma_F^{-1} + I\alpha^2/\sigma_C^2 & I\alpha(1-\alpha)/\sigma_C^2 \\
        I\alpha(1-\alpha)/\sigma_C^2 & \Sigma_B^{-1} + I(1-\alpha)^2/\sigma_C^2 \end{pmatrix}
        \begin{pmatrix} F \\ B \end{pmatrix} =
        \begin{pmatrix} \Sigma_F^{-1}\bar F + C\alpha/\sigma_C^2 \\
        \Sigma_B^{-1}\bar B + C(1-\alpha)/\sigma_C^2 \end{pmatrix}

    and the alpha step is :math:`\alpha = (C-B)\cdot(F-B) / \|F-B\|^2`
    clipped to [0, 1]. Alpha starts at the mean alpha of the window.
    A pixel reads only known pixels and pixels of earlier rings, so the
    pixels of a ring are independent and solved in parallel.

    References
    ----------
    .. [1] Y.-Y. Chuang, B. Curless, D. H. Salesin, R. Szeliski, "A Bayesian
       Approach to Digital Matting", CVPR 2001.
    .. [2] M. T. Orchard, C. A. Bouman, "Color Quantization of Images",
       IEEE Trans. Signal Processing 39(12), 1991.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.zeros((5, 8, 3)); image[:, 4:] = 1.0
    >>> trimap = np.full((5, 8), 0.5); trimap[:, :2] = 0.0; trimap[:, 6:] = 1.0
    >>> alpha, fg, bg = bayesian_matting(image, trimap)
    >>> bool(alpha[:, :4].max() < 0.01 and alpha[:, 4:].min() > 0.99)
    True
    """
    alpha, foreground, background, message = _solve(image, trimap, sigma, window, max_window,
        min_samples, sigma_c, min_var, max_clusters, reg, maxiter, tol, parallel)  # fmt: skip
    if message:
        warnings.warn(message, SparseSamplesWarning, stacklevel=2)
    return alpha, foreground, background


def _solve(
    image, trimap, sigma, window, max_window, min_samples, sigma_c, min_var, max_clusters,
    reg, maxiter, tol, parallel,
):  # fmt: skip
    image = as_image(image)
    trimap = as_trimap(trimap)
    check_same_size(image, trimap)
    params, iparams = _check_options(
        sigma, window, max_window, min_samples, sigma_c, min_var, max_clusters, reg, maxiter, tol
    )
    if not isinstance(parallel, bool):
        raise TypeError(f"parallel must be a bool, got {parallel!r}")
    from ..laplacian.closed_form import check_trimap_has_known

    masks = split_trimap(trimap)
    check_trimap_has_known(masks)
    if image.shape[2] == 1:
        image = np.ascontiguousarray(np.repeat(image, 3, axis=2))
    alpha = masks.is_fg.astype(np.float64)
    foreground = np.where(masks.is_fg[:, :, None], image, 0.0)
    background = np.where(masks.is_bg[:, :, None], image, 0.0)
    if not masks.is_unknown.any():
        return alpha, foreground, background, None

    order = _onion_rings(masks.is_unknown)
    flat = order.ravel()
    pixels = np.flatnonzero(flat).astype(np.int64)
    pixels = pixels[np.argsort(flat[pixels], kind="stable")]  # by ring, then raster order
    ys, xs = np.divmod(pixels, trimap.shape[1])
    ring_starts = np.searchsorted(flat[pixels], np.arange(1, flat.max() + 2)).astype(np.int64)
    reg_value = float(params[3])
    fb_mean = np.empty((2, 3))
    fb_inv = np.empty((2, 3, 3))
    fb_mean[0], fb_inv[0] = _global_model(image, masks.is_fg, reg_value)
    fb_mean[1], fb_inv[1] = _global_model(image, masks.is_bg, reg_value)
    fallback = np.zeros(pixels.size, dtype=np.int64)

    from . import _bayesian_kernels as kernels

    run = kernels.run_rings_parallel if parallel else kernels.run_rings_serial
    run(
        image,
        alpha,
        foreground,
        background,
        order,
        np.ascontiguousarray(ys),
        np.ascontiguousarray(xs),
        ring_starts,
        params,
        iparams,
        fb_mean,
        fb_inv,
        fallback,
    )
    n_fallback = int(fallback.sum())
    message = None
    if n_fallback:
        message = (
            f"{n_fallback} of {pixels.size} unknown pixels had no foreground or no "
            f"background sample in a max_window={int(iparams[1])} window and used the "
            f"global colour model of the known pixels of that side; raise max_window "
            f"or use a tighter trimap"
        )
    return alpha, foreground, background, message


def estimate_alpha_bayesian(
    image: Any,
    trimap: Any,
    *,
    sigma: float = 8.0,
    window: int = 25,
    max_window: int = 65,
    min_samples: int = 10,
    sigma_c: float = 0.01,
    min_var: float = 0.05,
    max_clusters: int = 5,
    reg: float = 1e-5,
    maxiter: int = 50,
    tol: float = 1e-4,
) -> np.ndarray:
    """Estimate alpha by Bayesian matting; the alpha of :func:`bayesian_matting`.

    Parameters and warnings are those of :func:`bayesian_matting`.

    Returns
    -------
    alpha : (H, W) ndarray of float64
        In [0, 1]; 1 on known foreground and 0 on known background.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.zeros((5, 8, 3)); image[:, 4:] = 1.0
    >>> trimap = np.full((5, 8), 0.5); trimap[:, :2] = 0.0; trimap[:, 6:] = 1.0
    >>> alpha = estimate_alpha_bayesian(image, trimap)
    >>> alpha.shape
    (5, 8)
    """
    alpha, _, _, message = _solve(image, trimap, sigma, window, max_window, min_samples,
        sigma_c, min_var, max_clusters, reg, maxiter, tol, True)  # fmt: skip
    if message:
        warnings.warn(message, SparseSamplesWarning, stacklevel=2)
    return alpha
