"""The KD-tree search and the KNN system kernels against plain NumPy references."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classicmat.laplacian._kdtree import make_tree, nearest_neighbors, nearest_neighbors_all
from classicmat.laplacian._knn_kernels import knn_system


def brute_force_knn(points, k):
    """Squared distances (n, n) and the k smallest per row, sorted (NumPy)."""
    dist = ((points[:, None, :] - points[None, :, :]) ** 2).sum(axis=2)
    return dist, np.sort(dist, axis=1)[:, :k]


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 300),
    dim=st.integers(1, 6),
    k=st.integers(1, 25),
    levels=st.sampled_from([0, 3, 1000]),
)
def test_kdtree_matches_brute_force(seed, n, dim, k, levels):
    rng = np.random.default_rng(seed)
    points = rng.random((n, dim))
    if levels:  # few distinct values: many exact ties and duplicate points
        points = np.floor(points * levels) / levels
    index, dist = nearest_neighbors_all(points, k, return_distance=True)
    full, expected = brute_force_knn(points, k)
    k = min(k, n)
    assert index.shape == (n, k)
    # the same k smallest distances (float64 as the reference, same rounding)
    np.testing.assert_allclose(dist, np.sqrt(expected), rtol=1e-15, atol=0)
    # every index is a distinct point at the distance it claims
    assert (np.sort(index, axis=1)[:, 1:] != np.sort(index, axis=1)[:, :-1]).all()
    np.testing.assert_array_equal(full[np.arange(n)[:, None], index], expected)
    # the point itself is among its neighbours (distance 0)
    assert (index == np.arange(n)[:, None]).any(axis=1).all() or levels


def test_kdtree_neighbours_without_ties_equal_brute_force_order():
    points = np.random.default_rng(3).random((2000, 5))
    index = nearest_neighbors_all(points, 12)
    full, _ = brute_force_knn(points, 12)
    np.testing.assert_array_equal(index, np.argsort(full, axis=1, kind="stable")[:, :12])
    assert index.dtype == np.int32


def test_kdtree_selected_rows_only():
    points = np.random.default_rng(4).random((500, 3))
    selected = np.zeros(500, dtype=bool)
    selected[::7] = True
    part = nearest_neighbors_all(points, 6, selected=selected)
    whole = nearest_neighbors_all(points, 6)
    np.testing.assert_array_equal(part[selected], whole[selected])
    assert (part[~selected] == -1).all()


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 300),
    m=st.integers(0, 200),
    dim=st.integers(1, 6),
    k=st.integers(1, 25),
)
def test_kdtree_external_queries_match_brute_force(seed, n, m, dim, k):
    rng = np.random.default_rng(seed)
    points = rng.random((n, dim))
    queries = rng.random((m, dim))
    index, dist = nearest_neighbors(points, queries, k, return_distance=True)
    k = min(k, n)
    assert index.shape == (m, k) and index.dtype == np.int32
    full = ((queries[:, None, :] - points[None, :, :]) ** 2).sum(axis=2)
    expected = np.sort(full, axis=1)[:, :k]
    np.testing.assert_allclose(dist, np.sqrt(expected), rtol=1e-15, atol=0)
    np.testing.assert_array_equal(full[np.arange(m)[:, None], index], expected)
    if m:
        assert (np.sort(index, axis=1)[:, 1:] != np.sort(index, axis=1)[:, :-1]).all()


def test_kdtree_external_queries_of_the_points_themselves():
    points = np.random.default_rng(5).random((800, 5))
    np.testing.assert_array_equal(
        nearest_neighbors(points, points, 9), nearest_neighbors_all(points, 9)
    )
    with pytest.raises(ValueError, match=r"queries must have shape \(m, 5\), got \(3, 4\)"):
        nearest_neighbors(points, np.zeros((3, 4)), 2)


def test_kdtree_all_points_equal():
    index, dist = nearest_neighbors_all(np.ones((3000, 4)), 5, return_distance=True)
    assert (dist == 0).all()
    assert (np.sort(index, axis=1)[:, 1:] != np.sort(index, axis=1)[:, :-1]).all()


def reachable_nodes(child):
    """Node ids reachable from the root (unused ids may sit between blocks)."""
    seen, todo = [], [0]
    while todo:
        node = todo.pop()
        seen.append(node)
        if child[node] >= 0:
            todo += [child[node], child[node] + 1]
    return seen


@pytest.mark.parametrize("n", [1, 40, 1000, 5003])
def test_kdtree_build_same_tree_for_any_number_of_tasks(n):
    points = np.random.default_rng(n).random((n, 4))
    trees = [make_tree(points, 8, tasks) for tasks in (1, 2, 3, 8)]
    for pts, perm, lo, hi, child, box in trees:
        np.testing.assert_array_equal(perm, trees[0][1])
        np.testing.assert_array_equal(pts, points[perm])
        assert np.array_equal(np.sort(perm), np.arange(n))
        leaves = 0
        for node in reachable_nodes(child):
            inside = pts[lo[node] : hi[node]]
            # the box is the exact bounding box of the node's points
            np.testing.assert_array_equal(box[node, 0], inside.min(axis=0))
            np.testing.assert_array_equal(box[node, 1], inside.max(axis=0))
            left = child[node]
            if left < 0:
                assert hi[node] - lo[node] <= 8
                leaves += hi[node] - lo[node]
            else:  # the children split the range in the middle
                mid = (lo[node] + hi[node]) // 2
                assert (lo[left], hi[left], lo[left + 1], hi[left + 1]) == (
                    lo[node],
                    mid,
                    mid,
                    hi[node],
                )
        assert leaves == n


def assert_canonical(indices, indptr):
    """Columns strictly increasing within every row (sorted, no duplicates)."""
    for r in range(indptr.size - 1):
        assert (np.diff(indices[indptr[r] : indptr[r + 1]]) > 0).all()


def dense_system(neighbors, values, n):
    """Dense L = D - A with A = W + W^T, W[i, nb[i, t]] += w (loops)."""
    W = np.zeros((n, n))
    for i in range(n):
        for t in range(neighbors.shape[1]):
            if neighbors[i, t] >= 0:
                W[i, neighbors[i, t]] += 1.0 if values is None else values[i, t]
    A = W + W.T
    return np.diag(A.sum(axis=1)) - A


@pytest.mark.parametrize("binary", [True, False])
def test_knn_system_matches_dense(binary):
    rng = np.random.default_rng(7)
    n = 60
    points = rng.random((n, 4))
    # two passes side by side: the same pair can appear twice, and self pairs
    neighbors = np.hstack(
        [nearest_neighbors_all(points, 7), nearest_neighbors_all(points * [1, 1, 0.1, 0.1], 3)]
    )
    values = None if binary else rng.random(neighbors.shape)
    L = dense_system(neighbors, values, n)
    known = rng.random(n) < 0.4
    alpha_known = np.where(known, (rng.random(n) < 0.5).astype(float), 0.0)

    # soft constraints: every row and column, lambda on the known diagonal
    every = np.arange(n)
    extra = 100.0 * known
    data, indices, indptr, b = knn_system(neighbors, values, every, every, n, np.zeros(n), extra)
    import scipy.sparse

    assert_canonical(indices, indptr)
    S = scipy.sparse.csr_array((data, indices, indptr), shape=(n, n)).toarray()
    np.testing.assert_allclose(S, L + np.diag(extra), rtol=0, atol=1e-12)
    assert (b == 0).all()

    # hard constraints: rows and columns of the unknown pixels, known ones to b
    unknown = np.flatnonzero(~known)
    col_id = np.full(n, -1)
    col_id[unknown] = np.arange(unknown.size)
    data, indices, indptr, b = knn_system(
        neighbors, values, unknown, col_id, unknown.size, alpha_known, np.zeros(n)
    )
    m = unknown.size
    assert_canonical(indices, indptr)
    S = scipy.sparse.csr_array((data, indices, indptr), shape=(m, m)).toarray()
    np.testing.assert_allclose(S, L[np.ix_(unknown, unknown)], rtol=0, atol=1e-12)
    np.testing.assert_allclose(b, -L[unknown] @ alpha_known, rtol=0, atol=1e-12)

    # columns numbered in any order (rows still come out sorted)
    order = rng.permutation(m)
    col_id[unknown] = order
    data, indices, indptr, b = knn_system(
        neighbors, values, unknown, col_id, m, alpha_known, np.zeros(n)
    )
    assert_canonical(indices, indptr)
    S = scipy.sparse.csr_array((data, indices, indptr), shape=(m, m)).toarray()
    # row r is pixel unknown[r]; pixel unknown[s] is column order[s]
    np.testing.assert_allclose(S[:, order], L[np.ix_(unknown, unknown)], rtol=0, atol=1e-12)


@pytest.mark.parametrize("position", ["diagonal", "axes"])
@pytest.mark.parametrize("n_neighbors", [(10, 2), (20, 10)])
def test_restricted_search_gives_the_same_unknown_rows(position, n_neighbors):
    from classicmat.laplacian.knn import knn_neighbors

    # a smooth image with texture on one side: many known pixels are provably
    # unlinked to the unknown band (and skipped), others are not
    h, w = 60, 80
    rng = np.random.default_rng(11)
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    image = np.dstack([xx, yy, 0.5 * (xx + yy)])
    image[:, 50:] += 0.2 * rng.random((h, 30, 3))
    image = np.clip(image, 0, 1)
    unknown = np.zeros((h, w), dtype=bool)
    unknown[:, 35:45] = True
    unknown[20:25, :] = True
    args = (image, n_neighbors, 2.0, 0.05, "rgb", "binary", position)
    full, _ = knn_neighbors(*args)
    part, _ = knn_neighbors(*args, unknown=unknown)
    searched = (part >= 0).all(axis=1)
    assert searched[unknown.ravel()].all()
    assert 0.1 < searched.mean() < 0.9  # the restriction does skip pixels
    np.testing.assert_array_equal(np.sort(part[searched], 1), np.sort(full[searched], 1))
    n = h * w
    rows = np.flatnonzero(unknown)
    col_id = np.full(n, -1)
    col_id[rows] = np.arange(rows.size)
    alpha_known = (xx.ravel() > 0.5).astype(float)
    a = knn_system(full, None, rows, col_id, rows.size, alpha_known, np.zeros(n))
    b = knn_system(part, None, rows, col_id, rows.size, alpha_known, np.zeros(n))
    import scipy.sparse

    A = scipy.sparse.csr_array(a[:3], shape=(rows.size, rows.size))
    B = scipy.sparse.csr_array(b[:3], shape=(rows.size, rows.size))
    assert abs(A - B).max() == 0
    np.testing.assert_array_equal(a[3], b[3])


def test_in_place_search_reorders_the_points_and_finds_the_same_neighbours():
    rng = np.random.default_rng(4)
    points = rng.integers(0, 4, (3000, 3)).astype(float)  # many exact ties
    expected = nearest_neighbors_all(points, 7)
    work = points.copy()
    order = np.arange(len(points), dtype=np.int64)
    found = nearest_neighbors_all(work, 7, order=order)
    np.testing.assert_array_equal(found, expected)
    np.testing.assert_array_equal(work, points[order])  # rows now in tree order
    # a second search over the reordered rows makes the same tree as over the originals
    again = nearest_neighbors_all(work, 5, order=order)
    np.testing.assert_array_equal(again, nearest_neighbors_all(points, 5))


@pytest.mark.parametrize("k", [1, 5, 20])
@pytest.mark.parametrize("times", [0, 1, 2])
def test_grid_bound_is_the_kth_distance_to_the_nearest_grid_pixels(k, times):
    from classicmat.laplacian._knn_kernels import grid_bound

    h, w, weakening = 9, 13, 0.05
    rng = np.random.default_rng(k + 10 * times)
    f = np.column_stack([rng.random((h * w, 3)), *np.divmod(np.arange(h * w), w)])
    f[:, 3:] /= max(h, w)
    bound = grid_bound(f, h, w, k, 3, weakening, times)
    # NumPy: the features weakened in place, as the search sees them; the
    # k grid pixels nearest p (ties by the offset order: rows, then columns)
    g = f.copy()
    for _ in range(times):
        g[:, 3:] *= weakening
    rows, cols = np.divmod(np.arange(h * w), w)
    radius = int(np.ceil(np.sqrt(k))) + 1
    for p in range(h * w):
        dy = rows - rows[p]
        dx = cols - cols[p]
        near = (abs(dy) <= radius) & (abs(dx) <= radius)
        cand = np.flatnonzero(near)
        # the kernel's offsets: by dy^2 + dx^2, then raster order of the window
        key = (dy[cand] ** 2 + dx[cand] ** 2) * 10**6 + (dy[cand] + radius) * 1000 + dx[cand]
        chosen = cand[np.argsort(key)][:k]
        expected = np.sqrt(((g[chosen] - g[p]) ** 2).sum(axis=1)).max()
        assert bound[p] == expected
    # an upper bound of the true k-th distance
    kth = np.sort(np.sqrt(((g[:, None] - g[None]) ** 2).sum(axis=2)), axis=1)[:, k - 1]
    assert (bound >= kth).all()


def test_unknowns_in_tree_order_give_the_raster_system_permuted():
    from classicmat.laplacian.knn import _knn_system, knn_features, neighbors_of
    from classicmat.laplacian.system import solve_system
    from classicmat.trimap import masks_of

    h, w = 40, 50
    rng = np.random.default_rng(3)
    image = np.clip(rng.random((h, w, 3)) * 0.3 + np.linspace(0, 0.7, w)[None, :, None], 0, 1)
    trimap = np.full((h, w), 0.5)
    trimap[:, :12], trimap[:, -12:] = 0.0, 1.0
    masks = masks_of(trimap)
    f = knn_features(image, level=2.0, features="rgb", position="axes")
    neighbors, values, rows = neighbors_of(
        f, (h, w), (20, 10), 2.0, 0.05, "binary", "axes", unknown=masks.is_unknown
    )
    raster = np.flatnonzero(masks.is_unknown)
    assert not np.array_equal(rows, raster)  # a different order ...
    np.testing.assert_array_equal(np.sort(rows), raster)  # ... of the same pixels
    a = _knn_system(neighbors, values, masks, np.inf)
    b = _knn_system(neighbors, values, masks, np.inf, rows)
    np.testing.assert_array_equal(a.unknown, raster)
    np.testing.assert_array_equal(b.unknown, rows)
    # the same matrix and right-hand side, rows and columns renumbered
    rank = np.searchsorted(raster, rows)
    assert abs(a.A[rank][:, rank] - b.A).max() == 0
    np.testing.assert_array_equal(a.b[rank], b.b)
    options = {"solver": "cg-jacobi", "rtol": 1e-10, "atol": 0.0, "maxiter": None}
    alpha_a = solve_system(a, **options)
    alpha_b = solve_system(b, **options)
    np.testing.assert_allclose(alpha_b, alpha_a, rtol=0, atol=1e-9)
