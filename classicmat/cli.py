"""The ``classicmat`` command: estimate an alpha matte from an image and a trimap.

::

    classicmat IMAGE TRIMAP [-o OUT] [--method NAME] [--epsilon E] [--radius R] ...
    classicmat IMAGE [TRIMAP] --method onnx --model M.onnx [--spec NAME] ...
    classicmat IMAGE --auto-trimap M.onnx [--method NAME] ...
    classicmat methods
    classicmat evaluate --dataset DIR --layout NAME --out DIR [--methods cf,...] ...
    classicmat batch IMAGES_DIR TRIMAPS_DIR -o OUT_DIR [--method NAME] [--jobs N] ...
    classicmat --version

A first argument that is a subcommand name (``methods``, ``evaluate``,
``batch``) runs that subcommand;
anything else is the IMAGE TRIMAP form (TRIMAP may be left out for a
trimap-free ONNX model, and must be with ``--auto-trimap``). Heavy modules (numpy, scipy, numba)
are imported inside functions, only when needed: ``--version`` imports none
of them, ``--help`` and ``methods`` only numpy (through the method registry).

Exit status: 0 on success, 2 for usage errors (bad options or values, a
missing input file, an output path that is an input or a directory), 1 for
failures while processing (unreadable image, sizes that differ, a trimap
without foreground or background, ...), 130 when interrupted. Errors are one
line on stderr, ``classicmat: error: ...``; warnings are one line each,
``classicmat: warning: ...``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ._version import __version__

PROG = "classicmat"

#: Names in :data:`classicmat.solvers.SOLVERS`, for ``--help`` without importing
#: scipy. ``tests/test_cli.py`` checks that the two agree.
SOLVER_NAMES = ("auto", "cg", "cg-jacobi", "cg-ichol", "cg-amg", "multigrid", "direct")

#: Names in :data:`classicmat.deep.PRESETS`, for ``--help`` and ``--spec`` without
#: importing numpy. ``tests/test_deep.py`` checks that the two agree.
PRESET_NAMES = ("trimap-4ch", "trimap-6ch", "trimap-onehot", "trimap-free")

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """A bad command line (exit status 2)."""


class _Exit(Exception):
    """argparse asked to exit (``--help``, ``--version``) with this status."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that raises instead of printing usage and exiting."""

    def error(self, message: str):  # type: ignore[override]
        raise UsageError(message)

    def exit(self, status: int = 0, message: str | None = None):  # type: ignore[override]
        if message:
            sys.stderr.write(message)
        raise _Exit(status)


class _LazyChoices:
    """Choices for argparse that are listed by a function on first use.

    Building the parser then imports nothing: ``--version`` stays instant.
    """

    def __init__(self, load: Callable[[], Sequence[str]]) -> None:
        self._load = load
        self._names: list[str] | None = None

    def _get(self) -> list[str]:
        if self._names is None:
            self._names = list(self._load())
        return self._names

    def __contains__(self, value: object) -> bool:
        return value in self._get()

    def __iter__(self) -> Iterator[str]:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())


def _method_registry():
    from .alpha import METHODS

    return METHODS


def _solver_registry():
    from .solvers import SOLVERS

    return SOLVERS


# ---------------------------------------------------------------- option types


def _number(text: str, *, integer: bool, low: float, low_open: bool) -> float | int:
    import math

    kind = "an integer" if integer else "a number"
    try:
        value = int(text) if integer else float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {kind}, got {text!r}") from None
    if not integer and not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    if value < low or (low_open and value == low):
        relation = ">" if low_open else ">="
        raise argparse.ArgumentTypeError(f"must be {relation} {low:g}, got {text!r}")
    return value


def _positive_float(text: str) -> float:
    return _number(text, integer=False, low=0.0, low_open=True)


def _weight(text: str) -> float:
    """A positive number, or ``inf`` (hard constraints)."""
    if text.strip().lower() in ("inf", "infinity"):
        return float("inf")
    return _positive_float(text)


def _nonnegative_float(text: str) -> float:
    return _number(text, integer=False, low=0.0, low_open=False)


def _positive_int(text: str) -> int:
    return _number(text, integer=True, low=1, low_open=False)


def _int_list(text: str) -> tuple[int, ...]:
    """``"10,2"`` -> ``(10, 2)``, each >= 1."""
    return tuple(_positive_int(part) for part in text.split(","))


def _unit_float(text: str) -> float:
    value = _number(text, integer=False, low=0.0, low_open=False)
    if value > 1.0:
        raise argparse.ArgumentTypeError(f"must be <= 1, got {text!r}")
    return value


def _name_list(text: str) -> list[str]:
    """``"cuda,cpu"`` -> ``["cuda", "cpu"]``."""
    names = [part.strip() for part in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"expected comma-separated names, got {text!r}")
    return names


