"""Tests of classicmat.solvers: accuracy, SciPy keyword semantics, warnings, errors."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator

from classicmat import ConvergenceWarning
from classicmat.solvers import SOLVERS, SolveResult, _checks, amg, ichol, jacobi, solve
from classicmat.solvers import _solve as solve_module

ITERATIVE = ["cg", "cg-jacobi", "cg-ichol", "cg-amg", "multigrid"]
ALL = ["auto", *ITERATIVE, "direct"]


def poisson2d(m: int) -> sp.csr_array:
    T = sp.diags([-1.0, 4.0, -1.0], [-1, 0, 1], shape=(m, m))
    S = sp.diags([-1.0, -1.0], [-1, 1], shape=(m, m))
    return sp.csr_array(sp.kron(sp.eye(m), T) + sp.kron(S, sp.eye(m)))


def matting_like(h: int = 7, w: int = 8, eps: float = 1e-3, seed: int = 0):
    """Closed-form matting Laplacian (radius 1) of a random image, restricted
    to the interior pixels (the border plays the known pixels)."""
    rng = np.random.default_rng(seed)
    image = rng.random((h, w, 3))
    n = h * w
    L = np.zeros((n, n))
    for y in range(1, h - 1):
        for x in range(1, w - 1):
            idx = np.array([(y + dy) * w + x + dx for dy in (-1, 0, 1) for dx in (-1, 0, 1)])
            win = image.reshape(-1, 3)[idx]
            mu = win.mean(axis=0)
            cov = np.cov(win.T, bias=True) + eps / 9 * np.eye(3)
            d = win - mu
            G = (1.0 + d @ np.linalg.solve(cov, d.T)) / 9
            L[np.ix_(idx, idx)] += np.eye(9) - G
    inner = np.array([y * w + x for y in range(1, h - 1) for x in range(1, w - 1)])
    known = np.setdiff1d(np.arange(n), inner)
    alpha_known = rng.random(known.size)
    A = sp.csr_array(L[np.ix_(inner, inner)])
    b = -L[np.ix_(inner, known)] @ alpha_known
    return A, b


def systems():
    A1 = poisson2d(12)
    b1 = np.random.default_rng(1).random(A1.shape[0])
    A2, b2 = matting_like()
    return {"poisson": (A1, b1), "matting": (A2, b2)}


SYSTEMS = systems()


@pytest.mark.parametrize("solver", ALL)
@pytest.mark.parametrize("system", list(SYSTEMS))
def test_solution_matches_dense_solve(solver, system):
    A, b = SYSTEMS[system]
    x_exact = np.linalg.solve(A.toarray(), b)
    res = solve(A, b, solver=solver, rtol=1e-12, maxiter=20000)
    assert isinstance(res, SolveResult)
    assert res.converged
    assert res.solver == ("direct" if solver == "auto" else solver)
    assert np.linalg.norm(b - A @ res.x) <= 1e-12 * np.linalg.norm(b)
    assert res.residual <= 1e-12
    # error <= cond(A) * rtol; cond is ~1e2 (poisson) and ~1e5 (matting)
    scale = np.abs(x_exact).max()
    np.testing.assert_allclose(res.x, x_exact, rtol=0, atol=1e-6 * scale)
    assert res.setup_time >= 0 and res.solve_time >= 0
    if solver == "direct":
        assert res.iterations == 0


@pytest.mark.parametrize("solver", ITERATIVE)
def test_x0_and_callback(solver):
    A, b = SYSTEMS["poisson"]
    x_exact = np.linalg.solve(A.toarray(), b)
    x0 = x_exact.copy()
    res = solve(A, b, solver=solver, x0=x0, rtol=1e-8)
    assert res.iterations == 0 and res.converged
    np.testing.assert_array_equal(x0, x_exact)  # x0 is not modified

    seen = []
    res = solve(A, b, solver=solver, rtol=1e-8, callback=lambda xk: seen.append(xk.copy()))
    assert len(seen) == res.iterations > 0
    np.testing.assert_array_equal(seen[-1], res.x)


@pytest.mark.parametrize("solver", ITERATIVE)
@pytest.mark.parametrize(("rtol", "atol"), [(1e-3, 0.0), (0.0, 1e-2), (1e-12, 0.5)])
def test_stopping_rule_holds_on_return(solver, rtol, atol):
    A, b = SYSTEMS["poisson"]
    res = solve(A, b, solver=solver, rtol=rtol, atol=atol)
    assert res.converged
    assert np.linalg.norm(b - A @ res.x) <= max(rtol * np.linalg.norm(b), atol)


@pytest.mark.parametrize("solver", ["cg", "cg-jacobi", "cg-ichol", "multigrid"])
def test_maxiter_warns(solver):
    A, b = SYSTEMS["matting"]
    with pytest.warns(ConvergenceWarning, match=rf"solver '{solver}' did not converge.*maxiter=1"):
        res = solve(A, b, solver=solver, rtol=1e-14, maxiter=1)
    assert not res.converged
    assert res.iterations == 1
    assert res.residual == pytest.approx(np.linalg.norm(b - A @ res.x) / np.linalg.norm(b))


def test_zero_rhs_gives_zero():
    A, _ = SYSTEMS["poisson"]
    res = solve(A, np.zeros(A.shape[0]))
    np.testing.assert_array_equal(res.x, 0.0)
    assert res.converged


def test_dense_input_accepted():
    A, b = SYSTEMS["poisson"]
    res = solve(A.toarray(), b, solver="cg-ichol")
    assert res.converged


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (dict(A=np.ones((3, 4)), b=np.ones(3)), ValueError, "A must be square"),
        (dict(A=np.ones(3), b=np.ones(3)), ValueError, "square 2-D"),
        (dict(b=np.ones(5)), ValueError, r"b must have shape \(144,\)"),
        (dict(b=np.full(144, np.nan)), ValueError, "b contains NaN"),
        (dict(rtol=-1.0), ValueError, "rtol must be >= 0"),
        (dict(atol="x"), TypeError, "atol must be a number"),
        (dict(maxiter=0), ValueError, "maxiter must be >= 1"),
        (dict(maxiter=2.5), TypeError, "maxiter must be an integer"),
        (dict(solver="gmres"), ValueError, "unknown solver 'gmres'; valid solvers are: 'auto'"),
        (dict(x0=np.ones(3)), ValueError, r"x0 must have shape \(144,\)"),
        (dict(callback=3), TypeError, "callback must be callable"),
        (dict(solver="cg-ichol", options={"droptol": 1}), TypeError, "unknown option 'droptol'"),
        (dict(solver="cg", options={"drop_tol": 1}), TypeError, "unknown option 'drop_tol'"),
        (dict(solver="cg-ichol", options={"ordering": "amd"}), ValueError, "ordering must be"),
    ],
)
def test_bad_inputs(kwargs, error, match):
    A, b = SYSTEMS["poisson"]
    args = {"A": A, "b": b, **kwargs}
    with pytest.raises(error, match=match):
        solve(args.pop("A"), args.pop("b"), **args)


def test_direct_refuses_large(monkeypatch):
    monkeypatch.setattr(solve_module, "DIRECT_MAX_SIZE", 100)
    A, b = SYSTEMS["poisson"]
    with pytest.raises(ValueError, match="at most 100 unknowns"):
        solve(A, b, solver="direct")


@pytest.mark.parametrize("solver", ["cg", "cg-jacobi"])
def test_indefinite_matrix_is_an_error(solver):
    A = sp.csr_array(np.array([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(ValueError, match="not symmetric positive definite"):
        solve(A, np.array([1.0, 0.0]), solver=solver)


def test_preconditioners_need_positive_diagonal():
    A = sp.csr_array(np.diag([1.0, -1.0]))
    with pytest.raises(ValueError, match=r"A\[1, 1\] = -1.0"):
        jacobi(A)
    with pytest.raises(ValueError, match="not positive"):
        ichol(A)


def test_registry_lists_solvers_with_summaries():
    assert SOLVERS.names() == [
        "auto", "cg", "cg-jacobi", "cg-ichol", "cg-amg", "multigrid", "direct"
    ]  # fmt: skip
    assert all(entry.summary for entry in SOLVERS)


def reference_ichol(A, drop_tol, keep_diagonal):
    """Dense NumPy version of the same algorithm (unit-diagonal scaling,
    left-looking columns, drop |L_ij| <= drop_tol)."""
    A = A.toarray()
    s = 1.0 / np.sqrt(np.diag(A))
    A = A * s[:, None] * s[None, :]
    n = A.shape[0]
    L = np.zeros((n, n))
    dsub = np.zeros(n)
    for j in range(n):
        L[j, j] = np.sqrt(A[j, j] - dsub[j])
        v = (A[j + 1 :, j] - L[j + 1 :, :j] @ L[j, :j]) / L[j, j]
        keep = np.abs(v) > drop_tol
        L[j + 1 :, j] = np.where(keep, v, 0.0)
        dsub[j + 1 :] += np.where(keep | keep_diagonal, v * v, 0.0)
    return L


@pytest.mark.parametrize("system", list(SYSTEMS))
@pytest.mark.parametrize("drop_tol", [0.0, 1e-3, 5e-2])
@pytest.mark.parametrize("keep_diagonal", [True, False])
def test_ichol_kernel_matches_reference(system, drop_tol, keep_diagonal):
    A, _ = SYSTEMS[system]
    M = ichol(A, drop_tol=drop_tol, keep_diagonal=keep_diagonal)
    assert M.shift == 0.0
    np.testing.assert_allclose(
        M.L.toarray(), reference_ichol(A, drop_tol, keep_diagonal), rtol=0, atol=1e-12
    )
    assert "IncompleteCholesky" in repr(M)


@pytest.mark.parametrize("ordering", ["natural", "rcm"])
@pytest.mark.parametrize("factor_dtype", [np.float64, np.float32])
def test_complete_cholesky_is_exact(ordering, factor_dtype):
    A, b = SYSTEMS["poisson"]
    M = ichol(A, drop_tol=0.0, ordering=ordering, factor_dtype=factor_dtype)
    tol = 1e-10 if factor_dtype == np.float64 else 1e-5
    x = M @ b
    assert np.linalg.norm(A @ x - b) <= tol * np.linalg.norm(b)


def test_amg_casts_indices_to_int32():
    A, b = SYSTEMS["poisson"]
    A64 = sp.csr_array((A.data, A.indices.astype(np.int64), A.indptr.astype(np.int64)), A.shape)
    M = amg(A64)
    assert M.hierarchy.levels[0].A.indices.dtype == np.int32
    assert "operator_complexity" in repr(M)
    x = M @ b
    assert x.shape == b.shape


def test_int32_limit_is_a_clear_error(monkeypatch):
    A, _ = SYSTEMS["poisson"]
    A64 = sp.csr_array((A.data, A.indices.astype(np.int64), A.indptr.astype(np.int64)), A.shape)
    monkeypatch.setattr(_checks, "_INT32_MAX", 10)
    with pytest.raises(ValueError, match="pyamg needs 32-bit indices"):
        amg(A64)


def test_amg_near_nullspace_shape_checked():
    A, _ = SYSTEMS["poisson"]
    with pytest.raises(ValueError, match=r"near_nullspace must have shape \(144, k\)"):
        amg(A, near_nullspace=np.ones((3, 2)))


# ---------------------------------------------------------------- matrix-free systems


class _Operator(LinearOperator):
    """A matrix seen only through its products (and, optionally, its diagonal)."""

    def __init__(self, A, with_diagonal=True):
        super().__init__(dtype=np.float64, shape=A.shape)
        self._A = A
        self.products = 0
        if with_diagonal:
            self.diagonal = A.diagonal

    def _matvec(self, x):
        self.products += 1
        return self._A @ np.ravel(x)


@pytest.mark.parametrize("solver", ["auto", "cg", "cg-jacobi"])
def test_matrix_free_operator_is_solved_by_cg(solver):
    A, b = SYSTEMS["matting"]
    operator = _Operator(A)
    result = solve(operator, b, solver=solver, rtol=1e-10)
    assert result.converged and result.solver == ("cg-jacobi" if solver == "auto" else solver)
    np.testing.assert_allclose(result.x, np.linalg.solve(A.toarray(), b), rtol=1e-6)
    assert operator.products > 0


def test_matrix_free_auto_without_diagonal_is_plain_cg():
    A, b = SYSTEMS["poisson"]
    assert solve(_Operator(A, with_diagonal=False), b).solver == "cg"
    with pytest.raises(TypeError, match="needs its diagonal: _Operator has no diagonal"):
        solve(_Operator(A, with_diagonal=False), b, solver="cg-jacobi")


@pytest.mark.parametrize("solver", ["direct", "cg-ichol", "cg-amg", "multigrid"])
def test_matrix_free_operator_refuses_solvers_that_need_the_matrix(solver):
    A, b = SYSTEMS["poisson"]
    with pytest.raises(ValueError, match=rf"solver '{solver}' needs the matrix.*'cg-jacobi'"):
        solve(_Operator(A), b, solver=solver)
