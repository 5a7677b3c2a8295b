"""Numba kernels of the large-kernel matting Laplacian, applied without the matrix.

The Laplacian is closed-form matting's with a window of ``m = (2r+1)^2``
pixels (windows wholly inside the image, centred on the ``(H - 2r) x (W -
2r)`` centre grid). Its product with a vector (He, Sun & Tang 2010) needs,
per window, only box sums, whatever the radius:

- "valid" sums: for every centre, the sum of a per-pixel field over its
  window;
- "full" sums, their adjoint: for every pixel, the sum of a per-centre
  field over the windows that hold the pixel.

Each is two 1-D passes of running sums (add the entering value, subtract
the leaving one), O(1) per value (``box_h``, ``box_v``). The vertical
passes restart their running sums every ``_BLOCK`` rows, which makes the
blocks independent and keeps the drift of the running sums at a few
round-offs. Every kernel is serial and works on a span ``start:stop`` of
rows (or of blocks of rows), run side by side on threads by the caller
(:mod:`classicmat._parallel`); the blocks are fixed, so the result does not
depend on the number of threads. A product is four passes, with the
per-pixel and per-window arithmetic fused into them (``product_h``,
``product_v``, ``box_h``, ``product_out``).

With ``mu_k``, ``Sigma_k`` a window's mean and (biased) covariance and
``V_k = (Sigma_k + epsilon / m I)^-1 / m`` (``window_stats``), and the
window sums ``P_k = sum_j p_j`` and ``Q_k = sum_j p_j I_j`` of a vector
``p``, eq. 12 of Levin et al. gives

    (L p)_i = n_i p_i - sum_k [P_k / m + (I_i - mu_k)^T u_k]
            = n_i p_i + sum_k tau_k - I_i . sum_k u_k,
    u_k = V_k (Q_k - mu_k P_k),    tau_k = mu_k . u_k - P_k / m,

sums over the ``n_i`` windows holding pixel i. ``Q_k - mu_k P_k`` is formed before the
product by ``V_k`` (up to 1 / epsilon in flat windows), so that the large
terms cancel where they are small, not after.
"""

from __future__ import annotations

import numpy as np

from .._jit import njit

#: Rows per block of the vertical passes.
_BLOCK = 32


@njit
def box_h(src, r, full, out, start, stop):  # pragma: no cover - compiled
    """Horizontal pass: ``out[y, x] = sum of src[y, x + o : x + o + 2r + 1]``.

    ``o = 0`` (``full=False``: ``out`` is ``W - 2r`` wide) or ``o = -2r``
    (``full=True``: ``W + 2r`` wide); indices outside ``src`` count as 0.
    """
    h, ws, n_ch = src.shape
    wo = out.shape[1]
    off = -2 * r if full else 0
    for y in range(start, stop):
        acc = np.zeros(n_ch)
        for x in range(max(off, 0), min(off + 2 * r + 1, ws)):
            for q in range(n_ch):
                acc[q] += src[y, x, q]
        for x in range(wo):
            for q in range(n_ch):
                out[y, x, q] = acc[q]
            enter = x + off + 2 * r + 1
            leave = x + off
            if 0 <= enter < ws:
                for q in range(n_ch):
                    acc[q] += src[y, enter, q]
            if 0 <= leave < ws:
                for q in range(n_ch):
                    acc[q] -= src[y, leave, q]


