"""Read and write images, trimaps and alpha mattes (8/16-bit, gray/RGB/RGBA).

Reading keeps the bit depth of the file: 8-bit files give ``uint8`` arrays,
16-bit grayscale PNGs give ``uint16`` arrays, so that no precision is lost
before :func:`classicmat._validation.as_image` scales them to [0, 1].
Writing is atomic: a failure never leaves a partial file behind.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ._checks import FLOAT_SLACK, check_choice

if TYPE_CHECKING:  # pragma: no cover
    from PIL import Image as PILImage

__all__ = [
    "check_output_path",
    "encode_image",
    "pil_to_array",
    "read_image",
    "write_image",
    "write_images",
]

#: Pillow formats that change the pixels (never used for mattes by the command line).
LOSSY_FORMATS = ("JPEG", "JPEG2000", "MPO")
#: Pillow formats that keep an alpha channel (cut-outs); WebP is written lossless.
ALPHA_FORMATS = ("PNG", "TIFF", "WEBP")

#: Kinds of file :func:`read_image` knows; "trimap" and "alpha" are gray kinds.
KINDS = ("image", "trimap", "alpha")
_GRAY_KINDS = ("trimap", "alpha")

# Pillow modes that hold 16-bit unsigned samples.
_UINT16_MODES = ("I;16", "I;16L", "I;16B", "I;16N")
# Modes converted to RGB: they have no alpha channel and are not plain RGB.
_TO_RGB_MODES = ("CMYK", "YCbCr", "LAB", "HSV", "RGBX")


def _check_kind(kind: str) -> None:
    check_choice(kind, "kind", KINDS)


def _collapse_gray(array: np.ndarray) -> np.ndarray:
    """(H, W, 3|4) with equal colour channels -> (H, W); anything else unchanged."""
    if array.ndim == 3 and array.shape[2] in (3, 4):
        red = array[:, :, 0]
        if np.array_equal(red, array[:, :, 1]) and np.array_equal(red, array[:, :, 2]):
            return np.ascontiguousarray(red)
    return array


def pil_to_array(img: PILImage.Image, *, kind: str = "image", name: str = "image") -> np.ndarray:
    """Convert an open PIL image to an array, keeping its bit depth.

    Parameters
    ----------
    img : PIL.Image.Image
        An open image (it is loaded if it was not).
    kind : {"image", "trimap", "alpha"}
        What the image holds:

        - ``"image"``: a photo. Gray stays gray, palette images become RGB
          (RGBA if the palette has transparency), ``"LA"`` becomes RGBA.
        - ``"trimap"``, ``"alpha"``: a gray map. Colour files whose channels
          are equal (gray palettes, RGB with R = G = B) become (H, W), and the
          alpha channel of ``"LA"`` / ``"RGBA"`` files is dropped. Colour
          files whose channels differ are returned as colour, so that
          :func:`classicmat._validation.as_trimap` can report them.
    name : str
        Name of the argument, used in error messages.

    Returns
    -------
    array : (H, W), (H, W, 3) or (H, W, 4) ndarray of uint8 or uint16
        ``uint16`` for 16-bit gray images (Pillow modes ``"I;16*"``, and
        ``"I"`` with values in [0, 65535]); ``float32`` for 32-bit float
        images (mode ``"F"``); ``uint8`` otherwise (bilevel ``"1"`` images
        give 0 and 255).

    Raises
    ------
    ValueError
        ``kind`` unknown, a 32-bit integer image with values outside
        [0, 65535], or a mode that cannot be converted.

    Examples
    --------
    >>> from PIL import Image
    >>> pil_to_array(Image.new("LA", (3, 2), (40, 255)), kind="image").shape
    (2, 3, 4)
    >>> pil_to_array(Image.new("LA", (3, 2), (40, 255)), kind="trimap").shape
    (2, 3)
    >>> pil_to_array(Image.new("I;16", (3, 2), 1000)).dtype
    dtype('uint16')
    """
    _check_kind(kind)
    gray_kind = kind in _GRAY_KINDS
    mode = img.mode
    if mode in _UINT16_MODES:
        return np.asarray(img).astype(np.uint16)  # native byte order
    if mode == "I":
        array = np.asarray(img)
        if array.size and (int(array.min()) < 0 or int(array.max()) > 65535):
            raise ValueError(
                f"{name} is a 32-bit integer image with values in "
                f"[{int(array.min())}, {int(array.max())}]; only values in [0, 65535] "
                f"(16-bit) are supported"
            )
        return array.astype(np.uint16)
    if mode == "F":
        return np.asarray(img, dtype=np.float32).copy()
    if mode == "1":
        return np.asarray(img.convert("L"), dtype=np.uint8).copy()
    if mode in ("L", "RGB", "RGBA"):
        array = np.asarray(img, dtype=np.uint8).copy()
    elif mode in ("LA", "La", "PA", "RGBa"):
        if gray_kind and mode in ("LA", "La"):
            return np.asarray(img.getchannel("L"), dtype=np.uint8).copy()
        array = np.asarray(img.convert("RGBA"), dtype=np.uint8).copy()
    elif mode == "P":
        has_alpha = "transparency" in img.info or img.palette.mode == "RGBA"
        array = np.asarray(img.convert("RGBA" if has_alpha else "RGB"), dtype=np.uint8).copy()
    elif mode in _TO_RGB_MODES:
        array = np.asarray(img.convert("RGB"), dtype=np.uint8).copy()
    else:
        raise ValueError(f"{name} has an unsupported image mode {mode!r}")
    if gray_kind:
        array = _collapse_gray(array)
    return array


def read_image(
    path: str | os.PathLike[str], *, kind: str = "image", name: str = "image"
) -> np.ndarray:
    """Read an image file into an array, keeping its bit depth.

    The EXIF orientation of photos is applied, so that the array looks like
    the image in a viewer.

    Parameters
    ----------
    path : str or path-like
        Any file Pillow can read (PNG, JPEG, TIFF, BMP, WebP, ...).
    kind : {"image", "trimap", "alpha"}
        What the file holds; see :func:`pil_to_array`.
    name : str
        Name of the argument, used in error messages.

    Returns
    -------
    array : (H, W), (H, W, 3) or (H, W, 4) ndarray of uint8 or uint16
        See :func:`pil_to_array`. Note that Pillow reads 16-bit RGB PNGs as
        8-bit RGB; only 16-bit gray files stay 16-bit.

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    IsADirectoryError
        ``path`` is a directory.
    ValueError
        The file is not an image Pillow can decode (unknown format,
        truncated or corrupt file), or is of an unsupported mode.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "gray16.png")
    >>> write_image(path, np.array([[0, 1000, 65535]], dtype=np.uint16))
    >>> read_image(path)
    array([[    0,  1000, 65535]], dtype=uint16)
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    _check_kind(kind)
    shown = os.fspath(path)
    if os.path.isdir(shown):
        raise IsADirectoryError(f"{name} '{shown}' is a directory, not an image file")
    try:
        img = Image.open(shown)
    except FileNotFoundError:
        raise FileNotFoundError(f"{name} file not found: '{shown}'") from None
    except UnidentifiedImageError:
        raise ValueError(
            f"{name} '{shown}' is not a readable image: unknown or unsupported file format"
        ) from None
    except Image.DecompressionBombError as exc:
        raise ValueError(f"{name} '{shown}' is too large to read safely: {exc}") from None
    with img:
        try:
            img.load()
            oriented = ImageOps.exif_transpose(img)
        except (OSError, SyntaxError, EOFError, struct.error, ValueError) as exc:
            # Pillow reports truncated or corrupt data with any of these.
            detail = str(exc) or type(exc).__name__
            raise ValueError(f"{name} '{shown}' is not a readable image: {detail}") from None
        return pil_to_array(oriented, kind=kind, name=name)


