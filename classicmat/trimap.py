"""Trimap conventions: which pixels are known foreground, known background, unknown."""

from __future__ import annotations

import numbers
from typing import Any, NamedTuple

import numpy as np

from ._checks import check_number
from ._validation import BG_THRESHOLD, FG_THRESHOLD, as_alpha, as_trimap

__all__ = [
    "BG_THRESHOLD",
    "FG_THRESHOLD",
    "TRIMAP_BG",
    "TRIMAP_FG",
    "TRIMAP_UNKNOWN",
    "TrimapMasks",
    "check_has_known",
    "masks_of",
    "split_trimap",
    "trimap_from_alpha",
    "trimap_from_mask",
]


class TrimapMasks(NamedTuple):
    """Boolean masks of shape (H, W) that split a trimap."""

    is_fg: np.ndarray
    is_bg: np.ndarray
    is_known: np.ndarray
    is_unknown: np.ndarray


def split_trimap(trimap: Any) -> TrimapMasks:
    """Split a trimap into foreground, background, known and unknown masks.

    Parameters
    ----------
    trimap : (H, W) ndarray, PIL image or path
        uint8, uint16 or float in [0, 1]. After scaling to [0, 1], values
        ``<= 0.1`` are background, values ``>= 0.9`` are foreground and
        everything in between (for instance 128/255) is unknown.

    Returns
    -------
    TrimapMasks
        ``(is_fg, is_bg, is_known, is_unknown)``, boolean arrays of shape (H, W).

    Examples
    --------
    >>> import numpy as np
    >>> masks = split_trimap(np.array([[0, 128, 255]], dtype=np.uint8))
    >>> masks.is_unknown.tolist()
    [[False, True, False]]
    """
    return masks_of(as_trimap(trimap))


def masks_of(trimap: np.ndarray) -> TrimapMasks:
    """The masks of a validated trimap ((H, W) float in [0, 1]): :func:`split_trimap`
    without the checks, for callers that checked it already."""
    is_fg = trimap >= FG_THRESHOLD
    is_bg = trimap <= BG_THRESHOLD
    is_known = is_fg | is_bg
    return TrimapMasks(is_fg, is_bg, is_known, ~is_known)


def check_has_known(masks: TrimapMasks) -> None:
    """Raise ``ValueError`` if unknown pixels exist but no fg or no bg pixel does."""
    if not masks.is_unknown.any():
        return
    missing = [
        label
        for label, mask in (("foreground", masks.is_fg), ("background", masks.is_bg))
        if not mask.any()
    ]
    if missing:
        raise ValueError(
            f"trimap has no known {' and no known '.join(missing)} pixels "
            f"(values <= 0.1 are background, >= 0.9 foreground); "
            f"matting needs both to fix the scale of alpha"
        )


# ---------------------------------------------------------------------------
# making trimaps from a ground-truth alpha or a binary mask
# ---------------------------------------------------------------------------

#: Trimap values written by :func:`trimap_from_alpha` and :func:`trimap_from_mask`.
TRIMAP_BG, TRIMAP_UNKNOWN, TRIMAP_FG = 0, 128, 255


def _ellipse(size: int) -> np.ndarray:
    """A ``size`` x ``size`` boolean ellipse, OpenCV's ``MORPH_ELLIPSE`` shape.

    Row ``i`` (offset ``dy = i - size // 2``) covers the columns within
    ``round(c * sqrt(1 - dy^2 / r^2))`` of the centre, ``r = c = size // 2``:
    3 gives a cross, 5 a disk without its four corner triples.
    """
    r = size // 2
    out = np.zeros((size, size), dtype=bool)
    for i in range(size):
        dy = i - r
        if abs(dy) > r:
            continue
        dx = int(np.rint(r * np.sqrt((r * r - dy * dy) / (r * r)))) if r else 0
        out[i, max(r - dx, 0) : min(r + dx + 1, size)] = True
    return out


