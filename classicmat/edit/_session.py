"""The one place where the page's mattes are solved: a session per method.

The page asks for a new matte after every stroke, on the same image. Part 2
of issue 17 adds ``classicmat.MattingSession(image, method=..., **options)``,
whose ``.solve(trimap)`` keeps what does not change between solves (the
Laplacian, the factorisation, the previous alpha as a warm start). Until it
is there, :func:`open_session` returns :class:`EstimateAlphaSession`, which
has the same interface and calls :func:`classicmat.estimate_alpha` each
time. To use the real session, change :func:`open_session` only.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

__all__ = ["EstimateAlphaSession", "Session", "open_session"]


class Session(Protocol):
    """What the server needs of a session: one image, one method, many trimaps."""

    def solve(self, trimap: Any) -> np.ndarray:
        """The (H, W) float64 alpha matte in [0, 1] of the image given ``trimap``."""
        ...  # pragma: no cover


class EstimateAlphaSession:
    """``MattingSession``'s interface over :func:`classicmat.estimate_alpha` (no reuse).

    Parameters
    ----------
    image : (H, W, C) ndarray of float64
        The photo, already validated (:func:`classicmat._validation.as_image`).
    method : str
        A registered method name.
    **options
        Options of the method, checked on the first solve.
    """

    def __init__(self, image: np.ndarray, method: str = "cf", **options: Any) -> None:
        self.image = image
        self.method = method
        self.options = options

    def solve(self, trimap: Any) -> np.ndarray:
        from ..alpha import estimate_alpha

        return estimate_alpha(self.image, trimap, method=self.method, **self.options)


def open_session(image: np.ndarray, method: str) -> Session:
    """A session that solves mattes of ``image`` with ``method``.

    Replace the body with ``return classicmat.MattingSession(image,
    method=method)`` once the session of part 2 is on main (its matte is the
    same as :func:`classicmat.estimate_alpha`'s within 1e-3, so the 8-bit
    answer of ``POST /api/alpha`` may then differ by one level where a value
    sits on a rounding boundary).
    """
    return EstimateAlphaSession(image, method)
