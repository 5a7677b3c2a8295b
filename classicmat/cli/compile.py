"""``classicmat compile``: compile every numba kernel now and keep it in the cache."""

from __future__ import annotations

from ._common import EXIT_OK, PROG, Parser, UsageError, method_registry

EPILOG = f"""\
The kernels of classicmat are compiled on first use and kept in a cache on
disk, so only the first run after an installation is slow. Run this once at
build time (a Docker layer, a CI cache step) to pay that cost there:

  RUN pip install classicmat && {PROG} compile

Where the cache lives: $CLASSICMAT_CACHE_DIR if set, else $NUMBA_CACHE_DIR if
set, else the user cache folder (~/.cache/classicmat on Linux), one folder
per classicmat version. An entry is recompiled when its source file, the
numba version or the CPU changes; deleting the folder is always safe.

exit status: 0 done; 2 usage error (unknown method).
"""


def parser() -> Parser:
    result = Parser(
        prog=f"{PROG} compile",
        description="Compile every numba kernel of the methods (default: all built-in "
        "methods), the solvers and foreground estimation into the kernel cache.",
        epilog=EPILOG,
    )
    result.add_argument(
        "--method",
        metavar="NAME",
        action="append",
        help="only this method (repeatable; default: every built-in method)",
    )
    result.add_argument("-q", "--quiet", action="store_true", help="print nothing")
    return result


def run(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    builtins = [e.name for e in method_registry().builtins() if e.name != "onnx"]
    for name in args.method or []:
        if name not in builtins:
            raise UsageError(
                f"argument --method: {name!r} is not a built-in method with kernels "
                f"(choose from {', '.join(builtins)})"
            )
    from .._jit import cache_dir
    from .._warmup import compile_kernels

    reports = compile_kernels(args.method or builtins)
    if not args.quiet:
        width = max(len(r.name) for r in reports)
        for r in reports:
            print(
                f"{r.name:<{width}}  {r.seconds:6.2f} s  {r.compiled} compiled, "
                f"{r.loaded} loaded from the cache"
            )
        compiled = sum(r.compiled for r in reports)
        total = sum(r.seconds for r in reports)
        print(f"{compiled} kernel signatures compiled in {total:.1f} s; cache: {cache_dir()}")
    return EXIT_OK
