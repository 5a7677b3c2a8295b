"""Checks of scalar options (numbers, choices): the lowest layer of the package.

Every option of every public function goes through these helpers, so that a
bad value fails before any work with a ``TypeError`` or ``ValueError`` that
names the option, what was expected and what was received.

This module imports nothing of classicmat (and only numbers and NumPy).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

#: Float inputs may leave [0, 1] by rounding noise of this size only.
FLOAT_SLACK = 1e-6


def check_number(
    value: Any,
    name: str,
    *,
    integer: bool = False,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    allow_none: bool = False,
) -> Any:
    """Check a scalar option; return it as ``int`` or ``float``.

    ``low``/``high`` are inclusive bounds unless ``low_open`` makes the lower
    bound strict.
    """
    if value is None and allow_none:
        return None
    kind = "an integer" if integer else "a number"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be {kind}, got {value!r} ({type(value).__name__})")
    if integer:
        if not isinstance(value, numbers.Integral):
            if float(value).is_integer():
                value = int(value)
            else:
                raise TypeError(f"{name} must be an integer, got {value!r}")
        value = int(value)
    else:
        value = float(value)
        if not np.isfinite(value):
            raise ValueError(f"{name} must be finite, got {value!r}")
    if low is not None and (value <= low if low_open else value < low):
        relation = ">" if low_open else ">="
        raise ValueError(f"{name} must be {relation} {low:g}, got {value!r}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high:g}, got {value!r}")
    return value


def check_choice(value: Any, name: str, choices) -> str:
    """Raise ``ValueError`` unless ``value`` is one of ``choices``."""
    if not isinstance(value, str) or value not in choices:
        valid = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {valid}, got {value!r}")
    return value
