"""The large-kernel Laplacian operator (imports SciPy; see :mod:`.lkm`)."""

from __future__ import annotations

import numpy as np
from scipy.sparse.linalg import LinearOperator

from .._parallel import spans, thread_count, thread_pool

__all__ = ["LargeKernelLaplacian"]


def _blocks(n: int) -> int:
    """Blocks of ``_lkm_kernels._BLOCK`` rows covering ``n`` rows."""
    from ._lkm_kernels import _BLOCK

    return (n + _BLOCK - 1) // _BLOCK


def _on_spans(run, kernel, n: int, parts: int, *args) -> None:
    """``kernel(*args, start, stop)`` on ``parts`` spans of ``range(n)``, by ``run``
    (a :func:`classicmat._parallel.thread_pool` runner)."""
    run(lambda span: kernel(*args, *span), spans(n, parts))


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
        # the spans of every pass: a few per thread while setting up, one per
        # thread in a product (called once per CG iteration)
        self._parts = thread_count()
        parts = 4 * self._parts
        with thread_pool() as run:
            # the moments of the image summed over every window (c + nv channels)
            per_pixel = np.empty((h, w, c + nv))
            _on_spans(run, K.moments, h, parts, image, per_pixel)
            sums = self._box_valid(run, parts, per_pixel)
            del per_pixel
            self._stats = np.empty((hc, wc, nv + c))
            spread = np.empty((hc, wc, 1 + c + nv))
            _on_spans(
                run, K.window_stats, hc, parts, sums, c, radius, epsilon, self._stats, spread
            )
            del sums
            spread_sums = self._box_full(run, parts, spread)
            del spread
            self._diagonal = np.empty((h, w))
            _on_spans(
                run, K.diagonal, h, parts,
                image, spread_sums, self._counts_y, self._counts_x, self._diagonal,
            )  # fmt: skip
            del spread_sums
        # work arrays of every product
        self._rows = np.empty((h, wc, 1 + c))  # horizontal window sums
        self._spread = np.empty((hc, w, 1 + c))  # window terms, summed along rows

    def _box_valid(self, run, parts: int, field: np.ndarray) -> np.ndarray:
        from . import _lkm_kernels as K

        h, w, n_ch = field.shape
        r = self.radius
        tmp = np.empty((h, w - 2 * r, n_ch))
        _on_spans(run, K.box_h, h, parts, field, r, False, tmp)
        out = np.empty((h - 2 * r, w - 2 * r, n_ch))
        _on_spans(run, K.box_v, _blocks(h - 2 * r), parts, tmp, r, False, out)
        return out

    def _box_full(self, run, parts: int, field: np.ndarray) -> np.ndarray:
        from . import _lkm_kernels as K

        hc, wc, n_ch = field.shape
        r = self.radius
        tmp = np.empty((hc, wc + 2 * r, n_ch))
        _on_spans(run, K.box_h, hc, parts, field, r, True, tmp)
        out = np.empty((hc + 2 * r, wc + 2 * r, n_ch))
        _on_spans(run, K.box_v, _blocks(hc + 2 * r), parts, tmp, r, True, out)
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
        out = np.empty((h, w))
        parts = self._parts
        hc = h - 2 * r
        with thread_pool() as run:
            _on_spans(run, K.product_h, h, parts, self._image, p, r, self._rows)
            _on_spans(
                run, K.product_v, _blocks(hc), parts, self._rows, self._stats, c, r, self._spread
            )
            _on_spans(
                run, K.product_out, _blocks(h), parts,
                self._spread, self._image, p, self._counts_y, self._counts_x, r, out,
            )  # fmt: skip
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
