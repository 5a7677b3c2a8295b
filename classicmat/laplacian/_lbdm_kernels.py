"""Numba kernels of the learning-based matting Laplacian (Zheng & Kambhamettu 2009).

The windows and the sparsity are those of closed-form matting, so the
window numbering and the row counts are those of :mod:`.closed_form` (in
NumPy); only the per-window model differs. Both kernels are serial and work
on a span of rows, run side by side by :mod:`classicmat._parallel`. In each
window of ``m = (2r+1)^2`` pixels, with ``x_i = (I_i, 1)`` (colour and a
bias, ``d = c + 1`` values) and ``G = sum_i x_i x_i^T + epsilon I_d``,
ridge regression predicts alpha by the hat matrix ``F = X G^-1 X^T`` and
the window adds ``(I - F)^T (I - F)`` to the Laplacian.

Numerically: with the Cholesky factor ``G = R R^T`` (R lower triangular)
and ``y_i = R^-1 x_i``, ``F_ij = y_i . y_j`` and ``(F^2)_ij = y_i^T C y_j``
with ``C = sum_m y_m y_m^T``, so

    ((I - F)^2)_ij = delta_ij - y_i^T (2 I - C) y_j = delta_ij - v_i . v_j

with ``2 I - C = W W^T`` (W lower triangular) and ``v_i = W^T y_i``. Every
``y_i`` has norm <= 1 (``|y_i|^2 = F_ii``) and ``2 I - C`` has eigenvalues in
(1, 2], whatever the conditioning of ``G`` (flat windows and epsilon = 1e-7
make it ~1e8): nothing is computed from an explicit inverse, and the block
is a computed square, positive semi-definite to round-off. ``L_ij`` and
``L_ji`` come from the same operations, so the matrix is exactly symmetric.

Per window ``stats[k]`` holds the packed lower triangles of ``R`` (with the
inverses of its diagonal) and of ``W``: ``2 * d (d + 1) / 2`` values.
"""

from __future__ import annotations

import numpy as np

from .._jit import njit
from ._cf_kernels import _share_window


@njit(inline="always")
def _tri(a, b):  # pragma: no cover - compiled
    """Position of entry (a, b), b <= a, in a packed lower triangle."""
    return a * (a + 1) // 2 + b


@njit(inline="always")
def _v(image, stats, k, yy, xx, d, y, v):  # pragma: no cover - compiled
    """``v = W^T R^-1 x`` of pixel (yy, xx) in window k, into ``v`` (``y`` is scratch)."""
    c = d - 1
    half = d * (d + 1) // 2
    for a in range(d):
        s = image[yy, xx, a] if a < c else 1.0
        for b in range(a):
            s -= stats[k, _tri(a, b)] * y[b]
        y[a] = s * stats[k, _tri(a, a)]
    for a in range(d):
        s = 0.0
        for b in range(a, d):
            s += stats[k, half + _tri(b, a)] * y[b]
        v[a] = s


