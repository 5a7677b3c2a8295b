"""Ctrl-C (SIGINT) that never lands where it can crash the process.

Python runs its SIGINT handler, which raises ``KeyboardInterrupt``, in the
main thread between two bytecodes, wherever that thread is. Two places are
unsafe:

- numba compiling or loading a kernel from its disk cache: llvmlite calls
  back into Python through ctypes, and an exception raised inside such a
  callback is printed and swallowed ("Exception ignored ..."), leaving the
  JIT in an undefined state (the run then went on, or crashed);
- compiled code calling back into Python (numba boxes an array it returns
  by calling ``numba.core.serialize._numba_unpickle``, and does not check
  for an error): a ``KeyboardInterrupt`` there is a segmentation fault.
  Kernels in classicmat therefore return scalars only; their outputs are
  arrays allocated by the caller (``tests/test_jit.py`` checks every kernel).

:func:`deferred_sigint` holds a SIGINT back for the length of such a
section and delivers it right after; :func:`classicmat._jit.njit` uses it
around compilation. The command line runs its work in a worker thread
instead, so that Ctrl-C is handled at once by the main thread
(:func:`run_interruptible`).

A third case is Python's own: on 3.11, an exception raised while a class
body runs ``__set_name__`` (a dataclass field, as in a module that a first
call imports lazily, such as ``scipy.ndimage``) comes out as a
``RuntimeError`` caused by it. :func:`restores_interrupt` turns such an
error back into the ``KeyboardInterrupt`` it was, at the public entry
points.

numba's own import is a fourth: its C extensions import each other from
their initialisation, and a ``KeyboardInterrupt`` there is printed and
replaced by an ``ImportError`` ("numba._devicearray failed to import") that
no longer says it was a Ctrl-C, and that leaves numba half imported for the
rest of the process. :func:`import_whole` imports such a module with SIGINT
held back.

This module imports only the standard library.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["deferred_sigint", "import_whole", "restores_interrupt", "run_interruptible"]


def _interrupt_in(error: BaseException) -> KeyboardInterrupt | None:
    """The ``KeyboardInterrupt`` that ``error`` was raised from, if any."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, KeyboardInterrupt):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def restores_interrupt(func: Callable) -> Callable:
    """Wrap ``func`` so that an error caused by a Ctrl-C is raised as ``KeyboardInterrupt``."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except Exception as exc:
            interrupt = _interrupt_in(exc)
            if interrupt is None:
                raise
            raise KeyboardInterrupt(*interrupt.args) from exc

    return wrapper


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def deferred_sigint() -> Iterator[None]:
    """Hold SIGINT back inside the block; deliver it to the previous handler after.

    Outside the main thread (where Python never runs signal handlers) and
    where the handler cannot be replaced, this does nothing. A SIGINT held
    back is handed to the handler that was installed before: Python's
    default one raises ``KeyboardInterrupt`` at the end of the block.
    """
    if not _in_main_thread():
        yield
        return
    try:
        previous = signal.getsignal(signal.SIGINT)
    except (ValueError, OSError):  # pragma: no cover - no signal support here
        yield
        return
    if previous is None or previous is signal.SIG_IGN:
        yield  # not installed from Python, or ignored: nothing to hold back
        return
    caught: list[Any] = []

    def hold(signum, frame):
        caught.append(frame)

    try:
        signal.signal(signal.SIGINT, hold)
    except (ValueError, OSError):  # pragma: no cover - e.g. a subinterpreter
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught:
            if previous is signal.SIG_DFL:
                os.kill(os.getpid(), signal.SIGINT)
            elif callable(previous):
                previous(signal.SIGINT, caught[-1])


def import_whole(name: str) -> Any:
    """Import the module ``name`` with SIGINT held back (see the module docstring).

    A Ctrl-C during the import is delivered once the module is whole.

    >>> import_whole("json").__name__
    'json'
    """
    module = sys.modules.get(name)
    if module is not None:
        return module
    with deferred_sigint():
        return importlib.import_module(name)


def run_interruptible(
    work: Callable[[], int], *, on_interrupt: Callable[[], None], status: int = 130
) -> int:
    """Run ``work()`` in a worker thread; on Ctrl-C, clean up and leave at once.

    The main thread waits for the worker. When SIGINT arrives it calls
    ``on_interrupt()`` (which removes half-written files and prints the
    message) and ends the process with ``os._exit(status)``, without waiting
    for the work to reach a point where it could stop and without tearing
    the interpreter down (numba's compiled modules then need no cleanup).
    Only for command-line entry points: the process does not survive a
    Ctrl-C. Returns what ``work()`` returns; an exception it raises is
    raised again here.
    """
    result: list[Any] = []
    error: list[BaseException] = []

    def target() -> None:
        try:
            result.append(work())
        except BaseException as exc:  # handed to the main thread
            error.append(exc)

    if not _in_main_thread():  # pragma: no cover - the CLI runs in the main thread
        return work()
    worker = threading.Thread(target=target, name="classicmat-work", daemon=True)
    try:
        worker.start()
        while worker.is_alive():
            worker.join(0.25)
    except KeyboardInterrupt:
        try:
            on_interrupt()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(status)
    if error:
        raise error[0]
    return result[0]
