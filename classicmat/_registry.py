"""A small name -> implementation registry with lazy imports.

Entries name the module and function that implement them, so that listing
the methods (``classicmat methods``, ``--help``) imports nothing heavy, and a
method's module (with its numba kernels) is imported on first use only.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    """One registered implementation."""

    name: str
    target: str  # "package.module:function"
    summary: str
    reference: str = ""

    def load(self) -> Callable:
        module_name, _, attr = self.target.partition(":")
        return getattr(importlib.import_module(module_name), attr)


class Registry:
    """Named implementations of one concept (alpha methods, solvers, ...)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, Entry] = {}

    def register(self, name: str, target: str, summary: str, reference: str = "") -> None:
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._entries[name] = Entry(name, target, summary, reference)

    def names(self) -> list[str]:
        return list(self._entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self._entries.values())

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def entry(self, name: object) -> Entry:
        if not isinstance(name, str) or name not in self._entries:
            valid = ", ".join(repr(n) for n in self._entries)
            raise ValueError(f"unknown {self.kind} {name!r}; valid {self.kind}s are: {valid}")
        return self._entries[name]

    def get(self, name: object) -> Callable:
        return self.entry(name).load()


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
