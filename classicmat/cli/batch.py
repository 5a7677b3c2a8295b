"""``classicmat batch``: the alpha mattes of a folder of images and trimaps."""

from __future__ import annotations

import time
import warnings
from pathlib import Path

from ._common import (
    EXIT_FAILURE,
    EXIT_OK,
    PROG,
    Parser,
    UsageError,
    add_method_arguments,
    add_progress_options,
    add_scheduler_option,
    check_output,
    check_scheduler_option,
    error,
    given_method_options,
    jobs_type,
    method_options,
    progress_mode,
    show_warning,
)

EPILOG = f"""\
matching:
  each image <stem>.<ext> of IMAGES_DIR (png, jpg, jpeg, tif, tiff, bmp, webp)
  takes the trimap <stem>.<ext> or <stem>_trimap.<ext> of TRIMAPS_DIR. The two
  folders may be the same. An image with no trimap, with two (a.png and
  a_trimap.png), or whose stem another image shares (a.png and a.jpg) is
  reported and the others are processed.

outputs in OUT_DIR (created if missing):
  <stem>_alpha.png    8-bit gray alpha matte
  <stem>_cutout.png   with --cutout: RGBA, straight (not premultiplied) alpha,
                      foreground colours re-estimated (classicmat.cutout)
  An existing output is replaced; an input file never. The outputs of one
  image appear together or not at all.

A bad image (unreadable, sizes differ, no trimap) does not stop the others:
each is reported at the end in one line on stderr. Ctrl-C stops the worker
processes at once. --scheduler ADDRESS runs on a Dask distributed cluster
instead (its workers must see the folders at the same paths; this machine
writes the outputs).

exit status: 0 every image written; 1 some images failed; 2 usage error
(bad option, missing folder, no images); 130 interrupted.

example:
  {PROG} batch photos/ trimaps/ -o mattes/ --jobs 2 --cutout
"""


def parser() -> Parser:
    result = Parser(
        prog=f"{PROG} batch",
        description="Estimate the alpha matte of every image of IMAGES_DIR with its trimap "
        "from TRIMAPS_DIR.",
        epilog=EPILOG,
    )
    result.add_argument("images_dir", metavar="IMAGES_DIR", help="folder of images")
    result.add_argument("trimaps_dir", metavar="TRIMAPS_DIR", help="folder of trimaps")
    result.add_argument(
        "-o", "--output-dir", metavar="OUT_DIR", required=True, help="output folder"
    )
    add_method_arguments(result)
    result.add_argument(
        "--jobs", metavar="N", type=jobs_type, default=1, help="worker processes (default 1)"
    )
    result.add_argument(
        "--cutout", action="store_true", help="also write <stem>_cutout.png (RGBA, see below)"
    )
    result.add_argument(
        "--preview", metavar="PNG", help="write a contact sheet (input, trimap, alpha)"
    )
    add_scheduler_option(result)
    add_progress_options(result)
    return result


def run(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    for label, folder in (("images", args.images_dir), ("trimaps", args.trimaps_dir)):
        if not Path(folder).is_dir():
            raise UsageError(f"{label} folder not found: '{folder}'")
    out = Path(args.output_dir)
    if out.exists() and not out.is_dir():
        raise UsageError(f"output folder '{out}' is a file")
    if args.preview is not None:
        check_output("--preview", Path(args.preview), {}, {})
    _, options = method_options(args.method, given_method_options(args))
    check_scheduler_option(args)

    from .._warnings import ClassicmatWarning
    from ..batch import find_pairs, run_batch

    if not find_pairs(args.images_dir, args.trimaps_dir):
        raise UsageError(f"no images in '{args.images_dir}'")
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("default", ClassicmatWarning)
        warnings.showwarning = show_warning
        result = run_batch(
            args.images_dir,
            args.trimaps_dir,
            out,
            method=args.method,
            method_options=options,
            jobs=args.jobs,
            cutout=args.cutout,
            progress=progress_mode(args),
            preview=args.preview,
            scheduler=args.scheduler,
        )
    elapsed = time.perf_counter() - start
    if not args.quiet:
        failed = f", {len(result.failures)} failed" if result.failures else ""
        print(
            f"wrote {len(result.written)} of {result.total} alpha mattes to {out}"
            f"{failed} ({args.method}, {elapsed:.1f} s)"
        )
    for name, message in result.failures:
        error(f"{name}: {message}")
    return EXIT_FAILURE if result.failures else EXIT_OK
