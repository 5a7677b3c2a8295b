"""Evaluate alpha matting methods on a dataset, with the numbers papers print.

:func:`evaluate_dataset` (``classicmat evaluate``) runs each method on each
image of a dataset and trimap set, computes the four errors of
:mod:`classicmat.metrics` on the trimap's unknown region and writes

- ``results.csv``: one row per image x method x trimap set;
- ``results.json``: the rows, the means, the exact parameters (every option of
  every method, defaults resolved from its signature), the library versions
  and the command line;
- ``summary.md``: a Markdown table of the means, ready for a paper.

Predictions are rounded to 8 bits (``np.rint(255 * alpha)``) before the
errors are computed, as when papers evaluate the PNG files their methods
write; ``--save-alpha`` writes exactly those 8-bit values.

Layouts
-------
``alphamatting``
    ``input/``, ``gt/``, ``trimap1/``, ``trimap2/`` (alphamatting.com training
    set). Trimap sets ``trimap1`` and ``trimap2``.
``composition-1k``
    ``merged/``, ``alpha/`` (or ``alpha_copy/``), ``trimaps/``: the
    Composition-1k test set as the GCA-Matting and MatteFormer code prepares
    it, where the composites, the alpha of each composite and the trimaps have
    the same file names (``<fg>_<bg index>.png``). Trimap set ``trimaps``.
``simple``
    ``image/``, ``trimap/``, ``alpha/``. Trimap set ``trimap``.

In every layout the files are matched by stem (the extensions may differ).

Resume
------
Each finished image writes a record ``records/<method>/<trimap set>/<stem>.<key>.json``
(atomically) where ``<key>`` hashes the method's resolved options. A rerun
reuses a record whose key and input file hashes (SHA-256) match, and
recomputes the others: an interrupted run continues where it stopped, and a
run with other options recomputes everything.
"""

from __future__ import annotations

import csv
import hashlib
import inspect
import io
import json
import os
import platform
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._files import list_images, write_files
from ._tasks import one_line, run_tasks

__all__ = [
    "LAYOUTS",
    "METRICS",
    "DatasetError",
    "EvaluationSummary",
    "Layout",
    "evaluate_dataset",
    "find_samples",
    "resolve_options",
]

#: Metric columns: (column, function name in classicmat.metrics).
METRICS = (
    ("sad", "sad"),
    ("mse", "mse"),
    ("grad", "gradient_error"),
    ("conn", "connectivity_error"),
)

CSV_COLUMNS = (
    "method",
    "trimap",
    "image",
    "sad",
    "mse",
    "grad",
    "conn",
    "runtime_s",
    "width",
    "height",
    "unknown_pixels",
)

RECORD_VERSION = 1


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


# ------------------------------------------------------------------ the dataset


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


def _trimap_sets(layout: Layout, trimap: str | Sequence[str] | None) -> list[str]:
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
    sets = _trimap_sets(spec, trimap)
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


# ------------------------------------------------------------------ options


