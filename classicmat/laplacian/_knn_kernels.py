"""numba kernels of the KNN Laplacian (compiled on first use, cached on disk).

The kernels are serial; each runs on a span of rows (or a chunk of pixels)
and writes its own part of the output, and :mod:`classicmat._parallel` runs
the spans side by side.
"""

from __future__ import annotations

import threading

import numpy as np

from .._jit import njit
from .._parallel import run_parallel, spans, thread_count


@njit
def _soft_kernel(features, neighbors, scale, out, start, stop):
    """``out[i, t] = max(0, 1 - |features[i] - features[neighbors[i, t]]|_1 * scale)``.

    Rows ``start .. stop - 1``; each ``i`` writes its own row of ``out``.
    """
    k = neighbors.shape[1]
    dim = features.shape[1]
    for i in range(start, stop):
        for t in range(k):
            j = neighbors[i, t]
            dist = 0.0
            for c in range(dim):
                dist += abs(features[i, c] - features[j, c])
            value = 1.0 - dist * scale
            out[i, t] = value if value > 0.0 else 0.0


@njit
def _grid_bound(features, h, w, offsets, k, n_colour, weakening, times, out, start, stop):
    """``out[p]``: the largest distance from pixel ``p`` to the ``k`` pixels nearest in the grid.

    ``offsets`` (m, 2) are (dy, dx) by increasing dy^2 + dx^2, starting with
    (0, 0); the first ``k`` inside the image are used. They are ``k``
    distinct pixels, so ``out[p]`` bounds the distance from ``p`` to its
    k-th nearest pixel in feature space from above (``inf`` if fewer than
    ``k`` offsets fall inside the image). ``features`` are in raster order;
    the distance is that of the features with their position part (columns
    ``n_colour`` on) multiplied ``times`` times by ``weakening``, computed
    as the search computes it on features weakened so in place (the same
    roundings). Pixels ``start .. stop - 1``.
    """
    dim = features.shape[1]
    for p in range(start, stop):
        y = p // w
        x = p - y * w
        found = 0
        worst = 0.0
        for o in range(offsets.shape[0]):
            yy = y + offsets[o, 0]
            xx = x + offsets[o, 1]
            if yy < 0 or yy >= h or xx < 0 or xx >= w:
                continue
            q = yy * w + xx
            s = 0.0
            for c in range(dim):
                a = features[p, c]
                b = features[q, c]
                if c >= n_colour:
                    for _ in range(times):
                        a *= weakening
                        b *= weakening
                u = a - b
                s += u * u
            if s > worst:
                worst = s
            found += 1
            if found == k:
                break
        out[p] = np.sqrt(worst) if found == k else np.inf


def grid_bound(
    features: np.ndarray,
    h: int,
    w: int,
    k: int,
    n_colour: int | None = None,
    weakening: float = 1.0,
    times: int = 0,
) -> np.ndarray:
    """(H W,) upper bounds of every pixel's k-th nearest distance (see :func:`_grid_bound`).

    ``features`` (H W, dim) are in raster order; with ``times > 0`` the
    bound is that of the features whose position part (the last
    ``dim - n_colour`` columns) is multiplied ``times`` times by ``weakening``.
    """
    radius = int(np.ceil(np.sqrt(k))) + 1  # enough even in a corner of the image
    dy, dx = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    order = np.argsort((dy * dy + dx * dx).ravel(), kind="stable")
    offsets = np.column_stack([dy.ravel()[order], dx.ravel()[order]]).astype(np.int64)
    out = np.empty(h * w)
    features = np.ascontiguousarray(features, dtype=np.float64)
    dim = features.shape[1]
    n_colour = dim if n_colour is None else int(n_colour)

    def run(span):
        _grid_bound(features, h, w, offsets, k, n_colour, float(weakening), int(times), out, *span)

    run_parallel(run, spans(h * w, 4 * thread_count()))
    return out


