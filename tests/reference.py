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
