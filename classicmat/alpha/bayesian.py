"""Bayesian matting (Chuang, Curless, Salesin & Szeliski 2001)."""

from __future__ import annotations

import numpy as np

from .._method import first_output, matting_method
from .._options import Option
from .._warnings import ClassicmatWarning, warn
from ..trimap import check_has_known, masks_of


class SparseSamplesWarning(ClassicmatWarning):
    """Some unknown pixels had no foreground or no background sample at all even
    in the largest window (``max_window``) and used the global colour model of
    the known pixels of that side.

    The message gives their number and advice (raise ``max_window``, or draw
    a tighter trimap).
    """


def _odd(value: int) -> str | None:
    return None if value % 2 == 1 else "must be odd"


#: The options of Bayesian matting. The ranges keep every step of the
#: per-pixel solve finite (a camera noise of 1e-100 squared is 0; sample
#: weights exp(-d^2 / 2 sigma^2) vanish for sigma below a pixel).
BAYESIAN_OPTIONS = (
    Option(
        "sigma",
        "float",
        "Gaussian falloff of the sample weights, in pixels",
        low=0.1,
        high=1000.0,
        metavar="S",
    ),
    Option(
        "window",
        "int",
        "initial window width in pixels (odd)",
        low=3,
        high=401,
        rule=_odd,
        metavar="N",
    ),
    Option(
        "max_window",
        "int",
        "largest window width, grown by 8 while samples are missing",
        low=3,
        high=401,
        metavar="N",
    ),
    Option("min_samples", "int", "samples wanted on each side", low=1, metavar="N"),
    Option(
        "sigma_c",
        "float",
        "camera noise standard deviation (colours in [0, 1])",
        low=1e-6,
        high=10.0,
        metavar="S",
    ),
    Option(
        "min_var",
        "float",
        "clusters are split until their largest variance is below this",
        low=0.0,
        low_open=True,
        high=10.0,
        metavar="V",
    ),
    Option("max_clusters", "int", "most colour clusters per side", low=1, high=64, metavar="K"),
    Option(
        "reg",
        "float",
        "added to the diagonal of each cluster covariance",
        low=1e-12,
        high=1.0,
        metavar="X",
    ),
    Option("maxiter", "int", "most rounds of the alternating F, B / alpha solve", low=1),
    Option("tol", "float", "the alternating solve stops when alpha moves less", low=0.0),
    Option("parallel", "bool", "solve the pixels of a ring on all threads (same result)"),
)


def _check_windows(values: dict) -> dict:
    if values["max_window"] < values["window"]:
        raise ValueError(
            f"max_window ({values['max_window']}) must be >= window ({values['window']})"
        )
    return values


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


def _kernels_ahead(values) -> tuple[str, ...]:
    """``matting_method(ahead=...)``: 7 s of kernels to compile (:mod:`classicmat._ahead`)."""
    return ("classicmat.alpha._bayesian_kernels",)


@matting_method(*BAYESIAN_OPTIONS, resolve=_check_windows, scribbles=False, ahead=_kernels_ahead)
def bayesian_matting(
    image: np.ndarray,
    trimap: np.ndarray,
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
        weights (0.1 to 1000). Default 8, as in the paper.
    window : int, optional
        Initial window width in pixels (odd, 3 to 401). Default 25, as in
        the paper.
    max_window : int, optional
        The window grows by 8 pixels while it holds fewer than
        ``min_samples`` foreground or background samples, up to this width
        (>= ``window``, <= 401; odd is not required). Default 65.
    min_samples : int, optional
        Samples wanted on each side (>= 1). Default 10.
    sigma_c : float, optional
        Camera noise standard deviation, colours in [0, 1] (1e-6 to 10).
        Default 0.01.
    min_var : float, optional
        Clusters are split until the largest eigenvalue of every cluster
        covariance is below this (> 0, <= 10). Default 0.05.
    max_clusters : int, optional
        Most clusters per side (1 to 64). Default 5.
    reg : float, optional
        Added to the diagonal of every cluster covariance so that it can be
        inverted (1e-12 to 1). Default 1e-5.
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
    params = np.array([sigma, sigma_c, min_var, reg, tol], dtype=np.float64)
    iparams = np.array([window, max_window, min_samples, max_clusters, maxiter], dtype=np.int64)
    masks = masks_of(trimap)
    check_has_known(masks)
    if image.shape[2] == 1:
        image = np.ascontiguousarray(np.repeat(image, 3, axis=2))
    alpha = masks.is_fg.astype(np.float64)
    foreground = np.where(masks.is_fg[:, :, None], image, 0.0)
    background = np.where(masks.is_bg[:, :, None], image, 0.0)
    if not masks.is_unknown.any():
        return alpha, foreground, background

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

    from .._parallel import spans, thread_count, thread_pool
    from ._bayesian_kernels import _solve_span

    ys = np.ascontiguousarray(ys)
    xs = np.ascontiguousarray(xs)
    threads = thread_count() if parallel else 1

    def solve(span):
        start, stop, ring = span
        _solve_span(
            image, alpha, foreground, background, order, ys, xs, start, stop, ring,
            params, iparams, fb_mean, fb_inv, fallback,
        )  # fmt: skip

    # rings in turn (each reads the rings before it); the pixels of a ring
    # are independent, solved in spans side by side
    with thread_pool(threads) as run:
        for r in range(ring_starts.size - 1):
            first, stop = int(ring_starts[r]), int(ring_starts[r + 1])
            parts = spans(stop - first, 4 * threads)
            run(solve, [(first + a, first + b, r + 1) for a, b in parts])
    n_fallback = int(fallback.sum())
    if n_fallback:
        warn(
            f"{n_fallback} of {pixels.size} unknown pixels had no foreground or no "
            f"background sample in a max_window={int(iparams[1])} window and used the "
            f"global colour model of the known pixels of that side; raise max_window "
            f"or use a tighter trimap",
            SparseSamplesWarning,
        )
    return alpha, foreground, background


estimate_alpha_bayesian = first_output(
    bayesian_matting,
    name="estimate_alpha_bayesian",
    doc="""Estimate alpha by Bayesian matting; the alpha of :func:`bayesian_matting`.

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
    """,
)