def _spec_arg(text: str) -> str | dict:
    """A preset name, or a JSON object of spec fields (``{"preset": ..., "sigmoid": true}``)."""
    import json

    if text.lstrip().startswith("{"):
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise argparse.ArgumentTypeError(f"invalid JSON ({exc.msg}): {text!r}") from None
        if not isinstance(value, dict):  # pragma: no cover - "{" starts an object
            raise argparse.ArgumentTypeError(f"expected a JSON object, got {text!r}")
        return value
    if text not in PRESET_NAMES:
        raise argparse.ArgumentTypeError(
            f"expected a preset ({', '.join(PRESET_NAMES)}) or a JSON object of spec "
            f"fields, got {text!r}"
        )
    return text


# Options of the alpha methods: (name, flag, type, metavar, help). Passed to the
# method only when given, so that each method keeps its own defaults.
_METHOD_OPTIONS = (
    ("epsilon", "--epsilon", _positive_float, "E", "regulariser of the colour model (> 0)"),
    ("radius", "--radius", _positive_int, "R", "window radius in pixels (>= 1)"),
    ("solver", "--solver", str, "NAME", "linear solver: " + ", ".join(SOLVER_NAMES)),
    ("rtol", "--rtol", _nonnegative_float, "X", "relative tolerance of iterative solvers"),
    ("atol", "--atol", _nonnegative_float, "X", "absolute tolerance of iterative solvers"),
    ("maxiter", "--maxiter", _positive_int, "N", "iteration limit of iterative solvers"),
    # bayesian
    ("sigma", "--sigma", _positive_float, "S", "bayesian: Gaussian falloff of sample weights, px"),
    ("window", "--window", _positive_int, "N", "bayesian: initial window width (odd)"),
    ("max_window", "--max_window", _positive_int, "N", "bayesian: largest window width"),
    ("min_samples", "--min_samples", _positive_int, "N", "bayesian: samples wanted per side"),
    ("sigma_c", "--sigma_c", _positive_float, "S", "bayesian: camera noise std"),
    ("min_var", "--min_var", _positive_float, "V", "bayesian: cluster split threshold"),
    ("max_clusters", "--max_clusters", _positive_int, "K", "bayesian: clusters per side"),
    ("tol", "--tol", _nonnegative_float, "X", "bayesian: alpha tolerance of the MAP solve"),
    # knn
    (
        "n_neighbors",
        "--n_neighbors",
        _int_list,
        "K[,K]",
        "knn: neighbours per pass (20,10; paper 10,2)",
    ),
    (
        "level",
        "--level",
        _nonnegative_float,
        "X",
        "knn: weight of the pixel position (2; paper 1)",
    ),
    (
        "spatial_weakening",
        "--spatial_weakening",
        _nonnegative_float,
        "X",
        "knn: position factor of later passes (0.05; paper 0.01)",
    ),
    ("features", "--features", str, "NAME", "knn: colour features, rgb or hsv"),
    ("kernel", "--kernel", str, "NAME", "knn: affinity kernel, binary (default) or soft (paper)"),
    (
        "lambda_",
        "--lambda_",
        _weight,
        "X",
        "knn: weight of the known pixels, or inf to fix them (default inf; paper 100)",
    ),
    ("variant", "--variant", str, "NAME", "knn: presets, pymatting (default) or paper"),
    (
        "position",
        "--position",
        str,
        "NAME",
        "knn: position scaling, axes (default) or diagonal (paper)",
    ),
    # onnx
    ("model", "--model", str, "FILE", "onnx: the ONNX model file (required)"),
    (
        "spec",
        "--spec",
        _spec_arg,
        "SPEC",
        "onnx: how to feed the model: a preset (" + ", ".join(PRESET_NAMES) + ") or a JSON "
        "object of fields; default: inferred from the model's inputs",
    ),
    (
        "providers",
        "--providers",
        _name_list,
        "LIST",
        "onnx: execution providers in order, e.g. cuda,cpu (default: cpu)",
    ),
    ("threads", "--threads", _positive_int, "N", "onnx: threads per operator"),
)

# The automatic trimap: (option of estimate_alpha, flag, type, metavar, help).
_AUTO_TRIMAP_OPTIONS = (
    (
        "trimap_fg_threshold",
        "--trimap-fg-threshold",
        _unit_float,
        "X",
        "mask values >= X are known foreground (default 0.95)",
    ),
    (
        "trimap_bg_threshold",
        "--trimap-bg-threshold",
        _unit_float,
        "X",
        "mask values <= X are known background (default 0.05)",
    ),
    (
        "trimap_kernel_size",
        "--trimap-kernel-size",
        _positive_int,
        "N",
        "width of the erosion that opens the unknown band, px (default 11)",
    ),
)

