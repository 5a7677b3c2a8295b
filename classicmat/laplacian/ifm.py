r"""The linear system of information-flow matting (Aksoy, Aydın & Pollefeys 2017).

Four flows of information between pixels and the trimap constraint make one
quadratic energy in alpha (the paper's eqs. 13-19, in the matrix form of its
eq. 16, which is what it solves):

.. math::

    E(\alpha) = \alpha^T \big(\sigma_{CM} R^T R + \sigma_{UU} L_{UU}
    + \sigma_L L_L\big) \alpha
    + \sigma_{KU} (\alpha - w^F)^T H (\alpha - w^F)
    + \lambda \, (\alpha - \alpha_K)^T T (\alpha - \alpha_K)

- colour-mixture flow: row ``p`` of ``R`` is :math:`e_p - \sum_q w_{pq} e_q`
  over the 20 nearest pixels of ``p`` in (r, g, b, x/W, y/H) in the whole
  image, with the locally linear embedding weights of its colour
  (sum-to-one, ridge ``1e-3``). The paper sums over every pixel; the rows
  kept are those that hold an unknown pixel (the unknown pixels' and the
  known pixels' whose list names one): the others, among known pixels
  only, are constant with hard constraints;
- known-to-unknown flow: the same mixture over 7 nearest known foreground
  and 7 background pixels in (r, g, b, 10 x/W, 10 y/H) gives an alpha
  estimate :math:`w^F_p` and a confidence :math:`\eta_p` (``H = diag(eta)``);
- intra-unknown flow: a graph Laplacian over the 5 nearest unknown pixels in
  (r, g, b, x/(20 W), y/(20 H)), weights :math:`\max(1 - \|v_p - v_q\|_1, 0)`,
  ``W = K + K^T`` of the lists' affinities ``K`` (the paper's double sum);
- local flow: the closed-form matting Laplacian of the 3 x 3 windows that
  touch an unknown pixel.

With hard constraints (``lambda_=inf``) the known pixels are eliminated and
the unknowns are the unknown pixels only; with soft ones (finite
``lambda_``, the paper's 100) the unknowns are the unknown pixels and the
known pixels that some flow touches (the other known pixels solve
``lambda alpha_p = lambda alpha_K`` exactly and are left out). The mixture
rows among known pixels only are left out here too, which the paper's sum
does not: over the 40 alphamatting.com cases (one-off runs, with the
intra-unknown lists made symmetric by their union and ``rtol=1e-6``) the
mean MSE was 14.99e-3 with them left out and 14.97e-3 with every row and
every pixel an unknown, which took a median 4.5 s per case instead of about
2 s.

``A = sigma_CM R^T R + S`` is not formed: ``R^T R`` has about 100 nonzeros
per row (the mixture rows that list a pixel, 21
entries each) and would cost ten times the memory of ``R``. The system's
``A`` is an ``IFMOperator`` (:mod:`classicmat.laplacian._ifm_operator`)
that applies ``R`` then ``R^T`` (serial numba kernels on spans of rows, run
on threads) plus the sparse rest ``S``, with its diagonal for the Jacobi
preconditioner; ``A.tocsr()`` forms the matrix for the other solvers.
"""

from __future__ import annotations

import math

import numpy as np

from .._options import Option
from ..trimap import TrimapMasks
from .system import MattingSystem

__all__ = ["FLOW_OPTIONS", "ifm_features"]


def _positive(name: str, help: str, metavar: str = "X") -> Option:
    return Option(name, "float", help, low=0.0, metavar=metavar)


