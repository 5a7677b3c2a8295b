"""The reports of an evaluation: summary.md, results.csv, results.json, the contact sheet."""

from __future__ import annotations

import csv
import io
import json
import platform
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .records import CSV_COLUMNS

__all__ = ["EvaluationSummary", "means", "versions", "write_reports"]


def versions() -> dict[str, str]:
    """Versions of classicmat, its numerical dependencies, Python and the platform."""
    import numba
    import numpy
    import scipy

    from .._version import __version__

    return {
        "classicmat": __version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "numba": numba.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


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


def means(rows: list[dict[str, Any]], order: list[tuple[str, str]]) -> list[dict[str, Any]]:
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


def csv_text(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n"
    )
    writer.writeheader()
    for row in rows:
        writer.writerow({k: repr(v) if isinstance(v, float) else v for k, v in row.items()})
    return buffer.getvalue()


def write_reports(summary: EvaluationSummary, command: str | None = None) -> None:
    """Write results.csv, results.json and summary.md of ``summary``, together."""
    from .._files import write_files

    document = {
        "command": command if command is not None else " ".join(sys.argv),
        "parameters": summary.parameters,
        "versions": summary.versions,
        "means": summary.means,
        "failures": [
            dict(zip(("method", "trimap", "image", "error"), f, strict=True))
            for f in summary.failures
        ],
        "rows": summary.rows,
    }
    out = summary.out_dir
    write_files(
        [
            (out / "results.csv", csv_text(summary.rows).encode()),
            (out / "results.json", (json.dumps(document, indent=1) + "\n").encode()),
            (out / "summary.md", summary.to_markdown().encode()),
        ]
    )


def evaluation_sheet(preview, tasks, methods, sets, samples) -> None:
    """Per image and trimap set: input, trimap, then each method's alpha and error map."""
    import numpy as np

    from ..io import read_image

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
                    from .._validation import as_alpha

                    truth = as_alpha(str(sample.alpha), name="ground truth")
                alpha = read_image(task.alpha_out, kind="alpha").astype(np.float64) / 255.0
                cells += [alpha, np.abs(alpha - truth)]
            rows.append((f"{sample.stem} {trimap_set}", cells))
    from .._sheet import write_contact_sheet

    write_contact_sheet(preview, header, rows, kinds=kinds)
