"""Solve one image many times: a matte that follows a user's edits.

A user adds a stroke (or paints part of the trimap) and wants the new matte
at once. Most of a solve does not change between two such edits: the image's
Laplacian, the neighbour lists of KNN matting, the factorisation of the
system. :class:`MattingSession` keeps them.

Closed-form matting
    The first solve builds the system of the unknown pixels and factorises
    it (the exact multifrontal Cholesky). An edit that only adds known pixels
    (a stroke, a painted foreground or background region) leaves a principal
    submatrix of that system, with a right-hand side read off the kept
    system. Its solution is the kept system's solution ``v0`` corrected on
    the ``r`` new known pixels R: with ``g`` solving ``(A^{-1})_RR g =
    alpha_R - v0_R``, ``v0 + A^{-1} E_R g`` takes the new known values on R
    and solves the new system elsewhere (the bordering, or capacitance,
    method). ``(A^{-1})_RR = Y^T Y`` with ``Y = L^{-1} P E_R``, whose columns
    are zero off the nodes of the assembly tree above the new known pixels:
    the update costs dense work on those nodes, an r x r Cholesky and one
    backward substitution. Conjugate gradients preconditioned by the kept
    factor then polish the result to the tolerance (no iteration with an
    exact float64 factor, which a session keeps up to ``KEPT_FLOAT32_BYTES``;
    a few with a float32 one); they also take over
    the whole update when ``Y`` would be too large (many new known pixels
    over a large part of the tree). An edit that makes known pixels unknown
    again, outside the factorised set, starts afresh.
KNN matting
    The neighbour lists of every pixel are searched once (the KD-tree is
    most of KNN's time); each solve assembles its rows from them and starts
    conjugate gradients from the previous matte.
Other methods
    Each solve is a fresh call (correct, not faster).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

__all__ = ["MattingSession"]


class MattingSession:
    """Solve one image for changing trimaps or scribbles, reusing what does not change.

    Parameters
    ----------
    image : (H, W, 3) or (H, W) ndarray, PIL image or path
        uint8, uint16 or float in [0, 1]; read and checked once.
    method : str
        An alpha matting method (``classicmat.METHODS``); ``"cf"`` and
        ``"knn"`` reuse their work between solves (see the module docstring).
    **options
        Options of the method, checked now.

    Attributes
    ----------
    last : dict
        How the last :meth:`solve` went: ``"mode"`` (``"fresh"`` or
        ``"update"``), ``"seconds"``, ``"iterations"`` (of the update).

    Examples
    --------
    >>> import numpy as np
    >>> image = np.zeros((20, 30, 3)); image[:, 15:] = 1.0
    >>> trimap = np.full((20, 30), 0.5); trimap[:, :3] = 0.0; trimap[:, -3:] = 1.0
    >>> session = MattingSession(image, method="cf")
    >>> first = session.solve(trimap)
    >>> trimap[:, 3:6] = 0.0  # an edit: more background
    >>> second = session.solve(trimap)
    >>> session.last["mode"], bool(np.abs(second - first).max() < 1e-3)
    ('update', True)
    """

    def __init__(self, image: Any, *, method: str = "cf", **options: Any) -> None:
        from ._method import as_method
        from ._validation import as_image
        from .alpha import METHODS

        self.method = method
        self._func = as_method(METHODS.get(method))
        self.options = self._func.check(options, what=f"method {method!r}")
        self.image = as_image(image)
        self.last: dict[str, Any] = {}
        solver = {"cf": _CfSolver, "knn": _KnnSolver}.get(method, _FreshSolver)
        self._solver = solver(self.image, self._func, self.options)

    def solve(self, trimap: Any) -> np.ndarray:
        """The matte of ``trimap`` (or of scribbles: :func:`classicmat.read_scribbles`).

        The same matte as ``estimate_alpha(image, trimap, method=...)``, to
        the solver's tolerance (1e-3 in alpha at most; tested).
        """
        from ._validation import as_trimap, check_same_size

        trimap = as_trimap(trimap)
        check_same_size(self.image, trimap)
        start = time.perf_counter()
        alpha, self.last = self._solver.solve(trimap)
        self.last["seconds"] = time.perf_counter() - start
        return alpha

    def __repr__(self) -> str:
        h, w = self.image.shape[:2]
        return f"<MattingSession {w}x{h} method={self.method!r} last={self.last}>"


class _FreshSolver:
    """Every solve from scratch."""

    def __init__(self, image, func, options):
        self._image, self._func, self._options = image, func, options

    def solve(self, trimap):
        return self._func.core(self._image, trimap, **self._options), {"mode": "fresh"}


def _solve_options(options) -> dict:
    """The keywords of ``solve_system`` among a method's (checked) options."""
    found = {k: options[k] for k in ("solver", "rtol", "atol", "maxiter") if k in options}
    found["options"] = options.get("solver_options")
    return found


