"""Alpha matte errors as the matting literature reports them.

The four functions reproduce the MATLAB evaluation code released with Deep
Image Matting (Xu et al., 2017) that the Composition-1k literature uses:
``compute_sad_loss.m``, ``compute_mse_loss.m``, ``compute_gradient_loss.m``
and ``compute_connectivity_error.m``, together with the driver script that
divides the gradient and connectivity errors by 1000. Each function returns
the number a paper's table prints (MSE: see :func:`mse`).

Where the errors are evaluated
------------------------------
``trimap`` selects the unknown pixels: trimap values strictly between the
background and foreground thresholds of :mod:`classicmat.trimap` (for the
usual 0/128/255 trimaps, ``trimap == 128`` exactly as in the MATLAB code).
``mask`` selects the pixels of a boolean array instead. With neither, the
whole image is evaluated (the MATLAB scripts do the same by passing a trimap
that is 128 everywhere). An empty region raises ``ValueError``: the MATLAB
MSE would be 0/0 there, and an empty unknown region almost always means a
trimap in an unexpected encoding.

Precision
---------
Everything is computed in float64. The MATLAB code rounds to single precision
in places (``single(pred)``, ``single(pred_amp)``) and sums in single
precision, so it differs from these functions by rounding only (relative
differences of about 1e-6 on Composition-1k sized images). The decisions that
are not rounding-sized (which pixels pass a threshold, which connected
component is the largest) are made exactly as in MATLAB for 8-bit alphas.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._checks import check_number
from ._validation import as_alpha
from .trimap import split_trimap

__all__ = ["connectivity_error", "errors", "gradient_error", "mse", "sad"]

#: The errors that papers print are sums divided by this (SAD, gradient, connectivity).
SCALE = 1000.0
#: Default settings of the gradient and connectivity errors (Xu et al. 2017's code).
GRADIENT_SIGMA = 1.4
CONNECTIVITY_STEP = 0.1
CONNECTIVITY_THETA = 0.15


# ---------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------


def _region(trimap: Any, mask: Any, shape: tuple[int, int]) -> np.ndarray:
    """Boolean (H, W) mask of the pixels where an error is evaluated."""
    if trimap is not None and mask is not None:
        raise TypeError("pass either trimap or mask, not both")
    if mask is not None:
        mask = np.asarray(mask)
        if mask.dtype != np.bool_:
            raise TypeError(
                f"mask must be a boolean array, got dtype {mask.dtype}; "
                f"convert it first, for instance mask=(m > 0)"
            )
        if mask.shape != shape:
            raise ValueError(f"mask shape {mask.shape} does not match alpha shape {shape}")
        if not mask.any():
            raise ValueError("mask selects no pixels; there is nothing to evaluate")
        return mask
    if trimap is None:
        return np.ones(shape, dtype=bool)
    region = split_trimap(trimap).is_unknown
    if region.shape != shape:
        raise ValueError(f"trimap shape {region.shape} does not match alpha shape {shape}")
    if not region.any():
        raise ValueError(
            "trimap has no unknown pixels (values strictly between background and "
            "foreground, such as 128 of 255); check its encoding, or pass mask= "
            "to choose the evaluated pixels"
        )
    return region


def _prepare(
    alpha: Any, alpha_true: Any, trimap: Any, mask: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    pred = as_alpha(alpha, name="alpha")
    true = as_alpha(alpha_true, name="alpha_true")
    if pred.shape != true.shape:
        raise ValueError(f"alpha shape {pred.shape} does not match alpha_true shape {true.shape}")
    return pred, true, _region(trimap, mask, pred.shape)


# ---------------------------------------------------------------------------
# SAD and MSE
# ---------------------------------------------------------------------------


def sad(alpha: Any, alpha_true: Any, trimap: Any = None, *, mask: Any = None) -> float:
    r"""Sum of absolute differences, in thousands, as Composition-1k tables print it.

    Parameters
    ----------
    alpha : (H, W) ndarray, PIL image or path
        Predicted alpha matte: uint8 (divided by 255), uint16 (divided by
        65535) or float in [0, 1].
    alpha_true : (H, W) ndarray, PIL image or path
        Ground-truth alpha matte, in the same forms.
    trimap : (H, W) ndarray, PIL image or path, optional
        Evaluate on its unknown pixels (128 in a 0/128/255 trimap).
    mask : (H, W) ndarray of bool, optional
        Evaluate where ``mask`` is True instead. With neither ``trimap`` nor
        ``mask``, the whole image is evaluated.

    Returns
    -------
    float
        :math:`\frac{1}{1000} \sum_{i \in U} |\alpha_i - \alpha^*_i|` with
        alphas in [0, 1] and :math:`U` the evaluated pixels.

    Raises
    ------
    TypeError
        If an alpha has an unsupported dtype, ``mask`` is not boolean, or both
        ``trimap`` and ``mask`` are given.
    ValueError
        If the shapes differ, a float alpha leaves [0, 1] or holds NaN, or the
        evaluated region is empty.

    Notes
    -----
    Same as ``compute_sad_loss.m`` of Xu et al. (2017), which divides by 1000
    "due to the large images": the value papers print as SAD.

    References
    ----------
    .. [1] N. Xu, B. Price, S. Cohen, T. Huang, "Deep Image Matting", CVPR 2017.

    Examples
    --------
    >>> import numpy as np
    >>> alpha_true = np.array([[0, 128, 255]], dtype=np.uint8)
    >>> alpha = np.array([[0, 255, 255]], dtype=np.uint8)
    >>> round(sad(alpha, alpha_true) * 1000, 4)  # |1 - 128/255|
    0.498
    """
    return _sad(*_prepare(alpha, alpha_true, trimap, mask))


def _sad(pred: np.ndarray, true: np.ndarray, region: np.ndarray) -> float:
    return float(np.abs(pred - true)[region].sum() / SCALE)


def mse(alpha: Any, alpha_true: Any, trimap: Any = None, *, mask: Any = None) -> float:
    r"""Mean squared error over the evaluated pixels (plain, not scaled).

    Parameters
    ----------
    alpha, alpha_true, trimap, mask
        As for :func:`sad`.

    Returns
    -------
    float
        :math:`\frac{1}{|U|} \sum_{i \in U} (\alpha_i - \alpha^*_i)^2` with
        alphas in [0, 1]. Deep Image Matting (2017) prints this value; most
        later papers (GCA-Matting and after) print :math:`10^3` times it.

    Raises
    ------
    TypeError, ValueError
        As for :func:`sad`.

    Notes
    -----
    Same as ``compute_mse_loss.m`` of Xu et al. (2017). Where MATLAB divides
    by zero for a trimap without unknown pixels (NaN), this function raises
    ``ValueError``.

    References
    ----------
    .. [1] N. Xu, B. Price, S. Cohen, T. Huang, "Deep Image Matting", CVPR 2017.

    Examples
    --------
    >>> import numpy as np
    >>> alpha_true = np.array([[0.0, 0.5, 1.0, 1.0]])
    >>> alpha = np.array([[0.0, 1.0, 1.0, 0.0]])
    >>> mse(alpha, alpha_true)  # (0.25 + 1) / 4
    0.3125
    """
    return _mse(*_prepare(alpha, alpha_true, trimap, mask))


def _mse(pred: np.ndarray, true: np.ndarray, region: np.ndarray) -> float:
    return float(np.square(pred - true)[region].mean())


# ---------------------------------------------------------------------------
# gradient error
# ---------------------------------------------------------------------------


def _mat2gray(image: np.ndarray) -> np.ndarray:
    """Min-max scale to [0, 1] like MATLAB's ``mat2gray``; a constant image gives 0."""
    low, high = float(image.min()), float(image.max())
    if high == low:
        # mat2gray returns the clipped constant here; any constant has zero gradient.
        return np.zeros_like(image)
    return np.clip((image - low) / (high - low), 0.0, 1.0)


