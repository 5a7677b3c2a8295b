"""Every check and conversion of user input, in one place.

All public functions pass their array inputs through these helpers, so that a
bad input fails early with a ``TypeError`` or ``ValueError`` that names the
argument, what was expected and what was received, instead of crashing deep
inside a numba kernel.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ._checks import FLOAT_SLACK

#: Trimap values (scaled to [0, 1]) at or below this are known background.
BG_THRESHOLD = 0.1
#: Trimap values (scaled to [0, 1]) at or above this are known foreground.
FG_THRESHOLD = 0.9


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"ndarray of shape {value.shape} and dtype {value.dtype}"
    return type(value).__name__


def _load_if_path(value: Any, name: str, kind: str) -> Any:
    """Read ``value`` from disk if it is a path, convert a PIL image to an array."""
    if isinstance(value, (str, os.PathLike)):
        from .io import read_image

        return read_image(value, kind=kind, name=name)
    # PIL images, without importing PIL when the user does not use it.
    if type(value).__module__.startswith("PIL.") and hasattr(value, "mode"):
        from .io import pil_to_array

        return pil_to_array(value, kind=kind, name=name)
    return value


def _to_unit_float(array: np.ndarray, name: str) -> np.ndarray:
    """Scale an 8/16-bit integer or float array to float64 in [0, 1]."""
    if array.dtype == np.uint8:
        return array.astype(np.float64) / 255.0
    if array.dtype == np.uint16:
        return array.astype(np.float64) / 65535.0
    if array.dtype == np.bool_:
        return array.astype(np.float64)
    if np.issubdtype(array.dtype, np.floating):
        out = np.asarray(array, dtype=np.float64)
        if out.size:
            if not np.all(np.isfinite(out)):
                raise ValueError(f"{name} contains NaN or infinite values")
            lo, hi = float(out.min()), float(out.max())
            if lo < -FLOAT_SLACK or hi > 1.0 + FLOAT_SLACK:
                raise ValueError(
                    f"{name} of float dtype must have values in [0, 1], "
                    f"got values in [{lo:.6g}, {hi:.6g}]; "
                    f"divide by 255 (8-bit) or 65535 (16-bit) first"
                )
            if lo < 0.0 or hi > 1.0:
                out = np.clip(out, 0.0, 1.0)
        return out
    raise TypeError(
        f"{name} must have dtype uint8, uint16 or float with values in [0, 1], "
        f"got dtype {array.dtype}"
    )


def _as_array(value: Any, name: str, kind: str, hint: str = "") -> np.ndarray:
    """``value`` (a path, a PIL image, an array-like) as an ndarray, or a ``TypeError``
    that says what was passed."""
    original = value
    value = _load_if_path(value, name, kind)
    if isinstance(value, np.ndarray):
        return value
    expected = f"{name} must be an ndarray, a PIL image or a path"
    if value is None:
        raise TypeError(f"{expected}, got None{hint}")
    if hasattr(value, "read"):
        raise TypeError(
            f"{expected}, got a file object ({type(value).__name__}); pass the file's path, "
            f"or read it first with classicmat.read_image"
        )
    try:
        array = np.asarray(value)
    except Exception:  # ragged sequences and other objects NumPy cannot take
        raise TypeError(f"{expected}, got {_describe(original)}") from None
    if array.dtype == object or array.ndim == 0:
        raise TypeError(f"{expected}, got {_describe(original)}")
    return array


def as_image(image: Any, *, name: str = "image") -> np.ndarray:
    """Return ``image`` as a C-contiguous float64 array of shape (H, W, C).

    Accepts an ndarray (uint8, uint16, or float in [0, 1]), a PIL image or a
    path. Gray images give C = 1, RGB and RGBA images C = 3: the alpha channel
    of an RGBA image is ignored.
    """
    image = _as_array(image, name, "image")
    if image.ndim == 2:
        image = image[:, :, None]
    elif image.ndim == 3 and image.shape[2] in (1, 3, 4):
        if image.shape[2] == 4:
            image = image[:, :, :3]
    else:
        raise ValueError(
            f"{name} must have shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), "
            f"got shape {image.shape}"
        )
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise ValueError(f"{name} must not be empty, got shape {image.shape}")
    return np.ascontiguousarray(_to_unit_float(image, name))


def _as_gray(value: Any, name: str, kind: str, hint: str = "") -> tuple[np.ndarray, np.ndarray]:
    """``(raw, scaled)``: the gray (H, W) array as given and scaled to float64 in [0, 1]."""
    gray = _as_array(value, name, kind, hint)
    if gray.ndim == 3 and gray.shape[2] in (1, 3, 4):
        channels = gray[:, :, : min(gray.shape[2], 3)]
        if channels.shape[2] == 3 and not (
            np.array_equal(channels[:, :, 0], channels[:, :, 1])
            and np.array_equal(channels[:, :, 0], channels[:, :, 2])
        ):
            raise ValueError(
                f"{name} must be gray (or RGB with equal channels), "
                f"got an RGB {name} whose channels differ"
            )
        gray = channels[:, :, 0]
    elif gray.ndim != 2:
        raise ValueError(
            f"{name} must have shape (H, W) or (H, W, 1|3|4) with equal channels, "
            f"got shape {gray.shape}"
        )
    if gray.shape[0] < 1 or gray.shape[1] < 1:
        raise ValueError(f"{name} must not be empty, got shape {gray.shape}")
    return gray, np.ascontiguousarray(_to_unit_float(gray, name))


def as_alpha(alpha: Any, *, name: str = "alpha") -> np.ndarray:
    """Return an alpha matte as a C-contiguous float64 array of shape (H, W) in [0, 1].

    Same rules as a trimap (:func:`as_trimap`) without its check of the levels:
    uint8 scaled by 1/255, uint16 by 1/65535, bool, or float in [0, 1]; gray,
    or RGB with equal channels.
    """
    return _as_gray(alpha, name, "alpha")[1]


def as_trimap(trimap: Any, *, name: str = "trimap") -> np.ndarray:
    """Return ``trimap`` as a C-contiguous float64 array of shape (H, W) in [0, 1].

    Accepts what :func:`as_image` accepts; a colour trimap must have equal
    channels (its alpha channel, if any, is ignored). A trimap of several
    values that all read as known background (or all as foreground) is
    refused: it is almost always a label map (0/1/2) or an 8-bit trimap
    stored in 16 bits, which would silently give an empty matte.
    """
    raw, trimap = _as_gray(
        trimap,
        name,
        "trimap",
        " (only method='onnx' with a trimap-free model needs none; "
        "trimap='auto' makes one with trimap_model=)",
    )
    _check_levels(raw, trimap, name)
    return trimap


def _check_levels(raw: np.ndarray, scaled: np.ndarray, name: str) -> None:
    """Raise ``ValueError`` for a trimap of several values that are all background
    (or all foreground): a label map (0/1/2) or 8-bit levels saved in 16 bits."""
    hi = float(scaled.max())
    lo = float(scaled.min())
    if (hi > BG_THRESHOLD and lo < FG_THRESHOLD) or hi == lo:
        return
    side = "background" if hi <= BG_THRESHOLD else "foreground"
    values = np.unique(raw)
    shown = ", ".join(f"{v:g}" for v in values[:6]) + (", ..." if values.size > 6 else "")
    scale = {"uint8": "0-255", "uint16": "0-65535"}.get(raw.dtype.name, "0-1")
    raise ValueError(
        f"{name} values {shown} (of {scale}) are all known {side} (<= 0.1 or >= 0.9 "
        f"after scaling): this looks like a label map or an 8-bit trimap saved in 16 "
        f"bits, not a trimap; a trimap marks background 0, foreground 255 (1.0 as "
        f"float, 65535 in 16 bits) and unknown pixels in between (128)"
    )


def check_same_size(
    image: np.ndarray, other: np.ndarray, *, name: str = "trimap", ref: str = "image"
) -> None:
    """Raise ``ValueError`` unless ``other`` has the height and width of ``image``."""
    if image.shape[:2] != other.shape[:2]:
        raise ValueError(
            f"{name} size {other.shape[1]}x{other.shape[0]} (W x H) does not match "
            f"{ref} size {image.shape[1]}x{image.shape[0]}"
        )
