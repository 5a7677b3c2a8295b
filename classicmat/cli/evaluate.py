"""``classicmat evaluate``: the errors papers print, for methods run on a dataset."""

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
    add_progress_options,
    add_scheduler_option,
    check_output,
    check_scheduler_option,
    error,
    jobs_type,
    method_options,
    method_registry,
    progress_mode,
    show_warning,
)

EPILOG = f"""\
layouts (files matched by stem; extensions may differ):
  alphamatting     input/, gt/, trimap1/, trimap2/ (alphamatting.com training
                   set); trimap sets trimap1 and trimap2, each its own rows
  composition-1k   merged/, alpha/ (or alpha_copy/), trimaps/: the
                   Composition-1k test set as GCA-Matting / MatteFormer
                   prepare it (same file names in the three folders); or
                   Adobe's archive as published, read in place (--dataset
                   Combined_Dataset/Test_set: merged/<fg>_<i>.png made by its
                   Composition_code.py, "Adobe-licensed images/alpha/<fg>.*"
                   shared by the 20 composites of a foreground,
                   "Adobe-licensed images/trimaps/<fg>_<i>.*")
  simple           image/, trimap/, alpha/

outputs in --out:
  results.csv      one row per image x method x trimap set (sad, mse, grad,
                   conn, runtime_s, ...); MSE plain, SAD/Grad/Conn in thousands
  results.json     rows, means, every method option (defaults resolved),
                   versions of classicmat, numpy, scipy, numba, Python, and
                   the command line
  summary.md       Markdown table of the means (MSE x 10^3) for a paper
  records/         one JSON file per finished image: a rerun reuses those
                   whose options and input files match (resume)
  alpha/           with --save-alpha: alpha/<method>/<trimap set>/<stem>.png

--jobs N runs N worker processes, each with cpu_count/N numba and BLAS
threads; rows and errors do not depend on N. --scheduler ADDRESS runs on the
workers of a Dask distributed cluster instead (dask scheduler / dask worker;
see docs/evaluation.md): they must see the dataset at the same paths, and
this machine writes every file; the rows are those of a local run.

exit status: 0 success; 2 usage error (bad option, missing dataset folder or
file); 1 some images failed (one line each on stderr); 130 interrupted
(rerun the same command to continue).

example:
  {PROG} evaluate --dataset data/alphamatting --layout alphamatting \\
      --methods cf --out results/ --jobs 2
"""


def parser() -> Parser:
    from ..evaluate import LAYOUTS

    parser = Parser(
        prog=f"{PROG} evaluate",
        description="Run alpha matting methods on a dataset and report the errors papers "
        "print (SAD, MSE, gradient, connectivity on the trimap's unknown region).",
        epilog=EPILOG,
    )
    parser.add_argument("--dataset", metavar="DIR", required=True, help="dataset folder")
    parser.add_argument(
        "--layout", required=True, choices=list(LAYOUTS), help="folder layout: %(choices)s"
    )
    parser.add_argument(
        "--methods",
        metavar="LIST",
        default="cf",
        help="comma-separated methods (default: %(default)s); see 'classicmat methods'",
    )
    parser.add_argument(
        "--trimap",
        metavar="NAME",
        help="trimap set (alphamatting: trimap1 or trimap2; default: every set of the layout)",
    )
    parser.add_argument(
        "--jobs", metavar="N", type=jobs_type, default=1, help="worker processes (default 1)"
    )
    parser.add_argument("--out", metavar="DIR", required=True, help="output folder (created)")
    parser.add_argument(
        "--save-alpha", action="store_true", help="write the 8-bit predictions under DIR/alpha/"
    )
    parser.add_argument(
        "--preview",
        metavar="PNG",
        help="write a contact sheet (input, trimap, each method's alpha and |alpha - gt|); "
        "implies --save-alpha",
    )
    parser.add_argument(
        "--option",
        metavar="METHOD.NAME=VALUE",
        action="append",
        default=[],
        help="a method option, for instance cf.epsilon=1e-6 or knn.n_neighbors=10,2 "
        "(repeatable); see 'classicmat methods'",
    )
    add_scheduler_option(parser)
    add_progress_options(parser)
    return parser


def _parse_method_list(text: str) -> list[str]:
    methods = [name.strip() for name in text.split(",") if name.strip()]
    valid = method_registry().names()
    if not methods:
        raise UsageError("argument --methods: expected at least one method name")
    for name in methods:
        if name not in valid:
            raise UsageError(
                f"argument --methods: unknown method {name!r} "
                f"(choose from {', '.join(repr(v) for v in valid)})"
            )
    return methods


def _parse_method_option_args(items: list[str], methods: list[str]) -> dict[str, dict]:
    """``["cf.epsilon=1e-6"]`` -> ``{"cf": {"epsilon": 1e-6}}``, parsed by each option's kind."""
    texts: dict[str, dict[str, str]] = {}
    for item in items:
        target, eq, value = item.partition("=")
        method, dot, name = target.partition(".")
        if not (eq and dot and method and name):
            raise UsageError(f"argument --option: expected METHOD.NAME=VALUE, got {item!r}")
        if method not in methods:
            raise UsageError(f"argument --option: method {method!r} is not in --methods")
        texts.setdefault(method, {})[name] = value
    options = {}
    for method, given in texts.items():
        try:
            _, options[method] = method_options(method, given, flags=False)
        except UsageError as exc:
            raise UsageError(f"argument --option: {exc}") from None
    return options


def run(argv: list[str]) -> int:
    import shlex

    args = parser().parse_args(argv)
    from ..evaluate import LAYOUTS, DatasetError

    methods = _parse_method_list(args.methods)
    options = _parse_method_option_args(args.option, methods)
    if args.trimap is not None and args.trimap not in LAYOUTS[args.layout].trimaps:
        sets = ", ".join(repr(n) for n in LAYOUTS[args.layout].trimaps)
        raise UsageError(
            f"argument --trimap: layout {args.layout!r} has no trimap set {args.trimap!r} "
            f"(choose from {sets})"
        )
    if not Path(args.dataset).is_dir():
        raise UsageError(f"dataset folder not found: '{args.dataset}'")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out '{out}' is a file, not a folder")
    if args.preview is not None:
        check_output("--preview", Path(args.preview), {}, {})
    check_scheduler_option(args)

    from .._warnings import ClassicmatWarning
    from ..evaluate import evaluate_dataset

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("default", ClassicmatWarning)
        warnings.showwarning = show_warning
        try:
            summary = evaluate_dataset(
                args.dataset,
                layout=args.layout,
                methods=methods,
                trimap=args.trimap,
                jobs=args.jobs,
                out_dir=out,
                save_alpha=args.save_alpha,
                method_options=options,
                progress=progress_mode(args),
                preview=args.preview,
                command=shlex.join([PROG, "evaluate", *argv]),
                scheduler=args.scheduler,
            )
        except DatasetError as exc:
            raise UsageError(str(exc)) from None
    elapsed = time.perf_counter() - start
    if not args.quiet:
        print(summary.to_markdown(), end="")
        print(
            f"\nwrote {out / 'results.csv'}, results.json, summary.md "
            f"({summary.computed} computed, {summary.reused} reused, {elapsed:.1f} s)"
        )
    for method, trimap_set, stem, message in summary.failures:
        error(f"{stem} ({method}, {trimap_set}): {message}")
    return EXIT_FAILURE if summary.failures else EXIT_OK
