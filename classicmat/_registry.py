"""A small name -> implementation registry with lazy imports, and plugins.

Entries name the module and function that implement them, so that listing
the methods (``classicmat methods``, ``--help``) imports nothing heavy, and a
method's module (with its numba kernels) is imported on first use only.

A registry may also take entries from other installed distributions, through
an entry-point group (``classicmat.methods``): the entry point's name is the
entry's name, its value ``module:function``. Plugins are looked up the first
time a name is asked for that is not built in (or when all names are
listed), never at import. A plugin whose name is taken, or that cannot be
loaded, is reported (:attr:`Registry.problems`) and never hides or breaks a
built-in entry.

This module imports only the standard library.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

__all__ = ["Entry", "Registry", "check_options", "keyword_options"]


@dataclass(frozen=True)
class Entry:
    """One registered implementation."""

    name: str
    target: str  # "package.module:function"
    summary: str
    reference: str = ""
    plugin: str = ""  # the distribution that provides it, for plugins
    adapt: Callable[[Callable], Callable] | None = field(default=None, compare=False)

    def load(self) -> Callable:
        """The implementation (for a plugin, adapted to the contract by ``adapt``)."""
        module_name, _, attr = self.target.partition(":")
        func = getattr(importlib.import_module(module_name), attr)
        return func if self.adapt is None else self.adapt(func)


class Registry:
    """Named implementations of one concept (alpha methods, solvers, ...).

    Parameters
    ----------
    kind : str
        What the entries are, for messages (``"method"``).
    group : str, optional
        Entry-point group whose entry points are plugins of this registry.
    adapt : callable, optional
        Applied to a plugin's function when it is loaded (checks its
        signature and wraps it in the contract of the built-in entries).
    """

    def __init__(
        self, kind: str, *, group: str | None = None, adapt: Callable | None = None
    ) -> None:
        self.kind = kind
        self.group = group
        self._adapt = adapt
        self._entries: dict[str, Entry] = {}
        self._plugins_loaded = group is None
        #: ``{name: message}`` of plugins that were refused or failed to load.
        self.problems: dict[str, str] = {}

    def register(self, name: str, target: str, summary: str, reference: str = "") -> None:
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._entries[name] = Entry(name, target, summary, reference)

    # ------------------------------------------------------------ plugins

    def _discover(self) -> None:
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        from importlib.metadata import entry_points

        try:
            found = entry_points(group=self.group)
        except Exception as exc:  # pragma: no cover - a broken environment
            self.problems["*"] = f"cannot list the entry points of {self.group!r}: {exc}"
            return
        for point in found:
            name = point.name
            dist = getattr(point.dist, "name", "") or "?"
            if name in self._entries:
                owner = self._entries[name].plugin or "classicmat"
                self.problems[f"{name} ({dist})"] = (
                    f"{self.kind} name {name!r} is already taken by {owner}; plugin ignored"
                )
                continue
            if ":" not in point.value:
                self.problems[name] = (
                    f"entry point {name} = {point.value!r} of {dist} is not 'module:function'"
                )
                continue
            self._entries[name] = Entry(
                name,
                point.value,
                f"plugin from {dist}",
                plugin=dist,
                adapt=self._adapt,
            )

    def reload_plugins(self) -> None:
        """Forget the plugins found so far; the next lookup lists the entry points again
        (after installing a distribution into the running interpreter)."""
        if self.group is None:
            return
        self._entries = {n: e for n, e in self._entries.items() if not e.plugin}
        self.problems = {}
        self._plugins_loaded = False

    def plugin_summary(self, name: str) -> str:
        """The first line of a plugin's docstring, or why it cannot be loaded."""
        entry = self.entry(name)
        try:
            func = entry.load()
        except Exception as exc:
            return f"BROKEN: {_one_line(exc)}"
        doc = inspect.getdoc(func) or ""
        first = doc.strip().splitlines()[0] if doc.strip() else ""
        return f"{first} ({entry.summary})" if first else entry.summary

    # ------------------------------------------------------------ lookup

    def names(self) -> list[str]:
        self._discover()
        return list(self._entries)

    def builtins(self) -> list[Entry]:
        """The entries registered in classicmat itself (no plugin lookup)."""
        return [entry for entry in self._entries.values() if not entry.plugin]

    def __iter__(self) -> Iterator[Entry]:
        self._discover()
        return iter(list(self._entries.values()))

    def __contains__(self, name: object) -> bool:
        if name not in self._entries:
            self._discover()
        return name in self._entries

    def entry(self, name: object) -> Entry:
        if not isinstance(name, str) or name not in self._entries:
            self._discover()
        if not isinstance(name, str) or name not in self._entries:
            valid = ", ".join(repr(n) for n in self._entries)
            raise ValueError(f"unknown {self.kind} {name!r}; valid {self.kind}s are: {valid}")
        return self._entries[name]

    def get(self, name: object) -> Callable:
        """The implementation of ``name``; a plugin that fails to load raises ``ImportError``."""
        entry = self.entry(name)
        if not entry.plugin:
            return entry.load()
        try:
            return entry.load()
        except Exception as exc:
            raise ImportError(
                f"{self.kind} {entry.name!r} (a plugin from {entry.plugin}, "
                f"{entry.target}) cannot be loaded: {_one_line(exc)}"
            ) from exc


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def keyword_options(func: Callable) -> list[str]:
    """Names of the keyword-only parameters of ``func`` (its options)."""
    return [
        p.name
        for p in inspect.signature(func).parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    ]


def check_options(func: Callable, options: dict, what: str) -> None:
    """Raise ``TypeError`` naming the valid options if ``options`` has unknown keys."""
    valid = keyword_options(func)
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise TypeError(
            f"unknown option{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(repr(u) for u in unknown)} for {what}; "
            f"valid options are: {', '.join(valid) or '(none)'}"
        )
