"""Information-flow matting (Aksoy, Aydın & Pollefeys 2017)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from .._method import matting_method
from .._options import Option
from ..laplacian.ifm import FLOW_OPTIONS, _ifm_system
from ..laplacian.ifm_trimap import TRIM_OPTIONS, transparency_error, trim_trimap
from ..laplacian.system import MattingSystem, solve_system, solver_options
from ..trimap import check_has_known, masks_of

__all__ = ["estimate_alpha_ifm"]

KU_MODES = ("auto", "on", "off")

_METHOD_OPTIONS = (
    Option(
        "known_to_unknown",
        "str",
        "known-to-unknown flow: on, off, or auto (off for a highly transparent unknown region)",
        choices=KU_MODES,
        metavar="MODE",
    ),
    Option(
        "transparency_threshold",
        "float",
        "auto: the histogram error (eq. 20) above which the region counts as transparent",
        low=0.0,
        metavar="X",
    ),
    Option(
        "trimmed_known",
        "bool",
        "trimmed pixels are known pixels of the system (else: for the known-to-unknown "
        "neighbours and the post-processing only)",
    ),
    Option(
        "postprocess",
        "bool",
        "set alpha to 1 (0) on the pixels trimming added to the foreground (background)",
    ),
)

#: Iterative solvers that run on the matrix-free operator; the others get
#: the assembled matrix.
MATRIX_FREE = ("auto", "cg", "cg-jacobi")


def _auto(system: MattingSystem) -> str:
    return "cg-jacobi"


@matting_method(
    *FLOW_OPTIONS, *_METHOD_OPTIONS, *TRIM_OPTIONS, *solver_options(auto="cg-jacobi", local=False)
)
def estimate_alpha_ifm(
    image: np.ndarray,
    trimap: np.ndarray,
    *,
    cm_neighbors: int = 20,
    ku_neighbors: int = 7,
    uu_neighbors: int = 5,
    cm_weight: float = 1.0,
    ku_weight: float = 0.05,
    uu_weight: float = 0.01,
    local_weight: float = 1.0,
    lambda_: float = 100.0,
    epsilon: float = 1e-6,
    lle_regularization: float = 1e-3,
    ku_position: float = 10.0,
    uu_position: float = 0.05,
    known_to_unknown: str = "auto",
    transparency_threshold: float = 0.03,
    trimmed_known: bool = True,
    postprocess: bool = True,
    cs_trim: bool = True,
    patch_trim: bool = False,
    trim_radius: float = 10.0,
    trim_color: float = 5.0 / 255.0,
    tau_c: float = 0.25,
    tau_f: float = 0.9,
    patch_ridge: float = 1e-4,
    solver: str = "auto",
    rtol: float = 1e-8,
    atol: float = 0.0,
    maxiter: int | None = None,
    solver_options: Mapping[str, Any] | None = None,
) -> np.ndarray:
    r"""Estimate alpha by information-flow matting.

    Minimises the paper's energy (Aksoy, Aydın & Pollefeys 2017, eqs. 13-19)

    .. math::

        \alpha^T \big(\sigma_{CM} (I - W_{CM})^T (I - W_{CM})
        + \sigma_{UU} L_{UU} + \sigma_L L_L\big) \alpha
        + \sigma_{KU} (\alpha - w^F)^T H (\alpha - w^F)
        + \lambda (\alpha - \alpha_K)^T T (\alpha - \alpha_K)

    of four flows of information (colour-mixture, known-to-unknown,
    intra-unknown, local) and the trimap: one sparse symmetric positive
    definite system (:mod:`classicmat.laplacian.ifm`, docs/ifm.md). The
    result is clipped to [0, 1] and the known pixels are set to their trimap
    value.

    Parameters
    ----------
    image : (H, W, 3) or (H, W) ndarray, PIL image or path
        uint8, uint16 or float in [0, 1]; the alpha channel of RGBA is ignored.
    trimap : (H, W) ndarray, PIL image or path
        After scaling to [0, 1]: ``<= 0.1`` background, ``>= 0.9``
        foreground, unknown between.
    cm_neighbors, ku_neighbors, uu_neighbors : int, optional
        Neighbours of each pixel: in the whole image in (r, g, b, x/W, y/H)
        for the colour-mixture flow (20; its rows are those of the unknown
        pixels and of the known pixels whose list names an unknown one);
        of each unknown pixel: in the known
        foreground and, as many, in the background in
        (r, g, b, ``ku_position`` x/W, ``ku_position`` y/H) for the
        known-to-unknown flow (7 + 7); among the unknown pixels in
        (r, g, b, ``uu_position`` x/W, ``uu_position`` y/H) for the
        intra-unknown flow (5).
    cm_weight, ku_weight, uu_weight, local_weight : float, optional
        Weights of the flows (>= 0): 1, sigma_KU = 0.05, sigma_UU = 0.01,
        sigma_L = 1, the paper's.
    lambda_ : float, optional
        Weight of the known pixels (> 0); 100 in the paper. ``np.inf`` fixes
        alpha on them (hard constraints) and solves on the unknown pixels
        only.
    epsilon : float, optional
        Regulariser of the local flow's 3 x 3 windows (the closed-form
        matting Laplacian); 1e-6, the paper's (``method="cf"`` uses 1e-7;
        over the 40 alphamatting.com cases the two gave mean MSE 15.34e-3
        and 15.40e-3 with the mixture rows of the unknown pixels only).
    lle_regularization : float, optional
        Ridge added to the neighbourhood correlation matrix of the mixture
        weights (10^-3 in the paper, RGB in [0, 1]).
    ku_position, uu_position : float, optional
        Factors of the position in the known-to-unknown (10) and
        intra-unknown (1/20) features.
    known_to_unknown : {"auto", "on", "off"}, optional
        ``"auto"``: the flow is left out (the paper's E2) when the colour
        histogram of the unknown region is badly explained by those of the
        known bands around it (the paper's eq. 20 error above
        ``transparency_threshold``): a highly transparent object.
    transparency_threshold : float, optional
        The error of ``"auto"`` (see :func:`classicmat.laplacian.ifm_trimap.transparency_error`).
    trimmed_known : bool, optional
        Trimming (``cs_trim``, ``patch_trim``) makes its pixels known pixels
        of the system; with False they serve the known-to-unknown flow and
        the post-processing only.
    postprocess : bool, optional
        Set alpha to 1 (0) on the pixels trimming added to the foreground
        (background) after the solve (the paper's post-processing).
    cs_trim, patch_trim : bool, optional
        The paper's trimap trimming (Sec. 3.2.1): edge-based (pixels within
        ``trim_radius`` of a known pixel of nearly their colour, tolerance
        ``trim_color`` shrinking with the distance) and patch-based
        (Bhattacharyya distances of 3 x 3 Gaussians, ``tau_c``, ``tau_f``,
        covariance ridge ``patch_ridge``); see
        :func:`classicmat.laplacian.ifm_trimap.trim_trimap`. The edge-based
        step is on by default: on the alphamatting.com training set it
        lowers all four mean errors and the MSE of 32 of the 40 cases
        (docs/ifm.md); the patch-based step is off (it misclassifies
        thousands of pixels on some images).
    trim_radius, trim_color, tau_c, tau_f, patch_ridge : float, optional
        Their settings.
    solver : str, optional
        One of :data:`classicmat.SOLVERS`. ``"auto"``, ``"cg"`` and
        ``"cg-jacobi"`` run on the matrix-free operator; the others on the
        assembled matrix (ten times the memory).
    rtol, atol, maxiter : optional
        Stopping rule of iterative solvers, with SciPy's meaning:
        ``norm(b - A x) <= max(rtol * norm(b), atol)``. The default 1e-8
        leaves alpha within 2e-4 of the energy's minimiser on the
        alphamatting.com training images (1e-6 left up to 3e-2; docs/ifm.md).
    solver_options : mapping, optional
        Settings of the solver (``classicmat methods --solvers`` lists
        them), e.g. ``{"drop_tol": 1e-3}`` for ``"cg-ichol"``; checked
        before any work. ``"auto"`` is ``"cg-jacobi"``, which has none.

    Returns
    -------
    alpha : (H, W) ndarray of float64
        In [0, 1]; 1 on known foreground and 0 on known background.

    Raises
    ------
    ValueError
        Bad inputs or options, or a trimap whose unknown region has no known
        foreground or no known background.

    Warns
    -----
    classicmat.ConvergenceWarning
        If an iterative solver stops before reaching the tolerance.

    References
    ----------
    .. [1] Y. Aksoy, T. O. Aydın, M. Pollefeys, "Designing Effective
       Inter-Pixel Information Flow for Natural Image Matting", CVPR 2017.
    .. [2] S. T. Roweis, L. K. Saul, "Nonlinear Dimensionality Reduction by
       Locally Linear Embedding", Science 290, 2000.
    .. [3] E. Shahrian, D. Rajan, B. Price, S. Cohen, "Improving Image
       Matting Using Comprehensive Sampling Sets", CVPR 2013.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.zeros((20, 30, 3)); image[:, 15:] = 1.0
    >>> trimap = np.full((20, 30), 0.5); trimap[:, :5] = 0.0; trimap[:, 25:] = 1.0
    >>> alpha = estimate_alpha_ifm(image, trimap)
    >>> bool(alpha[:, :15].max() < 0.01 and alpha[:, 15:].min() > 0.99)
    True
    """
    masks = masks_of(trimap)
    del trimap
    check_has_known(masks)
    if not masks.is_unknown.any():
        return masks.is_fg.astype(np.float64)
    if known_to_unknown == "auto":
        use_ku = transparency_error(image, masks) <= transparency_threshold
    else:
        use_ku = known_to_unknown == "on"
    trimmed = masks
    if cs_trim or patch_trim:
        trimmed = trim_trimap(
            image, masks, cs_trim=cs_trim, patch_trim=patch_trim, trim_radius=trim_radius,
            trim_color=trim_color, tau_c=tau_c, tau_f=tau_f, patch_ridge=patch_ridge,
        )  # fmt: skip
    system_masks = trimmed if trimmed_known else masks
    if not system_masks.is_unknown.any():
        alpha = system_masks.is_fg.astype(np.float64)
    else:
        system, x0 = _ifm_system(
            image, system_masks, ku_masks=trimmed if use_ku else None,
            cm_neighbors=cm_neighbors, ku_neighbors=ku_neighbors, uu_neighbors=uu_neighbors,
            cm_weight=cm_weight, ku_weight=ku_weight, uu_weight=uu_weight,
            local_weight=local_weight, lambda_=lambda_, epsilon=epsilon,
            lle_regularization=lle_regularization, ku_position=ku_position,
            uu_position=uu_position,
        )  # fmt: skip
        del image
        if solver not in MATRIX_FREE:
            system = replace(system, A=system.A.tocsr())
        from threadpoolctl import threadpool_limits

        # CG's dot products on one BLAS thread: OpenBLAS threads spinning
        # between calls starve the numba threads of the operator on a busy
        # machine (measured: a 218,709-long dot product 48 ms instead of 0.2)
        with threadpool_limits(limits=1, user_api="blas"):
            alpha = solve_system(
                system, solver=solver, rtol=rtol, atol=atol, maxiter=maxiter, auto=_auto, x0=x0,
                options=solver_options,
            )  # fmt: skip
    if postprocess:
        alpha[trimmed.is_fg] = 1.0
        alpha[trimmed.is_bg] = 0.0
    alpha[masks.is_fg] = 1.0
    alpha[masks.is_bg] = 0.0
    return alpha
