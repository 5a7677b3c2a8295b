"""The settings of each solver, described once.

Every solver but plain CG has settings of its own: the multifrontal
factorisation's leaf size and factor precision, the incomplete Cholesky
drop tolerance, the multigrid hierarchy of pyamg. They reach a solver as
``solve(..., options={...})`` and, from a matting method, as its
``solver_options`` option (``--solver_options leaf_size=64,factor_dtype=float32``
on the command line). This module describes them as
:class:`~classicmat._options.Option` objects, so that both paths check names
and values the same way, before any work:

- :func:`settings_of` lists the settings of a solver (defaults from the
  signature of the function that takes them);
- :func:`check_settings` checks a mapping of settings, or the text of the
  command line (:func:`parse_settings`), against them.

It imports only :mod:`classicmat._options` at module level; the solver
module whose signature gives the defaults is imported on first use.
"""

from __future__ import annotations

import ast
import functools
import inspect
import re
from collections.abc import Callable, Mapping
from typing import Any

from .._options import _FALSE, _TRUE, Option

__all__ = ["SUPERLU_ORDERING", "SettingsText", "check_settings", "parse_settings", "settings_of"]


class SettingsText(dict):
    """Settings as typed on the command line: ``{name: text}``, values not parsed yet.

    Which type a value has depends on the solver, known only once every
    option is checked; :func:`check_settings` parses each text with its
    setting's :class:`Option`.
    """


_PAIR_START = re.compile(r",(?=\s*[A-Za-z_]\w*\s*=)")


def parse_settings(text: str) -> SettingsText:
    """``"leaf_size=64,factor_dtype=float32"`` -> ``{"leaf_size": "64", ...}``.

    Pairs are separated by commas; a comma not followed by ``NAME=`` belongs
    to the value (``presmoother=('gauss_seidel', {'sweep': 'symmetric'})``).
    Raises ``ValueError`` for text that is not ``NAME=VALUE`` pairs.
    """
    settings = SettingsText()
    if not text.strip():
        return settings
    for part in _PAIR_START.split(text):
        name, eq, value = part.partition("=")
        name = name.strip()
        if not eq or not name.isidentifier():
            raise ValueError(f"expected NAME=VALUE[,NAME=VALUE...], got {text!r}")
        if name in settings:
            raise ValueError(f"setting {name!r} is given twice in {text!r}")
        settings[name] = value.strip()
    return settings


def _literal(text: str) -> Any:
    """A pyamg setting from text: a flag (``true``, ``no``, ...), a Python
    literal (``4``, ``('jacobi', {})``), else the text (a name)."""
    word = text.strip().lower()
    if word in _TRUE + _FALSE and not word.isdigit():  # 0 and 1 stay numbers
        return word in _TRUE
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _no_text(name: str, what: str) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        raise ValueError(f"{name} is {what}: set it from Python (solve(options=...))")

    return parse


def _below_half(value: float) -> str | None:
    return "must be < 0.5" if value >= 0.5 else None


def _float_names(value: Any) -> Any:
    """``np.float32``, ``'f4'`` or ``'single'`` -> ``'float32'``; ``'auto'`` and
    values that name no dtype unchanged (the choices then say what is valid)."""
    if isinstance(value, str) and value == "auto":
        return value
    import numpy as np

    try:
        return np.dtype(value).name
    except TypeError:
        return value


#: Settings of the multifrontal Cholesky solver (``"direct"`` with pixel coordinates).
_MULTIFRONTAL = (
    Option("leaf_size", "int", "parts of the dissection with at most this many pixels stay whole",
           low=1, metavar="N"),
    Option("balance", "float", "smallest fraction of a part on each side of a cut",
           low=0.0, rule=_below_half, metavar="X", expected_text="a number in [0, 0.5)"),
    Option("factor_dtype", "str", "storage of the factor ('auto': float32 above 256 MiB)",
           choices=("auto", "float64", "float32")),
    Option("threads", "int", "threads of the numeric phase", low=1, allow_none=True,
           metavar="N", default_text="numba's thread count, at most the cores"),
)  # fmt: skip

