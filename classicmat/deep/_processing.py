"""Pre- and post-processing of deep matting networks: sizes, resizing, padding, encoding.

Pure NumPy (and Pillow for resizing); no onnxruntime. Arrays are float32
(H, W, C) images and (H, W) maps; the network layout (N, C, H, W) is made
by the caller.
"""

from __future__ import annotations

import numpy as np

from .spec import ModelSpec

# trimap categories, as the networks see them
BG, UNKNOWN, FG = 0, 1, 2


def network_size(
    height: int, width: int, spec: ModelSpec, fixed: tuple[int, int] | None = None
) -> tuple[tuple[int, int], tuple[int, int]]:
    """Return ((h, w) the image is resized to, (h, w) the network sees).

    The two differ only by the padding of ``size_rule="pad"``. ``fixed`` is
    the model's own spatial size, used when the spec gives none.
    """
    size = spec.size or fixed
    if size is not None:
        return size, size
    h, w = height, width
    ref = spec.reference_size
    # MODNet's rule: scale so that the short side is ref, unless ref lies
    # between the two sides (int() truncates, as MODNet does).
    if ref is not None and (max(h, w) < ref or min(h, w) > ref):
        if w >= h:
            h, w = ref, int(w / h * ref)
        else:
            h, w = int(h / w * ref), ref
    cap = spec.max_size
    if cap is not None and max(h, w) > cap:
        scale = cap / max(h, w)
        h, w = max(1, round(h * scale)), max(1, round(w * scale))
    m = spec.multiple
    if spec.size_rule == "resize":
        h, w = max(m, h - h % m), max(m, w - w % m)
        return (h, w), (h, w)
    return (h, w), (-(-h // m) * m, -(-w // m) * m)


def _pil_filter(name: str) -> int:
    from PIL import Image

    return {
        "area": Image.Resampling.BOX,
        "bilinear": Image.Resampling.BILINEAR,
        "bicubic": Image.Resampling.BICUBIC,
        "nearest": Image.Resampling.NEAREST,
    }[name]


def resize(array: np.ndarray, size: tuple[int, int], resample: str) -> np.ndarray:
    """Resize a float32 (H, W) or (H, W, C) array to ``size`` = (h, w), channel by channel.

    Pillow's filters on 32-bit float images: ``"area"`` is a box filter
    (the mean of the covered pixels, weighted by coverage), ``"bilinear"``
    and ``"bicubic"`` are antialiased when shrinking.
    """
    from PIL import Image

    h, w = size
    if array.shape[:2] == (h, w):
        return array
    flt = _pil_filter(resample)
    if array.ndim == 2:
        image = Image.fromarray(np.ascontiguousarray(array, dtype=np.float32))
        return np.asarray(image.resize((w, h), flt), dtype=np.float32)
    out = np.empty((h, w, array.shape[2]), dtype=np.float32)
    for c in range(array.shape[2]):
        image = Image.fromarray(np.ascontiguousarray(array[:, :, c], dtype=np.float32))
        out[:, :, c] = np.asarray(image.resize((w, h), flt))
    return out


def resize_labels(labels: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize a uint8 (H, W) label map by nearest neighbour."""
    from PIL import Image

    h, w = size
    if labels.shape == (h, w):
        return labels
    image = Image.fromarray(np.ascontiguousarray(labels, dtype=np.uint8))
    return np.asarray(image.resize((w, h), Image.Resampling.NEAREST), dtype=np.uint8)


def normalise(image: np.ndarray, spec: ModelSpec) -> np.ndarray:
    """(H, W, 3) RGB in [0, 1] -> (3, H, W) float32 as the network wants it."""
    if spec.channel_order == "bgr":
        image = image[:, :, ::-1]
    lo, hi = spec.value_range
    mean = np.asarray(spec.mean, dtype=np.float32)
    std = np.asarray(spec.std, dtype=np.float32)
    scaled = image.astype(np.float32) * np.float32(hi - lo) + np.float32(lo)
    return np.ascontiguousarray(((scaled - mean) / std).transpose(2, 0, 1))


def encode_trimap(labels: np.ndarray, spec: ModelSpec) -> np.ndarray:
    """(H, W) labels BG/UNKNOWN/FG -> (T, H, W) float32 trimap channels."""
    if spec.trimap_encoding == "gray":
        values = np.asarray(spec.trimap_values, dtype=np.float32)
        return values[labels][None]
    return (labels[None] == np.arange(3, dtype=np.uint8)[:, None, None]).astype(np.float32)


def pad(array: np.ndarray, size: tuple[int, int], mode: str) -> np.ndarray:
    """Pad a (C, H, W) array at the bottom and right to ``size`` = (h, w)."""
    extra_h, extra_w = size[0] - array.shape[1], size[1] - array.shape[2]
    if extra_h == 0 and extra_w == 0:
        return array
    widths = ((0, 0), (0, extra_h), (0, extra_w))
    if mode == "constant":
        return np.pad(array, widths, mode="constant", constant_values=0.0)
    return np.pad(array, widths, mode=mode)
