"""Run a function over many tasks: in this process, or in a pool of worker processes.

:func:`run_tasks` is the one task runner of ``classicmat batch`` and
``classicmat evaluate``. Workers only compute and return their results (the
bytes of the files to write, a record); the calling process writes every
file, atomically, so that a worker that dies or is stopped never leaves a
partial file behind.

Parallel runs use a :class:`concurrent.futures.ProcessPoolExecutor` with the
``"spawn"`` start method. Each worker gets ``cpu_count // jobs`` threads (at
least one) for numba and BLAS: ``NUMBA_NUM_THREADS``, ``OMP_NUM_THREADS``,
``OPENBLAS_NUM_THREADS`` and ``MKL_NUM_THREADS`` are set while the workers
start, so that ``jobs`` workers do not each start one thread per core. The
workers ignore SIGINT: a Ctrl-C reaches the calling process, which stops
them at once (:func:`terminate_workers`) instead of letting them finish the
tasks already handed to them.

This module imports only the standard library.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

__all__ = ["THREAD_VARIABLES", "run_tasks", "terminate_workers", "threads_per_worker"]

#: Environment variables that set the thread count of numba, OpenMP and BLAS.
THREAD_VARIABLES = (
    "NUMBA_NUM_THREADS",
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
)

_live_pools: set[Any] = set()
_live_lock = threading.Lock()


def one_line(exc: BaseException) -> str:
    """The message of ``exc`` on one line (its type name if it has none)."""
    if isinstance(exc, MemoryError):
        return "out of memory"
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def threads_per_worker(jobs: int) -> int:
    """Threads each of ``jobs`` worker processes may use: ``cpu_count // jobs``, >= 1.

    >>> threads_per_worker(10**6)
    1
    """
    return max(1, (os.cpu_count() or 1) // max(1, jobs))


@contextlib.contextmanager
def _thread_environment(threads: int) -> Iterator[None]:
    """Set the thread variables (unless the user set them) for processes started inside."""
    saved = {name: os.environ.get(name) for name in THREAD_VARIABLES}
    try:
        for name in THREAD_VARIABLES:
            if saved[name] is None:
                os.environ[name] = str(threads)
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _init_worker(threads: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops the workers
    for name in THREAD_VARIABLES:
        os.environ.setdefault(name, str(threads))


def _call(func: Callable[[Any], Any], task: Any) -> tuple[bool, Any]:
    """Run ``func(task)``; return ``(True, result)`` or ``(False, one-line error)``."""
    try:
        return True, func(task)
    except Exception as exc:  # MemoryError included
        return False, one_line(exc)


def _kill(executor: Any) -> None:
    """Stop the worker processes of ``executor`` now, and the executor with them."""
    terminate = getattr(executor, "terminate_workers", None)  # Python >= 3.14
    if terminate is not None:
        with contextlib.suppress(Exception):
            terminate()
        return
    # (shutdown() forgets the processes: take them first)
    processes = list((getattr(executor, "_processes", None) or {}).values())
    for process in processes:
        with contextlib.suppress(Exception):
            process.terminate()
    for process in processes:
        with contextlib.suppress(Exception):
            process.join(5)
    # with its workers gone the executor shuts down at once, and releases its
    # queues (the resource tracker would otherwise warn of leaked semaphores)
    with contextlib.suppress(Exception):
        executor.shutdown(wait=True, cancel_futures=True)


def terminate_workers() -> None:
    """Stop every worker process of the pools running now (for a Ctrl-C).

    Also runs multiprocessing's exit-time finalizers, which release the
    pools' semaphores, since the process then leaves without running them
    (``os._exit``): multiprocessing's resource tracker would otherwise
    release them itself and warn of a leak.
    """
    with _live_lock:
        pools = list(_live_pools)
        _live_pools.clear()
    for executor in pools:
        _kill(executor)
    if pools:
        from multiprocessing import util

        with contextlib.suppress(Exception):
            util._run_finalizers(0)


def run_tasks(
    func: Callable[[Any], Any], tasks: Sequence[Any], *, jobs: int = 1
) -> Iterator[tuple[int, bool, Any]]:
    """Run ``func`` on each task; yield ``(index, ok, result or one-line error)``.

    Results come in completion order; sort by ``index`` for a deterministic
    order. With ``jobs > 1``, ``func`` and the tasks must be picklable
    (module-level functions, plain data) and the work runs in ``jobs``
    processes started with ``"spawn"``. An exception raised by ``func`` is
    returned as a failed result. When the caller stops early (an exception,
    ``KeyboardInterrupt``, or closing the generator), the workers are
    stopped at once and the tasks not yet done are dropped.

    Examples
    --------
    >>> sorted(run_tasks(abs, [-1, 2]))
    [(0, True, 1), (1, True, 2)]
    """
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be an integer >= 1, got {jobs!r}")
    if jobs == 1 or len(tasks) <= 1:
        for index, task in enumerate(tasks):
            ok, value = _call(func, task)
            yield index, ok, value
        return

    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    threads = threads_per_worker(jobs)
    executor = ProcessPoolExecutor(
        max_workers=min(jobs, len(tasks)),
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker,
        initargs=(threads,),
    )
    with _live_lock:
        _live_pools.add(executor)
    finished = False
    try:
        # Workers are started while tasks are submitted: set their thread counts.
        with _thread_environment(threads):
            futures = {executor.submit(_call, func, task): i for i, task in enumerate(tasks)}
        for future in as_completed(futures):
            try:
                ok, value = future.result()
            except BrokenProcessPool:
                raise RuntimeError(
                    "a worker process died (out of memory?); finished work is kept, "
                    "rerun to continue or use fewer jobs"
                ) from None
            yield futures[future], ok, value
        finished = True
    finally:
        with _live_lock:
            _live_pools.discard(executor)
        if finished:
            executor.shutdown(wait=True)
        else:
            _kill(executor)
