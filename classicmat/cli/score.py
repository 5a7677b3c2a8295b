"""``classicmat score``: the errors papers print, for predictions saved by any method."""

from __future__ import annotations

import os
import time
import warnings
from pathlib import Path

from ._common import (
    EXIT_FAILURE,
    EXIT_OK,
    PROG,
    Parser,
    UsageError,
    add_progress_options,
    add_scheduler_option,
    check_scheduler_option,
    error,
    jobs_type,
    progress_mode,
    show_warning,
)

EPILOG = f"""\
matching (by file stem; extensions may differ):
  each trimap <stem>.* of --trimap is one image; it takes the prediction
  <stem>.* (or <stem>_alpha.*, as classicmat batch names them) and the ground
  truth <stem>.*, or <foreground>.* for a stem <foreground>_<index> with no
  ground truth of its own (the original Composition-1k archive: one alpha
  per foreground, shared by its 20 composites). An image with no prediction
  or ground truth is reported and the others are scored (exit status 1).

predictions: 8-bit files / 255, 16-bit gray files / 65535 (full precision),
32-bit float files as they are. A prediction whose size differs from its
ground truth is an error, unless --resize (bilinear, said in the output).

output:
  stdout       the means: SAD, MSE (x10^3), Grad, Conn on the trimaps'
               unknown pixels; --markdown: as a Markdown table; --json: the
               rows, means, failures and parameters as JSON
  --out CSV    (default scores.csv) a header, one row per image: image, sad,
               mse, grad, conn, width, height, unknown_pixels, bits, resized;
               then the row image=(mean) with the means. MSE plain, SAD, Grad
               and Conn in thousands: the units of classicmat.sad, mse,
               gradient_error and connectivity_error (Deep Image Matting's
               evaluation code). Written atomically.

exit status: 0 every image scored; 1 some could not be (one line each on
stderr); 2 usage error (missing folder, no trimaps, bad option); 130
interrupted.

example:
  {PROG} score --pred results/alpha --gt data/gt --trimap data/trimap1 --jobs 2
"""


def parser() -> Parser:
    result = Parser(
        prog=f"{PROG} score",
        description="Score saved alpha mattes against their ground truth with the metrics of "
        "papers (SAD, MSE, gradient, connectivity on the trimap's unknown region).",
        epilog=EPILOG,
    )
    result.add_argument("--pred", metavar="DIR", required=True, help="predicted alpha mattes")
    result.add_argument("--gt", metavar="DIR", required=True, help="ground-truth alpha mattes")
    result.add_argument("--trimap", metavar="DIR", required=True, help="trimaps")
    result.add_argument(
        "--out",
        metavar="CSV",
        default="scores.csv",
        help="per-image scores and their means (default: %(default)s)",
    )
    result.add_argument(
        "--resize",
        action="store_true",
        help="resize predictions to the size of their ground truth (bilinear) instead of "
        "reporting them",
    )
    formats = result.add_mutually_exclusive_group()
    formats.add_argument(
        "--json", action="store_true", help="print everything as JSON instead of the table"
    )
    formats.add_argument(
        "--markdown", action="store_true", help="print the table of the means as Markdown"
    )
    result.add_argument(
        "--jobs", metavar="N", type=jobs_type, default=1, help="worker processes (default 1)"
    )
    add_scheduler_option(result)
    add_progress_options(result)
    return result


def _check_out(path: Path, folders: list[Path]) -> None:
    if path.is_dir():
        raise UsageError(f"--out '{path}' is an existing directory; give a file name")
    folder = path.parent
    if not folder.is_dir():
        raise UsageError(f"output directory '{folder}' does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"output directory '{folder}' is not writable")
    from .._files import IMAGE_EXTENSIONS

    if path.suffix.lower() in IMAGE_EXTENSIONS and any(
        folder.resolve() == f.resolve() for f in folders
    ):
        raise UsageError(f"--out '{path}' would be read as an image of '{folder}'; write a .csv")


def run(argv: list[str]) -> int:
    import shlex
    import sys

    args = parser().parse_args(argv)
    folders = []
    for label, folder in (("prediction", args.pred), ("ground-truth", args.gt),
                          ("trimap", args.trimap)):  # fmt: skip
        if not Path(folder).is_dir():
            raise UsageError(f"{label} folder not found: '{folder}'")
        folders.append(Path(folder))
    out = Path(args.out)
    _check_out(out, folders)
    check_scheduler_option(args)

    from .._files import list_images
    from .._warnings import ClassicmatWarning
    from ..score import score_predictions, write_csv

    trimaps, shared = list_images(args.trimap)
    if not trimaps and not shared:
        raise UsageError(f"no trimaps in '{args.trimap}'")
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("default", ClassicmatWarning)
        warnings.showwarning = show_warning
        summary = score_predictions(
            args.pred,
            args.gt,
            args.trimap,
            resize=args.resize,
            jobs=args.jobs,
            scheduler=args.scheduler,
            progress=progress_mode(args),
        )
    write_csv(summary, out)
    elapsed = time.perf_counter() - start
    if args.json:
        print(summary.to_json(shlex.join([PROG, "score", *argv])), end="")
    elif args.markdown:
        print(summary.to_markdown(), end="")
    elif not args.quiet:
        print(summary.to_text(), end="")
    if not args.quiet:
        failed = f", {len(summary.failures)} failed" if summary.failures else ""
        stream = sys.stderr if args.json or args.markdown else sys.stdout  # stdout: the data
        print(f"wrote {out} ({len(summary.rows)} scored{failed}, {elapsed:.1f} s)", file=stream)
    if summary.extra:
        shown = ", ".join(summary.extra[:5]) + (
            f" and {len(summary.extra) - 5} more" if len(summary.extra) > 5 else ""
        )
        print(
            f"{PROG}: warning: {len(summary.extra)} prediction(s) match no trimap and were not "
            f"scored: {shown}",
            file=sys.stderr,
        )
    for stem, message in summary.failures:
        error(f"{stem}: {message}")
    return EXIT_FAILURE if summary.failures else EXIT_OK
