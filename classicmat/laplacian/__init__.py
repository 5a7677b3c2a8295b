"""Matting Laplacians and the linear systems built from them.

- :mod:`.system`: any Laplacian + a trimap -> :class:`MattingSystem`
  (:func:`constrain`), and its solution -> alpha (:func:`solve_system`);
- :mod:`.closed_form`: the closed-form matting Laplacian (and a fused builder
  of its system on the unknown pixels);
- :mod:`.knn`: the KNN matting Laplacian (and a fused builder of its system).
"""

from .closed_form import cf_laplacian, cf_system, matting_laplacian
from .knn import knn_laplacian
from .system import MattingSystem, constrain, solve_system

__all__ = [
    "MattingSystem",
    "cf_laplacian",
    "cf_system",
    "constrain",
    "knn_laplacian",
    "matting_laplacian",
    "solve_system",
]
