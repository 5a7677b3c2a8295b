"""Matting Laplacians and the linear systems built from them."""

from .closed_form import MattingSystem, cf_laplacian, cf_system, matting_laplacian
from .knn import knn_laplacian

__all__ = ["MattingSystem", "cf_laplacian", "cf_system", "knn_laplacian", "matting_laplacian"]
