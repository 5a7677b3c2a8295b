"""Numba kernels of the closed-form matting Laplacian.

The Laplacian is assembled row by row (a "gather"), so that rows are written
by one thread each and threads never write to shared memory. The caller
(:mod:`.closed_form`) numbers the windows (of size (2r+1)^2, centred at
least r pixels from the border, as in the paper) that contain at least one
pixel whose row is wanted, and counts the entries of every row, in NumPy;
then, each kernel on spans of the work run side by side
(:mod:`classicmat._parallel`):

1. ``_window_stats``: for each such window, its mean colour and the
   Cholesky factor of its regularised covariance;
2. ``_fill_rows``: the entries, in CSR order, plus the part of each row that
   multiplies known pixels, which goes to the right-hand side.
"""

from __future__ import annotations

import numpy as np

from .._jit import njit


@njit(inline="always")
def _y(image, stats, k, yy, xx, c):  # pragma: no cover - compiled
    """``y = R_k^-T (I - mu_k)`` of pixel (yy, xx) in window k, not centred:
    a forward substitution with the factor of ``_window_stats``."""
    if c == 1:
        return (image[yy, xx, 0] - stats[k, 0]) * stats[k, 1], 0.0, 0.0
    v0 = (image[yy, xx, 0] - stats[k, 0]) * stats[k, 3]
    v1 = (image[yy, xx, 1] - stats[k, 1] - stats[k, 4] * v0) * stats[k, 6]
    v2 = (image[yy, xx, 2] - stats[k, 2] - stats[k, 5] * v0 - stats[k, 7] * v1) * stats[k, 8]
    return v0, v1, v2


@njit(inline="always")
def _store_mean_y(image, stats, k, cy, cx, r, c, at):  # pragma: no cover - compiled
    """``stats[k, at:at + c]`` = the mean of the ``_y`` of window k's pixels."""
    s0 = 0.0
    s1 = 0.0
    s2 = 0.0
    for yy in range(cy - r, cy + r + 1):
        for xx in range(cx - r, cx + r + 1):
            v0, v1, v2 = _y(image, stats, k, yy, xx, c)
            s0 += v0
            s1 += v1
            s2 += v2
    area = (2 * r + 1) * (2 * r + 1)
    stats[k, at] = s0 / area
    if c == 3:
        stats[k, at + 1] = s1 / area
        stats[k, at + 2] = s2 / area


@njit
def _window_stats(
    image, channels, win_id, r, epsilon, stats, y0, y1
):  # pragma: no cover - compiled
    """Mean and inverse Cholesky factor of the regularised scatter of every marked window.

    With ``d_i = I_i - mu_k`` the centred colours of window k and
    ``S_k = sum_i d_i d_i^T + epsilon I = R^T R`` (R upper triangular),
    ``stats[k, :c]`` holds ``mu_k``, then what gives ``y_i = R^{-T} d_i``
    (:func:`_y`): for gray ``1 / r00``; for colour ``1 / r00, r01, r02,
    1 / r11, r12, 1 / r22``; then the mean of the window's computed ``y_i``
    (1 or 3 values, zero in exact arithmetic). The Laplacian needs only the
    products ``y_i . y_j = d_i^T S_k^{-1} d_j`` of the centred ``y`` (see
    ``_fill_rows``), which are bounded by 1 whatever the conditioning of
    ``S_k``: unlike the inverse of ``S_k`` itself, computing them loses no
    precision when the window's colours lie on a line or a plane (flat or
    two-colour windows, tiny epsilon). Centring the computed ``y`` makes
    the rows of each window's block sum to zero to round-off as well.
    Windows centred on rows ``y0 .. y1 - 1`` only. ``channels``: a tuple of
    one entry per channel of ``image``, whose length is a compile-time
    constant (one compiled version per channel count, without the other's
    code).
    """
    h, w, _ = image.shape
    c = len(channels)
    area = (2 * r + 1) * (2 * r + 1)
    for y in range(y0, y1):
        for x in range(w):
            k = win_id[y, x]
            if k < 0:
                continue
            if c == 1:
                s = 0.0
                for yy in range(y - r, y + r + 1):
                    for xx in range(x - r, x + r + 1):
                        s += image[yy, xx, 0]
                mu = s / area
                v = epsilon
                for yy in range(y - r, y + r + 1):
                    for xx in range(x - r, x + r + 1):
                        d = image[yy, xx, 0] - mu
                        v += d * d
                stats[k, 0] = mu
                stats[k, 1] = 1.0 / np.sqrt(v)
                _store_mean_y(image, stats, k, y, x, r, c, 2)
            else:
                s0 = 0.0
                s1 = 0.0
                s2 = 0.0
                for yy in range(y - r, y + r + 1):
                    for xx in range(x - r, x + r + 1):
                        s0 += image[yy, xx, 0]
                        s1 += image[yy, xx, 1]
                        s2 += image[yy, xx, 2]
                m0 = s0 / area
                m1 = s1 / area
                m2 = s2 / area
                a00 = epsilon
                a01 = 0.0
                a02 = 0.0
                a11 = epsilon
                a12 = 0.0
                a22 = epsilon
                for yy in range(y - r, y + r + 1):
                    for xx in range(x - r, x + r + 1):
                        d0 = image[yy, xx, 0] - m0
                        d1 = image[yy, xx, 1] - m1
                        d2 = image[yy, xx, 2] - m2
                        a00 += d0 * d0
                        a01 += d0 * d1
                        a02 += d0 * d2
                        a11 += d1 * d1
                        a12 += d1 * d2
                        a22 += d2 * d2
                # Cholesky S = R^T R; every pivot is >= epsilon in exact
                # arithmetic, so one that rounding pushed lower is reset to it
                r00 = np.sqrt(a00)
                r01 = a01 / r00
                r02 = a02 / r00
                p11 = max(a11 - r01 * r01, epsilon)
                r11 = np.sqrt(p11)
                r12 = (a12 - r01 * r02) / r11
                p22 = max(a22 - r02 * r02 - r12 * r12, epsilon)
                stats[k, 0] = m0
                stats[k, 1] = m1
                stats[k, 2] = m2
                stats[k, 3] = 1.0 / r00
                stats[k, 4] = r01
                stats[k, 5] = r02
                stats[k, 6] = 1.0 / r11
                stats[k, 7] = r12
                stats[k, 8] = 1.0 / np.sqrt(p22)
                _store_mean_y(image, stats, k, y, x, r, c, 9)


