"""Contact sheets: a PNG grid of thumbnails (inputs, trimaps, mattes, errors) for a glance.

``classicmat batch --preview`` and ``classicmat evaluate --preview`` write one.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

__all__ = ["write_contact_sheet"]


def _thumbnail(source: Any, height: int, kind: str) -> Any:
    """An RGB PIL thumbnail of an image file or a [0, 1] / uint8 array, ``height`` tall."""
    import numpy as np
    from PIL import Image

    if isinstance(source, (str, os.PathLike)):
        from .io import read_image

        source = read_image(source, kind=kind)
    array = np.asarray(source)
    if array.dtype == np.uint16:
        array = np.rint(array / 257.0).astype(np.uint8)
    elif array.dtype != np.uint8:
        array = np.rint(np.clip(array, 0.0, 1.0) * 255.0).astype(np.uint8)
    if array.ndim == 3 and array.shape[2] == 4:
        array = array[:, :, :3]
    img = Image.fromarray(np.ascontiguousarray(array)).convert("RGB")
    width = max(1, round(img.width * height / img.height))
    return img.resize((width, height), Image.Resampling.BILINEAR)


def write_contact_sheet(
    path: str | os.PathLike[str],
    header: Sequence[str],
    rows: Sequence[tuple[str, Sequence[Any]]],
    *,
    height: int = 96,
    kinds: Sequence[str] | None = None,
) -> None:
    """Write a PNG grid: one row per item, one thumbnail per column, all ``height`` tall.

    Parameters
    ----------
    path : path-like
        Output PNG.
    header : sequence of str
        Column titles.
    rows : sequence of (label, cells)
        ``cells`` are image paths or arrays (uint8, or float in [0, 1]).
    height : int
        Thumbnail height in pixels; widths keep the aspect ratio.
    kinds : sequence of str, optional
        :func:`classicmat.io.read_image` kind of each column (default:
        ``"image"`` for the first, ``"alpha"`` for the others).

    Examples
    --------
    >>> import numpy as np, os, tempfile
    >>> out = os.path.join(tempfile.mkdtemp(), "sheet.png")
    >>> write_contact_sheet(out, ["a", "b"], [("x", [np.zeros((4, 8)), np.ones((4, 8))])],
    ...                     height=16)
    >>> from classicmat.io import read_image
    >>> read_image(out).shape
    (38, 156, 3)
    """
    from PIL import Image, ImageDraw

    from .io import write_image

    kinds = list(kinds) if kinds is not None else ["image"] + ["alpha"] * (len(header) - 1)
    pad, label_width, title = 4, 80, 14
    grid = [[_thumbnail(c, height, kinds[j]) for j, c in enumerate(cells)] for _, cells in rows]
    widths = [
        max((row[j].width for row in grid if j < len(row)), default=height)
        for j in range(len(header))
    ]
    total_w = label_width + sum(w + pad for w in widths) + pad
    total_h = title + len(grid) * (height + pad) + pad
    sheet = Image.new("RGB", (total_w, total_h), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    x = label_width + pad
    for j, name in enumerate(header):
        draw.text((x, 2), name, fill=(0, 0, 0))
        x += widths[j] + pad
    for i, ((label, _), row) in enumerate(zip(rows, grid, strict=True)):
        y = title + i * (height + pad) + pad
        draw.text((pad, y + height // 2 - 5), label[:12], fill=(0, 0, 0))
        x = label_width + pad
        for j, thumb in enumerate(row):
            sheet.paste(thumb, (x, y))
            x += widths[j] + pad
    import numpy as np

    write_image(path, np.asarray(sheet))
