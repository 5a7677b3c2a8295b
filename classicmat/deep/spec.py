"""What a deep matting network expects: its inputs, normalisation, size rule and output.

A :class:`ModelSpec` is a small frozen record; :data:`PRESETS` hold the
usual conventions of published networks, and :func:`resolve_spec` turns what
the user gave (nothing, a preset name, a spec, or a dict of overrides) into
one spec for a given model. This module imports neither numpy nor
onnxruntime.
"""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .._checks import check_choice

#: ImageNet statistics of RGB in [0, 1], used by most matting networks.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

_INPUTS = ("image", "concat", "separate")
_TRIMAP_ENCODINGS = ("gray", "onehot")
_CHANNEL_ORDERS = ("rgb", "bgr")
_SIZE_RULES = ("pad", "resize")
_PAD_MODES = ("reflect", "edge", "constant")
_RESAMPLES = ("area", "bilinear", "bicubic", "nearest")


def _choice(value: Any, name: str, choices: Sequence[str]) -> str:
    return check_choice(value, f"spec field {name}", choices)


def _numbers(value: Any, name: str, length: int, *, positive: bool = False) -> tuple:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        try:  # numpy arrays and other iterables
            value = list(value)
        except TypeError:
            raise TypeError(
                f"spec field {name} must be a sequence of {length} numbers, got {value!r}"
            ) from None
    if len(value) != length or not all(
        isinstance(v, numbers.Real) and not isinstance(v, bool) for v in value
    ):
        raise ValueError(f"spec field {name} must be {length} numbers, got {value!r}")
    out = tuple(float(v) for v in value)
    if any(v != v or v in (float("inf"), float("-inf")) for v in out):
        raise ValueError(f"spec field {name} must be finite, got {value!r}")
    if positive and any(v <= 0 for v in out):
        raise ValueError(f"spec field {name} must be > 0, got {value!r}")
    return out


def _int(value: Any, name: str, *, low: int, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        kind = "an integer or None" if allow_none else "an integer"
        raise TypeError(f"spec field {name} must be {kind}, got {value!r}")
    if value < low:
        raise ValueError(f"spec field {name} must be >= {low}, got {value!r}")
    return int(value)


def _bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"spec field {name} must be True or False, got {value!r}")
    return value


