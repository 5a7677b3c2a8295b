"""Multifrontal sparse Cholesky with a geometric nested-dissection ordering.

The systems of closed-form matting couple each unknown pixel only to the
unknown pixels of a small neighbourhood (``|dy|, |dx| <= 2 * radius``). Given
the pixel of every unknown, a band of that thickness cut through a box of
pixels disconnects its two sides, which gives a nested-dissection ordering
without any graph partitioner (George 1973). The factorisation is the
multifrontal method (Duff & Reid 1983; Liu 1992): for every node of the
dissection tree, in postorder, a dense front is assembled from the rows of
``A`` and the update matrices of its children, partially factorised with
LAPACK/BLAS (``potrf``, ``trsm``, ``syrk``) and its Schur complement passed
to the parent on a stack.

References
----------
.. [1] A. George, "Nested dissection of a regular finite element mesh",
   SIAM J. Numer. Anal. 10(2), 1973.
.. [2] I. S. Duff and J. K. Reid, "The multifrontal solution of indefinite
   sparse symmetric linear equations", ACM TOMS 9(3), 1983.
.. [3] J. W. H. Liu, "The multifrontal method for sparse matrix solution:
   theory and practice", SIAM Review 34(1), 1992.
"""

from __future__ import annotations

import functools
import threading
import time
from typing import Any

import numpy as np
import scipy.sparse as sp

from .._parallel import thread_count

#: Default pixels per leaf of the dissection (measured, ``benchmarks/bench_direct.py``).
DEFAULT_LEAF_SIZE = 32

#: Flops of the fronts factorised by one call of the numba kernel: about 0.1 s
#: here, the longest a Ctrl-C waits (but for one larger front). Smaller calls
#: cost more: 1e8 made the numeric phase about 8 % slower.
CHUNK_FLOPS = 1e9

#: ``factor_dtype="auto"`` stores the factor in float32 above this many bytes of
#: float64 factor (lemur x4, 619k unknowns: 760 MiB -> 407 MiB; one CG step
#: then reaches a relative residual of 1e-13).
AUTO_FLOAT32_BYTES = 256 * 2**20

#: Diagonal shifts, relative to the largest diagonal entry of ``A``, tried in
#: turn when the factorisation of ``A`` itself breaks down. A matting
#: Laplacian restricted to the unknowns is positive definite in exact
#: arithmetic, but its smallest eigenvalues can be as small as the rounding
#: of its entries (flat or two-colour images, tiny epsilon); the factor of
#: ``A + shift I`` then preconditions conjugate gradients on ``A`` itself.
BREAKDOWN_SHIFTS = (1e-12, 1e-10, 1e-8)


class _Breakdown(ValueError):
    """A non-positive pivot: the matrix factorised is not positive definite."""

    def __init__(self, unknown: int) -> None:
        super().__init__(
            "A is not positive definite (the Cholesky factorisation broke down at "
            f"unknown {unknown}); is it symmetric positive definite?"
        )
        self.unknown = unknown


def check_coords(coords: Any, n: int) -> np.ndarray:
    """Return ``coords`` as a contiguous ``(n, 2)`` int64 array, or raise ``ValueError``."""
    arr = np.asarray(coords)
    if arr.ndim != 2 or arr.shape[1] != 2 or arr.shape[0] != n:
        raise ValueError(
            f"coords must have shape ({n}, 2) (the row and column of each unknown), "
            f"got shape {arr.shape}"
        )
    if arr.dtype == np.bool_ or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"coords must be an integer array, got dtype {arr.dtype}")
    arr = arr.astype(np.int64, copy=False)
    if n and arr.min() < 0:
        raise ValueError(f"coords must be non-negative pixel indices, got minimum {arr.min()}")
    return arr


