"""Score predictions made elsewhere with the metrics papers print (``classicmat score``).

:func:`score_predictions` matches a folder of predicted alpha mattes to
their ground truth and trimaps, and computes for each image the four errors
of :mod:`classicmat.metrics` on the unknown pixels of its trimap, in the
units of :func:`~classicmat.sad`, :func:`~classicmat.mse`,
:func:`~classicmat.gradient_error` and :func:`~classicmat.connectivity_error`
(those of the Deep Image Matting evaluation code), and their means.

Matching (by file stem, as ``classicmat evaluate`` does)
--------------------------------------------------------
Each trimap ``<stem>.*`` of the trimap folder is one image to score. It takes

- the prediction ``<stem>.*``, or ``<stem>_alpha.*`` (the name
  ``classicmat batch`` writes);
- the ground truth ``<stem>.*``, or, when there is none and the stem is
  ``<foreground>_<index>``, the ground truth ``<foreground>.*``: Adobe's
  Composition-1k test archive keeps one alpha per foreground, shared by its
  20 composites (the output says how many images used such a shared alpha).

Extensions may differ (``GT01.png`` and ``GT01.jpg`` match). An image
without a prediction or ground truth, with two candidate files, or whose
files cannot be scored, is reported and the others are scored. A prediction
without a trimap is not scored (:attr:`ScoreSummary.extra`).

Predictions
-----------
8-bit files are divided by 255, 16-bit gray files by 65535 (their full
precision is used), 32-bit float files are taken as they are (in [0, 1]).
A prediction whose size differs from its ground truth is an error, unless
``resize=True``: it is then resized to the ground truth's size (Pillow's
bilinear filter, in floating point) and its row says ``resized``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._files import IMAGE_EXTENSIONS, list_images
from ._tasks import run_tasks, scheduler_address

__all__ = [
    "COLUMNS",
    "MEAN_ROW",
    "ScoreSummary",
    "find_cases",
    "resize_alpha",
    "score_predictions",
    "write_csv",
]

#: Columns of the CSV, and keys of each row.
COLUMNS = ("image", "sad", "mse", "grad", "conn", "width", "height", "unknown_pixels", "bits",
           "resized")  # fmt: skip

#: ``image`` of the CSV's last row, which holds the means.
MEAN_ROW = "(mean)"

_METRICS = ("sad", "mse", "grad", "conn")


# ------------------------------------------------------------------ matching files


@dataclass(frozen=True)
class Case:
    """One image to score: its trimap, ground truth and prediction (None when missing)."""

    stem: str
    trimap: Path
    gt: Path | None
    pred: Path | None
    problem: str = ""
    shared_gt: bool = False  # the ground truth of its foreground (``<foreground>_<index>``)


def _names(paths: Sequence[Path]) -> str:
    return " and ".join(f"'{p.name}'" for p in paths)


def _folder(label: str, folder: str | os.PathLike[str]) -> Path:
    path = Path(folder)
    if not path.exists():
        raise FileNotFoundError(f"{label} folder not found: '{path}'")
    if not path.is_dir():
        raise NotADirectoryError(f"{label} folder '{path}' is not a directory")
    return path


def find_cases(
    pred_dir: str | os.PathLike[str],
    gt_dir: str | os.PathLike[str],
    trimap_dir: str | os.PathLike[str],
) -> tuple[list[Case], list[str]]:
    """The images to score (one per trimap, sorted by stem), and the unmatched predictions.

    Cases that cannot be scored (no prediction, no ground truth, two files
    for one stem) have a ``problem``; the second list names the prediction
    files that match no trimap.

    Raises
    ------
    FileNotFoundError, NotADirectoryError
        A folder is missing.
    ValueError
        The trimap folder holds no image.
    """
    from .evaluate.datasets import foreground_of

    pred_dir = _folder("prediction", pred_dir)
    gt_dir = _folder("ground-truth", gt_dir)
    trimap_dir = _folder("trimap", trimap_dir)
    preds, shared_preds = list_images(pred_dir)
    gts, shared_gts = list_images(gt_dir)
    trimaps, shared_trimaps = list_images(trimap_dir)
    if not trimaps and not shared_trimaps:
        raise ValueError(
            f"no trimaps in '{trimap_dir}' (extensions: {', '.join(IMAGE_EXTENSIONS)})"
        )
    cases = [
        Case(stem, paths[0], None, None, f"two trimaps share a stem: {_names(paths)}; keep one")
        for stem, paths in shared_trimaps.items()
    ]
    used: set[str] = set()
    for stem, trimap in trimaps.items():
        problem = ""
        names = [name for name in (stem, f"{stem}_alpha") if name in preds or name in shared_preds]
        used.update(names)
        candidates = [p for name in names for p in shared_preds.get(name, [preds.get(name)])]
        pred = candidates[0] if len(candidates) == 1 else None
        if not candidates:
            problem = f"no prediction ({stem}.* or {stem}_alpha.* in '{pred_dir}')"
        elif len(candidates) > 1:
            problem = f"{len(candidates)} predictions match: {_names(candidates)}; keep one"
        shared = False
        gt = gts.get(stem)
        if stem in shared_gts:
            gt = None
            problem = problem or (
                f"two ground-truth files share a stem: {_names(shared_gts[stem])}; keep one"
            )
        elif gt is None:
            foreground = foreground_of(stem)
            if foreground is not None and foreground in gts:
                gt, shared = gts[foreground], True
            else:
                also = f" or {foreground}.*" if foreground is not None else ""
                problem = problem or f"no ground truth ({stem}.*{also} in '{gt_dir}')"
        cases.append(Case(stem, trimap, gt, pred, problem, shared))
    cases.sort(key=lambda case: case.stem)
    extra = [path.name for name, path in preds.items() if name not in used]
    extra += [p.name for name, paths in shared_preds.items() if name not in used for p in paths]
    extra.sort()
    return cases, extra


# ------------------------------------------------------------------ scoring one image


@dataclass(frozen=True)
class _ScoreTask:
    stem: str
    pred: str
    gt: str
    trimap: str
    resize: bool


def _score_inputs(task: _ScoreTask) -> tuple[str, str, str]:
    return task.pred, task.gt, task.trimap


def _size(array: Any) -> str:
    return f"{array.shape[1]}x{array.shape[0]}"


def resize_alpha(alpha: Any, shape: tuple[int, int]) -> Any:
    """``alpha`` (float, in [0, 1]) resized to ``shape`` (H, W): Pillow's bilinear filter.

    >>> import numpy as np
    >>> resize_alpha(np.array([[0.0, 1.0]]), (1, 4)).round(3)
    array([[0.  , 0.25, 0.75, 1.  ]])
    """
    import numpy as np
    from PIL import Image

    image = Image.fromarray(np.ascontiguousarray(alpha, dtype=np.float32))  # mode "F"
    resized = image.resize((shape[1], shape[0]), Image.Resampling.BILINEAR)
    return np.clip(np.asarray(resized, dtype=np.float64), 0.0, 1.0)


def _score_one(task: _ScoreTask) -> dict[str, Any]:
    """The row of one image (read here: in a worker process for parallel runs)."""
    import numpy as np

    from . import metrics
    from ._validation import as_alpha, as_trimap
    from .io import read_image
    from .trimap import masks_of

    truth = as_alpha(read_image(task.gt, kind="alpha", name="ground truth"), name="ground truth")
    trimap = as_trimap(read_image(task.trimap, kind="trimap", name="trimap"))
    if trimap.shape != truth.shape:
        raise ValueError(
            f"trimap size {_size(trimap)} (W x H) does not match ground truth size {_size(truth)}"
        )
    raw = read_image(task.pred, kind="alpha", name="prediction")
    bits = {np.dtype(np.uint16): 16, np.dtype(np.float32): 32}.get(raw.dtype, 8)
    pred = as_alpha(raw, name="prediction")
    resized = pred.shape != truth.shape
    if resized:
        if not task.resize:
            raise ValueError(
                f"prediction size {_size(pred)} (W x H) does not match ground truth size "
                f"{_size(truth)}; score with resize=True (--resize) to resize predictions"
            )
        pred = resize_alpha(pred, truth.shape)
    row: dict[str, Any] = {"image": task.stem}
    row.update(metrics.errors(pred, truth, trimap))
    row.update(
        width=int(truth.shape[1]),
        height=int(truth.shape[0]),
        unknown_pixels=int(masks_of(trimap).is_unknown.sum()),
        bits=bits,
        resized=bool(resized),
    )
    return row


# ------------------------------------------------------------------ the summary


@dataclass
class ScoreSummary:
    """What :func:`score_predictions` found.

    ``rows`` hold one dict per scored image (keys :data:`COLUMNS`, sorted by
    stem); ``means`` the plain averages of ``sad``, ``mse``, ``grad`` and
    ``conn`` over those rows, with their count (``images``), or None when
    nothing was scored; ``failures`` are ``(stem, message)``; ``extra`` the
    prediction files that match no trimap; ``shared_gt`` the number of rows
    scored against the alpha of their foreground.
    """

    rows: list[dict[str, Any]]
    means: dict[str, Any] | None
    failures: list[tuple[str, str]]
    extra: list[str] = field(default_factory=list)
    shared_gt: int = 0
    parameters: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def resized(self) -> int:
        return sum(1 for row in self.rows if row["resized"])

    def csv_text(self) -> str:
        """The CSV: a header, one row per image, then the row :data:`MEAN_ROW` of the means."""
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in self.rows:
            writer.writerow({k: repr(v) if isinstance(v, float) else v for k, v in row.items()})
        if self.means is not None:
            writer.writerow({"image": MEAN_ROW, **{m: repr(self.means[m]) for m in _METRICS}})
        return buffer.getvalue()

    def _notes(self) -> str:
        total = len(self.rows) + len(self.failures)
        notes = (
            f"Means over {len(self.rows)} images; errors on the unknown pixels of each trimap. "
            f"SAD, Grad and Conn are sums divided by 1000 and MSE is multiplied by 1000, as "
            f"Composition-1k papers print them."
        )
        if self.shared_gt:
            notes += (
                f" {self.shared_gt} images <foreground>_<index> were scored against the ground "
                f"truth <foreground> (Composition-1k's shared alphas)."
            )
        if self.resized:
            notes += (
                f" {self.resized} predictions were resized to the size of their ground truth "
                f"(bilinear)."
            )
        if self.failures:
            notes += f" INCOMPLETE: {len(self.failures)} of {total} images could not be scored."
        return notes

    def to_markdown(self) -> str:
        """The table of the means as Markdown (MSE x 10^3), and a notes line."""
        lines = ["| Images | SAD | MSE (x10^3) | Grad | Conn |", "|---:|---:|---:|---:|---:|"]
        if self.means is not None:
            m = self.means
            lines.append(
                f"| {m['images']} | {m['sad']:.2f} | {m['mse'] * 1e3:.2f} | {m['grad']:.2f} "
                f"| {m['conn']:.2f} |"
            )
        return "\n".join(lines) + "\n\n" + self._notes() + "\n"

    def to_text(self) -> str:
        """The table of the means, aligned for a terminal."""
        header = f"{'images':>8} {'SAD':>10} {'MSE (x10^3)':>12} {'Grad':>10} {'Conn':>10}"
        if self.means is None:
            body = f"{0:>8} {'-':>10} {'-':>12} {'-':>10} {'-':>10}"
        else:
            m = self.means
            body = (
                f"{m['images']:>8} {m['sad']:>10.2f} {m['mse'] * 1e3:>12.2f} {m['grad']:>10.2f} "
                f"{m['conn']:>10.2f}"
            )
        return f"{header}\n{body}\n\n{self._notes()}\n"

    def document(self, command: str | None = None) -> dict[str, Any]:
        """Everything as a JSON-able dict: command, parameters, versions, means, failures, rows."""
        return {
            "command": command if command is not None else " ".join(sys.argv),
            "parameters": self.parameters,
            "versions": self.versions,
            "means": self.means,
            "failures": [{"image": stem, "error": message} for stem, message in self.failures],
            "unmatched_predictions": self.extra,
            "shared_ground_truth": self.shared_gt,
            "rows": self.rows,
        }

    def to_json(self, command: str | None = None) -> str:
        return json.dumps(self.document(command), indent=1) + "\n"


def _means(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    if not rows:
        return None
    means: dict[str, Any] = {"images": len(rows)}
    for column in _METRICS:
        means[column] = sum(row[column] for row in rows) / len(rows)
    return means


def score_predictions(
    pred_dir: str | os.PathLike[str],
    gt_dir: str | os.PathLike[str],
    trimap_dir: str | os.PathLike[str],
    *,
    resize: bool = False,
    jobs: int = 1,
    scheduler: Any = None,
    progress: bool | str = False,
) -> ScoreSummary:
    """Score the predicted alpha mattes of a folder against their ground truth.

    See the module docstring for the matching rules and the units.

    Parameters
    ----------
    pred_dir : path-like
        Predicted alpha mattes (8-bit, 16-bit or float files).
    gt_dir : path-like
        Ground-truth alpha mattes.
    trimap_dir : path-like
        Trimaps; each is one image to score, on its unknown pixels (128 in a
        0/128/255 trimap).
    resize : bool
        Resize predictions whose size differs from their ground truth
        (bilinear) instead of reporting them.
    jobs : int
        Worker processes (1: this process).
    scheduler : str or distributed.Client, optional
        Score on a Dask distributed cluster instead (``jobs`` must be 1).
    progress : bool or {"auto", "bar", "lines", "off"}
        Progress on stderr; True means ``"auto"``.

    Returns
    -------
    ScoreSummary
        The rows, their means, and the images that could not be scored.

    Raises
    ------
    FileNotFoundError, NotADirectoryError
        A folder is missing.
    ValueError
        No trimap in ``trimap_dir``; ``jobs < 1``; ``jobs`` with ``scheduler``.
    ImportError
        ``scheduler`` without dask.distributed installed.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from classicmat import write_image
    >>> root = tempfile.mkdtemp()
    >>> for name in ("pred", "gt", "trimap"):
    ...     os.mkdir(os.path.join(root, name))
    >>> write_image(os.path.join(root, "gt", "a.png"), np.array([[0, 255, 255]], np.uint8))
    >>> write_image(os.path.join(root, "trimap", "a.png"), np.array([[0, 128, 128]], np.uint8))
    >>> write_image(os.path.join(root, "pred", "a.png"), np.array([[0, 255, 0]], np.uint8))
    >>> summary = score_predictions(*(os.path.join(root, n) for n in ("pred", "gt", "trimap")))
    >>> summary.rows[0]["sad"], summary.rows[0]["mse"]
    (0.001, 0.5)
    """
    from ._tasks import check_scheduler
    from ._workers import worker_check
    from .evaluate.report import versions

    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be an integer >= 1, got {jobs!r}")
    cluster: dict[str, Any] = {}
    if scheduler is not None:
        check_scheduler(scheduler)
        if jobs != 1:
            raise ValueError(f"jobs={jobs} and scheduler= are exclusive; give one of them")
        cluster = {"scheduler": scheduler, "inputs": _score_inputs, "worker_check": worker_check()}
    cases, extra = find_cases(pred_dir, gt_dir, trimap_dir)
    failures = [(case.stem, case.problem) for case in cases if case.problem]
    todo = [case for case in cases if not case.problem]
    tasks = [
        _ScoreTask(case.stem, os.path.abspath(case.pred), os.path.abspath(case.gt),
                   os.path.abspath(case.trimap), bool(resize))
        for case in todo
    ]  # fmt: skip
    rows: dict[int, dict[str, Any]] = {}
    from ._progress import Progress

    mode = {True: "auto", False: "off"}.get(progress, progress)  # type: ignore[call-overload]
    with Progress(len(tasks), label="score", mode=mode) as bar:
        if cluster:
            cluster["status"] = bar.set_status
        for index, ok, value in run_tasks(_score_one, tasks, jobs=jobs, **cluster):
            if ok:
                rows[index] = value
            else:
                failures.append((tasks[index].stem, value))
            bar.update(tasks[index].stem, ok=ok)
    ordered = [rows[i] for i in range(len(tasks)) if i in rows]
    failures.sort()
    return ScoreSummary(
        rows=ordered,
        means=_means(ordered),
        failures=failures,
        extra=extra,
        shared_gt=sum(1 for i, case in enumerate(todo) if case.shared_gt and i in rows),
        parameters={
            "predictions": os.path.abspath(pred_dir),
            "ground_truth": os.path.abspath(gt_dir),
            "trimaps": os.path.abspath(trimap_dir),
            "resize": bool(resize),
            "jobs": jobs,
            "scheduler": scheduler_address(scheduler),
            "metrics": "classicmat.metrics on the unknown pixels of each trimap; sad, grad, "
            "conn divided by 1000; mse plain (the Markdown table: x1000)",
            "predictions_read_as": "8-bit / 255, 16-bit / 65535, float as is",
        },
        versions=versions(),
    )


def write_csv(summary: ScoreSummary, path: str | os.PathLike[str]) -> None:
    """Write the CSV of ``summary`` to ``path`` atomically (a temporary file, then a rename)."""
    from ._files import write_file

    write_file(path, summary.csv_text().encode())
