"""One place for the numba defaults of every kernel in classicmat, and their disk cache.

Kernels are compiled lazily, on their first call, and cached on disk so that
later processes load them instead of compiling.

Where the cache lives
---------------------
Not next to the sources (numba's default, ``__pycache__`` inside the
installed package): files written into ``site-packages/classicmat/`` after
installation are unknown to pip, survive ``pip uninstall`` and leave a
``classicmat/`` folder without ``__init__.py`` behind, which Python then
imports as an empty namespace package in place of a later editable install.
The cache goes to :func:`cache_dir` instead:

1. ``$CLASSICMAT_CACHE_DIR`` if set;
2. else numba's ``$NUMBA_CACHE_DIR`` if set (numba's own rule, unchanged);
3. else the user cache folder: ``$XDG_CACHE_HOME/classicmat`` or
   ``~/.cache/classicmat`` on Linux, ``~/Library/Caches/classicmat`` on macOS,
   ``%LOCALAPPDATA%\\classicmat\\Cache`` on Windows.

Inside it, one folder per classicmat version and source folder. numba checks
each entry against the source file it was compiled from, the numba version
and the CPU, and recompiles on any change; a new classicmat version starts a
new folder. Deleting the folder is always safe.

Kernels return scalars only (or nothing): their array outputs are allocated
by the caller. numba boxes a returned array by calling back into Python, and
a Ctrl-C landing in that call crashes the process (see
:mod:`classicmat._interrupt`); ``tests/test_jit.py`` checks every kernel.

Kernels are serial: parallel work is a serial kernel called on spans of
rows or pixels by :mod:`classicmat._parallel` (kernels release the GIL).
``parallel=True`` (``prange``) would make each kernel 2.5-3.5 times as
expensive to compile, and the first run after install is mostly compilation.

Importing this module imports numba, so only kernel modules import it.
"""

from __future__ import annotations

import os

from ._interrupt import deferred_sigint, import_whole

numba = import_whole("numba")  # a Ctrl-C here would leave numba half imported

JIT_OPTIONS = {"cache": True, "nogil": True}

#: Environment variable that overrides :func:`cache_dir`.
CACHE_DIR_VARIABLE = "CLASSICMAT_CACHE_DIR"


def cache_dir() -> str:
    """The folder of classicmat's compiled-kernel cache (see the module docstring).

    >>> import os
    >>> os.path.isabs(cache_dir())
    True
    """
    override = os.environ.get(CACHE_DIR_VARIABLE)
    if override:
        return os.path.abspath(override)
    if numba.config.CACHE_DIR:
        return os.path.abspath(numba.config.CACHE_DIR)
    from numba.misc.appdirs import AppDirs

    return AppDirs(appname="classicmat", appauthor=False).user_cache_dir


def kernel_cache_folder(py_file: str) -> str | None:
    """The cache folder of the kernels defined in the source file ``py_file``
    (``None`` if numba's caching internals are not the expected ones)."""
    try:
        from numba.core.caching import _CacheLocator
    except ImportError:  # pragma: no cover - a numba release with other internals
        return None
    subpath = getattr(_CacheLocator, "get_suitable_cache_subpath", None)
    if subpath is None:  # pragma: no cover - same
        return None
    from ._version import __version__

    return os.path.join(cache_dir(), __version__, subpath(py_file))


def _cache_classes():
    """numba cache classes that store classicmat's kernels in :func:`cache_dir`.

    Built from numba's caching module (``FunctionCache`` with one more cache
    locator in front of numba's own); ``None`` when that module does not
    have the expected shape, in which case numba's default cache is used.
    """
    try:
        from numba.core import caching
    except ImportError:  # pragma: no cover - numba without the caching module
        return None
    mixin = getattr(caching, "_SourceFileBackedLocatorMixin", None)
    base = getattr(caching, "_CacheLocator", None)
    impl = getattr(caching, "CompileResultCacheImpl", None)
    cache = getattr(caching, "FunctionCache", None)
    if None in (mixin, base, impl, cache) or not hasattr(impl, "_locator_classes"):
        return None  # pragma: no cover - a numba release with other internals

    class ClassicmatCacheLocator(mixin, base):
        """Cache files of a kernel under ``cache_dir()/<version>/<source folder>``."""

        def __init__(self, py_func, py_file):
            self._py_file = py_file
            self._lineno = py_func.__code__.co_firstlineno
            self._cache_path = kernel_cache_folder(py_file)

        def get_cache_path(self):
            return self._cache_path

    class ClassicmatCacheImpl(impl):
        _locator_classes = [ClassicmatCacheLocator, *impl._locator_classes]

    class ClassicmatFunctionCache(cache):
        _impl_class = ClassicmatCacheImpl

    return ClassicmatFunctionCache


_FUNCTION_CACHE = _cache_classes()


def njit(func=None, *, signatures=(), **kwargs):
    """``numba.njit`` with the project's defaults (``cache=True, nogil=True``).

    Use bare (``@njit``) or with options (``@njit(parallel=True)``); the
    disk cache of the kernel is kept in :func:`cache_dir`.

    ``signatures`` (numba signature strings) are for small helpers that other
    kernels call with constant arguments: without them numba compiles one
    more version of the helper per distinct constant (``Literal`` types),
    with them every call converts to the one compiled version. They are
    compiled (or loaded from the cache) when the kernel module is imported,
    which only kernel modules do, on first use.
    """
    options = {**JIT_OPTIONS, **kwargs}
    cache = options.pop("cache")

    def decorate(function):
        dispatcher = numba.njit(**options)(function)
        if cache:
            if _FUNCTION_CACHE is None:  # pragma: no cover - see _cache_classes
                dispatcher.enable_caching()
            else:
                dispatcher._cache = _FUNCTION_CACHE(dispatcher.py_func)
        if signatures:
            with deferred_sigint():
                for signature in signatures:
                    dispatcher.compile(signature)
            dispatcher.disable_compile()
        # Compiling or loading from the cache must not be cut by Ctrl-C
        # (classicmat._interrupt): the signal is delivered right after.
        compile_for_args = dispatcher._compile_for_args

        def _compile_for_args(*args, **kwargs):
            with deferred_sigint():
                return compile_for_args(*args, **kwargs)

        dispatcher._compile_for_args = _compile_for_args
        return dispatcher

    return decorate if func is None else decorate(func)


prange = numba.prange
