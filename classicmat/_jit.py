"""One place for the numba defaults of every kernel in classicmat.

Kernels are compiled lazily, on their first call, and cached on disk
(``cache=True``) so that later processes load them instead of compiling.
Importing this module imports numba, so only kernel modules import it.
"""

from __future__ import annotations

import numba

JIT_OPTIONS = {"cache": True, "nogil": True}


def njit(*args, **kwargs):
    """``numba.njit`` with the project's defaults (``cache=True, nogil=True``)."""
    options = {**JIT_OPTIONS, **kwargs}
    if args and callable(args[0]) and len(args) == 1:
        return numba.njit(**options)(args[0])
    return numba.njit(*args, **options)


prange = numba.prange
