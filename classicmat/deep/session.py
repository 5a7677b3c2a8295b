"""Run an ONNX matting network with onnxruntime: one session, the functional API, a cache.

onnxruntime is imported when a session is made, never when this module is
imported, so that ``import classicmat.deep`` works without it.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._checks import check_number
from .._method import matting_method
from .._options import Option
from .._validation import as_image, as_trimap, check_same_size
from . import _processing as proc
from .spec import ModelSpec, infer_preset, parse_spec_text, resolve_spec

_INSTALL_HINT = 'pip install "classicmat[onnx]"'

#: ONNX element types the image and trimap may be fed as.
_FLOAT_TYPES = {
    "tensor(float)": np.float32,
    "tensor(float16)": np.float16,
    "tensor(double)": np.float64,
}

_ProviderArg = str | tuple[str, Mapping[str, Any]]


def _import_onnxruntime():
    """Import onnxruntime, or raise ImportError with the install hint."""
    try:
        import onnxruntime
    except ImportError as exc:
        raise ImportError(
            f"the ONNX backend of classicmat needs onnxruntime, which is not installed: "
            f"{_INSTALL_HINT} (or pip install onnxruntime-gpu for CUDA)"
        ) from exc
    return onnxruntime


def _check_model_path(model: Any, name: str = "model") -> Path:
    if not isinstance(model, (str, os.PathLike)):
        raise TypeError(f"{name} must be the path of an ONNX file, got {type(model).__name__}")
    path = Path(os.fspath(model))
    if path.is_dir():
        raise IsADirectoryError(f"{name} '{path}' is a directory, not an ONNX file")
    if not path.is_file():
        raise FileNotFoundError(f"{name} file not found: '{path}'")
    return path


def _resolve_providers(ort: Any, providers: Any) -> list[_ProviderArg]:
    """Full provider names, available in this onnxruntime; ``"cuda"`` for short."""
    if providers is None:
        return ["CPUExecutionProvider"]
    if isinstance(providers, str) or (
        isinstance(providers, tuple) and len(providers) == 2 and isinstance(providers[1], Mapping)
    ):
        providers = [providers]
    if not isinstance(providers, Sequence) or not providers:
        raise TypeError(
            f"providers must be a provider name, a (name, options) pair or a non-empty list "
            f"of them, got {providers!r}"
        )
    known = {p.lower(): p for p in ort.get_all_providers()}
    available = ort.get_available_providers()
    resolved: list[_ProviderArg] = []
    for item in providers:
        options = None
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], Mapping):
            item, options = item
        if not isinstance(item, str):
            raise TypeError(
                f"providers must hold provider names or (name, options) pairs, got {item!r}"
            )
        lowered = item.lower()
        full = known.get(lowered) or known.get(lowered + "executionprovider") or item
        if full not in available:
            hint = " (install onnxruntime-gpu)" if full.startswith("CUDA") else ""
            raise ValueError(
                f"execution provider {item!r} is not available in this onnxruntime{hint}; "
                f"available: {', '.join(available)}"
            )
        resolved.append((full, dict(options)) if options else full)
    return resolved


def _short(exc: BaseException) -> str:
    """First line of an onnxruntime message, without its ``[ONNXRuntimeError] : 7 :`` prefix."""
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return text.rsplit(" : ", 1)[-1] if text.startswith("[ONNXRuntimeError]") else text


def _shape_text(shape: Sequence[Any]) -> str:
    return "(" + ", ".join(str(d) if d is not None else "?" for d in shape) + ")"


def _dim(value: Any) -> int | None:
    """A fixed dimension as int, a symbolic one (``"height"``, None) as None."""
    return int(value) if isinstance(value, (int, np.integer)) and value > 0 else None


class OnnxMatting:
    """A deep matting network in an ONNX file, loaded once and run on many images.

    Parameters
    ----------
    model : str or path-like
        The ``.onnx`` file.
    spec : str, ModelSpec, dict or None
        How to feed the network (see :class:`ModelSpec`): a preset name
        (:data:`classicmat.deep.PRESETS`), a spec, or a dict of fields that
        override a preset (the one named by its ``"preset"`` key, else the
        inferred one). ``None`` (default) infers the preset from the model's
        inputs: one 3-channel input is ``"trimap-free"``, one 4-channel input
        ``"trimap-4ch"``, one 6-channel input ``"trimap-6ch"``, two 3-channel
        inputs ``"trimap-onehot"``; any other model needs ``spec``.
    providers : str, list or None
        onnxruntime execution providers, in order of preference: names
        (``"CUDAExecutionProvider"``, or ``"cuda"`` for short) or
        ``(name, options)`` pairs. Default: CPU only.
    threads : int, optional
        Threads of one operator (onnxruntime's ``intra_op_num_threads``);
        default: onnxruntime's choice (one per physical core).
    session_options : onnxruntime.SessionOptions, optional
        Full control of the session; ``threads`` is applied on top of it.
        By default onnxruntime logs errors only.

    Attributes
    ----------
    path : pathlib.Path
        The model file.
    spec : ModelSpec
        The resolved spec.
    preset : str or None
        The name of the preset the spec equals, if any.
    input_names, output_names : tuple of str
        The model's inputs (in the order of ``spec.inputs``) and outputs.
    output_name : str
        The output read as alpha.

    Raises
    ------
    ImportError
        onnxruntime is not installed (the message says
        ``pip install "classicmat[onnx]"``).
    FileNotFoundError, IsADirectoryError
        ``model`` does not exist or is a directory.
    ValueError
        The file is not an ONNX model onnxruntime can load; its inputs or
        outputs do not match the spec (count, rank, channels, element type,
        names); the spec cannot be inferred; a provider is not available.
    TypeError
        Arguments of the wrong type, unknown spec fields.

    See Also
    --------
    estimate_alpha_onnx : the functional form, with a session cache.

    Notes
    -----
    One call (:meth:`__call__`) converts the image to RGB in [0, 1], brings it
    to the network size (``spec.size_rule``: pad, or resize; MODNet's
    reference-size rule; a cap on the long side), normalises it, encodes the
    trimap, runs the network once (batch of one), reads alpha from the chosen
    output and channel (optionally through a sigmoid), crops the padding off
    or resizes back to the exact image size, clips to [0, 1] and, with a
    trimap, sets the known pixels (``spec.force_known``).

    References
    ----------
    .. [1] N. Xu, B. Price, S. Cohen, T. Huang, "Deep Image Matting", CVPR 2017.
    .. [2] H. Lu, Y. Dai, C. Shen, S. Xu, "Indices Matter: Learning to Index
       for Deep Image Matting", ICCV 2019.
    .. [3] Y. Li, H. Lu, "Natural Image Matting via Guided Contextual
       Attention", AAAI 2020.
    .. [4] Z. Ke, J. Sun, K. Li, Q. Yan, R. W. H. Lau, "MODNet: Real-Time
       Trimap-Free Portrait Matting via Objective Decomposition", AAAI 2022.
    .. [5] J. Yao, X. Wang, S. Yang, B. Wang, "ViTMatte: Boosting Image
       Matting with Pretrained Plain Vision Transformers", Information
       Fusion 103, 2024.
    """

    def __init__(
        self,
        model: str | os.PathLike[str],
        *,
        spec: ModelSpec | str | Mapping[str, Any] | None = None,
        providers: str | Sequence[_ProviderArg] | None = None,
        threads: int | None = None,
        session_options: Any = None,
    ) -> None:
        ort = _import_onnxruntime()
        self.path = _check_model_path(model)
        threads = check_number(threads, "threads", integer=True, low=1, allow_none=True)
        resolved_providers = _resolve_providers(ort, providers)
        if session_options is None:
            session_options = ort.SessionOptions()
            session_options.log_severity_level = 3  # errors only: no chatter on stderr
        elif not isinstance(session_options, ort.SessionOptions):
            raise TypeError(
                f"session_options must be an onnxruntime.SessionOptions, "
                f"got {type(session_options).__name__}"
            )
        if threads is not None:
            session_options.intra_op_num_threads = threads
        try:
            self._session = ort.InferenceSession(
                str(self.path), sess_options=session_options, providers=resolved_providers
            )
        except Exception as exc:
            if type(exc).__name__ == "InvalidProtobuf":
                raise ValueError(
                    f"model '{self.path}' is not an ONNX model (the file could not be parsed)"
                ) from None
            raise ValueError(
                f"onnxruntime cannot load model '{self.path}': {_short(exc)}"
            ) from None
        self._bind(spec)

    # ------------------------------------------------------------ set-up

    def _bind(self, spec: Any) -> None:
        """Resolve the spec against the model's inputs and outputs; raise ValueError."""
        inputs = self._session.get_inputs()
        outputs = self._session.get_outputs()
        described = "; ".join(f"'{i.name}' {_shape_text(i.shape)}" for i in inputs)
        described = f"{len(inputs)} input{'s' if len(inputs) != 1 else ''} ({described})"
        channels = [_dim(i.shape[1]) if len(i.shape) == 4 else None for i in inputs]
        self.spec, self.preset = resolve_spec(spec, infer_preset(channels), described)
        spec = self.spec
        label = f"spec {self.preset!r}" if self.preset else "the spec"

        expected = spec.input_channels
        if len(inputs) != len(expected):
            raise ValueError(
                f"model '{self.path}' has {described}; {label} expects {spec.describe_inputs()}"
            )
        if spec.input_names is None:
            ordered = list(inputs)
        else:
            by_name = {i.name: i for i in inputs}
            missing = [n for n in spec.input_names if n not in by_name]
            if missing:
                raise ValueError(
                    f"spec input_names {missing!r} not among the inputs of model "
                    f"'{self.path}': {', '.join(repr(n) for n in by_name)}"
                )
            ordered = [by_name[n] for n in spec.input_names]
        roles = ("image", "trimap")
        fixed_sizes = set()
        self._dtypes = []
        for role, node, channels_wanted in zip(roles, ordered, expected, strict=False):
            shape = list(node.shape)
            where = f"model '{self.path}' input '{node.name}' ({role})"
            if len(shape) != 4:
                raise ValueError(
                    f"{where} has shape {_shape_text(shape)}; expected 4 dimensions (N, C, H, W)"
                )
            got = _dim(shape[1])
            if got is not None and got != channels_wanted:
                raise ValueError(
                    f"{where} has {got} channels; {label} expects {spec.describe_inputs()}"
                )
            batch = _dim(shape[0])
            if batch is not None and batch != 1:
                raise ValueError(f"{where} has a fixed batch size {batch}; expected 1 or free")
            if node.type not in _FLOAT_TYPES:
                raise ValueError(
                    f"{where} has element type {node.type}; expected a float tensor "
                    f"(float, float16 or double)"
                )
            self._dtypes.append(_FLOAT_TYPES[node.type])
            h, w = _dim(shape[2]), _dim(shape[3])
            if h is not None and w is not None:
                fixed_sizes.add((h, w))
            elif (h is None) != (w is None):
                raise ValueError(
                    f"{where} has shape {_shape_text(shape)}: a fixed height or width alone "
                    f"is not supported; export the model with both fixed or both free"
                )
        if len(fixed_sizes) > 1:
            raise ValueError(f"model '{self.path}' inputs have different fixed sizes")
        self._fixed = fixed_sizes.pop() if fixed_sizes else None
        if self._fixed is not None and spec.size is not None and spec.size != self._fixed:
            raise ValueError(
                f"spec size {spec.size} differs from the fixed input size {self._fixed} "
                f"of model '{self.path}'"
            )
        self.input_names = tuple(node.name for node in ordered)

        self.output_names = tuple(o.name for o in outputs)
        if isinstance(spec.output, str):
            if spec.output not in self.output_names:
                raise ValueError(
                    f"spec output {spec.output!r} is not an output of model '{self.path}': "
                    f"{', '.join(repr(n) for n in self.output_names)}"
                )
            self.output_name = spec.output
        else:
            if spec.output >= len(outputs):
                raise ValueError(
                    f"spec output {spec.output} is out of range: model '{self.path}' has "
                    f"{len(outputs)} output(s) ({', '.join(repr(n) for n in self.output_names)})"
                )
            self.output_name = self.output_names[spec.output]

    # ---------------------------------------------------------- properties

    @property
    def needs_trimap(self) -> bool:
        """Whether the network takes a trimap (``spec.needs_trimap``)."""
        return self.spec.needs_trimap

    @property
    def providers(self) -> list[str]:
        """The execution providers of the session, in order of preference."""
        return list(self._session.get_providers())

    @property
    def session(self) -> Any:
        """The underlying ``onnxruntime.InferenceSession``."""
        return self._session

    def network_size(self, height: int, width: int) -> tuple[int, int]:
        """The (height, width) that the network sees for an image of that size.

        Examples
        --------
        For ``"trimap-4ch"`` (pad to a multiple of 32) a 100 x 150 image is
        seen as 128 x 160; for ``"trimap-free"`` (MODNet's rule) as 512 x 768.
        """
        height = check_number(height, "height", integer=True, low=1)
        width = check_number(width, "width", integer=True, low=1)
        return proc.network_size(height, width, self.spec, self._fixed)[1]

    def __repr__(self) -> str:
        spec = repr(self.preset) if self.preset else repr(self.spec)
        inputs = ", ".join(f"{n.name} {_shape_text(n.shape)}" for n in self._session.get_inputs())
        return (
            f"OnnxMatting('{self.path}', spec={spec}, inputs=[{inputs}], "
            f"output={self.output_name!r}, providers={self.providers})"
        )

    # ------------------------------------------------------------- running

    def __call__(self, image: Any, trimap: Any = None) -> np.ndarray:
        """Estimate the alpha matte of ``image`` (and ``trimap``, if the network takes one).

        Parameters
        ----------
        image : (H, W, 3) or (H, W) ndarray, PIL image or path
            uint8, uint16 or float in [0, 1]; gray images are repeated to
            RGB, the alpha channel of RGBA is ignored.
        trimap : (H, W) ndarray, PIL image or path, optional
            Needed when the network takes one. With a trimap-free network, a
            given trimap only sets the known pixels (``spec.force_known``).

        Returns
        -------
        alpha : (H, W) ndarray of float64
            In [0, 1], of the exact size of ``image``.

        Raises
        ------
        ValueError
            Malformed inputs, sizes that differ, no trimap for a network
            that takes one, an output of an unexpected shape or with NaN or
            infinite values, or an error of onnxruntime while running.
        """
        rgb = as_image(image)
        if rgb.shape[2] == 1:
            rgb = np.repeat(rgb, 3, axis=2)
        height, width = rgb.shape[:2]
        spec = self.spec
        labels = None
        if trimap is not None:
            values = as_trimap(trimap)
            check_same_size(rgb, values)
            from ..trimap import BG_THRESHOLD, FG_THRESHOLD

            labels = np.full(values.shape, proc.UNKNOWN, dtype=np.uint8)
            labels[values <= BG_THRESHOLD] = proc.BG
            labels[values >= FG_THRESHOLD] = proc.FG
        elif spec.needs_trimap:
            raise ValueError(
                f"trimap is required: model '{self.path.name}' takes a trimap "
                f"({spec.describe_inputs()})"
            )

        resized, net = proc.network_size(height, width, spec, self._fixed)
        x = proc.normalise(proc.resize(rgb.astype(np.float32), resized, spec.resample), spec)
        x = proc.pad(x, net, spec.pad_mode)
        feeds = [x]
        if spec.needs_trimap:
            t = proc.encode_trimap(proc.resize_labels(labels, resized), spec)
            t = proc.pad(t, net, spec.pad_mode)
            feeds = [np.concatenate([x, t])] if spec.inputs == "concat" else [x, t]
        feed = {
            name: np.ascontiguousarray(array[None], dtype=dtype)
            for name, array, dtype in zip(self.input_names, feeds, self._dtypes, strict=True)
        }
        try:
            (out,) = self._session.run([self.output_name], feed)
        except Exception as exc:
            raise ValueError(
                f"onnxruntime failed to run model '{self.path.name}' on a "
                f"{net[1]}x{net[0]} (W x H) input: {_short(exc)}"
            ) from None

        alpha = self._select(np.asarray(out), net)
        if spec.sigmoid:
            alpha = 0.5 * (1.0 + np.tanh(0.5 * alpha))  # the logistic function, no overflow
        alpha = alpha[: resized[0], : resized[1]]
        if resized != (height, width):
            alpha = proc.resize(alpha.astype(np.float32), (height, width), spec.resample)
        alpha = np.clip(alpha.astype(np.float64), 0.0, 1.0)
        if labels is not None and spec.force_known:
            alpha[labels == proc.FG] = 1.0
            alpha[labels == proc.BG] = 0.0
        return np.ascontiguousarray(alpha)

    def _select(self, out: np.ndarray, net: tuple[int, int]) -> np.ndarray:
        """The (h, w) alpha plane of the raw output; raise ValueError if it has none."""
        channel = self.spec.alpha_channel
        shape = out.shape
        plane = None
        if shape[-2:] == net:
            if out.ndim == 2:
                plane = out
            elif out.ndim == 3 and channel < shape[0]:
                plane = out[channel]
            elif out.ndim == 4 and shape[0] == 1 and channel < shape[1]:
                plane = out[0, channel]
        if plane is None:
            raise ValueError(
                f"output '{self.output_name}' of model '{self.path.name}' has shape {shape}; "
                f"expected (1, C, {net[0]}, {net[1]}), (C, {net[0]}, {net[1]}) or "
                f"({net[0]}, {net[1]}) with C > alpha_channel = {channel}, at the network "
                f"input size"
            )
        if not np.issubdtype(plane.dtype, np.floating):
            plane = plane.astype(np.float64)
        if not np.all(np.isfinite(plane)):
            raise ValueError(
                f"output '{self.output_name}' of model '{self.path.name}' contains NaN or "
                f"infinite values"
            )
        return plane.astype(np.float64)


# ---------------------------------------------------------------- the cache

_CACHE_SIZE = 8
_cache: OrderedDict[tuple, OnnxMatting] = OrderedDict()
_cache_lock = threading.Lock()


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), _freeze(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, np.ndarray):
        return tuple(value.tolist())
    return value