@njit
def _share_window(yi, xi, yj, xj, r, h, w):  # pragma: no cover - compiled
    """True if pixels i and j lie in at least one window of the Laplacian."""
    y0 = max(max(yi, yj) - r, r)
    y1 = min(min(yi, yj) + r, h - 1 - r)
    x0 = max(max(xi, xj) - r, r)
    x1 = min(min(xi, xj) + r, w - 1 - r)
    return y0 <= y1 and x0 <= x1


@njit
def _fill_rows(
    image, channels, rows, col_id, known_value, win_id, stats, r, indptr, indices, data, rhs,
    acc, start, stop,
):  # pragma: no cover - compiled  # fmt: skip
    """Fill the CSR ``indices``/``data`` of each row and its known part ``rhs``.

    For pixels i, j sharing windows k (Levin et al. 2008, eq. 12)::

        L_ij = sum_k [delta_ij - (1 + (I_i - mu_k)^T M_k (I_j - mu_k)) / |w_k|]

    with ``M_k = (Sigma_k + epsilon / |w_k| I)^-1 = |w_k| S_k^-1``, i.e.
    ``L_ij = sum_k [delta_ij - 1 / |w_k| - y_i . y_j]`` with the centred
    ``y`` of :func:`_y` and ``_window_stats``. Columns with ``col_id >= 0``
    are stored; the others (known pixels) are folded into
    ``rhs[t] = -sum_j L_ij * known_value[j]``. Rows ``start .. stop - 1``
    of ``rows`` only; ``acc`` is a (4r + 1, 4r + 1) float64 work array.
    Only the numbered windows (``win_id >= 0``) count: a row whose pixel
    lies in unnumbered windows too (a known pixel next to the unknown
    region, in the soft-constrained system of information-flow matting)
    gets the part of its numbered ones. For closed-form matting every window
    of a row is numbered. ``channels`` as in :func:`_window_stats`.
    """
    h, w, _ = image.shape
    c = len(channels)
    area = (2 * r + 1) * (2 * r + 1)
    inv_area = 1.0 / area
    at = 2 if c == 1 else 9  # where the mean y of a window is stored
    for t in range(start, stop):
        p = rows[t]
        yi = p // w
        xi = p - yi * w
        acc[:, :] = 0.0
        for cy in range(max(yi - r, r), min(yi + r, h - 1 - r) + 1):
            for cx in range(max(xi - r, r), min(xi + r, w - 1 - r) + 1):
                k = win_id[cy, cx]
                if k < 0:  # a window not built (one holding no wanted row)
                    continue
                g0 = stats[k, at]
                g1 = stats[k, at + 1] if c == 3 else 0.0
                g2 = stats[k, at + 2] if c == 3 else 0.0
                u0, u1, u2 = _y(image, stats, k, yi, xi, c)
                u0 -= g0
                u1 -= g1
                u2 -= g2
                for yj in range(cy - r, cy + r + 1):
                    for xj in range(cx - r, cx + r + 1):
                        v0, v1, v2 = _y(image, stats, k, yj, xj, c)
                        # u.v is computed by the same operations for L_ij
                        # and L_ji: the matrix is exactly symmetric
                        q = u0 * (v0 - g0) + u1 * (v1 - g1) + u2 * (v2 - g2)
                        acc[yj - yi + 2 * r, xj - xi + 2 * r] -= inv_area + q
                acc[2 * r, 2 * r] += 1.0
        pos = indptr[t]
        known = 0.0
        for yj in range(max(yi - 2 * r, 0), min(yi + 2 * r + 1, h)):
            for xj in range(max(xi - 2 * r, 0), min(xi + 2 * r + 1, w)):
                if not _share_window(yi, xi, yj, xj, r, h, w):
                    continue
                v = acc[yj - yi + 2 * r, xj - xi + 2 * r]
                col = col_id[yj, xj]
                if col >= 0:
                    indices[pos] = col
                    data[pos] = v
                    pos += 1
                else:
                    known += v * known_value[yj, xj]
        rhs[t] = -known
