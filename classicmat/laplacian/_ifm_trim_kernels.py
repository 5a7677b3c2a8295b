"""numba kernels of information-flow matting's trimap trimming (compiled on first use).

The kernels are serial; each runs on a span of image rows or unknown pixels
and writes its own entries of the outputs only, and the callers run the
spans side by side with :mod:`classicmat._parallel`.
"""

from __future__ import annotations

import numpy as np

from .._jit import njit


@njit
def edge_expansion(image, is_fg, is_bg, radius, k_c, out, y0, y1):  # pragma: no cover - compiled
    """``out[y, x]`` for every unknown pixel: 1 if it matches a known foreground
    pixel and no background one, 2 the other way round, 0 otherwise.

    A known pixel ``q`` at distance ``d < radius`` (pixels, Euclidean)
    matches the unknown pixel ``p`` if ``|c_p - c_q| <= k_c (1 - d / radius)``
    (Euclidean colour distance): the colour tolerance shrinks to nothing at
    ``radius``. Known pixels get 0. Image rows ``y0 .. y1 - 1``.
    """
    h, w, c = image.shape
    r = int(np.ceil(radius))
    for y in range(y0, y1):
        for x in range(w):
            out[y, x] = 0
            if is_fg[y, x] or is_bg[y, x]:
                continue
            hit_f = False
            hit_b = False
            for yy in range(max(y - r, 0), min(y + r + 1, h)):
                for xx in range(max(x - r, 0), min(x + r + 1, w)):
                    f = is_fg[yy, xx]
                    if not (f or is_bg[yy, xx]) or (f and hit_f) or (not f and hit_b):
                        continue
                    d = np.sqrt((yy - y) * (yy - y) + (xx - x) * (xx - x))
                    if d >= radius:
                        continue
                    s = 0.0
                    for ch in range(c):
                        u = image[yy, xx, ch] - image[y, x, ch]
                        s += u * u
                    tol = k_c * (1.0 - d / radius)
                    if s <= tol * tol:
                        if f:
                            hit_f = True
                        else:
                            hit_b = True
            if hit_f and not hit_b:
                out[y, x] = 1
            elif hit_b and not hit_f:
                out[y, x] = 2


@njit
def window_gaussians(image, ridge, mean, cov, logdet, y0, y1):  # pragma: no cover - compiled
    """Mean ``mean[p]`` (C), covariance ``cov[p]`` (upper triangle: 00, 01, 02,
    11, 12, 22 for RGB; 00 for gray) plus ``ridge`` on the diagonal, and its log
    determinant, of the 3 x 3 window around every pixel (the pixels of the
    window inside the image; covariance normalised by their number). Image
    rows ``y0 .. y1 - 1``."""
    h, w, c = image.shape
    for y in range(y0, y1):
        for x in range(w):
            p = y * w + x
            cnt = 0
            s0 = 0.0
            s1 = 0.0
            s2 = 0.0
            q00 = 0.0
            q01 = 0.0
            q02 = 0.0
            q11 = 0.0
            q12 = 0.0
            q22 = 0.0
            for yy in range(max(y - 1, 0), min(y + 2, h)):
                for xx in range(max(x - 1, 0), min(x + 2, w)):
                    cnt += 1
                    v0 = image[yy, xx, 0]
                    s0 += v0
                    q00 += v0 * v0
                    if c == 3:
                        v1 = image[yy, xx, 1]
                        v2 = image[yy, xx, 2]
                        s1 += v1
                        s2 += v2
                        q01 += v0 * v1
                        q02 += v0 * v2
                        q11 += v1 * v1
                        q12 += v1 * v2
                        q22 += v2 * v2
            m0 = s0 / cnt
            mean[p, 0] = m0
            c00 = max(q00 / cnt - m0 * m0, 0.0) + ridge
            cov[p, 0] = c00
            if c == 3:
                m1 = s1 / cnt
                m2 = s2 / cnt
                mean[p, 1] = m1
                mean[p, 2] = m2
                c01 = q01 / cnt - m0 * m1
                c02 = q02 / cnt - m0 * m2
                c11 = max(q11 / cnt - m1 * m1, 0.0) + ridge
                c12 = q12 / cnt - m1 * m2
                c22 = max(q22 / cnt - m2 * m2, 0.0) + ridge
                cov[p, 1] = c01
                cov[p, 2] = c02
                cov[p, 3] = c11
                cov[p, 4] = c12
                cov[p, 5] = c22
                logdet[p] = _logdet3(c00, c01, c02, c11, c12, c22, ridge)
            else:
                logdet[p] = np.log(c00)


