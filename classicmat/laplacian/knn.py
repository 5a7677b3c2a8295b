"""The KNN matting Laplacian (Chen, Li & Tang 2013).

Every pixel is linked to its nearest neighbours in a feature space of colour
plus (scaled) position, wherever they are in the image: the matrix is not
local in the image plane.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .._options import Option
from .._validation import as_image
from ..trimap import TrimapMasks, check_has_known
from .system import MattingSystem

if TYPE_CHECKING:  # pragma: no cover
    import scipy.sparse

FEATURES = ("rgb", "hsv")
KERNELS = ("soft", "binary")
POSITIONS = ("diagonal", "axes")

#: The options of the KNN Laplacian.
KNN_OPTIONS = (
    Option(
        "n_neighbors",
        "ints",
        "neighbours per pixel in each pass, the pixel itself included",
        low=1,
        metavar="K[,K]",
    ),
    Option("level", "float", "weight of the pixel position in the features", low=0.0, metavar="X"),
    Option(
        "spatial_weakening",
        "float",
        "factor of the position term in each later pass",
        low=0.0,
        metavar="X",
    ),
    Option("features", "str", "colour features", choices=FEATURES, metavar="NAME"),
    Option("kernel", "str", "affinity of two neighbours", choices=KERNELS, metavar="NAME"),
    Option(
        "position",
        "str",
        "scaling of the position: by the diagonal (paper) or each axis (PyMatting)",
        choices=POSITIONS,
        metavar="NAME",
    ),
)


def _rgb_to_hsv(rgb: np.ndarray) -> np.ndarray:
    """(n, 3) RGB in [0, 1] -> (n, 3) hue in [0, 1), saturation, value."""
    v = rgb.max(axis=1)
    c = v - rgb.min(axis=1)
    s = np.divide(c, v, out=np.zeros_like(v), where=v > 0)
    r, g, b = rgb.T
    safe = np.where(c > 0, c, 1.0)
    h = np.where(
        v == r,
        ((g - b) / safe) % 6.0,
        np.where(v == g, (b - r) / safe + 2.0, (r - g) / safe + 4.0),
    )
    h = np.where(c > 0, h / 6.0, 0.0)
    return np.column_stack([h, s, v])


def knn_features(
    image: np.ndarray, *, level: float = 1.0, features: str = "rgb", position: str = "diagonal"
) -> np.ndarray:
    """The feature vector of every pixel, (H W, d + 2) float64, row-major pixels.

    ``"rgb"``: the channels (d = 3, or 1 for gray); ``"hsv"``: cos(2 pi h),
    sin(2 pi h), s, v (d = 4). Then the row and column of the pixel divided by
    ``sqrt(H^2 + W^2)`` (``position="diagonal"``, the paper) or by ``H - 1`` and
    ``W - 1`` (``"axes"``, PyMatting), and multiplied by ``level``.
    """
    h, w, c = image.shape
    colour = image.reshape(-1, c)
    if features == "hsv":
        if c != 3:
            raise ValueError(f"features='hsv' needs an RGB image, got {c} channel(s)")
        hsv = _rgb_to_hsv(colour)
        angle = 2.0 * np.pi * hsv[:, 0]
        colour = np.column_stack([np.cos(angle), np.sin(angle), hsv[:, 1], hsv[:, 2]])
    d = colour.shape[1]
    if position == "axes":
        row_scale, col_scale = level / max(h - 1, 1), level / max(w - 1, 1)
    else:
        row_scale = col_scale = level / np.sqrt(h * h + w * w)
    # written column by column into one array (a join of columns costs 10x more here)
    f = np.empty((h * w, d + 2))
    f[:, :d] = colour
    grid = f.reshape(h, w, d + 2)
    grid[:, :, d] = (np.arange(h, dtype=np.float64) * row_scale)[:, None]
    grid[:, :, d + 1] = np.arange(w, dtype=np.float64) * col_scale
    return f


def knn_neighbors(
    image: np.ndarray,
    n_neighbors: tuple[int, ...],
    level: float,
    spatial_weakening: float,
    features: str,
    kernel: str,
    position: str,
    unknown: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Neighbour lists of every pixel from all passes, and their kernel weights.

    Returns ``neighbors`` (H W, sum(n_neighbors)) with the passes side by
    side and ``values`` of the same shape (``None`` for the binary kernel).

    With ``unknown`` ((H, W) bool), only the lists that can hold an unknown
    pixel are searched: those of the unknown pixels, and those of the known
    pixels ``p`` for which ``s * e(p) <= u(p)``, where ``e(p)`` is the
    distance in the image from ``p`` to the nearest unknown pixel, ``s`` the
    smallest spatial scale of the features (so ``s * e(p)`` is a lower bound
    of the feature distance from ``p`` to any unknown pixel) and ``u(p)``
    an upper bound of the distance to its k-th neighbour (its ``k`` nearest
    pixels in the grid, :func:`._knn_kernels.grid_bound`). Any other known
    pixel provably lists no unknown pixel. The rows of pixels not searched
    are -1: this is exact for the rows of the unknown pixels, which is all
    that hard constraints need.
    """
    f = knn_features(image, level=level, features=features, position=position)
    return neighbors_of(
        f, image.shape[:2], n_neighbors, level, spatial_weakening, kernel, position, unknown
    )[:2]