def _pcg(A, b, x, apply_m, rtol, maxiter):
    from .solvers._krylov import pcg

    target = rtol * float(np.linalg.norm(b))
    x, iterations, rnorm = pcg(A, b, x, apply_m, target, maxiter, None)
    return x, iterations, rnorm <= target


#: Relative tolerance of the update solves: tight, so that the matte equals a
#: fresh exact solve to far better than 1e-3.
UPDATE_RTOL = 1e-10
#: Iterations after which an update gives up and factorises afresh.
UPDATE_MAXITER = 60
#: Largest ``Y`` (entries, float64) of an exact update: 256 MiB.
UPDATE_MAX_ENTRIES = 2**25

#: A kept factor is stored in float64 up to this size (and in float32 above,
#: as ``factor_dtype="auto"`` does above 256 MiB for a single solve).
KEPT_FLOAT32_BYTES = 2**30


class _CfSolver:
    """Closed-form matting with a kept factorisation (see the module docstring)."""

    def __init__(self, image, func, options):
        self._image, self._func, self._options = image, func, options
        self._kept = None  # (unknown, fg, A, b, factor) of the last fresh solve
        self._x = None  # the last solution, on the pixels of _x_unknown
        self._x_unknown = None

    def _fresh(self, masks):
        from .laplacian.closed_form import _cf_system
        from .laplacian.system import solve_system

        options = self._options
        system = _cf_system(self._image, masks, options["epsilon"], options["radius"])
        if options["solver"] not in ("auto", "direct"):  # another solver: no factor to keep
            from .alpha.cf import solver_settings

            self._kept = None
            given = _solve_options(options)
            given["options"] = solver_settings(
                self._image, system, options["solver"], options.get("solver_options")
            )
            return solve_system(system, **given), {"mode": "fresh"}
        from .solvers._multifrontal import multifrontal_cholesky

        alpha = system.is_fg.astype(np.float64)
        if system.unknown.size:
            # a float64 factor makes an update exact without iterations
            # (each costs two triangular solves with a float32 one)
            settings = {
                "float32_above": KEPT_FLOAT32_BYTES,
                **(options.get("solver_options") or {}),
            }
            factor = multifrontal_cholesky(system.A, system.coords(), **settings)
            x = factor.solve(system.b)
            alpha.flat[system.unknown] = np.clip(x, 0.0, 1.0)
            self._kept = (
                system.unknown, masks.is_fg.ravel().copy(), system.A, system.b, factor, x
            )  # fmt: skip
            self._x, self._x_unknown = x, system.unknown
        return alpha, {"mode": "fresh"}

    def solve(self, trimap):
        from .trimap import check_has_known, masks_of

        masks = masks_of(trimap)
        check_has_known(masks)
        if self._kept is None:
            return self._fresh(masks)
        unknown, fg, A, b, factor, v0 = self._kept
        new_unknown = np.flatnonzero(masks.is_unknown.ravel())
        inside = np.zeros(masks.is_fg.size, bool)
        inside[unknown] = True
        known_before = ~inside
        same_known = np.array_equal(masks.is_fg.ravel()[known_before], fg[known_before])
        if not (inside[new_unknown].all() and same_known):
            return self._fresh(masks)
        # positions in the kept system of the pixels still unknown, and of the new known
        keep = np.isin(unknown, new_unknown, assume_unique=True)
        idx = np.flatnonzero(keep)
        fixed = np.flatnonzero(~keep)
        value = masks.is_fg.ravel()[unknown[fixed]].astype(np.float64)
        A_new = _Principal(A, idx)
        known = np.zeros(unknown.size)
        known[fixed] = value
        b_new = b[idx] - (A @ known)[idx]
        x0 = _bordered(factor, v0, fixed, value)
        if x0 is None and self._x is not None:  # warm start from the last matte
            last = np.full(masks.is_fg.size, np.nan)
            last[self._x_unknown] = self._x
            x0 = np.nan_to_num(last[unknown[idx]], nan=0.5)
        elif x0 is None:
            x0 = np.zeros(idx.size)
        else:
            x0 = x0[idx]

        def apply_m(r):
            padded = np.zeros(unknown.size)
            padded[idx] = r
            return factor._apply(padded)[idx]

        x, iterations, converged = _pcg(A_new, b_new, x0, apply_m, UPDATE_RTOL, UPDATE_MAXITER)
        if not converged:  # too far from the kept system: factorise again
            return self._fresh(masks)
        alpha = masks.is_fg.astype(np.float64)
        alpha.flat[unknown[idx]] = np.clip(x, 0.0, 1.0)
        self._x, self._x_unknown = x, unknown[idx]
        return alpha, {"mode": "update", "iterations": iterations}


