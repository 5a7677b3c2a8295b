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

Cluster runs (``scheduler=``) submit the same calls to a Dask distributed
cluster instead (:func:`run_tasks`); ``distributed`` is imported only then.
The results still come back to the calling process, which writes every
file: a worker that dies mid-task loses nothing (the scheduler runs the task
again elsewhere), and a Ctrl-C cancels the cluster's tasks
(:func:`terminate_workers`).

This module imports only the standard library (and :mod:`classicmat._warnings`;
``distributed`` when a cluster is used).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ._warnings import ClassicmatWarning, warn

__all__ = [
    "DISTRIBUTED_HINT",
    "RunError",
    "THREAD_VARIABLES",
    "check_scheduler",
    "run_tasks",
    "scheduler_address",
    "terminate_workers",
    "threads_per_worker",
]

#: Environment variables that set the thread count of numba, OpenMP and BLAS.
THREAD_VARIABLES = (
    "NUMBA_NUM_THREADS",
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
)


class RunError(RuntimeError):
    """The workers could not run the tasks (a worker process died, no cluster worker can).

    Finished work is kept: the caller has written the results it received.
    """


_live_pools: set[Any] = set()
_live_runs: set[Any] = set()  # cluster runs (_ClusterRun)
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
    # queues (the resource tracker would otherwise warn of leaked semaphores);
    # waited for a bounded time only: the ProcessPoolExecutor of Python 3.11
    # has known deadlocks in shutdown once its workers are killed (a queue
    # thread writing to a pipe nobody reads, python/cpython#94777; its
    # wake-up pipe, #125451), and a Ctrl-C of `batch --jobs 2` in CI once
    # hung for over 120 s
    _shutdown_within(executor, SHUTDOWN_WAIT)


#: Seconds a killed executor is given to shut down (:func:`_kill`).
SHUTDOWN_WAIT = 2.0


def _shutdown_within(executor: Any, seconds: float) -> bool:
    """``executor.shutdown(wait=True, cancel_futures=True)``, given ``seconds`` at most.

    Runs it in a daemon thread; returns whether it finished in time (if not,
    the thread is left behind: the process is ending, or lives on without
    the pool)."""

    done = threading.Event()

    def shutdown() -> None:
        with contextlib.suppress(Exception):
            executor.shutdown(wait=True, cancel_futures=True)
        done.set()

    threading.Thread(target=shutdown, name="classicmat-shutdown", daemon=True).start()
    return done.wait(seconds)


#: Set by the command line, which ends a Ctrl-C with ``os._exit``: start
#: multiprocessing's resource tracker with its standard error on /dev/null.
quiet_resource_tracker = False


def _start_quiet_resource_tracker() -> None:
    """Start multiprocessing's resource tracker (if not running) with stderr on /dev/null.

    The tracker is a process of its own that outlives this one; after a
    Ctrl-C ended by ``os._exit`` while a pool was being torn down it may
    still find a semaphore registered, unlink it (its job) and print a
    multi-line "leaked semaphore" warning after the command's one line.
    Its clean-up is kept; only its output goes. The command line's work
    thread starts pools; for the few microseconds of the switch another
    thread's writes to stderr would be lost, and the command line has none.
    """
    from multiprocessing import resource_tracker

    if getattr(resource_tracker._resource_tracker, "_pid", None) is not None:
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    saved = os.dup(2)
    try:
        os.dup2(devnull, 2)
        with contextlib.suppress(Exception):
            resource_tracker.ensure_running()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def terminate_workers() -> None:
    """Stop every worker process of the pools running now, cancel cluster tasks (for a Ctrl-C).

    Also runs multiprocessing's exit-time finalizers, which release the
    pools' semaphores, since the process then leaves without running them
    (``os._exit``): multiprocessing's resource tracker would otherwise
    release them itself and warn of a leak.
    """
    with _live_lock:
        pools = list(_live_pools)
        _live_pools.clear()
        runs = list(_live_runs)
        _live_runs.clear()
    for run in runs:
        run.abort()
    for executor in pools:
        _kill(executor)
    if pools:
        from multiprocessing import util

        with contextlib.suppress(Exception):
            util._run_finalizers(0)


