"""Numba kernel of the multi-level foreground estimation (compiled on first call)."""

from __future__ import annotations

import types

from .._jit import njit, prange


def _red_black_sweeps(image, alpha, F, B, regularization, gradient_weight, n_iterations):
    """``n_iterations`` red-black Gauss-Seidel sweeps of the per-pixel 2x2 update, in place.

    ``image``, ``F``, ``B``: (h, w, C) float64; ``alpha``: (h, w) float64, all
    C-contiguous. A sweep updates the pixels with ``(x + y)`` even ("red")
    from their four neighbours, then the odd ("black") ones: neighbours of a
    pixel all have the other colour, so each half-sweep is a Jacobi step and
    the order within it does not matter (the NumPy reference
    ``tests/test_foreground.py::reference_sweeps`` vectorises it). The rows of
    a half-sweep can run in parallel (``red_black_sweeps_parallel``, used
    for large levels), writing disjoint pixels, with the same result as the
    serial kernel whatever the number of threads.
    """
    h, w, depth = image.shape
    for _ in range(n_iterations):
        for color in range(2):
            for y in prange(h):
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
                            wu * F[yu, x, c]
                            + wd * F[yd, x, c]
                            + wl * F[y, xl, c]
                            + wr * F[y, xr, c]
                        )
                        b1 = a1 * i + (
                            wu * B[yu, x, c]
                            + wd * B[yd, x, c]
                            + wl * B[y, xl, c]
                            + wr * B[y, xr, c]
                        )
                        f = inv_det * (a11 * b0 - a01 * b1)
                        b = inv_det * (a00 * b1 - a01 * b0)
                        F[y, x, c] = min(max(f, 0.0), 1.0)
                        B[y, x, c] = min(max(b, 0.0), 1.0)


def _renamed(func, name):
    """A copy of ``func`` under another name: numba's on-disk cache is keyed by
    the function's name, so the serial and parallel builds need different ones."""
    copy = types.FunctionType(func.__code__, func.__globals__, name)
    copy.__qualname__ = name
    return copy


red_black_sweeps = njit(_renamed(_red_black_sweeps, "red_black_sweeps"))
red_black_sweeps_parallel = njit(parallel=True)(
    _renamed(_red_black_sweeps, "red_black_sweeps_parallel")
)

#: Levels with at least this many pixels use the parallel kernels; below it
#: the cost of starting threads outweighs the work.
PARALLEL_MIN_PIXELS = 200_000


def _resize_nearest(src, dst):
    """Nearest-neighbour resize of a (h0, w0, C) array into ``dst`` (h, w, C)."""
    h0, w0, depth = src.shape
    h, w = dst.shape[:2]
    for y in prange(h):
        ys = min(y * h0 // h, h0 - 1)
        for x in range(w):
            xs = min(x * w0 // w, w0 - 1)
            for c in range(depth):
                dst[y, x, c] = src[ys, xs, c]


resize_nearest = njit(_renamed(_resize_nearest, "resize_nearest"))
resize_nearest_parallel = njit(parallel=True)(_renamed(_resize_nearest, "resize_nearest_parallel"))
