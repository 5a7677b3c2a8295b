"""Dataset layouts: where the images, ground-truth mattes and trimaps of a dataset are.

In every layout the files are matched by stem (the extensions may differ).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .._files import list_images

__all__ = [
    "LAYOUTS",
    "DatasetError",
    "Layout",
    "Sample",
    "find_samples",
    "foreground_of",
    "trimap_sets",
]

_COMPOSITE = re.compile(r"(.+)_([0-9]+)")


def foreground_of(stem: str) -> str | None:
    """The foreground of a composite named ``<foreground>_<background index>``, or None.

    Adobe's composition script names the composites of the Composition-1k
    test set this way, and its archive holds one alpha matte per foreground,
    shared by that foreground's 20 composites.

    >>> foreground_of("boy-1518482_1920_12")
    'boy-1518482_1920'
    >>> foreground_of("GT01") is None
    True
    """
    match = _COMPOSITE.fullmatch(stem)
    return match.group(1) if match else None


class DatasetError(ValueError):
    """The dataset folder does not have the expected layout (missing folders or files)."""


@dataclass(frozen=True)
class Layout:
    """Folder names of a dataset layout."""

    name: str
    images: str
    alphas: tuple[str, ...]  # the first that exists is used
    trimaps: Mapping[str, str]  # trimap set name -> folder
    description: str


LAYOUTS: dict[str, Layout] = {
    "alphamatting": Layout(
        "alphamatting",
        "input",
        ("gt",),
        {"trimap1": "trimap1", "trimap2": "trimap2"},
        "alphamatting.com training set: input/, gt/, trimap1/, trimap2/",
    ),
    "composition-1k": Layout(
        "composition-1k",
        "merged",
        ("alpha", "alpha_copy"),
        {"trimaps": "trimaps"},
        "Composition-1k test set (GCA/MatteFormer layout): merged/, alpha/ or alpha_copy/, "
        "trimaps/",
    ),
    "simple": Layout(
        "simple",
        "image",
        ("alpha",),
        {"trimap": "trimap"},
        "image/, trimap/, alpha/ with matching file stems",
    ),
}


@dataclass(frozen=True)
class Sample:
    """One image of a dataset with its ground truth and trimaps (by set name)."""

    stem: str
    image: Path
    alpha: Path
    trimaps: Mapping[str, Path]


def _folder(root: Path, name: str, what: str) -> Path:
    path = root / name
    if not path.is_dir():
        raise DatasetError(f"{what} folder not found: '{path}'")
    return path


def _list(folder: Path) -> dict[str, Path]:
    found, shared = list_images(folder)
    if shared:
        stem, paths = next(iter(shared.items()))
        names = " and ".join(f"'{p.name}'" for p in paths)
        raise DatasetError(f"two files with the stem {stem!r} in '{folder}': {names}; keep one")
    return found


def trimap_sets(layout: Layout, trimap: str | Sequence[str] | None) -> list[str]:
    if trimap is None:
        return list(layout.trimaps)
    names = [trimap] if isinstance(trimap, str) else list(trimap)
    for name in names:
        if name not in layout.trimaps:
            valid = ", ".join(repr(n) for n in layout.trimaps)
            raise ValueError(f"trimap set {name!r} is not one of layout {layout.name!r}: {valid}")
    if not names:
        raise ValueError("trimap must name at least one trimap set")
    return list(dict.fromkeys(names))


def find_samples(
    dataset_dir: str | os.PathLike[str],
    *,
    layout: str,
    trimap: str | Sequence[str] | None = None,
) -> list[Sample]:
    """The images of a dataset, sorted by stem, with their ground truth and trimaps.

    Raises
    ------
    DatasetError
        A folder is missing, no images, or images without ground truth or
        trimap (the message names them).
    ValueError
        Unknown ``layout`` or trimap set.
    """
    if layout not in LAYOUTS:
        valid = ", ".join(repr(n) for n in LAYOUTS)
        raise ValueError(f"unknown layout {layout!r}; valid layouts are: {valid}")
    spec = LAYOUTS[layout]
    sets = trimap_sets(spec, trimap)
    root = Path(dataset_dir)
    if not root.is_dir():
        raise DatasetError(f"dataset folder not found: '{root}'")
    images = _list(_folder(root, spec.images, "image"))
    alpha_dir = next((root / a for a in spec.alphas if (root / a).is_dir()), None)
    if alpha_dir is None:
        raise DatasetError(
            f"ground-truth folder not found: '{root / spec.alphas[0]}' "
            f"(layout {layout!r}: {spec.description})"
        )
    alphas = _list(alpha_dir)
    trimaps = {name: _list(_folder(root, spec.trimaps[name], "trimap")) for name in sets}
    if not images:
        raise DatasetError(f"no images in '{root / spec.images}'")
    missing = [f"{alpha_dir.name}/{stem}.*" for stem in images if stem not in alphas]
    for name in sets:
        missing += [
            f"{spec.trimaps[name]}/{stem}.*" for stem in images if stem not in trimaps[name]
        ]
    if missing:
        shown = ", ".join(missing[:5]) + (
            f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        )
        raise DatasetError(f"missing files in '{root}': {shown}")
    return [
        Sample(stem, path, alphas[stem], {name: trimaps[name][stem] for name in sets})
        for stem, path in images.items()
    ]