def resolve_options(method: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Every keyword option of ``method``: the given ones, and the defaults of the others.

    Examples
    --------
    >>> opts = resolve_options("cf", {"epsilon": 1e-6})
    >>> opts["epsilon"], opts["radius"]
    (1e-06, 1)
    """
    from ._registry import check_options
    from .alpha import METHODS

    func = METHODS.get(method)
    given = dict(options or {})
    check_options(func, given, f"method {method!r}")
    resolved = {}
    for param in inspect.signature(func).parameters.values():
        if param.kind is not inspect.Parameter.KEYWORD_ONLY:
            continue
        if param.name in given:
            resolved[param.name] = given[param.name]
        elif param.default is not inspect.Parameter.empty:
            resolved[param.name] = param.default
    try:
        json.dumps(resolved, allow_nan=False)
    except (TypeError, ValueError):
        raise TypeError(
            f"options of method {method!r} must be JSON numbers, strings, booleans or None, "
            f"got {resolved!r}"
        ) from None
    return resolved


def _options_key(method: str, resolved: Mapping[str, Any]) -> str:
    text = json.dumps({"method": method, "options": resolved}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def versions() -> dict[str, str]:
    """Versions of classicmat, its numerical dependencies, Python and the platform."""
    import numba
    import numpy
    import scipy

    from ._version import __version__

    return {
        "classicmat": __version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "numba": numba.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


# ------------------------------------------------------------------ one image


@dataclass(frozen=True)
class _Task:
    method: str
    trimap_set: str
    stem: str
    image: str
    trimap: str
    alpha: str
    options: Mapping[str, Any]
    key: str
    digests: Mapping[str, str]
    record: str
    alpha_out: str | None


_WARMED: set[str] = set()


def _estimate_alpha(image: Any, trimap: Any, method: str, options: Mapping[str, Any]) -> Any:
    """The call that is timed (a module function, so that tests can count the calls)."""
    from .alpha import estimate_alpha

    return estimate_alpha(image, trimap, method=method, **options)


def _warm_up(method: str, options: Mapping[str, Any]) -> None:
    """Load the method's numba kernels on a tiny image, so runtimes exclude that."""
    import numpy as np

    key = _options_key(method, options)
    if key in _WARMED:
        return
    _WARMED.add(key)
    image = np.zeros((8, 8, 3))
    image[:, 4:] = 1.0
    trimap = np.full((8, 8), 0.5)
    trimap[:, 0] = 0.0
    trimap[:, -1] = 1.0
    try:
        from .alpha import estimate_alpha

        estimate_alpha(image, trimap, method=method, **options)
    except Exception:  # the real image will report any problem
        pass


def _evaluate_one(task: _Task) -> tuple[dict[str, Any], list[tuple[str, bytes]]]:
    """Run one method on one image and trimap: its record, and the files to write.

    The files (the 8-bit alpha if saved, then the record) are written by the
    calling process, together (:func:`classicmat._files.write_files`).
    """
    import warnings

    import numpy as np

    from . import metrics
    from .io import encode_image, read_image

    image = read_image(task.image, kind="image", name="image")
    trimap = read_image(task.trimap, kind="trimap", name="trimap")
    alpha_true = read_image(task.alpha, kind="alpha", name="ground truth")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the warm-up may not converge: irrelevant
        _warm_up(task.method, task.options)
    start = time.perf_counter()
    alpha = _estimate_alpha(image, trimap, task.method, task.options)
    runtime = time.perf_counter() - start
    alpha8 = np.rint(np.clip(alpha, 0.0, 1.0) * 255.0).astype(np.uint8)
    record: dict[str, Any] = {
        "version": RECORD_VERSION,
        "method": task.method,
        "trimap": task.trimap_set,
        "image": task.stem,
        "key": task.key,
        "options": dict(task.options),
        "inputs": dict(task.digests),
    }
    for column, name in METRICS:
        record[column] = getattr(metrics, name)(alpha8, alpha_true, trimap)
    from .trimap import split_trimap

    record.update(
        runtime_s=runtime,
        width=int(alpha8.shape[1]),
        height=int(alpha8.shape[0]),
        unknown_pixels=int(split_trimap(trimap).is_unknown.sum()),
    )
    files = []
    if task.alpha_out is not None:
        files.append((task.alpha_out, encode_image(task.alpha_out, alpha8)))
    files.append((task.record, json.dumps(record, indent=1).encode()))
    return record, files


def _load_record(task: _Task) -> dict[str, Any] | None:
    """The finished record of ``task`` if it exists and matches; otherwise None."""
    try:
        record = json.loads(Path(task.record).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict):
        return None
    expected = {
        "version": RECORD_VERSION,
        "method": task.method,
        "trimap": task.trimap_set,
        "image": task.stem,
        "key": task.key,
        "inputs": dict(task.digests),
    }
    if any(record.get(k) != v for k, v in expected.items()):
        return None
    if any(not isinstance(record.get(column), float) for column, _ in METRICS):
        return None
    if task.alpha_out is not None and not Path(task.alpha_out).is_file():
        return None
    return record


# ------------------------------------------------------------------ summary


@dataclass
class EvaluationSummary:
    """The result of :func:`evaluate_dataset`.

    ``rows`` hold one dict per image x method x trimap set (sorted by method
    as given, trimap set, image stem), ``means`` one per method x trimap set;
    ``failures`` are ``(method, trimap set, image, message)``.
    """

    rows: list[dict[str, Any]]
    means: list[dict[str, Any]]
    failures: list[tuple[str, str, str, str]]
    computed: int
    reused: int
    out_dir: Path
    parameters: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failures

    def to_markdown(self) -> str:
        """The table of ``summary.md``: method | trimap | SAD | MSE (x1e3) | Grad | Conn."""
        lines = [
            "| Method | Trimap | Images | SAD | MSE (x10^3) | Grad | Conn | Time (s) |",
            "|---|---|---:|---:|---:|---:|---:|---:|",
        ]
        for mean in self.means:
            lines.append(
                f"| {mean['method']} | {mean['trimap']} | {mean['images']} "
                f"| {mean['sad']:.2f} | {mean['mse'] * 1e3:.2f} | {mean['grad']:.2f} "
                f"| {mean['conn']:.2f} | {mean['runtime_s']:.2f} |"
            )
        sets = ", ".join(self.parameters.get("trimaps", []))
        v = self.versions
        notes = (
            f"Means over the images of `{self.parameters.get('layout', '?')}` "
            f"(trimap sets: {sets}); errors on the unknown pixels of each trimap, "
            f"predictions rounded to 8 bits. SAD, Grad and Conn are sums divided by 1000 and "
            f"MSE is multiplied by 1000, as Composition-1k papers print them; Time is the "
            f"mean seconds of the alpha estimation. classicmat {v.get('classicmat', '?')}, "
            f"numpy {v.get('numpy', '?')}, scipy {v.get('scipy', '?')}, "
            f"numba {v.get('numba', '?')}, Python {v.get('python', '?')}."
        )
        if self.failures:
            notes += f" INCOMPLETE: {len(self.failures)} run(s) failed and are not in the means."
        return "\n".join(lines) + "\n\n" + notes + "\n"


def _means(rows: list[dict[str, Any]], order: list[tuple[str, str]]) -> list[dict[str, Any]]:
    means = []
    for method, trimap_set in order:
        group = [r for r in rows if r["method"] == method and r["trimap"] == trimap_set]
        if not group:
            continue
        mean: dict[str, Any] = {"method": method, "trimap": trimap_set, "images": len(group)}
        for column in ("sad", "mse", "grad", "conn", "runtime_s"):
            mean[column] = sum(r[column] for r in group) / len(group)
        means.append(mean)
    return means


def _csv_text(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n"
    )
    writer.writeheader()
    for row in rows:
        writer.writerow({k: repr(v) if isinstance(v, float) else v for k, v in row.items()})
    return buffer.getvalue()


# ------------------------------------------------------------------ the runner


def evaluate_dataset(
    dataset_dir: str | os.PathLike[str],
    *,
    layout: str,
    methods: Sequence[str] = ("cf",),
    trimap: str | Sequence[str] | None = None,
    jobs: int = 1,
    out_dir: str | os.PathLike[str],
    save_alpha: bool = False,
    method_options: Mapping[str, Mapping[str, Any]] | None = None,
    progress: bool | str = True,
    preview: str | os.PathLike[str] | None = None,
    command: str | None = None,
) -> EvaluationSummary:
    """Run ``methods`` on every image of a dataset and write the errors; see the module doc.

    Parameters
    ----------
    dataset_dir : path-like
        The dataset folder.
    layout : {"alphamatting", "composition-1k", "simple"}
        Its folder layout (see :data:`LAYOUTS`).
    methods : sequence of str
        Alpha matting methods (``classicmat.METHODS``), evaluated in this order.
    trimap : str or sequence of str, optional
        Trimap set(s) of the layout; default all (``trimap1`` and ``trimap2``
        for ``alphamatting``), each giving its own rows.
    jobs : int
        Worker processes; ``1`` runs in this process. Rows and errors do not
        depend on ``jobs``.
    out_dir : path-like
        Output folder (created): ``results.csv``, ``results.json``,
        ``summary.md``, ``records/`` and, with ``save_alpha``, ``alpha/``.
    save_alpha : bool
        Write the 8-bit predictions to ``alpha/<method>/<trimap set>/<stem>.png``.
    method_options : mapping, optional
        ``{method: {option: value}}``; options not given take the method's
        defaults, and all are recorded in ``results.json``.
    progress : bool or {"auto", "bar", "lines", "off"}
        Progress on stderr; True means ``"auto"`` (a bar on a terminal).
    preview : path-like, optional
        Write a contact sheet PNG there (implies ``save_alpha``).
    command : str, optional
        The command line to record (default: ``sys.argv``).

    Returns
    -------
    EvaluationSummary

    Raises
    ------
    DatasetError
        Missing folders or files in the dataset.
    ValueError, TypeError
        Unknown layout, trimap set, method or option; ``jobs < 1``.
    """
    from ._progress import Progress
    from .alpha import METHODS

    methods = list(dict.fromkeys([methods] if isinstance(methods, str) else methods))
    if not methods:
        raise ValueError("methods must name at least one method")
    for method in methods:
        METHODS.entry(method)  # ValueError naming the valid ones
    given = dict(method_options or {})
    unknown = sorted(set(given) - set(methods))
    if unknown:
        raise ValueError(f"method_options names methods that are not evaluated: {unknown}")
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be an integer >= 1, got {jobs!r}")
    resolved = {m: resolve_options(m, given.get(m)) for m in methods}
    keys = {m: _options_key(m, resolved[m]) for m in methods}
    samples = find_samples(dataset_dir, layout=layout, trimap=trimap)
    sets = _trimap_sets(LAYOUTS[layout], trimap)
    save_alpha = save_alpha or preview is not None

    out = Path(out_dir)
    (out / "records").mkdir(parents=True, exist_ok=True)
    digests = {}
    for sample in samples:
        digests[sample.stem] = {
            "image": _sha256(sample.image),
            "alpha": _sha256(sample.alpha),
            **{f"trimap:{s}": _sha256(p) for s, p in sample.trimaps.items()},
        }
    tasks = []
    for method in methods:
        for trimap_set in sets:
            for sample in samples:
                where = Path(method) / trimap_set
                tasks.append(
                    _Task(
                        method=method,
                        trimap_set=trimap_set,
                        stem=sample.stem,
                        image=str(sample.image),
                        trimap=str(sample.trimaps[trimap_set]),
                        alpha=str(sample.alpha),
                        options=resolved[method],
                        key=keys[method],
                        digests={
                            "image": digests[sample.stem]["image"],
                            "trimap": digests[sample.stem][f"trimap:{trimap_set}"],
                            "alpha": digests[sample.stem]["alpha"],
                        },
                        record=str(out / "records" / where / f"{sample.stem}.{keys[method]}.json"),
                        alpha_out=str(out / "alpha" / where / f"{sample.stem}.png")
                        if save_alpha
                        else None,
                    )
                )
    for task in tasks:
        Path(task.record).parent.mkdir(parents=True, exist_ok=True)
        if task.alpha_out is not None:
            Path(task.alpha_out).parent.mkdir(parents=True, exist_ok=True)

    records: dict[int, dict[str, Any]] = {}
    for index, task in enumerate(tasks):
        record = _load_record(task)
        if record is not None:
            records[index] = record
    reused = len(records)
    todo = [i for i in range(len(tasks)) if i not in records]
    failures: dict[int, str] = {}
    mode = {True: "auto", False: "off"}.get(progress, progress)  # type: ignore[call-overload]
    with Progress(len(todo), label="evaluate", mode=mode) as bar:
        pending = [tasks[i] for i in todo]
        for position, ok, value in run_tasks(_evaluate_one, pending, jobs=jobs):
            index = todo[position]
            task = tasks[index]
            if ok:
                record, files = value
                try:
                    write_files(files)
                    records[index] = record
                except OSError as exc:
                    ok, value = False, one_line(exc)
            if not ok:
                failures[index] = value
            bar.update(f"{task.method} {task.trimap_set} {task.stem}", ok=ok)

    rows = []
    for index in range(len(tasks)):  # tasks are in the deterministic order
        if index in records:
            record = records[index]
            rows.append({column: record[column] for column in CSV_COLUMNS})
    order = [(m, s) for m in methods for s in sets]
    summary = EvaluationSummary(
        rows=rows,
        means=_means(rows, order),
        failures=[
            (tasks[i].method, tasks[i].trimap_set, tasks[i].stem, failures[i])
            for i in sorted(failures)
        ],
        computed=len(todo) - len(failures),
        reused=reused,
        out_dir=out,
        parameters={
            "dataset": str(Path(dataset_dir).resolve()),
            "layout": layout,
            "methods": methods,
            "trimaps": sets,
            "images": [s.stem for s in samples],
            "method_options": resolved,
            "jobs": jobs,
            "save_alpha": save_alpha,
            "alpha_quantisation": "8-bit: np.rint(255 * clip(alpha, 0, 1))",
            "metrics": "classicmat.metrics on the unknown pixels of the trimap; "
            "sad, grad, conn divided by 1000; mse plain (summary.md: x1000)",
        },
        versions=versions(),
    )
    document = {
        "command": command if command is not None else " ".join(sys.argv),
        "parameters": summary.parameters,
        "versions": summary.versions,
        "means": summary.means,
        "failures": [
            dict(zip(("method", "trimap", "image", "error"), f, strict=True))
            for f in summary.failures
        ],
        "rows": rows,
    }
    write_files(
        [
            (out / "results.csv", _csv_text(rows).encode()),
            (out / "results.json", (json.dumps(document, indent=1) + "\n").encode()),
            (out / "summary.md", summary.to_markdown().encode()),
        ]
    )
    if preview is not None and rows:
        _evaluation_sheet(preview, tasks, records, methods, sets, samples)
    return summary


# ------------------------------------------------------------------ contact sheet


def _evaluation_sheet(preview, tasks, records, methods, sets, samples) -> None:
    """Per image and trimap set: input, trimap, then each method's alpha and error map."""
    import numpy as np

    from .io import read_image

    header = ["input", "trimap"]
    kinds = ["image", "trimap"]
    for method in methods:
        header += [f"{method} alpha", f"{method} |error|"]
        kinds += ["alpha", "alpha"]
    by_key = {(t.method, t.trimap_set, t.stem): t for t in tasks}
    rows = []
    for trimap_set in sets:
        for sample in samples:
            cells: list[Any] = [str(sample.image), str(sample.trimaps[trimap_set])]
            truth = None
            for method in methods:
                task = by_key[(method, trimap_set, sample.stem)]
                if task.alpha_out is None or not Path(task.alpha_out).is_file():
                    blank = np.zeros((8, 8))
                    cells += [blank, blank]
                    continue
                if truth is None:
                    from ._validation import as_alpha

                    truth = as_alpha(str(sample.alpha), name="ground truth")
                alpha = read_image(task.alpha_out, kind="alpha").astype(np.float64) / 255.0
                cells += [alpha, np.abs(alpha - truth)]
            rows.append((f"{sample.stem} {trimap_set}", cells))
    from ._sheet import write_contact_sheet

    write_contact_sheet(preview, header, rows, kinds=kinds)
