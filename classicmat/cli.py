"""The ``classicmat`` command: estimate an alpha matte from an image and a trimap.

::

    classicmat IMAGE TRIMAP [-o OUT] [--method NAME] [--epsilon E] [--radius R] ...
    classicmat methods
    classicmat --version

A first argument that is a subcommand name (``methods``) runs that subcommand;
anything else is the IMAGE TRIMAP form. Heavy modules (numpy, scipy, numba)
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


def _nonnegative_float(text: str) -> float:
    return _number(text, integer=False, low=0.0, low_open=False)


def _positive_int(text: str) -> int:
    return _number(text, integer=True, low=1, low_open=False)


# Options of the alpha methods: (name, flag, type, metavar, help). Passed to the
# method only when given, so that each method keeps its own defaults.
_METHOD_OPTIONS = (
    ("epsilon", "--epsilon", _positive_float, "E", "regulariser of the colour model (> 0)"),
    ("radius", "--radius", _positive_int, "R", "window radius in pixels (>= 1)"),
    ("solver", "--solver", str, "NAME", "linear solver: " + ", ".join(SOLVER_NAMES)),
    ("rtol", "--rtol", _nonnegative_float, "X", "relative tolerance of iterative solvers"),
    ("atol", "--atol", _nonnegative_float, "X", "absolute tolerance of iterative solvers"),
    ("maxiter", "--maxiter", _positive_int, "N", "iteration limit of iterative solvers"),
)

_EPILOG = f"""\
subcommands:
  methods               list the alpha matting methods with their papers
  (a first argument that names a subcommand runs it: write ./methods for an
  image file called "methods")

trimap:
  gray, 0 = background, 255 = foreground, anything between = unknown
  (after scaling to [0, 1]: <= 0.1 background, >= 0.9 foreground).

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
  {PROG} photo.jpg trimap.png -o out/alpha.png --16bit
  {PROG} photo.jpg trimap.png --epsilon 1e-5 --solver cg-amg
"""


def _run_parser() -> _Parser:
    parser = _Parser(
        prog=PROG,
        usage="%(prog)s [options] IMAGE TRIMAP\n       %(prog)s methods\n"
        "       %(prog)s --version",
        description="Estimate the alpha matte of IMAGE given TRIMAP and write it as a "
        "grayscale PNG.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument("image", metavar="IMAGE", help="input image (PNG, JPEG, TIFF, ...)")
    parser.add_argument("trimap", metavar="TRIMAP", help="trimap of the same size as IMAGE")
    parser.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="output file (default: <IMAGE stem>_alpha.png in the current directory); "
        "an existing file is replaced, an input file never",
    )
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
    parser.add_argument(
        "--16bit",
        dest="bit16",
        action="store_true",
        help="write a 16-bit PNG (default: 8-bit)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    return parser


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


def _check_paths(args: argparse.Namespace) -> tuple[Path, Path, Path]:
    """Check the input and output paths before any work; raise UsageError."""
    from .io import check_output_path

    inputs = {"image": Path(args.image), "trimap": Path(args.trimap)}
    for label, path in inputs.items():
        if not path.exists():
            raise UsageError(f"{label} file not found: '{path}'")
        if path.is_dir():
            raise UsageError(f"{label} '{path}' is a directory, not an image file")
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
    return inputs["image"], inputs["trimap"], output


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
    return func, given


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    text = " ".join(str(message).split())
    print(f"{PROG}: warning: {text}", file=sys.stderr)


def _run(argv: list[str]) -> int:
    args = _run_parser().parse_args(argv)
    image_path, trimap_path, output = _check_paths(args)
    func, options = _method_options(args)

    from ._warnings import ClassicmatWarning
    from .io import read_image, write_image

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("default", ClassicmatWarning)
        warnings.showwarning = _show_warning
        image = read_image(image_path, kind="image", name="image")
        trimap = read_image(trimap_path, kind="trimap", name="trimap")
        alpha = func(image, trimap, **options)
        write_image(output, alpha, bit16=args.bit16)
    elapsed = time.perf_counter() - start
    if not args.quiet:
        height, width = alpha.shape[:2]
        print(f"wrote {output} ({width}x{height}, {args.method}, {elapsed:.2f} s)")
    return EXIT_OK


#: Subcommands: a first argument with one of these names runs it.
SUBCOMMANDS: dict[str, Callable[[list[str]], int]] = {"methods": _run_methods}


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
