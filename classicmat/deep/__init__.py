"""Deep matting networks exported to ONNX, run with onnxruntime (optional).

``pip install "classicmat[onnx]"`` installs onnxruntime. Importing this
package never needs it: onnxruntime is imported when a session is made, and
its absence is reported then, with the install hint.

- :class:`OnnxMatting`: a network loaded once, called on many images.
- :func:`estimate_alpha_onnx`: the functional form, method ``"onnx"`` of
  :func:`classicmat.estimate_alpha`; sessions are cached by :func:`get_session`.
- :class:`ModelSpec` and :data:`PRESETS`: how a network is fed and read.
- :func:`trimap_from_model`: a trimap from a trimap-free network's mask, for
  ``estimate_alpha(image, "auto", trimap_model=..., method=...)``.

See ``docs/onnx.md``.
"""

from __future__ import annotations

from .session import (
    OnnxMatting,
    clear_session_cache,
    estimate_alpha_onnx,
    get_session,
    trimap_from_model,
)
from .spec import IMAGENET_MEAN, IMAGENET_STD, PRESETS, ModelSpec, infer_preset

__all__ = [
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "PRESETS",
    "ModelSpec",
    "OnnxMatting",
    "clear_session_cache",
    "estimate_alpha_onnx",
    "get_session",
    "infer_preset",
    "trimap_from_model",
]