def _format_for(path: Path) -> str:
    """The Pillow format name for the extension of ``path`` (``"PNG"``, ...)."""
    from PIL import Image

    Image.init()
    extension = path.suffix.lower()
    fmt = Image.registered_extensions().get(extension)
    if fmt is None or fmt not in Image.SAVE:
        raise ValueError(
            f"cannot write an image to '{path}': unknown or unsupported file extension "
            f"{extension!r} (use .png)"
        )
    return fmt


def check_output_path(path: str | os.PathLike[str], *, bit16: bool = False) -> str:
    """Check that an image can be written at ``path``; return its Pillow format.

    Used by :func:`write_image`, and by the command line before any work is
    done. Checks the file extension and, for 16-bit output, that the format
    is PNG.

    Raises
    ------
    ValueError
        Unknown extension, or 16-bit output to a format other than PNG.
    """
    path = Path(path)
    fmt = _format_for(path)
    if bit16 and fmt != "PNG":
        raise ValueError(
            f"16-bit output needs a .png file, got '{path}' ({fmt}); "
            f"write 8-bit or use a .png extension"
        )
    return fmt


def _to_output_array(array: Any, bit16: bool | None) -> np.ndarray:
    """Validate ``array`` and convert it to the uint8/uint16 array to save."""
    if not isinstance(array, np.ndarray):
        try:
            array = np.asarray(array)
        except Exception:  # pragma: no cover - exotic objects
            raise TypeError(f"array must be an ndarray, got {type(array).__name__}") from None
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if not (array.ndim == 2 or (array.ndim == 3 and array.shape[2] in (3, 4))):
        raise ValueError(
            f"array must have shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), "
            f"got shape {array.shape}"
        )
    if array.shape[0] < 1 or array.shape[1] < 1:
        raise ValueError(f"array must not be empty, got shape {array.shape}")
    dtype = array.dtype
    if bit16 is None:
        bit16 = dtype == np.uint16
    if bit16 and array.ndim != 2:
        raise ValueError(
            f"16-bit output is supported for gray images (H, W) only, got shape {array.shape}"
        )
    top = 65535 if bit16 else 255
    out_dtype = np.uint16 if bit16 else np.uint8
    if dtype == np.bool_:
        return array.astype(out_dtype) * out_dtype(top)
    if dtype == np.uint8:
        return array.astype(np.uint16) * np.uint16(257) if bit16 else array
    if dtype == np.uint16:
        if bit16:
            return array
        return np.rint(array / 257.0).astype(np.uint8)
    if np.issubdtype(dtype, np.floating):
        if not np.all(np.isfinite(array)):
            raise ValueError("array contains NaN or infinite values")
        lo, hi = float(array.min()), float(array.max())
        if lo < -FLOAT_SLACK or hi > 1.0 + FLOAT_SLACK:
            raise ValueError(
                f"array of float dtype must have values in [0, 1], got values in "
                f"[{lo:.6g}, {hi:.6g}]; divide by 255 (8-bit) or 65535 (16-bit), "
                f"or pass a uint8/uint16 array"
            )
        scaled = np.rint(np.clip(array, 0.0, 1.0) * top)
        return scaled.astype(out_dtype)
    raise TypeError(
        f"array must have dtype float (values in [0, 1]), uint8, uint16 or bool, got dtype {dtype}"
    )


