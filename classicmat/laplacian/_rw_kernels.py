"""Numba kernels of the random-walk matting Laplacian (Grady et al. 2005).

``L = D - W + regularization * I`` on the pixel grid, with the weights
``w_ij = exp(-|I_i - I_j|^2 / sigma^2)`` between a pixel and every other
pixel of the (2r+1) x (2r+1) square around it that lies in the image, and
``D`` their row sums. Rows are built one per pixel (a gather), by a serial
kernel on spans of rows run side by side (:mod:`classicmat._parallel`), so
threads write disjoint memory; the row counts are an integral-image lookup
in NumPy (:mod:`.rw`). ``w_ij`` and ``w_ji`` are computed by
the same operations (the squared differences do not depend on the order),
so the matrix is exactly symmetric.
"""

from __future__ import annotations

import numpy as np

from .._jit import njit


@njit(inline="always")
def _weight(image, yi, xi, yj, xj, c, inv_sigma2):  # pragma: no cover - compiled
    s = 0.0
    for a in range(c):
        t = image[yi, xi, a] - image[yj, xj, a]
        s += t * t
    return np.exp(-s * inv_sigma2)


@njit
def _fill_rows(
    image,
    rows,
    col_id,
    known_value,
    r,
    inv_sigma2,
    regularization,
    indptr,
    indices,
    data,
    rhs,
    start,
    stop,
):  # pragma: no cover - compiled
    """Fill the CSR ``indices``/``data`` of each row (columns sorted) and ``rhs``.

    Row i: ``L_ii = sum_j w_ij + regularization``, ``L_ij = -w_ij``. Columns
    with ``col_id >= 0`` are stored (the diagonal always); the others (known
    pixels) are folded into ``rhs[t] = sum_j w_ij * known_value[j] +
    regularization / 2``: the system ``L_UU beta_U = -L_UK beta_K`` of the
    labels ``beta = 2 alpha - 1``, written for alpha (the rows of ``D - W``
    sum to zero), so that the regularization pulls towards alpha = 1/2.
    Rows ``rows[start:stop]`` only.
    """
    h, w, c = image.shape
    for t in range(start, stop):
        p = rows[t]
        yi = p // w
        xi = p - yi * w
        # the weights, once, for the diagonal
        degree = regularization
        for yj in range(max(yi - r, 0), min(yi + r + 1, h)):
            for xj in range(max(xi - r, 0), min(xi + r + 1, w)):
                if yj != yi or xj != xi:
                    degree += _weight(image, yi, xi, yj, xj, c, inv_sigma2)
        pos = indptr[t]
        known = 0.0
        for yj in range(max(yi - r, 0), min(yi + r + 1, h)):
            for xj in range(max(xi - r, 0), min(xi + r + 1, w)):
                if yj == yi and xj == xi:
                    indices[pos] = col_id[yi, xi]
                    data[pos] = degree
                    pos += 1
                    continue
                weight = _weight(image, yi, xi, yj, xj, c, inv_sigma2)
                col = col_id[yj, xj]
                if col >= 0:
                    indices[pos] = col
                    data[pos] = -weight
                    pos += 1
                else:
                    known += weight * known_value[yj, xj]
        rhs[t] = known + 0.5 * regularization