def _gauss_gradient_factors(sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """The two 1-D factors of the x kernel of ``gaussgradient.m``, each of unit norm.

    The kernel is ``hx(i, j) = gauss(u_i) * dgauss(u_j)`` (rows: Gaussian,
    columns: its derivative) over offsets ``u = -h..h``, with ``epsilon = 1e-2``
    setting the half size ``h``, divided by its L2 norm; the norm of an outer
    product is the product of the norms, so ``hx = outer(gauss_n, dgauss_n)``.
    """
    epsilon = 1e-2
    halfsize = math.ceil(
        sigma * math.sqrt(-2.0 * math.log(math.sqrt(2.0 * math.pi) * sigma * epsilon))
    )
    u = np.arange(-halfsize, halfsize + 1, dtype=np.float64)
    gauss = np.exp(-(u**2) / (2.0 * sigma**2)) / (sigma * math.sqrt(2.0 * math.pi))
    dgauss = -u * gauss / sigma**2
    return gauss / np.linalg.norm(gauss), dgauss / np.linalg.norm(dgauss)


def _gauss_gradient_kernel(sigma: float) -> np.ndarray:
    """The 2-D x kernel ``hx`` of ``gaussgradient.m`` (unit L2 norm); ``hy = hx.T``."""
    gauss, dgauss = _gauss_gradient_factors(sigma)
    return np.outer(gauss, dgauss)


def _gauss_gradient(image: np.ndarray, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """``gx, gy`` as ``imfilter(image, hx or hy, 'replicate', 'conv')``.

    The kernel is separable and so is the replicate border, so two 1-D passes
    give the 2-D filtering (four times fewer operations for the 9 x 9 kernel).
    ``scipy.ndimage.convolve1d`` is a true convolution (kernel flipped, as
    MATLAB's ``'conv'`` option) and ``mode='nearest'`` repeats the edge pixels
    (MATLAB's ``'replicate'``).
    """
    from scipy import ndimage

    gauss, dgauss = _gauss_gradient_factors(sigma)
    smooth_rows = ndimage.convolve1d(image, gauss, axis=0, mode="nearest")
    gx = ndimage.convolve1d(smooth_rows, dgauss, axis=1, mode="nearest")
    smooth_cols = ndimage.convolve1d(image, gauss, axis=1, mode="nearest")
    gy = ndimage.convolve1d(smooth_cols, dgauss, axis=0, mode="nearest")
    return gx, gy


def _gradient_magnitude(image: np.ndarray, sigma: float) -> np.ndarray:
    gx, gy = _gauss_gradient(image, sigma)
    return np.hypot(gx, gy)


def gradient_error(
    alpha: Any,
    alpha_true: Any,
    trimap: Any = None,
    *,
    mask: Any = None,
    sigma: float = GRADIENT_SIGMA,
) -> float:
    r"""Gradient error, in thousands, as Composition-1k tables print it.

    Parameters
    ----------
    alpha, alpha_true, trimap, mask
        As for :func:`sad`.
    sigma : float, default 1.4
        Standard deviation of the derivative-of-Gaussian filter (1.4 in the
        evaluation code and in Rhemann et al., 2009).

    Returns
    -------
    float
        :math:`\frac{1}{1000} \sum_{i \in U} (\|\nabla\alpha_i\| - \|\nabla\alpha^*_i\|)^2`.

    Raises
    ------
    TypeError, ValueError
        As for :func:`sad`; ``ValueError`` also for ``sigma`` outside
        (0, 39.8], where the kernel size formula has no solution.

    Notes
    -----
    Same as ``compute_gradient_loss.m`` of Xu et al. (2017) divided by 1000
    (as its driver script does):

    1. Each matte is scaled to [0, 1] by its own minimum and maximum over the
       whole image (MATLAB's ``mat2gray``); the error therefore does not depend
       on the input scale. A constant matte has zero gradient.
    2. Both are filtered with the kernels of ``gaussgradient.m``:
       :math:`h_x(i, j) = g(u_i)\, g'(u_j)` with :math:`g` the Gaussian of
       standard deviation :math:`\sigma`, :math:`g'(x) = -x g(x)/\sigma^2`,
       offsets :math:`u = -h, \dots, h` where
       :math:`h = \lceil \sigma \sqrt{-2 \ln(\sqrt{2\pi}\,\sigma\,\epsilon)} \rceil`,
       :math:`\epsilon = 10^{-2}` (:math:`h = 4`, a 9 x 9 kernel, for
       :math:`\sigma = 1.4`), scaled to unit L2 norm; :math:`h_y = h_x^T`.
       The filtering is a true convolution with replicated borders
       (``imfilter(..., 'replicate', 'conv')``), done here as two 1-D passes
       since both the kernel and the border rule are separable.
    3. The magnitudes :math:`\sqrt{g_x^2 + g_y^2}` are compared on the
       evaluated pixels.

    MATLAB rounds the magnitudes to single precision before subtracting and
    sums in single precision; this function stays in float64 (a relative
    difference of about 1e-6).

    References
    ----------
    .. [1] N. Xu, B. Price, S. Cohen, T. Huang, "Deep Image Matting", CVPR 2017.
    .. [2] C. Rhemann, C. Rother, J. Wang, M. Gelautz, P. Kohli, P. Rott,
       "A Perceptually Motivated Online Benchmark for Image Matting", CVPR 2009.

    Examples
    --------
    >>> import numpy as np
    >>> step = np.zeros((8, 8))
    >>> step[:, 4:] = 1.0
    >>> gradient_error(step, step)
    0.0
    >>> gradient_error(np.zeros((8, 8)), step) > 0
    True
    """
    sigma = check_number(sigma, "sigma", low=0.0, low_open=True)
    if math.sqrt(2.0 * math.pi) * sigma * 1e-2 >= 1.0:
        raise ValueError(
            f"sigma must be < {1.0 / (math.sqrt(2.0 * math.pi) * 1e-2):.4g}, got {sigma!r}"
        )
    return _gradient_error(*_prepare(alpha, alpha_true, trimap, mask), sigma)


def _gradient_error(pred: np.ndarray, true: np.ndarray, region: np.ndarray, sigma: float) -> float:
    pred_amp = _gradient_magnitude(_mat2gray(pred), sigma)
    true_amp = _gradient_magnitude(_mat2gray(true), sigma)
    return float(np.square(pred_amp - true_amp)[region].sum() / SCALE)


# ---------------------------------------------------------------------------
# connectivity error
# ---------------------------------------------------------------------------


def _thresholds(step: float) -> np.ndarray:
    """The values of MATLAB's ``0:step:1``.

    MATLAB builds a colon range from both ends (``k*step`` for the first half,
    ``last - k*step`` for the second half, the middle as a midpoint), so
    ``0:0.1:1`` holds exactly ``0.6`` where ``6 * 0.1`` is ``0.6000000000000001``.
    That matters: 153/255 is 0.6 and must pass the threshold 0.6.
    """
    ratio = 1.0 / step
    n = round(ratio)
    if abs(ratio - n) <= 4.0 * np.finfo(np.float64).eps * max(1.0, ratio):
        last = 1.0  # the range ends exactly at 1
    else:
        n = math.floor(ratio)
        last = n * step
    values = np.empty(n + 1)
    k = np.arange(n // 2 + 1)
    values[k] = k * step
    values[n - k] = last - k * step
    if n % 2 == 0:
        values[n // 2] = last / 2.0
    return values


_FOUR_CONNECTED = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], dtype=bool)


def _largest_component(binary: np.ndarray) -> np.ndarray:
    """The largest 4-connected component of ``binary`` (all False if there is none).

    Ties go to the component met first in column-major order, as MATLAB's
    ``bwconncomp`` numbers components that way and ``max`` returns the first
    maximum: the labelling runs on the transpose, whose row-major order is the
    column-major order of ``binary``.
    """
    from scipy import ndimage

    labels, count = ndimage.label(binary.T, structure=_FOUR_CONNECTED)
    if count == 0:
        return np.zeros_like(binary)
    sizes = np.bincount(labels.ravel(), minlength=count + 1)
    sizes[0] = 0
    return (labels == int(np.argmax(sizes))).T


def _connectivity_levels(pred: np.ndarray, true: np.ndarray, step: float) -> np.ndarray:
    """For each pixel, the last threshold at which it is connected to the source region."""
    thresholds = _thresholds(step)
    level = np.ones(pred.shape)
    unassigned = np.ones(pred.shape, dtype=bool)
    for i in range(1, thresholds.size):
        omega = _largest_component((pred >= thresholds[i]) & (true >= thresholds[i]))
        drop = unassigned & ~omega
        level[drop] = thresholds[i - 1]
        unassigned &= omega
        if not unassigned.any():
            break
    return level  # pixels never dropped keep the level 1


def connectivity_error(
    alpha: Any,
    alpha_true: Any,
    trimap: Any = None,
    *,
    mask: Any = None,
    step: float = CONNECTIVITY_STEP,
    theta: float = CONNECTIVITY_THETA,
) -> float:
    r"""Connectivity error, in thousands, as Composition-1k tables print it.

    Parameters
    ----------
    alpha, alpha_true, trimap, mask
        As for :func:`sad`.
    step : float, default 0.1
        Spacing of the thresholds ``0, step, 2 step, ..., 1`` (MATLAB's
        ``0:step:1``), in (0, 1].
    theta : float, default 0.15
        Differences :math:`d_i` below ``theta`` are ignored (0.15 in the
        evaluation code and in Rhemann et al., 2009), in [0, 1].

    Returns
    -------
    float
        :math:`\frac{1}{1000} \sum_{i \in U} |\varphi(\alpha_i, l_i) - \varphi(\alpha^*_i, l_i)|`.

    Raises
    ------
    TypeError, ValueError
        As for :func:`sad`, and for ``step`` or ``theta`` out of range.

    Notes
    -----
    Same as ``compute_connectivity_error.m`` of Xu et al. (2017) divided by
    1000 (as its driver script does). For each threshold :math:`t_k`,
    :math:`k \ge 1`, the source region :math:`\Omega_k` is the largest
    4-connected component of :math:`(\alpha \ge t_k) \wedge (\alpha^* \ge t_k)`
    over the whole image. A pixel's level :math:`l_i` is :math:`t_{k-1}` for
    the first :math:`k` with :math:`i \notin \Omega_k`, and 1 if it is in every
    :math:`\Omega_k`. Then :math:`d_i = \alpha_i - l_i` and
    :math:`\varphi(\alpha_i, l_i) = 1 - d_i [d_i \ge \theta]`.

    Differences from the MATLAB code:

    - When the intersection is empty at some threshold (no component at all),
      :math:`\Omega_k` is taken as empty, so the pixels still unassigned get
      the level :math:`t_{k-1}`, as the definition of Rhemann et al. says.
      MATLAB indexes ``cc.PixelIdxList{max_id}`` with an empty ``max_id``
      there; this happens only when no pixel has both alphas at or above a
      threshold (for instance no pixel with both alphas equal to 1).
    - MATLAB computes in single precision; this function in float64. Which
      pixels pass a threshold is the same for 8-bit alphas, because the
      thresholds are built like MATLAB's ``0:step:1`` (so 153/255 passes 0.6).
      Ties between equally large components go to the one met first in
      column-major order, like ``bwconncomp`` followed by ``max``.

    References
    ----------
    .. [1] N. Xu, B. Price, S. Cohen, T. Huang, "Deep Image Matting", CVPR 2017.
    .. [2] C. Rhemann, C. Rother, J. Wang, M. Gelautz, P. Kohli, P. Rott,
       "A Perceptually Motivated Online Benchmark for Image Matting", CVPR 2009.

    Examples
    --------
    >>> import numpy as np
    >>> alpha_true = np.array([[1.0, 1.0, 0.0, 1.0]])
    >>> connectivity_error(alpha_true, alpha_true)
    0.0
    >>> # the isolated right pixel is at level 0; predicting it 0.5 costs 0.5
    >>> alpha = np.array([[1.0, 1.0, 0.0, 0.5]])
    >>> round(connectivity_error(alpha, alpha_true) * 1000, 6)
    0.5
    """
    step = check_number(step, "step", low=0.0, low_open=True, high=1.0)
    theta = check_number(theta, "theta", low=0.0, high=1.0)
    return _connectivity_error(*_prepare(alpha, alpha_true, trimap, mask), step, theta)


def _connectivity_error(
    pred: np.ndarray, true: np.ndarray, region: np.ndarray, step: float, theta: float
) -> float:
    level = _connectivity_levels(pred, true, step)
    d_pred = pred - level
    d_true = true - level
    phi_pred = 1.0 - d_pred * (d_pred >= theta)
    phi_true = 1.0 - d_true * (d_true >= theta)
    return float(np.abs(phi_pred - phi_true)[region].sum() / SCALE)


# ---------------------------------------------------------------------------
# all four at once
# ---------------------------------------------------------------------------


def errors(alpha: Any, alpha_true: Any, trimap: Any = None, *, mask: Any = None) -> dict:
    """SAD, MSE, gradient and connectivity errors of one prediction, inputs read once.

    The same numbers as :func:`sad`, :func:`mse`, :func:`gradient_error`
    and :func:`connectivity_error` with their default settings (the
    inputs are checked and converted once instead of four times).

    Returns
    -------
    dict
        ``{"sad": ..., "mse": ..., "grad": ..., "conn": ...}`` in the units
        of the four functions.

    Examples
    --------
    >>> import numpy as np
    >>> truth = np.array([[0.0, 0.5, 1.0, 1.0]])
    >>> errors(np.array([[0.0, 1.0, 1.0, 0.0]]), truth)["mse"]
    0.3125
    """
    pred, true, region = _prepare(alpha, alpha_true, trimap, mask)
    return {
        "sad": _sad(pred, true, region),
        "mse": _mse(pred, true, region),
        "grad": _gradient_error(pred, true, region, GRADIENT_SIGMA),
        "conn": _connectivity_error(pred, true, region, CONNECTIVITY_STEP, CONNECTIVITY_THETA),
    }