def may_name_unknown(
    features: np.ndarray,
    h: int,
    w: int,
    k: int,
    unknown: np.ndarray,
    to_unknown: np.ndarray,
    scale: float,
    n_colour: int | None = None,
    weakening: float = 1.0,
    times: int = 0,
) -> np.ndarray:
    """(H W,) bool: the pixels whose ``k`` nearest (themselves included) may
    hold an unknown pixel, an exact test: the unknown pixels, and the known
    pixels ``p`` with ``scale * e(p) <= u(p)``.

    ``u(p)`` is :func:`grid_bound` (``features`` in raster order, and the
    weakening of their position part, as there), an upper bound of the k-th
    distance; ``e(p)`` (``to_unknown``, flat) is the distance in the image
    to the nearest unknown pixel and ``scale`` the smallest factor of a
    position step in the (weakened) features, so ``scale * e(p)`` is a lower
    bound of the feature distance to any unknown pixel (1e-9: margin for
    the rounding of the positions). ``unknown`` is the flat mask.
    """
    bound = grid_bound(features, h, w, k, n_colour, weakening, times)
    return unknown | (scale * to_unknown * (1.0 - 1e-9) <= bound)


def soft_kernel(features: np.ndarray, neighbors: np.ndarray, scale: float) -> np.ndarray:
    """(n, k) soft kernel values of the neighbour lists (see :func:`_soft_kernel`)."""
    out = np.empty(neighbors.shape, dtype=np.float64)
    features = np.ascontiguousarray(features, dtype=np.float64)
    neighbors = np.ascontiguousarray(neighbors)

    def run(span):
        _soft_kernel(features, neighbors, float(scale), out, *span)

    run_parallel(run, spans(len(neighbors), 4 * thread_count()))
    return out


