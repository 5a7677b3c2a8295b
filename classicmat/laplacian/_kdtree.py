"""An exact k-nearest-neighbour search of every point of a set, in numba.

KNN matting needs the ``k`` nearest neighbours of *every* pixel in a
low-dimensional feature space (colour plus position). A KD-tree answers that;
this one is specialised for the job:

- the points are copied in tree order, so a leaf is contiguous in memory;
- the tree is balanced (middle splits); below the top levels its subtrees are
  built side by side (a thread each; :mod:`classicmat._parallel`);
- the queries are the points themselves, taken in tree order, so that
  consecutive queries walk nearly the same paths (warm caches);
- nodes keep their bounding boxes, and a subtree is skipped when the box is
  no closer than the current k-th distance (exact pruning; the box distance
  is computed without branches);
- the loops over dimensions have a compile-time length (one compiled version
  per dimension), so they are unrolled;
- the queries run on spans of points side by side, each writing its own
  output rows.

On the alphamatting.com images (about 450,000 points in 5 dimensions) it
is 1.8-2.3x faster than :class:`scipy.spatial.cKDTree` with two workers,
build included (docs/knn.md, "Neighbour search"). Distances are computed in
float64 exactly as ``cKDTree`` does; only the order among equal distances
(ties) may differ.

Compiled on first use and cached on disk.
"""

from __future__ import annotations

import numpy as np

from .._jit import njit
from .._parallel import full, run_parallel, spans, thread_count


@njit
def _select(key, perm, pts, lo, hi, kth):
    """Partially sort ``key[lo:hi]`` (``perm`` and the rows of ``pts`` with it) so
    that ``key[kth]`` is in place.

    Hoare quickselect with a median-of-three pivot; smaller keys end up
    before ``kth`` and larger ones after. ``key``, ``perm`` and ``pts`` are
    aligned (all in tree order), so the partition reads and writes memory
    sequentially.
    """
    dim = pts.shape[1]
    while hi - lo > 1:
        mid = (lo + hi) // 2
        a = key[lo]
        b = key[mid]
        c = key[hi - 1]
        if a < b:
            pivot = b if b < c else (c if a < c else a)
        else:
            pivot = a if a < c else (c if b < c else b)
        i = lo
        j = hi - 1
        while i <= j:
            while key[i] < pivot:
                i += 1
            while key[j] > pivot:
                j -= 1
            if i <= j:
                tmp = perm[i]
                perm[i] = perm[j]
                perm[j] = tmp
                tk = key[i]
                key[i] = key[j]
                key[j] = tk
                for d in range(dim):
                    tk = pts[i, d]
                    pts[i, d] = pts[j, d]
                    pts[j, d] = tk
                i += 1
                j -= 1
        if kth <= j:
            hi = j + 1
        elif kth >= i:
            lo = i
        else:
            return


@njit
def _grow(pts, perm, key, root, lo_, hi_, child, box, leaf_size, free, one_level, stack):
    """Build the subtree below ``root``, whose range ``lo_``/``hi_`` of rows of
    ``pts`` (and of ``perm``, reordered with them) is set.

    New nodes take the ids ``free``, ``free + 1``, ...; returns the next
    free id. With ``one_level`` only ``root`` itself is split. Each node gets
    its bounding box; a node with more than ``leaf_size`` points is split at
    its middle position along the dimension of widest extent, so the tree is
    balanced. ``stack`` is an int64 work array (256 entries: more than the
    depth of any tree).
    """
    dim = pts.shape[1]
    stack[0] = root
    top = 1
    while top > 0:
        top -= 1
        node = stack[top]
        lo = lo_[node]
        hi = hi_[node]
        for d in range(dim):
            box[node, 0, d] = np.inf
            box[node, 1, d] = -np.inf
        for t in range(lo, hi):
            for d in range(dim):
                v = pts[t, d]
                if v < box[node, 0, d]:
                    box[node, 0, d] = v
                if v > box[node, 1, d]:
                    box[node, 1, d] = v
        if hi - lo <= leaf_size:
            continue
        split = 0
        spread = -1.0
        for d in range(dim):
            s = box[node, 1, d] - box[node, 0, d]
            if s > spread:
                spread = s
                split = d
        # equal points (spread 0) are split too: the boxes stay valid and a
        # query stops as soon as it holds k points at distance 0
        for t in range(lo, hi):
            key[t] = pts[t, split]
        mid = (lo + hi) // 2
        _select(key, perm, pts, lo, hi, mid)
        left = free
        free += 2
        child[node] = left
        lo_[left] = lo
        hi_[left] = mid
        lo_[left + 1] = mid
        hi_[left + 1] = hi
        if not one_level:
            stack[top] = left
            stack[top + 1] = left + 1
            top += 2
    return free


