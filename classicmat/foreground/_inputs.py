"""Input checks shared by the foreground methods and :mod:`classicmat.compose`."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import as_alpha, as_image, check_same_size


def prepare(image: Any, alpha: Any) -> tuple[np.ndarray, np.ndarray]:
    """Validate ``image`` and ``alpha``: (H, W, C) and (H, W) float64 in [0, 1]."""
    image = as_image(image)
    alpha = as_alpha(alpha)
    check_same_size(image, alpha, name="alpha")
    return image, alpha


def pin_known(
    image: np.ndarray, alpha: np.ndarray, foreground: np.ndarray, background: np.ndarray
) -> None:
    """In place: ``F = I`` where ``alpha == 1`` and ``B = I`` where ``alpha == 0``.

    The compositing equation leaves no freedom there, whatever the smoothness
    term of a method pulled the estimate towards.
    """
    np.copyto(foreground, image, where=(alpha == 1.0)[:, :, None])
    np.copyto(background, image, where=(alpha == 0.0)[:, :, None])
