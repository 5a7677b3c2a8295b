"""The contract of an alpha matting method, in one decorator.

A method is a function ``core(image, trimap, *, option=default, ...) ->
alpha`` that receives validated inputs: ``image`` an (H, W, C) C-contiguous
float64 array in [0, 1] (C = 1 or 3), ``trimap`` an (H, W) float64 array in
[0, 1] of the same size, and options already checked. :func:`matting_method`
turns it into the public function, which accepts what users pass (arrays of
any supported dtype, PIL images, paths), checks it all once, at the door,
and calls the core.

The decorated function carries its contract:

- ``options``: the :class:`~classicmat._options.Option` of every keyword
  option, with the defaults of the signature;
- ``check(options, what=None)``: the options (a mapping) checked,
  defaults (and presets) filled in, without any data (the command line
  calls it before reading an image); ``what`` names the method in messages;
- ``core``: the undecorated function, for callers whose inputs are
  validated already (``estimate_alpha`` after ``trimap="auto"``, the
  command line);
- ``run(inputs, values)``: ``core(*inputs, **values)`` for a list
  ``inputs = [image, trimap]`` that it empties, so that the caller keeps no
  reference to the arrays while the core runs (see ``_handover``);
- ``trimap``: ``"required"`` or ``"optional"``.

Methods of other packages (the ``classicmat.methods`` entry points) go
through :func:`as_method`, with options derived from their signature.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ._interrupt import restores_interrupt
from ._options import REQUIRED, Option, check_values, options_from_signature

__all__ = ["as_method", "matting_method", "validate_inputs"]


def validate_inputs(image: Any, trimap: Any, *, trimap_required: bool = True):
    """``(image, trimap)`` as the cores take them; ``trimap`` may stay None if optional."""
    from ._validation import as_image, as_trimap, check_same_size

    image = as_image(image)
    if trimap is None and not trimap_required:
        return image, None
    trimap = as_trimap(trimap)
    check_same_size(image, trimap)
    return image, trimap


def _bind(core: Callable, options: Sequence[Option]) -> tuple[Option, ...]:
    """The options with the defaults of ``core``'s signature; every keyword described."""
    by_name = {option.name: option for option in options}
    bound = []
    for parameter in inspect.signature(core).parameters.values():
        if parameter.kind is not inspect.Parameter.KEYWORD_ONLY:
            continue
        if parameter.name not in by_name:
            raise TypeError(f"{core.__qualname__}: option {parameter.name!r} is not described")
        default = REQUIRED if parameter.default is inspect.Parameter.empty else parameter.default
        bound.append(by_name.pop(parameter.name).with_default(default))
    if by_name:
        raise TypeError(f"{core.__qualname__}: described options {sorted(by_name)} not taken")
    return tuple(bound)


def _handover(names: tuple[str, ...]) -> Callable:
    """``call(core, [image, trimap], values)`` -> ``core(image, trimap, **values)``.

    The validated arrays are often the largest objects alive (240 MB for a
    10-megapixel image), and a core frees them once its system is built,
    before its memory peak. A call with ``**values`` keeps its arguments
    referenced by the caller until it returns; a call with explicit keyword
    arguments, of values popped off a list, moves them into the core's frame
    (CPython >= 3.11). So the call is written out for the method's option
    names, once, when the method is defined.
    """
    keywords = ", ".join(f"{name}=values[{name!r}]" for name in names)
    source = (
        "def call(core, inputs, values):\n"
        f"    return core(inputs.pop(0), inputs.pop(0){', ' if names else ''}{keywords})\n"
    )
    namespace: dict[str, Any] = {"__name__": __name__}  # a frame of this module
    exec(source, namespace)  # names are the parameters of a signature: identifiers
    return namespace["call"]


