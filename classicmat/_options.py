"""Options of methods and solvers, each described once.

An :class:`Option` holds what a user needs to know of one keyword option:
its name, kind, range or choices, one line of help, and (from the function's
signature) its default. The same description

- checks the value a Python caller passes (:meth:`Option.check`),
- parses and checks the text given on the command line
  (``--epsilon 1e-6``, ``--option epsilon=1e-6``: :meth:`Option.parse`),
- is listed by ``classicmat methods`` and in ``--help``
  (:meth:`Option.describe`),
- and gives the resolved options ``classicmat evaluate`` records.

Methods from other packages (entry points) have no :class:`Option` list:
:func:`options_from_signature` derives one from their signature and
docstring.

This module imports only :mod:`classicmat._checks` (and the standard library).
"""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ._checks import check_choice, check_number

__all__ = [
    "KINDS",
    "REQUIRED",
    "Option",
    "check_values",
    "options_from_signature",
    "parse_assignment",
]


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


#: The default of an option that must be given (``model`` of ``"onnx"``).
REQUIRED: Any = _Required()

#: Kinds of option values.
KINDS = ("float", "int", "str", "bool", "ints", "names", "any")

_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


@dataclass(frozen=True)
class Option:
    """One keyword option of a method or solver.

    Parameters
    ----------
    name : str
        The keyword (and, on the command line, ``--name`` and
        ``--option name=VALUE``).
    kind : {"float", "int", "str", "bool", "ints", "names", "any"}
        ``"ints"``: an int or a sequence of ints (``"20,10"`` on the command
        line); ``"names"``: a list of strings (``"cuda,cpu"``); ``"any"``: a
        value the method checks itself (``parse`` turns text into it).
    help : str
        One line, for ``classicmat methods`` and ``--help``.
    default : optional
        Filled in from the function's signature.
    low, high, low_open : optional
        Range of numbers (inclusive, unless ``low_open`` makes the lower
        bound strict).
    choices : sequence of str or callable, optional
        Valid strings; a callable lists them on first use (registries).
    allow_none : bool
        ``None`` (``none`` on the command line) is valid: "let the method
        choose".
    allow_inf : bool
        ``float("inf")`` (``inf``) is valid for a ``"float"``.
    rule : callable, optional
        ``rule(value) -> message or None``: a further condition (``"odd"``).
    parse_text : callable, optional
        Turns command-line text into a value, for ``"any"`` options.
    metavar : str, optional
        Placeholder in ``--help``.
    expected_text, default_text : str, optional
        What a value looks like and what the default means, in words, where
        the kind and the default value do not say it well (``"a file"``,
        ``"the variant's"``).
    depends : callable, optional
        ``depends(value, values) -> value``: the check of a value that
        depends on the other options (``values``, checked already), such as
        the settings of the chosen solver; it raises ``TypeError`` or
        ``ValueError`` and returns the value converted. Run by
        :func:`check_values` for a given option, once every option has had
        its own check.
    """

    name: str
    kind: str
    help: str
    default: Any = REQUIRED
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    choices: Sequence[str] | Callable[[], Sequence[str]] | None = None
    allow_none: bool = False
    allow_inf: bool = False
    rule: Callable[[Any], str | None] | None = field(default=None, compare=False)
    parse_text: Callable[[str], Any] | None = field(default=None, compare=False)
    metavar: str | None = None
    expected_text: str | None = None
    default_text: str | None = None
    depends: Callable[[Any, Mapping[str, Any]], Any] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"option kind must be one of {KINDS}, got {self.kind!r}")

    # ------------------------------------------------------------ values

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def valid_choices(self) -> Sequence[str] | None:
        if callable(self.choices):
            return tuple(self.choices())
        return self.choices

    def check(self, value: Any) -> Any:
        """Return ``value`` checked and converted; raise ``TypeError``/``ValueError``."""
        name = self.name
        if value is None:
            if self.allow_none or self.default is None:
                return None
            raise TypeError(f"{name} must not be None")
        kind = self.kind
        if kind == "float":
            if self.allow_inf and isinstance(value, numbers.Real) and value == math.inf:
                value = math.inf
            else:
                value = check_number(
                    value, name, low=self.low, high=self.high, low_open=self.low_open
                )
        elif kind == "int":
            value = check_number(
                value, name, integer=True, low=self.low, high=self.high, low_open=self.low_open
            )
        elif kind == "bool":
            if not isinstance(value, bool) and type(value).__name__ != "bool_":
                raise TypeError(f"{name} must be True or False, got {value!r}")
            value = bool(value)
        elif kind == "str":
            if not isinstance(value, str):
                raise TypeError(f"{name} must be a string, got {value!r}")
            choices = self.valid_choices()
            if choices is not None:
                check_choice(value, name, choices)
        elif kind == "ints":
            value = self._check_ints(value)
        elif kind == "names":
            if isinstance(value, str):
                value = [value]
            if not (
                isinstance(value, Sequence) and value and all(isinstance(v, str) for v in value)
            ):
                raise TypeError(f"{name} must be a string or a list of strings, got {value!r}")
            value = list(value)
        if self.rule is not None and kind != "any":
            message = self.rule(value)
            if message:
                raise ValueError(f"{name} {message}, got {value!r}")
        return value

    def _check_ints(self, value: Any) -> tuple[int, ...]:
        name = self.name
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            value = (value,)
        try:
            if isinstance(value, str):
                raise TypeError
            value = tuple(value)
        except TypeError:
            raise TypeError(
                f"{name} must be an int or a sequence of ints, got {type(value).__name__}"
            ) from None
        if not value:
            raise ValueError(f"{name} must hold at least one integer, got ()")
        return tuple(
            check_number(v, name, integer=True, low=self.low, high=self.high) for v in value
        )

    def parse(self, text: str) -> Any:
        """Return the value of the command-line ``text``, checked; raise ``ValueError``."""
        stripped = text.strip()
        if stripped.lower() in ("none", "null") and (self.allow_none or self.default is None):
            return None
        kind = self.kind
        if kind == "any":  # the method's own parser says what is wrong
            return text if self.parse_text is None else self.parse_text(text)
        try:
            if kind == "float":
                if stripped.lower() in ("inf", "infinity", "+inf"):
                    value: Any = math.inf
                else:
                    value = float(stripped)
                    if not math.isfinite(value):
                        raise ValueError(f"must be finite, got {text!r}") from None
            elif kind == "int":
                value = int(stripped)
            elif kind == "bool":
                lowered = stripped.lower()
                if lowered not in _TRUE + _FALSE:
                    raise ValueError
                value = lowered in _TRUE
            elif kind == "ints":
                value = tuple(int(part) for part in stripped.split(","))
            elif kind == "names":
                value = [part.strip() for part in stripped.split(",")]
                if not all(value):
                    raise ValueError
            else:
                value = text
        except ValueError as exc:
            if str(exc).startswith("must be finite"):
                raise
            raise ValueError(f"expected {self.expected()}, got {text!r}") from None
        try:
            return self.check(value)
        except (TypeError, ValueError) as exc:  # said of the text, as a value error
            message = str(exc)
            if message.startswith(f"{self.name} "):
                message = message[len(self.name) + 1 :]
            raise ValueError(f"{message.rsplit(', got ', 1)[0]}, got {text!r}") from None

    # ------------------------------------------------------------ description

    def expected(self) -> str:
        """What a valid value looks like, in words (``"a number > 0"``)."""
        if self.expected_text is not None:
            return self.expected_text
        kind = self.kind
        if kind == "str":
            choices = self.valid_choices()
            if choices is not None:
                return "one of " + ", ".join(choices)
            return "a string"
        words = {
            "float": "a number",
            "int": "an integer",
            "bool": "true or false",
            "ints": "integers separated by commas",
            "names": "names separated by commas",
            "any": "a value",
        }[kind]
        bounds = []
        if self.low is not None:
            bounds.append(f"{'>' if self.low_open else '>='} {self.low:g}")
        if self.high is not None:
            bounds.append(f"<= {self.high:g}")
        text = words + (" " + " and ".join(bounds) if bounds else "")
        if self.allow_inf:
            text += ", or inf"
        if self.allow_none:
            text += ", or none"
        return text

    def describe(self) -> str:
        """``"help (a number > 0; default 1e-07)"``: one line for listings."""
        if self.required:
            default = "required"
        elif self.default_text is not None:
            default = f"default {self.default_text}"
        else:
            default = f"default {_show(self.default)}"
        return f"{self.help} ({self.expected()}; {default})"

    def with_default(self, default: Any) -> Option:
        return replace(self, default=default)


