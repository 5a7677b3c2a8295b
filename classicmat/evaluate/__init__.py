"""Evaluate alpha matting methods on a dataset, with the numbers papers print.

:func:`evaluate_dataset` (``classicmat evaluate``) runs each method on each
image of a dataset and trimap set, computes the four errors of
:mod:`classicmat.metrics` on the trimap's unknown region and writes

- ``results.csv``: one row per image x method x trimap set;
- ``results.json``: the rows, the means, the exact parameters (every option of
  every method, defaults and presets resolved), the library versions and the
  command line;
- ``summary.md``: a Markdown table of the means, ready for a paper.

Predictions are rounded to 8 bits (``np.rint(255 * alpha)``) before the
errors are computed, as when papers evaluate the PNG files their methods
write; ``--save-alpha`` writes exactly those 8-bit values.

The work is four steps: :func:`plan` (the dataset's files, the methods'
resolved options, one task per image x method x trimap set, the records
that can be reused), :func:`run` (the tasks left, here or in worker
processes; this process writes every file), :func:`summarise` (rows and
means) and :func:`report.write_reports`.

Layouts (:mod:`.datasets`)
--------------------------
``alphamatting``
    ``input/``, ``gt/``, ``trimap1/``, ``trimap2/`` (alphamatting.com training
    set). Trimap sets ``trimap1`` and ``trimap2``.
``composition-1k``
    ``merged/``, ``alpha/`` (or ``alpha_copy/``), ``trimaps/``: the
    Composition-1k test set as the GCA-Matting and MatteFormer code prepares
    it, where the composites, the alpha of each composite and the trimaps have
    the same file names (``<fg>_<bg index>.png``); or Adobe's archive as
    published (``Test_set``: ``merged/``, ``Adobe-licensed images/alpha/``
    with one alpha per foreground, ``Adobe-licensed images/trimaps/``), read
    in place. Trimap set ``trimaps``.
``simple``
    ``image/``, ``trimap/``, ``alpha/``. Trimap set ``trimap``.

Resume (:mod:`.records`)
------------------------
Each finished image writes a record (atomically, with its saved alpha); a
rerun reuses the records whose options and input files match.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .datasets import (
    LAYOUTS,
    DatasetError,
    Layout,
    Sample,
    find_samples,
    resolve_layout,
    trimap_sets,
)
from .records import CSV_COLUMNS, METRICS, Task, load_record, resolve_options
from .report import EvaluationSummary, versions

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


@dataclass
class Plan:
    """What an evaluation will do: its tasks, and the records already done."""

    dataset: Path
    layout: str
    methods: list[str]
    sets: list[str]
    samples: list[Sample]
    resolved: dict[str, dict[str, Any]]
    tasks: list[Task]
    out: Path
    save_alpha: bool
    jobs: int
    done: dict[int, dict[str, Any]]  # task index -> reused record
    scheduler: Any = None  # a Dask scheduler address or client, or None (local)
    folders: dict[str, Any] | None = None  # the folders read (layouts with variants)


def plan(
    dataset_dir: str | os.PathLike[str],
    *,
    layout: str,
    methods: Sequence[str],
    trimap: str | Sequence[str] | None,
    jobs: int,
    out_dir: str | os.PathLike[str],
    save_alpha: bool,
    method_options: Mapping[str, Mapping[str, Any]] | None,
    scheduler: Any = None,
) -> Plan:
    """Check the arguments, list the dataset, make the tasks and find reusable records."""
    from .._tasks import check_scheduler
    from ..alpha import METHODS
    from .records import options_key, sha256

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
    if scheduler is not None:
        check_scheduler(scheduler)  # ImportError naming the extra, before any work
        if jobs != 1:
            raise ValueError(f"jobs={jobs} and scheduler= are exclusive; give one of them")
    resolved = {m: resolve_options(m, given.get(m)) for m in methods}
    keys = {m: options_key(m, resolved[m]) for m in methods}
    samples = find_samples(dataset_dir, layout=layout, trimap=trimap)
    sets = trimap_sets(LAYOUTS[layout], trimap)
    root, spec = resolve_layout(dataset_dir, layout)
    folders = {
        "images": str(root / spec.images),
        "alpha": str(samples[0].alpha.parent),
        "trimaps": {s: str(root / spec.trimaps[s]) for s in sets},
        "alpha_per": "foreground (<foreground>_<index> -> <foreground>)"
        if spec.shared_alpha
        else "image (the same stem)",
    }

    out = Path(out_dir)
    hashed: dict[Path, str] = {}  # Composition-1k's archive: one alpha for 20 composites

    def digest(path: Path) -> str:
        if path not in hashed:
            hashed[path] = sha256(path)
        return hashed[path]

    digests = {}
    for sample in samples:
        digests[sample.stem] = {
            "image": digest(sample.image),
            "alpha": digest(sample.alpha),
            **{f"trimap:{s}": digest(p) for s, p in sample.trimaps.items()},
        }
    tasks = []
    for method in methods:
        for trimap_set in sets:
            where = Path(method) / trimap_set
            alpha_dir = out / "alpha" / where
            for sample in samples:
                tasks.append(
                    Task(
                        method=method,
                        trimap_set=trimap_set,
                        stem=sample.stem,
                        # absolute: the same paths for workers in other folders
                        image=os.path.abspath(sample.image),
                        trimap=os.path.abspath(sample.trimaps[trimap_set]),
                        alpha=os.path.abspath(sample.alpha),
                        options=resolved[method],
                        key=keys[method],
                        digests={
                            "image": digests[sample.stem]["image"],
                            "trimap": digests[sample.stem][f"trimap:{trimap_set}"],
                            "alpha": digests[sample.stem]["alpha"],
                        },
                        record=str(out / "records" / where / f"{sample.stem}.{keys[method]}.json"),
                        alpha_out=str(alpha_dir / f"{sample.stem}.png") if save_alpha else None,
                    )
                )
    done = {}
    for index, task in enumerate(tasks):
        record = load_record(task)
        if record is not None:
            done[index] = record
    return Plan(
        Path(dataset_dir), layout, methods, sets, samples, resolved, tasks, out, save_alpha,
        jobs, done, scheduler, folders,
    )  # fmt: skip


def run(plan: Plan, *, progress: bool | str = True) -> tuple[dict[int, dict], dict[int, str]]:
    """Run the tasks not done yet; return ``(records, failures)`` by task index.

    Workers (local processes, or the workers of a Dask cluster) return each
    record with the files to write; this process writes them
    (:func:`classicmat._files.write_files`: the alpha and its record
    together), so an interrupted run leaves only complete records.
    """
    from .._files import write_files
    from .._progress import Progress
    from .._tasks import one_line, run_tasks
    from .._workers import worker_check
    from .records import evaluate_one, task_inputs

    for task in plan.tasks:
        Path(task.record).parent.mkdir(parents=True, exist_ok=True)
        if task.alpha_out is not None:
            Path(task.alpha_out).parent.mkdir(parents=True, exist_ok=True)
    records = dict(plan.done)
    failures: dict[int, str] = {}
    todo = [i for i in range(len(plan.tasks)) if i not in records]
    mode = {True: "auto", False: "off"}.get(progress, progress)  # type: ignore[call-overload]
    with Progress(len(todo), label="evaluate", mode=mode) as bar:
        pending = [plan.tasks[i] for i in todo]
        cluster = {}
        if plan.scheduler is not None:
            cluster = {
                "scheduler": plan.scheduler,
                "inputs": task_inputs,
                "worker_check": worker_check(plan.methods),
                "status": bar.set_status,
            }
        for position, ok, value in run_tasks(evaluate_one, pending, jobs=plan.jobs, **cluster):
            index = todo[position]
            task = plan.tasks[index]
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
    return records, failures


def summarise(
    plan: Plan, records: dict[int, dict[str, Any]], failures: dict[int, str]
) -> EvaluationSummary:
    """The rows (in task order), the means per method x trimap set, the parameters."""
    from .._tasks import scheduler_address
    from .report import means

    rows = [
        {column: records[index][column] for column in CSV_COLUMNS}
        for index in range(len(plan.tasks))  # tasks are in the deterministic order
        if index in records
    ]
    order = [(m, s) for m in plan.methods for s in plan.sets]
    tasks = plan.tasks
    return EvaluationSummary(
        rows=rows,
        means=means(rows, order),
        failures=[
            (tasks[i].method, tasks[i].trimap_set, tasks[i].stem, failures[i])
            for i in sorted(failures)
        ],
        computed=len(tasks) - len(plan.done) - len(failures),
        reused=len(plan.done),
        out_dir=plan.out,
        parameters={
            "dataset": str(plan.dataset.resolve()),
            "layout": plan.layout,
            "folders": plan.folders,
            "methods": plan.methods,
            "trimaps": plan.sets,
            "images": [s.stem for s in plan.samples],
            "method_options": plan.resolved,
            "jobs": plan.jobs,
            "scheduler": scheduler_address(plan.scheduler),
            "save_alpha": plan.save_alpha,
            "alpha_quantisation": "8-bit: np.rint(255 * clip(alpha, 0, 1))",
            "metrics": "classicmat.metrics on the unknown pixels of the trimap; "
            "sad, grad, conn divided by 1000; mse plain (summary.md: x1000)",
        },
        versions=versions(),
    )


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
    scheduler: Any = None,
) -> EvaluationSummary:
    """Run ``methods`` on every image of a dataset and write the errors; see the module doc.

    Parameters
    ----------
    dataset_dir : path-like
        The dataset folder.
    layout : {"alphamatting", "composition-1k", "simple"}
        Its folder layout (see :data:`LAYOUTS`).
    methods : sequence of str
        Alpha matting methods (``classicmat.METHODS``, plugins included),
        evaluated in this order.
    trimap : str or sequence of str, optional
        Trimap set(s) of the layout; default all (``trimap1`` and ``trimap2``
        for ``alphamatting``), each giving its own rows.
    jobs : int
        Worker processes; ``1`` runs in this process. Rows and errors do not
        depend on ``jobs``.
    scheduler : str or distributed.Client, optional
        Run on a Dask distributed cluster instead of local processes: a
        scheduler address (``"tcp://10.0.0.5:8786"``) or a client. The
        workers must read the dataset at the same paths (a shared
        filesystem) and have the same classicmat and methods installed;
        this process still writes every file, and the rows equal those of a
        local run. Needs ``pip install "classicmat[distributed]"``.
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
        Unknown layout, trimap set, method or option; ``jobs < 1``; ``jobs``
        and ``scheduler`` both given.
    ImportError
        ``scheduler`` given without dask.distributed installed.
    OSError
        The scheduler cannot be reached.
    classicmat._tasks.RunError
        No worker can run the tasks (a worker process died, no worker of the
        cluster reads the dataset, ...); the records written so far are kept.
    """
    from .report import evaluation_sheet, write_reports

    steps = plan(
        dataset_dir,
        layout=layout,
        methods=methods,
        trimap=trimap,
        jobs=jobs,
        out_dir=out_dir,
        save_alpha=save_alpha or preview is not None,
        method_options=method_options,
        scheduler=scheduler,
    )
    steps.out.mkdir(parents=True, exist_ok=True)
    records, failures = run(steps, progress=progress)
    summary = summarise(steps, records, failures)
    write_reports(summary, command)
    if preview is not None and summary.rows:
        evaluation_sheet(preview, steps.tasks, steps.methods, steps.sets, steps.samples)
    return summary