class _Principal:
    """The principal submatrix ``A[idx][:, idx]`` as a product (no copy of ``A``)."""

    def __init__(self, A, idx):
        self._A, self._idx = A, idx
        self._pad = np.zeros(A.shape[0])

    def __matmul__(self, p):
        self._pad[self._idx] = p
        return (self._A @ self._pad)[self._idx]


def _bordered(factor, v0, fixed, value):
    """The solution of the kept system with the unknowns ``fixed`` set to ``value``
    (the bordering method: see the module docstring), on every kept unknown;
    ``None`` when it would take too much memory or ``(A^{-1})_RR`` is not
    numerically positive definite."""
    if fixed.size == 0:
        return v0.copy()
    from scipy.linalg import LinAlgError, cho_factor, cho_solve
    from threadpoolctl import threadpool_limits

    # small dense blocks: BLAS threads cost more than they give (and spin on a
    # busy machine)
    with threadpool_limits(limits=1, user_api="blas"):
        columns = factor.inverse_factor_columns(fixed, max_entries=UPDATE_MAX_ENTRIES)
        if columns is None:
            return None
        rows, Y = columns
        try:
            g = cho_solve(cho_factor(Y.T @ Y, check_finite=False), value - v0[fixed])
        except LinAlgError:
            return None
    z = np.zeros(factor.n)
    z[rows] = Y @ g
    return v0 + factor.backward(z)


class _KnnSolver:
    """KNN matting with the neighbour lists of every pixel kept."""

    def __init__(self, image, func, options):
        from .laplacian.knn import knn_neighbors

        self._options = options
        o = options
        self._lists = knn_neighbors(
            image, o["n_neighbors"], o["level"], o["spatial_weakening"], o["features"],
            o["kernel"], o["position"],
        )  # fmt: skip
        self._alpha = None

    def solve(self, trimap):
        from .alpha.knn import _auto
        from .laplacian.knn import _knn_system
        from .laplacian.system import solve_system
        from .trimap import masks_of

        masks = masks_of(trimap)
        system = _knn_system(*self._lists, masks, self._options["lambda_"])
        x0 = None
        if self._alpha is not None and system.unknown.size:  # warm start from the last matte
            x0 = self._alpha.ravel()[system.unknown]
        alpha = solve_system(system, **_solve_options(self._options), auto=_auto, x0=x0)
        mode = "fresh" if self._alpha is None else "update"
        self._alpha = alpha
        return alpha, {"mode": mode}
