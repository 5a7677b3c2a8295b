"""Trimap conventions: which pixels are known foreground, known background, unknown."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ._validation import as_trimap

#: Trimap values (scaled to [0, 1]) at or below this are known background.
BG_THRESHOLD = 0.1
#: Trimap values (scaled to [0, 1]) at or above this are known foreground.
FG_THRESHOLD = 0.9


class TrimapMasks(NamedTuple):
    """Boolean masks of shape (H, W) that split a trimap."""

    is_fg: np.ndarray
    is_bg: np.ndarray
    is_known: np.ndarray
    is_unknown: np.ndarray


def split_trimap(trimap: Any) -> TrimapMasks:
    """Split a trimap into foreground, background, known and unknown masks.

    Parameters
    ----------
    trimap : (H, W) ndarray, PIL image or path
        uint8, uint16 or float in [0, 1]. After scaling to [0, 1], values
        ``<= 0.1`` are background, values ``>= 0.9`` are foreground and
        everything in between (for instance 128/255) is unknown.

    Returns
    -------
    TrimapMasks
        ``(is_fg, is_bg, is_known, is_unknown)``, boolean arrays of shape (H, W).

    Examples
    --------
    >>> import numpy as np
    >>> masks = split_trimap(np.array([[0, 128, 255]], dtype=np.uint8))
    >>> masks.is_unknown.tolist()
    [[False, True, False]]
    """
    trimap = as_trimap(trimap)
    is_fg = trimap >= FG_THRESHOLD
    is_bg = trimap <= BG_THRESHOLD
    is_known = is_fg | is_bg
    return TrimapMasks(is_fg, is_bg, is_known, ~is_known)
