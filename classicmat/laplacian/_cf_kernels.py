"""Numba kernels of the closed-form matting Laplacian.

The Laplacian is assembled row by row (a "gather"), so that rows are written
by one thread each and the parallel loops never write to shared memory:

1. ``_mark_windows``: give an id to every window (of size (2r+1)^2, centred
   at least r pixels from the border, as in the paper) that contains at least
   one pixel whose row is wanted;
2. ``_window_stats``: for each such window, its mean colour and the inverse of
   its regularised covariance;
3. ``_row_counts``: the number of stored entries of every wanted row;
4. ``_fill_rows``: the entries, in CSR order, plus the part of each row that
   multiplies known pixels, which goes to the right-hand side.
"""

from __future__ import annotations

import numpy as np

from .._jit import njit, prange


@njit(parallel=True)
def _mark_windows(is_row, r, win_id):  # pragma: no cover - compiled
    """Set ``win_id`` to 0..n-1 for windows touching a wanted row, -1 elsewhere.

    Returns the number of marked windows.
    """
    h, w = is_row.shape
    counts = np.zeros(h, dtype=np.int64)
    for y in prange(h):
        for x in range(w):
            win_id[y, x] = -1
        if y < r or y >= h - r:
            continue
        c = 0
        for x in range(r, w - r):
            hit = False
            for yy in range(y - r, y + r + 1):
                for xx in range(x - r, x + r + 1):
                    if is_row[yy, xx]:
                        hit = True
                        break
                if hit:
                    break
            if hit:
                win_id[y, x] = 1
                c += 1
        counts[y] = c
    offsets = np.zeros(h + 1, dtype=np.int64)
    for y in range(h):
        offsets[y + 1] = offsets[y] + counts[y]
    for y in prange(h):
        k = offsets[y]
        for x in range(w):
            if win_id[y, x] == 1:
                win_id[y, x] = k
                k += 1
    return offsets[h]


@njit(parallel=True)
def _window_stats(image, win_id, r, epsilon, stats):  # pragma: no cover - compiled
    """Mean and inverse regularised covariance of every marked window.

    ``stats[k, :c]`` holds the mean colour of window k; ``stats[k, c:]`` the
    upper triangle of ``(Sigma_k + epsilon / |w| I)^-1`` (1 value for gray,
    6 for colour: m00 m01 m02 m11 m12 m22).
    """
    h, w, c = image.shape
    area = (2 * r + 1) * (2 * r + 1)
    for y in prange(h):
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
                v = 0.0
                for yy in range(y - r, y + r + 1):
                    for xx in range(x - r, x + r + 1):
                        d = image[yy, xx, 0] - mu
                        v += d * d
                stats[k, 0] = mu
                stats[k, 1] = 1.0 / ((v + epsilon) / area)
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
                # Centred sums: Sigma = sum (I - mu)(I - mu)^T / |w|, and the
                # regulariser epsilon / |w| I, i.e. (sums + epsilon I) / |w|.
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
                a00 /= area
                a01 /= area
                a02 /= area
                a11 /= area
                a12 /= area
                a22 /= area
                # inverse of the symmetric 3x3 matrix by cofactors
                c00 = a11 * a22 - a12 * a12
                c01 = a02 * a12 - a01 * a22
                c02 = a01 * a12 - a02 * a11
                c11 = a00 * a22 - a02 * a02
                c12 = a01 * a02 - a00 * a12
                c22 = a00 * a11 - a01 * a01
                inv_det = 1.0 / (a00 * c00 + a01 * c01 + a02 * c02)
                stats[k, 0] = m0
                stats[k, 1] = m1
                stats[k, 2] = m2
                stats[k, 3] = c00 * inv_det
                stats[k, 4] = c01 * inv_det
                stats[k, 5] = c02 * inv_det
                stats[k, 6] = c11 * inv_det
                stats[k, 7] = c12 * inv_det
                stats[k, 8] = c22 * inv_det


@njit
def _share_window(yi, xi, yj, xj, r, h, w):  # pragma: no cover - compiled
    """True if pixels i and j lie in at least one window of the Laplacian."""
    y0 = max(max(yi, yj) - r, r)
    y1 = min(min(yi, yj) + r, h - 1 - r)
    x0 = max(max(xi, xj) - r, r)
    x1 = min(min(xi, xj) + r, w - 1 - r)
    return y0 <= y1 and x0 <= x1