def _kernel_sizes(kernel_size: Any, rng: Any) -> tuple[int, int]:
    """Return the (foreground, background) kernel sizes: fixed, or drawn from a range."""
    if isinstance(kernel_size, (tuple, list)):
        if len(kernel_size) != 2:
            raise ValueError(
                f"kernel_size must be an int or a (low, high) pair, got {kernel_size!r}"
            )
        low = check_number(kernel_size[0], "kernel_size[0]", integer=True, low=1)
        high = check_number(kernel_size[1], "kernel_size[1]", integer=True, low=1)
        if high < low:
            raise ValueError(f"kernel_size range must have low <= high, got {kernel_size!r}")
        if rng is not None and (
            isinstance(rng, bool) or not isinstance(rng, (numbers.Integral, np.random.Generator))
        ):
            raise TypeError(
                f"rng must be None, an int seed or a numpy.random.Generator, "
                f"got {type(rng).__name__}"
            )
        sizes = np.random.default_rng(rng).integers(low, high, endpoint=True, size=2)
        return int(sizes[0]), int(sizes[1])
    size = check_number(kernel_size, "kernel_size", integer=True, low=1)
    return size, size


def _erode(mask: np.ndarray, size: int, iterations: int) -> np.ndarray:
    """Erode ``mask`` by the ellipse; pixels outside the image do not erode it."""
    if size == 1 or not mask.any():
        return mask.copy()
    from scipy import ndimage

    return ndimage.binary_erosion(
        mask, structure=_ellipse(size), iterations=iterations, border_value=1
    )


def _trimap_from_regions(
    is_fg: np.ndarray, is_bg: np.ndarray, kernel_size: Any, iterations: Any, rng: Any
) -> np.ndarray:
    iterations = check_number(iterations, "iterations", integer=True, low=1)
    fg_size, bg_size = _kernel_sizes(kernel_size, rng)
    trimap = np.full(is_fg.shape, TRIMAP_UNKNOWN, dtype=np.uint8)
    trimap[_erode(is_fg, fg_size, iterations)] = TRIMAP_FG
    trimap[_erode(is_bg, bg_size, iterations)] = TRIMAP_BG
    return trimap


def trimap_from_alpha(
    alpha: Any,
    *,
    kernel_size: int | tuple[int, int] = 11,
    iterations: int = 1,
    rng: int | np.random.Generator | None = None,
    fg_threshold: float = 1.0,
    bg_threshold: float = 0.0,
) -> np.ndarray:
    """Make a trimap from a ground-truth alpha matte, as matting data sets do.

    The foreground ``alpha >= fg_threshold`` and the background
    ``alpha <= bg_threshold`` are each eroded by an elliptical structuring
    element; everything else is unknown. This is how Composition-1k-style
    trimaps are made (the erosion widens the unknown band on both sides of
    every soft or hard edge); a range of kernel sizes draws random widths as
    the Deep Image Matting and GCA-Matting training pipelines do.

    Parameters
    ----------
    alpha : (H, W) ndarray, PIL image or path
        uint8 (divided by 255), uint16 (divided by 65535) or float in [0, 1].
    kernel_size : int or (int, int), default 11
        Width in pixels of the elliptical kernel (OpenCV's ``MORPH_ELLIPSE``
        shape; 1 means no erosion). A pair ``(low, high)`` draws the
        foreground and the background sizes independently and uniformly from
        ``low, ..., high`` (both included); GCA-Matting's training trimaps use
        ``(1, 29)``.
    iterations : int, default 1
        Number of erosions with that kernel.
    rng : int, numpy.random.Generator or None
        Seed or generator for the random kernel sizes; only used when
        ``kernel_size`` is a pair. ``None`` draws fresh randomness.
    fg_threshold : float, default 1.0
        Pixels with ``alpha >= fg_threshold`` are foreground before erosion
        (1.0: only fully opaque pixels, 255 in an 8-bit matte).
    bg_threshold : float, default 0.0
        Pixels with ``alpha <= bg_threshold`` are background before erosion.

    Returns
    -------
    (H, W) ndarray of uint8
        0 (background), 128 (unknown) and 255 (foreground): the encoding of
        the trimap files of the matting benchmarks, which :func:`split_trimap`,
        :func:`classicmat.estimate_alpha` and the metrics read directly.

    Raises
    ------
    TypeError
        If ``alpha`` has an unsupported dtype, ``kernel_size`` or
        ``iterations`` are not integers, or ``rng`` is not a seed or Generator.
    ValueError
        If a size or ``iterations`` is below 1, a range has ``low > high``, or
        the thresholds are not ``0 <= bg_threshold < fg_threshold <= 1``.

    Notes
    -----
    Pixels outside the image count as neither class, so the known regions are
    not eroded from the image border (OpenCV's default border for ``erode``).
    The known regions are subsets of the true foreground and background.

    References
    ----------
    .. [1] N. Xu, B. Price, S. Cohen, T. Huang, "Deep Image Matting", CVPR 2017.
    .. [2] Y. Li, H. Lu, "Natural Image Matting via Guided Contextual
       Attention", AAAI 2020.

    Examples
    --------
    >>> import numpy as np
    >>> alpha = np.zeros((1, 9))
    >>> alpha[0, 4] = 0.5
    >>> alpha[0, 5:] = 1.0
    >>> trimap_from_alpha(alpha, kernel_size=3).tolist()
    [[0, 0, 0, 128, 128, 128, 255, 255, 255]]
    """
    alpha = as_alpha(alpha, name="alpha")
    fg_threshold = check_number(fg_threshold, "fg_threshold", low=0.0, high=1.0)
    bg_threshold = check_number(bg_threshold, "bg_threshold", low=0.0, high=1.0)
    if bg_threshold >= fg_threshold:
        raise ValueError(
            f"bg_threshold ({bg_threshold!r}) must be below fg_threshold ({fg_threshold!r})"
        )
    return _trimap_from_regions(
        alpha >= fg_threshold, alpha <= bg_threshold, kernel_size, iterations, rng
    )