#: The options of the four flows and the constraint (defaults: the paper's).
FLOW_OPTIONS = (
    Option(
        "cm_neighbors",
        "int",
        "colour-mixture flow: neighbours of each pixel in the whole image (rows: the "
        "unknown pixels and the known ones that list an unknown pixel)",
        low=1,
        metavar="K",
    ),
    Option(
        "ku_neighbors",
        "int",
        "known-to-unknown flow: neighbours in the known foreground and in the background",
        low=1,
        metavar="K",
    ),
    Option(
        "uu_neighbors",
        "int",
        "intra-unknown flow: neighbours of each unknown pixel among the unknown ones",
        low=1,
        metavar="K",
    ),
    _positive("cm_weight", "weight of the colour-mixture flow (1 in the paper)"),
    _positive("ku_weight", "weight sigma_KU of the known-to-unknown flow"),
    _positive("uu_weight", "weight sigma_UU of the intra-unknown flow"),
    _positive("local_weight", "weight sigma_L of the local flow (closed-form Laplacian)"),
    Option(
        "lambda_",
        "float",
        "weight of the known pixels, or inf to fix them (hard constraints)",
        low=0.0,
        low_open=True,
        allow_inf=True,
        metavar="X",
    ),
    Option(
        "epsilon",
        "float",
        "local flow: regulariser of each 3x3 window's colour covariance",
        low=0.0,
        low_open=True,
        metavar="E",
    ),
    Option(
        "lle_regularization",
        "float",
        "ridge added to the neighbourhood correlation matrix of the mixture weights",
        low=0.0,
        low_open=True,
        metavar="X",
    ),
    _positive("ku_position", "known-to-unknown flow: factor of the position in the features"),
    _positive("uu_position", "intra-unknown flow: factor of the position in the features"),
)


def ifm_features(image: np.ndarray, position: float) -> np.ndarray:
    """(H W, C + 2): the colour of every pixel, then ``position * x / W`` and
    ``position * y / H`` (x the column, y the row), row-major pixels."""
    h, w, c = image.shape
    # one array written in place (joining columns costs 10x more on large images)
    f = np.empty((h, w, c + 2))
    f[:, :, :c] = image
    f[:, :, c] = np.arange(w, dtype=np.float64) * (position / w)
    f[:, :, c + 1] = (np.arange(h, dtype=np.float64) * (position / h))[:, None]
    return f.reshape(h * w, c + 2)


def _system_pixels(
    masks: TrimapMasks, cm_rows: np.ndarray, cm_nbr: np.ndarray, hard: bool
) -> np.ndarray:
    """The pixels of the unknowns: the unknown ones (raster order), then with soft
    constraints the known ones that a flow touches (a pixel of a mixture row or
    of its list, or in a window of the local flow), raster order."""
    unknown = np.flatnonzero(masks.is_unknown)
    if hard:
        return unknown
    from scipy.ndimage import binary_dilation

    touched = binary_dilation(masks.is_unknown, np.ones((5, 5), dtype=bool)).ravel()
    touched[cm_rows] = True
    touched[cm_nbr.ravel()] = True
    touched[unknown] = False
    return np.concatenate([unknown, np.flatnonzero(touched)])


def _local_flow(image, masks, col_id, pixels, epsilon):
    """Rows ``pixels`` (in that order) of the closed-form Laplacian of the
    3 x 3 windows touching an unknown pixel, in the columns ``col_id`` (-1:
    fixed pixel, moved to the right-hand side): ``(indptr, indices, data, rhs)``."""
    from .closed_form import _assemble

    h, w, c = image.shape
    is_row = np.zeros(h * w, dtype=np.bool_)
    is_row[pixels] = True
    indptr, indices, data, rhs, rows = _assemble(
        image, is_row.reshape(h, w), col_id.reshape(h, w), masks.is_fg, epsilon, 1,
        is_window=masks.is_unknown,
    )  # fmt: skip
    if np.array_equal(rows, pixels):
        return indptr, indices, data, rhs
    # rows come in raster order: put them in the order of ``pixels``
    import scipy.sparse as sp

    at = np.searchsorted(rows, pixels)
    L = sp.csr_array((data, indices, indptr), shape=(rows.size, int(col_id.max()) + 1))[at]
    return L.indptr, L.indices, L.data, rhs[at]


def _intra_unknown_flow(image, unknown, n_cols, k, position, weight):
    """CSR rows (one per unknown pixel) of ``weight * (D - W)`` of the intra-unknown flow.

    ``W = K + K^T`` for the affinities ``K`` of each pixel's own list, so
    that ``alpha^T (D - W) alpha`` is the paper's sum over the lists,
    ``sum_p sum_{q in N(p)} K_pq (alpha_p - alpha_q)^2``, exactly: a pair
    found from both sides counts twice, as in that sum.
    """
    from ._ifm_kernels import drop_self
    from ._kdtree import nearest_neighbors_all
    from ._knn_kernels import knn_system, soft_kernel

    m = unknown.size
    f = ifm_features(image, position)[unknown]
    found = nearest_neighbors_all(f, k + 1)
    if found.shape[1] < 2:
        return None
    nbr = np.empty((m, found.shape[1] - 1), dtype=found.dtype)
    drop_self(found, np.arange(m, dtype=found.dtype), nbr)
    del found
    values = soft_kernel(f, nbr, 1.0)
    values *= weight
    every = np.arange(m)
    zeros = np.zeros(m)
    # knn_system builds D - (K + K^T) from the lists' values K
    data, indices, indptr, _ = knn_system(nbr, values, every, every, n_cols, zeros, zeros)
    return data, indices, indptr


