"""Matting Laplacians and the linear systems built from them.

- :mod:`.system`: any Laplacian + a trimap -> :class:`MattingSystem`
  (:func:`constrain`), and its solution -> alpha (:func:`solve_system`);
- :mod:`.closed_form`: the closed-form matting Laplacian (and a fused builder
  of its system on the unknown pixels);
- :mod:`.knn`: the KNN matting Laplacian (and a fused builder of its system);
- :mod:`.lbdm`: the learning-based matting Laplacian (windows of closed-form
  matting, a local ridge regression in each);
- :mod:`.rw`: the random-walk matting graph Laplacian;
- :mod:`.lkm`: the large-kernel matting Laplacian, a matrix-free operator.
"""

from .closed_form import cf_laplacian, cf_system, matting_laplacian
from .knn import knn_laplacian
from .lbdm import lbdm_laplacian
from .lkm import lkm_laplacian
from .rw import rw_laplacian
from .system import MattingSystem, constrain, solve_system

__all__ = [
    "MattingSystem",
    "cf_laplacian",
    "cf_system",
    "constrain",
    "knn_laplacian",
    "lbdm_laplacian",
    "lkm_laplacian",
    "matting_laplacian",
    "rw_laplacian",
    "solve_system",
]