def trimap_from_mask(
    mask: Any,
    *,
    kernel_size: int | tuple[int, int] = 11,
    iterations: int = 1,
    rng: int | np.random.Generator | None = None,
) -> np.ndarray:
    """Make a trimap from a binary foreground mask: an unknown band along its edge.

    The mask and its complement are each eroded by an elliptical structuring
    element (see :func:`trimap_from_alpha`); the pixels removed by either
    erosion form the unknown band.

    Parameters
    ----------
    mask : (H, W) ndarray, PIL image or path
        Boolean, or numbers that are only 0 and 1 after scaling (0/255 for
        uint8). True (1) is foreground.
    kernel_size, iterations, rng
        As for :func:`trimap_from_alpha`.

    Returns
    -------
    (H, W) ndarray of uint8
        0 (background), 128 (unknown) and 255 (foreground).

    Raises
    ------
    TypeError, ValueError
        As for :func:`trimap_from_alpha`; ``ValueError`` also if ``mask`` is
        not binary, or holds no foreground or no background pixel.

    Examples
    --------
    >>> import numpy as np
    >>> mask = np.zeros((1, 8), dtype=bool)
    >>> mask[0, 4:] = True
    >>> trimap_from_mask(mask, kernel_size=5).tolist()
    [[0, 0, 128, 128, 128, 128, 255, 255]]
    """
    if isinstance(mask, np.ndarray) and mask.dtype == np.bool_:
        if mask.ndim != 2:
            raise ValueError(f"mask must have shape (H, W), got shape {mask.shape}")
        is_fg = mask
    else:
        values = as_alpha(mask, name="mask")
        if not np.all((values == 0.0) | (values == 1.0)):
            raise ValueError(
                "mask must be binary (bool, 0/1, or 0/255 for uint8); "
                "for a soft matte use trimap_from_alpha"
            )
        is_fg = values == 1.0
    if not is_fg.any():
        raise ValueError("mask has no foreground (True) pixels")
    if is_fg.all():
        raise ValueError("mask has no background (False) pixels")
    return _trimap_from_regions(is_fg, ~is_fg, kernel_size, iterations, rng)
