"""The large-kernel Laplacian operator (imports SciPy; see :mod:`.lkm`)."""

from __future__ import annotations

import numpy as np
from scipy.sparse.linalg import LinearOperator

__all__ = ["LargeKernelLaplacian"]


class LargeKernelLaplacian(LinearOperator):
    """The closed-form matting Laplacian of a window radius, applied without the matrix.

    ``L @ p`` costs O(1) per pixel whatever the radius (box sums, He et al.
    2010); :meth:`diagonal` is the exact diagonal. Made by
    :func:`lkm_laplacian`.

    Attributes
    ----------
    image_shape : tuple of int
        (H, W) of the image; the operator is (H W) x (H W), row-major.
    radius, epsilon
        The Laplacian's.
    """

    def __init__(self, image: np.ndarray, epsilon: float, radius: int) -> None:
        from . import _lkm_kernels as K

        h, w, c = image.shape
        super().__init__(dtype=np.float64, shape=(h * w, h * w))
        self.image_shape = (h, w)
        self.radius = radius
        self.epsilon = epsilon
        self._image = image
        self._c = c
        hc, wc = h - 2 * radius, w - 2 * radius
        nv = c * (c + 1) // 2
        # number of windows holding each pixel: n_i = counts_y[y] * counts_x[x]
        self._counts_y = _window_counts(h, radius)
        self._counts_x = _window_counts(w, radius)
        # the moments of the image summed over every window (c + nv channels)
        per_pixel = np.empty((h, w, c + nv))
        K.moments(image, per_pixel)
        sums = self._box_valid(per_pixel)
        del per_pixel
        self._stats = np.empty((hc, wc, nv + c))
        spread = np.empty((hc, wc, 1 + c + nv))
        K.window_stats(sums, c, radius, epsilon, self._stats, spread)
        del sums
        spread_sums = self._box_full(spread)
        del spread
        self._diagonal = np.empty((h, w))
        K.diagonal(image, spread_sums, self._counts_y, self._counts_x, self._diagonal)
        del spread_sums
        # work arrays of every product
        self._rows = np.empty((h, wc, 1 + c))  # horizontal window sums
        self._spread = np.empty((hc, w, 1 + c))  # window terms, summed along rows

    def _box_valid(self, field: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        from . import _lkm_kernels as K

        h, w, n_ch = field.shape
        r = self.radius
        tmp = np.empty((h, w - 2 * r, n_ch))
        K.box_h(field, r, False, tmp)
        if out is None:
            out = np.empty((h - 2 * r, w - 2 * r, n_ch))
        K.box_v(tmp, r, False, out)
        return out

    def _box_full(self, field: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        from . import _lkm_kernels as K

        hc, wc, n_ch = field.shape
        r = self.radius
        tmp = np.empty((hc, wc + 2 * r, n_ch))
        K.box_h(field, r, True, tmp)
        if out is None:
            out = np.empty((hc + 2 * r, wc + 2 * r, n_ch))
        K.box_v(tmp, r, True, out)
        return out

    def diagonal(self) -> np.ndarray:
        """The diagonal of the Laplacian, (H W,) float64 (a copy)."""
        return self._diagonal.ravel().copy()

    def _matvec(self, x: np.ndarray) -> np.ndarray:
        from . import _lkm_kernels as K

        h, w = self.image_shape
        r = self.radius
        c = self._c
        p = np.ascontiguousarray(np.ravel(x), dtype=np.float64).reshape(h, w)
        K.product_h(self._image, p, r, self._rows)
        K.product_v(self._rows, self._stats, c, r, self._spread)
        out = np.empty((h, w))
        K.product_out(self._spread, self._image, p, self._counts_y, self._counts_x, r, out)
        return out.ravel()

    def _rmatvec(self, x: np.ndarray) -> np.ndarray:
        return self._matvec(x)  # symmetric

    def _adjoint(self):
        return self

    def __repr__(self) -> str:
        h, w = self.image_shape
        return f"<LargeKernelLaplacian {w}x{h} radius={self.radius} epsilon={self.epsilon:g}>"


def _window_counts(size: int, radius: int) -> np.ndarray:
    """Along one axis: how many window centres (``radius <= k < size - radius``) lie
    within ``radius`` of each position."""
    position = np.arange(size)
    low = np.maximum(position - radius, radius)
    high = np.minimum(position + radius, size - 1 - radius)
    return np.maximum(high - low + 1, 0).astype(np.float64)


class _UnknownBlock(LinearOperator):
    """``L_UU`` of a large-kernel Laplacian: scatter into the image, apply, gather."""

    def __init__(self, L: LargeKernelLaplacian, unknown: np.ndarray) -> None:
        super().__init__(dtype=np.float64, shape=(unknown.size, unknown.size))
        self._L = L
        self._unknown = unknown
        self._full = np.zeros(L.shape[0])

    def _matvec(self, x: np.ndarray) -> np.ndarray:
        full = self._full
        full[self._unknown] = np.ravel(x)
        return self._L._matvec(full)[self._unknown]

    def _rmatvec(self, x: np.ndarray) -> np.ndarray:
        return self._matvec(x)

    def _adjoint(self):
        return self

    def diagonal(self) -> np.ndarray:
        return self._L._diagonal.ravel()[self._unknown]


class _SoftSystem(LinearOperator):
    """``L + diag(weight)``, with its diagonal."""

    def __init__(self, L: LargeKernelLaplacian, weight: np.ndarray) -> None:
        super().__init__(dtype=np.float64, shape=L.shape)
        self._L = L
        self._weight = weight

    def _matvec(self, x: np.ndarray) -> np.ndarray:
        x = np.ravel(x)
        return self._L._matvec(x) + self._weight * x

    def _rmatvec(self, x: np.ndarray) -> np.ndarray:
        return self._matvec(x)

    def _adjoint(self):
        return self

    def diagonal(self) -> np.ndarray:
        return self._L._diagonal.ravel() + self._weight
