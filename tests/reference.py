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