def run_tasks(
    func: Callable[[Any], Any],
    tasks: Sequence[Any],
    *,
    jobs: int = 1,
    scheduler: Any = None,
    inputs: Callable[[Any], Sequence[str]] | None = None,
    worker_check: Callable[[], str | None] | None = None,
    status: Callable[[str], None] | None = None,
) -> Iterator[tuple[int, bool, Any]]:
    """Run ``func`` on each task; yield ``(index, ok, result or one-line error)``.

    Results come in completion order; sort by ``index`` for a deterministic
    order. With ``jobs > 1``, ``func`` and the tasks must be picklable
    (module-level functions, plain data) and the work runs in ``jobs``
    processes started with ``"spawn"``. An exception raised by ``func`` is
    returned as a failed result. When the caller stops early (an exception,
    ``KeyboardInterrupt``, or closing the generator), the workers are
    stopped at once and the tasks not yet done are dropped.

    Parameters
    ----------
    func : callable
        ``func(task) -> result``; a module-level function for parallel runs.
    tasks : sequence
        The tasks (picklable for parallel runs).
    jobs : int
        Local worker processes (1: this process).
    scheduler : str or distributed.Client, optional
        Run on this Dask distributed cluster instead (``jobs`` must be 1); see
        :func:`check_scheduler`. Connecting to an address opens a client
        that is closed at the end; a given client is left open.
    inputs : callable, optional
        Cluster runs only: ``inputs(task)`` lists the files the task reads.
        A worker that cannot read a file this process reads (paths that
        differ between machines) is reported once, in a
        :class:`~classicmat.ClassicmatWarning`, and its tasks go to the other
        workers; if no worker can, :class:`RunError` says why.
    worker_check : callable, optional
        Cluster runs only: a picklable ``worker_check() -> problem or None``
        run on each worker first (for instance: the same classicmat version,
        the methods installed); a worker with a problem is treated as above.
    status : callable, optional
        Cluster runs only: called about once a second with the state of the
        cluster's tasks (``"2 running on 2 workers"``), for a progress display.

    Examples
    --------
    >>> sorted(run_tasks(abs, [-1, 2]))
    [(0, True, 1), (1, True, 2)]
    """
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be an integer >= 1, got {jobs!r}")
    if scheduler is not None:
        if jobs != 1:
            raise ValueError(
                f"jobs={jobs} and scheduler= are exclusive: the cluster's workers run the "
                f"tasks (start more workers, or more processes per worker, for more at once)"
            )
        yield from _ClusterRun(func, tasks, scheduler, inputs, worker_check, status).results()
        return
    if jobs == 1 or len(tasks) <= 1:
        for index, task in enumerate(tasks):
            ok, value = _call(func, task)
            yield index, ok, value
        return

    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    threads = threads_per_worker(jobs)
    if quiet_resource_tracker:
        _start_quiet_resource_tracker()
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
                raise RunError(
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


# ---------------------------------------------------------------------------
# Dask distributed
# ---------------------------------------------------------------------------

#: What to install for ``scheduler=``.
DISTRIBUTED_HINT = (
    'running on a Dask cluster needs dask.distributed: pip install "classicmat[distributed]"'
)

#: Seconds to wait for a first worker to join the scheduler.
WORKER_WAIT = 60.0

# in a worker process: one classicmat task at a time (each already uses the
# process's numba threads, and the memory of its image)
_worker_lock = threading.Lock()


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError as exc:
        raise ImportError(f"{DISTRIBUTED_HINT} ({one_line(exc)})") from None
    return distributed


def check_scheduler(scheduler: Any) -> Any:
    """Check a ``scheduler=`` argument before any work; return :mod:`distributed`.

    Raises
    ------
    ImportError
        dask.distributed is not installed (the message says how to install it).
    TypeError, ValueError
        ``scheduler`` is neither a non-empty address string
        (``"tcp://10.0.0.5:8786"``) nor a ``distributed.Client``.
    """
    distributed = _import_distributed()
    if isinstance(scheduler, str):
        if not scheduler.strip():
            raise ValueError("scheduler must be a scheduler address such as 'tcp://10.0.0.5:8786'")
    elif not isinstance(scheduler, distributed.Client):
        raise TypeError(
            f"scheduler must be a scheduler address such as 'tcp://10.0.0.5:8786' or a "
            f"distributed.Client, got {type(scheduler).__name__}"
        )
    return distributed


def scheduler_address(scheduler: Any) -> str | None:
    """The address of ``scheduler`` (an address or a client) for the records; None if None."""
    if scheduler is None or isinstance(scheduler, str):
        return scheduler
    try:
        return str(scheduler.scheduler.address)
    except Exception:  # a closed client
        return repr(scheduler)


def _worker_problem(paths: Sequence[str], check: Callable[[], str | None] | None) -> str | None:
    """On a worker: why it cannot run the tasks (``check``, an unreadable input), or None."""
    if check is not None:
        problem = check()
        if problem:
            return problem
    for path in paths:
        if not os.access(path, os.R_OK):
            return f"cannot read '{path}'"
    return None


def _run_remote(
    func: Callable[[Any], Any],
    task: Any,
    paths: Sequence[str],
    check: Callable[[], str | None] | None,
) -> tuple[str, Any, str]:
    """On a worker: ``(kind, value, worker address)``, kind "ok", "failed", "worker" or "input".

    Tasks run one at a time in each worker process (numba's parallel
    kernels must not run in several threads of one process at once).
    """
    from distributed import get_worker

    address = get_worker().address
    with _worker_lock:
        if check is not None:
            try:
                problem = check()
            except Exception as exc:
                problem = f"cannot run classicmat: {one_line(exc)}"
            if problem:
                return "worker", problem, address
        ok, value = _call(func, task)
    if ok:
        return "ok", value, address
    unreadable = [path for path in paths if not os.access(path, os.R_OK)]
    if unreadable:  # the client decides whether the file is missing or only here
        return "input", (unreadable[0], value), address
    return "failed", value, address


class _ClusterRun:
    """One :func:`run_tasks` on a Dask cluster: submit, collect, resubmit, cancel."""

    def __init__(self, func, tasks, scheduler, inputs, check, status) -> None:
        import uuid

        self.distributed = check_scheduler(scheduler)
        self.func = func
        self.tasks = list(tasks)
        self.scheduler = scheduler
        self.inputs = inputs
        self.check = check
        self.status = status
        self.prefix = f"classicmat-{uuid.uuid4().hex[:12]}-"
        self.client: Any = None
        self.owned = False
        self.futures: dict[str, Any] = {}  # key -> future, for the tasks not collected yet
        self.index: dict[str, int] = {}  # key -> task index
        self.attempts = [0] * len(self.tasks)
        self.bad: dict[str, str] = {}  # worker address -> problem (reported once)
        self.allowed: list[str] | None = None  # the workers without a problem, once one has
        self.closed = False

    # -- connection
    def _connect(self) -> None:
        if isinstance(self.scheduler, str):
            try:
                self.client = self.distributed.Client(self.scheduler, set_as_default=False)
            except (OSError, ValueError) as exc:
                raise OSError(
                    f"cannot connect to the Dask scheduler at {self.scheduler!r}: {one_line(exc)}"
                ) from None
            self.owned = True
        else:
            self.client = self.scheduler
        if self.status is not None and not self.client.nthreads():
            self.status(f"waiting for a worker to join {self.address}")
        try:
            self.client.wait_for_workers(1, timeout=WORKER_WAIT)
        except (TimeoutError, OSError):
            raise RunError(
                f"no worker joined the Dask scheduler at {self.address} in {WORKER_WAIT:.0f} s; "
                f"start workers with 'dask worker {self.address}'"
            ) from None

    @property
    def address(self) -> str:
        return scheduler_address(self.client if self.client is not None else self.scheduler)

    def _paths(self, task: Any) -> list[str]:
        return [os.fspath(p) for p in self.inputs(task)] if self.inputs is not None else []

    # -- workers that cannot run the tasks
    def _workers(self) -> list[str]:
        return list(self.client.nthreads())

    @staticmethod
    def _advice(problem: str) -> str:
        if problem.startswith("cannot read"):
            return (
                " (this machine reads it: every worker must see the inputs at the same paths, "
                "on a shared filesystem; see docs/evaluation.md)"
            )
        return ""

    def _mark_bad(self, problems: dict[str, str]) -> None:
        """Send no more tasks to these workers; report each once; raise if none is left."""
        problems = {a: p for a, p in problems.items() if a not in self.bad}
        if not problems:
            return
        self.bad.update(problems)
        good = [w for w in self._workers() if w not in self.bad]
        self.allowed = good
        if not good:
            address, problem = next(iter(problems.items()))
            others = len(problems) - 1
            raise RunError(
                f"no worker of the Dask scheduler at {self.address} can run the tasks: worker "
                f"{address} {problem}{self._advice(problem)}"
                + (f"; {others} other worker(s) too" if others else "")
            )
        for address, problem in problems.items():
            warn(
                f"Dask worker {address} {problem}{self._advice(problem)}; its tasks run on the "
                f"other {len(good)} worker(s)",
                ClassicmatWarning,
            )

    def _preflight(self) -> None:
        """Ask every worker now present whether it can run the first task."""
        paths = self._paths(self.tasks[0])
        paths = [p for p in paths if os.access(p, os.R_OK)]  # a missing file is the task's
        answers = self.client.run(_worker_problem, paths, self.check, on_error="return")
        problems = {}
        for address, answer in sorted(answers.items()):
            if isinstance(answer, BaseException):
                problems[address] = f"cannot run classicmat: {one_line(answer)}"
            elif answer:
                problems[address] = answer
        self._mark_bad(problems)

    # -- submitting and collecting
    def _submit(self, index: int) -> Any:
        key = f"{self.prefix}{index}-{self.attempts[index]}"
        self.attempts[index] += 1
        future = self.client.submit(
            _run_remote,
            self.func,
            self.tasks[index],
            self._paths(self.tasks[index]),
            self.check,
            key=key,
            pure=False,
            workers=self.allowed,
            allow_other_workers=False,
        )
        self.futures[key] = future
        self.index[key] = index
        return future

    def _outcome(self, future: Any, result: Any) -> tuple[int, bool, Any] | int:
        """The result of a finished future, or the task's index if it must run again."""
        index = self.index.pop(future.key)
        self.futures.pop(future.key, None)
        if future.status == "finished":
            kind, value, address = result
            if kind in ("ok", "failed"):
                return index, kind == "ok", value
            if kind == "input":
                path, error = value
                if not os.access(path, os.R_OK):  # missing here too: the task's own failure
                    return index, False, error
                self._mark_bad({address: f"cannot read '{path}'"})
            else:
                self._mark_bad({address: value})
            return index
        if future.status == "cancelled":
            raise RunError(
                f"the tasks were cancelled on the Dask cluster at {self.address} (the scheduler "
                f"went away?); finished work is kept, rerun to continue"
            )
        exc = result[1] if isinstance(result, tuple) and len(result) == 3 else result
        if type(exc).__name__ == "KilledWorker":
            died = "the Dask workers running it died several times (out of memory?)"
            return index, False, f"{died}; rerun to try again, or give the workers more memory"
        return index, False, one_line(exc) if isinstance(exc, BaseException) else str(exc)

    def _report(self) -> None:
        if self.status is None:
            return
        try:
            processing = self.client.processing()
        except Exception:  # a status line is not worth failing for
            return
        running = sum(
            1 for keys in processing.values() if any(str(k).startswith(self.prefix) for k in keys)
        )
        self.status(f"{running} running on {len(processing)} workers")

    def results(self) -> Iterator[tuple[int, bool, Any]]:
        if not self.tasks:
            return
        with _live_lock:
            _live_runs.add(self)
        try:
            self._connect()
            self._preflight()
            collected = self.distributed.as_completed(
                loop=self.client.loop, with_results=True, raise_errors=False
            )
            for index in range(len(self.tasks)):
                collected.add(self._submit(index))
            last = 0.0
            while not collected.is_empty():
                now = time.monotonic()
                if now - last >= 1.0:
                    self._report()
                    last = now
                batch = collected.next_batch(block=False)
                if not batch:
                    time.sleep(0.05)
                    continue
                for future, result in batch:
                    outcome = self._outcome(future, result)
                    future.release()
                    if isinstance(outcome, int):  # on another worker
                        collected.add(self._submit(outcome))
                        continue
                    yield outcome
        finally:
            with _live_lock:
                _live_runs.discard(self)
            self.abort()

    def abort(self) -> None:
        """Cancel the tasks not collected yet; close the client if this run opened it.

        Called at the end of every run, and by :func:`terminate_workers` for a
        Ctrl-C (from another thread: it waits at most a few seconds for the
        scheduler). A task already running on a worker finishes there; its
        result is dropped (only the calling process writes files).
        """
        if self.closed:
            return
        self.closed = True
        client, futures, owned = self.client, list(self.futures.values()), self.owned
        self.futures.clear()
        if client is None:
            return

        def cancel() -> None:
            with contextlib.suppress(Exception):
                if futures:
                    client.cancel(futures, force=True)
            if owned:
                with contextlib.suppress(Exception):
                    client.close(timeout=5)

        worker = threading.Thread(target=cancel, name="classicmat-cancel", daemon=True)
        worker.start()
        worker.join(10.0)