def _known_to_unknown_flow(image, unknown, ku_masks, k, position, reg):
    """``(w_fg, eta)`` of each unknown pixel: the alpha estimate and its confidence."""
    from ._ifm_kernels import known_to_unknown
    from ._kdtree import nearest_neighbors

    h, w, c = image.shape
    f = ifm_features(image, position)
    queries = f[unknown]
    lists = []
    for mask in (ku_masks.is_fg, ku_masks.is_bg):
        pool = np.flatnonzero(mask)
        lists.append(pool[nearest_neighbors(f[pool], queries, k)])
    del f, queries
    k_fg = lists[0].shape[1]
    nbr = np.ascontiguousarray(np.hstack(lists))
    del lists
    w_fg = np.empty(unknown.size)
    eta = np.empty(unknown.size)
    known_to_unknown(image.reshape(-1, c), unknown, nbr, k_fg, reg, w_fg, eta)
    return w_fg, eta


def _mixture_flow(image, masks, k, reg):
    """The rows of the colour-mixture flow that hold an unknown pixel.

    Returns ``(rows, nbr, weights)``: the pixels of the rows (the unknown
    pixels in raster order, then the known pixels whose list names an unknown
    pixel, raster order), their ``k`` neighbours and mixture weights. The
    other rows, among known pixels only, are constant with hard constraints.

    Only the known pixels that can name an unknown one are searched (as for
    KNN matting, :func:`classicmat.laplacian.knn.neighbors_of`): ``p`` lists
    an unknown pixel only if one lies within its ``k + 1``-th neighbour
    distance, at most the grid bound ``u(p)``, while every unknown pixel is
    at least ``s e(p)`` away (``e(p)`` the distance in the image to the
    unknown region, ``s`` the smaller position scale).
    """
    from scipy.ndimage import distance_transform_edt

    from ._ifm_kernels import drop_self, mixture_weights, names_any
    from ._kdtree import nearest_neighbors_all
    from ._knn_kernels import may_name_unknown

    h, w, c = image.shape
    is_unknown = masks.is_unknown.ravel()
    f = ifm_features(image, 1.0)
    to_unknown = distance_transform_edt(~masks.is_unknown).ravel()
    scale = min(1.0 / w, 1.0 / h)
    selected = may_name_unknown(f, h, w, k + 1, is_unknown, to_unknown, scale)
    del to_unknown
    found = nearest_neighbors_all(f, k + 1, selected=selected)
    del f
    unknown = np.flatnonzero(is_unknown)
    candidates = np.flatnonzero(selected & ~is_unknown)
    listing = np.zeros(candidates.size, dtype=np.bool_)
    names_any(found, candidates, is_unknown, listing)
    rows = np.concatenate([unknown, candidates[listing]])
    del candidates, listing
    nbr = np.empty((rows.size, found.shape[1] - 1), dtype=found.dtype)
    drop_self(found[rows], rows.astype(found.dtype), nbr)
    del found
    weights = np.empty(nbr.shape)
    mixture_weights(image.reshape(-1, c), rows, nbr, reg, weights)
    return rows, nbr, weights