@njit
def box_v(src, r, full, out, start, stop):  # pragma: no cover - compiled
    """Vertical pass, as :func:`box_h` along the rows, in blocks of ``_BLOCK`` rows."""
    hs, w, n_ch = src.shape
    ho = out.shape[0]
    off = -2 * r if full else 0
    for block in range(start, stop):
        y0 = block * _BLOCK
        y1 = min(y0 + _BLOCK, ho)
        acc = np.zeros((w, n_ch))
        for y in range(max(y0 + off, 0), min(y0 + off + 2 * r + 1, hs)):
            for x in range(w):
                for q in range(n_ch):
                    acc[x, q] += src[y, x, q]
        for y in range(y0, y1):
            for x in range(w):
                for q in range(n_ch):
                    out[y, x, q] = acc[x, q]
            if y + 1 == y1:
                break
            enter = y + off + 2 * r + 1
            leave = y + off
            if 0 <= enter < hs:
                for x in range(w):
                    for q in range(n_ch):
                        acc[x, q] += src[enter, x, q]
            if 0 <= leave < hs:
                for x in range(w):
                    for q in range(n_ch):
                        acc[x, q] -= src[leave, x, q]


@njit
def moments(image, out, start, stop):  # pragma: no cover - compiled
    """Per pixel: the colour (c values) and the products ``I_a I_b``, ``b <= a``."""
    h, w, c = image.shape
    for y in range(start, stop):
        for x in range(w):
            q = c
            for a in range(c):
                out[y, x, a] = image[y, x, a]
                for b in range(a + 1):
                    out[y, x, q] = image[y, x, a] * image[y, x, b]
                    q += 1


@njit(inline="always")
def _tri(a, b):  # pragma: no cover - compiled
    """Position of entry (a, b) of a symmetric matrix in its packed lower triangle."""
    if b > a:
        a, b = b, a
    return a * (a + 1) // 2 + b


@njit
def window_stats(sums, c, r, epsilon, stats, spread, start, stop):  # pragma: no cover - compiled
    """Per window, from the window sums of :func:`moments`: ``V_k`` (packed lower
    triangle) then ``mu_k`` in ``stats``; and, for the diagonal, ``1 - 1/m -
    mu_k^T V_k mu_k``, ``V_k mu_k`` and ``V_k`` in ``spread``.
    """
    hc, wc, _ = sums.shape
    m = (2 * r + 1) * (2 * r + 1)
    nv = c * (c + 1) // 2
    floor = epsilon / m
    for yc in range(start, stop):
        mu = np.empty(c)
        R = np.empty((c, c))
        inv = np.empty((c, c))
        for xc in range(wc):
            for a in range(c):
                mu[a] = sums[yc, xc, a] / m
            # Cholesky of Sigma + epsilon / m I = R R^T (R lower); pivots are
            # >= epsilon / m in exact arithmetic, reset to it where rounding
            # went below
            for a in range(c):
                for b in range(a + 1):
                    s = sums[yc, xc, c + _tri(a, b)] / m - mu[a] * mu[b]
                    if a == b:
                        s += floor
                    for e in range(b):
                        s -= R[a, e] * R[b, e]
                    if a == b:
                        R[a, a] = np.sqrt(max(s, floor))
                    else:
                        R[a, b] = s / R[b, b]
            # its inverse, column by column: R^-T R^-1 e_col
            for col in range(c):
                for a in range(c):
                    s = 1.0 if a == col else 0.0
                    for b in range(a):
                        s -= R[a, b] * inv[b, col]
                    inv[a, col] = s / R[a, a]
                for a in range(c - 1, -1, -1):
                    s = inv[a, col]
                    for b in range(a + 1, c):
                        s -= R[b, a] * inv[b, col]
                    inv[a, col] = s / R[a, a]
            for a in range(c):
                for b in range(a + 1):
                    # symmetrised: the two triangular solves round differently
                    v = 0.5 * (inv[a, b] + inv[b, a]) / m
                    stats[yc, xc, _tri(a, b)] = v
                    spread[yc, xc, 1 + c + _tri(a, b)] = v
            quad = 0.0
            for a in range(c):
                g = 0.0
                for b in range(c):
                    g += stats[yc, xc, _tri(a, b)] * mu[b]
                spread[yc, xc, 1 + a] = g
                stats[yc, xc, nv + a] = mu[a]
                quad += mu[a] * g
            spread[yc, xc, 0] = 1.0 - 1.0 / m - quad


