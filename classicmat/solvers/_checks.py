"""Input checks shared by the solvers and the preconditioner builders."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

_INT32_MAX = np.iinfo(np.int32).max


def as_square_csr(A: Any, name: str = "A") -> sp.csr_array:
    """Return ``A`` (sparse or dense 2-D) as a float64 CSR array with sorted indices."""
    if sp.issparse(A):
        if A.ndim != 2:
            raise ValueError(f"{name} must be 2-D, got ndim={A.ndim}")
        shape = A.shape
    else:
        if isinstance(A, np.ndarray) and A.dtype == object:
            raise TypeError(f"{name} must be a sparse matrix or a 2-D ndarray, got dtype object")
        try:
            arr = np.asarray(A)
        except Exception as exc:  # pragma: no cover - exotic objects
            raise TypeError(f"{name} must be a sparse matrix or a 2-D ndarray") from exc
        if arr.ndim != 2:
            raise ValueError(
                f"{name} must be a square 2-D matrix, got an array of shape {arr.shape}"
            )
        if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
            raise TypeError(f"{name} must have a numeric dtype, got {arr.dtype}")
        shape = arr.shape
        A = arr
    if shape[0] != shape[1]:
        raise ValueError(f"{name} must be square, got shape {shape}")
    if np.iscomplexobj(A.data if sp.issparse(A) else A):
        raise TypeError(f"{name} must be real, got a complex matrix")
    out = sp.csr_array(A, dtype=np.float64)
    if not out.has_canonical_format:
        out = out.copy()
        out.sum_duplicates()
    return out


def as_rhs(b: Any, n: int, name: str = "b") -> np.ndarray:
    """Return ``b`` as a contiguous float64 vector of length ``n``."""
    arr = np.asarray(b)
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
        raise TypeError(f"{name} must be a numeric vector, got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real, got a complex array")
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(f"{name} must have shape ({n},) to match A, got shape {arr.shape}")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def check_finite_matrix(A: sp.csr_array, name: str = "A") -> None:
    if not np.all(np.isfinite(A.data)):
        raise ValueError(f"{name} contains NaN or infinite values")


def with_int32_indices(A: sp.csr_array, name: str = "A") -> sp.csr_array:
    """Return ``A`` with int32 ``indices``/``indptr`` (pyamg's C kernels take C ``int``).

    Raises ``ValueError`` when ``A`` is too large for 32-bit indices.
    """
    if A.indices.dtype == np.int32 and A.indptr.dtype == np.int32:
        return A
    if A.nnz > _INT32_MAX or A.shape[0] > _INT32_MAX:
        raise ValueError(
            f"{name} has {A.nnz} nonzeros and {A.shape[0]} rows; pyamg needs 32-bit "
            f"indices (at most {_INT32_MAX}): use solver='cg-ichol' or 'cg-jacobi'"
        )
    out = sp.csr_array(
        (A.data, A.indices.astype(np.int32), A.indptr.astype(np.int32)), shape=A.shape
    )
    out.has_sorted_indices = A.has_sorted_indices
    return out
