"""The Laplacian of learning-based digital matting, and its system on the unknown pixels."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .._options import Option
from .._validation import as_image, as_trimap, check_same_size
from ..trimap import TrimapMasks, split_trimap
from .closed_form import _check_window
from .system import MattingSystem, laplacian_from_rows, system_from_rows

if TYPE_CHECKING:  # pragma: no cover
    import scipy.sparse

__all__ = ["LBDM_OPTIONS", "LBDM_SYSTEM_OPTIONS", "lbdm_laplacian"]

#: The options of the learning-based Laplacian.
LBDM_OPTIONS = (
    Option(
        "epsilon",
        "float",
        "ridge regulariser of each window's local linear regression; larger is smoother",
        low=0.0,
        low_open=True,
        metavar="E",
    ),
    Option("radius", "int", "window radius (half-width) in pixels", low=1, metavar="R"),
)

#: The option of the system (not of the Laplacian): the authors' ridge term.
LBDM_SYSTEM_OPTIONS = (
    Option(
        "regularization",
        "float",
        "pull of alpha towards 1/2 where the Laplacian leaves it free (authors' code: 1e-6)",
        low=0.0,
        metavar="X",
    ),
)


def _assemble(image, is_row, col_id, known_value, epsilon, radius, regularization=0.0):
    """Rows ``is_row`` of the Laplacian: (indptr, indices, data, rhs, rows)."""
    from .._parallel import run_parallel, spans, thread_count
    from ._lbdm_kernels import _fill_rows, _window_stats
    from .closed_form import _number_windows, _row_counts

    h, w, c = image.shape
    d = c + 1
    win_id = np.empty((h, w), dtype=np.int32 if h * w < 2**31 else np.int64)
    n_windows = _number_windows(is_row, radius, win_id)
    stats = np.empty((n_windows, d * (d + 1)))
    parts = 4 * thread_count()

    def window_stats(span):
        G = np.empty((d, d))
        C = np.empty((d, d))
        y = np.empty(d)
        _window_stats(image, win_id, radius, epsilon, stats, G, C, y, *span)

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
        y = np.empty(d)
        vi = np.empty(d)
        vj = np.empty(d)
        _fill_rows(
            image, rows, col_id, known_value, win_id, stats, radius, regularization,
            indptr, indices, data, rhs, acc, y, vi, vj, *span,
        )  # fmt: skip

    run_parallel(fill_rows, spans(rows.size, parts))
    return indptr, indices, data, rhs, rows


def _laplacian(image: np.ndarray, epsilon: float, radius: int, is_row=None):
    """The Laplacian of a validated image; rows (and mirrored columns) ``is_row`` only."""
    _check_window(image, radius)
    return laplacian_from_rows(
        lambda *rows: _assemble(image, *rows, epsilon, radius), image.shape[:2], is_row
    )


def lbdm_laplacian(
    image: Any,
    *,
    epsilon: float = 1e-7,
    radius: int = 1,
    trimap: Any = None,
) -> scipy.sparse.csr_array:
    r"""The Laplacian of learning-based digital matting (local learning, linear model).

    Parameters
    ----------
    image : (H, W, 3) or (H, W) ndarray, PIL image or path
        uint8, uint16 or float in [0, 1]; RGBA is read as RGB.
    epsilon : float, optional
        Ridge regulariser :math:`\lambda` of each window's regression (> 0).
        Larger values give smoother mattes. Default 1e-7, as PyMatting's
        ``lbdm_laplacian`` and the authors' code.
    radius : int, optional
        Window radius r (>= 1); windows have (2r + 1)^2 pixels. Default 1.
    trimap : (H, W) ndarray, PIL image or path, optional
        If given, only the windows that touch an unknown pixel are built and
        only the rows of unknown pixels are filled: ``L[U, :]`` and
        ``L[:, U]`` are exact, the rest holds only the coupling to unknown
        pixels (all a matting solve needs).

    Returns
    -------
    L : (H*W, H*W) scipy.sparse.csr_array
        Symmetric positive semi-definite, with the sparsity of
        :func:`classicmat.cf_laplacian` at the same radius; pixel ``(y, x)``
        is row ``y * W + x``. Rows sum to almost zero (about epsilon), not
        exactly: the regression penalises the bias too, so a constant matte
        costs a little.

    Notes
    -----
    In every window :math:`w_k` of :math:`m = (2r+1)^2` pixels lying wholly
    inside the image, alpha is predicted from the colours by ridge
    regression on :math:`x_i = (I_i^T, 1)^T`, with the hat matrix

    .. math::

        F_k = X_k (X_k^T X_k + \epsilon I)^{-1} X_k^T
            = (K_k + \epsilon I)^{-1} K_k, \qquad K_k = X_k X_k^T ,

    and the Laplacian sums the squared prediction errors
    :math:`\|(I - F_k) \alpha_{w_k}\|^2` over the windows:

    .. math:: L = \sum_k S_k^T (I - F_k)^T (I - F_k) S_k ,

    :math:`S_k` selecting the pixels of :math:`w_k` (the paper's local
    learning with a linear kernel). This is PyMatting's ``lbdm_laplacian``. As
    :math:`\epsilon \to 0` it tends to the closed-form matting Laplacian.

    References
    ----------
    .. [1] Y. Zheng, C. Kambhamettu, "Learning Based Digital Matting",
       ICCV 2009.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> L = lbdm_laplacian(rng.random((5, 6, 3)))
    >>> L.shape
    (30, 30)
    >>> bool(abs(L - L.T).max() == 0.0)
    True
    """
    image = as_image(image)
    epsilon = LBDM_OPTIONS[0].check(epsilon)
    radius = LBDM_OPTIONS[1].check(radius)
    is_row = None
    if trimap is not None:
        trimap = as_trimap(trimap)
        check_same_size(image, trimap)
        is_row = split_trimap(trimap).is_unknown
    return _laplacian(image, epsilon, radius, is_row)


def _lbdm_system(
    image: np.ndarray, masks: TrimapMasks, epsilon: float, radius: int, regularization: float
) -> MattingSystem:
    """The system of the unknown pixels, built from the windows that touch them.

    The authors' code labels the known pixels beta = +1 (foreground) and -1
    (background) and solves ``(L + C + rho I) beta = C beta*``; with the known
    pixels fixed (``C`` infinite) that is ``(L_UU + rho I) beta_U = -L_UK
    beta_K``, here for ``alpha = (1 + beta) / 2``:
    ``(L_UU + rho I) alpha_U = -L_UK alpha_K + (L_U 1 + rho) / 2``.
    """
    _check_window(image, radius)
    return system_from_rows(
        lambda *rows: _assemble(image, *rows, epsilon, radius, regularization), masks
    )