@njit
def diagonal(image, spread_sums, counts_y, counts_x, out, start, stop):  # pragma: no cover
    """``L_ii = sum_k [1 - (1 + (I_i - mu_k)^T m V_k (I_i - mu_k)) / m]``, expanded:
    ``sum_k (1 - 1/m - mu_k^T V_k mu_k) + 2 I_i . sum_k V_k mu_k - I_i^T (sum_k V_k) I_i``
    (``spread_sums``: the per-window terms of :func:`window_stats` summed by
    :func:`box_full`, which already counts the ``n_i`` windows)."""
    h, w, c = image.shape
    for y in range(start, stop):
        for x in range(w):
            d = spread_sums[y, x, 0]
            for a in range(c):
                ia = image[y, x, a]
                d += 2.0 * ia * spread_sums[y, x, 1 + a]
                for b in range(c):
                    d -= ia * spread_sums[y, x, 1 + c + _tri(a, b)] * image[y, x, b]
            out[y, x] = d


@njit
def product_h(image, p, r, out, start, stop):  # pragma: no cover - compiled
    """First pass of ``L p``: the horizontal valid sums of ``(p, p I)``, per row."""
    h, w, c = image.shape
    wo = out.shape[1]
    span = 2 * r + 1
    for y in range(start, stop):
        s0 = 0.0
        s1 = 0.0
        s2 = 0.0
        s3 = 0.0
        for x in range(span):
            v = p[y, x]
            s0 += v
            s1 += v * image[y, x, 0]
            if c == 3:
                s2 += v * image[y, x, 1]
                s3 += v * image[y, x, 2]
        for x in range(wo):
            out[y, x, 0] = s0
            out[y, x, 1] = s1
            if c == 3:
                out[y, x, 2] = s2
                out[y, x, 3] = s3
            if x + 1 == wo:
                break
            v = p[y, x + span]
            u = p[y, x]
            s0 += v - u
            s1 += v * image[y, x + span, 0] - u * image[y, x, 0]
            if c == 3:
                s2 += v * image[y, x + span, 1] - u * image[y, x, 1]
                s3 += v * image[y, x + span, 2] - u * image[y, x, 2]


@njit(inline="always")
def _terms_row(acc, stats, yc, c, inv_m, terms):  # pragma: no cover - compiled
    """``(tau_k, u_k)`` of window row ``yc`` from its sums ``(P_k, Q_k)`` (flat ``acc``)."""
    wc = terms.shape[0]
    if c == 3:
        for xc in range(wc):
            P = acc[4 * xc]
            m0 = stats[yc, xc, 6]
            m1 = stats[yc, xc, 7]
            m2 = stats[yc, xc, 8]
            d0 = acc[4 * xc + 1] - m0 * P
            d1 = acc[4 * xc + 2] - m1 * P
            d2 = acc[4 * xc + 3] - m2 * P
            v00 = stats[yc, xc, 0]
            v10 = stats[yc, xc, 1]
            v11 = stats[yc, xc, 2]
            v20 = stats[yc, xc, 3]
            v21 = stats[yc, xc, 4]
            v22 = stats[yc, xc, 5]
            u0 = v00 * d0 + v10 * d1 + v20 * d2
            u1 = v10 * d0 + v11 * d1 + v21 * d2
            u2 = v20 * d0 + v21 * d1 + v22 * d2
            terms[xc, 0] = m0 * u0 + m1 * u1 + m2 * u2 - P * inv_m
            terms[xc, 1] = u0
            terms[xc, 2] = u1
            terms[xc, 3] = u2
    else:
        for xc in range(wc):
            P = acc[2 * xc]
            m0 = stats[yc, xc, 1]
            u0 = stats[yc, xc, 0] * (acc[2 * xc + 1] - m0 * P)
            terms[xc, 0] = m0 * u0 - P * inv_m
            terms[xc, 1] = u0


