"""Cutouts and composites: put an estimated foreground over a new background.

Both functions use **straight** (not premultiplied) alpha: colours are the
foreground colours ``F`` themselves, and the blend is
``alpha * F + (1 - alpha) * background``. A premultiplied image would store
``alpha * F`` instead; PNG, and :func:`classicmat.io.write_image`, use straight
alpha.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ._checks import check_choice
from ._validation import as_alpha, as_image, check_same_size

FITS = ("cover", "stretch", "tile")


def parse_colour(background: Any) -> np.ndarray | None:
    """A colour given as ``"#RRGGBB"`` or a 3-tuple, as a (3,) float array; else None."""
    if isinstance(background, str) and background.startswith("#"):
        text = background[1:]
        if len(text) == 3:  # #RGB, as in CSS: each digit doubled
            text = "".join(c + c for c in text)
        if len(text) != 6 or any(c not in "0123456789abcdefABCDEF" for c in text):
            raise ValueError(f"background colour must be '#RRGGBB' or '#RGB', got {background!r}")
        return np.array([int(text[k : k + 2], 16) for k in (0, 2, 4)], dtype=np.float64) / 255
    if isinstance(background, (tuple, list)) and all(
        isinstance(v, numbers.Real) and not isinstance(v, bool) for v in background
    ):
        if len(background) != 3:
            raise ValueError(
                f"background colour must have 3 components (R, G, B), got {background!r}"
            )
        if all(isinstance(v, numbers.Integral) for v in background):
            if not all(0 <= v <= 255 for v in background):
                raise ValueError(f"integer background colour must be in 0-255, got {background!r}")
            return np.array(background, dtype=np.float64) / 255
        colour = np.array(background, dtype=np.float64)
        if not np.all((colour >= 0) & (colour <= 1)):
            raise ValueError(f"float background colour must be in [0, 1], got {background!r}")
        return colour
    return None


def _resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Bicubic resize of a (h, w, C) float image (channel by channel, Pillow)."""
    from PIL import Image

    if image.shape[:2] == (height, width):
        return image
    channels = [
        np.asarray(
            Image.fromarray(np.ascontiguousarray(image[:, :, c], dtype=np.float32)).resize(
                (width, height), Image.Resampling.BICUBIC
            ),
            dtype=np.float64,
        )
        for c in range(image.shape[2])
    ]
    return np.clip(np.stack(channels, axis=2), 0.0, 1.0)


