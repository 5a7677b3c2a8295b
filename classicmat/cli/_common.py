"""What every subcommand of ``classicmat`` shares: the parser, errors, method options, paths.

Nothing here imports NumPy, SciPy or numba at module level: ``--version``
imports none of them, ``--help`` and ``methods`` only NumPy (through the
method modules, which describe their options).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

PROG = "classicmat"

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
#: The reader of standard output went away (``classicmat methods | head``):
#: 128 + SIGPIPE, as a command killed by that signal, without a message.
EXIT_BROKEN_PIPE = 141


class UsageError(Exception):
    """A bad command line (exit status 2)."""


class ParserExit(Exception):
    """argparse asked to exit (``--help``, ``--version``) with this status."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class Parser(argparse.ArgumentParser):
    """An ArgumentParser that raises instead of printing usage and exiting."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(**kwargs)

    def error(self, message: str):  # type: ignore[override]
        raise UsageError(message)

    def exit(self, status: int = 0, message: str | None = None):  # type: ignore[override]
        if message:
            sys.stderr.write(message)
        raise ParserExit(status)


class LazyChoices:
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


# ---------------------------------------------------------------- registries


def method_registry():
    """The alpha methods (a function, so that tests can give another registry)."""
    from ..alpha import METHODS

    return METHODS


def foreground_registry():
    from ..foreground import FOREGROUND_METHODS

    return FOREGROUND_METHODS


def method_function(name: str) -> Callable:
    """The method ``name`` under the method contract (``options``, ``check``, ``core``)."""
    from .._method import as_method

    return as_method(method_registry().get(name))


# ---------------------------------------------------------------- messages


def one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def error(message: str) -> None:
    print(f"{PROG}: error: {message}", file=sys.stderr)


def show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """``warnings.showwarning`` of the command: one line on stderr."""
    text = " ".join(str(message).split())
    print(f"{PROG}: warning: {text}", file=sys.stderr)


def progress_mode(args: argparse.Namespace) -> str:
    if args.quiet:
        return "off"
    return "bar" if args.progress else "auto"


def add_progress_options(parser: Parser) -> None:
    parser.add_argument(
        "--progress",
        action="store_true",
        help="draw a progress bar on stderr even when it is not a terminal (default: a bar "
        "on a terminal, one plain line per image otherwise)",
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="no progress and no summary; errors only"
    )


def add_scheduler_option(parser: Parser) -> None:
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on a Dask distributed cluster instead of local processes: the scheduler's "
        'address, such as tcp://10.0.0.5:8786 (needs pip install "classicmat[distributed]"; '
        "the workers must see the files at the same paths)",
    )


def check_scheduler_option(args: argparse.Namespace) -> None:
    """``--scheduler`` with ``--jobs`` is a usage error; without dask, an ImportError (exit 1)."""
    if args.scheduler is None:
        return
    if not args.scheduler.strip():
        raise UsageError("argument --scheduler: expected an address such as tcp://10.0.0.5:8786")
    if args.jobs != 1:
        raise UsageError(
            "--jobs and --scheduler are exclusive: the cluster's workers run the tasks"
        )
    from .._tasks import check_scheduler

    check_scheduler(args.scheduler)


def jobs_type(text: str) -> int:
    """argparse type of ``--jobs``: an integer >= 1."""
    from .._options import Option

    try:
        return Option("jobs", "int", "", low=1).parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


# ---------------------------------------------------------------- method options


def _builtin_options() -> dict[str, list[tuple[str, Any]]]:
    """``{option name: [(method, Option), ...]}`` over the built-in methods."""
    from .._method import as_method

    found: dict[str, list[tuple[str, Any]]] = {}
    registry = method_registry()
    for entry in registry.builtins():
        try:
            func = as_method(entry.load())
        except ImportError:  # pragma: no cover - a built-in always loads
            continue
        for option in func.options:
            found.setdefault(option.name, []).append((entry.name, option))
    return found


def add_method_arguments(parser: Parser) -> None:
    """--method, one flag per option of the built-in methods, and --option NAME=VALUE."""
    parser.add_argument(
        "--method",
        metavar="NAME",
        default="cf",
        choices=LazyChoices(lambda: method_registry().names()),
        help="alpha matting method: %(choices)s (default: %(default)s); see 'classicmat methods'",
    )
    group = parser.add_argument_group(
        "method options (passed only when given; 'classicmat methods' lists each method's)"
    )
    for name, users in _builtin_options().items():
        by_help: dict[str, list[str]] = {}
        for method, option in users:
            by_help.setdefault(option.help, []).append(method)
        text = "; ".join(f"{', '.join(methods)}: {help_}" for help_, methods in by_help.items())
        group.add_argument(
            f"--{name}",
            dest=f"option:{name}",
            metavar=users[0][1].metavar or "X",
            default=None,
            help=text.replace("%", "%%"),
        )
    group.add_argument(
        "--option",
        metavar="NAME=VALUE",
        action="append",
        default=[],
        dest="options",
        help="an option of the method, by name (any method, plugins too); repeatable",
    )


def given_method_options(args: argparse.Namespace) -> dict[str, str]:
    """The method options given as flags or ``--option``: ``{name: text}``."""
    from .._options import parse_assignment

    given = {
        key.partition(":")[2]: value
        for key, value in vars(args).items()
        if key.startswith("option:") and value is not None
    }
    for item in args.options:
        try:
            name, value = parse_assignment(item)
        except ValueError as exc:
            raise UsageError(f"argument --option: {exc}") from None
        given[name] = value
    return given


def method_options(
    method: str, given: dict[str, str], *, flags: bool = True
) -> tuple[Callable, dict[str, Any]]:
    """The method and its options, parsed and checked before any work; raise UsageError."""
    func = method_function(method)
    by_name = {option.name: option for option in func.options}
    unknown = [name for name in given if name not in by_name]
    if unknown:
        names = ", ".join(f"--{n}" for n in by_name) if flags else ", ".join(by_name)
        shown = f"--{unknown[0]}" if flags else repr(unknown[0])
        raise UsageError(
            f"method {method!r} has no option {shown} (its options: {names or 'none'})"
        )
    values = {}
    for name, text in given.items():
        try:
            values[name] = by_name[name].parse(text)
        except ValueError as exc:
            raise UsageError(f"argument --{name}: {one_line(exc)}") from None
    missing = [o.name for o in func.options if o.required and o.name not in values]
    if missing:
        raise UsageError(f"method {method!r} needs --{missing[0]}")
    try:
        checked = func.check(
            values, what=f"method {method!r}"
        )  # options that depend on each other
    except (TypeError, ValueError) as exc:
        raise UsageError(one_line(exc)) from None
    # the given options only (the method fills in the others), as checked: a
    # value whose type depends on another option (a solver's settings) is
    # converted there
    return func, {name: checked.get(name, value) for name, value in values.items()}


# ---------------------------------------------------------------- paths

_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


def is_colour(text: str) -> bool:
    """``#RGB`` or ``#RRGGBB``."""
    return bool(_COLOUR.fullmatch(text))