def get_session(
    model: str | os.PathLike[str],
    *,
    spec: ModelSpec | str | Mapping[str, Any] | None = None,
    providers: str | Sequence[_ProviderArg] | None = None,
    threads: int | None = None,
) -> OnnxMatting:
    """The :class:`OnnxMatting` session of ``model``, made once and then reused.

    Sessions are cached by the resolved path, modification time and size of
    the file, the providers, the spec and the threads (the last 8 used are
    kept): a file rewritten in place gets a new session.

    Parameters
    ----------
    model, spec, providers, threads
        As for :class:`OnnxMatting`.

    Returns
    -------
    OnnxMatting

    Raises
    ------
    ImportError, FileNotFoundError, ValueError, TypeError
        As for :class:`OnnxMatting`.
    """
    path = _check_model_path(model)
    stat = path.stat()
    key = (
        str(path.resolve()),
        stat.st_mtime_ns,
        stat.st_size,
        _freeze(providers),
        _freeze(spec),
        threads,
    )
    try:
        hash(key)
    except TypeError:  # unhashable spec values: no caching
        return OnnxMatting(path, spec=spec, providers=providers, threads=threads)
    with _cache_lock:
        session = _cache.get(key)
        if session is not None:
            _cache.move_to_end(key)
            return session
    session = OnnxMatting(path, spec=spec, providers=providers, threads=threads)
    with _cache_lock:
        _cache[key] = session
        _cache.move_to_end(key)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return session


