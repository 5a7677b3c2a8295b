"""Run a serial numba kernel on several threads, one span of the work per call.

classicmat's kernels are compiled with ``nogil=True``, so a thread pool runs
them truly side by side. That replaces ``prange``: a ``parallel=True`` kernel
costs 2.5-3.5 times as much to compile (the first run after install is
mostly compilation), while a serial kernel called on spans of rows or
pixels, each writing its own part of the output, gives the same speed-up at
the size where it matters and the same results bit for bit.

Leaf module: imports numba only when :func:`thread_count` is first called.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any


def thread_count() -> int:
    """Threads for the kernels: numba's thread count (``NUMBA_NUM_THREADS``,
    ``numba.set_num_threads``), at most the number of cores."""
    from ._interrupt import import_whole

    numba = import_whole("numba")
    return max(1, min(numba.get_num_threads(), os.cpu_count() or 1))


def spans(n: int, parts: int) -> list[tuple[int, int]]:
    """``parts`` contiguous ``(start, stop)`` ranges covering ``range(n)``
    (fewer when ``n`` is smaller).

    >>> spans(10, 3)
    [(0, 3), (3, 6), (6, 10)]
    >>> spans(2, 4)
    [(0, 1), (1, 2)]
    """
    parts = max(1, min(int(parts), int(n)))
    return [(c * n // parts, (c + 1) * n // parts) for c in range(parts)]


def run_parallel(
    function: Callable[[Any], Any], items: Sequence[Any], *, threads: int | None = None
) -> list[Any]:
    """``[function(item) for item in items]`` on ``threads`` threads
    (default :func:`thread_count`).

    Runs in the calling thread when there is one thread or one item. An
    exception (or Ctrl-C in the calling thread) cancels the items not yet
    started, waits for the running ones (a kernel cannot be stopped midway;
    keep items short) and is raised.
    """
    with thread_pool(threads) as run:
        return run(function, items)


def full(shape: tuple[int, ...], value: Any, dtype: Any) -> Any:
    """``numpy.full(shape, value, dtype)``, filled by spans of rows on all threads.

    For large arrays: the first write to fresh memory (the page faults) is
    most of the cost of a fill, 3 s for 1.2 GB here in one thread and 1.2 s
    in two.
    """
    import numpy as np

    out = np.empty(shape, dtype=dtype)
    if out.size < 1 << 22:
        out.fill(value)
        return out

    def fill(span: tuple[int, int]) -> None:
        out[span[0] : span[1]] = value  # NumPy releases the GIL for the copy

    run_parallel(fill, spans(out.shape[0], 4 * thread_count()))
    return out


@contextmanager
def thread_pool(threads: int | None = None) -> Iterator[Callable[..., list[Any]]]:
    """A ``run(function, items)`` like :func:`run_parallel` that keeps one pool
    of threads for many calls (a loop of short parallel steps)."""
    threads = thread_count() if threads is None else max(1, int(threads))
    pool = None

    def run(function: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        nonlocal pool
        if threads == 1 or len(items) <= 1:
            return [function(item) for item in items]
        if pool is None:
            from concurrent.futures import ThreadPoolExecutor

            pool = ThreadPoolExecutor(threads, thread_name_prefix="classicmat")
        futures = [pool.submit(function, item) for item in items]
        try:
            return [future.result() for future in futures]
        except BaseException:
            for future in futures:
                future.cancel()
            raise

    try:
        yield run
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