_EPILOG = f"""\
subcommands:
  methods               list the alpha matting methods with their papers
  evaluate              errors (SAD, MSE, Grad, Conn) of methods on a dataset:
                        results.csv, results.json, summary.md (see
                        'classicmat evaluate --help')
  batch                 alpha mattes of a folder of images and trimaps (see
                        'classicmat batch --help')
  (a first argument that names a subcommand runs it: write ./methods for an
  image file called "methods")

trimap:
  gray, 0 = background, 255 = foreground, anything between = unknown
  (after scaling to [0, 1]: <= 0.1 background, >= 0.9 foreground).
  Left out with --method onnx and a trimap-free model, and with
  --auto-trimap MODEL: a trimap-free ONNX model's mask, thresholded and
  eroded, becomes the trimap, then --method refines the unknown band.

onnx (pip install "classicmat[onnx]"):
  --method onnx --model M.onnx runs a deep matting network with onnxruntime;
  --spec names how to feed it (default: inferred from its inputs). See
  docs/onnx.md.

method options:
  --epsilon, --radius, --solver, --rtol, --atol and --maxiter are passed to
  the method only when given (otherwise its defaults apply); an option the
  method does not take is an error. See 'classicmat methods'.

exit status:
  0 success; 2 usage error (bad option or value, missing input file, output
  path that is an input file or a directory); 1 failure while processing
  (unreadable image, sizes differ, trimap without foreground or background);
  130 interrupted. An input file is never overwritten and a failed run leaves
  no output file.

examples:
  {PROG} lemur.png lemur_trimap.png              writes lemur_alpha.png
  {PROG} lemur.png lemur_trimap.png --cutout lemur_cutout.png
  {PROG} lemur.png lemur_trimap.png --background beach.jpg --composite lemur_beach.png
  {PROG} photo.jpg trimap.png -o out/alpha.png --16bit
  {PROG} photo.jpg trimap.png --epsilon 1e-5 --solver cg-amg
  {PROG} photo.jpg trimap.png --method onnx --model vitmatte.onnx
  {PROG} portrait.jpg --method onnx --model modnet.onnx
  {PROG} portrait.jpg --auto-trimap modnet.onnx --method cf
"""


def _add_method_arguments(parser: _Parser) -> None:
    """--method and the method options, shared by the main mode and ``batch``."""
    parser.add_argument(
        "--method",
        metavar="NAME",
        default="cf",
        choices=_LazyChoices(lambda: _method_registry().names()),
        help="alpha matting method: %(choices)s (default: %(default)s)",
    )
    group = parser.add_argument_group("method options (passed only when given)")
    for name, flag, type_, metavar, text in _METHOD_OPTIONS:
        # --solver is checked after parsing: argparse would list its choices in
        # --help, and importing the solver registry imports scipy.
        group.add_argument(flag, dest=name, type=type_, metavar=metavar, default=None, help=text)


