"""Preconditioned conjugate gradients and stationary (multigrid) iteration.

Both loops use SciPy's stopping rule ``norm(b - A @ x) <= max(rtol * norm(b), atol)``
and check it on the *true* residual before returning, so that a converged
result always satisfies it (the recursively updated CG residual can drift
from the true one on ill-conditioned systems such as matting Laplacians).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


class BreakdownError(ArithmeticError):
    """CG met ``p^T A p <= 0`` or a non-finite value: A (or M) is not SPD."""


def pcg(
    A,
    b: np.ndarray,
    x: np.ndarray,
    apply_m: Callable[[np.ndarray], np.ndarray] | None,
    target: float,
    maxiter: int,
    callback: Callable[[np.ndarray], object] | None,
) -> tuple[np.ndarray, int, float]:
    """Run preconditioned CG in place on ``x``; return ``(x, iterations, ||b - A x||)``.

    Hestenes & Stiefel (1952); Saad (2003), Algorithm 9.1.
    """
    r = b - A @ x
    rnorm = float(np.linalg.norm(r))
    iterations = 0
    while rnorm > target and iterations < maxiter:
        # (re)start from the true residual r
        z = r if apply_m is None else apply_m(r)
        p = z.copy()
        rz = float(r @ z)
        while iterations < maxiter:
            q = A @ p
            pq = float(p @ q)
            if not (pq > 0.0 and np.isfinite(pq) and rz > 0.0 and np.isfinite(rz)):
                if rnorm <= target:
                    break
                raise BreakdownError(
                    f"conjugate gradients broke down at iteration {iterations} "
                    f"(p^T A p = {pq:.3g}, r^T M r = {rz:.3g}): the matrix or the "
                    f"preconditioner is not symmetric positive definite"
                )
            alpha = rz / pq
            x += alpha * p
            r -= alpha * q
            iterations += 1
            if callback is not None:
                callback(x)
            rnorm = float(np.linalg.norm(r))
            if rnorm <= target:
                break
            z = r if apply_m is None else apply_m(r)
            rz_new = float(r @ z)
            p *= rz_new / rz
            p += z
            rz = rz_new
        # confirm on the true residual; restart if the recursion drifted
        r = b - A @ x
        true_norm = float(np.linalg.norm(r))
        if not np.isfinite(true_norm):
            raise BreakdownError("conjugate gradients produced non-finite values")
        if true_norm <= target or rnorm > target:
            rnorm = true_norm
            break
        rnorm = true_norm
    return x, iterations, rnorm


def stationary(
    A,
    b: np.ndarray,
    x: np.ndarray,
    apply_m: Callable[[np.ndarray], np.ndarray],
    target: float,
    maxiter: int,
    callback: Callable[[np.ndarray], object] | None,
) -> tuple[np.ndarray, int, float]:
    """``x <- x + M (b - A x)`` until converged: with ``M`` one multigrid cycle
    from a zero guess, each step is one cycle applied to ``x``."""
    r = b - A @ x
    rnorm = float(np.linalg.norm(r))
    iterations = 0
    while rnorm > target and iterations < maxiter:
        x += apply_m(r)
        iterations += 1
        if callback is not None:
            callback(x)
        r = b - A @ x
        rnorm = float(np.linalg.norm(r))
        if not np.isfinite(rnorm):
            raise BreakdownError(
                f"multigrid iteration diverged at cycle {iterations} (non-finite residual)"
            )
    return x, iterations, rnorm