def encode_image(path: str | os.PathLike[str], array: Any, *, bit16: bool | None = None) -> bytes:
    """The bytes of the file :func:`write_image` would write at ``path``.

    Checks ``array`` and the format of ``path`` exactly as :func:`write_image`
    does and raises the same errors, without touching the file system.
    """
    import io

    from PIL import Image

    if bit16 is not None and not isinstance(bit16, (bool, np.bool_)):
        raise TypeError(f"bit16 must be True, False or None, got {bit16!r}")
    target = Path(os.fspath(path))
    out = _to_output_array(array, None if bit16 is None else bool(bit16))
    fmt = check_output_path(target, bit16=out.dtype == np.uint16)
    if fmt == "JPEG" and out.ndim == 3 and out.shape[2] == 4:
        raise ValueError(f"cannot write an RGBA image to '{target}': JPEG has no alpha channel")
    img = Image.fromarray(np.ascontiguousarray(out))
    buffer = io.BytesIO()
    # WebP is lossy by default in Pillow: store mattes and cut-outs exactly
    img.save(buffer, format=fmt, **({"lossless": True} if fmt == "WEBP" else {}))
    return buffer.getvalue()


def write_images(items: Sequence[tuple[str | os.PathLike[str], Any, bool | None]]) -> None:
    """Write several images so that they all appear, or none does.

    ``items`` are ``(path, array, bit16)`` as for :func:`write_image`. Every
    image is checked and encoded first; then all are written to temporary
    files and renamed together (:func:`classicmat._files.write_files`), so
    that one unwritable output leaves none of the others behind.

    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> write_images([(os.path.join(folder, "a.png"), np.zeros((2, 2)), None),
    ...               (os.path.join(folder, "b.png"), np.ones((2, 2, 3)), None)])
    >>> sorted(os.listdir(folder))
    ['a.png', 'b.png']
    """
    from ._files import write_files

    encoded = [(path, encode_image(path, array, bit16=bit16)) for path, array, bit16 in items]
    write_files(encoded)


def write_image(path: str | os.PathLike[str], array: Any, *, bit16: bool | None = None) -> None:
    """Write an image, trimap or alpha matte to a file, atomically.

    The image is written to a temporary file in the same directory, which is
    then renamed to ``path`` (:func:`os.replace`): readers see either the old
    file or the complete new one, and a failure leaves no partial file.

    Parameters
    ----------
    path : str or path-like
        Output file; its extension picks the format (``.png``, ``.jpg``,
        ``.tif``, ...). An existing file is replaced. JPEG is lossy: write
        alpha mattes as PNG or TIFF (WebP is written lossless).
    array : (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) ndarray
        Gray, RGB or RGBA. Floats must be finite and in [0, 1] (as the inputs
        of :func:`classicmat.estimate_alpha`: rounding noise of 1e-6 is
        clipped); they are rounded to the nearest level (``np.rint(x * 255)``). ``uint8``
        and ``uint16`` arrays are taken as 8- and 16-bit levels, booleans as
        0 / full scale.
    bit16 : bool, optional
        Write 16 bits per sample (gray PNG only). By default, ``uint16``
        arrays are written at 16 bits and all others at 8 bits. With
        ``bit16=False`` a ``uint16`` array is rounded to 8 bits; with
        ``bit16=True`` a ``uint8`` array is scaled by 257.

    Raises
    ------
    TypeError
        ``array`` of an unsupported dtype.
    ValueError
        ``array`` of a wrong shape, empty, with NaN or infinite values, or
        floats outside [0, 1];
        an unknown file extension; 16-bit output for a colour image or a
        format other than PNG; alpha (RGBA) for a format without it (JPEG).
    OSError
        The file cannot be written (missing directory, no permission, ...).

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "alpha.png")
    >>> write_image(path, np.array([[0.0, 0.5, 1.0]]))
    >>> read_image(path, kind="alpha")
    array([[  0, 128, 255]], dtype=uint8)
    """
    write_images([(path, array, bit16)])
