"""Numba kernels of the multifrontal Cholesky solver (:mod:`._multifrontal`).

Every kernel takes contiguous arrays and scalars only. Matrices of the factor
and of the update stack are stored column-major (Fortran order) in flat
buffers, so that the dense steps can run in place through LAPACK/BLAS.
Compiled lazily on first call and cached on disk (see :mod:`classicmat._jit`).
"""

from __future__ import annotations

import numpy as np

from .._ahead import wait
from .._jit import njit
from ._blas_kernels import call_fortran


@njit(signatures=("void(int64[::1], int64, int64)",))
def heapsort(a, lo, hi):
    """Sort ``a[lo:hi]`` in place (heapsort: no allocation, O(n log n)).

    Kernels sort with this rather than ``np.sort``, whose numba version
    costs about a second of compilation per process on a cold cache.
    """
    n = hi - lo
    start = n // 2
    end = n
    while end > 1:
        if start > 0:  # building the heap
            start -= 1
        else:  # moving the largest to the end
            end -= 1
            v = a[lo + end]
            a[lo + end] = a[lo]
            a[lo] = v
        root = start
        while True:  # sift a[lo + root] down
            child = 2 * root + 1
            if child >= end:
                break
            if child + 1 < end and a[lo + child] < a[lo + child + 1]:
                child += 1
            if a[lo + root] < a[lo + child]:
                v = a[lo + root]
                a[lo + root] = a[lo + child]
                a[lo + child] = v
                root = child
            else:
                break


@njit
def coupling_reach(indptr, indices, y, x):
    """Largest ``|dy|`` and ``|dx|`` between coupled unknowns (nonzeros of ``A``)."""
    ry = 0
    rx = 0
    for i in range(len(indptr) - 1):
        for p in range(indptr[i], indptr[i + 1]):
            j = indices[p]
            dy = abs(y[i] - y[j])
            dx = abs(x[i] - x[j])
            if dy > ry:
                ry = dy
            if dx > rx:
                rx = dx
    return ry, rx


@njit
def _best_cut(v, seg, lo, hi, t, counts, min_side):
    """Best band ``[c, c + t)`` of coordinate ``v`` to cut ``seg[lo:hi]``.

    Returns ``(c, band, left, vmin)`` with ``c`` relative to ``vmin`` (``c = -1``
    when no cut leaves both sides non-empty). A band without pixels (two
    unconnected parts) wins, the most balanced one; otherwise the thinnest
    band among the cuts that leave at least ``min_side`` pixels on each side,
    closest to the median on ties.
    """
    cnt = hi - lo
    vmin = v[seg[lo]]
    vmax = vmin
    for q in range(lo, hi):
        w = v[seg[q]]
        if w < vmin:
            vmin = w
        if w > vmax:
            vmax = w
    ext = vmax - vmin + 1
    if ext < t + 2:
        return -1, 0, 0, vmin
    counts[: ext + 1] = 0
    for q in range(lo, hi):
        counts[v[seg[q]] - vmin + 1] += 1
    for c in range(1, ext + 1):
        counts[c] += counts[c - 1]  # counts[c] = pixels with v - vmin < c
    best_c = -1
    best_band = cnt + 1
    best_imb = cnt + 1
    zero_c = -1
    zero_imb = cnt + 1
    for c in range(1, ext - t):
        left = counts[c]
        band = counts[c + t] - left
        right = cnt - left - band
        if left == 0 or right == 0:
            continue
        imb = abs(left - right)
        if band == 0:
            if imb < zero_imb:
                zero_imb = imb
                zero_c = c
            continue
        if left < min_side or right < min_side:
            continue
        if band < best_band or (band == best_band and imb < best_imb):
            best_band = band
            best_imb = imb
            best_c = c
    if zero_c >= 0:
        return zero_c, 0, counts[zero_c], vmin
    if best_c < 0:  # no balanced cut: the one closest to the median
        for c in range(1, ext - t):
            left = counts[c]
            band = counts[c + t] - left
            right = cnt - left - band
            if left == 0 or right == 0:
                continue
            imb = abs(left - right)
            if imb < best_imb:
                best_imb = imb
                best_band = band
                best_c = c
    if best_c < 0:
        return -1, 0, 0, vmin
    return best_c, best_band, counts[best_c], vmin


