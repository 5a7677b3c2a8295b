"""Multifrontal Cholesky (classicmat.solvers._multifrontal) against dense/SuperLU solves."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

from classicmat.laplacian import cf_system
from classicmat.solvers import MultifrontalCholesky, multifrontal_cholesky, solve


def _random_system(rng, H=20, W=30, radius=1, holes=False):
    image = rng.random((H, W, 3))
    trimap = np.full((H, W), 0.5)
    trimap[rng.random((H, W)) < 0.15] = 0.0
    trimap[rng.random((H, W)) < 0.15] = 1.0
    if holes:  # unknown regions separated by known bands
        trimap[:, W // 3 : W // 3 + 3] = 0.0
        trimap[H // 2 : H // 2 + 3, :] = 1.0
    s = cf_system(image, trimap, radius=radius)
    coords = np.column_stack(np.divmod(s.unknown, W))
    return sp.csr_array(s.A), np.asarray(s.b), coords


def _poisson(H, W):
    n = H * W
    idx = np.arange(n).reshape(H, W)
    rows, cols = [idx.ravel()], [idx.ravel()]
    vals = [np.full(n, 4.0)]
    for a, b in ((idx[:, :-1], idx[:, 1:]), (idx[:-1, :], idx[1:, :])):
        rows += [a.ravel(), b.ravel()]
        cols += [b.ravel(), a.ravel()]
        vals += [np.full(a.size, -1.0)] * 2
    A = sp.csr_array((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))))
    coords = np.column_stack(np.divmod(np.arange(n), W))
    return A, coords


def _relres(A, x, b):
    return np.linalg.norm(b - A @ x) / np.linalg.norm(b)


@pytest.mark.parametrize("radius", [1, 2])
@pytest.mark.parametrize("leaf_size", [1, 7, 32, 10_000])
@pytest.mark.parametrize("holes", [False, True])
def test_matting_system_matches_spsolve(radius, leaf_size, holes):
    rng = np.random.default_rng(radius * 100 + leaf_size + holes)
    A, b, coords = _random_system(rng, radius=radius, holes=holes)
    factor = multifrontal_cholesky(A, coords, leaf_size=leaf_size, factor_dtype="float64")
    x = factor.solve(b)
    ref = spsolve(A.tocsc(), b)
    assert _relres(A, x, b) < 1e-9
    assert np.linalg.norm(x - ref) <= 1e-6 * np.linalg.norm(ref)


@pytest.mark.parametrize("H, W", [(1, 1), (1, 40), (40, 1), (17, 23)])
def test_poisson_grid_matches_dense(H, W):
    A, coords = _poisson(H, W)
    b = np.random.default_rng(0).standard_normal(H * W)
    x = multifrontal_cholesky(A, coords, leaf_size=8).solve(b)
    np.testing.assert_allclose(x, np.linalg.solve(A.toarray(), b), rtol=1e-10, atol=1e-12)


def test_float32_factor_refines_to_full_accuracy():
    A, b, coords = _random_system(np.random.default_rng(5))
    factor = multifrontal_cholesky(A, coords, factor_dtype="float32")
    assert factor._lbuf.dtype == np.float32
    x = factor.solve(b, rtol=1e-12)
    assert _relres(A, x, b) <= 1e-12
    assert 1 <= factor.iterations <= 10


def test_single_unknown_pixel():
    A = sp.csr_array(np.array([[4.0]]))
    x = multifrontal_cholesky(A, [[3, 5]]).solve([2.0])
    np.testing.assert_allclose(x, [0.5])


def test_repr_and_statistics():
    A, coords = _poisson(12, 12)
    factor = multifrontal_cholesky(A, coords, leaf_size=16)
    assert isinstance(factor, MultifrontalCholesky)
    text = repr(factor)
    assert "fronts=" in text and "largest front=" in text and "MiB" in text
    dense_nnz = np.count_nonzero(np.linalg.cholesky(A.toarray()))
    assert 144 <= factor.factor_nnz <= 144 * 145 // 2
    assert factor.factor_nnz <= 2 * dense_nnz  # a reasonable ordering, not a dense one


def test_not_positive_definite_raises():
    A, coords = _poisson(6, 7)
    A = A - 5.0 * sp.eye_array(42)
    with pytest.raises(ValueError, match="not positive definite"):
        multifrontal_cholesky(A, coords)
    with pytest.raises(ValueError, match="not positive definite"):
        solve(A, np.ones(42), solver="direct", coords=coords)


@pytest.mark.parametrize(
    "coords, match",
    [
        (np.zeros((42, 3), int), r"coords must have shape \(42, 2\)"),
        (np.zeros((41, 2), int), r"coords must have shape \(42, 2\)"),
        (np.zeros(84, int), r"coords must have shape \(42, 2\)"),
        (np.zeros((42, 2)), "coords must be an integer array, got dtype float64"),
        (-np.ones((42, 2), int), "non-negative"),
    ],
)
def test_bad_coords_raise(coords, match):
    A, _ = _poisson(6, 7)
    with pytest.raises(ValueError, match=match):
        multifrontal_cholesky(A, coords)
    with pytest.raises(ValueError, match=match):
        solve(A, np.ones(42), solver="direct", coords=coords)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"leaf_size": 0}, "leaf_size must be a positive integer"),
        ({"balance": 0.5}, r"balance must be in \[0, 0.5\)"),
        ({"factor_dtype": "int8"}, "factor_dtype must be float32 or float64"),
    ],
)
def test_bad_options_raise(kwargs, match):
    A, coords = _poisson(4, 4)
    with pytest.raises(ValueError, match=match):
        multifrontal_cholesky(A, coords, **kwargs)


@pytest.mark.parametrize("solver", ["direct", "auto"])
def test_solve_with_coords_uses_multifrontal(solver):
    A, b, coords = _random_system(np.random.default_rng(9))
    res = solve(A, b, solver=solver, coords=coords, rtol=1e-10)
    assert res.solver == "direct" and res.converged
    np.testing.assert_allclose(res.x, spsolve(A.tocsc(), b), rtol=1e-6, atol=1e-9)


def test_solve_direct_options_depend_on_coords():
    A, coords = _poisson(5, 5)
    b = np.ones(25)
    res = solve(A, b, solver="direct", coords=coords, options={"leaf_size": 4})
    assert res.converged
    with pytest.raises(TypeError, match="valid options are: balance, factor_dtype, leaf_size"):
        solve(A, b, solver="direct", coords=coords, options={"permc_spec": "COLAMD"})
    with pytest.raises(TypeError, match="valid options are: panel_size, permc_spec, relax"):
        solve(A, b, solver="direct", options={"leaf_size": 4})


def test_iterative_solvers_ignore_coords():
    A, coords = _poisson(5, 5)
    res = solve(A, np.ones(25), solver="cg-jacobi", coords=coords, rtol=1e-10)
    assert res.solver == "cg-jacobi" and res.converged


def test_breakdown_from_round_off_is_repaired_by_a_shift_and_cg():
    """A matrix that is positive semi-definite up to round-off (a path graph
    Laplacian, nudged 1e-13 below singular) breaks the factorisation; the
    factor of ``A + shift I`` then preconditions CG on ``A`` itself."""
    n = 40
    A = sp.diags_array([-np.ones(n - 1), np.r_[1.0, 2.0 * np.ones(n - 2), 1.0], -np.ones(n - 1)],
                       offsets=[-1, 0, 1]).tocsr() - 1e-13 * sp.eye_array(n)  # fmt: skip
    coords = np.column_stack([np.zeros(n, int), np.arange(n)])
    b = np.random.default_rng(0).standard_normal(n)
    b -= b.mean()  # in the range of the (nearly) singular matrix
    factor = multifrontal_cholesky(A, coords, leaf_size=8)
    assert factor.shift > 0.0
    x = factor.solve(b)
    assert factor.iterations > 0
    assert np.linalg.norm(A @ x - b) <= 1e-10 * np.linalg.norm(b)
    result = solve(A, b, solver="direct", coords=coords, rtol=1e-10)
    assert result.converged and result.iterations > 0


@pytest.mark.parametrize("threads", [2, 3, 8])
def test_parallel_numeric_phase_gives_the_serial_factor(threads):
    """Subtrees factorised side by side, each on its own region of the stack:
    the same factor as one thread (the test fronts are small: BLAS rounding
    does not depend on the thread count there)."""
    rng = np.random.default_rng(threads)
    image = rng.random((60, 70, 3))
    trimap = np.where(rng.random((60, 70)) < 0.6, 0.5, np.where(rng.random((60, 70)) < 0.5, 0, 1))
    s = cf_system(image, trimap)
    coords = np.column_stack(np.divmod(s.unknown, 70))
    serial = multifrontal_cholesky(s.A, coords, leaf_size=8, threads=1, factor_dtype="float64")
    parallel = multifrontal_cholesky(
        s.A, coords, leaf_size=8, threads=threads, factor_dtype="float64"
    )
    np.testing.assert_array_equal(parallel._lbuf, serial._lbuf)
    np.testing.assert_array_equal(parallel.solve(s.b), serial.solve(s.b))


def test_a_breakdown_in_a_thread_is_repaired_too():
    n = 400
    A = sp.diags_array([-np.ones(n - 1), np.r_[1.0, 2.0 * np.ones(n - 2), 1.0], -np.ones(n - 1)],
                       offsets=[-1, 0, 1]).tocsr() - 1e-13 * sp.eye_array(n)  # fmt: skip
    coords = np.column_stack([np.zeros(n, int), np.arange(n)])
    b = np.random.default_rng(0).standard_normal(n)
    b -= b.mean()
    factor = multifrontal_cholesky(A, coords, leaf_size=8, threads=2)
    assert factor.shift > 0.0
    assert np.linalg.norm(A @ factor.solve(b) - b) <= 1e-10 * np.linalg.norm(b)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("holes", [False, True])
def test_inverse_factor_columns_and_backward(dtype, holes):
    """``Y.T @ Y`` is the block of the inverse, ``Y`` is zero off its rows, and
    ``backward`` is ``P^T L^-T``: together ``L^-T Y`` are columns of ``A^-1``."""
    rng = np.random.default_rng(11 + holes)
    A, _, coords = _random_system(rng, holes=holes)
    factor = multifrontal_cholesky(A, coords, leaf_size=7, factor_dtype=dtype)
    inverse = np.linalg.inv(A.toarray())
    idx = rng.choice(A.shape[0], size=9, replace=False)
    rows, Y = factor.inverse_factor_columns(idx)
    tol = 1e-9 if dtype == "float64" else 1e-4
    block = inverse[np.ix_(idx, idx)]
    assert np.abs(Y.T @ Y - block).max() <= tol * np.abs(block).max()
    for c in range(len(idx)):
        z = np.zeros(A.shape[0])
        z[rows] = Y[:, c]
        column = factor.backward(z)
        assert np.abs(column - inverse[:, idx[c]]).max() <= tol * np.abs(inverse).max()
    assert factor.inverse_factor_columns(idx, max_entries=len(idx)) is None