#: Column ordering of SuperLU by default: minimum degree on the pattern of
#: ``A^T + A`` (the matrix is symmetric).
SUPERLU_ORDERING = "MMD_AT_PLUS_A"

#: Settings of SuperLU (``"direct"`` without coordinates: ``scipy.sparse.linalg.splu``).
_SUPERLU = (
    Option("permc_spec", "str", "column ordering of SuperLU",
           choices=("MMD_AT_PLUS_A", "MMD_ATA", "COLAMD", "NATURAL"),
           default=SUPERLU_ORDERING),
    Option("panel_size", "int", "SuperLU panel size", low=1, default=None, metavar="N",
           default_text="SuperLU's"),
    Option("relax", "int", "SuperLU relaxed supernode size", low=1, default=None,
           metavar="N", default_text="SuperLU's"),
)  # fmt: skip

_ICHOL = (
    Option("drop_tol", "float", "entries of the scaled factor at most this large are dropped",
           low=0.0, metavar="X"),
    Option("ordering", "str", "row order of the factorisation", choices=("natural", "rcm")),
    Option("shift", "float", "first diagonal shift tried (raised on breakdown)", low=0.0,
           metavar="X"),
    Option("pivot_floor", "float", "small pivots are reset to this fraction of the diagonal",
           low=0.0, high=1.0, metavar="X"),
    Option("keep_diagonal", "bool", "dropped entries are added to the diagonal"),
    Option("factor_dtype", "str", "storage of the factor", choices=("float64", "float32")),
)  # fmt: skip

_AMG = (
    Option("method", "str", "smoothed aggregation, root-node aggregation or Ruge-Stuben",
           choices=("sa", "rootnode", "rs")),
    Option("cycle", "str", "multigrid cycle per preconditioner call", choices=("V", "W", "F")),
    Option("near_nullspace", "any", "near-null-space candidates of aggregation methods",
           allow_none=True, parse_text=_no_text("near_nullspace", "an array"),
           expected_text="an (n, k) array, from Python only"),
)  # fmt: skip

_DEFAULTS_FROM: dict[str, str] = {
    "multifrontal": "classicmat.solvers._multifrontal:multifrontal_cholesky",
    "cg-ichol": "classicmat.solvers.preconditioners:ichol",
    "cg-amg": "classicmat.solvers.preconditioners:amg",
}

_cache: dict[tuple[str, bool], tuple[Option, ...]] = {}


def _with_defaults(options: tuple[Option, ...], target: str) -> tuple[Option, ...]:
    import importlib

    module, _, name = target.partition(":")
    parameters = inspect.signature(getattr(importlib.import_module(module), name)).parameters
    out = []
    for option in options:
        default = parameters[option.name].default
        if default is not inspect.Parameter.empty:
            if option.name == "factor_dtype":
                default = _float_names(default)
            option = option.with_default(default)
        out.append(option)
    return tuple(out)


#: ``amg(method=...)`` -> the pyamg constructor it calls.
PYAMG_CONSTRUCTORS = {
    "sa": "smoothed_aggregation_solver",
    "rootnode": "rootnode_solver",
    "rs": "ruge_stuben_solver",
}


@functools.cache
def _constructor_parameters(method: str) -> tuple[inspect.Parameter, ...]:
    """The keyword settings of the pyamg constructor of ``method`` (not ``A``, ``B``, ``BH``)."""
    import pyamg

    constructor = getattr(pyamg, PYAMG_CONSTRUCTORS[method])
    return tuple(
        p
        for p in inspect.signature(constructor).parameters.values()
        if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD and p.name not in ("A", "B", "BH")
    )


def _constructor_settings(method: str) -> set[str]:
    return {p.name for p in _constructor_parameters(method)}


