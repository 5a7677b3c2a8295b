"""Warning classes raised by classicmat, and :func:`warn`, which points at the caller."""

from __future__ import annotations

import sys
import warnings


def _outside(name: object) -> bool:
    return not (isinstance(name, str) and (name == "classicmat" or name.startswith("classicmat.")))


def warn(message: str | Warning, category: type[Warning] | None = None) -> None:
    """``warnings.warn`` attributed to the first frame outside classicmat.

    The user's line, however many of the package's frames (the method
    contract, a dispatcher, a deprecated name) lie between it and the code
    that warns; a fixed ``stacklevel`` breaks whenever one is added.
    """
    level = 2  # 1 would be this function's own call of warnings.warn
    frame = sys._getframe(1)
    while frame is not None and not _outside(frame.f_globals.get("__name__")):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)


class ClassicmatWarning(UserWarning):
    """Base class of the warnings raised by classicmat."""


class ConvergenceWarning(ClassicmatWarning):
    """An iterative solver stopped before reaching the requested tolerance.

    The message gives the relative residual reached and advice (raise
    ``maxiter``, loosen ``rtol``, switch ``solver``, or raise ``epsilon``).
    """
