"""Files: the images of a folder, and every file classicmat writes (atomically).

:func:`list_images` lists the images of a folder by file stem, the rule
``batch``, ``evaluate`` and ``score`` match files by.

A file is first written in full to a hidden temporary file next to it, then
renamed over the target (:func:`os.replace`): readers see the old file or
the complete new one, never a partial one, and a failure leaves nothing.
:func:`write_files` does this for several files at once, so that the
outputs of one run appear together or not at all.

The temporary files being written are registered, so that an interrupted
command can remove them before it exits (:func:`remove_pending`), and a
group's renames hold a lock that :func:`remove_pending` waits for, so that
an interrupt never lands between them.

This module imports only the standard library and
:mod:`classicmat._interrupt`.
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Iterable
from pathlib import Path

from ._interrupt import deferred_sigint

__all__ = ["IMAGE_EXTENSIONS", "list_images", "remove_pending", "write_file", "write_files"]

#: File extensions taken as images when listing a folder (lower case).
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp")

_pending: set[Path] = set()
_pending_lock = threading.Lock()
_commit_lock = threading.Lock()


def _open_temporary(target: Path) -> tuple[int, Path]:
    """Create a new hidden file next to ``target``; return its descriptor and path.

    Mode 0o666 filtered by the umask, like any new file (``tempfile.mkstemp``
    would give 0o600, which ``os.replace`` would keep).
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
        with _pending_lock:
            _pending.add(temporary)
        try:
            return os.open(temporary, flags, 0o666), temporary
        except FileExistsError:  # pragma: no cover - 48 random bits
            _forget(temporary)
            continue
        except PermissionError:
            _forget(temporary)
            raise PermissionError(
                f"cannot write '{target}': permission denied in directory '{target.parent}'"
            ) from None
        except BaseException:
            _forget(temporary)
            raise
    raise FileExistsError(  # pragma: no cover
        f"could not create a temporary file next to '{target}'"
    )


def _forget(temporary: Path) -> None:
    with _pending_lock:
        _pending.discard(temporary)


def _discard(temporary: Path) -> None:
    try:
        os.unlink(temporary)
    except FileNotFoundError:
        pass
    _forget(temporary)


def _write_temporary(target: Path, data: bytes) -> Path:
    if not target.parent.is_dir():
        raise FileNotFoundError(
            f"cannot write '{target}': directory '{target.parent}' does not exist"
        )
    fd, temporary = _open_temporary(target)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
    except BaseException:
        _discard(temporary)
        raise
    return temporary


def write_files(files: Iterable[tuple[str | os.PathLike[str], bytes]]) -> None:
    """Write several files so that they all appear, or none does.

    Every file is written to its temporary file first; only when all of them
    are complete are they renamed, one after the other, under a lock that
    :func:`remove_pending` waits for. Any failure before the renames removes
    every temporary file and leaves the targets as they were.

    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> write_files([(os.path.join(folder, "a.txt"), b"a"), (os.path.join(folder, "b"), b"b")])
    >>> sorted(os.listdir(folder))
    ['a.txt', 'b']
    """
    written: list[tuple[Path, Path]] = []
    try:
        for path, data in files:
            target = Path(os.fspath(path))
            written.append((_write_temporary(target, data), target))
        with deferred_sigint(), _commit_lock:
            for temporary, target in written:
                os.replace(temporary, target)
                _forget(temporary)
    except BaseException:
        for temporary, _ in written:
            _discard(temporary)
        raise


def write_file(path: str | os.PathLike[str], data: bytes) -> None:
    """Write one file atomically (see :func:`write_files`)."""
    write_files([(path, data)])


def remove_pending() -> None:
    """Remove the temporary files being written now (for an interrupted command).

    Waits for a group being renamed to finish, so that a group is never left
    half renamed.
    """
    with _commit_lock, _pending_lock:
        pending = list(_pending)
        _pending.clear()
    for temporary in pending:
        try:
            os.unlink(temporary)
        except OSError:
            pass


def list_images(folder: str | os.PathLike[str]) -> tuple[dict[str, Path], dict[str, list[Path]]]:
    """The image files of ``folder`` by stem, and the stems that several files share.

    Hidden files, folders and files of other extensions
    (:data:`IMAGE_EXTENSIONS`) are skipped. A stem shared by several files
    (``GT08.png`` and ``GT08.jpg``) is ambiguous: it is left out of the first
    dictionary and listed, with its files, in the second.

    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> for name in ("a.png", "b.jpg", "b.png", "notes.txt"):
    ...     open(os.path.join(folder, name), "w").close()
    >>> found, shared = list_images(folder)
    >>> sorted(found), {stem: [p.name for p in paths] for stem, paths in shared.items()}
    (['a'], {'b': ['b.jpg', 'b.png']})
    """
    by_stem: dict[str, list[Path]] = {}
    for path in sorted(Path(folder).iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        if path.suffix.lower() not in IMAGE_EXTENSIONS:
            continue
        by_stem.setdefault(path.stem, []).append(path)
    found = {stem: paths[0] for stem, paths in by_stem.items() if len(paths) == 1}
    shared = {stem: paths for stem, paths in by_stem.items() if len(paths) > 1}
    return found, shared
