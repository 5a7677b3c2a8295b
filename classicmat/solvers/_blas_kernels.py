"""BLAS and LAPACK called from numba kernels, where the GIL is released.

SciPy's Python wrappers (``scipy.linalg.blas``, ``scipy.linalg.lapack``) hold
the GIL while they run: two threads each calling ``dsyrk`` on 400 x 200
blocks took longer than one thread doing both (0.184 s against 0.138 s
here), so threads factorising disjoint subtrees of the multifrontal solver
did not run side by side, and each call cost about 30 us of Python. A numba
kernel can call the same routines, the BLAS and LAPACK that SciPy links,
through ``scipy.linalg.cython_blas`` and ``scipy.linalg.cython_lapack``
(plain C functions, Fortran conventions: every argument by address).

Their addresses are passed to the kernels as arguments (:func:`addresses`),
not compiled in as constants: a constant address would be wrong in the
next process, which loads the kernel from the disk cache
(:mod:`classicmat._jit`).
"""

from __future__ import annotations

import ctypes

import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

__all__ = ["addresses", "call_fortran"]


def _capsule_pointer(capsule) -> int:
    get_name = ctypes.pythonapi.PyCapsule_GetName
    get_name.restype = ctypes.c_char_p
    get_name.argtypes = [ctypes.py_object]
    get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
    get_pointer.restype = ctypes.c_void_p
    get_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
    return int(get_pointer(capsule, get_name(capsule)))


def addresses(*names: str) -> np.ndarray:
    """Addresses (int64) of SciPy's BLAS or LAPACK routines ``names`` (``"dsyrk"``, ...)."""
    from scipy.linalg import cython_blas, cython_lapack

    found = []
    for name in names:
        table = cython_blas.__pyx_capi__
        if name not in table:
            table = cython_lapack.__pyx_capi__
        found.append(_capsule_pointer(table[name]))
    return np.array(found, dtype=np.int64)


@intrinsic
def call_fortran(typingctx, address, arguments):
    """``call_fortran(address, (a0, a1, ...))``: call the routine at ``address``
    with the addresses ``a0, a1, ...`` (integers: ``array.ctypes.data`` plus an
    offset in bytes) as its pointer arguments; returns nothing."""
    if not isinstance(address, types.Integer) or not isinstance(arguments, types.BaseTuple):
        return None
    if not all(isinstance(member, types.Integer) for member in arguments):
        return None  # addresses: array.ctypes.data (uintp) plus offsets (int64)
    count = len(arguments)

    def codegen(context, builder, signature, args):
        pointer = ir.IntType(8).as_pointer()
        function = ir.FunctionType(ir.VoidType(), [pointer] * count)
        target = builder.inttoptr(args[0], function.as_pointer())
        values = [
            builder.inttoptr(builder.extract_value(args[1], i), pointer) for i in range(count)
        ]
        builder.call(target, values)
        return context.get_dummy_value()

    return types.void(address, arguments), codegen