def tree_capacity(n, leaf_size, n_tasks):
    """Node slots :func:`build_tree` may use for ``n`` points (an upper bound).

    The top levels use fewer than ``4 * n_tasks + 4`` slots; below them
    every subtree of ``m`` points at most ``2 * (m // half) + 1`` (middle
    splits leave at least ``half = (leaf_size + 1) // 2`` points per leaf),
    which sums to at most ``2 * (n // half) + (number of subtrees)``.
    """
    half = (max(leaf_size, 1) + 1) // 2
    top = 4 * max(n_tasks, 1) + 4
    return 2 * top + 2 * (n // half) + 1


def build_tree(pts, leaf_size, n_tasks, perm, lo_, hi_, child, box):
    """A KD-tree of the points ``pts`` (n, dim) float64, reordered in place to tree order.

    Nodes split their range of points at the middle position along the
    dimension of widest extent (so the tree is balanced: depth about
    log2(n / leaf_size)). The top levels are split one after the other
    until there are ``n_tasks`` subtrees, which are then built side by side
    (their nodes' ids in separate blocks: unused ids may remain at the end
    of a block; no node points to them).

    ``perm[t]`` is the caller's id of row ``t`` of ``pts``; the rows of
    ``pts`` and of ``perm`` move together (the partitions read and write the
    points sequentially), so the tree depends only on the order of the rows
    given. Writes ``pts`` and ``perm`` in tree order and per node (arrays of
    :func:`tree_capacity` slots) its range ``[lo, hi)`` of tree positions,
    its left child (``-1`` for a leaf; the right child is ``child + 1``) and
    its bounding box (``box[node, 0]`` the minimum, ``box[node, 1]`` the
    maximum). Returns the number of node slots used.
    """
    n = pts.shape[0]
    leaf_size = max(int(leaf_size), 1)
    key = np.empty(n)
    # top levels, breadth first, one level at a time (their ids are the
    # first ones of the final numbering too)
    stack = np.empty(256, np.int64)
    child[: 4 * max(n_tasks, 1) + 4] = -1
    lo_[0] = 0
    hi_[0] = n
    level_start = 0
    level_end = 1
    free = 1
    while level_end - level_start < n_tasks:
        for node in range(level_start, level_end):
            free = _grow(pts, perm, key, node, lo_, hi_, child, box, leaf_size, free, True, stack)
        if free == level_end:  # every node of the level is a leaf
            break
        level_start = level_end
        level_end = free
    # the nodes below each node of the last level take ids in a block of
    # their own, so that the subtrees can be built side by side
    sizes = hi_[level_start:level_end] - lo_[level_start:level_end]
    half = (leaf_size + 1) // 2  # middle splits leave at least this many per leaf
    base = np.empty(len(sizes) + 1, np.int64)
    base[0] = level_end
    np.cumsum(2 * (sizes // half) + 1, out=base[1:])
    base[1:] += level_end
    cap = int(base[-1])
    child[level_end:cap] = -1

    def grow(s):
        _grow(
            pts, perm, key, level_start + s, lo_, hi_, child, box, leaf_size, int(base[s]),
            False, np.empty(256, np.int64),
        )  # fmt: skip

    run_parallel(grow, range(len(sizes)))
    return cap


@njit
def permute_rows(points, perm, done):
    """Reorder the rows of ``points`` in place to ``points[perm]`` (cycle by cycle).

    ``done`` is an (n,) bool scratch array. One row of extra memory instead
    of a copy of ``points``.
    """
    n, dim = points.shape
    saved = np.empty(dim)
    done[:] = False
    for start in range(n):
        if done[start]:
            continue
        # row start receives points[perm[start]], that row points[perm[perm[start]]], ...
        for d in range(dim):
            saved[d] = points[start, d]
        here = start
        while True:
            done[here] = True
            source = perm[here]
            if source == start:
                for d in range(dim):
                    points[here, d] = saved[d]
                break
            for d in range(dim):
                points[here, d] = points[source, d]
            here = source


@njit(inline="always")
def _box_distance(q, box, node, dim):
    """Squared distance from ``q`` to the bounding box of ``node`` (branch free)."""
    s = 0.0
    for d in range(dim):
        v = q[d]
        t = max(box[node, 0, d] - v, v - box[node, 1, d])
        t = max(t, 0.0)
        s += t * t
    return s


@njit(inline="always")
def _search(q, pts, lo_, hi_, child, box, k, dim, best_d, best_t, stack, stack_d):
    """The ``k`` nearest tree points of ``q``: tree positions ``best_t`` and squared
    distances ``best_d`` (increasing; ``inf`` and -1 past the number of points)."""
    for t in range(k):
        best_d[t] = np.inf
        best_t[t] = -1
    worst = np.inf
    stack[0] = 0
    stack_d[0] = 0.0
    top = 1
    while top > 0:
        top -= 1
        node = stack[top]
        if stack_d[top] >= worst:
            continue
        # down to a leaf, the nearer child first; the farther one
        # waits on the stack if it can still hold a closer point
        left = child[node]
        while left >= 0:
            dl = _box_distance(q, box, left, dim)
            dr = _box_distance(q, box, left + 1, dim)
            if dl <= dr:
                if dr < worst:
                    stack[top] = left + 1
                    stack_d[top] = dr
                    top += 1
                node = left if dl < worst else -1
            else:
                if dl < worst:
                    stack[top] = left
                    stack_d[top] = dl
                    top += 1
                node = left + 1 if dr < worst else -1
            if node < 0:
                break
            left = child[node]
        if node < 0:
            continue
        for t in range(lo_[node], hi_[node]):
            s = 0.0
            for d in range(dim):
                u = pts[t, d] - q[d]
                s += u * u
            if s < worst:
                pos = k - 1
                while pos > 0 and best_d[pos - 1] > s:
                    best_d[pos] = best_d[pos - 1]
                    best_t[pos] = best_t[pos - 1]
                    pos -= 1
                best_d[pos] = s
                best_t[pos] = t
                worst = best_d[k - 1]


@njit
def query_span(
    pts, perm, lo_, hi_, child, box, k, selected, dims, out_index, column, out_dist,
    keep_dist, start, stop, best_d, best_t, stack, stack_d, q,
):  # fmt: skip
    """The ``k`` nearest points of the points at tree positions ``start .. stop - 1``.

    Each is itself among them. ``selected[p]`` (original numbering) says
    whether point ``p`` is queried; columns ``column .. column + k - 1`` of
    row ``p`` of ``out_index`` (original indices) and, with ``keep_dist``,
    row ``p`` of ``out_dist`` (squared distances, increasing) is written for
    selected points only. ``dims`` is a tuple with one entry per dimension:
    its length is a compile-time constant, so the loops over dimensions are
    unrolled (one compiled version per dimension). Work arrays: ``best_d``
    (k), ``best_t`` (k, int64), ``stack`` (256, int64), ``stack_d`` (256)
    and ``q`` (dim).
    """
    dim = len(dims)
    for qt in range(start, stop):
        p = perm[qt]
        if not selected[p]:
            continue
        for d in range(dim):
            q[d] = pts[qt, d]
        for t in range(k):
            best_d[t] = np.inf
            best_t[t] = -1
        worst = np.inf
        stack[0] = 0
        stack_d[0] = 0.0
        top = 1
        while top > 0:
            top -= 1
            node = stack[top]
            if stack_d[top] >= worst:
                continue
            # down to a leaf, the nearer child first; the farther one
            # waits on the stack if it can still hold a closer point
            left = child[node]
            while left >= 0:
                dl = _box_distance(q, box, left, dim)
                dr = _box_distance(q, box, left + 1, dim)
                if dl <= dr:
                    if dr < worst:
                        stack[top] = left + 1
                        stack_d[top] = dr
                        top += 1
                    node = left if dl < worst else -1
                else:
                    if dl < worst:
                        stack[top] = left
                        stack_d[top] = dl
                        top += 1
                    node = left + 1 if dr < worst else -1
                if node < 0:
                    break
                left = child[node]
            if node < 0:
                continue
            for t in range(lo_[node], hi_[node]):
                s = 0.0
                for d in range(dim):
                    u = pts[t, d] - q[d]
                    s += u * u
                if s < worst:
                    pos = k - 1
                    while pos > 0 and best_d[pos - 1] > s:
                        best_d[pos] = best_d[pos - 1]
                        best_t[pos] = best_t[pos - 1]
                        pos -= 1
                    best_d[pos] = s
                    best_t[pos] = t
                    worst = best_d[k - 1]
        for t in range(k):
            out_index[p, column + t] = perm[best_t[t]]
        if keep_dist:
            for t in range(k):
                out_dist[p, t] = best_d[t]


@njit
def query_points_span(
    pts, perm, lo_, hi_, child, box, k, queries, dims, out_index, out_dist, start, stop,
    best_d, best_t, stack, stack_d, q,
):  # fmt: skip
    """The ``k`` nearest tree points of rows ``start .. stop - 1`` of ``queries`` (m, dim).

    Row ``i`` of ``out_index`` (original indices of the tree's points) and
    ``out_dist`` (squared distances, increasing) belongs to ``queries[i]``;
    ``k`` must not exceed the number of points. Give the queries in a
    coherent order (e.g. raster order of pixels) for warm caches. Work
    arrays as in :func:`query_span`.
    """
    dim = len(dims)
    for i in range(start, stop):
        for d in range(dim):
            q[d] = queries[i, d]
        _search(q, pts, lo_, hi_, child, box, k, dim, best_d, best_t, stack, stack_d)
        for t in range(k):
            out_index[i, t] = perm[best_t[t]]
            out_dist[i, t] = best_d[t]


def make_tree(
    points: np.ndarray, leaf_size: int, n_tasks: int, *, start: np.ndarray | None = None
) -> tuple[np.ndarray, ...]:
    """The tree of :func:`build_tree` in arrays allocated here:
    ``(pts, perm, lo, hi, child, box)``.

    With ``start`` (the rows of ``points`` in the order to build from),
    ``points`` itself is reordered to tree order in place and is ``pts`` (no
    copy of the points).
    """
    n, dim = points.shape
    slots = tree_capacity(n, leaf_size, n_tasks)
    if start is None:
        perm = np.arange(n, dtype=np.int64)
        pts = np.array(points, dtype=np.float64, order="C")
    else:
        perm = start.astype(np.int64)
        permute_rows(points, perm, np.empty(n, np.bool_))  # the build's order, in place
        pts = points
    tree = (
        pts,
        perm,
        np.empty(slots, np.int64),
        np.empty(slots, np.int64),
        np.empty(slots, np.int64),
        np.empty((slots, 2, dim)),
    )
    used = build_tree(pts, leaf_size, n_tasks, *tree[1:])
    if used > slots:  # pragma: no cover - tree_capacity is an upper bound
        raise RuntimeError(f"KD-tree used {used} node slots of {slots}")
    return tree


def nearest_neighbors_all(
    points: np.ndarray,
    k: int,
    *,
    selected: np.ndarray | None = None,
    leaf_size: int = 32,
    return_distance: bool = False,
    out: np.ndarray | None = None,
    column: int = 0,
    order: np.ndarray | None = None,
):
    """Indices (n, k) of the ``k`` nearest points of each point (Euclidean), itself included.

    Parameters
    ----------
    points : (n, dim) array_like of float
    k : int
        Clipped to ``n``.
    selected : (n,) bool ndarray, optional
        Query only these points; the rows of the others are left at -1.
    leaf_size : int, optional
        Points per leaf of the tree (32 measured fastest here).
    return_distance : bool, optional
        Also return the (n, k) Euclidean distances, increasing along rows.
    out : (n, m) ndarray of int32 or int64, optional
        Write the indices into columns ``column .. column + k - 1`` of this
        array (rows of points not selected are left as they are) and return
        it: the passes of KNN matting fill one array, without copies.
    column : int, optional
        First column of ``out`` to write.
    order : (n,) ndarray of int64, optional
        Search in place: ``points`` (a C-contiguous float64 array) is
        reordered to the tree's order instead of copied, and row ``i`` of
        ``points`` is point ``order[i]`` of the numbering of ``selected`` and
        of the results. ``order`` is updated to the new row order. This
        saves a copy of the points: the memory peak of KNN matting on large
        images.

    Returns
    -------
    index : (n, k) ndarray of int32 (int64 above 2**31 - 1 points), or ``out``
    distance : (n, k) ndarray of float64, if ``return_distance``
    """
    if order is None:
        points = np.ascontiguousarray(points, dtype=np.float64)
    elif not (points.dtype == np.float64 and points.flags.c_contiguous and points.ndim == 2):
        raise ValueError("an in-place search needs C-contiguous (n, dim) float64 points")
    n = points.shape[0]
    k = min(int(k), n)
    index_dtype = np.int32 if n < 2**31 else np.int64
    if out is None:
        out_index = full((n, k), -1, index_dtype)
        column = 0
    else:
        out_index = out
        if out.shape[0] != n or out.shape[1] < column + k:
            raise ValueError(f"out must have shape ({n}, >= {column + k}), got {out.shape}")
    # the distances take twice the memory of the indices: only when asked for
    out_dist = np.full((n, k) if return_distance else (1, k), np.inf)
    if n == 0 or k == 0:
        return (out_index, out_dist) if return_distance else out_index
    if selected is None:
        selected = np.ones(n, dtype=np.bool_)
    threads = thread_count()
    start = None
    if order is not None:  # build in the caller's numbering: the same tree as unordered
        start = np.empty(n, np.int64)
        start[order] = np.arange(n)
    tree = make_tree(points, int(leaf_size), 2 * threads if threads > 1 else 1, start=start)
    if order is not None:  # tree position -> point of the caller's numbering
        order[:] = order[tree[1]]
        tree = (tree[0], order, *tree[2:])
    selected = np.ascontiguousarray(selected, dtype=np.bool_)
    dims = (0.0,) * points.shape[1]
    keep = bool(return_distance)

    def query(span):
        query_span(
            *tree, k, selected, dims, out_index, column, out_dist, keep, *span,
            np.empty(k), np.empty(k, np.int64), np.empty(256, np.int64), np.empty(256),
            np.empty(points.shape[1]),
        )  # fmt: skip

    run_parallel(query, spans(n, 64 * threads))
    tree = None  # free the tree before the square roots of the distances
    if return_distance:
        return out_index, np.sqrt(out_dist)
    return out_index


def nearest_neighbors(
    points: np.ndarray,
    queries: np.ndarray,
    k: int,
    *,
    leaf_size: int = 32,
    return_distance: bool = False,
):
    """Indices (m, k) into ``points`` of the ``k`` nearest points of each query (Euclidean).

    The tree is built over ``points`` (n, dim); ``queries`` (m, dim) need not
    be among them. ``k`` is clipped to ``n``.

    Returns
    -------
    index : (m, k) ndarray of int32 (int64 above 2**31 - 1 points)
    distance : (m, k) ndarray of float64, if ``return_distance``
    """
    points = np.ascontiguousarray(points, dtype=np.float64)
    queries = np.ascontiguousarray(queries, dtype=np.float64)
    n = points.shape[0]
    m = queries.shape[0]
    if queries.ndim != 2 or queries.shape[1] != points.shape[1]:
        raise ValueError(f"queries must have shape (m, {points.shape[1]}), got {queries.shape}")
    k = min(int(k), n)
    index_dtype = np.int32 if n < 2**31 else np.int64
    out_index = np.full((m, k), -1, dtype=index_dtype)
    out_dist = np.full((m, k), np.inf)
    if n == 0 or m == 0 or k == 0:
        return (out_index, out_dist) if return_distance else out_index
    threads = thread_count()
    tree = make_tree(points, int(leaf_size), 2 * threads if threads > 1 else 1)
    dims = (0.0,) * points.shape[1]

    def query(span):
        query_points_span(
            *tree, k, queries, dims, out_index, out_dist, *span, np.empty(k),
            np.empty(k, np.int64), np.empty(256, np.int64), np.empty(256),
            np.empty(points.shape[1]),
        )  # fmt: skip

    run_parallel(query, spans(m, 64 * threads))
    if return_distance:
        return out_index, np.sqrt(out_dist)
    return out_index