def clear_session_cache() -> None:
    """Forget the sessions cached by :func:`get_session` (and so by the functional API)."""
    with _cache_lock:
        _cache.clear()


def _session_of(model: Any, spec: Any, providers: Any, threads: Any, name: str) -> OnnxMatting:
    if isinstance(model, OnnxMatting):
        given = [
            n
            for n, v in (("spec", spec), ("providers", providers), ("threads", threads))
            if v is not None
        ]
        if given:
            raise ValueError(
                f"{', '.join(given)} cannot be given with a {name} that is already an "
                f"OnnxMatting session: set them when making the session"
            )
        return model
    if model is None:
        raise TypeError(f"{name} is required: the path of an ONNX file or an OnnxMatting")
    return get_session(
        _check_model_path(model, name), spec=spec, providers=providers, threads=threads
    )


# ----------------------------------------------------------- functional API

#: The options of method ``"onnx"``.
ONNX_OPTIONS = (
    Option(
        "model",
        "any",
        "the ONNX model file (or an OnnxMatting session)",
        parse_text=lambda text: text,
        metavar="FILE",
        expected_text="a file",
    ),
    Option(
        "spec",
        "any",
        "how to feed the model",
        parse_text=parse_spec_text,
        metavar="SPEC",
        expected_text="a preset name or a JSON object of ModelSpec fields",
        default_text="inferred from the model",
    ),
    Option(
        "providers",
        "any",
        "execution providers in order",
        parse_text=lambda text: [name.strip() for name in text.split(",") if name.strip()],
        metavar="LIST",
        expected_text="names separated by commas, e.g. cuda,cpu",
        default_text="cpu",
    ),
    Option("threads", "int", "threads per operator", low=1, allow_none=True, metavar="N"),
)


