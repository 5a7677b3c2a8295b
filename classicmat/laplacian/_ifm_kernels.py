"""numba kernels of information-flow matting (compiled on first use, cached on disk).

The kernels are serial; each runs on a span of rows (pixels) and writes its
own entries of the outputs only. The wrappers at the end run the spans side
by side (:mod:`classicmat._parallel`).
"""

from __future__ import annotations

import numpy as np

from .._jit import njit
from .._parallel import run_parallel, spans, thread_count


@njit(inline="always")
def _mixture(colors, p, nbr, t, k, reg, v):  # pragma: no cover - compiled
    """``v[:k]``: the weights that best mix the colours of pixels ``nbr[t, :k]``
    into the colour of pixel ``p``, summing to one (Roweis & Saul 2000).

    With ``Z`` the (k, C) differences ``c_q - c_p`` and ``G = Z Z^T + reg I``
    (the regularised neighbourhood correlation matrix), the weights are
    ``G^-1 1`` normalised to sum 1. ``G`` is k x k but ``Z`` has C <= 3
    columns, so by the push-through identity

        (reg I + Z Z^T)^-1 1 = (1 - Z (reg I + Z^T Z)^-1 Z^T 1) / reg ,

    a C x C system (solved by Cholesky; ``reg I + Z^T Z >= reg I``) instead of
    a k x k one. Returns the sum of the unnormalised weights (> 0).
    """
    c = colors.shape[1]
    # M = reg I + Z^T Z and s = Z^T 1, upper triangle
    m00 = reg
    m01 = 0.0
    m02 = 0.0
    m11 = reg
    m12 = 0.0
    m22 = reg
    s0 = 0.0
    s1 = 0.0
    s2 = 0.0
    for j in range(k):
        q = nbr[t, j]
        z0 = colors[q, 0] - colors[p, 0]
        s0 += z0
        m00 += z0 * z0
        if c == 3:
            z1 = colors[q, 1] - colors[p, 1]
            z2 = colors[q, 2] - colors[p, 2]
            s1 += z1
            s2 += z2
            m01 += z0 * z1
            m02 += z0 * z2
            m11 += z1 * z1
            m12 += z1 * z2
            m22 += z2 * z2
    # u = M^-1 s
    if c == 3:
        r00 = np.sqrt(m00)
        r01 = m01 / r00
        r02 = m02 / r00
        r11 = np.sqrt(max(m11 - r01 * r01, 1e-300))
        r12 = (m12 - r01 * r02) / r11
        r22 = np.sqrt(max(m22 - r02 * r02 - r12 * r12, 1e-300))
        y0 = s0 / r00
        y1 = (s1 - r01 * y0) / r11
        y2 = (s2 - r02 * y0 - r12 * y1) / r22
        u2 = y2 / r22
        u1 = (y1 - r12 * u2) / r11
        u0 = (y0 - r01 * u1 - r02 * u2) / r00
    else:
        u0 = s0 / m00
        u1 = 0.0
        u2 = 0.0
    total = 0.0
    for j in range(k):
        q = nbr[t, j]
        zu = (colors[q, 0] - colors[p, 0]) * u0
        if c == 3:
            zu += (colors[q, 1] - colors[p, 1]) * u1 + (colors[q, 2] - colors[p, 2]) * u2
        v[j] = 1.0 - zu
        total += v[j]
    return total


@njit
def _mixture_weights(colors, rows, nbr, reg, out, v, start, stop):  # pragma: no cover - compiled
    """``out[t, :]``: the colour-mixture weights of pixel ``rows[t]`` over its
    neighbours ``nbr[t, :]`` (see :func:`_mixture`); each row sums to 1.
    Rows ``start .. stop - 1``; ``v`` (k) is a work array."""
    k = nbr.shape[1]
    for t in range(start, stop):
        total = _mixture(colors, rows[t], nbr, t, k, reg, v)
        for j in range(k):
            out[t, j] = v[j] / total