def _run_parser() -> _Parser:
    parser = _Parser(
        prog=PROG,
        usage="%(prog)s [options] IMAGE TRIMAP\n"
        "       %(prog)s [options] IMAGE [TRIMAP] --method onnx --model M.onnx\n"
        "       %(prog)s [options] IMAGE --auto-trimap M.onnx [--method NAME]\n"
        "       %(prog)s methods\n"
        "       %(prog)s evaluate --dataset DIR --layout NAME --out DIR ...\n"
        "       %(prog)s batch IMAGES_DIR TRIMAPS_DIR -o OUT_DIR ...\n"
        "       %(prog)s --version",
        description="Estimate the alpha matte of IMAGE given TRIMAP and write it as a "
        "grayscale PNG.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    # both optional for argparse; _check_positionals says what is missing
    parser.add_argument(
        "image", metavar="IMAGE", nargs="?", help="input image (PNG, JPEG, TIFF, ...)"
    )
    parser.add_argument(
        "trimap",
        metavar="TRIMAP",
        nargs="?",
        help="trimap of the same size as IMAGE (not with --auto-trimap; optional with "
        "--method onnx and a trimap-free model)",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="output file (default: <IMAGE stem>_alpha.png in the current directory); "
        "an existing file is replaced, an input file never",
    )
    _add_method_arguments(parser)
    parser.add_argument(
        "--16bit",
        dest="bit16",
        action="store_true",
        help="write a 16-bit PNG (default: 8-bit)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    auto = parser.add_argument_group(
        "automatic trimap (a trimap-free ONNX model's mask, thresholded and eroded)"
    )
    auto.add_argument(
        "--auto-trimap",
        metavar="MODEL",
        help="make the trimap with this trimap-free ONNX model (instead of TRIMAP); "
        "--method then refines it",
    )
    for _, flag, type_, metavar, text in _AUTO_TRIMAP_OPTIONS:
        auto.add_argument(flag, type=type_, metavar=metavar, default=None, help=text)
    fg = parser.add_argument_group(
        "foreground, cutout and composite (the foreground colours are estimated from "
        "the image and the alpha matte, so the old background does not bleed through)"
    )
    fg.add_argument("--foreground", metavar="FG", help="write the estimated foreground (RGB)")
    fg.add_argument(
        "--cutout",
        metavar="CUT",
        help="write the cutout: RGBA PNG with straight (not premultiplied) alpha",
    )
    fg.add_argument(
        "--background",
        metavar="BG",
        help="new background for --composite: an image of any size or a colour #RRGGBB",
    )
    fg.add_argument(
        "--composite", metavar="OUT2", help="write the foreground composited over --background"
    )
    fg.add_argument(
        "--fit",
        choices=("cover", "stretch", "tile"),
        default="cover",
        help="how a background image of another size is fitted: %(choices)s "
        "(default: %(default)s: scaled to cover, centre cropped)",
    )
    fg.add_argument(
        "--foreground-method",
        metavar="NAME",
        default=None,
        choices=_LazyChoices(lambda: _foreground_registry().names()),
        help="foreground estimation method: %(choices)s (default: multilevel)",
    )
    return parser


def _foreground_registry():
    from .foreground import FOREGROUND_METHODS

    return FOREGROUND_METHODS


def _methods_parser() -> _Parser:
    return _Parser(
        prog=f"{PROG} methods",
        description="List the alpha matting methods (--method NAME) with a summary and "
        "the paper each implements.",
    )


# ------------------------------------------------------------------ commands


def _run_methods(argv: list[str]) -> int:
    _methods_parser().parse_args(argv)
    entries = list(_method_registry())
    width = max(len(entry.name) for entry in entries)
    lines = []
    for entry in entries:
        lines.append(f"{entry.name:<{width}}  {entry.summary}")
        if entry.reference:
            lines.append(f"{'':<{width}}  {entry.reference}")
    print("\n".join(lines))
    return EXIT_OK


def _same_file(a: Path, b: Path) -> bool:
    if a.resolve() == b.resolve():
        return True
    try:
        return os.path.samefile(a, b)  # hard links
    except OSError:
        return False


def _check_positionals(args: argparse.Namespace) -> None:
    """IMAGE is required; TRIMAP too, unless --auto-trimap or --method onnx; raise UsageError."""
    trimap_optional = args.method == "onnx" or args.auto_trimap is not None
    if args.image is None:
        missing = "IMAGE" if trimap_optional else "IMAGE, TRIMAP"
        raise UsageError(f"the following arguments are required: {missing}")
    if args.auto_trimap is not None:
        if args.trimap is not None:
            raise UsageError(
                f"give TRIMAP or --auto-trimap, not both (got TRIMAP '{args.trimap}')"
            )
        return
    for name, flag, *_ in _AUTO_TRIMAP_OPTIONS:
        if getattr(args, name) is not None:
            raise UsageError(f"{flag} needs --auto-trimap MODEL")
    if args.trimap is None and not trimap_optional:
        raise UsageError(
            "the following arguments are required: TRIMAP (or --auto-trimap MODEL, or "
            "--method onnx with a trimap-free model)"
        )


def _check_paths(args: argparse.Namespace) -> tuple[Path, Path | None, Path]:
    """Check the input and output paths before any work; raise UsageError."""
    from .io import check_output_path

    inputs = {"image": Path(args.image)}
    if args.trimap is not None:
        inputs["trimap"] = Path(args.trimap)
    models = {}
    if getattr(args, "model", None) is not None:
        models["model"] = Path(args.model)
    if args.auto_trimap is not None:
        models["--auto-trimap model"] = Path(args.auto_trimap)
    for label, path in inputs.items():
        if not path.exists():
            raise UsageError(f"{label} file not found: '{path}'")
        if path.is_dir():
            raise UsageError(f"{label} '{path}' is a directory, not an image file")
    for label, path in models.items():
        if not path.exists():
            raise UsageError(f"{label} file not found: '{path}'")
        if path.is_dir():
            raise UsageError(f"{label} '{path}' is a directory, not an ONNX file")
    image_and_trimap = dict(inputs)
    inputs.update(models)
    if args.output is None:
        output = Path(f"{inputs['image'].stem}_alpha.png")
    else:
        output = Path(args.output)
    if output.is_dir():
        raise UsageError(f"output '{output}' is an existing directory; give a file name")
    for label, path in inputs.items():
        if _same_file(output, path):
            raise UsageError(
                f"output '{output}' is the {label} file; refusing to overwrite an input"
            )
    if not output.parent.is_dir():
        raise UsageError(f"output directory '{output.parent}' does not exist")
    try:
        check_output_path(output, bit16=args.bit16)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    _check_extra_outputs(args, inputs, output)
    return image_and_trimap["image"], image_and_trimap.get("trimap"), output


def _is_colour(text: str) -> bool:
    return text.startswith("#")


def _check_extra_outputs(args: argparse.Namespace, inputs: dict, output: Path) -> None:
    """Check --foreground/--cutout/--composite/--background; raise UsageError."""
    from .io import check_output_path

    if (args.composite is None) != (args.background is None):
        raise UsageError("--composite and --background go together: give both or neither")
    if args.background is not None and not _is_colour(args.background):
        background = Path(args.background)
        if not background.is_file():
            raise UsageError(f"background file not found: '{background}' (or give #RRGGBB)")
        inputs = {**inputs, "background": background}
    seen = {output.resolve(): "alpha output"}
    for flag in ("foreground", "cutout", "composite"):
        value = getattr(args, flag)
        if value is None:
            continue
        path = Path(value)
        if path.is_dir():
            raise UsageError(f"--{flag} '{path}' is an existing directory; give a file name")
        for label, source in inputs.items():
            if _same_file(path, source):
                raise UsageError(
                    f"--{flag} '{path}' is the {label} file; refusing to overwrite an input"
                )
        if path.resolve() in seen:
            raise UsageError(f"--{flag} '{path}' is also the {seen[path.resolve()]}")
        seen[path.resolve()] = f"--{flag} output"
        if not path.parent.is_dir():
            raise UsageError(f"output directory '{path.parent}' does not exist")
        try:
            check_output_path(path)
        except ValueError as exc:
            raise UsageError(f"--{flag}: {exc}") from None
    if args.foreground_method is not None and not (
        args.foreground or args.cutout or args.composite
    ):
        raise UsageError("--foreground-method needs --foreground, --cutout or --composite")


def _method_options(args: argparse.Namespace) -> tuple[Callable, dict[str, Any]]:
    """The method's function and the options given; raise UsageError if it lacks one."""
    from ._registry import keyword_options

    func = _method_registry().get(args.method)
    given = {
        name: getattr(args, name)
        for name, *_ in _METHOD_OPTIONS
        if getattr(args, name) is not None
    }
    if "solver" in given:
        solvers = _solver_registry().names()
        if given["solver"] not in solvers:
            raise UsageError(
                f"argument --solver: invalid choice: {given['solver']!r} "
                f"(choose from {', '.join(repr(name) for name in solvers)})"
            )
    valid = keyword_options(func)
    cli_names = [name for name, *_ in _METHOD_OPTIONS]
    for name in given:
        if name not in valid:
            flags = ", ".join(f"--{v}" for v in valid if v in cli_names)
            raise UsageError(
                f"method {args.method!r} has no option --{name} (its options: {flags or 'none'})"
            )
    for name in _required_options(func):
        if name not in given:
            raise UsageError(f"method {args.method!r} needs --{name}")
    return func, given


def _required_options(func: Callable) -> list[str]:
    """Keyword-only parameters of ``func`` without a default (``model`` of onnx)."""
    import inspect

    return [
        p.name
        for p in inspect.signature(func).parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY and p.default is inspect.Parameter.empty
    ]


def _open_sessions(args: argparse.Namespace, options: dict, has_trimap: bool) -> dict:
    """Load the ONNX models before reading the images; return the auto-trimap options.

    With ``--method onnx`` the session replaces the model options in
    ``options``. Raises UsageError when the model and the given inputs do
    not go together (a trimap-based model without TRIMAP, a trimap-based
    model for --auto-trimap).
    """
    auto: dict[str, Any] = {}
    if args.method != "onnx" and args.auto_trimap is None:
        return auto
    from .deep import get_session

    if args.method == "onnx":
        model_options = {
            k: options.pop(k) for k in ("spec", "providers", "threads") if k in options
        }
        session = get_session(options["model"], **model_options)
        options["model"] = session
        if session.needs_trimap and not has_trimap and args.auto_trimap is None:
            raise UsageError(
                f"model '{args.model}' takes a trimap ({session.spec.describe_inputs()}): "
                f"give TRIMAP, or --auto-trimap MODEL"
            )
    if args.auto_trimap is not None:
        session = get_session(args.auto_trimap)
        if session.needs_trimap:
            raise UsageError(
                f"--auto-trimap model '{args.auto_trimap}' takes a trimap "
                f"({session.spec.describe_inputs()}); it must be trimap-free (one RGB input)"
            )
        auto["trimap_model"] = session
        for name, *_ in _AUTO_TRIMAP_OPTIONS:
            if getattr(args, name) is not None:
                auto[name] = getattr(args, name)
    return auto


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    text = " ".join(str(message).split())
    print(f"{PROG}: warning: {text}", file=sys.stderr)


def _run(argv: list[str]) -> int:
    args = _run_parser().parse_args(argv)
    _check_positionals(args)
    image_path, trimap_path, output = _check_paths(args)
    func, options = _method_options(args)

    from ._warnings import ClassicmatWarning
    from .io import read_image, write_image

    start = time.perf_counter()
    auto = _open_sessions(args, options, trimap_path is not None)
    with warnings.catch_warnings():
        warnings.simplefilter("default", ClassicmatWarning)
        warnings.showwarning = _show_warning
        image = read_image(image_path, kind="image", name="image")
        if auto:
            from .alpha import estimate_alpha

            alpha = estimate_alpha(image, "auto", method=args.method, **auto, **options)
        else:
            trimap = None
            if trimap_path is not None:
                trimap = read_image(trimap_path, kind="trimap", name="trimap")
            alpha = func(image, trimap, **options)
        # compute every requested output first, then write them all, so that
        # a failure (say, an unreadable background) leaves no output at all
        outputs = [(output, alpha, args.bit16)]
        outputs += _foreground_outputs(args, image, alpha)
        for path, array, bit16 in outputs:
            write_image(path, array, bit16=bit16)
    elapsed = time.perf_counter() - start
    if not args.quiet:
        height, width = alpha.shape[:2]
        names = ", ".join(str(path) for path, _, _ in outputs)
        method = f"{args.method}, auto trimap" if auto else args.method
        print(f"wrote {names} ({width}x{height}, {method}, {elapsed:.2f} s)")
    return EXIT_OK


def _foreground_outputs(args: argparse.Namespace, image, alpha) -> list:
    """(path, array, bit16) of the --foreground, --cutout and --composite outputs."""
    if not (args.foreground or args.cutout or args.composite):
        return []
    import numpy as np

    from ._validation import as_image
    from .compose import composite, cutout
    from .foreground import estimate_foreground

    rgb = as_image(image)
    method = args.foreground_method or "multilevel"
    foreground = estimate_foreground(rgb, alpha, method=method)
    outputs = []
    if args.foreground:
        outputs.append((Path(args.foreground), foreground, None))
    if args.cutout:
        outputs.append((Path(args.cutout), cutout(rgb, alpha, foreground=foreground), None))
    if args.composite:
        background = args.background
        if not _is_colour(background):
            from .io import read_image

            background = read_image(background, kind="image", name="background")
        result = composite(foreground, alpha, background, fit=args.fit)
        outputs.append((Path(args.composite), np.asarray(result), None))
    return outputs


# ------------------------------------------------------------ evaluate, batch


def _progress_mode(args: argparse.Namespace) -> str:
    if args.quiet:
        return "off"
    return "bar" if args.progress else "auto"


def _add_progress_options(parser: _Parser) -> None:
    parser.add_argument(
        "--progress",
        action="store_true",
        help="draw a progress bar on stderr even when it is not a terminal (default: a bar "
        "on a terminal, one plain line per image otherwise)",
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="no progress and no summary; errors only"
    )


_EVALUATE_EPILOG = f"""\
layouts (files matched by stem; extensions may differ):
  alphamatting     input/, gt/, trimap1/, trimap2/ (alphamatting.com training
                   set); trimap sets trimap1 and trimap2, each its own rows
  composition-1k   merged/, alpha/ (or alpha_copy/), trimaps/: the
                   Composition-1k test set as GCA-Matting / MatteFormer
                   prepare it (same file names in the three folders)
  simple           image/, trimap/, alpha/

outputs in --out:
  results.csv      one row per image x method x trimap set (sad, mse, grad,
                   conn, runtime_s, ...); MSE plain, SAD/Grad/Conn in thousands
  results.json     rows, means, every method option (defaults resolved),
                   versions of classicmat, numpy, scipy, numba, Python, and
                   the command line
  summary.md       Markdown table of the means (MSE x 10^3) for a paper
  records/         one JSON file per finished image: a rerun reuses those
                   whose options and input files match (resume)
  alpha/           with --save-alpha: alpha/<method>/<trimap set>/<stem>.png

--jobs N runs N worker processes, each with cpu_count/N numba and BLAS
threads; rows and errors do not depend on N.

exit status: 0 success; 2 usage error (bad option, missing dataset folder or
file); 1 some images failed (one line each on stderr); 130 interrupted
(rerun the same command to continue).

example:
  {PROG} evaluate --dataset data/alphamatting --layout alphamatting \\
      --methods cf --out results/ --jobs 2
"""


def _evaluate_parser() -> _Parser:
    from .evaluate import LAYOUTS

    parser = _Parser(
        prog=f"{PROG} evaluate",
        description="Run alpha matting methods on a dataset and report the errors papers "
        "print (SAD, MSE, gradient, connectivity on the trimap's unknown region).",
        epilog=_EVALUATE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--dataset", metavar="DIR", required=True, help="dataset folder")
    parser.add_argument(
        "--layout", required=True, choices=list(LAYOUTS), help="folder layout: %(choices)s"
    )
    parser.add_argument(
        "--methods",
        metavar="LIST",
        default="cf",
        help="comma-separated methods (default: %(default)s); see 'classicmat methods'",
    )
    parser.add_argument(
        "--trimap",
        metavar="NAME",
        help="trimap set (alphamatting: trimap1 or trimap2; default: every set of the layout)",
    )
    parser.add_argument(
        "--jobs", metavar="N", type=_positive_int, default=1, help="worker processes (default 1)"
    )
    parser.add_argument("--out", metavar="DIR", required=True, help="output folder (created)")
    parser.add_argument(
        "--save-alpha", action="store_true", help="write the 8-bit predictions under DIR/alpha/"
    )
    parser.add_argument(
        "--preview",
        metavar="PNG",
        help="write a contact sheet (input, trimap, each method's alpha and |alpha - gt|); "
        "implies --save-alpha",
    )
    parser.add_argument(
        "--option",
        metavar="METHOD.NAME=VALUE",
        action="append",
        default=[],
        help="a method option, for instance cf.epsilon=1e-6 (repeatable)",
    )
    _add_progress_options(parser)
    return parser


def _option_value(text: str) -> Any:
    """``1`` -> int, ``1e-6`` -> float, ``none``/``true``/``false``, else the string."""
    lowered = text.lower()
    if lowered in ("none", "null"):
        return None
    if lowered in ("true", "false"):
        return lowered == "true"
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return text


def _parse_method_list(text: str) -> list[str]:
    methods = [name.strip() for name in text.split(",") if name.strip()]
    valid = _method_registry().names()
    if not methods:
        raise UsageError("argument --methods: expected at least one method name")
    for name in methods:
        if name not in valid:
            raise UsageError(
                f"argument --methods: unknown method {name!r} "
                f"(choose from {', '.join(repr(v) for v in valid)})"
            )
    return methods


def _parse_method_option_args(items: list[str], methods: list[str]) -> dict[str, dict]:
    from ._registry import keyword_options

    options: dict[str, dict] = {}
    for item in items:
        target, eq, value = item.partition("=")
        method, dot, name = target.partition(".")
        if not (eq and dot and method and name):
            raise UsageError(f"argument --option: expected METHOD.NAME=VALUE, got {item!r}")
        if method not in methods:
            raise UsageError(f"argument --option: method {method!r} is not in --methods")
        valid = keyword_options(_method_registry().get(method))
        if name not in valid:
            raise UsageError(
                f"argument --option: method {method!r} has no option {name!r} "
                f"(its options: {', '.join(valid) or 'none'})"
            )
        options.setdefault(method, {})[name] = _option_value(value)
    return options


def _run_evaluate(argv: list[str]) -> int:
    import shlex

    args = _evaluate_parser().parse_args(argv)
    from .evaluate import LAYOUTS, DatasetError

    methods = _parse_method_list(args.methods)
    options = _parse_method_option_args(args.option, methods)
    if args.trimap is not None and args.trimap not in LAYOUTS[args.layout].trimaps:
        sets = ", ".join(repr(n) for n in LAYOUTS[args.layout].trimaps)
        raise UsageError(
            f"argument --trimap: layout {args.layout!r} has no trimap set {args.trimap!r} "
            f"(choose from {sets})"
        )
    if not Path(args.dataset).is_dir():
        raise UsageError(f"dataset folder not found: '{args.dataset}'")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out '{out}' is a file, not a folder")
    _check_preview(args.preview)

    from ._warnings import ClassicmatWarning
    from .evaluate import evaluate_dataset

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("default", ClassicmatWarning)
        warnings.showwarning = _show_warning
        try:
            summary = evaluate_dataset(
                args.dataset,
                layout=args.layout,
                methods=methods,
                trimap=args.trimap,
                jobs=args.jobs,
                out_dir=out,
                save_alpha=args.save_alpha,
                method_options=options,
                progress=_progress_mode(args),
                preview=args.preview,
                command=shlex.join([PROG, "evaluate", *argv]),
            )
        except DatasetError as exc:
            raise UsageError(str(exc)) from None
    elapsed = time.perf_counter() - start
    if not args.quiet:
        print(summary.to_markdown(), end="")
        print(
            f"\nwrote {out / 'results.csv'}, results.json, summary.md "
            f"({summary.computed} computed, {summary.reused} reused, {elapsed:.1f} s)"
        )
    for method, trimap_set, stem, message in summary.failures:
        _error(f"{stem} ({method}, {trimap_set}): {message}")
    return EXIT_FAILURE if summary.failures else EXIT_OK


_BATCH_EPILOG = f"""\
matching:
  each image <stem>.<ext> of IMAGES_DIR (png, jpg, jpeg, tif, tiff, bmp, webp)
  takes the trimap <stem>.<ext> or <stem>_trimap.<ext> of TRIMAPS_DIR (both
  present: an error for that image). The two folders may be the same.

outputs in OUT_DIR (created if missing):
  <stem>_alpha.png    8-bit gray alpha matte
  <stem>_cutout.png   with --cutout: RGBA, straight (not premultiplied) alpha;
                      colours from classicmat.compose.cutout (foreground
                      colours re-estimated) when that module is installed,
                      otherwise the image's own colours
  An existing output is replaced; an input file never.

A bad image (unreadable, sizes differ, no trimap) does not stop the others:
each is reported at the end in one line on stderr.

exit status: 0 every image written; 1 some images failed; 2 usage error
(bad option, missing folder, no images); 130 interrupted.

example:
  {PROG} batch photos/ trimaps/ -o mattes/ --jobs 2 --cutout
"""


def _batch_parser() -> _Parser:
    parser = _Parser(
        prog=f"{PROG} batch",
        description="Estimate the alpha matte of every image of IMAGES_DIR with its trimap "
        "from TRIMAPS_DIR.",
        epilog=_BATCH_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("images_dir", metavar="IMAGES_DIR", help="folder of images")
    parser.add_argument("trimaps_dir", metavar="TRIMAPS_DIR", help="folder of trimaps")
    parser.add_argument(
        "-o", "--output-dir", metavar="OUT_DIR", required=True, help="output folder"
    )
    _add_method_arguments(parser)
    parser.add_argument(
        "--jobs", metavar="N", type=_positive_int, default=1, help="worker processes (default 1)"
    )
    parser.add_argument(
        "--cutout", action="store_true", help="also write <stem>_cutout.png (RGBA, see below)"
    )
    parser.add_argument(
        "--preview", metavar="PNG", help="write a contact sheet (input, trimap, alpha)"
    )
    _add_progress_options(parser)
    return parser


def _check_preview(path: str | None) -> None:
    """Raise UsageError if the contact sheet cannot be written at ``path``."""
    if path is None:
        return
    from .io import check_output_path

    try:
        check_output_path(path)
    except ValueError as exc:
        raise UsageError(f"argument --preview: {exc}") from None


def _run_batch(argv: list[str]) -> int:
    args = _batch_parser().parse_args(argv)
    for label, folder in (("images", args.images_dir), ("trimaps", args.trimaps_dir)):
        if not Path(folder).is_dir():
            raise UsageError(f"{label} folder not found: '{folder}'")
    out = Path(args.output_dir)
    if out.exists() and not out.is_dir():
        raise UsageError(f"output folder '{out}' is a file")
    _check_preview(args.preview)
    _, options = _method_options(args)

    from ._warnings import ClassicmatWarning
    from .batch import find_pairs, run_batch

    try:
        if not find_pairs(args.images_dir, args.trimaps_dir):
            raise UsageError(f"no images in '{args.images_dir}'")
    except ValueError as exc:  # two files with one stem
        raise UsageError(str(exc)) from None
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("default", ClassicmatWarning)
        warnings.showwarning = _show_warning
        result = run_batch(
            args.images_dir,
            args.trimaps_dir,
            out,
            method=args.method,
            method_options=options,
            jobs=args.jobs,
            cutout=args.cutout,
            progress=_progress_mode(args),
            preview=args.preview,
        )
    elapsed = time.perf_counter() - start
    if not args.quiet:
        failed = f", {len(result.failures)} failed" if result.failures else ""
        print(
            f"wrote {len(result.written)} of {result.total} alpha mattes to {out}"
            f"{failed} ({args.method}, {elapsed:.1f} s)"
        )
    for name, message in result.failures:
        _error(f"{name}: {message}")
    return EXIT_FAILURE if result.failures else EXIT_OK


#: Subcommands: a first argument with one of these names runs it.
SUBCOMMANDS: dict[str, Callable[[list[str]], int]] = {
    "methods": _run_methods,
    "evaluate": _run_evaluate,
    "batch": _run_batch,
}


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def _error(message: str) -> None:
    print(f"{PROG}: error: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``classicmat`` command; return its exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments, without the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 success, 1 failure while processing, 2 usage error, 130 interrupted.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        try:
            if argv and argv[0] in SUBCOMMANDS:
                return SUBCOMMANDS[argv[0]](argv[1:])
            return _run(argv)
        except _Exit as exc:
            return exc.status
        except UsageError as exc:
            _error(f"{_one_line(exc)} (see '{PROG} --help')")
            return EXIT_USAGE
        except (ValueError, TypeError, OSError) as exc:
            _error(_one_line(exc))
            return EXIT_FAILURE
        except ImportError as exc:  # an optional dependency (onnxruntime)
            _error(_one_line(exc))
            return EXIT_FAILURE
        except MemoryError:
            _error("out of memory; try a smaller image")
            return EXIT_FAILURE
        except Exception as exc:
            if os.environ.get("CLASSICMAT_DEBUG") == "1":
                raise
            _error(
                f"internal error: {type(exc).__name__}: {_one_line(exc)} "
                f"(please report it; set CLASSICMAT_DEBUG=1 for the traceback)"
            )
            return EXIT_FAILURE
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
