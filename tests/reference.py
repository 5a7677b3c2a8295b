"""Plain NumPy reference implementations used by the tests (slow, small inputs only)."""

from __future__ import annotations

import numpy as np


def dense_matting_laplacian(image: np.ndarray, epsilon: float, radius: int) -> np.ndarray:
    """The matting Laplacian of Levin et al. (2008), eq. 12, built densely.

    Straight from the formula: for each window w_k wholly inside the image,
    L[i, j] += delta_ij - (1 + (I_i - mu_k)^T (Sigma_k + eps/|w| I)^-1 (I_j - mu_k)) / |w|.
    """
    if image.ndim == 2:
        image = image[:, :, None]
    h, w, c = image.shape
    size = 2 * radius + 1
    area = size * size
    L = np.zeros((h * w, h * w))
    for y in range(radius, h - radius):
        for x in range(radius, w - radius):
            ys, xs = np.mgrid[y - radius : y + radius + 1, x - radius : x + radius + 1]
            idx = (ys * w + xs).ravel()
            colors = image[ys, xs].reshape(area, c)
            mu = colors.mean(axis=0)
            d = colors - mu
            sigma = d.T @ d / area
            inv = np.linalg.inv(sigma + epsilon / area * np.eye(c))
            block = np.eye(area) - (1.0 + d @ inv @ d.T) / area
            L[np.ix_(idx, idx)] += block
    return L


def dense_lbdm_laplacian(image: np.ndarray, epsilon: float, radius: int) -> np.ndarray:
    """The learning-based matting Laplacian of Zheng & Kambhamettu (2009), built densely.

    For each window w_k wholly inside the image, with X the (|w|, c + 1) matrix
    of the window's colours and a column of ones, the ridge-regression
    prediction F = (K + eps I)^-1 K, K = X X^T, and
    L[w_k, w_k] += (I - F)^T (I - F). F is computed in its hat-matrix form
    X (X^T X + eps I)^-1 X^T (the same matrix: (K + eps I)^-1 X = X (X^T X +
    eps I)^-1), which takes a (c + 1) x (c + 1) solve instead of an
    ill-conditioned |w| x |w| one.
    """
    if image.ndim == 2:
        image = image[:, :, None]
    h, w, c = image.shape
    size = 2 * radius + 1
    area = size * size
    L = np.zeros((h * w, h * w))
    for y in range(radius, h - radius):
        for x in range(radius, w - radius):
            ys, xs = np.mgrid[y - radius : y + radius + 1, x - radius : x + radius + 1]
            idx = (ys * w + xs).ravel()
            X = np.hstack([image[ys, xs].reshape(area, c), np.ones((area, 1))])
            F = X @ np.linalg.solve(X.T @ X + epsilon * np.eye(c + 1), X.T)
            residual = np.eye(area) - F
            L[np.ix_(idx, idx)] += residual.T @ residual
    return L


def dense_rw_laplacian(
    image: np.ndarray, sigma: float, radius: int, regularization: float
) -> np.ndarray:
    """The random-walk matting Laplacian D - W + reg I of Grady et al. (2005), built densely.

    w_ij = exp(-|I_i - I_j|^2 / sigma^2) for every pair of distinct pixels
    at most ``radius`` apart in both coordinates (Chebyshev distance).
    """
    if image.ndim == 2:
        image = image[:, :, None]
    h, w, _ = image.shape
    colours = image.reshape(h * w, -1)
    ys, xs = np.divmod(np.arange(h * w), w)
    near = (np.abs(ys[:, None] - ys[None, :]) <= radius) & (
        np.abs(xs[:, None] - xs[None, :]) <= radius
    )
    np.fill_diagonal(near, False)
    d2 = ((colours[:, None, :] - colours[None, :, :]) ** 2).sum(axis=2)
    W = np.where(near, np.exp(-d2 / sigma**2), 0.0)
    return np.diag(W.sum(axis=1) + regularization) - W


def _windows_laplacian(image, epsilon, radius, use_window):
    """Levin's Laplacian summed over the windows ``use_window(idx)`` accepts."""
    h, w, c = image.shape
    size = 2 * radius + 1
    area = size * size
    L = np.zeros((h * w, h * w))
    for y in range(radius, h - radius):
        for x in range(radius, w - radius):
            ys, xs = np.mgrid[y - radius : y + radius + 1, x - radius : x + radius + 1]
            idx = (ys * w + xs).ravel()
            if not use_window(idx):
                continue
            colors = image[ys, xs].reshape(area, c)
            d = colors - colors.mean(axis=0)
            inv = np.linalg.inv(d.T @ d / area + epsilon / area * np.eye(c))
            L[np.ix_(idx, idx)] += np.eye(area) - (1.0 + d @ inv @ d.T) / area
    return L


