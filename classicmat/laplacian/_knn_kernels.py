"""numba kernels of the KNN Laplacian (compiled on first use, cached on disk)."""

from __future__ import annotations

import numpy as np

from .._jit import njit, prange


@njit(parallel=True)
def _soft_kernel(features, neighbors, scale, out):
    """``out[i, t] = max(0, 1 - |features[i] - features[neighbors[i, t]]|_1 * scale)``.

    Each ``i`` writes its own row of ``out``: the parallel loop is race free.
    """
    n, k = neighbors.shape
    dim = features.shape[1]
    for i in prange(n):
        for t in range(k):
            j = neighbors[i, t]
            dist = 0.0
            for c in range(dim):
                dist += abs(features[i, c] - features[j, c])
            value = 1.0 - dist * scale
            out[i, t] = value if value > 0.0 else 0.0


def soft_kernel(features: np.ndarray, neighbors: np.ndarray, scale: float) -> np.ndarray:
    """(n, k) soft kernel values of the neighbour lists (see :func:`_soft_kernel`)."""
    out = np.empty(neighbors.shape, dtype=np.float64)
    _soft_kernel(
        np.ascontiguousarray(features, dtype=np.float64),
        np.ascontiguousarray(neighbors),
        float(scale),
        out,
    )
    return out
