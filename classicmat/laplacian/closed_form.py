"""The matting Laplacian of closed-form matting, and its system on the unknown pixels."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .._options import Option
from .._validation import as_image, as_trimap, check_same_size
from .._warnings import warn
from ..trimap import TrimapMasks, split_trimap
from .system import MattingSystem, laplacian_from_rows, system_from_rows

if TYPE_CHECKING:  # pragma: no cover
    import scipy.sparse

__all__ = ["CF_OPTIONS", "cf_laplacian", "cf_system", "matting_laplacian"]

#: The options of the closed-form Laplacian (closed-form matting, and the
#: local flow of information-flow matting).
CF_OPTIONS = (
    Option(
        "epsilon",
        "float",
        "regulariser of each window's colour covariance; larger is smoother",
        low=0.0,
        low_open=True,
        metavar="E",
    ),
    Option("radius", "int", "window radius (half-width) in pixels", low=1, metavar="R"),
)


def _check_window(image: np.ndarray, radius: int) -> None:
    h, w = image.shape[:2]
    if h < 2 * radius + 1 or w < 2 * radius + 1:
        raise ValueError(
            f"image of size {w}x{h} (W x H) is smaller than one window of "
            f"radius {radius} ({2 * radius + 1}x{2 * radius + 1} pixels)"
        )


def _box_sums(mask: np.ndarray, extra: int = 0) -> np.ndarray:
    """(H + 1, W + 1) integral image of ``mask``: ``s[y, x]`` = True pixels above and left."""
    h, w = mask.shape
    s = np.zeros((h + 1, w + 1), dtype=np.int32 if h * w < 2**31 else np.int64)
    np.cumsum(mask, axis=0, dtype=s.dtype, out=s[1:, 1:])
    np.cumsum(s[1:, 1:], axis=1, out=s[1:, 1:])
    return s


def _number_windows(is_row: np.ndarray, r: int, win_id: np.ndarray) -> int:
    """Number 0, 1, ... (row-major) the windows that hold a wanted row; -1 elsewhere.

    ``win_id[y, x]`` is the id of the window centred at (y, x). Returns the
    number of windows.
    """
    h, w = is_row.shape
    k = 2 * r + 1
    s = _box_sums(is_row)
    hit = (s[k:, k:] - s[:-k, k:] - s[k:, :-k] + s[:-k, :-k]) > 0
    del s
    win_id.fill(-1)
    n = int(np.count_nonzero(hit))
    win_id[r : h - r, r : w - r][hit] = np.arange(n, dtype=win_id.dtype)
    return n


def _row_counts(rows: np.ndarray, col_id: np.ndarray, r: int) -> np.ndarray:
    """Stored entries (columns with ``col_id >= 0``) of the Laplacian's rows ``rows``.

    The pixels that share a window with pixel i form a rectangle (the
    windows holding i are the centres within r of it, clipped to the
    image's inner part, and each reaches r further), so the entries of a
    row are an integral-image lookup.
    """
    h, w = col_id.shape
    yi, xi = np.divmod(rows, w)
    y0 = np.maximum(np.maximum(yi - r, r) - r, 0)
    y1 = np.minimum(np.minimum(yi + r, h - 1 - r) + r, h - 1) + 1
    x0 = np.maximum(np.maximum(xi - r, r) - r, 0)
    x1 = np.minimum(np.minimum(xi + r, w - 1 - r) + r, w - 1) + 1
    s = _box_sums(col_id >= 0)
    return (s[y1, x1] - s[y0, x1] - s[y1, x0] + s[y0, x0]).astype(np.int64)


def _assemble(image, is_row, col_id, known_value, epsilon, radius, is_window=None):
    """Rows ``is_row`` of the Laplacian: (indptr, indices, data, rhs, rows).

    The Laplacian of the windows that hold a pixel of ``is_window`` (default
    ``is_row``: every window of the rows); rows in raster order.
    """
    from .._parallel import run_parallel, spans, thread_count
    from ._cf_kernels import _fill_rows, _window_stats

    h, w, c = image.shape
    win_id = np.empty((h, w), dtype=np.int32 if h * w < 2**31 else np.int64)
    n_windows = _number_windows(is_row if is_window is None else is_window, radius, win_id)
    stats = np.empty((n_windows, 12 if c == 3 else 3))
    parts = 4 * thread_count()
    channels = (0.0,) * c  # the channel count as a compile-time constant

    def window_stats(span):
        _window_stats(image, channels, win_id, radius, epsilon, stats, *span)

    run_parallel(window_stats, spans(h, parts))
    rows = np.flatnonzero(is_row)
    counts = _row_counts(rows, col_id, radius)
    nnz = int(counts.sum())
    index_dtype = np.int32 if max(nnz, h * w) < 2**31 else np.int64
    indptr = np.zeros(rows.size + 1, dtype=index_dtype)
    np.cumsum(counts, out=indptr[1:])
    del counts
    indices = np.empty(nnz, dtype=index_dtype)
    data = np.empty(nnz)
    rhs = np.empty(rows.size)
    size = 4 * radius + 1

    def fill_rows(span):
        acc = np.empty((size, size))
        _fill_rows(
            image, channels, rows, col_id, known_value, win_id, stats, radius, indptr, indices,
            data, rhs, acc, *span,
        )  # fmt: skip

    run_parallel(fill_rows, spans(rows.size, parts))
    return indptr, indices, data, rhs, rows


def _laplacian(image: np.ndarray, epsilon: float, radius: int, is_row=None):
    """The Laplacian of a validated image; rows (and mirrored columns) ``is_row`` only."""
    _check_window(image, radius)
    return laplacian_from_rows(
        lambda *rows: _assemble(image, *rows, epsilon, radius), image.shape[:2], is_row
    )


def cf_laplacian(
    image: Any,
    *,
    epsilon: float = 1e-7,
    radius: int = 1,
    trimap: Any = None,
) -> scipy.sparse.csr_array:
    r"""The matting Laplacian of closed-form matting.

    Parameters
    ----------
    image : (H, W, 3) or (H, W) ndarray, PIL image or path
        uint8, uint16 or float in [0, 1]; RGBA is read as RGB.
    epsilon : float, optional
        Regulariser of the window covariances (> 0). Larger values give
        smoother mattes and better conditioned systems. Default 1e-7.
    radius : int, optional
        Window radius r (>= 1); windows have (2r + 1)^2 pixels. Default 1.
    trimap : (H, W) ndarray, PIL image or path, optional
        If given, only the windows that touch an unknown pixel are built and
        only the rows of unknown pixels are filled: ``L[U, :]`` and
        ``L[:, U]`` are exact, while the rows and columns of known pixels
        hold only their coupling to unknown ones. This is all a matting solve
        needs and costs a fraction of the full matrix.

    Returns
    -------
    L : (H*W, H*W) scipy.sparse.csr_array
        Symmetric, positive semi-definite, rows summing to zero (without
        ``trimap``); pixel ``(y, x)`` is row ``y * W + x``.

    Notes
    -----
    For every window :math:`w_k` of :math:`|w|` pixels lying wholly inside
    the image, with mean colour :math:`\mu_k` and covariance
    :math:`\Sigma_k`,

    .. math::

        L_{ij} = \sum_{k \mid (i, j) \in w_k} \left( \delta_{ij} - \frac{1}{|w|}
        \left(1 + (I_i - \mu_k)^T \left(\Sigma_k + \frac{\epsilon}{|w|} I_3
        \right)^{-1} (I_j - \mu_k)\right)\right).

    For gray images the same formula holds with scalars.

    References
    ----------
    .. [1] A. Levin, D. Lischinski, Y. Weiss, "A Closed-Form Solution to
       Natural Image Matting", IEEE TPAMI 30(2), 228-242, 2008.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> L = cf_laplacian(rng.random((5, 6, 3)))
    >>> L.shape
    (30, 30)
    >>> bool(np.allclose(L.sum(axis=1), 0.0))
    True
    """
    image = as_image(image)
    epsilon = CF_OPTIONS[0].check(epsilon)
    radius = CF_OPTIONS[1].check(radius)
    is_row = None
    if trimap is not None:
        trimap = as_trimap(trimap)
        check_same_size(image, trimap)
        is_row = split_trimap(trimap).is_unknown
    return _laplacian(image, epsilon, radius, is_row)


def matting_laplacian(image: Any, **options: Any) -> scipy.sparse.csr_array:
    """Deprecated name of :func:`cf_laplacian` (one spelling per method: ``"cf"``).

    Examples
    --------
    >>> import numpy as np, warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", DeprecationWarning)
    ...     matting_laplacian(np.zeros((3, 3, 3))).nnz
    81
    """
    warn(
        "matting_laplacian is deprecated; use cf_laplacian (the same function)", DeprecationWarning
    )
    return cf_laplacian(image, **options)


def _cf_system(
    image: np.ndarray, masks: TrimapMasks, epsilon: float, radius: int
) -> MattingSystem:
    """The system of validated inputs (see :func:`cf_system`)."""
    _check_window(image, radius)
    return system_from_rows(lambda *rows: _assemble(image, *rows, epsilon, radius), masks)


def cf_system(image: Any, trimap: Any, *, epsilon: float = 1e-7, radius: int = 1) -> MattingSystem:
    r"""The closed-form matting system of the unknown pixels.

    Orders the pixels as unknown (U) then known (K) and splits the Laplacian
    into blocks; minimising :math:`\alpha^T L \alpha` with
    :math:`\alpha_K` fixed by the trimap gives

    .. math:: L_{UU} \, \alpha_U = -L_{UK} \, \alpha_K ,

    a symmetric positive definite system in the unknown pixels only
    (:func:`classicmat.laplacian.system.constrain` for any Laplacian). It is
    assembled directly, from the windows that touch an unknown pixel, without
    building the rest of the Laplacian.

    Parameters
    ----------
    image : (H, W, 3) or (H, W) ndarray, PIL image or path
        uint8, uint16 or float in [0, 1].
    trimap : (H, W) ndarray, PIL image or path
        Values ``<= 0.1`` background, ``>= 0.9`` foreground, unknown between
        (after scaling to [0, 1]).
    epsilon, radius
        As in :func:`cf_laplacian`.

    Returns
    -------
    MattingSystem
        ``A``, ``b``, ``unknown``, ``is_fg``, ...: the matte is ``is_fg`` (as
        0/1) with ``alpha.flat[unknown] = x`` for the solution ``x`` of
        ``A x = b`` (:func:`classicmat.laplacian.system.solve_system`).

    Raises
    ------
    ValueError
        Sizes that differ, bad options, or a trimap with unknown pixels but
        without any known foreground or without any known background pixel.

    References
    ----------
    .. [1] A. Levin, D. Lischinski, Y. Weiss, "A Closed-Form Solution to
       Natural Image Matting", IEEE TPAMI 30(2), 228-242, 2008.
    .. [2] L. Grady, T. Schiwietz, S. Aharon, R. Westermann, "Random Walks
       for Interactive Alpha-Matting", VIIP 2005 (the block split).
    """
    image = as_image(image)
    trimap = as_trimap(trimap)
    check_same_size(image, trimap)
    epsilon = CF_OPTIONS[0].check(epsilon)
    radius = CF_OPTIONS[1].check(radius)
    return _cf_system(image, split_trimap(trimap), epsilon, radius)
