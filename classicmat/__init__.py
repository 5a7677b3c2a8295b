"""classicmat: fast, exact classical alpha matting in NumPy and Numba.

An image is a blend ``I = alpha * F + (1 - alpha) * B``. Given an image and a
trimap, :func:`estimate_alpha` estimates the alpha matte.

Heavy modules (scipy, numba kernels, onnxruntime) are imported on first use
of the name that needs them, so that ``import classicmat`` stays fast; the
optional ONNX backend (:mod:`classicmat.deep`) needs onnxruntime only when a
model is run.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from ._version import __version__
from ._warnings import ClassicmatWarning, ConvergenceWarning

# public name -> module that defines it (imported lazily)
_LAZY = {
    "estimate_alpha": "classicmat.alpha",
    "METHODS": "classicmat.alpha",
    "estimate_alpha_cf": "classicmat.alpha.cf",
    "estimate_alpha_bayesian": "classicmat.alpha.bayesian",
    "estimate_alpha_knn": "classicmat.alpha.knn",
    "estimate_alpha_lbdm": "classicmat.alpha.lbdm",
    "estimate_alpha_rw": "classicmat.alpha.rw",
    "estimate_alpha_lkm": "classicmat.alpha.lkm",
    "estimate_alpha_shared": "classicmat.alpha.shared",
    "knn_laplacian": "classicmat.laplacian",
    "lbdm_laplacian": "classicmat.laplacian",
    "rw_laplacian": "classicmat.laplacian",
    "lkm_laplacian": "classicmat.laplacian",
    "errors": "classicmat.metrics",
    "MattingSystem": "classicmat.laplacian",
    "compile_kernels": "classicmat._warmup",
    "MattingSession": "classicmat.session",
    "read_scribbles": "classicmat.scribbles",
    "bayesian_matting": "classicmat.alpha.bayesian",
    "shared_matting": "classicmat.alpha.shared",
    "matting_laplacian": "classicmat.laplacian",
    "cf_laplacian": "classicmat.laplacian",
    "cf_system": "classicmat.laplacian",
    "solve": "classicmat.solvers",
    "SolveResult": "classicmat.solvers",
    "SOLVERS": "classicmat.solvers",
    "split_trimap": "classicmat.trimap",
    "TrimapMasks": "classicmat.trimap",
    "read_image": "classicmat.io",
    "write_image": "classicmat.io",
    "sad": "classicmat.metrics",
    "mse": "classicmat.metrics",
    "gradient_error": "classicmat.metrics",
    "connectivity_error": "classicmat.metrics",
    "trimap_from_alpha": "classicmat.trimap",
    "trimap_from_mask": "classicmat.trimap",
    "evaluate_dataset": "classicmat.evaluate",
    "EvaluationSummary": "classicmat.evaluate",
    "run_batch": "classicmat.batch",
    "score_predictions": "classicmat.score",
    "ScoreSummary": "classicmat.score",
    "estimate_foreground": "classicmat.foreground",
    "FOREGROUND_METHODS": "classicmat.foreground",
    "composite": "classicmat.compose",
    "cutout": "classicmat.compose",
    "OnnxMatting": "classicmat.deep",
    "ModelSpec": "classicmat.deep",
    "estimate_alpha_onnx": "classicmat.deep",
    "trimap_from_model": "classicmat.deep",
}

__all__ = [
    "ClassicmatWarning",
    "ConvergenceWarning",
    "EvaluationSummary",
    "FOREGROUND_METHODS",
    "MattingSession",
    "MattingSystem",
    "METHODS",
    "ModelSpec",
    "OnnxMatting",
    "SOLVERS",
    "ScoreSummary",
    "SolveResult",
    "TrimapMasks",
    "__version__",
    "bayesian_matting",
    "cf_laplacian",
    "cf_system",
    "composite",
    "compile_kernels",
    "connectivity_error",
    "cutout",
    "estimate_alpha",
    "estimate_alpha_bayesian",
    "estimate_alpha_cf",
    "estimate_alpha_knn",
    "estimate_alpha_lbdm",
    "estimate_alpha_lkm",
    "estimate_alpha_onnx",
    "estimate_alpha_rw",
    "estimate_alpha_shared",
    "estimate_foreground",
    "errors",
    "evaluate_dataset",
    "gradient_error",
    "knn_laplacian",
    "lbdm_laplacian",
    "lkm_laplacian",
    "matting_laplacian",
    "mse",
    "read_image",
    "read_scribbles",
    "run_batch",
    "rw_laplacian",
    "sad",
    "score_predictions",
    "shared_matting",
    "solve",
    "split_trimap",
    "trimap_from_alpha",
    "trimap_from_mask",
    "trimap_from_model",
    "write_image",
]


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'classicmat' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return __all__


if TYPE_CHECKING:  # pragma: no cover
    from ._warmup import compile_kernels
    from .alpha import METHODS, estimate_alpha
    from .alpha.bayesian import bayesian_matting, estimate_alpha_bayesian
    from .alpha.cf import estimate_alpha_cf
    from .alpha.knn import estimate_alpha_knn
    from .alpha.lbdm import estimate_alpha_lbdm
    from .alpha.lkm import estimate_alpha_lkm
    from .alpha.rw import estimate_alpha_rw
    from .alpha.shared import estimate_alpha_shared, shared_matting
    from .batch import run_batch
    from .compose import composite, cutout
    from .deep import ModelSpec, OnnxMatting, estimate_alpha_onnx, trimap_from_model
    from .evaluate import EvaluationSummary, evaluate_dataset
    from .foreground import FOREGROUND_METHODS, estimate_foreground
    from .io import read_image, write_image
    from .laplacian import (
        MattingSystem,
        cf_laplacian,
        cf_system,
        knn_laplacian,
        lbdm_laplacian,
        lkm_laplacian,
        matting_laplacian,
        rw_laplacian,
    )
    from .metrics import connectivity_error, errors, gradient_error, mse, sad
    from .score import ScoreSummary, score_predictions
    from .scribbles import read_scribbles
    from .session import MattingSession
    from .solvers import SOLVERS, SolveResult, solve
    from .trimap import TrimapMasks, split_trimap, trimap_from_alpha, trimap_from_mask