def _show(value: Any) -> str:
    if isinstance(value, tuple) and all(isinstance(v, int) for v in value):
        return ",".join(str(v) for v in value)
    if isinstance(value, float) and value == math.inf:
        return "inf"
    return str(value) if not isinstance(value, str) else value


def check_values(options: Sequence[Option], given: Mapping[str, Any], what: str) -> dict[str, Any]:
    """Check ``given`` against ``options``: every option, defaults filled in.

    Raises ``TypeError`` for names that are not options (listing the valid
    ones) and for a required option left out; the option's own
    ``TypeError``/``ValueError`` for a bad value.
    """
    by_name = {option.name: option for option in options}
    unknown = sorted(set(given) - set(by_name))
    if unknown:
        raise TypeError(
            f"unknown option{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(repr(u) for u in unknown)} for {what}; "
            f"valid options are: {', '.join(by_name) or '(none)'}"
        )
    values = {}
    for option in options:
        if option.name in given:
            values[option.name] = option.check(given[option.name])
        elif option.required:
            raise TypeError(f"{what} needs the option {option.name!r}")
        else:
            values[option.name] = option.default
    for option in options:
        if option.depends is not None and option.name in given:
            values[option.name] = option.depends(values[option.name], values)
    return values


def parse_assignment(text: str) -> tuple[str, str]:
    """``"name=value"`` -> ``("name", "value")``; ``ValueError`` otherwise."""
    name, eq, value = text.partition("=")
    name = name.strip()
    if not eq or not name:
        raise ValueError(f"expected NAME=VALUE, got {text!r}")
    return name, value