def neighbors_of(f, shape, n_neighbors, level, spatial_weakening, kernel, position, unknown=None):
    """:func:`knn_neighbors` of the features ``f`` of an image of ``shape`` (modified in place).

    Returns ``(neighbors, values, unknown_rows)``: with ``unknown``, also
    the unknown pixels in the order of the first pass's tree (``None``
    without). Pixels near in that order are near in colour and position,
    and so are the unknowns the lists link: numbered so, the system's
    matrix-vector products read memory with fewer cache misses (20 % faster
    CG on a 10-megapixel mosaic than in raster order).

    The caller may free the image once its features are made: the features
    and the lists are the memory peak of KNN matting on large images.
    """
    from .._parallel import full
    from ._kdtree import nearest_neighbors_all

    h, w = shape
    d = f.shape[1] - 2
    selections = [None] * len(n_neighbors)
    if unknown is not None:
        from scipy.ndimage import distance_transform_edt

        from ._knn_kernels import may_name_unknown

        unknown = np.asarray(unknown, dtype=bool)
        to_unknown = distance_transform_edt(~unknown).ravel()
        if position == "axes":
            scale = level * min(1.0 / max(h - 1, 1), 1.0 / max(w - 1, 1))
        else:
            scale = level / np.sqrt(h * h + w * w)
        unknown = unknown.ravel()
        # the tests of every pass before the first search, while the features
        # are in raster order (the grid neighbours are then near in memory)
        for i, k in enumerate(n_neighbors):
            selections[i] = may_name_unknown(
                f, h, w, k, unknown, to_unknown, scale, d, spatial_weakening, i
            )
            scale *= spatial_weakening
        del to_unknown
    # the passes side by side in one array (no copy to join them); a pass of
    # k > H W neighbours leaves its last columns at -1, which are skipped
    n = f.shape[0]
    neighbors = full((n, sum(n_neighbors)), -1, np.int32 if n < 2**31 else np.int64)
    # the search reorders f in place (tree order) instead of copying it;
    # row i of f is then pixel order[i], and pixel p is row row_of[p]
    order = np.arange(n, dtype=np.int64)
    row_of = order.copy()
    column = 0
    unknown_rows = None
    for k, selected in zip(n_neighbors, selections, strict=True):
        # exact KD-tree search (about 2x faster here than scipy's cKDTree)
        nearest_neighbors_all(f, k, selected=selected, out=neighbors, column=column, order=order)
        row_of[order] = np.arange(n)
        if unknown is not None and unknown_rows is None:
            unknown_rows = order[unknown[order]]
        column += k
        # the next pass sees the spatial part weakened (nonlocal neighbours)
        f[:, d:] *= spatial_weakening
    if kernel == "binary":
        return neighbors, None, unknown_rows
    from ._knn_kernels import soft_kernel

    # as in the authors' code: the kernel uses the features as they are
    # after the last pass (spatial part weakened once per pass)
    return neighbors, soft_kernel(f[row_of], neighbors, 1.0 / (d + 2)), unknown_rows


