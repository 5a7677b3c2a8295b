"""Compile a kernel module in a second process while this one works.

The first run after an installation is mostly numba compilation, and numba
compiles one kernel at a time, in one thread. A closed-form matte on a
2-core machine builds its Laplacian (compiling the Laplacian's kernels)
before it needs the direct solver (whose kernels take longer to compile):
the solver's kernels can be compiled meanwhile, by another Python process,
into the shared disk cache (:mod:`classicmat._jit`), and then loaded from
it. The command line does that for the methods that declare it
(``matting_method(ahead=...)``), and only when the kernels are not in the
cache yet; later runs never start the second process.

- :func:`start` starts ``python -c "<statement>"`` for a kernel module, one
  process per statement of its :class:`Warmer` (the statements compile
  groups of kernels by argument types, :data:`classicmat._warmup.AHEAD_GROUPS`);
- the kernel module calls :func:`wait` at the end of its import: this
  process compiles its own share (the Warmer's ``here`` statement), then
  waits for the processes to end; numba loads the rest from the cache (any
  kernel they did not write is compiled as usual). A kernel that calls
  cached kernels compiles only its own code.

Nothing depends on the second process: if it cannot start, fails or is
killed, the kernels are compiled in this process as they would have been.
It is stopped when this process exits. Setting ``CLASSICMAT_COMPILE_AHEAD=0``
turns it off.

Imports only the standard library (and :mod:`classicmat._jit`,
which imports numba, when :func:`start` looks at the cache).
"""

from __future__ import annotations

import atexit
import glob
import os
import subprocess
import sys
from typing import NamedTuple

__all__ = ["WARMERS", "Warmer", "start", "stop_all", "wait"]


class Warmer(NamedTuple):
    """How a kernel module is compiled ahead.

    ``processes``: statements run each in a new process by :func:`start`;
    ``here``: a statement this process runs when the module is imported
    (:func:`wait`), its own share of the kernels, before it waits for the
    processes.
    """

    processes: tuple[str, ...]
    here: str = ""


def _split(module: str) -> Warmer:
    """Group 0 of ``module`` in a second process, group 1 here
    (:data:`classicmat._warmup.AHEAD_GROUPS`)."""
    statement = "from classicmat._warmup import compile_group; compile_group({!r}, {})"
    return Warmer((statement.format(module, 0),), statement.format(module, 1))


#: Kernel module -> its :class:`Warmer`. The multifrontal solver's kernels
#: take about 5 s to compile, Bayesian matting's 7 s, each in one thread:
#: split, the first run of a method waits for less than half of that.
WARMERS: dict[str, Warmer] = {
    module: _split(module)
    for module in ("classicmat.solvers._mf_kernels", "classicmat.alpha._bayesian_kernels")
}

#: Set to "0" to compile every kernel in the process that uses it.
SWITCH_VARIABLE = "CLASSICMAT_COMPILE_AHEAD"

_pending: dict[str, tuple[list[subprocess.Popen], str]] = {}


def _cached(module: str) -> bool:
    """Whether the cache holds kernels of ``module`` (an index file of one of them).

    Stale entries (of an edited source file) count as cached: numba then
    recompiles them in this process, as without this module.
    """
    import importlib.util

    from ._jit import _FUNCTION_CACHE, kernel_cache_folder

    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None or _FUNCTION_CACHE is None:
        return True  # nothing to compile ahead, or a cache this module cannot read
    folder = kernel_cache_folder(spec.origin)
    if folder is None:  # pragma: no cover - numba with other internals
        return True
    stem = os.path.splitext(os.path.basename(spec.origin))[0]
    return bool(glob.glob(os.path.join(glob.escape(folder), f"{stem}.*.nbi")))


def start(module: str) -> bool:
    """Compile ``module``'s kernels in a new process, unless they are cached.

    Returns whether processes were started (one per statement of its
    :class:`Warmer`). Does nothing when the module is
    already imported here, has no warm-up in :data:`WARMERS`, or
    ``CLASSICMAT_COMPILE_AHEAD=0``.
    """
    if (
        os.environ.get(SWITCH_VARIABLE, "1") == "0"
        or module in _pending
        or module in sys.modules
        or module not in WARMERS
        or _cached(module)
    ):
        return False
    warmer = WARMERS[module]
    processes = []
    for statement in warmer.processes:
        try:
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-c", statement],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        except OSError:
            break
    if processes:
        _pending[module] = (processes, warmer.here)
    return bool(processes)


def wait(module: str) -> None:
    """Compile this process's share of ``module``'s kernels, then wait for the
    processes compiling the rest (if :func:`start` started any).

    Called by the kernel module at the end of its import: its kernels are
    defined. A share that fails to compile is left to the first calls.
    """
    processes, here = _pending.pop(module, ([], ""))
    try:
        if processes and here:
            try:
                exec(here, {})  # a statement of WARMERS, never user input
            except Exception:  # pragma: no cover - compiled on first call instead
                pass
        for process in processes:
            process.wait()
    except BaseException:
        for process in processes:
            process.kill()
        raise


@atexit.register
def stop_all() -> None:
    """Stop every process still compiling (the work ended before it needed them)."""
    while _pending:
        _, (processes, _) = _pending.popitem()
        for process in processes:
            if process.poll() is None:
                process.kill()
            process.wait()