@njit(inline="always")
def _full_row(terms, r, row):  # pragma: no cover - compiled
    """``row[x] = sum of terms[x - 2r : x + 1]`` (clipped): the horizontal full sums."""
    wc, n_ch = terms.shape
    w = row.shape[0]
    span = 2 * r + 1
    s0 = 0.0
    s1 = 0.0
    s2 = 0.0
    s3 = 0.0
    four = n_ch == 4
    for x in range(w):
        if x < wc:
            s0 += terms[x, 0]
            s1 += terms[x, 1]
            if four:
                s2 += terms[x, 2]
                s3 += terms[x, 3]
        if x >= span:
            s0 -= terms[x - span, 0]
            s1 -= terms[x - span, 1]
            if four:
                s2 -= terms[x - span, 2]
                s3 -= terms[x - span, 3]
        row[x, 0] = s0
        row[x, 1] = s1
        if four:
            row[x, 2] = s2
            row[x, 3] = s3


@njit
def product_v(src, stats, c, r, out, start, stop):  # pragma: no cover - compiled
    """Second pass: the vertical valid sums ``(P_k, Q_k)``, turned into ``(tau_k,
    u_k)`` per window row, and their horizontal full sums into ``out`` (hc, W, 1 + c)."""
    hs, wc, n_ch = src.shape
    ho = stats.shape[0]
    inv_m = 1.0 / ((2 * r + 1) * (2 * r + 1))
    flat = src.reshape(hs, wc * n_ch)
    for block in range(start, stop):
        y0 = block * _BLOCK
        y1 = min(y0 + _BLOCK, ho)
        acc = np.zeros(wc * n_ch)
        terms = np.empty((wc, n_ch))
        for y in range(y0, y0 + 2 * r + 1):
            for j in range(wc * n_ch):
                acc[j] += flat[y, j]
        for y in range(y0, y1):
            _terms_row(acc, stats, y, c, inv_m, terms)
            _full_row(terms, r, out[y])
            if y + 1 == y1:
                break
            for j in range(wc * n_ch):
                acc[j] += flat[y + 2 * r + 1, j] - flat[y, j]


@njit
def product_out(src, image, p, counts_y, counts_x, r, out, start, stop):  # pragma: no cover
    """Last pass: the vertical full sums ``(T_i, U_i)`` of the window terms, and
    ``(L p)_i = n_i p_i + T_i - I_i . U_i``."""
    hc, w, n_ch = src.shape
    h = out.shape[0]
    c = n_ch - 1
    flat = src.reshape(hc, w * n_ch)
    for block in range(start, stop):
        y0 = block * _BLOCK
        y1 = min(y0 + _BLOCK, h)
        acc = np.zeros(w * n_ch)
        for y in range(max(y0 - 2 * r, 0), min(y0 + 1, hc)):
            for j in range(w * n_ch):
                acc[j] += flat[y, j]
        for y in range(y0, y1):
            ny = counts_y[y]
            if c == 3:
                for x in range(w):
                    out[y, x] = (
                        ny * counts_x[x] * p[y, x]
                        + acc[4 * x]
                        - image[y, x, 0] * acc[4 * x + 1]
                        - image[y, x, 1] * acc[4 * x + 2]
                        - image[y, x, 2] * acc[4 * x + 3]
                    )
            else:
                for x in range(w):
                    out[y, x] = (
                        ny * counts_x[x] * p[y, x] + acc[2 * x] - image[y, x, 0] * acc[2 * x + 1]
                    )
            if y + 1 == y1:
                break
            enter = y + 1
            leave = y - 2 * r
            if enter < hc and leave >= 0:
                for j in range(w * n_ch):
                    acc[j] += flat[enter, j] - flat[leave, j]
            elif enter < hc:
                for j in range(w * n_ch):
                    acc[j] += flat[enter, j]
            elif leave >= 0:
                for j in range(w * n_ch):
                    acc[j] -= flat[leave, j]
