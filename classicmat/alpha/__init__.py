"""Alpha estimation: one dispatcher over a registry of methods.

A method is a module with one function decorated by
:func:`classicmat._method.matting_method` (its options described once) and
one ``METHODS.register`` line below. Installed packages add methods through
the entry-point group ``classicmat.methods`` (docs/plugins.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._method import as_method, validate_inputs
from .._registry import Registry

#: The alpha matting methods. Listing them imports no method module; methods
#: of other packages (entry points ``classicmat.methods``) are looked up on
#: the first name that is not built in, or when all are listed.
METHODS = Registry("method", group="classicmat.methods", adapt=as_method)
METHODS.register(
    "cf",
    "classicmat.alpha.cf:estimate_alpha_cf",
    "closed-form matting: the matting Laplacian solved on the unknown pixels",
    "Levin, Lischinski & Weiss, A Closed-Form Solution to Natural Image Matting, "
    "IEEE TPAMI 30(2), 2008",
)
METHODS.register(
    "knn",
    "classicmat.alpha.knn:estimate_alpha_knn",
    "KNN matting: nonlocal nearest neighbours in colour and position",
    "Q. Chen, D. Li, C.-K. Tang, KNN Matting, IEEE TPAMI 35(9), 2013",
)
METHODS.register(
    "lbdm",
    "classicmat.alpha.lbdm:estimate_alpha_lbdm",
    "learning-based digital matting: local ridge regression of alpha on colour",
    "Y. Zheng, C. Kambhamettu, Learning Based Digital Matting, ICCV 2009",
)
METHODS.register(
    "rw",
    "classicmat.alpha.rw:estimate_alpha_rw",
    "random-walk matting: the Dirichlet problem of a Gaussian colour-affinity graph",
    "Grady, Schiwietz, Aharon & Westermann, Random Walks for Interactive Alpha-Matting, VIIP 2005",
)
METHODS.register(
    "lkm",
    "classicmat.alpha.lkm:estimate_alpha_lkm",
    "large-kernel matting: the matting Laplacian of a large window, applied matrix-free",
    "K. He, J. Sun, X. Tang, Fast Matting Using Large Kernel Matting Laplacian Matrices, "
    "CVPR 2010",
)
METHODS.register(
    "ifm",
    "classicmat.alpha.ifm:estimate_alpha_ifm",
    "information-flow matting: colour-mixture, known-to-unknown, intra-unknown and local flows",
    "Y. Aksoy, T. O. Aydin, M. Pollefeys, Designing Effective Inter-Pixel Information Flow "
    "for Natural Image Matting, CVPR 2017",
)
METHODS.register(
    "bayesian",
    "classicmat.alpha.bayesian:estimate_alpha_bayesian",
    "Bayesian matting: onion-peeling MAP estimate of F, B and alpha per pixel",
    "Chuang, Curless, Salesin & Szeliski, A Bayesian Approach to Digital Matting, CVPR 2001",
)
METHODS.register(
    "shared",
    "classicmat.alpha.shared:estimate_alpha_shared",
    "shared matting: samples gathered along paths, shared by neighbours, then smoothed",
    "E. S. L. Gastal, M. M. Oliveira, Shared Sampling for Real-Time Alpha Matting, "
    "Computer Graphics Forum 29(2) (Eurographics), 2010",
)
METHODS.register(
    "onnx",
    "classicmat.deep:estimate_alpha_onnx",
    "a deep matting network in an ONNX file (model=...), run with onnxruntime (optional)",
    "e.g. Xu et al., Deep Image Matting, CVPR 2017; Ke et al., MODNet, AAAI 2022",
)

#: Options of ``trimap="auto"``, taken by :func:`estimate_alpha` itself (not
#: by the method), with the names of the :func:`classicmat.deep.trimap_from_model`
#: parameters they set.
AUTO_TRIMAP_OPTIONS = {
    "trimap_model": "model",
    "trimap_fg_threshold": "fg_threshold",
    "trimap_bg_threshold": "bg_threshold",
    "trimap_kernel_size": "kernel_size",
    "trimap_iterations": "iterations",
}

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np


def estimate_alpha(image: Any, trimap: Any, *, method: str = "cf", **options: Any) -> np.ndarray:
    """Estimate the alpha matte of ``image`` given ``trimap``.

        Parameters
        ----------
        image : (H, W, 3) or (H, W) ndarray, PIL image or path
            uint8, uint16 or float in [0, 1]; gray, RGB or RGBA (the alpha channel
            of an RGBA image is ignored).
        trimap : (H, W) ndarray, PIL image or path, ``"auto"`` or None
            uint8, uint16 or float in [0, 1] (gray, or RGB with equal channels).
            After scaling to [0, 1], values ``<= 0.1`` are known background,
            values ``>= 0.9`` known foreground, anything between is unknown.

            - ``"auto"``: a trimap-free ONNX network (``trimap_model=``) predicts
              a soft mask, which becomes a trimap
              (:func:`classicmat.deep.trimap_from_model`: thresholds, then an
              unknown band made by erosion); ``method`` then refines the band.
              (A trimap file named ``auto`` is passed as ``pathlib.Path("auto")``.)
            - ``None``: only for ``method="onnx"`` with a trimap-free network.
        method : str
            One of the registered methods (``classicmat methods`` lists them
            with their options):

    {methods}
        **options
            Keyword options of the chosen method. Unknown options raise
            ``TypeError`` listing the valid ones. With ``trimap="auto"``, these
            options set the automatic trimap and are not passed to the method:

            - ``trimap_model`` (required): path of a trimap-free ONNX network
              (one RGB input; CPU, inferred spec), or a
              :class:`classicmat.deep.OnnxMatting` session for other settings.
            - ``trimap_fg_threshold`` (default 0.95), ``trimap_bg_threshold``
              (default 0.05): mask values at or above / at or below which a
              pixel is known foreground / background before erosion.
            - ``trimap_kernel_size`` (default 11), ``trimap_iterations``
              (default 1): the erosion that opens the unknown band.

        Returns
        -------
        alpha : (H, W) ndarray of float64
            Values in [0, 1]; exactly 1 on known foreground, 0 on known background.

        Raises
        ------
        ValueError
            Unknown ``method``, malformed inputs, sizes that differ, or a trimap
            whose unknown region borders neither known foreground nor known
            background (for ``"auto"``: a mask with no foreground or no
            background left after thresholding and erosion).
        TypeError
            Unknown option, an input of the wrong type, ``trimap="auto"``
            without ``trimap_model``, or ``trimap_*`` options without
            ``trimap="auto"``.
        ImportError
            ``method="onnx"`` or ``trimap="auto"`` without onnxruntime installed.

        Notes
        -----
        ``trimap="auto"`` is the deep-to-classical pipeline: a portrait network
        such as MODNet finds the object, and a classical method (closed-form
        matting by default) computes alpha in the band where the network is
        unsure or where the erosion opened it, guided by the image's colours.
        ``method="onnx"`` with ``trimap="auto"`` refines with a trimap-based
        network (``model=``) instead.

        References
        ----------
        .. [1] A. Levin, D. Lischinski, Y. Weiss, "A Closed-Form Solution to
           Natural Image Matting", IEEE TPAMI 30(2), 2008.
        .. [2] Z. Ke, J. Sun, K. Li, Q. Yan, R. W. H. Lau, "MODNet: Real-Time
           Trimap-Free Portrait Matting via Objective Decomposition", AAAI 2022.

        Examples
        --------
        >>> import numpy as np
        >>> import classicmat
        >>> image = np.zeros((4, 6, 3)); image[:, 3:] = 1.0
        >>> trimap = np.full((4, 6), 0.5); trimap[:, 0] = 0.0; trimap[:, 5] = 1.0
        >>> alpha = classicmat.estimate_alpha(image, trimap, method="cf")
        >>> alpha.shape
        (4, 6)
    """
    func = METHODS.get(method)
    auto = {name: options.pop(name) for name in AUTO_TRIMAP_OPTIONS if name in options}
    is_auto = isinstance(trimap, str) and trimap == "auto"
    if auto and not is_auto:
        raise TypeError(
            f"option{'s' if len(auto) > 1 else ''} {', '.join(repr(n) for n in auto)} "
            f"only apply with trimap='auto'"
        )
    values = func.check(options, what=f"method {method!r}")  # before any work
    if is_auto:
        from .._validation import as_image, as_trimap

        image = as_image(image)  # read once, for the network and the method
        inputs = [image, as_trimap(_auto_trimap(image, auto))]
    else:
        inputs = list(validate_inputs(image, trimap, trimap_required=func.trimap == "required"))
    del image, trimap
    return func.run(inputs, values)


def _method_list() -> str:
    """The bullet list of the built-in methods, for the docstring of :func:`estimate_alpha`."""
    import textwrap

    lines = []
    for entry in METHODS.builtins():
        module, _, name = entry.target.partition(":")
        text = f"- ``{entry.name!r}``: {entry.summary}; options in :func:`{module}.{name}`."
        lines += textwrap.wrap(
            text, 79, initial_indent=" " * 8, subsequent_indent=" " * 10, break_long_words=False
        )
    return "\n".join(lines)


if estimate_alpha.__doc__:  # None under python -OO
    estimate_alpha.__doc__ = estimate_alpha.__doc__.replace("{methods}", _method_list())


def _auto_trimap(image: np.ndarray, auto: dict[str, Any]) -> np.ndarray:
    """The trimap of ``trimap="auto"``; raise if it has no foreground or no background."""
    from .._checks import check_number
    from ..deep import trimap_from_model
    from ..trimap import TRIMAP_BG, TRIMAP_FG

    if "trimap_model" not in auto:
        raise TypeError(
            "trimap='auto' needs trimap_model=: the path of a trimap-free ONNX model "
            "(or a classicmat.deep.OnnxMatting session)"
        )
    # check the options under the names the caller used, before the network runs
    for name in ("trimap_fg_threshold", "trimap_bg_threshold"):
        if name in auto:
            auto[name] = check_number(auto[name], name, low=0.0, high=1.0)
    fg = auto.get("trimap_fg_threshold", 0.95)
    bg = auto.get("trimap_bg_threshold", 0.05)
    if bg >= fg:
        raise ValueError(
            f"trimap_bg_threshold ({bg!r}) must be below trimap_fg_threshold ({fg!r})"
        )
    if "trimap_iterations" in auto:
        check_number(auto["trimap_iterations"], "trimap_iterations", integer=True, low=1)
    trimap = trimap_from_model(
        image, **{AUTO_TRIMAP_OPTIONS[name]: value for name, value in auto.items()}
    )
    for value, side, advice in (
        (TRIMAP_FG, "foreground", "lower trimap_fg_threshold"),
        (TRIMAP_BG, "background", "raise trimap_bg_threshold"),
    ):
        if not (trimap == value).any():
            raise ValueError(
                f"the automatic trimap has no known {side}: the model's mask leaves none "
                f"after thresholding and erosion; {advice} or reduce trimap_kernel_size"
            )
    return trimap
