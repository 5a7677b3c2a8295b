"""Scribbles: a few strokes instead of a trimap.

Levin, Lischinski and Weiss designed closed-form matting for a few strokes:
white over the foreground, black over the background, painted on a copy of
the image. :func:`read_scribbles` turns such a painted copy into the
constraint map every Laplacian method takes: 1 under white strokes, 0 under
black strokes, 0.5 (unknown) elsewhere, the same as a trimap with those
values. A label map (gray: 0 background strokes and 255 foreground strokes
on 128) is that trimap already, and can be passed as it is.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._checks import check_number
from ._validation import as_image, check_same_size
from ._warnings import ClassicmatWarning, warn

__all__ = ["ScribbleWarning", "read_scribbles", "scribble_methods"]


def scribble_methods() -> list[str]:
    """The built-in methods that work from scribbles: the Laplacian methods.

    Methods declare it (``matting_method(scribbles=False)`` for those that
    need known samples around every unknown pixel, like Bayesian matting,
    or were trained on trimaps, like networks); this imports every method.

    >>> "cf" in scribble_methods() and "bayesian" not in scribble_methods()
    True
    """
    from .alpha import METHODS

    return [e.name for e in METHODS.builtins() if getattr(METHODS.get(e.name), "scribbles", True)]


class ScribbleWarning(ClassicmatWarning):
    """Some painted pixels are neither white nor black: they are left unknown."""


def read_scribbles(
    painted: Any,
    image: Any,
    *,
    tolerance: float = 0.5 / 255,
    name: str = "scribbles",
) -> np.ndarray:
    """The constraint map of strokes painted on a copy of ``image``.

    A pixel is a stroke where ``painted`` differs from ``image`` by more
    than ``tolerance`` in some channel; a stroke pixel painted white (gray
    level >= 0.9) is known foreground, one painted black (<= 0.1) known
    background. Everything else is unknown.

    Parameters
    ----------
    painted : (H, W, 3) or (H, W) ndarray, PIL image or path
        The image with white and black strokes painted on it (8- or 16-bit,
        or float in [0, 1]), the size of ``image``.
    image : (H, W, 3) or (H, W) ndarray, PIL image or path
        The image itself.
    tolerance : float, optional
        Largest difference (colours in [0, 1]) that is not a stroke; the
        default counts any change of one 8-bit level. Raise it for a painted
        copy saved as JPEG, whose compression changes every pixel a little.
    name : str, optional
        The argument's name in messages.

    Returns
    -------
    (H, W) ndarray of float64
        1 under foreground strokes, 0 under background strokes, 0.5
        elsewhere: pass it as the ``trimap`` of :func:`classicmat.estimate_alpha`
        (or of a :class:`classicmat.MattingSession`) with a Laplacian method
        (:func:`scribble_methods`).

    Raises
    ------
    ValueError
        Sizes that differ, or no stroke of one kind (a matte needs both
        foreground and background constraints).

    Warns
    -----
    ScribbleWarning
        Stroke pixels of another colour (neither white nor black, say the
        anti-aliased rim of a brush) are left unknown, and counted.

    Notes
    -----
    Where the image is already pure white and a white stroke is painted over
    it (or black over black), the painted copy does not differ from the
    image: those pixels cannot be seen as strokes and stay unknown. Strokes
    are usually wide enough for that not to matter; where it does, use a
    label map instead (gray 0/255 strokes on 128: a trimap), which says the
    label of every pixel explicitly.

    References
    ----------
    .. [1] A. Levin, D. Lischinski, Y. Weiss, "A Closed-Form Solution to
       Natural Image Matting", IEEE TPAMI 30(2), 2008.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.full((2, 3, 3), 0.5)
    >>> painted = image.copy(); painted[0, 0] = 1.0; painted[1, 2] = 0.0
    >>> read_scribbles(painted, image).tolist()
    [[1.0, 0.5, 0.5], [0.5, 0.5, 0.0]]
    """
    tolerance = check_number(tolerance, "tolerance", low=0.0, high=1.0)
    painted = as_image(painted, name=name)
    image = as_image(image)
    check_same_size(image, painted, name=name)
    if painted.shape[2] != image.shape[2]:  # a gray image painted in colour, or the reverse
        painted = np.repeat(painted.mean(axis=2, keepdims=True), image.shape[2], axis=2)
    stroke = (np.abs(painted - image) > tolerance).any(axis=2)
    level = painted.mean(axis=2)
    is_fg = stroke & (level >= 0.9)
    is_bg = stroke & (level <= 0.1)
    other = int(stroke.sum() - is_fg.sum() - is_bg.sum())
    if other:
        warn(
            ScribbleWarning(
                f"{other} painted pixels of {name} are neither white nor black (gray level "
                f"between 0.1 and 0.9): they are left unknown"
            )
        )
    missing = [kind for kind, mask in (("white", is_fg), ("black", is_bg)) if not mask.any()]
    if missing:
        raise ValueError(
            f"{name} has no {' and no '.join(missing)} strokes (foreground is painted white, "
            f"background black, on a copy of the image): a matte needs both"
        )
    constraints = np.full(image.shape[:2], 0.5)
    constraints[is_fg] = 1.0
    constraints[is_bg] = 0.0
    return constraints
