"""Numba kernel of the multi-level foreground estimation (compiled on first call)."""

from __future__ import annotations

import numpy as np

from .._jit import njit
from .._parallel import spans, thread_pool


@njit
def sweep_rows(image, alpha, F, B, regularization, gradient_weight, color, y0, y1):
    """Half a red-black Gauss-Seidel sweep of the per-pixel 2x2 update, rows ``y0 .. y1 - 1``.

    ``image``, ``F``, ``B``: (h, w, C) float64; ``alpha``: (h, w) float64, all
    C-contiguous; updated in place. The pixels with ``(x + y) % 2 == color``
    are updated from their four neighbours, which all have the other colour:
    a half-sweep is a Jacobi step, so the order of its pixels (and the split
    of its rows between threads) does not change the result. The NumPy
    reference ``tests/test_foreground.py::reference_sweeps`` vectorises it.
    """
    h, w, depth = image.shape
    for y in range(y0, y1):
        for x in range((y + color) % 2, w, 2):
            a0 = alpha[y, x]
            a1 = 1.0 - a0
            # neighbour weights, 0 outside the image (indices clamped)
            yu = max(y - 1, 0)
            yd = min(y + 1, h - 1)
            xl = max(x - 1, 0)
            xr = min(x + 1, w - 1)
            wu = (regularization + gradient_weight * abs(a0 - alpha[yu, x])) * (y > 0)
            wd = (regularization + gradient_weight * abs(a0 - alpha[yd, x])) * (y < h - 1)
            wl = (regularization + gradient_weight * abs(a0 - alpha[y, xl])) * (x > 0)
            wr = (regularization + gradient_weight * abs(a0 - alpha[y, xr])) * (x < w - 1)
            wsum = wu + wd + wl + wr
            if wsum == 0.0:  # a 1 x 1 level: nothing to couple to
                continue
            a00 = a0 * a0 + wsum
            a01 = a0 * a1
            a11 = a1 * a1 + wsum
            inv_det = 1.0 / (a00 * a11 - a01 * a01)
            for c in range(depth):
                i = image[y, x, c]
                b0 = a0 * i + (
                    wu * F[yu, x, c] + wd * F[yd, x, c] + wl * F[y, xl, c] + wr * F[y, xr, c]
                )
                b1 = a1 * i + (
                    wu * B[yu, x, c] + wd * B[yd, x, c] + wl * B[y, xl, c] + wr * B[y, xr, c]
                )
                f = inv_det * (a11 * b0 - a01 * b1)
                b = inv_det * (a00 * b1 - a01 * b0)
                F[y, x, c] = min(max(f, 0.0), 1.0)
                B[y, x, c] = min(max(b, 0.0), 1.0)


#: Levels with at least this many pixels are swept by several threads;
#: below it the cost of handing out the work outweighs it.
PARALLEL_MIN_PIXELS = 200_000


def red_black_sweeps(
    image, alpha, F, B, regularization, gradient_weight, n_iterations, *, threads=1
):
    """``n_iterations`` red-black sweeps (:func:`sweep_rows`) of a level, in place.

    With ``threads > 1`` the rows of each half-sweep are split between that
    many threads; the result is the same bit for bit.
    """
    h = image.shape[0]
    parts = spans(h, 4 * threads) if threads > 1 else [(0, h)]
    with thread_pool(threads) as run:
        for _ in range(n_iterations):
            for color in (0, 1):
                run(
                    lambda span, color=color: sweep_rows(
                        image, alpha, F, B, regularization, gradient_weight, color, *span
                    ),
                    parts,
                )


def resize_nearest(src: np.ndarray, h: int, w: int) -> np.ndarray:
    """Nearest-neighbour resize of a (h0, w0, C) array to a new C-contiguous (h, w, C) array."""
    h0, w0 = src.shape[:2]
    rows = np.minimum(np.arange(h) * h0 // h, h0 - 1)
    cols = np.minimum(np.arange(w) * w0 // w, w0 - 1)
    return np.ascontiguousarray(src[rows[:, None], cols[None, :]], dtype=np.float64)
