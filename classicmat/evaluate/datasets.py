"""Dataset layouts: where the images, ground-truth mattes and trimaps of a dataset are.

In every layout the files are matched by stem (the extensions may differ).

``composition-1k`` reads two folder trees (:func:`resolve_layout`):

- as GCA-Matting and MatteFormer prepare the test set: ``merged/``,
  ``alpha/`` (or ``alpha_copy/``) and ``trimaps/``, one file of the same name
  per composite in each;
- as Adobe publishes it (``Combined_Dataset/Test_set`` of the Deep Image
  Matting dataset): ``Adobe-licensed images/alpha/<foreground>.*`` (50 mattes,
  one per foreground), ``Adobe-licensed images/trimaps/<foreground>_<i>.*``
  (one per composite, i = 0..19) and the composites made by the archive's
  ``Composition_code.py``, ``merged/<foreground>_<i>.png`` (its default
  ``out_path``; mmediting's preparation script writes ``Test_set/merged``
  too). Each composite takes the alpha of its foreground, read in place:
  nothing is copied or linked. ``--dataset`` may name ``Test_set`` or the
  ``Combined_Dataset`` folder above it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .._files import list_images

__all__ = [
    "ADOBE_ARCHIVE",
    "LAYOUTS",
    "DatasetError",
    "Layout",
    "Sample",
    "find_samples",
    "foreground_of",
    "resolve_layout",
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
    shared_alpha: bool = False  # the alpha of <fg>_<index> is <fg>.* (Adobe's archive)


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
        "Composition-1k test set as GCA/MatteFormer prepare it (merged/, alpha/ or "
        "alpha_copy/, trimaps/), or as Adobe's archive holds it (Test_set: merged/, "
        "Adobe-licensed images/alpha/ and trimaps/)",
    ),
    "simple": Layout(
        "simple",
        "image",
        ("alpha",),
        {"trimap": "trimap"},
        "image/, trimap/, alpha/ with matching file stems",
    ),
}


#: Adobe's Composition-1k test archive (``Combined_Dataset/Test_set``), for ``composition-1k``.
ADOBE_ARCHIVE = Layout(
    "composition-1k",
    "merged",
    ("Adobe-licensed images/alpha",),
    {"trimaps": "Adobe-licensed images/trimaps"},
    "Adobe's Composition-1k test archive (Combined_Dataset/Test_set): merged/<fg>_<i>.png "
    "(made by its Composition_code.py), Adobe-licensed images/alpha/<fg>.* (one per "
    "foreground), Adobe-licensed images/trimaps/<fg>_<i>.*",
    shared_alpha=True,
)

_ADOBE_MARK = "Adobe-licensed images"


def resolve_layout(dataset_dir: str | os.PathLike[str], layout: str) -> tuple[Path, Layout]:
    """The folder and the layout to read for ``layout``.

    ``composition-1k`` is Adobe's archive when the folder (or its
    ``Test_set/``) holds ``Adobe-licensed images/`` and no prepared
    ``alpha/`` or ``alpha_copy/`` folder.

    >>> resolve_layout("data", "simple")[1].name
    'simple'
    """
    if layout not in LAYOUTS:
        valid = ", ".join(repr(n) for n in LAYOUTS)
        raise ValueError(f"unknown layout {layout!r}; valid layouts are: {valid}")
    spec = LAYOUTS[layout]
    root = Path(dataset_dir)
    if layout == "composition-1k" and not any((root / a).is_dir() for a in spec.alphas):
        for candidate in (root, root / "Test_set"):
            if (candidate / _ADOBE_MARK).is_dir():
                return candidate, ADOBE_ARCHIVE
    return root, spec


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
    sets = trimap_sets(LAYOUTS[layout], trimap)
    if not Path(dataset_dir).is_dir():
        raise DatasetError(f"dataset folder not found: '{dataset_dir}'")
    root, spec = resolve_layout(dataset_dir, layout)
    if spec.shared_alpha and not (root / spec.images).is_dir():
        raise DatasetError(
            f"composites folder not found: '{root / spec.images}' (Adobe's Composition-1k "
            f"archive: make the composites first with its Composition_code.py, out_path "
            f"'merged/', in '{root}')"
        )
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
    alpha_of = {stem: _alpha_stem(stem, spec) for stem in images}
    shown_alpha = alpha_dir.relative_to(root).as_posix()
    missing = [
        f"{shown_alpha}/{alpha_of[stem]}.*"
        if alpha_of[stem]
        else f"the alpha of {spec.images}/{stem} (not named <foreground>_<index>)"
        for stem in images
        if alpha_of[stem] not in alphas
    ]
    for name in sets:
        missing += [
            f"{spec.trimaps[name]}/{stem}.*" for stem in images if stem not in trimaps[name]
        ]
    missing = list(dict.fromkeys(missing))  # 20 composites may miss one alpha
    if missing:
        shown = ", ".join(missing[:5]) + (
            f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        )
        raise DatasetError(f"missing files in '{root}': {shown}")
    return [
        Sample(stem, path, alphas[alpha_of[stem]], {name: trimaps[name][stem] for name in sets})
        for stem, path in images.items()
    ]


def _alpha_stem(stem: str, spec: Layout) -> str | None:
    """The stem of the ground truth of image ``stem``: itself, or its foreground's."""
    return foreground_of(stem) if spec.shared_alpha else stem
