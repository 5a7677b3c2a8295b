"""Fast multi-level foreground estimation (Germer et al., ICPR 2020)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._checks import check_number
from ._inputs import pin_known, validates_inputs


def level_sizes(height: int, width: int) -> list[tuple[int, int]]:
    """The (h, w) of each pyramid level, from 1 x 1 up to ``(height, width)``.

    As in the paper: ``n = ceil(log2(max(height, width)))`` levels above the
    1 x 1 one, level ``l`` of size ``round(height ** (l / n))`` by
    ``round(width ** (l / n))``, so each side roughly doubles per level.

    >>> level_sizes(3, 5)
    [(1, 1), (1, 2), (2, 3), (3, 5)]
    """
    n = math.ceil(math.log2(max(height, width, 2)))
    return [(round(height ** (k / n)), round(width ** (k / n))) for k in range(n + 1)]


@validates_inputs
def estimate_foreground_multilevel(
    image: Any,
    alpha: Any,
    *,
    return_background: bool = False,
    regularization: float = 1e-5,
    gradient_weight: float = 1.0,
    n_small_iterations: int = 10,
    n_big_iterations: int = 2,
    small_size: int = 32,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Estimate the foreground (and background) colours by multi-level relaxation.

    Parameters
    ----------
    image : (H, W, 3) or (H, W) ndarray, PIL image or path
        uint8, uint16 or float in [0, 1].
    alpha : (H, W) ndarray, PIL image or path
        The alpha matte: uint8, uint16 or float in [0, 1].
    return_background : bool
        Also return the estimated background.
    regularization : float
        ``epsilon > 0``, the weight of the smoothness term where alpha is flat.
    gradient_weight : float
        ``>= 0``; the smoothness weight between 4-neighbours ``i, j`` is
        ``regularization + gradient_weight * |alpha_i - alpha_j|``.
    n_small_iterations, n_big_iterations : int
        Red-black sweeps per level on levels whose both sides are at most
        ``small_size``, and on the larger levels.
    small_size : int
        See above.

    Returns
    -------
    foreground : (H, W, C) ndarray of float64
        In [0, 1]; C = 3 for a colour image, 1 for a gray one.
    background : (H, W, C) ndarray of float64
        Only with ``return_background=True``.

    Notes
    -----
    Minimises, per channel, the energy

    .. math::

        \\sum_i (\\alpha_i F_i + (1 - \\alpha_i) B_i - I_i)^2
        + \\sum_{i \\sim j} (\\epsilon + w |\\alpha_i - \\alpha_j|)
          ((F_i - F_j)^2 + (B_i - B_j)^2)

    approximately, coarse to fine: F and B start as the mean colours of the
    pixels with ``alpha > 0.9`` and ``alpha < 0.1`` on a 1 x 1 level; on each
    level (image and alpha resized from full resolution by nearest
    neighbour, F and B from the level below by nearest neighbour) a few
    sweeps set each pixel's ``(F_i, B_i)`` to the minimiser of the energy
    with its neighbours fixed -- a 2 x 2 linear system -- clipped to [0, 1].
    Unlike PyMatting's in-place raster-order sweep, the sweep is red-black
    (checkerboard) Gauss-Seidel, which has the same cost, is independent of
    the scan order and is reproduced exactly by a vectorised NumPy version.

    References
    ----------
    .. [1] T. Germer, T. Uelwer, S. Conrad and S. Harmeling, "Fast
       Multi-Level Foreground Estimation", ICPR 2020.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.full((8, 8, 3), 0.5)
    >>> alpha = np.linspace(0, 1, 64).reshape(8, 8)
    >>> estimate_foreground_multilevel(image, alpha).shape
    (8, 8, 3)
    """
    regularization = check_number(regularization, "regularization", low=0.0, low_open=True)
    gradient_weight = check_number(gradient_weight, "gradient_weight", low=0.0)
    n_small_iterations = check_number(
        n_small_iterations, "n_small_iterations", integer=True, low=0
    )
    n_big_iterations = check_number(n_big_iterations, "n_big_iterations", integer=True, low=0)
    small_size = check_number(small_size, "small_size", integer=True, low=1)

    from .._parallel import thread_count
    from . import _multilevel_kernels as K

    height, width, depth = image.shape
    pixels = image.reshape(-1, depth)
    is_fg = (alpha > 0.9).ravel()
    is_bg = (alpha < 0.1).ravel()
    fg_mean = (is_fg @ pixels) / (np.count_nonzero(is_fg) + 1e-5)
    bg_mean = (is_bg @ pixels) / (np.count_nonzero(is_bg) + 1e-5)
    F = np.ascontiguousarray(np.broadcast_to(fg_mean, (1, 1, depth)), dtype=np.float64)
    B = np.ascontiguousarray(np.broadcast_to(bg_mean, (1, 1, depth)), dtype=np.float64)
    alpha3 = alpha[:, :, None]
    threads = thread_count()
    for h, w in level_sizes(height, width):
        if (h, w) == (height, width):
            image_l, alpha_l = image, alpha
        else:
            image_l = K.resize_nearest(image, h, w)
            alpha_l = np.ascontiguousarray(K.resize_nearest(alpha3, h, w)[:, :, 0])
        F = K.resize_nearest(F, h, w)
        B = K.resize_nearest(B, h, w)
        n_iter = n_small_iterations if (h <= small_size and w <= small_size) else n_big_iterations
        K.red_black_sweeps(
            image_l, alpha_l, F, B, regularization, gradient_weight, n_iter,
            threads=threads if h * w >= K.PARALLEL_MIN_PIXELS else 1,
        )  # fmt: skip
    pin_known(image, alpha, F, B)
    if return_background:
        return F, B
    return F