def _make(
    core: Callable,
    options: tuple[Option, ...],
    trimap_mode: str,
    resolve: Callable[[dict], dict] | None,
    ahead: Callable[[dict], Sequence[str]] | None = None,
    scribbles: bool = True,
) -> Callable:
    def check(given: Mapping[str, Any] | None = None, *, what: str | None = None) -> dict:
        values = check_values(options, dict(given or {}), what or core.__qualname__)
        return values if resolve is None else resolve(values)

    call = _handover(tuple(option.name for option in options))

    @restores_interrupt
    @functools.wraps(core)
    def method(image: Any, trimap: Any = None, **given: Any):
        values = check(given)
        inputs = list(validate_inputs(image, trimap, trimap_required=trimap_mode == "required"))
        del image, trimap
        return call(core, inputs, values)

    method.__signature__ = inspect.signature(core)  # type: ignore[attr-defined]
    method.options = options  # type: ignore[attr-defined]
    method.check = check  # type: ignore[attr-defined]
    method.core = core  # type: ignore[attr-defined]
    method.run = restores_interrupt(functools.partial(call, core))  # type: ignore[attr-defined]
    method.trimap = trimap_mode  # type: ignore[attr-defined]
    method.ahead = ahead or _nothing_ahead  # type: ignore[attr-defined]
    method.scribbles = scribbles  # type: ignore[attr-defined]
    return method


def _nothing_ahead(values: Mapping[str, Any]) -> tuple[str, ...]:
    return ()


def matting_method(
    *options: Option,
    trimap: str = "required",
    resolve: Callable[[dict], dict] | None = None,
    ahead: Callable[[dict], Sequence[str]] | None = None,
    scribbles: bool = True,
) -> Callable[[Callable], Callable]:
    """Decorate a method's core: validate inputs and options once, then call it.

    Parameters
    ----------
    *options : Option
        One for each keyword-only parameter of the core (its default comes
        from the signature); a parameter without one, or an option the core
        does not take, is a ``TypeError`` when the module is imported.
    trimap : {"required", "optional"}
        ``"optional"``: ``None`` is passed through (trimap-free networks).
    resolve : callable, optional
        ``resolve(values) -> values``: fills in what depends on other
        options (a preset's settings) and raises for combinations that are
        invalid together (``max_window < window``). Its result is what the
        core receives and what ``classicmat evaluate`` records.
    ahead : callable, optional
        ``ahead(values) -> kernel modules`` that a call with these (checked)
        options compiles late in its run (the direct solver's): on a cold
        cache the command line compiles them in a second process meanwhile
        (:mod:`classicmat._ahead`).
    scribbles : bool
        Whether the method works from a few strokes (nearly every pixel
        unknown), as the Laplacian methods do; ``False`` for methods that
        need known samples around every unknown pixel (sampling methods)
        or were trained on trimaps (networks): ``--scribbles`` refuses them.
    """
    if trimap not in ("required", "optional"):
        raise ValueError(f"trimap must be 'required' or 'optional', got {trimap!r}")

    def decorate(core: Callable) -> Callable:
        return _make(core, _bind(core, options), trimap, resolve, ahead, scribbles)

    return decorate


def first_output(method: Callable, *, name: str, doc: str) -> Callable:
    """A method returning only the first of ``method``'s outputs (alpha of ``(alpha, F, B)``).

    Same options, checks and signature as ``method``; for a method like
    Bayesian matting whose full function also returns colour estimates.
    """

    def core(image: Any, trimap: Any, **values: Any):
        return method.core(image, trimap, **values)[0]

    core.__signature__ = inspect.signature(method.core)  # type: ignore[attr-defined]
    core.__name__ = core.__qualname__ = name
    core.__doc__ = doc
    core.__module__ = method.__module__
    wrapped = _make(core, method.options, method.trimap, None, method.ahead, method.scribbles)
    wrapped.check = method.check  # type: ignore[attr-defined]
    return wrapped


def as_method(func: Callable) -> Callable:
    """A plugin's ``func(image, trimap, *, option=default, ...)`` under the method contract.

    Raises ``TypeError`` when the signature does not fit (fewer than two
    positional parameters, or options that are not keyword-only).
    """
    if getattr(func, "core", None) is not None and getattr(func, "options", None) is not None:
        return func  # decorated with matting_method already
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{func!r} has no signature: {exc}") from None
    positional = [
        p
        for p in signature.parameters.values()
        if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ]
    needs_two = len(positional) < 2
    if needs_two or any(p.default is not inspect.Parameter.empty for p in positional[:2]):
        raise TypeError(
            f"{getattr(func, '__qualname__', func)!r} must take (image, trimap, *, option=..., "
            f"...), got {signature}"
        )
    if len(positional) > 2:
        raise TypeError(
            f"{getattr(func, '__qualname__', func)!r}: options must be keyword-only "
            f"(after '*'), got {signature}"
        )
    return _make(func, options_from_signature(func), "required", None)
