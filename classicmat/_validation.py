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


def as_image(image: Any, *, name: str = "image") -> np.ndarray:
    """Return ``image`` as a C-contiguous float64 array of shape (H, W, C).

    Accepts an ndarray (uint8, uint16, or float in [0, 1]), a PIL image or a
    path. Gray images give C = 1, RGB and RGBA images C = 3: the alpha channel
    of an RGBA image is ignored.
    """
    image = _load_if_path(image, name, "image")
    if not isinstance(image, np.ndarray):
        try:
            image = np.asarray(image)
        except Exception as exc:  # pragma: no cover - exotic objects
            raise TypeError(
                f"{name} must be an ndarray, a PIL image or a path, got {_describe(image)}"
            ) from exc
        if image.dtype == object:
            raise TypeError(
                f"{name} must be an ndarray, a PIL image or a path, got {_describe(image)}"
            )
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


def as_trimap(trimap: Any, *, name: str = "trimap") -> np.ndarray:
    """Return ``trimap`` as a C-contiguous float64 array of shape (H, W) in [0, 1].

    Accepts what :func:`as_image` accepts; a colour trimap must have equal
    channels (its alpha channel, if any, is ignored).
    """
    trimap = _load_if_path(trimap, name, "trimap")
    if not isinstance(trimap, np.ndarray):
        if trimap is None:
            raise TypeError(
                f"{name} must be an ndarray, a PIL image or a path, got None "
                "(only method='onnx' with a trimap-free model needs none; "
                "trimap='auto' makes one with trimap_model=)"
            )
        original = trimap
        trimap = np.asarray(trimap)
        if trimap.dtype == object:
            raise TypeError(
                f"{name} must be an ndarray, a PIL image or a path, got {_describe(original)}"
            )
    if trimap.ndim == 3 and trimap.shape[2] in (1, 3, 4):
        channels = trimap[:, :, : min(trimap.shape[2], 3)]
        if channels.shape[2] == 3 and not (
            np.array_equal(channels[:, :, 0], channels[:, :, 1])
            and np.array_equal(channels[:, :, 0], channels[:, :, 2])
        ):
            raise ValueError(
                f"{name} must be gray (or RGB with equal channels), "
                f"got an RGB {name} whose channels differ"
            )
        trimap = channels[:, :, 0]
    elif trimap.ndim != 2:
        raise ValueError(
            f"{name} must have shape (H, W) or (H, W, 1|3|4) with equal channels, "
            f"got shape {trimap.shape}"
        )
    if trimap.shape[0] < 1 or trimap.shape[1] < 1:
        raise ValueError(f"{name} must not be empty, got shape {trimap.shape}")
    return np.ascontiguousarray(_to_unit_float(trimap, name))


def check_same_size(
    image: np.ndarray, other: np.ndarray, *, name: str = "trimap", ref: str = "image"
) -> None:
    """Raise ``ValueError`` unless ``other`` has the height and width of ``image``."""
    if image.shape[:2] != other.shape[:2]:
        raise ValueError(
            f"{name} size {other.shape[1]}x{other.shape[0]} (W x H) does not match "
            f"{ref} size {image.shape[1]}x{image.shape[0]}"
        )
