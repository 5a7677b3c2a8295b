"""Warning classes raised by classicmat."""

from __future__ import annotations


class ClassicmatWarning(UserWarning):
    """Base class of the warnings raised by classicmat."""


class ConvergenceWarning(ClassicmatWarning):
    """An iterative solver stopped before reaching the requested tolerance.

    The message gives the relative residual reached and advice (raise
    ``maxiter``, loosen ``rtol``, switch ``solver``, or raise ``epsilon``).
    """
