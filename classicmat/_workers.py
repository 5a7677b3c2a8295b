"""What a worker of a Dask cluster must have to run classicmat's tasks.

:func:`worker_problem` runs on each worker before its first task (through
``run_tasks(..., worker_check=...)``): the same classicmat version as the
calling machine (so that a cluster run gives the rows of a local run) and
every method of the run, plugins included (their package must be installed
on the workers too).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

__all__ = ["worker_check", "worker_problem"]


def worker_problem(version: str, methods: Sequence[str] = ()) -> str | None:
    """Why this process cannot run the tasks of a run made with ``version`` and ``methods``.

    Returns a phrase that follows "Dask worker <address>", or None.

    >>> from classicmat import __version__
    >>> worker_problem(__version__, ("cf",)) is None
    True
    >>> worker_problem("0.0.0")  # doctest: +ELLIPSIS
    'has classicmat ..., not 0.0.0 as the calling machine; install the same version everywhere'
    """
    from ._version import __version__

    if __version__ != version:
        return (
            f"has classicmat {__version__}, not {version} as the calling machine; "
            f"install the same version everywhere"
        )
    if methods:
        from .alpha import METHODS

        for name in methods:
            try:
                METHODS.get(name)
            except (ValueError, ImportError) as exc:
                text = " ".join(str(exc).split())
                return (
                    f"cannot load method {name!r} ({text}); install the package that "
                    f"provides it on every worker"
                )
    return None


def worker_check(methods: Sequence[str] = ()) -> Callable[[], str | None]:
    """The picklable check of :func:`worker_problem` for this machine's version."""
    from ._version import __version__

    return functools.partial(worker_problem, __version__, tuple(methods))
