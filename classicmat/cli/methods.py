"""``classicmat methods``: every alpha matting method, its paper and its options;
with ``--solvers``, every linear solver and its settings (``--solver_options``)."""

from __future__ import annotations

from ._common import EXIT_OK, PROG, Parser, method_registry, one_line


def parser() -> Parser:
    result = Parser(
        prog=f"{PROG} methods",
        description="List the alpha matting methods (--method NAME) with a summary, the "
        "paper each implements, and its options (--NAME VALUE or --option NAME=VALUE). "
        "Methods of installed plugins (entry points 'classicmat.methods') are listed too.",
    )
    result.add_argument(
        "--solvers",
        action="store_true",
        help="list the linear solvers (--solver NAME) and their settings "
        "(--solver_options NAME=VALUE,...) instead",
    )
    return result


def _solvers() -> list[str]:
    from ..solvers.registry import SOLVERS
    from ..solvers.settings import settings_of

    entries = list(SOLVERS)
    width = max(len(entry.name) for entry in entries)
    lines = []
    for entry in entries:
        lines.append(f"{entry.name:<{width}}  {entry.summary}")
        if entry.reference:
            lines.append(f"{'':<{width}}  {entry.reference}")
        if entry.name == "auto":
            continue
        if entry.name == "direct":
            groups = [
                ("for a system with pixel coordinates (a local Laplacian, cf's): multifrontal",
                 True),
                ("for the others (knn's): SuperLU", False),
            ]  # fmt: skip
        else:
            groups = [("", False)]
        for title, coords in groups:
            if title:
                lines.append(f"{'':<{width}}    {title}")
            for option in settings_of(entry.name, coords=coords):
                lines.append(f"{'':<{width}}    {option.name}  {option.describe()}")
    return lines


def run(argv: list[str]) -> int:
    from .._method import as_method

    args = parser().parse_args(argv)
    if args.solvers:
        print("\n".join(_solvers()))
        return EXIT_OK
    registry = method_registry()
    entries = list(registry)
    width = max(len(entry.name) for entry in entries)
    lines = []
    for entry in entries:
        summary = registry.plugin_summary(entry.name) if entry.plugin else entry.summary
        lines.append(f"{entry.name:<{width}}  {summary}")
        if entry.reference:
            lines.append(f"{'':<{width}}  {entry.reference}")
        try:
            func = as_method(entry.load())
        except Exception as exc:  # a broken plugin: said above, never fatal
            if not entry.plugin:  # pragma: no cover - built-ins always load
                lines.append(f"{'':<{width}}  (cannot list its options: {one_line(exc)})")
            continue
        for option in func.options:
            lines.append(f"{'':<{width}}    --{option.name}  {option.describe()}")
    for name, problem in registry.problems.items():
        lines.append(f"(plugin {name} not loaded: {problem})")
    print("\n".join(lines))
    return EXIT_OK