@njit
def _known_to_unknown(
    colors, rows, nbr, k_fg, reg, w_fg, eta, v, start, stop
):  # pragma: no cover - compiled
    """The known-to-unknown flow of pixel ``rows[t]``: one mixture over its
    neighbours ``nbr[t, :k_fg]`` in the foreground and ``nbr[t, k_fg:]`` in
    the background (Aksoy et al. 2017, eqs. 1 and 4-7).

    ``w_fg[t]``: the summed foreground weights (the alpha estimate; the
    background ones sum to ``1 - w_fg[t]``). ``eta[t]``: the confidence
    ``|c_F - c_B|^2 / C`` of the layer colours ``c_F = sum_F w_q c_q / w_F``
    and ``c_B`` alike, clipped to [0, 1] (the layer colours can leave the
    colour cube); weights sums of magnitude below 1e-9 are taken as 1e-9
    with their sign (a layer that takes no part in the mixture has no
    defined colour). Rows ``start .. stop - 1``; ``v`` (k) is a work array.
    """
    k = nbr.shape[1]
    c = colors.shape[1]
    for t in range(start, stop):
        total = _mixture(colors, rows[t], nbr, t, k, reg, v)
        wf = 0.0
        f0 = 0.0
        f1 = 0.0
        f2 = 0.0
        b0 = 0.0
        b1 = 0.0
        b2 = 0.0
        for j in range(k):
            w = v[j] / total
            q = nbr[t, j]
            if j < k_fg:
                wf += w
                f0 += w * colors[q, 0]
                if c == 3:
                    f1 += w * colors[q, 1]
                    f2 += w * colors[q, 2]
            else:
                b0 += w * colors[q, 0]
                if c == 3:
                    b1 += w * colors[q, 1]
                    b2 += w * colors[q, 2]
        wb = 1.0 - wf
        df = wf if abs(wf) >= 1e-9 else (1e-9 if wf >= 0.0 else -1e-9)
        db = wb if abs(wb) >= 1e-9 else (1e-9 if wb >= 0.0 else -1e-9)
        e0 = f0 / df - b0 / db
        d = e0 * e0
        if c == 3:
            e1 = f1 / df - b1 / db
            e2 = f2 / df - b2 / db
            d += e1 * e1 + e2 * e2
        w_fg[t] = wf
        eta[t] = min(d / c, 1.0)


@njit
def _drop_self(nbr, rows, out, start, stop):  # pragma: no cover - compiled
    """``out[t]``: the list ``nbr[t]`` (one entry longer) without ``rows[t]``,
    or without its last entry if ``rows[t]`` is not in it; rows ``start ..
    stop - 1``."""
    k1 = nbr.shape[1]
    for t in range(start, stop):
        at = 0
        for j in range(k1):
            if nbr[t, j] != rows[t] and at < k1 - 1:
                out[t, at] = nbr[t, j]
                at += 1


@njit
def _mixture_rows(
    rows, nbr, weights, col_id, known_alpha, cols, vals, known, start, stop
):  # pragma: no cover - compiled
    """The rows ``e_p - sum_q w_pq e_q`` of the colour-mixture flow, by columns.

    Row ``t`` (pixel ``p = rows[t]``): ``cols[t, 0] = col_id[p]`` with value
    1, then each neighbour ``q = nbr[t, j]`` with value ``-weights[t, j]`` at
    ``cols[t, j + 1] = col_id[q]``. A pixel outside the system (``col_id <
    0``, a fixed known pixel) gets column -1 and value 0, and its part
    (``alpha_p``, or ``-w_pq alpha_q``) goes to ``known[t]``. Rows ``start ..
    stop - 1``.
    """
    k = nbr.shape[1]
    for t in range(start, stop):
        p = rows[t]
        cp = col_id[p]
        s = 0.0
        if cp >= 0:
            cols[t, 0] = cp
            vals[t, 0] = 1.0
        else:
            cols[t, 0] = -1
            vals[t, 0] = 0.0
            s = known_alpha[p]
        for j in range(k):
            q = nbr[t, j]
            cq = col_id[q]
            if cq >= 0:
                cols[t, j + 1] = cq
                vals[t, j + 1] = -weights[t, j]
            else:
                cols[t, j + 1] = -1
                vals[t, j + 1] = 0.0
                s -= weights[t, j] * known_alpha[q]
        known[t] = s


@njit
def _names_any(nbr, rows, flag, out, start, stop):  # pragma: no cover - compiled
    """``out[t]``: whether the list ``nbr[rows[t]]`` names a pixel with ``flag``
    set (-1 entries skipped). Rows ``start .. stop - 1``."""
    k = nbr.shape[1]
    for t in range(start, stop):
        p = rows[t]
        hit = False
        for j in range(k):
            q = nbr[p, j]
            if q >= 0 and flag[q]:
                hit = True
                break
        out[t] = hit


@njit
def transpose_rows(cols, vals, n_cols, indptr, indices, data):  # pragma: no cover - compiled
    """The transpose of the fixed-width rows ``cols``/``vals`` (-1 = no entry)
    as CSR ``indptr``/``indices``/``data`` (rows of the transpose in increasing
    order of the original row). ``indptr`` (n_cols + 1) must be zero."""
    m, k = cols.shape
    for t in range(m):
        for j in range(k):
            c = cols[t, j]
            if c >= 0:
                indptr[c + 1] += 1
    for c in range(n_cols):
        indptr[c + 1] += indptr[c]
    fill = indptr[:-1].copy()
    for t in range(m):
        for j in range(k):
            c = cols[t, j]
            if c >= 0:
                e = fill[c]
                indices[e] = t
                data[e] = vals[t, j]
                fill[c] = e + 1


