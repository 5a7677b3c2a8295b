"""The one place where the page's mattes are solved: a session per method.

The page asks for a new matte after every stroke, on the same image.
:func:`open_session` gives it a :class:`classicmat.MattingSession` per
method, whose ``.solve(trimap)`` keeps what does not change between solves
(the factorisation, the neighbour lists, the previous alpha as a warm
start). Every solve of the server goes through :func:`open_session`: the
one place to change how they are made.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

__all__ = ["Session", "open_session"]


class Session(Protocol):
    """What the server needs of a session: one image, one method, many trimaps."""

    def solve(self, trimap: Any) -> np.ndarray:
        """The (H, W) float64 alpha matte in [0, 1] of the image given ``trimap``."""
        ...  # pragma: no cover


def open_session(image: np.ndarray, method: str) -> Session:
    """A session that solves mattes of ``image`` with ``method``.

    :class:`classicmat.MattingSession`: cf keeps the factorisation of its
    first solve and solves a stroke that adds known pixels by conjugate
    gradients from the previous matte; knn keeps every pixel's neighbour
    lists; other methods solve afresh. Its matte equals
    :func:`classicmat.estimate_alpha`'s within 1e-3, so the 8-bit answer of
    ``POST /api/alpha`` equals ``estimate_alpha``'s, or differs by one level
    where a value sits on a rounding boundary.
    """
    from ..session import MattingSession

    return MattingSession(image, method=method)