@njit
def nested_dissection(y, x, ty, tx, leaf_size, balance, perm, node_ptr, seg, tmp, counts, stack):
    """Geometric nested dissection of the pixels ``(y, x)``.

    A box of pixels is cut along its longer side by a band ``ty`` rows (or
    ``tx`` columns) thick, the coupling reach of the matrix, so that no
    nonzero joins the two sides; the sides are dissected recursively and the
    band becomes their separator, numbered after them (postorder). Parts of at
    most ``leaf_size`` pixels, or that cannot be cut, are leaves.

    Writes ``perm`` (n) and ``node_ptr`` (n + 1) and returns the number of
    nodes ``N``: ``perm[new] = old`` and the pixels of node ``j`` are
    ``perm[node_ptr[j]:node_ptr[j + 1]]`` for ``j < N``. Work arrays: ``seg``
    (``0 .. n - 1``), ``tmp`` (n), ``counts`` (the largest coordinate + 3)
    and ``stack`` (``(2 n + 16, 3)``), all int64.
    """
    n = len(y)
    node_ptr[0] = 0
    nnodes = 0
    out = 0
    # stack of (lo, hi, emit): emit=1 -> seg[lo:hi] is a separator to number
    sp = 0
    if n > 0:
        stack[0, 0] = 0
        stack[0, 1] = n
        stack[0, 2] = 0
        sp = 1
    while sp > 0:
        sp -= 1
        lo = stack[sp, 0]
        hi = stack[sp, 1]
        emit = stack[sp, 2]
        cnt = hi - lo
        cut = -1
        v = y
        t = ty
        if emit == 0 and cnt > leaf_size:
            min_side = int(balance * cnt)
            cy, by, ly, ymin = _best_cut(y, seg, lo, hi, ty, counts, min_side)
            cx, bx, lx, xmin = _best_cut(x, seg, lo, hi, tx, counts, min_side)
            # extent decides the axis unless one axis splits for free
            ey = 0
            ex = 0
            if cy >= 0:
                ey = 1
            if cx >= 0:
                ex = 1
            if ey == 1 and ex == 1:
                if by == 0 and bx > 0:
                    ex = 0
                elif bx == 0 and by > 0:
                    ey = 0
                else:
                    # longer side of the bounding box
                    hy = 0
                    hx = 0
                    for q in range(lo, hi):
                        hy = max(hy, y[seg[q]] - ymin)
                        hx = max(hx, x[seg[q]] - xmin)
                    if hy >= hx:
                        ex = 0
                    else:
                        ey = 0
            if ey == 1:
                v = y
                cut = ymin + cy
                t = ty
            elif ex == 1:
                v = x
                cut = xmin + cx
                t = tx
        if cut < 0:  # leaf or separator: number its pixels now
            for q in range(lo, hi):
                perm[out] = seg[q]
                out += 1
            nnodes += 1
            node_ptr[nnodes] = out
            continue
        # three-way partition of seg[lo:hi]: left | right | band
        nl = 0
        nr = 0
        for q in range(lo, hi):
            w = v[seg[q]]
            if w < cut:
                nl += 1
            elif w >= cut + t:
                nr += 1
        il = lo
        ir = lo + nl
        ib = lo + nl + nr
        for q in range(lo, hi):
            s = seg[q]
            w = v[s]
            if w < cut:
                tmp[il] = s
                il += 1
            elif w >= cut + t:
                tmp[ir] = s
                ir += 1
            else:
                tmp[ib] = s
                ib += 1
        for q in range(lo, hi):
            seg[q] = tmp[q]
        if nl + nr < cnt:
            stack[sp, 0] = lo + nl + nr
            stack[sp, 1] = hi
            stack[sp, 2] = 1
            sp += 1
        stack[sp, 0] = lo + nl
        stack[sp, 1] = lo + nl + nr
        stack[sp, 2] = 0
        sp += 1
        stack[sp, 0] = lo
        stack[sp, 1] = lo + nl
        stack[sp, 2] = 0
        sp += 1
    return nnodes