def knn_laplacian(
    image: Any,
    *,
    n_neighbors: int | tuple[int, ...] = (20, 10),
    level: float = 2.0,
    spatial_weakening: float = 0.05,
    features: str = "rgb",
    kernel: str = "binary",
    position: str = "axes",
) -> scipy.sparse.csr_array:
    r"""The KNN matting Laplacian ``L = D - A`` of Chen, Li & Tang (2013).

    The defaults are those of :func:`classicmat.estimate_alpha_knn`'s default
    variant (PyMatting's settings); the paper's are ``n_neighbors=(10, 2),
    level=1.0, spatial_weakening=0.01, kernel="soft", position="diagonal"``.

    Parameters
    ----------
    image : (H, W, 3) or (H, W) ndarray, PIL image or path
        uint8, uint16 or float in [0, 1].
    n_neighbors : int or sequence of int, optional
        Neighbours per pixel in each pass (>= 1 each, the pixel itself
        included): ``(20, 10)``, 20 with the features as they are, then 10
        with the spatial part weakened.
    level : float, optional
        Weight of the spatial coordinates after their scaling by
        ``position`` (>= 0). Default 2.
    spatial_weakening : float, optional
        Factor applied to the spatial part after each pass (>= 0).
        Default 0.05 (the authors' code: 0.01).
    features : {"rgb", "hsv"}, optional
        ``"rgb"`` (default): the colour channels; ``"hsv"``: cos and sin of
        the hue, saturation, value (the paper's HSV feature; RGB images only).
    kernel : {"binary", "soft"}, optional
        ``"binary"`` (default, PyMatting): 1 for every neighbour; ``"soft"``
        (the paper): :math:`k(i, j) = \max(0, 1 - \|f_i - f_j\|_1 / (d + 2))`,
        with ``d`` the number of colour features and ``f`` the features after
        the last pass.
    position : {"axes", "diagonal"}, optional
        Scaling of the pixel position before ``level``: row by ``H - 1`` and
        column by ``W - 1`` (``"axes"``, default, PyMatting), or both by
        ``sqrt(H^2 + W^2)`` (``"diagonal"``, the paper).

    Returns
    -------
    L : (H W, H W) scipy.sparse.csr_array of float64
        Symmetric positive semi-definite, rows summing to zero; int32 or
        int64 indices as scipy chooses.

    Notes
    -----
    For each pass with ``k`` neighbours, every pixel ``i`` and each of its
    ``k`` nearest pixels ``j`` (Euclidean distance of the features, a
    KD-tree over all pixels) adds ``k(i, j)`` at ``(i, j)`` of ``W``;
    ``A = W + W^T`` (pairs found from both sides count twice, as in the
    authors' code), ``D = diag(A 1)`` and ``L = D - A``. The self pairs give
    equal terms in ``D`` and ``A`` and cancel.

    References
    ----------
    .. [1] Q. Chen, D. Li, C.-K. Tang, "KNN Matting", IEEE TPAMI 35(9),
       2175-2188, 2013 (CVPR 2012).

    Examples
    --------
    >>> import numpy as np
    >>> L = knn_laplacian(np.random.default_rng(0).random((4, 5, 3)))
    >>> L.shape, bool(abs(L.sum(axis=1)).max() < 1e-12)
    ((20, 20), True)
    """
    from ._knn_kernels import knn_system

    image = as_image(image)
    given = (n_neighbors, level, spatial_weakening, features, kernel, position)
    values = [option.check(value) for option, value in zip(KNN_OPTIONS, given, strict=True)]
    neighbors, weights = knn_neighbors(image, *values)
    n = neighbors.shape[0]
    every = np.arange(n)
    data, indices, indptr, _ = knn_system(
        neighbors, weights, every, every, n, np.zeros(n), np.zeros(n)
    )
    import scipy.sparse

    L = scipy.sparse.csr_array((data, indices, indptr), shape=(n, n))
    L.has_canonical_format = True  # rows sorted, no duplicates (knn_system)
    return L


def _knn_system(
    neighbors: np.ndarray,
    values: np.ndarray | None,
    masks: TrimapMasks,
    lambda_: float,
    unknown_rows: np.ndarray | None = None,
) -> MattingSystem:
    """The KNN matting system, assembled straight from the neighbour lists.

    Hard constraints (``lambda_ = inf``): the rows of the unknown pixels
    only, with the known pixels moved to the right-hand side (the lists may
    then come from ``neighbors_of(..., unknown=masks.is_unknown)``, which
    searches only the lists that can hold an unknown pixel), in the order
    of ``unknown_rows`` (the unknown pixels, each once; default: raster
    order). Soft constraints: every pixel, with ``lambda_`` on the diagonal
    of the known ones.
    """
    from ._knn_kernels import knn_system

    check_has_known(masks)
    hard = lambda_ == math.inf
    n = neighbors.shape[0]
    is_fg = masks.is_fg.ravel()
    if hard:
        unknown = unknown_rows
        if unknown is None:
            unknown = np.flatnonzero(masks.is_unknown.ravel())
        col_id = np.full(n, -1, dtype=np.int64)
        col_id[unknown] = np.arange(unknown.size)
        data, indices, indptr, b = knn_system(
            neighbors, values, unknown, col_id, unknown.size, is_fg.astype(np.float64), np.zeros(n)
        )
    else:
        unknown = np.arange(n)
        lam_known = lambda_ * masks.is_known.ravel()
        data, indices, indptr, _ = knn_system(
            neighbors, values, unknown, unknown, n, np.zeros(n), lam_known
        )
        b = lambda_ * is_fg.astype(np.float64)
    import scipy.sparse

    A = scipy.sparse.csr_array((data, indices, indptr), shape=(unknown.size, unknown.size))
    A.has_canonical_format = True  # rows sorted, no duplicates (knn_system)
    return MattingSystem(A, b, unknown, masks.is_fg, masks.is_bg, hard=hard, local=False)