def _pyamg_settings(taken: set[str]) -> tuple[Option, ...]:
    """The keyword settings of the three pyamg constructors (their values, but
    for counts, are pyamg's to check)."""
    found: dict[str, Option] = {}
    for method in PYAMG_CONSTRUCTORS:
        for parameter in _constructor_parameters(method):
            name = parameter.name
            if name in taken or name in found:
                continue
            default = parameter.default
            if default is inspect.Parameter.empty:
                default = None
            # a count by its default; the rest pyamg checks (a flag may also
            # be ``(True, {kwargs})``, a smoother a name or ``(name, {kwargs})``)
            kind = "int" if type(default) is int else "any"
            takers = [m for m in PYAMG_CONSTRUCTORS if name in _constructor_settings(m)]
            found[name] = Option(
                name,
                kind,
                f"pyamg setting of {', '.join(takers)}",
                default=default,
                allow_none=kind == "any",
                parse_text=_literal if kind == "any" else None,
                default_text="pyamg's, per method",
            )
    return tuple(found[name] for name in sorted(found))


def settings_of(solver: str, *, coords: bool = False) -> tuple[Option, ...]:
    """The settings that ``solver`` (a resolved name, not ``"auto"``) accepts.

    ``coords``: whether the system has pixel coordinates, which makes
    ``"direct"`` the multifrontal solver (else SuperLU).
    """
    key = (solver, coords and solver == "direct")
    if key not in _cache:
        if solver == "direct":
            found = (
                _with_defaults(_MULTIFRONTAL, _DEFAULTS_FROM["multifrontal"])
                if coords
                else _SUPERLU
            )
        elif solver == "cg-ichol":
            found = _with_defaults(_ICHOL, _DEFAULTS_FROM["cg-ichol"])
        elif solver in ("cg-amg", "multigrid"):
            own = _with_defaults(_AMG, _DEFAULTS_FROM["cg-amg"])
            found = own + _pyamg_settings({option.name for option in own})
        else:  # cg, cg-jacobi
            found = ()
        _cache[key] = found
    return _cache[key]


def _context(solver: str, coords: bool) -> str:
    if solver == "direct":
        return " with pixel coordinates (multifrontal)" if coords else " without coords (SuperLU)"
    if solver in ("cg-amg", "multigrid"):
        return " (pyamg settings included)"
    return ""


def check_settings(
    solver: str, settings: Mapping[str, Any] | None, *, coords: bool = False
) -> dict[str, Any]:
    """``settings`` of ``solver`` checked and converted: only the given ones, no defaults.

    A :class:`SettingsText` (the command line's) is parsed setting by setting.
    Raises ``TypeError`` for a name the solver does not take (listing the
    valid ones) and ``TypeError``/``ValueError`` for a bad value.
    """
    if settings is None:
        return {}
    if not isinstance(settings, Mapping):
        raise TypeError(f"solver options must be a mapping, got {type(settings).__name__}")
    if not settings:
        return {}
    valid = {option.name: option for option in settings_of(solver, coords=coords)}
    unknown = sorted(set(settings) - set(valid))
    names = ", ".join(sorted(valid)) or "(none)"
    if unknown:
        raise TypeError(
            f"unknown option{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(repr(u) for u in unknown)} for solver {solver!r}"
            f"{_context(solver, coords)}; valid options are: {names}"
        )
    text = isinstance(settings, SettingsText)
    checked = {}
    for name, value in settings.items():
        option = valid[name]
        try:
            if text and name == "factor_dtype":
                value = _float_names(value.strip())
            if text and name != "factor_dtype":
                checked[name] = option.parse(value)
            elif option.kind == "any":
                checked[name] = value
            else:
                if name == "factor_dtype":
                    value = _float_names(value)
                checked[name] = option.check(value)
        except (TypeError, ValueError) as exc:
            message = str(exc)
            if text and not message.startswith(name):
                message = f"{name} {message}"
            raise type(exc)(f"solver {solver!r}: {message}") from None
    if solver in ("cg-amg", "multigrid"):  # pyamg's settings: those of the chosen method's
        method = checked.get("method", "sa")
        own = {option.name for option in _AMG}
        foreign = sorted(set(checked) - own - _constructor_settings(method))
        if foreign:
            raise TypeError(
                f"solver {solver!r}: {', '.join(map(repr, foreign))} "
                f"{'is not a setting' if len(foreign) == 1 else 'are not settings'} of "
                f"pyamg.{PYAMG_CONSTRUCTORS[method]} (method={method!r})"
            )
    return checked