@matting_method(*ONNX_OPTIONS, trimap="optional", scribbles=False)
def estimate_alpha_onnx(
    image: np.ndarray,
    trimap: np.ndarray | None = None,
    *,
    model: str | os.PathLike[str] | OnnxMatting,
    spec: ModelSpec | str | Mapping[str, Any] | None = None,
    providers: str | Sequence[_ProviderArg] | None = None,
    threads: int | None = None,
) -> np.ndarray:
    """Estimate alpha with a deep matting network in an ONNX file (method ``"onnx"``).

    The session is made on the first call and cached (:func:`get_session`),
    so that later calls with the same model and settings only run it.

    Parameters
    ----------
    image : (H, W, 3) or (H, W) ndarray, PIL image or path
        uint8, uint16 or float in [0, 1].
    trimap : (H, W) ndarray, PIL image or path, optional
        Required by trimap-based networks; optional for trimap-free ones,
        where it only sets the known pixels.
    model : str, path-like or OnnxMatting
        The ``.onnx`` file, or a session made beforehand (then ``spec``,
        ``providers`` and ``threads`` must not be given).
    spec, providers, threads
        As for :class:`OnnxMatting`: the preset or spec (inferred from the
        model by default), the execution providers (default CPU), the
        threads per operator.

    Returns
    -------
    alpha : (H, W) ndarray of float64
        In [0, 1], of the exact size of ``image``; with a trimap, 1 on known
        foreground and 0 on known background unless ``spec.force_known`` is
        off.

    Raises
    ------
    ImportError
        onnxruntime is not installed (``pip install "classicmat[onnx]"``).
    FileNotFoundError
        ``model`` does not exist.
    ValueError, TypeError
        As for :class:`OnnxMatting` and :meth:`OnnxMatting.__call__`.

    References
    ----------
    .. [1] N. Xu, B. Price, S. Cohen, T. Huang, "Deep Image Matting", CVPR 2017.
    .. [2] Z. Ke, J. Sun, K. Li, Q. Yan, R. W. H. Lau, "MODNet: Real-Time
       Trimap-Free Portrait Matting via Objective Decomposition", AAAI 2022.
    """
    session = _session_of(model, spec, providers, threads, "model")
    return session(image, trimap)


