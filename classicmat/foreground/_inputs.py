"""Input checks shared by the foreground methods and :mod:`classicmat.compose`."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from .._validation import as_alpha, as_image, check_same_size


def prepare(image: Any, alpha: Any) -> tuple[np.ndarray, np.ndarray]:
    """Validate ``image`` and ``alpha``: (H, W, C) and (H, W) float64 in [0, 1]."""
    image = as_image(image)
    alpha = as_alpha(alpha)
    check_same_size(image, alpha, name="alpha")
    return image, alpha


def validates_inputs(core: Callable) -> Callable:
    """A foreground method that validates ``image`` and ``alpha`` once, then runs ``core``.

    ``method.core`` is ``core`` itself, for callers that hold validated
    arrays already (the command line, and a method that uses another).
    """

    @functools.wraps(core)
    def method(image: Any, alpha: Any, **options: Any):
        image, alpha = prepare(image, alpha)
        return core(image, alpha, **options)

    method.core = core  # type: ignore[attr-defined]
    return method


def pin_known(
    image: np.ndarray, alpha: np.ndarray, foreground: np.ndarray, background: np.ndarray
) -> None:
    """In place: ``F = I`` where ``alpha == 1`` and ``B = I`` where ``alpha == 0``.

    The compositing equation leaves no freedom there, whatever the smoothness
    term of a method pulled the estimate towards.
    """
    np.copyto(foreground, image, where=(alpha == 1.0)[:, :, None])
    np.copyto(background, image, where=(alpha == 0.0)[:, :, None])
