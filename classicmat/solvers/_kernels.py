"""Numba kernels of the solvers: thresholded incomplete Cholesky, triangular solves.

Every kernel takes contiguous arrays and scalars only; the public wrappers in
:mod:`classicmat.solvers.preconditioners` validate, cast and allocate.
Compiled lazily on first call and cached on disk (see :mod:`classicmat._jit`).
"""

from __future__ import annotations

import numpy as np

from .._jit import njit


@njit
def ichol_csc(n, Ap, Ai, Ax, shift, drop_tol, pattern_only, keep_diag, pivot_floor, Lp, Li, Lx):
    """Left-looking thresholded incomplete Cholesky ``A + shift*I ~= L L^T``.

    ``Ap, Ai, Ax`` hold the lower triangle of a symmetric matrix in CSC form
    (rows sorted in every column, diagonal entry first). Column ``j`` of ``L``
    is ``a_j - sum_k L_jk L_k`` over the columns ``k < j`` with ``L_jk != 0``,
    divided by the pivot; off-diagonal entries with ``|L_ij| <= drop_tol`` are
    dropped (the matrix is expected to have a unit diagonal, so this rule is
    relative). The columns ``k`` that have a nonzero in row ``j`` are found
    with linked lists (Saad 2003, section 10.4; Jones & Plassmann 1995).

    ``pattern_only`` keeps the pattern of ``A`` instead (IC(0)); ``keep_diag``
    subtracts the squares of dropped entries from the later pivots too.
    A pivot below ``pivot_floor * a_jj`` (when ``pivot_floor > 0``) is reset
    to ``a_jj``, a local repair instead of a global shift.

    ``L`` is written to ``Lp`` (n + 1), ``Li`` and ``Lx`` (a capacity
    chosen by the caller). Returns ``(status, nfixed)``: ``status`` is the
    number of nonzeros of ``L`` on success, ``0`` when ``Li``/``Lx`` are too
    small (retry with larger ones), or ``-(j + 1)`` when the pivot of column
    ``j`` is not positive (breakdown; retry with a larger ``shift``);
    ``nfixed`` counts the pivots repaired locally. (Kernels return scalars
    only: see :mod:`classicmat._jit`.)
    """
    cap = Li.shape[0]
    Lp[0] = 0
    work = np.zeros(n, np.float64)  # dense accumulator of the current column
    marked = np.zeros(n, np.bool_)
    pattern = np.empty(n, np.int64)  # rows present in the current column
    head = np.full(n, -1, np.int64)  # head[i]: first column k whose next row is i
    link = np.full(n, -1, np.int64)  # next column in the same list
    pos = np.zeros(n, np.int64)  # pos[k]: position in column k of its next row
    dsub = np.zeros(n, np.float64)  # sum of squares of row i of L so far
    in_a = np.zeros(n, np.bool_)  # row i is in the pattern of column j of A
    nnz = 0
    nfixed = 0
    for j in range(n):
        npat = 0
        diag = -dsub[j]
        ajj = 0.0
        for idx in range(Ap[j], Ap[j + 1]):
            i = Ai[idx]
            if i == j:
                diag += Ax[idx] + shift
                ajj += Ax[idx] + shift
            elif i > j:
                if not marked[i]:
                    marked[i] = True
                    pattern[npat] = i
                    npat += 1
                    in_a[i] = True
                work[i] += Ax[idx]
        k = head[j]
        head[j] = -1
        while k != -1:
            knext = link[k]
            p = pos[k]
            ljk = Lx[p]
            end = Lp[k + 1]
            for q in range(p + 1, end):
                i = Li[q]
                if not marked[i]:
                    marked[i] = True
                    pattern[npat] = i
                    npat += 1
                work[i] -= Lx[q] * ljk
            if p + 1 < end:
                pos[k] = p + 1
                r = Li[p + 1]
                link[k] = head[r]
                head[r] = k
            k = knext
        if pivot_floor > 0.0 and diag < pivot_floor * ajj and diag == diag:
            diag = ajj  # local fix of a breakdown (Kershaw 1978): restart the pivot
            nfixed += 1
        if not diag > 0.0:  # also catches NaN
            return -(j + 1), nfixed
        if nnz + npat + 1 > cap:
            return 0, nfixed
        ljj = np.sqrt(diag)
        Li[nnz] = j
        Lx[nnz] = ljj
        nnz += 1
        rows = np.sort(pattern[:npat])
        for t in range(npat):
            i = rows[t]
            v = work[i] / ljj
            keep = in_a[i] if pattern_only else abs(v) > drop_tol
            if keep:
                Li[nnz] = i
                Lx[nnz] = v
                nnz += 1
            if keep or keep_diag:
                dsub[i] += v * v
            work[i] = 0.0
            marked[i] = False
            in_a[i] = False
        Lp[j + 1] = nnz
        if Lp[j] + 1 < nnz:
            pos[j] = Lp[j] + 1
            r = Li[Lp[j] + 1]
            link[j] = head[r]
            head[r] = j
    return nnz, nfixed


@njit
def ichol_apply(Lp, Li, Lx, perm, scale, r, out):
    """``out = P^T S (L L^T)^{-1} S P r`` with ``S = diag(scale)``.

    ``perm`` is the fill-reducing permutation (``r[perm]`` is the permuted
    vector), ``scale`` the inverse square root of the diagonal of ``A``.
    ``L`` is in CSC form with the diagonal first in each column, so the
    forward solve with ``L`` and the backward solve with ``L^T`` read the
    same arrays (column ``i`` of ``L`` is row ``i`` of ``L^T``).
    """
    n = perm.shape[0]
    x = np.empty(n, np.float64)
    for i in range(n):
        x[i] = r[perm[i]] * scale[i]
    for j in range(n):  # L y = x
        start = Lp[j]
        xj = x[j] / Lx[start]
        x[j] = xj
        for q in range(start + 1, Lp[j + 1]):
            x[Li[q]] -= Lx[q] * xj
    for i in range(n - 1, -1, -1):  # L^T z = y
        start = Lp[i]
        s = x[i]
        for q in range(start + 1, Lp[i + 1]):
            s -= Lx[q] * x[Li[q]]
        x[i] = s / Lx[start]
    for i in range(n):
        out[perm[i]] = x[i] * scale[i]
