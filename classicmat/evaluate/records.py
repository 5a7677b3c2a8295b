"""One evaluation task (a method on one image and trimap), its record, and resume.

Each finished task writes a record ``records/<method>/<trimap set>/<stem>.<key>.json``
where ``<key>`` hashes the method's resolved options. A rerun reuses a
record whose key and input file hashes (SHA-256) match, and recomputes the
others: an interrupted run continues where it stopped, and a run with other
options recomputes everything.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["CSV_COLUMNS", "METRICS", "RECORD_VERSION", "Task", "load_record", "resolve_options"]

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


def resolve_options(method: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Every keyword option of ``method``: the given ones, and the defaults of the others.

    Examples
    --------
    >>> opts = resolve_options("cf", {"epsilon": 1e-6})
    >>> opts["epsilon"], opts["radius"]
    (1e-06, 1)
    """
    from .._method import as_method
    from ..alpha import METHODS

    func = as_method(METHODS.get(method))
    resolved = func.check(dict(options or {}), what=f"method {method!r}")
    try:
        json.dumps(resolved, allow_nan=False)
    except (TypeError, ValueError):
        raise TypeError(
            f"options of method {method!r} must be JSON numbers, strings, booleans or None, "
            f"got {resolved!r}"
        ) from None
    return resolved


def options_key(method: str, resolved: Mapping[str, Any]) -> str:
    text = json.dumps({"method": method, "options": resolved}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class Task:
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


def task_inputs(task: Task) -> tuple[str, str, str]:
    """The files a task reads (for a cluster run to check that its workers read them)."""
    return task.image, task.trimap, task.alpha


_WARMED: set[str] = set()


def _estimate_alpha(image: Any, trimap: Any, method: str, options: Mapping[str, Any]) -> Any:
    """The call that is timed (a module function, so that tests can count the calls)."""
    from ..alpha import estimate_alpha

    return estimate_alpha(image, trimap, method=method, **options)


def _warm_up(method: str, options: Mapping[str, Any]) -> None:
    """Load the method's numba kernels on a tiny image, so runtimes exclude that."""
    import numpy as np

    key = options_key(method, options)
    if key in _WARMED:
        return
    _WARMED.add(key)
    image = np.zeros((8, 8, 3))
    image[:, 4:] = 1.0
    trimap = np.full((8, 8), 0.5)
    trimap[:, 0] = 0.0
    trimap[:, -1] = 1.0
    try:
        from ..alpha import estimate_alpha

        estimate_alpha(image, trimap, method=method, **options)
    except Exception:  # the real image will report any problem
        pass


def evaluate_one(task: Task) -> tuple[dict[str, Any], list[tuple[str, bytes]]]:
    """Run one method on one image and trimap: its record, and the files to write.

    The files (the 8-bit alpha if saved, then the record) are written by the
    calling process, together (:func:`classicmat._files.write_files`).
    """
    import warnings

    import numpy as np

    from .. import metrics
    from .._validation import as_alpha, as_trimap
    from ..io import encode_image, read_image
    from ..trimap import masks_of

    image = read_image(task.image, kind="image", name="image")
    trimap = as_trimap(read_image(task.trimap, kind="trimap", name="trimap"))
    alpha_true = as_alpha(read_image(task.alpha, kind="alpha", name="ground truth"))
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
    record.update(metrics.errors(alpha8, alpha_true, trimap))
    record.update(
        runtime_s=runtime,
        width=int(alpha8.shape[1]),
        height=int(alpha8.shape[0]),
        unknown_pixels=int(masks_of(trimap).is_unknown.sum()),
    )
    files = []
    if task.alpha_out is not None:
        files.append((task.alpha_out, encode_image(task.alpha_out, alpha8)))
    files.append((task.record, json.dumps(record, indent=1).encode()))
    return record, files


def load_record(task: Task) -> dict[str, Any] | None:
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