@njit(inline="always")
def _chol3(a00, a01, a02, a11, a12, a22, floor):  # pragma: no cover - compiled
    """Cholesky factor (upper, row-wise) of a 3 x 3 SPD matrix, pivots >= ``floor``."""
    r00 = np.sqrt(max(a00, floor))
    r01 = a01 / r00
    r02 = a02 / r00
    r11 = np.sqrt(max(a11 - r01 * r01, floor))
    r12 = (a12 - r01 * r02) / r11
    r22 = np.sqrt(max(a22 - r02 * r02 - r12 * r12, floor))
    return r00, r01, r02, r11, r12, r22


@njit(inline="always")
def _logdet3(a00, a01, a02, a11, a12, a22, floor):  # pragma: no cover - compiled
    r00, r01, r02, r11, r12, r22 = _chol3(a00, a01, a02, a11, a12, a22, floor * 1e-6)
    return 2.0 * (np.log(r00) + np.log(r11) + np.log(r22))


@njit(inline="always")
def _bhattacharyya(mean, cov, logdet, p, q, c, floor):  # pragma: no cover - compiled
    """Bhattacharyya distance of the Gaussians of pixels ``p`` and ``q``:
    ``(1/8) d^T S^-1 d + (1/2) ln(det S / sqrt(det S_p det S_q))`` with
    ``S = (S_p + S_q) / 2`` and ``d`` the difference of the means."""
    if c == 1:
        s = 0.5 * (cov[p, 0] + cov[q, 0])
        d = mean[p, 0] - mean[q, 0]
        return 0.125 * d * d / s + 0.5 * (np.log(s) - 0.5 * (logdet[p] + logdet[q]))
    a00 = 0.5 * (cov[p, 0] + cov[q, 0])
    a01 = 0.5 * (cov[p, 1] + cov[q, 1])
    a02 = 0.5 * (cov[p, 2] + cov[q, 2])
    a11 = 0.5 * (cov[p, 3] + cov[q, 3])
    a12 = 0.5 * (cov[p, 4] + cov[q, 4])
    a22 = 0.5 * (cov[p, 5] + cov[q, 5])
    r00, r01, r02, r11, r12, r22 = _chol3(a00, a01, a02, a11, a12, a22, floor * 1e-6)
    d0 = mean[p, 0] - mean[q, 0]
    d1 = mean[p, 1] - mean[q, 1]
    d2 = mean[p, 2] - mean[q, 2]
    # |R^-T d|^2 = d^T S^-1 d
    y0 = d0 / r00
    y1 = (d1 - r01 * y0) / r11
    y2 = (d2 - r02 * y0 - r12 * y1) / r22
    maha = y0 * y0 + y1 * y1 + y2 * y2
    logdet_s = 2.0 * (np.log(r00) + np.log(r11) + np.log(r22))
    return 0.125 * maha + 0.5 * (logdet_s - 0.5 * (logdet[p] + logdet[q]))


@njit
def best_match(
    mean, cov, logdet, rows, candidates, floor, out, start, stop
):  # pragma: no cover - compiled
    """``out[t]``: the smallest Bhattacharyya distance from the window of pixel
    ``rows[t]`` to those of the pixels ``candidates[t, :]``, for ``t`` in
    ``start .. stop - 1``."""
    m, k = candidates.shape
    c = mean.shape[1]
    for t in range(start, stop):
        best = np.inf
        p = rows[t]
        for j in range(k):
            q = candidates[t, j]
            b = _bhattacharyya(mean, cov, logdet, p, q, c, floor)
            if b < best:
                best = b
        out[t] = best
