"""The matrix of information-flow matting as a SciPy ``LinearOperator``.

Its own module so that importing :mod:`classicmat.laplacian.ifm` (the
method's options, for ``classicmat methods``) does not import SciPy.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.sparse.linalg import LinearOperator

__all__ = ["IFMOperator"]


class IFMOperator(LinearOperator):
    """``A = R^T R + S``, applied without forming ``R^T R``.

    Attributes
    ----------
    cols, vals : (m, k + 1) ndarray
        The mixture rows ``R`` (weight folded in), fixed width; column -1
        is no entry.
    Rt : scipy.sparse.csr_array
        ``R^T`` (n, m).
    S : scipy.sparse.csr_array
        The sparse rest (n, n): local and intra-unknown flows, diagonals.
    """

    def __init__(self, cols: np.ndarray, vals: np.ndarray, Rt: Any, S: Any) -> None:
        n = S.shape[0]
        super().__init__(dtype=np.float64, shape=(n, n))
        self.cols, self.vals, self.Rt, self.S = cols, vals, Rt, S
        self._z = np.empty(cols.shape[0])

    def _matvec(self, x: np.ndarray) -> np.ndarray:
        from ._ifm_kernels import apply_operator

        x = np.ascontiguousarray(np.ravel(x), dtype=np.float64)
        y = np.empty(self.shape[0])
        Rt, S = self.Rt, self.S
        apply_operator(
            self.cols, self.vals, Rt.indptr, Rt.indices, Rt.data,
            S.indptr, S.indices, S.data, x, self._z, y,
        )  # fmt: skip
        return y

    def _rmatvec(self, x: np.ndarray) -> np.ndarray:
        return self._matvec(x)  # symmetric

    def diagonal(self) -> np.ndarray:
        """``diag(A) = sum_rows R^2 + diag(S)``."""
        from ._ifm_kernels import squared_row_sums

        out = np.empty(self.shape[0])
        squared_row_sums(self.Rt.indptr, self.Rt.data, out)
        return out + self.S.diagonal()

    def tocsr(self):
        """``A`` as a sparse matrix (CSR, sorted indices)."""
        A = (self.Rt @ self.Rt.T + self.S).tocsr()
        A.sort_indices()
        return A

    @property
    def nnz(self) -> int:
        """Stored entries of the operator's parts (``R`` twice, ``S``)."""
        return 2 * self.Rt.nnz + self.S.nnz

    def __repr__(self) -> str:
        return (
            f"<IFMOperator n={self.shape[0]} mixture rows={self.cols.shape[0]}x"
            f"{self.cols.shape[1]} S nnz={self.S.nnz}>"
        )