def fit_background(
    background: np.ndarray, height: int, width: int, fit: str = "cover"
) -> np.ndarray:
    """Bring a (h, w, C) background image to (height, width, C).

    - ``"cover"``: scale (bicubic, keeping the aspect ratio) to the smallest
      size that covers ``height x width``, then crop the centre.
    - ``"stretch"``: scale each side independently to the target size.
    - ``"tile"``: repeat the image from the top-left corner, then crop.

    >>> fit_background(np.zeros((2, 4, 3)), 4, 4).shape
    (4, 4, 3)
    """
    check_choice(fit, "fit", FITS)
    h, w = background.shape[:2]
    if (h, w) == (height, width):
        return background
    if fit == "stretch":
        return _resize(background, height, width)
    if fit == "tile":
        reps = (-(-height // h), -(-width // w), 1)
        return np.tile(background, reps)[:height, :width]
    scale = max(height / h, width / w)
    new_h = max(height, round(h * scale))
    new_w = max(width, round(w * scale))
    scaled = _resize(background, new_h, new_w)
    top = (new_h - height) // 2
    left = (new_w - width) // 2
    return scaled[top : top + height, left : left + width]


def composite(foreground: Any, alpha: Any, background: Any, *, fit: str = "cover") -> np.ndarray:
    """Blend ``foreground`` over ``background``: ``alpha * F + (1 - alpha) * background``.

    Parameters
    ----------
    foreground : (H, W, 3) or (H, W) ndarray, PIL image or path
        Straight (not premultiplied) foreground colours, e.g. from
        :func:`classicmat.estimate_foreground`; uint8, uint16 or float in
        [0, 1]. Gray is repeated to RGB.
    alpha : (H, W) ndarray, PIL image or path
        uint8, uint16 or float in [0, 1].
    background : colour, or ndarray, PIL image or path of any size
        A colour -- ``"#RRGGBB"``, a tuple of three ints in 0-255, or of
        three floats in [0, 1] -- or an image. An image of another size is
        brought to (H, W) by ``fit``.
    fit : {"cover", "stretch", "tile"}
        ``"cover"`` (default): scale keeping the aspect ratio until the image
        covers (H, W), then crop the centre; ``"stretch"``: scale to (H, W);
        ``"tile"``: repeat from the top-left corner.

    Returns
    -------
    image : (H, W, 3) ndarray of float64
        In [0, 1].

    Raises
    ------
    ValueError
        Bad shapes, sizes that differ (foreground and alpha), bad colour or
        ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> fg = np.ones((2, 2, 3))
    >>> alpha = np.array([[0.0, 0.5], [1.0, 1.0]])
    >>> composite(fg, alpha, "#000000")[..., 0]
    array([[0. , 0.5],
           [1. , 1. ]])
    """
    check_choice(fit, "fit", FITS)
    foreground = as_image(foreground, name="foreground")
    alpha = as_alpha(alpha)
    check_same_size(foreground, alpha, name="alpha", ref="foreground")
    colour = parse_colour(background)
    if colour is None:
        background = as_image(background, name="background")
    return blend(foreground, alpha, background if colour is None else colour, fit)


def blend(foreground: np.ndarray, alpha: np.ndarray, background: np.ndarray, fit: str):
    """:func:`composite` of validated arrays: ``background`` an (h, w, C) image
    (brought to the size of ``alpha`` by ``fit``) or an RGB colour (3,)."""
    height, width = alpha.shape
    if background.ndim == 1:
        back = np.broadcast_to(background, (height, width, 3))
    else:
        back = fit_background(background, height, width, fit)
    a = alpha[:, :, None]
    out = a * foreground + (1.0 - a) * back
    if out.shape[2] == 1:
        out = np.repeat(out, 3, axis=2)
    return np.clip(out, 0.0, 1.0)


def cutout(image: Any, alpha: Any, *, foreground: Any = None) -> np.ndarray:
    """An RGBA cutout with straight alpha: colours = foreground, fourth channel = alpha.

    Parameters
    ----------
    image : (H, W, 3) or (H, W) ndarray, PIL image or path
        The photo; used only to estimate the foreground when ``foreground``
        is None, and for its size.
    alpha : (H, W) ndarray, PIL image or path
        The alpha matte.
    foreground : (H, W, 3) ndarray, PIL image or path, optional
        Foreground colours. When None, they are estimated with
        :func:`classicmat.estimate_foreground` and its default method
        (``"multilevel"``); pass the raw ``image`` to get the naive cutout
        that keeps the old background's colour in the soft edges.

    Returns
    -------
    rgba : (H, W, 4) ndarray of float64
        ``rgba[..., :3]`` is the foreground, **not** multiplied by alpha, and
        ``rgba[..., 3]`` the alpha. ``classicmat.io.write_image("x.png",
        rgba)`` writes a standard straight-alpha PNG.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.full((2, 2, 3), 0.25)
    >>> rgba = cutout(image, np.full((2, 2), 0.5), foreground=image)
    >>> rgba[0, 0].tolist()
    [0.25, 0.25, 0.25, 0.5]
    """
    image = as_image(image)
    alpha = as_alpha(alpha)
    check_same_size(image, alpha, name="alpha")
    if foreground is None:
        from .foreground import estimate_foreground

        foreground = estimate_foreground(image, alpha)
    else:
        foreground = as_image(foreground, name="foreground")
        check_same_size(image, foreground, name="foreground")
    return rgba(foreground, alpha)


def rgba(foreground: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """:func:`cutout` of validated arrays: the straight-alpha (H, W, 4) image."""
    if foreground.shape[2] == 1:
        foreground = np.repeat(foreground, 3, axis=2)
    return np.concatenate([foreground, alpha[:, :, None]], axis=2)
