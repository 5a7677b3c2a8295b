"""BLAS and LAPACK called from numba through their addresses (solvers._blas_kernels),
against NumPy on the same matrices."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from classicmat.solvers._blas_kernels import addresses, call_fortran


@numba.njit
def _factor(a, b, c, k, m, blas, chars, ints, reals):
    """dpotrf of a (k x k), dtrsm of b (m x k), dsyrk into c (m x m); returns info."""
    ints[0] = k
    ints[1] = m
    ints[2] = 0
    at = np.int64(a.ctypes.data)
    bt = np.int64(b.ctypes.data)
    ct = np.int64(c.ctypes.data)
    c_at = np.int64(chars.ctypes.data)
    i_at = np.int64(ints.ctypes.data)
    r_at = np.int64(reals.ctypes.data)
    call_fortran(blas[0], (c_at, i_at, at, i_at, i_at + 8))
    if ints[2] != 0:
        return ints[2]
    call_fortran(
        blas[1], (c_at + 1, c_at, c_at + 2, c_at + 3, i_at + 4, i_at, r_at, at, i_at, bt, i_at + 4)
    )
    call_fortran(
        blas[2], (c_at, c_at + 3, i_at + 4, i_at, r_at + 8, bt, i_at + 4, r_at, ct, i_at + 4)
    )
    return 0


def _run(a, b, c):
    k, m = a.shape[0], b.shape[0]
    fa, fb, fc = (np.asfortranarray(x).ravel(order="F") for x in (a, b, c))
    info = _factor(
        fa, fb, fc, k, m,
        addresses("dpotrf", "dtrsm", "dsyrk"),
        np.frombuffer(b"LRTN", np.uint8).copy(), np.zeros(3, np.int32), np.array([1.0, -1.0]),
    )  # fmt: skip
    shape = lambda x, r, s: x.reshape((r, s), order="F")  # noqa: E731
    return info, shape(fa, k, k), shape(fb, m, k), shape(fc, m, m)


def test_cholesky_triangular_solve_and_update_match_numpy():
    rng = np.random.default_rng(0)
    k, m = 7, 5
    G = rng.standard_normal((k, k))
    a = G @ G.T + k * np.eye(k)
    b = rng.standard_normal((m, k))
    c = rng.standard_normal((m, m))
    c = c + c.T
    info, L11, L21, C = _run(a, b, c)
    assert info == 0
    ref = np.linalg.cholesky(a)
    np.testing.assert_allclose(np.tril(L11), ref, rtol=0, atol=1e-12)
    ref21 = np.linalg.solve(ref, b.T).T  # b L11^-T
    np.testing.assert_allclose(L21, ref21, rtol=0, atol=1e-12)
    lower = np.tril_indices(m)
    np.testing.assert_allclose(C[lower], (c - ref21 @ ref21.T)[lower], rtol=0, atol=1e-12)


def test_a_matrix_that_is_not_positive_definite_gives_its_pivot():
    a = np.diag([1.0, 2.0, -1.0, 4.0])
    info, *_ = _run(a, np.ones((2, 4)), np.zeros((2, 2)))
    assert info == 3  # LAPACK's 1-based column of the first non-positive pivot


def test_addresses_of_unknown_routines_raise():
    assert addresses("dsyrk", "dpotrf").dtype == np.int64
    with pytest.raises(KeyError):
        addresses("not_a_routine")