@njit
def symbolic(
    node_ptr, indptr, indices, perm, iperm, parent, sptr, struct, owner, mark, head, nxt, buf
):
    """Row structure of every front and the assembly tree.

    ``struct[sptr[j]:sptr[j + 1]]`` (sorted, new numbering) are the rows of
    node ``j``'s front below its own pixels: the pixels of later nodes coupled
    to ``j``'s subtree. The parent of ``j`` is the node owning the first of
    them (-1 for a root).

    Writes ``parent`` (N), ``sptr`` (N + 1) and ``struct`` (a capacity
    chosen by the caller); returns ``sptr[N]``, or ``-1`` when ``struct`` is
    too small (retry with a larger one). Work arrays (int64): ``owner``,
    ``mark`` and ``buf`` (n), ``head`` and ``nxt`` (N).
    """
    N = len(node_ptr) - 1
    cap = len(struct)
    for j in range(N):
        owner[node_ptr[j] : node_ptr[j + 1]] = j
    mark[:] = -1
    parent[:] = -1
    head[:] = -1  # children as linked lists
    nxt[:] = -1
    sptr[0] = 0
    for j in range(N):
        start = node_ptr[j]
        end = node_ptr[j + 1]
        cnt = 0
        for g in range(start, end):
            o = perm[g]
            for p in range(indptr[o], indptr[o + 1]):
                h = iperm[indices[p]]
                if h >= end and mark[h] != j:
                    mark[h] = j
                    buf[cnt] = h
                    cnt += 1
        c = head[j]
        while c >= 0:
            for p in range(sptr[c], sptr[c + 1]):
                h = struct[p]
                if h >= end and mark[h] != j:
                    mark[h] = j
                    buf[cnt] = h
                    cnt += 1
            c = nxt[c]
        heapsort(buf, 0, cnt)
        if sptr[j] + cnt > cap:
            return -1
        for q in range(cnt):
            struct[sptr[j] + q] = buf[q]
        sptr[j + 1] = sptr[j] + cnt
        if cnt > 0:
            p = owner[buf[0]]
            parent[j] = p
            nxt[j] = head[p]
            head[p] = j
    return sptr[N]


@njit
def tree_postorder(parent, order, head, nxt, stack, it):
    """Write into ``order`` a postorder of the forest ``parent`` that keeps the
    given order of siblings (work arrays: ``head``, ``nxt``, ``stack``, ``it``,
    int64, as long as ``parent``)."""
    N = len(parent)
    head[:] = -1
    nxt[:] = -1
    for j in range(N - 1, -1, -1):  # children lists in increasing order
        p = parent[j]
        if p >= 0:
            nxt[j] = head[p]
            head[p] = j
    k = 0
    for r in range(N):
        if parent[r] >= 0:
            continue
        sp = 0
        stack[0] = r
        it[0] = head[r]
        while sp >= 0:
            c = it[sp]
            if c >= 0:
                it[sp] = nxt[c]
                sp += 1
                stack[sp] = c
                it[sp] = head[c]
            else:
                order[k] = stack[sp]
                k += 1
                sp -= 1


@njit
def plan_groups(sptr, group, child_ptr, child_idx, foff, uoff, peaks, tops):
    """Stack offsets when the nodes are factorised in groups, each on its own stack.

    ``group[j]`` is the group of node ``j`` (0 .. n_groups - 1). Each group
    processes its nodes in postorder on a stack of its own, as :func:`plan`
    does for all of them: a front is assembled on top of its group's stack
    and its update matrix moved down to where the update of its first child
    *of the same group* began (children of other groups left theirs on their
    own stacks). Writes ``foff`` and ``uoff`` relative to the group's stack
    and ``peaks[g]``, the size each group's stack needs (``tops``: work,
    one per group).
    """
    N = len(group)
    tops[:] = 0
    peaks[:] = 0
    for j in range(N):
        g = group[j]
        m = sptr[j + 1] - sptr[j]
        top = tops[g]
        base = top
        for q in range(child_ptr[j], child_ptr[j + 1]):
            c = child_idx[q]
            if group[c] == g:
                base = uoff[c]
                break
        foff[j] = top
        peaks[g] = max(peaks[g], top + m * m)
        uoff[j] = base
        tops[g] = base + m * m