@njit(parallel=True)
def _row_counts(rows, col_id, r, counts):  # pragma: no cover - compiled
    """Number of stored entries (columns with ``col_id >= 0``) of each row."""
    h, w = col_id.shape
    for t in prange(rows.size):
        p = rows[t]
        yi = p // w
        xi = p - yi * w
        n = 0
        for yj in range(max(yi - 2 * r, 0), min(yi + 2 * r + 1, h)):
            for xj in range(max(xi - 2 * r, 0), min(xi + 2 * r + 1, w)):
                if col_id[yj, xj] >= 0 and _share_window(yi, xi, yj, xj, r, h, w):
                    n += 1
        counts[t] = n


@njit(parallel=True)
def _fill_rows(
    image, rows, col_id, known_value, win_id, stats, r, indptr, indices, data, rhs
):  # pragma: no cover - compiled
    """Fill the CSR ``indices``/``data`` of each row and its known part ``rhs``.

    For pixels i, j sharing windows k (Levin et al. 2008, eq. 12)::

        L_ij = sum_k [delta_ij - (1 + (I_i - mu_k)^T M_k (I_j - mu_k)) / |w_k|]

    with ``M_k = (Sigma_k + epsilon / |w_k| I)^-1``. Columns with
    ``col_id >= 0`` are stored; the others (known pixels) are folded into
    ``rhs[t] = -sum_j L_ij * known_value[j]``.
    """
    h, w, c = image.shape
    area = (2 * r + 1) * (2 * r + 1)
    inv_area = 1.0 / area
    size = 4 * r + 1
    n_rows = rows.size
    n_chunks = min(n_rows, 256)
    for chunk in prange(n_chunks):
        acc = np.empty((size, size))
        start = chunk * n_rows // n_chunks
        stop = (chunk + 1) * n_rows // n_chunks
        for t in range(start, stop):
            p = rows[t]
            yi = p // w
            xi = p - yi * w
            acc[:, :] = 0.0
            for cy in range(max(yi - r, r), min(yi + r, h - 1 - r) + 1):
                for cx in range(max(xi - r, r), min(xi + r, w - 1 - r) + 1):
                    k = win_id[cy, cx]
                    if c == 1:
                        e0 = image[yi, xi, 0] - stats[k, 0]
                        for yj in range(cy - r, cy + r + 1):
                            for xj in range(cx - r, cx + r + 1):
                                d0 = image[yj, xj, 0] - stats[k, 0]
                                q = stats[k, 1] * (e0 * d0)
                                acc[yj - yi + 2 * r, xj - xi + 2 * r] -= (1.0 + q) * inv_area
                    else:
                        e0 = image[yi, xi, 0] - stats[k, 0]
                        e1 = image[yi, xi, 1] - stats[k, 1]
                        e2 = image[yi, xi, 2] - stats[k, 2]
                        m00 = stats[k, 3]
                        m01 = stats[k, 4]
                        m02 = stats[k, 5]
                        m11 = stats[k, 6]
                        m12 = stats[k, 7]
                        m22 = stats[k, 8]
                        for yj in range(cy - r, cy + r + 1):
                            for xj in range(cx - r, cx + r + 1):
                                d0 = image[yj, xj, 0] - stats[k, 0]
                                d1 = image[yj, xj, 1] - stats[k, 1]
                                d2 = image[yj, xj, 2] - stats[k, 2]
                                # e^T M d written symmetrically in (e, d), so
                                # that L_ij and L_ji round identically.
                                q = (
                                    m00 * (e0 * d0)
                                    + m11 * (e1 * d1)
                                    + m22 * (e2 * d2)
                                    + m01 * (e0 * d1 + e1 * d0)
                                    + m02 * (e0 * d2 + e2 * d0)
                                    + m12 * (e1 * d2 + e2 * d1)
                                )
                                acc[yj - yi + 2 * r, xj - xi + 2 * r] -= (1.0 + q) * inv_area
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