def same_file(a: Path, b: Path) -> bool:
    if a.resolve() == b.resolve():
        return True
    try:
        return os.path.samefile(a, b)  # hard links
    except OSError:
        return False


def check_input(label: str, path: Path, what: str = "an image file") -> Path:
    """``path`` exists and is a file; raise UsageError."""
    if not path.exists():
        raise UsageError(f"{label} file not found: '{path}'")
    if path.is_dir():
        raise UsageError(f"{label} '{path}' is a directory, not {what}")
    return path


def check_output(
    label: str,
    path: Path,
    inputs: dict[str, Path],
    outputs: dict[Path, str],
    *,
    bit16: bool = False,
    matte: bool = False,
    with_alpha: bool = False,
) -> None:
    """Check an output path before any work; raise UsageError.

    It must not be an input (through any spelling, symlink or hard link),
    another output, or a directory; its folder must exist and be writable;
    its extension must be a format that can hold it: a ``matte`` is never
    written lossy (JPEG), a cut-out (``with_alpha``) needs an alpha channel.
    ``outputs`` collects the outputs checked so far.
    """
    from ..io import ALPHA_FORMATS, LOSSY_FORMATS, check_output_path

    if path.is_dir():
        raise UsageError(f"{label} '{path}' is an existing directory; give a file name")
    for name, source in inputs.items():
        if same_file(path, source):
            raise UsageError(
                f"{label} '{path}' is the {name} file; refusing to overwrite an input"
            )
    key = path.resolve()
    if key in outputs:
        raise UsageError(f"{label} '{path}' is also the {outputs[key]}")
    outputs[key] = "alpha output" if label == "output" else f"{label} output"
    folder = path.parent
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{label} '{path}': '{folder}' is a file, not a directory")
    if not folder.is_dir():
        raise UsageError(f"output directory '{folder}' does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"output directory '{folder}' is not writable")
    try:
        fmt = check_output_path(path, bit16=bit16)
    except ValueError as exc:
        raise UsageError(one_line(exc)) from None
    if matte and fmt in LOSSY_FORMATS:
        raise UsageError(
            f"{label} '{path}': {fmt} is lossy and would change the matte (values near 0 "
            f"and 255 shift by several levels); write .png or .tif"
        )
    if with_alpha and fmt not in ALPHA_FORMATS:
        raise UsageError(
            f"{label} '{path}': {fmt} has no alpha channel; write .png, .tif or .webp"
        )