class MultifrontalCholesky:
    """Cholesky factorisation ``P A P^T = L L^T`` of a sparse SPD matrix on pixels.

    Build it with :func:`multifrontal_cholesky`; then :meth:`solve` any number
    of right-hand sides.

    Attributes
    ----------
    n : int
        Order of ``A``.
    nfronts : int
        Nodes of the dissection tree (dense fronts).
    max_front : int
        Rows of the largest front.
    factor_nnz : int
        Nonzeros of ``L`` (lower triangles of the diagonal blocks counted once).
    nbytes : int
        Bytes of the stored factor (diagonal blocks stored square in float64,
        their lower triangles only in float32).
    stack_bytes : int
        Peak bytes of the update-matrix stack during the factorisation.
    times : dict
        Seconds of the ``"symbolic"`` and ``"numeric"`` phases.
    shift : float
        0, or the diagonal shift of the matrix actually factorised
        (``A + shift I``) when the factorisation of ``A`` broke down from
        rounding (see :data:`BREAKDOWN_SHIFTS`).
    """

    def __init__(self, A, perm, node_ptr, sptr, struct, loff, lbuf, stack_bytes, times, shift):
        self._A = A
        self.shift = float(shift)
        self.n = A.shape[0]
        self._perm = perm
        self._node_ptr = node_ptr
        self._sptr = sptr
        self._struct = struct
        self._loff = loff
        self._lbuf = lbuf
        k = np.diff(node_ptr)
        m = np.diff(sptr)
        self.nfronts = len(k)
        self.max_front = int((k + m).max()) if len(k) else 0
        self.factor_nnz = int((k * (k + 1) // 2 + m * k).sum())
        self.nbytes = int(lbuf.nbytes)
        self.stack_bytes = int(stack_bytes)
        self.times = times
        self.iterations = 0

    def _apply(self, b):
        from . import _mf_kernels as K

        y = b[self._perm]
        packed = int(self._lbuf.dtype == np.float32)
        K.supernodal_solve(
            self._node_ptr, self._sptr, self._struct, self._lbuf, self._loff, packed, 1, 1, y
        )
        x = np.empty_like(y)
        x[self._perm] = y
        return x

    def _blocks(self, j):
        """Node ``j``'s ``L11`` (k x k, lower triangle valid) and ``L21`` (m x k), float64."""
        k = int(self._node_ptr[j + 1] - self._node_ptr[j])
        m = int(self._sptr[j + 1] - self._sptr[j])
        lo = int(self._loff[j])
        if self._lbuf.dtype == np.float32:
            kp = k * (k + 1) // 2
            flat = np.zeros(k * k)
            flat[_lower_columns(k)] = self._lbuf[lo : lo + kp]
            L21 = self._lbuf[lo + kp : lo + kp + m * k].astype(np.float64)
        else:
            flat = self._lbuf[lo : lo + k * k]
            L21 = self._lbuf[lo + k * k : lo + k * k + m * k]
        return flat.reshape((k, k), order="F"), L21.reshape((m, k), order="F")

    def _parents(self) -> np.ndarray:
        """The assembly tree: the parent of every node (-1 for a root)."""
        if getattr(self, "_parent", None) is None:
            m = np.diff(self._sptr)
            first = self._struct[self._sptr[:-1][m > 0]]
            parent = np.full(self.nfronts, -1, np.int64)
            parent[m > 0] = np.searchsorted(self._node_ptr, first, side="right") - 1
            self._parent = parent
        return self._parent

    def inverse_factor_columns(
        self, idx: Any, *, max_entries: int | None = None
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """``rows, Y``: the columns ``Y = L^{-1} P e_i`` for the unknowns ``idx``.

        ``L^{-1} P e_i`` is zero but on the nodes of the assembly tree from
        unknown ``i``'s node up to its root; ``rows`` (new numbering, sorted)
        are the pixels of all those nodes and ``Y`` (``len(rows)`` x
        ``len(idx)``, float64) the columns on them. Then ``Y.T @ Y`` is
        ``A^{-1}[idx][:, idx]`` (of the factorised matrix). The work is
        dense (BLAS) on those nodes only. ``None`` if ``Y`` would have more
        than ``max_entries`` entries.
        """
        from scipy.linalg import solve_triangular

        idx = np.asarray(idx, dtype=np.int64)
        iperm = np.empty_like(self._perm)
        iperm[self._perm] = np.arange(self.n)
        new = iperm[idx]
        parent = self._parents()
        nodes = set()
        for j in np.unique(np.searchsorted(self._node_ptr, new, side="right") - 1).tolist():
            while j >= 0 and j not in nodes:
                nodes.add(j)
                j = int(parent[j])
        nodes = np.array(sorted(nodes), dtype=np.int64)
        starts, stops = self._node_ptr[nodes], self._node_ptr[nodes + 1]
        sizes = stops - starts
        if max_entries is not None and int(sizes.sum()) * len(idx) > max_entries:
            return None
        rows = np.repeat(stops - np.cumsum(sizes), sizes) + np.arange(int(sizes.sum()))
        where = np.full(self.n, -1, np.int64)
        where[rows] = np.arange(len(rows))
        Y = np.zeros((len(rows), len(idx)))
        Y[where[new], np.arange(len(idx))] = 1.0
        for j, start, k in zip(nodes.tolist(), starts.tolist(), sizes.tolist(), strict=True):
            at = int(where[start])
            L11, L21 = self._blocks(j)
            block = solve_triangular(L11, Y[at : at + k], lower=True, check_finite=False)
            Y[at : at + k] = block
            if L21.shape[0]:
                below = where[self._struct[self._sptr[j] : self._sptr[j + 1]]]
                Y[below] -= L21 @ block
        return rows, Y

    def backward(self, z: Any) -> np.ndarray:
        """``P^T L^{-T} z`` for ``z`` in the new numbering (a result in the original one)."""
        from . import _mf_kernels as K

        y = np.array(z, dtype=np.float64)
        packed = int(self._lbuf.dtype == np.float32)
        K.supernodal_solve(
            self._node_ptr, self._sptr, self._struct, self._lbuf, self._loff, packed, 0, 1, y
        )
        x = np.empty_like(y)
        x[self._perm] = y
        return x

    def solve(self, b: Any, *, rtol: float = 1e-12, maxiter: int = 100) -> np.ndarray:
        """Return ``x`` with ``A x = b`` (``b`` a length-``n`` vector).

        With an exact float64 factor this is one forward and one backward
        substitution. With a float32 factor, or a factor of ``A + shift I``,
        conjugate gradients preconditioned by the factor run until
        ``norm(b - A @ x) <= rtol * norm(b)`` or ``maxiter`` iterations
        (``iterations`` records how many).
        """
        b = np.asarray(b, dtype=np.float64)
        if b.shape != (self.n,):
            raise ValueError(f"b must have shape ({self.n},), got {b.shape}")
        x = self._apply(b)
        self.iterations = 0
        if self._lbuf.dtype == np.float64 and self.shift == 0.0:
            return x
        A = self._A
        target = rtol * float(np.linalg.norm(b))
        r = b - A @ x
        if np.linalg.norm(r) <= target:
            return x
        z = self._apply(r)
        p = z.copy()
        rz = float(r @ z)
        for it in range(1, maxiter + 1):
            Ap = A @ p
            alpha = rz / float(p @ Ap)
            x += alpha * p
            r -= alpha * Ap
            self.iterations = it
            if np.linalg.norm(r) <= target:
                break
            z = self._apply(r)
            rz_new = float(r @ z)
            p *= rz_new / rz
            p += z
            rz = rz_new
        return x

    def __repr__(self) -> str:
        return (
            f"<MultifrontalCholesky n={self.n} fronts={self.nfronts} "
            f"largest front={self.max_front} factor nnz={self.factor_nnz:,} "
            f"factor={self.nbytes / 2**20:.1f} MiB ({self._lbuf.dtype}) "
            f"stack={self.stack_bytes / 2**20:.1f} MiB>"
        )


def _analyse(A, coords, leaf_size, balance):
    from . import _mf_kernels as K

    indptr, indices = A.indptr, A.indices
    y = np.ascontiguousarray(coords[:, 0])
    x = np.ascontiguousarray(coords[:, 1])
    # (the kernels write into arrays allocated here and return scalars only)
    n = len(y)
    ry, rx = K.coupling_reach(indptr, indices, y, x)
    perm = np.empty(n, np.int64)
    node_ptr = np.empty(n + 1, np.int64)
    seg = np.arange(n, dtype=np.int64)
    extent = max(int(y.max()), int(x.max())) + 1 if n else 1
    nnodes = K.nested_dissection(
        y, x, ry, rx, leaf_size, balance, perm, node_ptr,
        seg, np.empty(n, np.int64), np.empty(extent + 2, np.int64),
        np.empty((2 * n + 16, 3), np.int64),
    )  # fmt: skip
    del seg
    node_ptr = node_ptr[: nnodes + 1].copy()
    iperm = np.empty_like(perm)
    iperm[perm] = np.arange(n)
    parent = np.empty(nnodes, np.int64)
    sptr = np.empty(nnodes + 1, np.int64)
    capacity = 4 * n + 16
    work = [np.empty(n, np.int64) for _ in range(3)] + [
        np.empty(nnodes, np.int64) for _ in range(2)
    ]
    owner, mark, buf, head, nxt = work
    while True:
        struct = np.empty(capacity, np.int64)
        size = K.symbolic(
            node_ptr,
            indptr,
            indices,
            perm,
            iperm,
            parent,
            sptr,
            struct,
            owner,
            mark,
            head,
            nxt,
            buf,
        )
        if size >= 0:
            break
        capacity *= 2
    del work, owner, mark, buf
    struct = struct[:size].copy()
    order = np.empty(nnodes, np.int64)
    K.tree_postorder(
        parent, order, head, nxt, np.empty(nnodes, np.int64), np.empty(nnodes, np.int64)
    )
    del head, nxt
    if np.any(order != np.arange(len(order))):
        # the assembly tree differs from the dissection tree (a part that does
        # not touch its separator): renumber in a postorder of the assembly
        # tree, which keeps the fill and lets the update matrices live on a stack
        new_ptr = np.empty(nnodes + 1, np.int64)
        new_sptr = np.empty(nnodes + 1, np.int64)
        new_struct = np.empty(size, np.int64)
        newpos = np.empty(n, np.int64)
        K.renumber(node_ptr, sptr, struct, order, new_ptr, new_sptr, new_struct, newpos)
        node_ptr, sptr, struct = new_ptr, new_sptr, new_struct
        inv = np.empty_like(order)
        inv[order] = np.arange(len(order))
        parent = np.where(parent[order] >= 0, inv[parent[order]], -1)
        perm_new = np.empty_like(perm)
        perm_new[newpos] = perm
        perm = perm_new
        iperm[perm] = np.arange(len(perm))
    return perm, iperm, node_ptr, parent, sptr, struct


def _offsets(node_ptr, sptr, packed):
    """``loff`` (N + 1): node ``j`` stores ``L11`` (k x k; its lower triangle
    only if ``packed``) then ``L21`` (m x k) at ``loff[j]``."""
    k = np.diff(node_ptr)
    m = np.diff(sptr)
    loff = np.zeros(len(k) + 1, np.int64)
    np.cumsum((k * (k + 1) // 2 if packed else k * k) + m * k, out=loff[1:])
    return loff


def _children(parent):
    """``child_ptr`` (N + 1) and ``child_idx`` (N): node ``j``'s children, in
    increasing order, are ``child_idx[child_ptr[j]:child_ptr[j + 1]]``."""
    N = len(parent)
    has_parent = parent >= 0
    child_ptr = np.zeros(N + 1, np.int64)
    np.cumsum(np.bincount(parent[has_parent], minlength=N), out=child_ptr[1:])
    children = np.flatnonzero(has_parent)
    child_idx = np.zeros(N, np.int64)
    child_idx[: len(children)] = children[np.argsort(parent[children], kind="stable")]
    return child_ptr, child_idx


@functools.lru_cache(maxsize=64)
def _lower_columns(k):
    """Flat indices of the lower triangle of a k x k column-major matrix, column after column."""
    c, r = np.triu_indices(k)
    return c * k + r


def _front_costs(node_ptr, sptr):
    """Flops of each front: potrf k^3/3, trsm m k^2, syrk m^2 k (float, to avoid overflow)."""
    k = np.diff(node_ptr).astype(np.float64)
    m = np.diff(sptr).astype(np.float64)
    return k**3 / 3.0 + m * k * k + m * m * k + 1.0


def _partition(node_ptr, sptr, parent, child_ptr, child_idx, threads):
    """``group[j]``: the thread that factorises node ``j``, or ``threads`` for the top.

    Subtrees are independent until their root's parent: split the most
    expensive subtree (its root joins the top, factorised last) until none
    costs more than ``1 / (4 threads)`` of the whole (or there are
    ``256 threads`` of them), then hand them to the threads, largest first,
    each to the least loaded (LPT). The top (the large separators) runs
    after them with several BLAS threads.
    """
    import heapq

    N = len(parent)
    cost = _front_costs(node_ptr, sptr)
    sub = cost.copy()
    size = np.ones(N, np.int64)
    for j in range(N):  # postorder: children before parents
        p = parent[j]
        if p >= 0:
            sub[p] += sub[j]
            size[p] += size[j]
    total = float(sub[parent < 0].sum())
    heap = [(-float(sub[r]), int(r)) for r in np.flatnonzero(parent < 0)]
    heapq.heapify(heap)
    group = np.full(N, threads, np.int64)
    # split while the largest subtree costs more than a quarter of a thread's
    # share (however many there are already: the unknown region of scribbles
    # has many components, one of them most of the work)
    while heap and len(heap) < 256 * threads and -heap[0][0] > total / (4 * threads):
        _, r = heapq.heappop(heap)
        children = child_idx[child_ptr[r] : child_ptr[r + 1]]
        if not len(children):
            heapq.heappush(heap, (-float(sub[r]), r))
            break
        for c in children:
            heapq.heappush(heap, (-float(sub[c]), int(c)))
    load = [0.0] * threads
    for negative, r in sorted(heap):
        t = load.index(min(load))
        load[t] -= negative
        group[r - size[r] + 1 : r + 1] = t  # a subtree is a contiguous postorder range
    return group


def _numeric(A, perm, iperm, node_ptr, sptr, struct, loff, parent, child_ptr, child_idx,
             lbuf, work_size, threads):  # fmt: skip
    """The numeric factorisation into ``lbuf``; returns the stack size used."""
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import threadpool_limits

    from . import _mf_kernels as K
    from ._blas_kernels import addresses

    N = len(parent)
    n = A.shape[0]
    threads = max(1, min(threads, N))
    group = (
        np.zeros(N, np.int64)
        if threads == 1
        else _partition(node_ptr, sptr, parent, child_ptr, child_idx, threads)
    )
    n_groups = threads + 1
    foff = np.empty(N, np.int64)
    uoff = np.empty(N, np.int64)
    peaks = np.empty(n_groups, np.int64)
    K.plan_groups(
        sptr, group, child_ptr, child_idx, foff, uoff, peaks, np.empty(n_groups, np.int64)
    )
    base = np.concatenate([[0], np.cumsum(peaks)[:-1]])
    foff += base[group]
    uoff += base[group]
    stack = np.empty(int(peaks.sum()), np.float64)
    blas = addresses(*K.FACTOR_ROUTINES)
    packed = work_size > 0  # a float32 factor: fronts in a float64 work buffer

    cost = _front_costs(node_ptr, sptr)
    stop = threading.Event()  # set when the factorisation ends early (Ctrl-C, breakdown)

    def run(nodes):
        # the fronts of ``nodes``, by a numba kernel that calls LAPACK and BLAS
        # without the GIL (threads run their subtrees side by side), in calls
        # of about CHUNK_FLOPS: between two, the main thread takes a Ctrl-C
        # and the others see ``stop``
        if not len(nodes):
            return
        front = np.empty(work_size) if packed else lbuf
        pos = np.empty(n, np.int64)
        total = np.cumsum(cost[nodes])
        cuts = np.searchsorted(total, np.arange(CHUNK_FLOPS, total[-1], CHUNK_FLOPS))
        bounds = np.unique(np.concatenate([[0], cuts, [len(nodes)]]))
        for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
            if stop.is_set():
                return
            failed = K.factor_nodes(
                nodes[a:b], node_ptr, sptr, struct, child_ptr, child_idx, uoff, foff,
                A.indptr, A.indices, A.data, perm, iperm, pos,
                lbuf, loff, stack, front, packed, blas,
            )  # fmt: skip
            if failed >= 0:
                stop.set()
                raise _Breakdown(int(failed))

    order = np.argsort(group, kind="stable")  # by group, postorder inside each
    starts = np.searchsorted(group[order], np.arange(n_groups + 1))
    parts = [order[starts[g] : starts[g + 1]] for g in range(n_groups)]
    # BLAS on one thread while the subtrees run side by side (OpenBLAS threads
    # spinning on a shared machine made small fronts 20x slower, measured)
    with threadpool_limits(limits=1, user_api="blas"):
        if threads == 1:
            run(parts[0])
        else:
            with ThreadPoolExecutor(threads) as pool:
                futures = [pool.submit(run, part) for part in parts[:threads]]
                try:
                    for future in futures:
                        future.result()  # a breakdown in a thread is raised here
                except BaseException:  # Ctrl-C or a breakdown: the others stop too
                    stop.set()
                    raise
    # the top: few, large fronts, where BLAS threads pay
    with threadpool_limits(limits=threads, user_api="blas"):
        run(parts[threads])
    return stack.nbytes


def multifrontal_cholesky(
    A: Any,
    coords: Any,
    *,
    leaf_size: int = DEFAULT_LEAF_SIZE,
    balance: float = 0.25,
    factor_dtype: Any = "auto",
    float32_above: int = AUTO_FLOAT32_BYTES,
    threads: int | None = None,
) -> MultifrontalCholesky:
    """Factorise the sparse SPD matrix ``A`` whose unknowns sit on pixels.

    Parameters
    ----------
    A : (n, n) sparse matrix
        Symmetric positive definite (only ``A`` itself is read, both triangles).
    coords : (n, 2) array_like of int
        Row and column of the pixel of each unknown. Any coupling reach is
        accepted (it is read from ``A``), but the ordering is only good when
        it is small, as for matting Laplacians.
    leaf_size : int, optional
        Parts of the dissection with at most this many pixels are not cut.
    balance : float, optional
        A cut leaves at least this fraction of a part on each side (unless a
        cut without separator exists).
    factor_dtype : {'auto', 'float64', 'float32'}, optional
        Storage of the factor. Fronts are always factorised in float64; a
        float32 factor halves the memory and :meth:`MultifrontalCholesky.solve`
        then runs conjugate gradients preconditioned by it (one or two
        iterations reach 1e-12 on matting systems). ``'auto'``: float32 when
        the float64 factor would exceed ``float32_above`` bytes.
    float32_above : int, optional
        The threshold of ``factor_dtype='auto'``; default
        ``AUTO_FLOAT32_BYTES`` (256 MiB). A factor kept for many solves
        (:class:`classicmat.MattingSession`) is worth more memory.
    threads : int, optional
        Threads of the numeric phase (default: numba's thread count, at most
        the number of cores). Independent subtrees of the dissection are
        factorised side by side, then the large top separators with as many
        BLAS threads. The factor does not depend on it, except for the
        rounding of multithreaded BLAS in the top fronts.

    Returns
    -------
    MultifrontalCholesky

    Raises
    ------
    ValueError
        Bad ``coords`` or ``leaf_size``, or ``A`` not positive definite
        (the factorisation breaks down even with the largest shift of
        :data:`BREAKDOWN_SHIFTS`).
    """

    t0 = time.perf_counter()
    A = sp.csr_array(A)
    if A.dtype != np.float64:
        A = A.astype(np.float64)
    n = A.shape[0]
    coords = check_coords(coords, n)
    if int(leaf_size) != leaf_size or leaf_size < 1:
        raise ValueError(f"leaf_size must be a positive integer, got {leaf_size!r}")
    if not (isinstance(factor_dtype, str) and factor_dtype == "auto") and np.dtype(
        factor_dtype
    ) not in (np.float32, np.float64):
        raise ValueError(f"factor_dtype must be float32 or float64, got {factor_dtype!r}")
    if not 0.0 <= balance < 0.5:
        raise ValueError(f"balance must be in [0, 0.5), got {balance!r}")
    perm, iperm, node_ptr, parent, sptr, struct = _analyse(A, coords, int(leaf_size), balance)
    del coords
    child_ptr, child_idx = _children(parent)
    loff = _offsets(node_ptr, sptr, packed=False)
    t1 = time.perf_counter()

    if isinstance(factor_dtype, str) and factor_dtype == "auto":
        single = 8 * int(loff[-1]) > float32_above
    else:
        single = np.dtype(factor_dtype) == np.float32
    if single:  # fronts are factorised in a float64 work buffer, then stored packed
        loff = _offsets(node_ptr, sptr, packed=True)
    lbuf = np.empty(int(loff[-1]), np.float32 if single else np.float64)
    ks = np.diff(node_ptr)
    ms = np.diff(sptr)
    # float32 storage: each front is factorised in float64 in a work buffer
    work_size = int((ks * ks + ks * ms).max()) if single and len(ks) else 0
    threads = thread_count() if threads is None else int(threads)
    shift = 0.0
    factored = A
    scale = float(abs(A.diagonal()).max()) if n else 0.0
    for retry in (*BREAKDOWN_SHIFTS, None):
        try:
            stack_bytes = _numeric(factored, perm, iperm, node_ptr, sptr, struct, loff, parent,
                                   child_ptr, child_idx, lbuf, work_size, threads)  # fmt: skip
            break
        except _Breakdown:
            if retry is None or not scale > 0.0:
                raise
            shift = retry * scale
            factored = (A + sp.diags_array(np.full(n, shift))).tocsr()
            factored.sort_indices()
    del factored
    t2 = time.perf_counter()
    times = {"symbolic": t1 - t0, "numeric": t2 - t1}
    return MultifrontalCholesky(
        A, perm, node_ptr, sptr, struct, loff, lbuf, stack_bytes, times, shift
    )