@njit
def assemble(
    j, node_ptr, sptr, struct, child_ptr, child_idx, uoff,
    indptr, indices, data, perm, iperm, pos, lbuf, lo, stack, foff,
):  # fmt: skip
    """Assemble the front of node ``j``: entries of ``A`` plus children's updates.

    Writes the lower triangle of the front: ``F11`` and ``F21`` into ``lbuf``
    at ``lo`` (the factor buffer, or a float64 work buffer), ``F22`` onto the
    stack at ``foff[j]``.
    """
    start = node_ptr[j]
    k = node_ptr[j + 1] - start
    s0 = sptr[j]
    m = sptr[j + 1] - s0
    l21 = lo + k * k
    fo = foff[j]
    for i in range(k):
        pos[start + i] = i
    for i in range(m):
        pos[struct[s0 + i]] = k + i
    lbuf[lo : lo + k * k + m * k] = 0.0
    for c in range(m):  # lower triangle of F22 only
        stack[fo + c * m + c : fo + (c + 1) * m] = 0.0
    for i in range(k):
        g = start + i
        o = perm[g]
        for p in range(indptr[o], indptr[o + 1]):
            h = iperm[indices[p]]
            if h >= g:
                r = pos[h]
                if r < k:
                    lbuf[lo + i * k + r] += data[p]
                else:
                    lbuf[l21 + i * m + (r - k)] += data[p]
    for q in range(child_ptr[j], child_ptr[j + 1]):
        c = child_idx[q]
        cs = sptr[c]
        mc = sptr[c + 1] - cs
        uo = uoff[c]
        for b in range(mc):
            lb = pos[struct[cs + b]]
            col = uo + b * mc
            if lb < k:
                for a in range(b, mc):
                    la = pos[struct[cs + a]]
                    if la < k:
                        lbuf[lo + lb * k + la] += stack[col + a]
                    else:
                        lbuf[l21 + lb * m + (la - k)] += stack[col + a]
            else:
                dst = fo + (lb - k) * m - k
                for a in range(b, mc):
                    stack[dst + pos[struct[cs + a]]] += stack[col + a]


#: Order of the routines in the ``blas`` argument of :func:`factor_nodes`.
FACTOR_ROUTINES = ("dpotrf", "dtrsm", "dsyrk")


@njit
def factor_nodes(
    nodes, node_ptr, sptr, struct, child_ptr, child_idx, uoff, foff,
    indptr, indices, data, perm, iperm, pos, lbuf, loff, stack, front, packed, blas,
):  # fmt: skip
    """Assemble and factorise the fronts ``nodes`` (a postorder) in turn, without the GIL.

    Front ``j`` (``k`` pixels, ``m`` below): :func:`assemble`, then LAPACK
    ``dpotrf`` (``F11 = L11 L11^T``), BLAS ``dtrsm`` (``L21 = F21 L11^-T``)
    and ``dsyrk`` (``F22 -= L21 L21^T``, the update of its parent), called at
    the addresses ``blas`` (:data:`FACTOR_ROUTINES`,
    :func:`._blas_kernels.addresses`). The factor goes to ``lbuf`` at
    ``loff[j]``, where the front is assembled and factorised (``front`` is
    ``lbuf``), or, if ``packed`` (a float32 ``lbuf``), the front is
    factorised in the float64 work buffer ``front`` and stored packed:
    ``L11``'s lower triangle, column after column, then ``L21``. Threads may
    run disjoint subtrees, each with its own ``pos``, ``front`` (if packed)
    and region of ``stack``.

    Returns -1, or the pixel (row of ``A``) whose pivot was not positive.
    """
    chars = np.empty(4, np.uint8)  # L, R, T, N
    chars[0] = 76
    chars[1] = 82
    chars[2] = 84
    chars[3] = 78
    ints = np.empty(3, np.int32)  # k, m, info
    reals = np.empty(2, np.float64)  # 1, -1
    reals[0] = 1.0
    reals[1] = -1.0
    # addresses as int64 (uint64 plus int64 offsets would be float64 in numba)
    c_at = np.int64(chars.ctypes.data)
    i_at = np.int64(ints.ctypes.data)
    r_at = np.int64(reals.ctypes.data)
    s_at = np.int64(stack.ctypes.data)
    for t in range(nodes.size):
        j = nodes[t]
        k = node_ptr[j + 1] - node_ptr[j]
        m = sptr[j + 1] - sptr[j]
        lo = loff[j]
        wo = 0 if packed else lo
        assemble(
            j, node_ptr, sptr, struct, child_ptr, child_idx, uoff,
            indptr, indices, data, perm, iperm, pos, front, wo, stack, foff,
        )  # fmt: skip
        at = np.int64(front.ctypes.data) + 8 * wo
        ints[0] = k
        ints[1] = m
        ints[2] = 0
        call_fortran(blas[0], (c_at, i_at, at, i_at, i_at + 8))  # dpotrf L, k, F11, k
        if ints[2] != 0:
            return perm[node_ptr[j] + ints[2] - 1]
        if m > 0:
            l21 = at + 8 * k * k
            # dtrsm R, L, T, N, m, k, 1, L11, k, L21, m
            call_fortran(
                blas[1], (c_at + 1, c_at, c_at + 2, c_at + 3, i_at + 4, i_at, r_at, at, i_at,
                          l21, i_at + 4),
            )  # fmt: skip
            fo = foff[j]
            uo = uoff[j]
            # dsyrk L, N, m, k, -1, L21, m, 1, F22, m
            call_fortran(
                blas[2], (c_at, c_at + 3, i_at + 4, i_at, r_at + 8, l21, i_at + 4, r_at,
                          s_at + 8 * fo, i_at + 4),
            )  # fmt: skip
            if uo < fo:  # move the update down the stack (regions may overlap)
                for i in range(m * m):
                    stack[uo + i] = stack[fo + i]
            elif uo > fo:
                for i in range(m * m - 1, -1, -1):
                    stack[uo + i] = stack[fo + i]
        if packed:
            q = lo
            for c in range(k):
                for r in range(c, k):
                    lbuf[q] = front[c * k + r]
                    q += 1
            for i in range(m * k):
                lbuf[q + i] = front[k * k + i]
    return -1