@njit
def _mixture_apply(cols, vals, x, z, start, stop):  # pragma: no cover - compiled
    """``z[t] = (R x)[t]`` for the fixed-width mixture rows ``R`` (``cols``/``vals``,
    column -1 = no entry), rows ``start .. stop - 1``."""
    k = cols.shape[1]
    for t in range(start, stop):
        s = 0.0
        for j in range(k):
            c = cols[t, j]
            if c >= 0:
                s += vals[t, j] * x[c]
        z[t] = s


@njit
def _gather_apply(
    t_ptr, t_idx, t_val, s_ptr, s_idx, s_val, x, z, y, start, stop
):  # pragma: no cover - compiled
    """``y[i] = (R^T z)[i] + (S x)[i]`` for ``R^T`` (CSR ``t_*``) and the sparse
    rest ``S`` (CSR ``s_*``), rows ``start .. stop - 1``."""
    for i in range(start, stop):
        s = 0.0
        for e in range(t_ptr[i], t_ptr[i + 1]):
            s += t_val[e] * z[t_idx[e]]
        for e in range(s_ptr[i], s_ptr[i + 1]):
            s += s_val[e] * x[s_idx[e]]
        y[i] = s


@njit
def _squared_row_sums(ptr, data, out, start, stop):  # pragma: no cover - compiled
    """``out[i] = sum of data[ptr[i]:ptr[i + 1]] ** 2``, rows ``start .. stop - 1``."""
    for i in range(start, stop):
        s = 0.0
        for e in range(ptr[i], ptr[i + 1]):
            s += data[e] * data[e]
        out[i] = s


def _spans(n: int) -> list[tuple[int, int]]:
    return spans(n, 4 * thread_count())


def mixture_weights(colors, rows, nbr, reg, out) -> None:
    """``out`` (m, k): the colour-mixture weights (see :func:`_mixture_weights`)."""
    k = nbr.shape[1]
    run_parallel(
        lambda span: _mixture_weights(colors, rows, nbr, reg, out, np.empty(k), *span),
        _spans(nbr.shape[0]),
    )


def known_to_unknown(colors, rows, nbr, k_fg, reg, w_fg, eta) -> None:
    """``w_fg``, ``eta`` (m,): the known-to-unknown flow (see :func:`_known_to_unknown`)."""
    k = nbr.shape[1]
    run_parallel(
        lambda span: _known_to_unknown(
            colors, rows, nbr, k_fg, reg, w_fg, eta, np.empty(k), *span
        ),
        _spans(nbr.shape[0]),
    )


def drop_self(nbr, rows, out) -> None:
    """``out``: the lists without their own pixel (see :func:`_drop_self`)."""
    run_parallel(lambda span: _drop_self(nbr, rows, out, *span), _spans(nbr.shape[0]))


def mixture_rows(rows, nbr, weights, col_id, known_alpha, cols, vals, known) -> None:
    """The rows of the colour-mixture flow (see :func:`_mixture_rows`)."""
    run_parallel(
        lambda span: _mixture_rows(
            rows, nbr, weights, col_id, known_alpha, cols, vals, known, *span
        ),
        _spans(nbr.shape[0]),
    )


def names_any(nbr, rows, flag, out) -> None:
    """``out``: whether each list ``nbr[rows]`` names a flagged pixel (:func:`_names_any`)."""
    run_parallel(lambda span: _names_any(nbr, rows, flag, out, *span), _spans(rows.size))


def apply_operator(cols, vals, t_ptr, t_idx, t_val, s_ptr, s_idx, s_val, x, z, y) -> None:
    """``y = R^T (R x) + S x`` (``z``, rows of R, is scratch): two parallel passes."""
    parts = thread_count()
    run_parallel(lambda span: _mixture_apply(cols, vals, x, z, *span), spans(z.size, parts))
    run_parallel(
        lambda span: _gather_apply(t_ptr, t_idx, t_val, s_ptr, s_idx, s_val, x, z, y, *span),
        spans(y.size, parts),
    )


def squared_row_sums(ptr, data, out) -> None:
    """``out[i] = sum of data[ptr[i]:ptr[i + 1]] ** 2``."""
    run_parallel(lambda span: _squared_row_sums(ptr, data, out, *span), _spans(out.size))
