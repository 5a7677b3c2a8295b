"""Estimate the alpha mattes of a folder of images, serially or with a process pool.

``classicmat batch IMAGES_DIR TRIMAPS_DIR -o OUT_DIR`` calls :func:`run_batch`.

Matching
--------
Each image ``<stem>.<ext>`` of ``IMAGES_DIR`` (any extension Pillow reads:
``.png``, ``.jpg``, ...) gets the trimap ``<stem>.<ext>`` or
``<stem>_trimap.<ext>`` of ``TRIMAPS_DIR``; when both exist, the image is
reported as ambiguous. ``IMAGES_DIR`` and ``TRIMAPS_DIR`` may be the same
folder (``cat.jpg`` next to ``cat_trimap.png``): files named ``*_trimap.*``
are then trimaps, not images. The outputs are ``OUT_DIR/<stem>_alpha.png``
(8-bit gray) and, with ``cutout=True``, ``OUT_DIR/<stem>_cutout.png`` (RGBA,
straight alpha).

One bad image (unreadable, sizes that differ, no trimap) does not stop the
others: :class:`BatchResult` lists the failures. An input file is never
overwritten.

Parallel runs
-------------
:func:`run_tasks` runs a picklable function over tasks, in the calling
process (``jobs=1``) or in a :class:`concurrent.futures.ProcessPoolExecutor`
with the ``"spawn"`` start method. Each worker then gets
``cpu_count // jobs`` threads (at least one) for numba and BLAS:
``NUMBA_NUM_THREADS``, ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS`` and
``MKL_NUM_THREADS`` are set while the workers start, so that ``jobs`` workers
do not each start one thread per core. Numba kernels are cached on disk
(``cache=True``), so the workers load them instead of compiling.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["IMAGE_EXTENSIONS", "BatchResult", "find_pairs", "run_batch", "run_tasks"]

#: File extensions taken as images when listing a folder (lower case).
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp")

#: Environment variables that set the thread count of numba, OpenMP and BLAS.
THREAD_VARIABLES = (
    "NUMBA_NUM_THREADS",
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
)


# ------------------------------------------------------------------ running tasks


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def threads_per_worker(jobs: int) -> int:
    """Threads each of ``jobs`` worker processes may use: ``cpu_count // jobs``, >= 1.

    >>> threads_per_worker(10**6)
    1
    """
    return max(1, (os.cpu_count() or 1) // max(1, jobs))


@contextlib.contextmanager
def _thread_environment(threads: int) -> Iterator[None]:
    """Set the thread variables (unless the user set them) for processes started inside."""
    saved = {name: os.environ.get(name) for name in THREAD_VARIABLES}
    try:
        for name in THREAD_VARIABLES:
            if saved[name] is None:
                os.environ[name] = str(threads)
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _init_worker(threads: int) -> None:
    for name in THREAD_VARIABLES:
        os.environ.setdefault(name, str(threads))


def _call(func: Callable[[Any], Any], task: Any) -> tuple[bool, Any]:
    """Run ``func(task)``; return ``(True, result)`` or ``(False, one-line error)``."""
    try:
        return True, func(task)
    except Exception as exc:  # MemoryError included
        return False, _one_line(exc) if not isinstance(exc, MemoryError) else "out of memory"


def run_tasks(
    func: Callable[[Any], Any], tasks: Sequence[Any], *, jobs: int = 1
) -> Iterator[tuple[int, bool, Any]]:
    """Run ``func`` on each task; yield ``(index, ok, result or one-line error)``.

    Results come in completion order; sort by ``index`` for a deterministic
    order. With ``jobs > 1``, ``func`` and the tasks must be picklable
    (module-level functions, plain data) and the work runs in ``jobs``
    processes started with ``"spawn"``. An exception raised by ``func`` is
    returned as a failed result; ``KeyboardInterrupt`` cancels the tasks not
    yet started and propagates.

    Examples
    --------
    >>> sorted(run_tasks(abs, [-1, 2]))
    [(0, True, 1), (1, True, 2)]
    """
    if jobs < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs!r}")
    if jobs == 1 or len(tasks) <= 1:
        for index, task in enumerate(tasks):
            ok, value = _call(func, task)
            yield index, ok, value
        return

    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    threads = threads_per_worker(jobs)
    context = multiprocessing.get_context("spawn")
    executor = ProcessPoolExecutor(
        max_workers=min(jobs, len(tasks)),
        mp_context=context,
        initializer=_init_worker,
        initargs=(threads,),
    )
    try:
        # Workers are started while tasks are submitted: set their thread counts.
        with _thread_environment(threads):
            futures = {executor.submit(_call, func, task): i for i, task in enumerate(tasks)}
        for future in as_completed(futures):
            try:
                ok, value = future.result()
            except BrokenProcessPool:
                raise RuntimeError(
                    "a worker process died (out of memory?); finished work is kept, "
                    "rerun to continue or use fewer jobs"
                ) from None
            yield futures[future], ok, value
    except BaseException:
        executor.shutdown(wait=False, cancel_futures=True)
        raise
    executor.shutdown(wait=True)


# ------------------------------------------------------------------ matching files


def list_images(folder: Path) -> dict[str, Path]:
    """The image files of ``folder`` by stem; ``ValueError`` for stems seen twice."""
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        if path.suffix.lower() not in IMAGE_EXTENSIONS:
            continue
        if path.stem in found:
            raise ValueError(
                f"two files with the stem {path.stem!r} in '{folder}': "
                f"'{found[path.stem].name}' and '{path.name}'; keep one"
            )
        found[path.stem] = path
    return found


@dataclass(frozen=True)
class Pair:
    """An image and its trimap (``None`` when no trimap matched)."""

    stem: str
    image: Path
    trimap: Path | None
    problem: str = ""


def find_pairs(
    images_dir: str | os.PathLike[str], trimaps_dir: str | os.PathLike[str]
) -> list[Pair]:
    """Match the images of ``images_dir`` to the trimaps of ``trimaps_dir`` by stem.

    The trimap of ``<stem>.<ext>`` is ``<stem>.*`` or ``<stem>_trimap.*``.
    Pairs without a trimap have ``trimap=None`` and a ``problem`` saying why.

    Raises
    ------
    FileNotFoundError, NotADirectoryError
        A folder is missing.
    ValueError
        Two files of one folder share a stem.
    """
    images_dir, trimaps_dir = Path(images_dir), Path(trimaps_dir)
    for label, folder in (("images", images_dir), ("trimaps", trimaps_dir)):
        if not folder.exists():
            raise FileNotFoundError(f"{label} folder not found: '{folder}'")
        if not folder.is_dir():
            raise NotADirectoryError(f"{label} folder '{folder}' is not a directory")
    images = list_images(images_dir)
    same = images_dir.resolve() == trimaps_dir.resolve()
    trimaps = images if same else list_images(trimaps_dir)
    if same:  # cat.jpg next to cat_trimap.png: the latter is a trimap
        images = {
            stem: path
            for stem, path in images.items()
            if not (stem.endswith("_trimap") and stem[: -len("_trimap")] in images)
        }
    pairs = []
    for stem, image in images.items():
        candidates = [
            path
            for path in (trimaps.get(stem), trimaps.get(f"{stem}_trimap"))
            if path is not None and path != image
        ]
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
            names = " and ".join(f"'{p.name}'" for p in candidates)
            pairs.append(Pair(stem, image, None, f"two trimaps match: {names}; keep one"))
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


def _has_compose() -> bool:
    return importlib.util.find_spec("classicmat.compose") is not None


def _make_cutout(image: Any, alpha: Any) -> Any:
    """RGBA straight alpha: :func:`classicmat.compose.cutout` if present, else image colours."""
    import numpy as np

    if _has_compose():
        from .compose import cutout

        return cutout(image, alpha)
    from ._validation import as_image

    colours = as_image(image)
    if colours.shape[2] == 1:
        colours = np.repeat(colours, 3, axis=2)
    return np.concatenate([colours, alpha[:, :, None]], axis=2)


def _batch_one(task: _BatchTask) -> str:
    from .alpha import estimate_alpha
    from .io import read_image, write_image

    image = read_image(task.image, kind="image", name="image")
    trimap = read_image(task.trimap, kind="trimap", name="trimap")
    alpha = estimate_alpha(image, trimap, method=task.method, **task.options)
    write_image(task.alpha_out, alpha, bit16=False)
    if task.cutout_out is not None:
        write_image(task.cutout_out, _make_cutout(image, alpha), bit16=False)
    return task.alpha_out


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

    Returns
    -------
    BatchResult

    Raises
    ------
    FileNotFoundError, NotADirectoryError, ValueError
        Missing folders, two files with one stem, an unknown method or option,
        no image in ``images_dir``. Problems of single images are not raised
        but listed in the result.
    """
    from ._progress import Progress
    from ._registry import check_options
    from .alpha import METHODS

    options = dict(method_options or {})
    check_options(METHODS.get(method), options, f"method {method!r}")
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
                str(pair.image),
                str(pair.trimap),
                str(alpha_out),
                None if cutout_out is None else str(cutout_out),
                method,
                options,
            )
        )

    failed: dict[int, str] = {}
    with Progress(len(tasks), label="batch", mode=progress) as bar:
        for index, ok, value in run_tasks(_batch_one, tasks, jobs=jobs):
            bar.update(Path(tasks[index].image).name, ok=ok)
            if not ok:
                failed[index] = value
    for index, task in enumerate(tasks):
        if index in failed:
            result.failures.append((Path(task.image).name, failed[index]))
        else:
            result.written.append(Path(task.alpha_out))
    result.failures.sort()

    if preview is not None and result.written:
        from .evaluate import write_contact_sheet

        done = [task for index, task in enumerate(tasks) if index not in failed]
        write_contact_sheet(
            preview,
            ["input", "trimap", f"alpha ({method})"],
            [(task.stem, [task.image, task.trimap, task.alpha_out]) for task in done],
        )
    return result
