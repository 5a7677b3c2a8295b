"""A dependency-free progress display on stderr: a bar on terminals, lines elsewhere.

Modes
-----
- ``"bar"``: one line redrawn in place (``\\r``): count/total, percentage,
  rate and ETA, for an interactive terminal.
- ``"lines"``: one plain line per finished item, for logs and pipes.
- ``"off"``: nothing (``--quiet``).
- ``"auto"``: ``"bar"`` when the stream is a terminal, ``"lines"`` otherwise.

Why not tqdm: in a log or a pipe tqdm writes carriage-return redraws of
its bar, where the ``"lines"`` mode writes one line per finished item with
its name and a ``FAILED`` mark; the failure count and a cluster's running
count (:meth:`Progress.set_status`) are part of every line; and importing
tqdm took 50-150 ms here, on every command that shows progress.

This module imports only the standard library.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

__all__ = ["MODES", "Progress", "format_duration"]

MODES = ("auto", "bar", "lines", "off")

_BAR_WIDTH = 24


def format_duration(seconds: float) -> str:
    """``H:MM:SS`` (or ``M:SS`` under an hour) for a number of seconds; ``?`` if unknown.

    >>> format_duration(5.4)
    '0:05'
    >>> format_duration(3725)
    '1:02:05'
    >>> format_duration(float("inf"))
    '?'
    """
    if not (seconds >= 0 and seconds != float("inf")):
        return "?"
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


class Progress:
    """Count finished items out of ``total`` and show the progress on a stream.

    Parameters
    ----------
    total : int
        Number of items.
    label : str
        Word shown first (``"evaluate"``, ``"batch"``).
    stream : text file, optional
        Where to write (default: ``sys.stderr`` at creation time).
    mode : {"auto", "bar", "lines", "off"}
        See the module docstring.
    unit : str
        Unit of the rate (``"img/s"``).
    clock : callable, optional
        Returns seconds; ``time.monotonic`` by default (tests pass a fake).

    Examples
    --------
    >>> import io
    >>> ticks = iter([0.0, 2.0, 4.0])
    >>> out = io.StringIO()
    >>> with Progress(2, label="batch", stream=out, mode="lines",
    ...               clock=lambda: next(ticks)) as bar:
    ...     bar.update("a.png")
    ...     bar.update("b.png", ok=False)
    >>> print(out.getvalue(), end="")
    batch 1/2 a.png (0.50 img/s, ETA 0:02)
    batch 2/2 b.png FAILED (0.50 img/s, ETA 0:00)
    """

    def __init__(
        self,
        total: int,
        *,
        label: str = "",
        stream: TextIO | None = None,
        mode: str = "auto",
        unit: str = "img/s",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(map(repr, MODES))}, got {mode!r}")
        self.total = int(total)
        self.label = label
        self.stream = sys.stderr if stream is None else stream
        if mode == "auto":
            isatty = getattr(self.stream, "isatty", None)
            mode = "bar" if isatty is not None and isatty() else "lines"
        self.mode = mode
        self.unit = unit
        self._clock = clock
        self._start = clock()
        self.done = 0
        self.failed = 0
        self.status = ""
        self._name = ""
        self._width = 0
        if self.mode == "bar":
            self._draw("")

    # -- numbers
    def rate(self, now: float) -> float:
        elapsed = now - self._start
        return self.done / elapsed if elapsed > 0 else 0.0

    def _eta(self, rate: float) -> float:
        remaining = self.total - self.done
        if remaining <= 0:
            return 0.0
        return remaining / rate if rate > 0 else float("inf")

    # -- output
    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # closed pipe: progress is not worth failing for
            self.mode = "off"

    def _draw(self, name: str) -> None:
        self._name = name
        rate = self.rate(self._clock())
        fraction = self.done / self.total if self.total else 1.0
        filled = int(round(fraction * _BAR_WIDTH))
        bar = "#" * filled + "-" * (_BAR_WIDTH - filled)
        failed = f" {self.failed} failed" if self.failed else ""
        status = f", {self.status}" if self.status else ""
        text = (
            f"{self.label} [{bar}] {self.done}/{self.total} {fraction:4.0%} "
            f"{rate:.2f} {self.unit} ETA {format_duration(self._eta(rate))}{failed}{status} "
            f"{name}"
        ).rstrip()
        pad = max(0, self._width - len(text))
        self._width = len(text)
        self._write("\r" + text + " " * pad)

    def update(self, name: str = "", *, ok: bool = True) -> None:
        """Count one finished item called ``name`` (failed if not ``ok``)."""
        self.done += 1
        if not ok:
            self.failed += 1
        if self.mode == "bar":
            self._draw(name)
        elif self.mode == "lines":
            rate = self.rate(self._clock())
            status = "" if ok else " FAILED"
            text = f"{self.label} {self.done}/{self.total} {name}{status}".strip()
            extra = f"; {self.status}" if self.status else ""
            self._write(
                f"{text} ({rate:.2f} {self.unit}, ETA {format_duration(self._eta(rate))}{extra})\n"
            )

    def set_status(self, text: str) -> None:
        """Show ``text`` with the counts (``"2 running on 2 workers"``): redrawn on a bar,
        on the next line otherwise."""
        self.status = text
        if self.mode == "bar":
            self._draw(self._name)

    def close(self) -> None:
        """End the bar's line (the bar stays visible)."""
        if self.mode == "bar":
            self._write("\n")
            self.mode = "off"

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