def _ifm_system(
    image: np.ndarray,
    masks: TrimapMasks,
    *,
    ku_masks: TrimapMasks | None,
    cm_neighbors: int,
    ku_neighbors: int,
    uu_neighbors: int,
    cm_weight: float,
    ku_weight: float,
    uu_weight: float,
    local_weight: float,
    lambda_: float,
    epsilon: float,
    lle_regularization: float,
    ku_position: float,
    uu_position: float,
    timings: dict | None = None,
) -> tuple[MattingSystem, np.ndarray]:
    """The system of validated inputs, and an initial guess of its solution.

    ``ku_masks=None`` leaves out the known-to-unknown flow (the paper's E2),
    else its neighbours come from ``ku_masks.is_fg`` and ``ku_masks.is_bg``.
    The initial guess is the known-to-unknown estimate clipped to [0, 1] on
    the unknown pixels (0 without it) and the trimap's value on known ones.
    ``timings``, if given, gets the seconds of each step (for the benchmarks).
    """
    import time

    import scipy.sparse as sp

    from ._ifm_kernels import mixture_rows, transpose_rows
    from ._ifm_operator import IFMOperator

    h, w, c = image.shape
    n = h * w
    hard = lambda_ == math.inf
    unknown = np.flatnonzero(masks.is_unknown)
    m = unknown.size
    known_alpha = masks.is_fg.ravel().astype(np.float64)

    clock = [time.perf_counter()]

    def lap(name):
        now = time.perf_counter()
        if timings is not None:
            timings[name] = timings.get(name, 0.0) + now - clock[0]
        clock[0] = now

    cm_rows, cm_nbr, cm_w = _mixture_flow(image, masks, cm_neighbors, lle_regularization)
    lap("colour-mixture flow")
    pixels = _system_pixels(masks, cm_rows, cm_nbr, hard)
    n_sys = pixels.size
    col_id = np.full(n, -1, dtype=np.int64)
    col_id[pixels] = np.arange(n_sys)

    # colour-mixture rows R (fixed width) and R^T (CSR), sqrt(weight) folded in
    index_dtype = np.int32 if n < 2**31 else np.int64
    n_rows = cm_rows.size
    cols = np.empty((n_rows, cm_nbr.shape[1] + 1), dtype=index_dtype)
    vals = np.empty(cols.shape)
    fixed = np.empty(n_rows)
    mixture_rows(cm_rows, cm_nbr, cm_w, col_id, known_alpha, cols, vals, fixed)
    del cm_rows, cm_nbr, cm_w
    root = math.sqrt(cm_weight)
    vals *= root
    fixed *= root
    t_ptr = np.zeros(n_sys + 1, dtype=np.int64)
    n_entries = int((cols >= 0).sum())
    # R^T's offsets count its entries (about 21 per row): 64-bit past 2**31
    rt_dtype = index_dtype if n_entries < 2**31 else np.int64
    t_idx = np.empty(n_entries, dtype=rt_dtype)
    t_val = np.empty(n_entries)
    transpose_rows(cols, vals, n_sys, t_ptr, t_idx, t_val)
    Rt = sp.csr_array((t_val, t_idx, t_ptr.astype(rt_dtype)), shape=(n_sys, n_rows))
    b = -(Rt @ fixed)  # the known pixels' part of |R alpha|^2
    del fixed
    lap("colour-mixture rows")

    # local flow
    indptr, indices, data, rhs = _local_flow(image, masks, col_id, pixels, epsilon)
    data *= local_weight
    S = sp.csr_array((data, indices, indptr), shape=(n_sys, n_sys))
    b += local_weight * rhs
    del indptr, indices, data, rhs
    lap("local flow")

    # intra-unknown flow (unknown rows first: they are rows 0..m-1)
    uu = _intra_unknown_flow(image, unknown, n_sys, uu_neighbors, uu_position, uu_weight)
    if uu is not None:
        u_data, u_indices, u_indptr = uu
        u_indptr = np.concatenate([u_indptr, np.full(n_sys - m, u_indptr[-1], u_indptr.dtype)])
        S = S + sp.csr_array((u_data, u_indices, u_indptr), shape=(n_sys, n_sys))
        del uu, u_data, u_indices, u_indptr
    lap("intra-unknown flow")

    # diagonal: known-to-unknown confidences, soft constraints
    diag = np.zeros(n_sys)
    x0 = np.zeros(n_sys)
    x0[m:] = known_alpha[pixels[m:]]
    if ku_masks is not None:
        w_fg, eta = _known_to_unknown_flow(
            image, unknown, ku_masks, ku_neighbors, ku_position, lle_regularization
        )
        diag[:m] = ku_weight * eta
        b[:m] += ku_weight * eta * w_fg
        np.clip(w_fg, 0.0, 1.0, out=x0[:m])
        lap("known-to-unknown flow")
    if not hard:
        diag[m:] = lambda_
        b[m:] += lambda_ * known_alpha[pixels[m:]]
    S = (S + sp.diags_array(diag)).tocsr()
    S.sort_indices()
    A = IFMOperator(cols, vals, Rt, S)
    lap("assembly")
    return MattingSystem(A, b, pixels, masks.is_fg, masks.is_bg, hard=hard, local=False), x0
