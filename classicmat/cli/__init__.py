"""The ``classicmat`` command: estimate an alpha matte from an image and a trimap.

::

    classicmat IMAGE TRIMAP [-o OUT] [--method NAME] [--epsilon E] [--option NAME=VALUE] ...
    classicmat IMAGE [TRIMAP] --method onnx --model M.onnx [--spec NAME] ...
    classicmat IMAGE --auto-trimap M.onnx [--method NAME] ...
    classicmat methods
    classicmat evaluate --dataset DIR --layout NAME --out DIR [--methods cf,...] ...
    classicmat batch IMAGES_DIR TRIMAPS_DIR -o OUT_DIR [--method NAME] [--jobs N] ...
    classicmat score --pred DIR --gt DIR --trimap DIR [--out scores.csv] [--resize] ...
    classicmat compile [--method NAME]
    classicmat edit IMAGE [TRIMAP] [--port P] [--host H] [--no-browser] ...
    classicmat --version

A first argument that is a subcommand name runs that subcommand (one module
each in this package); anything else is the IMAGE TRIMAP form
(:mod:`classicmat.cli.run`). Heavy modules (numpy, scipy, numba) are
imported inside functions, only when needed: ``--version`` imports none of
them, ``--help`` and ``methods`` only numpy.

Exit status: 0 on success, 2 for usage errors (bad options or values, a
missing input file, an output path that is an input or a directory), 1 for
failures while processing (unreadable image, sizes that differ, a trimap
without foreground or background, ...), 130 when interrupted. Errors are one
line on stderr, ``classicmat: error: ...``; warnings are one line each,
``classicmat: warning: ...``.

Ctrl-C: the work runs in a worker thread; the main thread, which Python's
signal handler interrupts at once, removes the files being written, stops
worker processes, prints ``classicmat: interrupted`` and ends the process
with status 130 (:func:`classicmat._interrupt.run_interruptible`).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Sequence

from .._tasks import RunError
from .._version import __version__
from ._common import (
    EXIT_BROKEN_PIPE,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    PROG,
    ParserExit,
    UsageError,
    error,
    one_line,
)

__all__ = ["SUBCOMMANDS", "entry", "main"]


def _subcommand(name: str) -> Callable[[list[str]], int]:
    import importlib

    return importlib.import_module(f"{__name__}.{SUBCOMMANDS[name]}").run


#: Subcommands: a first argument with one of these names runs the module's ``run``.
SUBCOMMANDS = {
    "methods": "methods",
    "evaluate": "evaluate",
    "batch": "batch",
    "score": "score",
    "compile": "compile",
    "edit": "edit",
}


def _dispatch(argv: list[str]) -> int:
    if argv == ["--version"]:  # before any parser: imports nothing
        print(f"{PROG} {__version__}")
        return 0
    if argv and argv[0] in SUBCOMMANDS:
        return _subcommand(argv[0])(argv[1:])
    from .run import run

    return run(argv)


def _guarded(argv: list[str]) -> int:
    """Run the command; map every error to its exit status and one line on stderr."""
    try:
        return _dispatch(argv)
    except ParserExit as exc:
        return exc.status
    except BrokenPipeError:
        # stdout is closed (a pipe into `head`): nothing more to say, and the
        # final flush must not fail on it either
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except UsageError as exc:
        command = f"{PROG} {argv[0]}" if argv and argv[0] in SUBCOMMANDS else PROG
        error(f"{one_line(exc)} (see '{command} --help')")
        return EXIT_USAGE
    except (ValueError, TypeError, OSError, ImportError, RunError) as exc:
        # ImportError: an optional dependency (onnxruntime, dask), or a broken plugin;
        # RunError: the workers could not run the tasks (died; a cluster without a usable one)
        error(one_line(exc))
        return EXIT_FAILURE
    except MemoryError:
        error("out of memory; try a smaller image")
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        if os.environ.get("CLASSICMAT_DEBUG") == "1":
            raise
        error(
            f"internal error: {type(exc).__name__}: {one_line(exc)} "
            f"(please report it; set CLASSICMAT_DEBUG=1 for the traceback)"
        )
        return EXIT_FAILURE


def _on_interrupt() -> None:
    """Ctrl-C: leave nothing half written, stop the workers, say so.

    The work thread may still print (the pool it waits on breaks when the
    workers stop): its output goes nowhere from now on.
    """
    from .._ahead import stop_all
    from .._files import remove_pending
    from .._tasks import terminate_workers

    stderr = sys.stderr
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - until os._exit
    terminate_workers()
    stop_all()
    remove_pending()
    print(f"{PROG}: interrupted", file=stderr)
    stderr.flush()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``classicmat`` command; return its exit status.

    A Ctrl-C (SIGINT) ends the process at once with status 130, after
    removing the files being written and stopping worker processes: call
    this from a command-line entry point, not from a program that must
    survive the signal.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments, without the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 success, 1 failure while processing, 2 usage error, 130 interrupted,
        141 standard output closed early (``classicmat methods | head``).
    """
    from .. import _tasks
    from .._interrupt import run_interruptible

    _tasks.quiet_resource_tracker = True  # a Ctrl-C ends with os._exit (see _tasks)

    arguments = list(sys.argv[1:] if argv is None else argv)
    return run_interruptible(
        lambda: _guarded(arguments), on_interrupt=_on_interrupt, status=EXIT_INTERRUPTED
    )


def entry() -> None:
    """The console script: :func:`main`, then leave without interpreter teardown.

    Once the command is done, a Ctrl-C has nothing left to stop: it is
    ignored while the process exits. ``os._exit`` skips the teardown of
    numba's compiled modules, in which the LLVM of some llvmlite wheels was
    seen to abort (exit status 134) after a successful run.
    """
    import signal

    status = main()
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    except (ValueError, OSError):  # pragma: no cover - not the main thread
        pass
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(status)