def trimap_from_model(
    image: Any,
    model: str | os.PathLike[str] | OnnxMatting,
    *,
    fg_threshold: float = 0.95,
    bg_threshold: float = 0.05,
    kernel_size: int | tuple[int, int] = 11,
    iterations: int = 1,
) -> np.ndarray:
    """Make a trimap from the soft mask of a trimap-free network.

    The network's alpha is thresholded (``>= fg_threshold`` foreground,
    ``<= bg_threshold`` background) and both regions are eroded by an
    elliptical kernel, exactly as :func:`classicmat.trimap_from_alpha`
    does; everything else, the band along the edges and the uncertain
    pixels, is unknown. A classical method then refines the band:
    ``classicmat.estimate_alpha(image, "auto", trimap_model=model, method=...)``.

    Parameters
    ----------
    image : (H, W, 3) or (H, W) ndarray, PIL image or path
        uint8, uint16 or float in [0, 1].
    model : str, path-like or OnnxMatting
        A trimap-free network (one image input): its path (the session is
        cached, with the inferred spec and CPU) or a session.
    fg_threshold, bg_threshold : float
        Thresholds of the mask, ``0 <= bg_threshold < fg_threshold <= 1``.
        Defaults 0.95 and 0.05.
    kernel_size : int or (int, int)
        Width in pixels of the erosion kernel (1: none): the unknown band is
        about this wide on each side of the thresholded edge. Default 11.
    iterations : int
        Erosions with that kernel. Default 1.

    Returns
    -------
    (H, W) ndarray of uint8
        0 (background), 128 (unknown) and 255 (foreground).

    Raises
    ------
    ValueError
        ``model`` takes a trimap, or bad thresholds or kernel sizes; and as
        for :class:`OnnxMatting`.

    References
    ----------
    .. [1] Z. Ke, J. Sun, K. Li, Q. Yan, R. W. H. Lau, "MODNet: Real-Time
       Trimap-Free Portrait Matting via Objective Decomposition", AAAI 2022.
    .. [2] N. Xu, B. Price, S. Cohen, T. Huang, "Deep Image Matting", CVPR 2017
       (trimaps by eroding the known regions).
    """
    from ..trimap import trimap_from_alpha

    session = _session_of(model, None, None, None, "model")
    if session.needs_trimap:
        raise ValueError(
            f"model '{session.path.name}' takes a trimap ({session.spec.describe_inputs()}); "
            f"a trimap is made from a trimap-free model (one RGB input)"
        )
    # check the options before running the network
    fg_threshold = check_number(fg_threshold, "fg_threshold", low=0.0, high=1.0)
    bg_threshold = check_number(bg_threshold, "bg_threshold", low=0.0, high=1.0)
    if bg_threshold >= fg_threshold:
        raise ValueError(
            f"bg_threshold ({bg_threshold!r}) must be below fg_threshold ({fg_threshold!r})"
        )
    mask = session(image)
    return trimap_from_alpha(
        mask,
        kernel_size=kernel_size,
        iterations=iterations,
        fg_threshold=fg_threshold,
        bg_threshold=bg_threshold,
    )