@njit
def renumber(node_ptr, sptr, struct, order, new_ptr, new_sptr, new_struct, newpos):
    """Renumber the nodes (and their pixels) in the node order ``order``.

    Writes the new node ranges ``new_ptr`` and ``new_sptr`` (N + 1), the
    structures ``new_struct`` (mapped and sorted per node; as long as
    ``struct``) and ``newpos[old] = new`` for the positions of the pixels.
    """
    N = len(order)
    new_ptr[0] = 0
    new_sptr[0] = 0
    for q in range(N):
        j = order[q]
        k = node_ptr[j + 1] - node_ptr[j]
        new_ptr[q + 1] = new_ptr[q] + k
        new_sptr[q + 1] = new_sptr[q] + sptr[j + 1] - sptr[j]
        for i in range(k):
            newpos[node_ptr[j] + i] = new_ptr[q] + i
    for q in range(N):
        j = order[q]
        s0 = new_sptr[q]
        for p in range(sptr[j], sptr[j + 1]):
            new_struct[s0 + p - sptr[j]] = newpos[struct[p]]
        heapsort(new_struct, s0, new_sptr[q + 1])


@njit
def supernodal_solve(node_ptr, sptr, struct, lbuf, loff, packed, forward, backward, y):
    """Overwrite ``y`` (new numbering) with ``(L L^T)^{-1} y``.

    Node ``j``'s ``L11`` is stored at ``loff[j]`` column-major, full
    (``packed = 0``) or its lower triangle only, column after column
    (``packed = 1``); ``L21`` (column-major) follows it. ``forward`` and
    ``backward`` (0 or 1) choose the substitutions: ``L^{-1} y``, then
    ``L^{-T}`` of that.
    """
    N = len(node_ptr) - 1
    mmax = 0
    for j in range(N):
        mmax = max(mmax, sptr[j + 1] - sptr[j])
    t = np.empty(mmax, np.float64)
    for j in range(N if forward else 0):  # forward: L z = y
        start = node_ptr[j]
        k = node_ptr[j + 1] - start
        s0 = sptr[j]
        m = sptr[j + 1] - s0
        lo = loff[j]
        l21 = lo + k * k - packed * (k * (k - 1) // 2)
        t[:m] = 0.0
        for c in range(k):
            col = lo + c * k - packed * (c * (c + 1) // 2)  # + r: entry (r >= c, c)
            v = y[start + c] / lbuf[col + c]
            y[start + c] = v
            for r in range(c + 1, k):
                y[start + r] -= lbuf[col + r] * v
            col = l21 + c * m
            for r in range(m):
                t[r] += lbuf[col + r] * v
        for r in range(m):
            y[struct[s0 + r]] -= t[r]
    for j in range(N - 1 if backward else -1, -1, -1):  # backward: L^T x = z
        start = node_ptr[j]
        k = node_ptr[j + 1] - start
        s0 = sptr[j]
        m = sptr[j + 1] - s0
        lo = loff[j]
        l21 = lo + k * k - packed * (k * (k - 1) // 2)
        for r in range(m):
            t[r] = y[struct[s0 + r]]
        for c in range(k - 1, -1, -1):
            s = y[start + c]
            col = l21 + c * m
            for r in range(m):
                s -= lbuf[col + r] * t[r]
            col = lo + c * k - packed * (c * (c + 1) // 2)  # + r: entry (r >= c, c)
            for r in range(c + 1, k):
                s -= lbuf[col + r] * y[start + r]
            y[start + c] = s / lbuf[col + c]


# defined last: a process may be compiling these kernels ahead (classicmat._ahead),
# and this one compiles its share of them here, before it waits for it
wait(__name__)