def lle_weights(target: np.ndarray, neighbours: np.ndarray, reg: float) -> np.ndarray:
    """Roweis & Saul: ``w = G^-1 1 / (1^T G^-1 1)``, with
    ``G_jk = (c_p - c_j).(c_p - c_k) + reg delta_jk``."""
    z = neighbours - target
    g = z @ z.T + reg * np.eye(len(neighbours))
    v = np.linalg.solve(g, np.ones(len(neighbours)))
    return v / v.sum()


def _nearest(features, p, pool, k):
    """The ``k`` pixels of ``pool`` (without ``p``) nearest to pixel ``p`` (Euclidean)."""
    pool = pool[pool != p]
    d = ((features[pool] - features[p]) ** 2).sum(axis=1)
    return pool[np.argsort(d, kind="stable")[:k]]


def dense_ifm_energy(
    image, is_fg, is_bg, *, k_cm=20, k_ku=7, k_uu=5, reg=1e-3, epsilon=1e-7, ku_position=10.0,
    uu_position=0.05, cm_rows="all",
):  # fmt: skip
    """The terms of information-flow matting (Aksoy et al. 2017, eqs. 1-16), densely.

    Straight from the paper, with brute-force neighbours: returns
    ``(CM, L_UU, L_L, eta, w_F)`` over all pixels: ``CM = (D - W)^T (D - W)``
    of the colour-mixture weights (eq. 1: a row for every pixel; with
    ``cm_rows="listing"`` only the rows of the unknown pixels and of the known
    pixels whose list names an unknown one), the graph
    Laplacian of the intra-unknown affinities ``max(1 - |v_p - v_q|_1, 0)``
    summed over each pixel's list (eq. 10: ``W = K + K^T``), Levin's Laplacian of the
    3 x 3 windows holding an unknown pixel, and the known-to-unknown
    confidence ``eta`` (eq. 7, clipped to 1) and estimate ``w_F`` (eq. 4; 1
    on F, 0 on B, eta 0 on known pixels).
    """
    h, w, c = image.shape
    n = h * w
    colours = image.reshape(n, c)
    rows, cols = np.divmod(np.arange(n), w)
    position = np.column_stack([cols / w, rows / h])
    unknown = np.flatnonzero(~(is_fg | is_bg).ravel())
    fg = np.flatnonzero(is_fg.ravel())
    bg = np.flatnonzero(is_bg.ravel())
    every = np.arange(n)
    # colour-mixture flow
    f = np.column_stack([colours, position])
    W = np.zeros((n, n))
    is_unknown = np.zeros(n, dtype=bool)
    is_unknown[unknown] = True
    for p in every:
        nb = _nearest(f, p, every, k_cm)
        if cm_rows == "all" or is_unknown[p] or is_unknown[nb].any():
            W[p, nb] = lle_weights(colours[p], colours[nb], reg)
    R = np.diag(W.sum(axis=1)) - W
    CM = R.T @ R
    # known-to-unknown flow
    f = np.column_stack([colours, ku_position * position])
    w_f = is_fg.ravel().astype(float)
    eta = np.zeros(n)
    for p in unknown:
        nf = _nearest(f, p, fg, k_ku)
        nb = _nearest(f, p, bg, k_ku)
        wt = lle_weights(colours[p], colours[np.concatenate([nf, nb])], reg)
        wf, wb = wt[: len(nf)].sum(), wt[len(nf) :].sum()
        c_f = wt[: len(nf)] @ colours[nf] / wf
        c_b = wt[len(nf) :] @ colours[nb] / wb
        w_f[p] = wf
        eta[p] = min(((c_f - c_b) ** 2).sum() / c, 1.0)
    # intra-unknown flow
    f = np.column_stack([colours, uu_position * position])
    Wu = np.zeros((n, n))
    for p in unknown:
        for q in _nearest(f, p, unknown, k_uu):
            # the double sum over the lists: W = K + K^T
            value = max(1.0 - np.abs(f[p] - f[q]).sum(), 0.0)
            Wu[p, q] += value
            Wu[q, p] += value
    Luu = np.diag(Wu.sum(axis=1)) - Wu
    # local flow
    is_u = np.zeros(n, dtype=bool)
    is_u[unknown] = True
    Ll = _windows_laplacian(image, epsilon, 1, lambda idx: is_u[idx].any())
    return CM, Luu, Ll, eta, w_f
