"""What the page edits, without HTTP: one image, its trimap, the mattes, the saved files.

Every request body goes through :meth:`Workspace.decode_trimap`, which
accepts a PNG of the image's size and nothing else; every problem with a
request is a :class:`RequestError` carrying the HTTP status and a one-line
message. No file name ever comes from a request: the outputs are fixed when
the workspace is made (:func:`output_paths`).
"""

from __future__ import annotations

import hashlib
import io
import os
import struct
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ._session import Session, open_session

__all__ = [
    "OUTPUT_KINDS",
    "PNG_SIGNATURE",
    "RequestError",
    "Workspace",
    "body_limit",
    "output_paths",
]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

#: The files a save writes, ``<stem>_<kind>.png`` each.
OUTPUT_KINDS = ("trimap", "alpha", "cutout")

#: Methods the page does not offer: ``onnx`` needs a model file, which ``edit`` does not take.
HIDDEN_METHODS = ("onnx",)


class RequestError(Exception):
    """A request the server refuses: an HTTP status and a one-line message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = " ".join(message.split())


def body_limit(width: int, height: int) -> int:
    """The largest request body accepted, in bytes: ``4 * width * height + 1 MiB``.

    An 8-bit RGBA PNG of the image's size, stored without compression, is
    below this; any trimap a browser's canvas encodes is far below it.
    """
    return 4 * width * height + (1 << 20)


def output_paths(image: Path, folder: Path | None = None) -> dict[str, Path]:
    """``{kind: folder/<image stem>_<kind>.png}`` for each of :data:`OUTPUT_KINDS`."""
    folder = image.parent if folder is None else folder
    return {kind: folder / f"{image.stem}_{kind}.png" for kind in OUTPUT_KINDS}


def same_file(a: Path, b: Path) -> bool:
    """The same file, through any spelling, symlink or hard link."""
    if a.resolve() == b.resolve():
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


class Workspace:
    """The image being matted, its starting trimap, and where a save writes.

    Parameters
    ----------
    image : path
        The photo (any format :func:`classicmat.read_image` reads).
    trimap : path, optional
        A trimap of the same size to start from; without it every pixel
        starts unknown.
    out_dir : path, optional
        Where a save writes ``<stem>_trimap.png``, ``<stem>_alpha.png`` and
        ``<stem>_cutout.png`` (default: the image's folder).
    method : str
        The method the page starts with.
    on_save : callable, optional
        Called with the list of paths written by each save.

    Raises
    ------
    FileNotFoundError, ValueError
        An input that cannot be read, a trimap of another size, or a method
        the page does not offer.
    """

    def __init__(
        self,
        image: str | os.PathLike[str],
        trimap: str | os.PathLike[str] | None = None,
        *,
        out_dir: str | os.PathLike[str] | None = None,
        method: str = "cf",
        on_save: Callable[[list[Path]], None] | None = None,
    ) -> None:
        from .._validation import as_image, as_trimap, check_same_size
        from ..io import encode_image, read_image

        self.image_path = Path(image)
        self.trimap_path = None if trimap is None else Path(trimap)
        self.inputs = {"image": self.image_path}
        if self.trimap_path is not None:
            self.inputs["trimap"] = self.trimap_path
        self.outputs = output_paths(self.image_path, None if out_dir is None else Path(out_dir))
        try:
            self.method = self.check_method(method)
        except RequestError as exc:
            raise ValueError(exc.message) from None
        self.on_save = on_save

        self.image = as_image(read_image(self.image_path, kind="image", name="image"))
        self.height, self.width = self.image.shape[:2]
        self.body_limit = body_limit(self.width, self.height)
        rgb = self.image if self.image.shape[2] == 3 else np.repeat(self.image, 3, axis=2)
        self.image_png = encode_image("image.png", rgb)
        labels = np.full((self.height, self.width), 128, dtype=np.uint8)
        if self.trimap_path is not None:
            from .._validation import BG_THRESHOLD, FG_THRESHOLD

            start = as_trimap(read_image(self.trimap_path, kind="trimap", name="trimap"))
            check_same_size(self.image, start)
            labels[start <= BG_THRESHOLD] = 0
            labels[start >= FG_THRESHOLD] = 255
        self.trimap_png = encode_image("trimap.png", labels)

        self._lock = threading.Lock()
        self._sessions: dict[str, Session] = {}
        self._last_alpha: tuple[tuple[str, bytes], np.ndarray] | None = None
        self._last_cutout: tuple[tuple[str, bytes], np.ndarray] | None = None

    # ------------------------------------------------------------ what the page shows

    def info(self) -> dict[str, Any]:
        """What the page needs to start: size, names, the starting method, the outputs."""
        return {
            "name": self.image_path.name,
            "width": self.width,
            "height": self.height,
            "trimap": None if self.trimap_path is None else self.trimap_path.name,
            "method": self.method,
            "outputs": {kind: path.name for kind, path in self.outputs.items()},
            "folder": str(self.outputs["alpha"].parent.resolve()),
            "body_limit": self.body_limit,
        }

    @staticmethod
    def methods() -> list[dict[str, str]]:
        """``[{"name": ..., "summary": ...}]`` of the methods the page offers."""
        from ..alpha import METHODS

        listed = []
        for entry in METHODS:
            if entry.name in HIDDEN_METHODS:
                continue
            summary = METHODS.plugin_summary(entry.name) if entry.plugin else entry.summary
            listed.append({"name": entry.name, "summary": summary})
        return listed

    @staticmethod
    def check_method(name: str) -> str:
        """``name`` if the page offers it; else a 400 :class:`RequestError`."""
        from ..alpha import METHODS

        if name in HIDDEN_METHODS or name not in METHODS:
            names = [n for n in METHODS.names() if n not in HIDDEN_METHODS]
            raise RequestError(400, f"unknown method {name!r} (choose from {', '.join(names)})")
        return name

    # ------------------------------------------------------------ requests

    def decode_trimap(self, body: bytes) -> np.ndarray:
        """The trimap in a request body: a PNG of the image's size; else a 400 RequestError.

        Returns the array as the file holds it (uint8 or uint16, (H, W)),
        checked by :func:`classicmat._validation.as_trimap`.
        """
        from PIL import Image, UnidentifiedImageError

        from .._validation import as_trimap
        from ..io import pil_to_array

        if not body.startswith(PNG_SIGNATURE):
            raise RequestError(400, "the request body is not a PNG file (no PNG signature)")
        try:
            img = Image.open(io.BytesIO(body), formats=["PNG"])
        except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as exc:
            message = f"the request body is not a readable PNG: {_one_line(exc)}"
            raise RequestError(400, message) from None
        with img:
            if img.size != (self.width, self.height):
                raise RequestError(
                    400,
                    f"the trimap is {img.width}x{img.height}; it must have the image's size "
                    f"{self.width}x{self.height} (W x H)",
                )
            try:
                img.load()
                raw = pil_to_array(img, kind="trimap", name="trimap")
            except (OSError, SyntaxError, EOFError, struct.error, ValueError) as exc:
                raise RequestError(400, f"the PNG cannot be decoded: {_one_line(exc)}") from None
        try:
            as_trimap(raw)
        except (TypeError, ValueError) as exc:
            raise RequestError(400, _one_line(exc)) from None
        return raw

    def _session(self, method: str) -> Session:
        if method not in self._sessions:
            self._sessions[method] = open_session(self.image, method)
        return self._sessions[method]

    def _alpha(self, trimap: np.ndarray, method: str) -> tuple[tuple[str, bytes], np.ndarray]:
        """``(key, alpha)``; the last matte is kept, so that a save after a view solves nothing."""
        key = (method, hashlib.blake2b(trimap.tobytes() + trimap.dtype.str.encode()).digest())
        if self._last_alpha is not None and self._last_alpha[0] == key:
            return self._last_alpha
        try:
            alpha = self._session(method).solve(trimap)
        except (ValueError, TypeError, ImportError) as exc:
            # no foreground or no background yet, a method that needs more, ...
            raise RequestError(422, _one_line(exc)) from None
        except MemoryError:
            raise RequestError(500, "out of memory; try a smaller image") from None
        self._last_alpha = (key, alpha)
        return self._last_alpha

    def alpha_png(self, body: bytes, method: str) -> bytes:
        """The 8-bit alpha matte (gray PNG) of the trimap in ``body``."""
        from ..io import encode_image

        trimap = self.decode_trimap(body)
        self.check_method(method)
        with self._lock:
            _, alpha = self._alpha(trimap, method)
        return encode_image("alpha.png", alpha)

    def _cutout(self, key: tuple[str, bytes], alpha: np.ndarray) -> np.ndarray:
        """The (H, W, 4) RGBA cut-out of ``alpha``; the last one is kept."""
        from ..compose import cutout

        if self._last_cutout is None or self._last_cutout[0] != key:
            self._last_cutout = (key, cutout(self.image, alpha))
        return self._last_cutout[1]

    def cutout_png(self, body: bytes, method: str) -> bytes:
        """The cut-out (RGBA PNG, straight alpha, estimated foreground colours)."""
        from ..io import encode_image

        trimap = self.decode_trimap(body)
        self.check_method(method)
        with self._lock:
            key, alpha = self._alpha(trimap, method)
            rgba = self._cutout(key, alpha)
        return encode_image("cutout.png", rgba)

    def save(self, body: bytes, method: str) -> list[Path]:
        """Write the trimap in ``body``, its matte and cut-out, together; return the paths.

        Refused (409) when an output is an input file. The three files are
        written by :func:`classicmat.io.write_images`: all appear or none.
        """
        from ..io import write_images

        trimap = self.decode_trimap(body)
        self.check_method(method)
        for kind, path in self.outputs.items():
            if path.is_dir():
                raise RequestError(
                    409, f"refusing to save: the {kind} output '{path}' is a directory"
                )
            for name, source in self.inputs.items():
                if same_file(path, source):
                    raise RequestError(
                        409,
                        f"refusing to save: the {kind} output '{path.name}' is the input "
                        f"{name}, which is never overwritten; start 'classicmat edit' with "
                        f"--out DIR to save elsewhere",
                    )
        with self._lock:
            key, alpha = self._alpha(trimap, method)
            files = [
                (self.outputs["trimap"], trimap, None),
                (self.outputs["alpha"], alpha, False),
                (self.outputs["cutout"], self._cutout(key, alpha), None),
            ]
            try:
                write_images(files)
            except OSError as exc:
                raise RequestError(500, f"cannot save: {_one_line(exc)}") from None
        paths = [path for path, _, _ in files]
        if self.on_save is not None:
            self.on_save(paths)
        return paths