# ---------------------------------------------------------------- plugins


def _docstring_help(func: Callable) -> dict[str, str]:
    """First sentence of each parameter's description in a numpydoc docstring."""
    lines = (inspect.getdoc(func) or "").splitlines()
    helps: dict[str, list[str]] = {}
    current: list[str] = []
    inside = False
    for i, line in enumerate(lines):
        underlined = i + 1 < len(lines) and lines[i + 1].strip().startswith("---")
        if underlined and line.strip():
            inside = line.strip() == "Parameters"
            current = []
            continue
        if not inside or line.strip().startswith("---"):
            continue
        if line and not line[0].isspace():  # "name : type" or "a, b : type"
            current = [n.strip() for n in line.split(":")[0].split(",") if n.strip()]
            for name in current:
                helps[name] = []
        elif line.strip():
            for name in current:
                helps[name].append(line.strip())
    return {name: " ".join(words).split(". ")[0].rstrip(".") for name, words in helps.items()}


def _kind_of(parameter: inspect.Parameter) -> str:
    default = parameter.default
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, int):
        return "int"
    if isinstance(default, float):
        return "float"
    if isinstance(default, str):
        return "str"
    annotation = parameter.annotation
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    for kind, names in (("float", ("float",)), ("int", ("int",)), ("bool", ("bool",))):
        if text.split("|")[0].strip() in names:
            return kind
    return "any"


def options_from_signature(func: Callable) -> tuple[Option, ...]:
    """Options of a function without an :class:`Option` list (a plugin's method).

    Its keyword-only parameters, with their defaults; the kind comes from the
    default (or the annotation), the help from the numpydoc docstring.
    Values are checked for their kind only; the function checks the rest.
    """
    helps = _docstring_help(func)
    options = []
    for parameter in inspect.signature(func).parameters.values():
        if parameter.kind is not inspect.Parameter.KEYWORD_ONLY:
            continue
        default = REQUIRED if parameter.default is inspect.Parameter.empty else parameter.default
        kind = _kind_of(parameter)
        options.append(
            Option(
                parameter.name,
                kind,
                helps.get(parameter.name, ""),
                default=default,
                allow_none=default is None,
                parse_text=(lambda text: text) if kind == "any" else None,
            )
        )
    return tuple(options)