@njit
def _count_reverse(neighbors, is_row, row_id, counts, c):
    """``counts[c, row_id[i]]`` += the pixels ``j != i`` of chunk ``c`` that list ``i``.

    The pixels are split into ``counts.shape[0]`` contiguous chunks; this
    counts chunk ``c``. ``is_row[i]`` (bool) is ``row_id[i] >= 0``: tested
    first, it is 8 times smaller and stays in the cache.
    """
    n, k = neighbors.shape
    n_chunks = counts.shape[0]
    for j in range(c * n // n_chunks, (c + 1) * n // n_chunks):
        for t in range(k):
            i = neighbors[j, t]
            if i >= 0 and i != j and is_row[i]:
                counts[c, row_id[i]] += 1


@njit
def _fill_reverse(neighbors, values, binary, is_row, row_id, fill, rev_src, rev_val, c):
    """The reverse lists: pixel ``j`` listing ``i`` puts ``(j, w_ji)`` in row ``row_id[i]``.

    ``fill[c, r]`` is where chunk ``c`` writes its first entry of row ``r``
    (the chunks' parts of a row follow each other), so each row lists its
    pixels ``j`` in increasing order, as a serial loop would. This fills
    chunk ``c``. ``is_row`` as in :func:`_count_reverse`.
    """
    n, k = neighbors.shape
    n_chunks = fill.shape[0]
    for j in range(c * n // n_chunks, (c + 1) * n // n_chunks):
        for t in range(k):
            i = neighbors[j, t]
            if i >= 0 and i != j and is_row[i]:
                r = row_id[i]
                q = fill[c, r]
                rev_src[q] = j
                if not binary:
                    rev_val[q] = values[j, t]
                fill[c, r] = q + 1


@njit
def _system_rows(
    neighbors,
    values,
    binary,
    rows,
    col_id,
    n_cols,
    known_alpha,
    diag_extra,
    rev_ptr,
    rev_src,
    rev_val,
    count_only,
    indptr,
    indices,
    data,
    b,
    start,
    stop,
    stamp,
    slot,
    tmp_i,
    tmp_d,
):
    """Rows of ``L + diag(diag_extra)`` (``L = D - A``, ``A = W + W^T``) for the pixels ``rows``.

    Row ``r`` is pixel ``i = rows[r]``; its neighbours ``j`` are its own list
    (``neighbors[i]``, weights ``values[i]`` or 1 if ``binary``) and the
    pixels that list it (``rev_*``). A neighbour with ``col_id[j] >= 0``
    is the column ``col_id[j]`` of the system (entries of the same column
    are summed); one with ``col_id[j] < 0`` moves to the right-hand side,
    ``b[r] += a_ij * known_alpha[j]``. Self pairs are skipped (they cancel
    in ``D - A``). The diagonal is ``D_ii + diag_extra[i]``. Each row
    comes out sorted by column, without duplicates (canonical CSR).

    With ``count_only`` only ``indptr[r + 1]`` (entries of row ``r``) is
    written; otherwise ``indptr`` holds the row starts and ``indices``,
    ``data`` and ``b`` are filled. Rows ``start .. stop - 1``; work arrays
    of the thread: the column markers ``stamp`` (``n_cols``, int64, -1 or
    a row index of a previous call) and ``slot`` (``n_cols``, int64), and
    ``tmp_i`` (k + 1, the dtype of ``indices``) and ``tmp_d`` (k + 1).
    """
    k = neighbors.shape[1]
    for r in range(start, stop):
        i = rows[r]
        pos = 0 if count_only else indptr[r]
        first = pos
        pos += 1  # the diagonal
        degree = 0.0
        rhs = 0.0
        ci = col_id[i]
        if ci >= 0:
            stamp[ci] = r
            slot[ci] = first
        n_own = k
        n_rev = rev_ptr[r + 1] - rev_ptr[r]
        own_end = -1
        for e in range(n_own + n_rev):
            if e == n_own:
                own_end = pos
            if e < n_own:
                j = neighbors[i, e]
                if j < 0 or j == i:
                    continue
                a = 1.0 if binary else values[i, e]
            else:
                q = rev_ptr[r] + e - n_own
                j = rev_src[q]
                a = 1.0 if binary else rev_val[q]
            degree += a
            cj = col_id[j]
            if cj < 0:
                rhs += a * known_alpha[j]
                continue
            if stamp[cj] == r:
                if not count_only:
                    data[slot[cj]] -= a
                continue
            stamp[cj] = r
            slot[cj] = pos
            if not count_only:
                indices[pos] = cj
                data[pos] = -a
            pos += 1
        if count_only:
            indptr[r + 1] = pos
        else:
            indices[first] = ci
            data[first] = degree + diag_extra[i]
            b[r] = rhs
            # columns in increasing order: the diagonal and the row's own
            # list by insertion (short), the entries from the reverse lists
            # come sorted when col_id increases with the pixel (as in all
            # callers), then one merge
            if own_end < 0:
                own_end = pos
            _insertion_sort(indices, data, first, own_end)
            _insertion_sort(indices, data, own_end, pos)  # linear if sorted
            for e in range(first, own_end):
                tmp_i[e - first] = indices[e]
                tmp_d[e - first] = data[e]
            na = own_end - first
            ia = 0
            ib = own_end
            w = first
            while ia < na and ib < pos:
                if tmp_i[ia] <= indices[ib]:
                    indices[w] = tmp_i[ia]
                    data[w] = tmp_d[ia]
                    ia += 1
                else:
                    indices[w] = indices[ib]
                    data[w] = data[ib]
                    ib += 1
                w += 1
            while ia < na:
                indices[w] = tmp_i[ia]
                data[w] = tmp_d[ia]
                ia += 1
                w += 1


@njit(inline="always")
def _insertion_sort(indices, data, start, stop):
    """Sort ``indices[start:stop]`` in place, ``data`` alongside."""
    for e in range(start + 1, stop):
        col = indices[e]
        if indices[e - 1] <= col:
            continue
        val = data[e]
        f = e
        while f > start and indices[f - 1] > col:
            indices[f] = indices[f - 1]
            data[f] = data[f - 1]
            f -= 1
        indices[f] = col
        data[f] = val


def knn_system(
    neighbors: np.ndarray,
    values: np.ndarray | None,
    rows: np.ndarray,
    col_id: np.ndarray,
    n_cols: int,
    known_alpha: np.ndarray,
    diag_extra: np.ndarray,
):
    """CSR arrays ``(data, indices, indptr)`` and right-hand side of rows of the KNN system.

    See :func:`_system_rows`; the rows are sorted by column, without
    duplicates. ``values=None`` is the binary kernel (every
    weight 1). ``rows`` must map to ``col_id >= 0`` (the diagonal is a
    column of the system).
    """
    n = neighbors.shape[0]
    m = rows.shape[0]
    binary = values is None
    if binary:
        values = np.ones((1, 1))
    row_id = np.full(n, -1, dtype=np.int64)
    row_id[rows] = np.arange(m)
    is_row = row_id >= 0
    # reverse lists, counted and filled in parallel by chunks of pixels (a
    # few: each needs a count per row)
    threads = thread_count()
    n_parts = max(1, min(n, threads, 4))
    counts = np.zeros((n_parts, m), dtype=np.int64)
    run_parallel(lambda c: _count_reverse(neighbors, is_row, row_id, counts, c), range(n_parts))
    rev_ptr = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(counts.sum(axis=0), out=rev_ptr[1:])
    # chunk c starts row r after the entries of the chunks before it
    fill = np.cumsum(counts, axis=0)
    fill -= counts
    fill += rev_ptr[:-1]
    counts = None
    rev_src = np.empty(int(rev_ptr[-1]), dtype=neighbors.dtype)
    # weights of the reverse lists: none to store for the binary kernel
    rev_val = np.empty(0 if binary else int(rev_ptr[-1]), dtype=np.float64)
    run_parallel(
        lambda c: _fill_reverse(
            neighbors, values, binary, is_row, row_id, fill, rev_src, rev_val, c
        ),
        range(n_parts),
    )
    row_id = is_row = fill = None
    k = neighbors.shape[1]
    indptr = np.zeros(m + 1, dtype=np.int64)
    args = (neighbors, values, binary, rows, col_id, n_cols, known_alpha, diag_extra)
    args += (rev_ptr, rev_src, rev_val)
    local = threading.local()  # each thread's column markers, kept between spans
    row_spans = spans(m, 4 * threads)

    def run(count_only, indices, data, b):
        def span_rows(span):
            if not hasattr(local, "stamp"):
                local.stamp = np.full(n_cols, -1, np.int64)
                local.slot = np.empty(n_cols, np.int64)
                local.tmp_i = np.empty(k + 1, np.int64)
                local.tmp_d = np.empty(k + 1)
            _system_rows(
                *args, count_only, indptr, indices, data, b, *span,
                local.stamp, local.slot, local.tmp_i.astype(indices.dtype, copy=False),
                local.tmp_d,
            )  # fmt: skip

        run_parallel(span_rows, row_spans, threads=threads)

    dummy_i = np.empty(0, dtype=np.int32)
    dummy_f = np.empty(0, dtype=np.float64)
    run(True, dummy_i, dummy_f, dummy_f)
    # counts -> starts
    np.cumsum(indptr, out=indptr)
    nnz = int(indptr[-1])
    index_dtype = np.int32 if max(nnz, n_cols) < 2**31 else np.int64
    indices = np.empty(nnz, dtype=index_dtype)
    data = np.empty(nnz, dtype=np.float64)
    b = np.zeros(m, dtype=np.float64)
    run(False, indices, data, b)
    return data, indices, indptr.astype(index_dtype, copy=False), b