@dataclass(frozen=True)
class ModelSpec:
    """How to feed a deep matting network and read its alpha.

    Every field has a default: the defaults are the ``"trimap-4ch"`` preset.
    Sequences given as lists are stored as tuples, so that a spec is
    hashable.

    Parameters
    ----------
    inputs : {"image", "concat", "separate"}
        What the network takes:

        - ``"image"``: one input, the image (N, 3, H, W): trimap-free.
        - ``"concat"``: one input, the image channels followed by the trimap
          channels (N, 3 + T, H, W).
        - ``"separate"``: two inputs, the image (N, 3, H, W) then the trimap
          (N, T, H, W), in the model's order (or ``input_names``).
    trimap_encoding : {"gray", "onehot"}
        ``"gray"``: T = 1 channel holding ``trimap_values``;
        ``"onehot"``: T = 3 channels (background, unknown, foreground) of 0
        and 1. The trimap is first split by :func:`classicmat.split_trimap`.
    trimap_values : (float, float, float)
        Values of background, unknown and foreground in the ``"gray"``
        channel. Default ``(0, 0.5, 1)``.
    channel_order : {"rgb", "bgr"}
        Order of the colour channels fed to the network.
    value_range : (float, float)
        The image in [0, 1] is first mapped linearly onto this range (for
        instance ``(0, 255)``) ...
    mean, std : (float, float, float)
        ... then normalised per channel, ``(x - mean) / std``, in the
        network's channel order. Defaults: ImageNet statistics.
    size_rule : {"pad", "resize"}
        How the network size is reached: ``"pad"`` pads bottom and right up
        to a multiple of ``multiple`` (the padding is cropped off the
        output); ``"resize"`` resizes to a multiple of ``multiple`` (rounded
        down, at least ``multiple``) and the output back to the image size.
    multiple : int
        Network sizes are multiples of this. Default 32.
    reference_size : int or None
        MODNet's rule, applied first: an image whose long side is below this,
        or whose short side is above it, is scaled so that its short side
        equals it; other images keep their size.
    max_size : int or None
        Cap on the long side (applied after ``reference_size``): larger
        images are scaled down first.
    size : (int, int) or None
        A fixed network size (height, width): every image is resized to it.
        By default the model's own size is used when its input has fixed
        spatial dimensions.
    pad_mode : {"reflect", "edge", "constant"}
        Padding of ``"pad"`` (``"constant"`` pads with 0 after
        normalisation).
    resample : {"area", "bilinear", "bicubic", "nearest"}
        Filter of every resize of the image and of the output (the trimap is
        resized by nearest neighbour). ``"area"`` averages the covered
        pixels, like ``torch.nn.functional.interpolate(mode="area")``.
    input_names : tuple of str or None
        Names of the network inputs in the order of ``inputs`` (image, then
        trimap). Default: the model's own order.
    output : str or int
        The output that holds alpha: its name, or its index. Default 0.
    alpha_channel : int
        The channel of that output that holds alpha, for outputs with
        several channels (alpha, foreground, background, ...). Default 0.
    sigmoid : bool
        Apply a logistic sigmoid to the output (networks that end in
        logits). Default False.
    force_known : bool
        Set alpha to 1 on known foreground and 0 on known background of the
        trimap, when one is given. Default True.

    Examples
    --------
    >>> spec = PRESETS["trimap-free"]
    >>> spec.needs_trimap, spec.input_channels
    (False, (3,))
    >>> dataclasses.replace(spec, sigmoid=True).sigmoid
    True
    """

    inputs: str = "concat"
    trimap_encoding: str = "gray"
    trimap_values: tuple[float, float, float] = (0.0, 0.5, 1.0)
    channel_order: str = "rgb"
    value_range: tuple[float, float] = (0.0, 1.0)
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    size_rule: str = "pad"
    multiple: int = 32
    reference_size: int | None = None
    max_size: int | None = None
    size: tuple[int, int] | None = None
    pad_mode: str = "reflect"
    resample: str = "bilinear"
    input_names: tuple[str, ...] | None = None
    output: str | int = 0
    alpha_channel: int = 0
    sigmoid: bool = False
    force_known: bool = True

    def __post_init__(self) -> None:
        put = object.__setattr__  # frozen: normalise the fields once, here
        _choice(self.inputs, "inputs", _INPUTS)
        _choice(self.trimap_encoding, "trimap_encoding", _TRIMAP_ENCODINGS)
        put(self, "trimap_values", _numbers(self.trimap_values, "trimap_values", 3))
        _choice(self.channel_order, "channel_order", _CHANNEL_ORDERS)
        value_range = _numbers(self.value_range, "value_range", 2)
        if value_range[0] == value_range[1]:
            raise ValueError(f"spec field value_range must not be empty, got {value_range!r}")
        put(self, "value_range", value_range)
        put(self, "mean", _numbers(self.mean, "mean", 3))
        put(self, "std", _numbers(self.std, "std", 3, positive=True))
        _choice(self.size_rule, "size_rule", _SIZE_RULES)
        put(self, "multiple", _int(self.multiple, "multiple", low=1))
        put(
            self,
            "reference_size",
            _int(self.reference_size, "reference_size", low=1, allow_none=True),
        )
        put(self, "max_size", _int(self.max_size, "max_size", low=1, allow_none=True))
        if self.size is not None:
            size = self.size
            if isinstance(size, (str, bytes)) or not isinstance(size, Sequence) or len(size) != 2:
                raise ValueError(
                    f"spec field size must be None or (height, width), got {self.size!r}"
                )
            put(self, "size", (_int(size[0], "size[0]", low=1), _int(size[1], "size[1]", low=1)))
        _choice(self.pad_mode, "pad_mode", _PAD_MODES)
        _choice(self.resample, "resample", _RESAMPLES)
        if self.input_names is not None:
            names = self.input_names
            if isinstance(names, str) or not isinstance(names, Sequence):
                raise TypeError(
                    f"spec field input_names must be None or a sequence of input names, "
                    f"got {names!r}"
                )
            if not all(isinstance(n, str) for n in names) or len(names) != len(
                self.input_channels
            ):
                raise ValueError(
                    f"spec field input_names must hold {len(self.input_channels)} name(s) "
                    f"for inputs={self.inputs!r}, got {names!r}"
                )
            put(self, "input_names", tuple(names))
        if isinstance(self.output, bool) or not isinstance(self.output, (str, numbers.Integral)):
            raise TypeError(
                f"spec field output must be an output name or index, got {self.output!r}"
            )
        if not isinstance(self.output, str):
            put(self, "output", _int(self.output, "output", low=0))
        put(self, "alpha_channel", _int(self.alpha_channel, "alpha_channel", low=0))
        _bool(self.sigmoid, "sigmoid")
        _bool(self.force_known, "force_known")

    @property
    def needs_trimap(self) -> bool:
        """Whether the network takes a trimap."""
        return self.inputs != "image"

    @property
    def input_channels(self) -> tuple[int, ...]:
        """Channels of each network input, in order: (3,), (3 + T,) or (3, T)."""
        trimap = 1 if self.trimap_encoding == "gray" else 3
        if self.inputs == "image":
            return (3,)
        if self.inputs == "concat":
            return (3 + trimap,)
        return (3, trimap)

    def describe_inputs(self) -> str:
        """The expected inputs in words, for error messages."""
        trimap = (
            "1 trimap channel" if self.trimap_encoding == "gray" else "3 one-hot trimap channels"
        )
        if self.inputs == "image":
            return "one 3-channel input: RGB"
        if self.inputs == "concat":
            return f"one {self.input_channels[0]}-channel input: RGB and {trimap}"
        return f"two inputs: RGB (3 channels), then the trimap ({trimap})"


