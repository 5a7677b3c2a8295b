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

- :func:`start` starts ``python -c "<warm-up>"`` for a kernel module (the
  warm-up runs the module's kernels on tiny inputs, :mod:`classicmat._warmup`);
- the kernel module calls :func:`wait` when it is imported: if a process is
  compiling it, the import waits for that process to end, then numba loads
  the kernels from the cache (any it did not write are compiled as usual).

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

__all__ = ["WARMERS", "start", "stop_all", "wait"]

#: Kernel module -> the statement that compiles its kernels (in a new process).
WARMERS = {
    "classicmat.solvers._mf_kernels": (
        "from classicmat._warmup import warm_multifrontal; warm_multifrontal()"
    ),
}

#: Set to "0" to compile every kernel in the process that uses it.
SWITCH_VARIABLE = "CLASSICMAT_COMPILE_AHEAD"

_pending: dict[str, subprocess.Popen] = {}


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

    Returns whether a process was started. Does nothing when the module is
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
    try:
        process = subprocess.Popen(
            [sys.executable, "-c", WARMERS[module]],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    except OSError:
        return False
    _pending[module] = process
    return True


def wait(module: str) -> None:
    """Wait for the process compiling ``module`` (if any) to end."""
    process = _pending.pop(module, None)
    if process is not None:
        try:
            process.wait()
        except BaseException:
            process.kill()
            raise


@atexit.register
def stop_all() -> None:
    """Stop every process still compiling (the work ended before it needed them)."""
    while _pending:
        _, process = _pending.popitem()
        if process.poll() is None:
            process.kill()
        process.wait()
