"""Estimate the alpha mattes of a folder of images, serially or with a process pool.

``classicmat batch IMAGES_DIR TRIMAPS_DIR -o OUT_DIR`` calls :func:`run_batch`.

Matching
--------
Each image ``<stem>.<ext>`` of ``IMAGES_DIR`` (any extension Pillow reads:
``.png``, ``.jpg``, ...) gets the trimap ``<stem>.<ext>`` or
``<stem>_trimap.<ext>`` of ``TRIMAPS_DIR``; when both exist, the image is
reported as ambiguous, and so are two images that share a stem
(``GT08.png`` and ``GT08.jpg``). ``IMAGES_DIR`` and ``TRIMAPS_DIR`` may be
the same folder (``cat.jpg`` next to ``cat_trimap.png``): files named
``*_trimap.*`` are then trimaps, not images. The outputs are
``OUT_DIR/<stem>_alpha.png`` (8-bit gray) and, with ``cutout=True``,
``OUT_DIR/<stem>_cutout.png`` (RGBA, straight alpha).

One bad image (unreadable, sizes that differ, no trimap, an ambiguous name)
does not stop the others: :class:`BatchResult` lists the failures. An input
file is never overwritten, and the outputs of one image appear together or
not at all.

Parallel runs
-------------
With ``jobs > 1`` the images are processed by worker processes
(:func:`classicmat._tasks.run_tasks`, which also sets their thread counts),
which return the encoded files; this process writes them. A Ctrl-C stops
the workers at once. With ``scheduler=`` the workers of a Dask distributed
cluster process them instead, and still return the files to this process.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._files import IMAGE_EXTENSIONS, list_images
from ._tasks import one_line, run_tasks

__all__ = ["IMAGE_EXTENSIONS", "BatchResult", "find_pairs", "run_batch"]


# ------------------------------------------------------------------ matching files


@dataclass(frozen=True)
class Pair:
    """An image and its trimap (``None`` when no trimap matched)."""

    stem: str
    image: Path
    trimap: Path | None
    problem: str = ""


def _names(paths: list[Path]) -> str:
    return " and ".join(f"'{p.name}'" for p in paths)


def _several(n: int, noun: str) -> str:
    words = {2: "two", 3: "three"}
    return f"{words.get(n, str(n))} {noun}"


def find_pairs(
    images_dir: str | os.PathLike[str], trimaps_dir: str | os.PathLike[str]
) -> list[Pair]:
    """Match the images of ``images_dir`` to the trimaps of ``trimaps_dir`` by stem.

    The trimap of ``<stem>.<ext>`` is ``<stem>.*`` or ``<stem>_trimap.*``.
    Pairs that cannot be processed (no trimap, two trimaps, two images with
    one stem) have ``trimap=None`` and a ``problem`` saying why.

    Raises
    ------
    FileNotFoundError, NotADirectoryError
        A folder is missing.
    """
    images_dir, trimaps_dir = Path(images_dir), Path(trimaps_dir)
    for label, folder in (("images", images_dir), ("trimaps", trimaps_dir)):
        if not folder.exists():
            raise FileNotFoundError(f"{label} folder not found: '{folder}'")
        if not folder.is_dir():
            raise NotADirectoryError(f"{label} folder '{folder}' is not a directory")
    images, shared_images = list_images(images_dir)
    same = images_dir.resolve() == trimaps_dir.resolve()
    trimaps, shared_trimaps = (images, shared_images) if same else list_images(trimaps_dir)
    if same:  # cat.jpg next to cat_trimap.png: the latter is a trimap
        images = {
            stem: path
            for stem, path in images.items()
            if not (stem.endswith("_trimap") and stem[: -len("_trimap")] in images)
        }
    pairs = [
        Pair(
            stem,
            paths[0],
            None,
            f"{_several(len(paths), 'images')} share a stem: {_names(paths)}; keep one",
        )
        for stem, paths in shared_images.items()
        if not (same and stem.endswith("_trimap"))
    ]
    for stem, image in images.items():
        candidates = [
            path
            for path in (trimaps.get(stem), trimaps.get(f"{stem}_trimap"))
            if path is not None and path != image
        ]
        for name in (f"{stem}_trimap",) if same else (stem, f"{stem}_trimap"):
            candidates += shared_trimaps.get(name, [])
        if len(candidates) == 1:
            pairs.append(Pair(stem, image, candidates[0]))
        elif not candidates:
            pairs.append(
                Pair(
                    stem,
                    image,
                    None,
                    f"no trimap ({stem}.* or {stem}_trimap.* in '{trimaps_dir}')",
                )
            )
        else:
            pairs.append(
                Pair(
                    stem,
                    image,
                    None,
                    f"{_several(len(candidates), 'trimaps')} match: "
                    f"{_names(candidates)}; keep one",
                )
            )
    pairs.sort(key=lambda pair: pair.stem)
    return pairs


# ------------------------------------------------------------------ batch


@dataclass(frozen=True)
class _BatchTask:
    stem: str
    image: str
    trimap: str
    alpha_out: str
    cutout_out: str | None
    method: str
    options: Mapping[str, Any]


def _batch_inputs(task: _BatchTask) -> tuple[str, str]:
    return task.image, task.trimap


def _batch_one(task: _BatchTask) -> list[tuple[str, bytes]]:
    """The files of one image, encoded: ``[(path, bytes), ...]`` (written by the caller)."""
    from .alpha import estimate_alpha
    from .io import encode_image, read_image

    image = read_image(task.image, kind="image", name="image")
    trimap = read_image(task.trimap, kind="trimap", name="trimap")
    alpha = estimate_alpha(image, trimap, method=task.method, **task.options)
    files = [(task.alpha_out, encode_image(task.alpha_out, alpha, bit16=False))]
    if task.cutout_out is not None:
        from .compose import cutout

        rgba = cutout(image, alpha)
        files.append((task.cutout_out, encode_image(task.cutout_out, rgba, bit16=False)))
    return files


@dataclass
class BatchResult:
    """What :func:`run_batch` did: outputs written, failures, and images without a trimap."""

    written: list[Path] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (file name, message)
    total: int = 0

    @property
    def ok(self) -> bool:
        return not self.failures


def run_batch(
    images_dir: str | os.PathLike[str],
    trimaps_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    method: str = "cf",
    method_options: Mapping[str, Any] | None = None,
    jobs: int = 1,
    cutout: bool = False,
    progress: str = "auto",
    preview: str | os.PathLike[str] | None = None,
    scheduler: Any = None,
) -> BatchResult:
    """Estimate the alpha matte of every image of a folder; see the module docstring.

    Parameters
    ----------
    images_dir, trimaps_dir : path-like
        Folders of images and of trimaps, matched by file stem.
    out_dir : path-like
        Output folder, created if missing.
    method : str
        Alpha matting method (``classicmat.METHODS``).
    method_options : mapping, optional
        Keyword options of the method.
    jobs : int
        Worker processes (1: run in this process).
    cutout : bool
        Also write ``<stem>_cutout.png``.
    progress : {"auto", "bar", "lines", "off"}
        Progress display on stderr (see :mod:`classicmat._progress`).
    preview : path-like, optional
        Write a contact sheet (input, trimap, alpha per image) there.
    scheduler : str or distributed.Client, optional
        Run on a Dask distributed cluster (an address such as
        ``"tcp://10.0.0.5:8786"``, or a client) instead of local processes;
        ``jobs`` must then be 1. The workers read the images at the same
        paths (a shared filesystem); this process writes the outputs.

    Returns
    -------
    BatchResult

    Raises
    ------
    FileNotFoundError, NotADirectoryError, ValueError
        Missing folders, an unknown method or option, no image in
        ``images_dir``. Problems of single images are not raised but listed
        in the result.
    ImportError
        ``scheduler`` given without dask.distributed installed.
    """
    from ._files import write_files
    from ._method import as_method
    from ._progress import Progress
    from ._tasks import check_scheduler
    from ._workers import worker_check
    from .alpha import METHODS

    options = dict(method_options or {})
    # every option checked (names and values, solver settings against the
    # solver) before any image is read, not once per image
    checked = as_method(METHODS.get(method)).check(options, what=f"method {method!r}")
    options = {name: checked.get(name, value) for name, value in options.items()}
    cluster: dict[str, Any] = {}
    if scheduler is not None:
        check_scheduler(scheduler)
        if jobs != 1:
            raise ValueError(f"jobs={jobs} and scheduler= are exclusive; give one of them")
        cluster = {
            "scheduler": scheduler,
            "inputs": _batch_inputs,
            "worker_check": worker_check([method]),
        }
    pairs = find_pairs(images_dir, trimaps_dir)
    if not pairs:
        raise ValueError(
            f"no images in '{images_dir}' (extensions: {', '.join(IMAGE_EXTENSIONS)})"
        )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    inputs = set()
    for pair in pairs:
        inputs.add(pair.image.resolve())
        if pair.trimap is not None:
            inputs.add(pair.trimap.resolve())

    result = BatchResult(total=len(pairs))
    tasks: list[_BatchTask] = []
    for pair in pairs:
        if pair.trimap is None:
            result.failures.append((pair.image.name, pair.problem))
            continue
        alpha_out = out / f"{pair.stem}_alpha.png"
        cutout_out = out / f"{pair.stem}_cutout.png" if cutout else None
        clash = [p for p in (alpha_out, cutout_out) if p is not None and p.resolve() in inputs]
        if clash:
            result.failures.append(
                (
                    pair.image.name,
                    f"output '{clash[0]}' is an input file; refusing to overwrite it",
                )
            )
            continue
        tasks.append(
            _BatchTask(
                pair.stem,
                os.path.abspath(pair.image),  # the same paths for workers elsewhere
                os.path.abspath(pair.trimap),
                str(alpha_out),
                None if cutout_out is None else str(cutout_out),
                method,
                options,
            )
        )

    failed: dict[int, str] = {}
    with Progress(len(tasks), label="batch", mode=progress) as bar:
        if cluster:
            cluster["status"] = bar.set_status
        for index, ok, value in run_tasks(_batch_one, tasks, jobs=jobs, **cluster):
            if ok:
                try:
                    write_files(value)
                except OSError as exc:
                    ok, value = False, one_line(exc)
            if not ok:
                failed[index] = value
            bar.update(Path(tasks[index].image).name, ok=ok)
    for index, task in enumerate(tasks):
        if index in failed:
            result.failures.append((Path(task.image).name, failed[index]))
        else:
            result.written.append(Path(task.alpha_out))
    result.failures.sort()

    if preview is not None and result.written:
        from ._sheet import write_contact_sheet

        done = [task for index, task in enumerate(tasks) if index not in failed]
        write_contact_sheet(
            preview,
            ["input", "trimap", f"alpha ({method})"],
            [(task.stem, [task.image, task.trimap, task.alpha_out]) for task in done],
        )
    return result