#: Built-in specs, by name.
#:
#: - ``"trimap-4ch"``: one (N, 4, H, W) input, RGB with ImageNet statistics
#:   followed by the trimap (0, 0.5, 1); padded (reflect) to a multiple of 32.
#:   Deep Image Matting, IndexNet, ViTMatte style.
#: - ``"trimap-6ch"``: as ``"trimap-4ch"`` with a one-hot trimap of 3
#:   channels (GCA-Matting style).
#: - ``"trimap-onehot"``: two inputs, the RGB image and the one-hot trimap.
#: - ``"trimap-free"``: one (N, 3, H, W) input in [-1, 1] (mean = std = 0.5),
#:   MODNet's size rule (reference size 512, multiple of 32, area resizing).
PRESETS: dict[str, ModelSpec] = {
    "trimap-4ch": ModelSpec(),
    "trimap-6ch": ModelSpec(trimap_encoding="onehot"),
    "trimap-onehot": ModelSpec(inputs="separate", trimap_encoding="onehot"),
    "trimap-free": ModelSpec(
        inputs="image",
        mean=(0.5, 0.5, 0.5),
        std=(0.5, 0.5, 0.5),
        size_rule="resize",
        reference_size=512,
        resample="area",
    ),
}

_FIELDS = tuple(field.name for field in dataclasses.fields(ModelSpec))


def infer_preset(channels: Sequence[int | None]) -> str | None:
    """The preset whose inputs match ``channels`` (one entry per model input), if one does.

    ``None`` marks a channel count that the model leaves open; nothing is
    inferred then.

    Examples
    --------
    >>> infer_preset([4]), infer_preset([3]), infer_preset([3, 3]), infer_preset([5])
    ('trimap-4ch', 'trimap-free', 'trimap-onehot', None)
    """
    if any(c is None for c in channels):
        return None
    matches = [name for name, spec in PRESETS.items() if spec.input_channels == tuple(channels)]
    return matches[0] if len(matches) == 1 else None


def _preset(name: str) -> ModelSpec:
    if name not in PRESETS:
        valid = ", ".join(repr(n) for n in PRESETS)
        raise ValueError(f"spec must be a preset name ({valid}), got {name!r}")
    return PRESETS[name]


def resolve_spec(
    spec: ModelSpec | str | Mapping[str, Any] | None, inferred: str | None, described: str
) -> tuple[ModelSpec, str | None]:
    """Return (spec, preset name or None) for what the user gave.

    Parameters
    ----------
    spec : ModelSpec, str, mapping or None
        ``None``: the inferred preset. A preset name. A spec. A mapping of
        field overrides, applied to the preset named by its ``"preset"``
        key, else to the inferred preset.
    inferred : str or None
        The preset that matches the model's inputs (:func:`infer_preset`).
    described : str
        The model's inputs in words, for the error raised when nothing is
        inferred and the spec does not say.
    """
    if isinstance(spec, ModelSpec):
        return spec, next((n for n, p in PRESETS.items() if p == spec), None)
    if isinstance(spec, str):
        return _preset(spec), spec
    if spec is not None and not isinstance(spec, Mapping):
        raise TypeError(
            f"spec must be None, a preset name, a ModelSpec or a dict of fields, "
            f"got {type(spec).__name__}"
        )
    overrides = dict(spec or {})
    base_name = overrides.pop("preset", None)
    if base_name is None:
        base_name = inferred
    if base_name is None:
        valid = ", ".join(repr(n) for n in PRESETS)
        raise ValueError(
            f"cannot infer the spec of a model with {described}: give spec= "
            f"(a preset: {valid}; a ModelSpec; or a dict of fields)"
        )
    base = _preset(base_name)
    unknown = sorted(set(overrides) - set(_FIELDS))
    if unknown:
        raise TypeError(
            f"unknown spec field{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(repr(u) for u in unknown)}; valid fields are: {', '.join(_FIELDS)} "
            f"(and 'preset')"
        )
    if not overrides:
        return base, base_name
    resolved = dataclasses.replace(base, **overrides)
    return resolved, (base_name if resolved == base else None)


def parse_spec_text(text: str) -> str | dict[str, Any]:
    """A ``--spec`` value: a preset name, or a JSON object of spec fields.

    >>> parse_spec_text("trimap-4ch")
    'trimap-4ch'
    >>> parse_spec_text('{"preset": "trimap-4ch", "sigmoid": true}')
    {'preset': 'trimap-4ch', 'sigmoid': True}
    """
    import json

    if text.lstrip().startswith("{"):
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"invalid JSON ({exc.msg}): {text!r}") from None
        if not isinstance(value, dict):  # pragma: no cover - "{" starts an object
            raise ValueError(f"expected a JSON object, got {text!r}")
        return value
    if text not in PRESETS:
        raise ValueError(
            f"expected a preset ({', '.join(PRESETS)}) or a JSON object of spec fields, "
            f"got {text!r}"
        )
    return text