@njit
def _window_stats(image, win_id, r, epsilon, stats, G, C, y, y0, y1):  # pragma: no cover
    """The factors ``R`` and ``W`` (module docstring) of every numbered window
    centred in the image rows ``y0:y1``; ``G``, ``C`` (d x d) and ``y`` (d) are
    the caller's work arrays (one set per thread)."""
    h, w, c = image.shape
    d = c + 1
    half = d * (d + 1) // 2
    for row in range(y0, y1):
        for col in range(w):
            k = win_id[row, col]
            if k < 0:
                continue
            G[:, :] = 0.0
            for yy in range(row - r, row + r + 1):
                for xx in range(col - r, col + r + 1):
                    for a in range(d):
                        xa = image[yy, xx, a] if a < c else 1.0
                        for b in range(a + 1):
                            xb = image[yy, xx, b] if b < c else 1.0
                            G[a, b] += xa * xb
            # Cholesky G + epsilon I = R R^T; every pivot is >= epsilon in
            # exact arithmetic, so one that rounding pushed lower is reset
            for a in range(d):
                for b in range(a + 1):
                    s = G[a, b] + (epsilon if a == b else 0.0)
                    for e in range(b):
                        s -= stats[k, _tri(a, e)] * stats[k, _tri(b, e)]
                    if a == b:
                        stats[k, _tri(a, a)] = np.sqrt(max(s, epsilon))
                    else:
                        stats[k, _tri(a, b)] = s / stats[k, _tri(b, b)]
            for a in range(d):
                stats[k, _tri(a, a)] = 1.0 / stats[k, _tri(a, a)]
            # C = sum of y y^T over the window, y = R^-1 x
            C[:, :] = 0.0
            for yy in range(row - r, row + r + 1):
                for xx in range(col - r, col + r + 1):
                    for a in range(d):
                        s = image[yy, xx, a] if a < c else 1.0
                        for b in range(a):
                            s -= stats[k, _tri(a, b)] * y[b]
                        y[a] = s * stats[k, _tri(a, a)]
                    for a in range(d):
                        for b in range(a + 1):
                            C[a, b] += y[a] * y[b]
            # 2 I - C = W W^T (eigenvalues in (1, 2]: no guard needed, but
            # pivots stay >= 1 in exact arithmetic)
            for a in range(d):
                for b in range(a + 1):
                    s = (2.0 if a == b else 0.0) - C[a, b]
                    for e in range(b):
                        s -= stats[k, half + _tri(a, e)] * stats[k, half + _tri(b, e)]
                    if a == b:
                        stats[k, half + _tri(a, a)] = np.sqrt(max(s, 1.0))
                    else:
                        stats[k, half + _tri(a, b)] = s / stats[k, half + _tri(b, b)]


@njit
def _fill_rows(
    image,
    rows,
    col_id,
    known_value,
    win_id,
    stats,
    r,
    regularization,
    indptr,
    indices,
    data,
    rhs,
    acc,
    y,
    vi,
    vj,
    start,
    stop,
):  # pragma: no cover - compiled
    """Fill the CSR ``indices``/``data`` of each row and its right-hand side ``rhs``.

    ``L_ij = sum_k (delta_ij - v_i^k . v_j^k)`` over the windows k holding i
    and j (module docstring), plus ``regularization`` on the diagonal.
    Columns with ``col_id >= 0`` are stored; the others (known pixels) go to
    ``rhs[t] = -sum_j L_ij known_value[j] + (sum_j L_ij + regularization) / 2``:
    the system of the authors' labels ``beta = 2 alpha - 1``, written for
    alpha (``(L_UU + rho I) beta_U = -L_UK beta_K``). The layout of the rows
    is that of ``_cf_kernels._fill_rows`` (same windows, same sparsity).
    Rows ``rows[start:stop]`` only; ``acc`` ((4r+1) x (4r+1)), ``y``, ``vi``,
    ``vj`` (d) are the caller's work arrays (one set per thread).
    """
    h, w, c = image.shape
    d = c + 1
    for t in range(start, stop):
        p = rows[t]
        yi = p // w
        xi = p - yi * w
        acc[:, :] = 0.0
        for cy in range(max(yi - r, r), min(yi + r, h - 1 - r) + 1):
            for cx in range(max(xi - r, r), min(xi + r, w - 1 - r) + 1):
                k = win_id[cy, cx]
                _v(image, stats, k, yi, xi, d, y, vi)
                for yj in range(cy - r, cy + r + 1):
                    for xj in range(cx - r, cx + r + 1):
                        _v(image, stats, k, yj, xj, d, y, vj)
                        q = 0.0
                        for a in range(d):
                            q += vi[a] * vj[a]
                        acc[yj - yi + 2 * r, xj - xi + 2 * r] -= q
                acc[2 * r, 2 * r] += 1.0
        acc[2 * r, 2 * r] += regularization
        pos = indptr[t]
        known = 0.0
        row_sum = 0.0
        for yj in range(max(yi - 2 * r, 0), min(yi + 2 * r + 1, h)):
            for xj in range(max(xi - 2 * r, 0), min(xi + 2 * r + 1, w)):
                if not _share_window(yi, xi, yj, xj, r, h, w):
                    continue
                value = acc[yj - yi + 2 * r, xj - xi + 2 * r]
                row_sum += value
                col = col_id[yj, xj]
                if col >= 0:
                    indices[pos] = col
                    data[pos] = value
                    pos += 1
                else:
                    known += value * known_value[yj, xj]
        rhs[t] = 0.5 * row_sum - known
