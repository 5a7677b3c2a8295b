"""The graph Laplacian of random-walk matting, and its system on the unknown pixels."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .._options import Option
from .._validation import as_image, as_trimap, check_same_size
from ..trimap import TrimapMasks, split_trimap
from .system import MattingSystem, laplacian_from_rows, system_from_rows

if TYPE_CHECKING:  # pragma: no cover
    import scipy.sparse

__all__ = ["RW_OPTIONS", "rw_laplacian"]

#: The options of the random-walk Laplacian.
RW_OPTIONS = (
    Option(
        "sigma",
        "float",
        "colour scale of the weights exp(-|I_i - I_j|^2 / sigma^2); smaller follows edges more",
        low=0.0,
        low_open=True,
        metavar="S",
        default_text="1/30 (weights exp(-900 |I_i - I_j|^2), as PyMatting)",
    ),
    Option(
        "radius",
        "int",
        "neighbourhood radius: each pixel is linked to the (2r+1)^2 - 1 others of its square",
        low=1,
        metavar="R",
    ),
    Option(
        "regularization",
        "float",
        "added to the diagonal; pulls alpha towards 1/2 where no weight reaches a label",
        low=0.0,
        metavar="X",
    ),
)


def _row_counts(rows: np.ndarray, col_id: np.ndarray, r: int) -> np.ndarray:
    """Stored entries of each row: the diagonal and the neighbours with ``col_id >= 0``
    (an integral-image lookup over the square of radius r, clipped to the image)."""
    from .closed_form import _box_sums

    h, w = col_id.shape
    yi, xi = np.divmod(rows, w)
    y0 = np.maximum(yi - r, 0)
    y1 = np.minimum(yi + r + 1, h)
    x0 = np.maximum(xi - r, 0)
    x1 = np.minimum(xi + r + 1, w)
    stored = col_id >= 0
    s = _box_sums(stored)
    inside = s[y1, x1] - s[y0, x1] - s[y1, x0] + s[y0, x0]
    return (inside - stored.ravel()[rows] + 1).astype(np.int64)


def _assemble(image, is_row, col_id, known_value, sigma, radius, regularization):
    """Rows ``is_row`` of the Laplacian: (indptr, indices, data, rhs, rows)."""
    from .._parallel import run_parallel, spans, thread_count
    from ._rw_kernels import _fill_rows

    h, w = image.shape[:2]
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
    inv_sigma2 = 1.0 / (sigma * sigma)

    def fill_rows(span):
        _fill_rows(
            image, rows, col_id, known_value, radius, inv_sigma2, regularization,
            indptr, indices, data, rhs, *span,
        )  # fmt: skip

    run_parallel(fill_rows, spans(rows.size, 4 * thread_count()))
    return indptr, indices, data, rhs, rows


def rw_laplacian(
    image: Any,
    *,
    sigma: float = 1 / 30,
    radius: int = 1,
    regularization: float = 1e-8,
    trimap: Any = None,
) -> scipy.sparse.csr_array:
    r"""The graph Laplacian of random-walk matting.

    Parameters
    ----------
    image : (H, W, 3) or (H, W) ndarray, PIL image or path
        uint8, uint16 or float in [0, 1]; RGBA is read as RGB.
    sigma : float, optional
        Colour scale :math:`\sigma` of the weights (> 0), in the units of
        the image in [0, 1]. Default 1/30, i.e. :math:`w = \exp(-900 \|I_i
        - I_j\|^2)`: the weights PyMatting's ``rw_laplacian`` uses (it
        ignores its own ``sigma`` argument and hard-codes 900).
    radius : int, optional
        Each pixel is linked to the other pixels of the (2 radius + 1)^2
        square around it (>= 1). Default 1: the 8 neighbours, as PyMatting.
    regularization : float, optional
        Added to the diagonal (>= 0). Default 1e-8, as PyMatting. It only
        matters for pixels whose every weight underflows (colour jumps far
        above sigma), which would leave the system singular: in the matting
        system it pulls them to alpha = 1/2 (see :func:`classicmat.estimate_alpha_rw`).
    trimap : (H, W) ndarray, PIL image or path, optional
        If given, only the rows of unknown pixels are built; ``L[U, :]`` and
        ``L[:, U]`` are exact, the rest holds only the coupling to unknown
        pixels.

    Returns
    -------
    L : (H*W, H*W) scipy.sparse.csr_array
        Symmetric, diagonally dominant, with rows summing to
        ``regularization``; pixel ``(y, x)`` is row ``y * W + x``.

    Notes
    -----
    The combinatorial Laplacian of the pixel graph,

    .. math::

        L = D - W + \rho I, \qquad
        W_{ij} = \exp\left(-\frac{\|I_i - I_j\|^2}{\sigma^2}\right), \qquad
        D_{ii} = \sum_j W_{ij},

    with :math:`W_{ij} > 0` for :math:`j \ne i` in the square of radius
    r around :math:`i` (pixels outside the image are not linked) and
    :math:`\rho` the regularization. Minimising :math:`\alpha^T L \alpha`
    with the known pixels fixed gives the probability that a random walker
    starting at each unknown pixel reaches the foreground first (Grady et
    al.). PyMatting builds the row-normalised :math:`(1 + \rho) I - D'^{-1}
    W'` instead, with self-loops and with neighbours outside the image
    clamped onto the border; for an interior pixel its rows are those of
    :math:`L` divided by :math:`D_{ii} + 1`, which leaves the solution of the
    hard-constrained system unchanged up to the regularization.

    References
    ----------
    .. [1] L. Grady, T. Schiwietz, S. Aharon, R. Westermann, "Random Walks
       for Interactive Alpha-Matting", VIIP 2005.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> L = rw_laplacian(rng.random((5, 6, 3)), regularization=0.0)
    >>> L.shape, L.nnz
    ((30, 30), 208)
    >>> bool(np.allclose(L.sum(axis=1), 0.0))
    True
    """
    image = as_image(image)
    sigma = RW_OPTIONS[0].check(sigma)
    radius = RW_OPTIONS[1].check(radius)
    regularization = RW_OPTIONS[2].check(regularization)
    is_row = None
    if trimap is not None:
        trimap = as_trimap(trimap)
        check_same_size(image, trimap)
        is_row = split_trimap(trimap).is_unknown
    return _laplacian(image, sigma, radius, regularization, is_row)


def _laplacian(image, sigma, radius, regularization, is_row=None):
    """The Laplacian of a validated image; rows (and mirrored columns) ``is_row`` only."""
    return laplacian_from_rows(
        lambda *rows: _assemble(image, *rows, sigma, radius, regularization),
        image.shape[:2],
        is_row,
    )


def _rw_system(
    image: np.ndarray,
    masks: TrimapMasks,
    sigma: float,
    radius: int,
    regularization: float,
) -> MattingSystem:
    """``L_UU alpha_U = -L_UK alpha_K``, built from the rows of the unknown pixels."""
    return system_from_rows(
        lambda *rows: _assemble(image, *rows, sigma, radius, regularization), masks
    )
