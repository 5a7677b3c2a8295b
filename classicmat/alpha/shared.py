"""Shared matting (Gastal & Oliveira 2010).

The method in four stages, each a numba kernel run over the unknown pixels
(:mod:`classicmat.alpha._shared_kernels`) on a pool of threads: expansion of
the known regions, sample gathering, sample refinement and local smoothing.
The stage functions below (:func:`expand_known`, :func:`gather_samples`,
:func:`refine_samples`, :func:`smooth_samples`) take and return plain arrays
so that the tests can check each against a NumPy reference.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any, NamedTuple

import numpy as np

from .._method import first_output, matting_method
from .._options import Option
from ..trimap import check_has_known, masks_of

#: Rotation of the paths of each pixel of a 3x3 block, in ninths of the angle
#: 2 pi / k_g between two paths, in raster order: the nine pixels of a block
#: search nine different sets of directions, which their sharing of samples
#: in the refinement then combines.
ROTATION = np.arange(9, dtype=np.int64).reshape(3, 3)


def _radius(name: str, high: int, help: str) -> Option:
    return Option(name, "int", help, low=0, high=high, metavar="R")


def _exponent(name: str, term: str) -> Option:
    return Option(name, "float", f"exponent of {term} in the cost of a pair", low=0.0, high=20.0)


def _sigma_sq(name: str, radius: str) -> Option:
    return Option(
        name,
        "float",
        "sigma^2 (px^2) of the Gaussian weights exp(-d^2 / sigma^2)",
        low=0.0,
        low_open=True,
        high=1e6,
        allow_none=True,
        metavar="V",
        default_text=f"(2 {radius} + 1)^2 / (9 pi)",
    )


#: The options of shared matting. Where PyMatting's ``estimate_alpha_sm``
#: has the same setting, the default is PyMatting's (docs/shared.md lists
#: the names side by side).
SHARED_OPTIONS = (
    _radius("expansion_radius", 200, "largest distance in px of the expansion (0: none)"),
    Option(
        "expansion_threshold",
        "float",
        "largest RGB distance of a pixel to the known pixel it joins (0: no expansion)",
        low=0.0,
        high=2.0,
        metavar="D",
    ),
    Option("n_angles", "int", "number of paths cast from each unknown pixel", low=1, high=64),
    _exponent("exponent_n", "the neighbourhood distortion N_p"),
    _exponent("exponent_a", "the probability term A_p"),
    _exponent("exponent_f", "the distance to the foreground sample"),
    _exponent("exponent_b", "the distance to the background sample"),
    _radius("np_radius", 10, "radius in px of the window of N_p"),
    _radius("refinement_radius", 50, "radius in px of the window whose pairs are shared"),
    _radius("smoothing_radius", 50, "radius in px of the smoothing of F and B"),
    _radius("confidence_radius", 50, "radius in px of the mean F-B distance D_FB"),
    _radius("low_frequency_radius", 50, "radius in px of the low-frequency alpha"),
    _sigma_sq("smoothing_sigma_sq", "smoothing_radius"),
    _sigma_sq("low_frequency_sigma_sq", "low_frequency_radius"),
    Option(
        "confidence_lambda",
        "float",
        "falloff of the confidences exp(-lambda M) with the distortion M",
        low=0.0,
        high=1e4,
        metavar="L",
    ),
    Option("parallel", "bool", "run the pixels on all numba threads (same result)"),
)


class Gathered(NamedTuple):
    """The pairs of sample gathering, one row per unknown pixel."""

    samples: np.ndarray  #: (n, 2) int64: flat indices of the foreground and background sample
    variance: np.ndarray  #: (n, 2): colour variances of the 3x3 windows around them


class Refined(NamedTuple):
    """The tuples of sample refinement, one row per unknown pixel."""

    foreground: np.ndarray  #: (n, 3) F^g
    background: np.ndarray  #: (n, 3) B^g
    alpha: np.ndarray  #: (n,) alpha^g
    confidence: np.ndarray  #: (n,) f^g


class Smoothed(NamedTuple):
    """The results of local smoothing, one row per unknown pixel."""

    foreground: np.ndarray  #: (n, 3)
    background: np.ndarray  #: (n, 3)
    alpha: np.ndarray  #: (n,) the final alpha
    confidence: np.ndarray  #: (n,) f_p


# ---------------------------------------------------------------- running spans


class _Runner:
    """Run ``kernel(*args, start, stop)`` over ``0:n`` in spans
    (:func:`classicmat._parallel.spans`), on one pool of threads
    (:func:`classicmat._parallel.thread_pool`) kept for all the stages.

    The kernels release the GIL, and every pixel writes only its own
    results, so the spans run side by side with the result of a serial run.
    The first span runs in the calling thread (numba compiles or loads the
    kernel there, where a Ctrl-C is held back until it is done).
    """

    def __init__(self, threads: int):
        self.threads = max(1, threads)
        self._stack = ExitStack()
        self._pool: Callable[..., list[Any]] | None = None

    def __enter__(self) -> _Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()
        self._pool = None

    def run(self, kernel: Callable, n: int, *args: Any, scratch: Callable | None = None):
        """``scratch()``, if given, makes the last arguments before ``start, stop`` per span."""
        from .._parallel import spans, thread_pool

        def call(span: tuple[int, int]) -> None:
            extra = scratch() if scratch is not None else ()
            kernel(*args, *extra, *span)

        if n == 0:
            return
        parts = spans(n, max(1, min(self.threads * 8, n // 256)))
        call(parts[0])
        rest = parts[1:]
        if not rest:
            return
        if self.threads == 1:
            for span in rest:
                call(span)
            return
        if self._pool is None:
            self._pool = self._stack.enter_context(thread_pool(self.threads))
        self._pool(call, rest)


def _threads(parallel: bool) -> int:
    from .._parallel import thread_count

    return thread_count() if parallel else 1


# ---------------------------------------------------------------- the stages


def _labels(masks) -> np.ndarray:
    """(H, W) int8: 1 known foreground, 0 known background, -1 unknown."""
    labels = np.full(masks.is_fg.shape, -1, dtype=np.int8)
    labels[masks.is_fg] = 1
    labels[masks.is_bg] = 0
    return labels


def expansion_offsets(radius: int) -> tuple[np.ndarray, np.ndarray]:
    """Offsets ``(dy, dx)`` of the disc of ``radius`` but (0, 0): nearest first, then in
    raster order."""
    dy, dx = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    dy, dx = dy.ravel(), dx.ravel()
    d2 = dy * dy + dx * dx
    keep = (d2 > 0) & (d2 <= radius * radius)
    dy, dx, d2 = dy[keep], dx[keep], d2[keep]
    order = np.lexsort((dx, dy, d2))
    return np.ascontiguousarray(dy[order], np.int64), np.ascontiguousarray(dx[order], np.int64)


def expand_known(
    image: np.ndarray,
    labels: np.ndarray,
    radius: int,
    threshold: float,
    runner: _Runner | None = None,
) -> np.ndarray:
    """Stage 1: the labels after expansion of the known regions.

    An unknown pixel p takes the label of the nearest known pixel q (of
    ``labels``) with ``|p - q| <= radius`` and ``|C_p - C_q| <= threshold``
    (RGB distance, colours in [0, 1]); ties of distance go to the first in
    raster order. Nothing changes if ``radius`` or ``threshold`` is 0.
    """
    labels = labels.copy()
    if radius <= 0 or threshold <= 0.0:
        return labels
    from . import _shared_kernels as K

    pixels = np.flatnonzero(labels < 0).astype(np.int64)
    dy, dx = expansion_offsets(radius)
    out = np.empty(pixels.size, dtype=np.int8)
    runner = runner or _Runner(1)
    runner.run(K.expand_span, pixels.size, image, labels, pixels, dy, dx, threshold**2, out)
    labels.flat[pixels] = out
    return labels


def gradient_tensor(image: np.ndarray) -> np.ndarray:
    """(H, W, 3): the sums over the channels of ``I_x^2``, ``I_x I_y``, ``I_y^2``.

    Central differences, one-sided at the border (``np.gradient``), 0 along
    an axis of length 1. Then ``|grad I . u|^2 = u_x^2 J_0 + 2 u_x u_y J_1 +
    u_y^2 J_2`` for a unit vector u (the integrand of the path energy).
    """
    h, w = image.shape[:2]
    gx = np.gradient(image, axis=1) if w > 1 else np.zeros_like(image)
    gy = np.gradient(image, axis=0) if h > 1 else np.zeros_like(image)
    tensor = np.empty((h, w, 3))
    np.einsum("ijc,ijc->ij", gx, gx, out=tensor[:, :, 0])
    np.einsum("ijc,ijc->ij", gx, gy, out=tensor[:, :, 1])
    np.einsum("ijc,ijc->ij", gy, gy, out=tensor[:, :, 2])
    return tensor


def path_directions(n_angles: int) -> np.ndarray:
    """(9, n_angles, 2): the unit vectors (x, y) of the paths of each rotation.

    Path i of rotation r has the angle ``2 pi (i + r / 9) / n_angles``.
    """
    r = np.arange(9)[:, None]
    i = np.arange(n_angles)[None, :]
    angle = 2.0 * np.pi * (i + r / 9.0) / n_angles
    return np.ascontiguousarray(np.stack([np.cos(angle), np.sin(angle)], axis=-1))


def side_distances(labels: np.ndarray) -> np.ndarray:
    """(2, H, W) int32: chessboard distance of each pixel to the nearest known
    foreground (0) and background (1) pixel (the paths jump by it)."""
    from scipy import ndimage

    distance = np.empty((2, *labels.shape), dtype=np.int32)
    for side, label in enumerate((1, 0)):
        ndimage.distance_transform_cdt(
            labels != label, metric="chessboard", distances=distance[side]
        )
    return distance


def nearest_known(
    labels: np.ndarray, side: int, pixels: np.ndarray, runner: _Runner | None = None
) -> np.ndarray:
    """Flat index of the nearest pixel labelled ``side`` (Euclidean; ties: the first
    in raster order) for each of ``pixels``."""
    from scipy import ndimage

    from . import _shared_kernels as K

    distance = ndimage.distance_transform_edt(labels != side)
    dist_sq = np.rint(distance.ravel()[pixels] ** 2).astype(np.int64)
    del distance
    out = np.empty(pixels.size, dtype=np.int64)
    (runner or _Runner(1)).run(K.nearest_span, pixels.size, labels, side, pixels, dist_sq, out)
    return out


def gather_samples(
    image: np.ndarray,
    labels: np.ndarray,
    pixels: np.ndarray,
    n_angles: int,
    exponents: tuple[float, float, float, float],
    np_radius: int,
    runner: _Runner | None = None,
) -> Gathered:
    """Stage 2: the best (foreground, background) pair of each of ``pixels``.

    ``labels`` are those after expansion; ``pixels`` (flat indices) its
    unknown pixels. A pixel with no sample of a side on any of its paths
    uses the nearest known pixel of that side (one more pass, only for
    those pixels).
    """
    from . import _shared_kernels as K

    runner = runner or _Runner(1)
    n = pixels.size
    tensor = gradient_tensor(image)
    distance = side_distances(labels)
    directions = path_directions(n_angles)
    exps = np.array(exponents, dtype=np.float64)
    samples = np.empty((n, 2), dtype=np.int64)
    variance = np.empty((n, 2))
    missing = np.empty(n, dtype=np.uint8)

    def scratch():
        return (
            np.empty((2, 3, n_angles), np.int64),
            np.empty(n_angles, np.int64),
            np.empty((4, n_angles)),
            np.empty(n_angles, np.int64),
        )

    def run(pix, nearest, out_samples, out_variance, out_missing):
        def per_span():
            return (*scratch(), out_samples, out_variance, out_missing)

        runner.run(
            K.gather_span, pix.size, image, tensor, labels, distance, pix, directions,
            ROTATION, exps, np_radius, nearest, scratch=per_span,
        )  # fmt: skip

    run(pixels, np.full((n, 2), -1, dtype=np.int64), samples, variance, missing)
    redo = np.flatnonzero(missing)
    if redo.size:
        sub = pixels[redo]
        nearest = np.full((redo.size, 2), -1, dtype=np.int64)
        for column, (side, bit) in enumerate(((1, 1), (0, 2))):
            need = np.flatnonzero(missing[redo] & bit)
            if need.size:
                nearest[need, column] = nearest_known(labels, side, sub[need], runner)
        sub_samples = np.empty((redo.size, 2), dtype=np.int64)
        sub_variance = np.empty((redo.size, 2))
        sub_missing = np.empty(redo.size, dtype=np.uint8)
        run(sub, nearest, sub_samples, sub_variance, sub_missing)
        if sub_missing.any():  # pragma: no cover - both sides exist (checked before)
            raise RuntimeError("shared matting: a side has no known pixel")
        samples[redo] = sub_samples
        variance[redo] = sub_variance
    return Gathered(samples, variance)


def _index_map(shape: tuple[int, int], pixels: np.ndarray) -> np.ndarray:
    index = np.full(shape, -1, dtype=np.int64)
    index.flat[pixels] = np.arange(pixels.size, dtype=np.int64)
    return index


def refine_samples(
    image: np.ndarray,
    pixels: np.ndarray,
    gathered: Gathered,
    radius: int,
    lam: float,
    runner: _Runner | None = None,
) -> Refined:
    """Stage 3: the refined tuple (F^g, B^g, alpha^g, f^g) of each of ``pixels``."""
    from . import _shared_kernels as K

    runner = runner or _Runner(1)
    n = pixels.size
    colours = image.reshape(-1, 3)
    sample_f = np.ascontiguousarray(colours[gathered.samples[:, 0]])
    sample_b = np.ascontiguousarray(colours[gathered.samples[:, 1]])
    index = _index_map(image.shape[:2], pixels)
    refined = Refined(np.empty((n, 3)), np.empty((n, 3)), np.empty(n), np.empty(n))
    runner.run(
        K.refine_span, n, image, index, pixels, sample_f, sample_b,
        np.ascontiguousarray(gathered.variance), radius, float(lam), *refined,
    )  # fmt: skip
    return refined


def gaussian_window(radius: int, sigma_sq: float) -> np.ndarray:
    """(2r+1, 2r+1): the Gaussian weights ``exp(-d^2 / sigma_sq)`` on the window (peak 1).

    PyMatting's form (its ``local_smoothing_sigma_sq*`` mean the same here);
    the paper's Gaussian is normalised (peak ``1 / (2 pi sigma^2)``), which
    makes the weight 1 of each known pixel in the low-frequency alpha
    outweigh all unknown pixels of the window together (docs/shared.md).
    """
    d = np.arange(-radius, radius + 1, dtype=np.float64)
    d2 = d[:, None] ** 2 + d[None, :] ** 2
    return np.exp(-d2 / sigma_sq)


def default_sigma_sq(radius: int) -> float:
    """``(2 radius + 1)^2 / (9 pi)``: the 3-sigma disc has the area of the window."""
    return (2 * radius + 1) ** 2 / (9.0 * math.pi)


def smooth_samples(
    image: np.ndarray,
    labels: np.ndarray,
    pixels: np.ndarray,
    refined: Refined,
    *,
    smoothing_radius: int,
    confidence_radius: int,
    low_frequency_radius: int,
    smoothing_sigma_sq: float,
    low_frequency_sigma_sq: float,
    lam: float,
    runner: _Runner | None = None,
) -> Smoothed:
    """Stage 4: local smoothing of F and B, the confidence and the final alpha."""
    from . import _shared_kernels as K

    runner = runner or _Runner(1)
    n = pixels.size
    index = _index_map(image.shape[:2], pixels)
    fg, bg = np.empty((n, 3)), np.empty((n, 3))
    runner.run(
        K.smooth_fb_span, n, image, labels, index, pixels, refined.foreground,
        refined.background, refined.alpha, refined.confidence,
        gaussian_window(smoothing_radius, smoothing_sigma_sq), fg, bg,
    )  # fmt: skip
    alpha, confidence = np.empty(n), np.empty(n)
    runner.run(
        K.final_alpha_span, n, image, labels, index, pixels, fg, bg, refined.alpha,
        refined.confidence, confidence_radius,
        gaussian_window(low_frequency_radius, low_frequency_sigma_sq), float(lam),
        alpha, confidence,
    )  # fmt: skip
    return Smoothed(fg, bg, alpha, confidence)


# ---------------------------------------------------------------- the method


@matting_method(*SHARED_OPTIONS, scribbles=False)
def shared_matting(
    image: np.ndarray,
    trimap: np.ndarray,
    *,
    expansion_radius: int = 10,
    expansion_threshold: float = 0.02,
    n_angles: int = 4,
    exponent_n: float = 3.0,
    exponent_a: float = 2.0,
    exponent_f: float = 1.0,
    exponent_b: float = 4.0,
    np_radius: int = 1,
    refinement_radius: int = 5,
    smoothing_radius: int = 5,
    confidence_radius: int = 5,
    low_frequency_radius: int = 5,
    smoothing_sigma_sq: float | None = None,
    low_frequency_sigma_sq: float | None = None,
    confidence_lambda: float = 10.0,
    parallel: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Shared matting: alpha, foreground and background colours.

    Four stages, each per pixel and in parallel (Gastal & Oliveira 2010):

    1. **Expansion**: an unknown pixel within ``expansion_radius`` px and
       ``expansion_threshold`` (RGB distance) of a known pixel takes the
       label of the nearest such pixel.
    2. **Gathering**: from each unknown pixel p, ``n_angles`` paths 2 pi /
       ``n_angles`` apart (rotated differently for each pixel of a 3x3
       block) run to the image border; the first foreground and the first
       background pixel on each are samples. Of the pairs (f, b), the one
       that minimises :math:`N_p^{e_N} A_p^{e_A} D_p(f)^{e_f} D_p(b)^{e_b}`
       is kept.
    3. **Refinement**: the three pairs of the ``refinement_radius`` window
       that best explain :math:`C_p` are averaged (the pixels share their
       samples), giving :math:`(F^g, B^g, \alpha^g)` and a confidence
       :math:`f^g`.
    4. **Local smoothing**: F and B are smoothed over the window (weighted
       by the confidence and the alpha difference), then alpha is the
       confidence-weighted blend of the alpha of the smoothed pair and a
       low-frequency alpha.

    Parameters
    ----------
    image : (H, W, 3) or (H, W) ndarray, PIL image or path
        uint8, uint16 or float in [0, 1]; gray images are used as three equal
        channels, the alpha channel of RGBA is ignored.
    trimap : (H, W) ndarray, PIL image or path
        After scaling to [0, 1]: ``<= 0.1`` background, ``>= 0.9``
        foreground, unknown between.
    expansion_radius : int, optional
        Largest distance in pixels from an unknown pixel to the known pixel
        whose label it takes, :math:`k_i` (0 to 200; 0: no expansion).
        Default 10, as in the paper and PyMatting.
    expansion_threshold : float, optional
        Largest RGB distance (colours in [0, 1]) between them, :math:`k_c`
        (0 to 2; 0: no expansion). Default 0.02, PyMatting's (the paper: 5
        levels of 8 bits).
    n_angles : int, optional
        Number of paths cast from each unknown pixel, :math:`k_g` (1 to
        64). Default 4, as in the paper and PyMatting.
    exponent_n : float, optional
        Exponent :math:`e_N` of the neighbourhood distortion
        :math:`N_p` in the cost of a pair (0 to 20). Default 3.
    exponent_a : float, optional
        Exponent :math:`e_A` of the probability term :math:`A_p` (0 to
        20). Default 2.
    exponent_f : float, optional
        Exponent :math:`e_f` of the distance to the foreground sample (0
        to 20). Default 1.
    exponent_b : float, optional
        Exponent :math:`e_b` of the distance to the background sample (0
        to 20). Default 4. (The four are PyMatting's
        ``sample_gathering_weights=(3, 2, 1, 4)``, the paper's values.)
    np_radius : int, optional
        Radius in pixels of the window of :math:`N_p` (0 to 10). Default 1
        (3x3, the paper's).
    refinement_radius : int, optional
        Radius in pixels of the window whose gathered pairs a pixel
        considers in the refinement (0 to 50). Default 5 (11x11), PyMatting's.
    smoothing_radius : int, optional
        Radius in pixels of the smoothing of F and B (0 to 50). Default 5.
    confidence_radius : int, optional
        Radius in pixels of the window of the mean foreground-background
        distance :math:`D_{FB}` of the confidence (0 to 50). Default 5.
    low_frequency_radius : int, optional
        Radius in pixels of the low-frequency alpha (0 to 50). Default 5.
    smoothing_sigma_sq : float, optional
        :math:`\sigma^2` (px^2) of the Gaussian weights
        :math:`G(d) = \exp(-d^2 / \sigma^2)` of the smoothing of F and B
        (> 0; PyMatting's ``local_smoothing_sigma_sq1``, same meaning).
        Default None: :math:`(2 r + 1)^2 / (9\pi)` with r =
        ``smoothing_radius`` (4.28 for r = 5).
    low_frequency_sigma_sq : float, optional
        The same for the low-frequency alpha (PyMatting's
        ``local_smoothing_sigma_sq3``); default None: the same rule with r =
        ``low_frequency_radius`` (PyMatting takes its radius1 there).
    confidence_lambda : float, optional
        :math:`\lambda` of the confidences :math:`\exp(-\lambda M)` of the
        refinement and of the final blend (0 to 1e4). Default 10, the paper's
        (PyMatting's ``local_smoothing_sigma_sq2=0.1`` is :math:`1/\lambda`).
    parallel : bool, optional
        Run the pixels of each stage on all numba threads (default) or in
        the calling thread only; the results are identical.

    Returns
    -------
    alpha : (H, W) ndarray of float64
        In [0, 1]; 1 on known foreground and 0 on known background (also
        where the expansion made a pixel known).
    foreground, background : (H, W, 3) ndarray of float64
        The smoothed colours on the unknown pixels; on known pixels (after
        the expansion) the image colour on their own side and 0 on the other.

    Raises
    ------
    ValueError
        Bad inputs or option values, or a trimap whose unknown region has no
        known foreground or no known background.
    TypeError
        An option of the wrong type.

    Notes
    -----
    With :math:`\hat\alpha(C; F, B) = \mathrm{clip}((C-B)\cdot(F-B) /
    \|F-B\|^2, 0, 1)` and :math:`M_q(F, B) = \|C_q - \hat\alpha F - (1 -
    \hat\alpha) B\|`, the cost of the pair (f, b) at p has the terms
    :math:`N_p = \sum_{q \in \Omega_p} M_q(F, B)^2`,
    :math:`A_p = PF_p + (1 - 2 PF_p)\hat\alpha_p`,
    :math:`PF_p = \min_j E_p(b_j) / (\min_i E_p(f_i) + \min_j E_p(b_j))` and
    :math:`D_p(s) = \|s - p\|`, where :math:`E_p(s) = \int_p^s \|\nabla I
    \cdot u\|^2 dr` is the energy of the path from p to s. The refinement
    averages the three pairs of the window with the least
    :math:`M_p(F_q, B_q)`, with the colour variances :math:`\sigma_f^2,
    \sigma_b^2` of the 3x3 windows of their samples: :math:`F^g = C_p` if
    :math:`\|C_p - \tilde F\|^2 \le \tilde\sigma_f^2` (else :math:`\tilde F`;
    likewise B), and :math:`f^g = \exp(-\lambda M_p(\tilde F, \tilde B))`.
    The smoothing weights are :math:`W_c = G\, f_q^g |\alpha_p^g -
    \alpha_q^g|` (:math:`G f_p^g` for q = p), :math:`W_{FB} = f_q^g
    \alpha_q^g (1 - \alpha_q^g)` and :math:`W_\alpha = f_q^g G + [q \text{
    known}]`; the confidence is :math:`f_p = \min(1, \|F_p - B_p\| /
    D_{FB}) \exp(-\lambda M_p(F_p, B_p))` and :math:`\alpha_p = f_p
    \hat\alpha(C_p; F_p, B_p) + (1 - f_p)\alpha^l_p`. Every pixel of a
    stage reads only the results of earlier stages, so the pixels run in
    parallel with the same result for any number of threads. docs/shared.md
    lists where this differs from PyMatting's ``estimate_alpha_sm``.

    References
    ----------
    .. [1] E. S. L. Gastal, M. M. Oliveira, "Shared Sampling for Real-Time
       Alpha Matting", Computer Graphics Forum 29(2) (Proc. Eurographics),
       2010, pp. 575-584.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.zeros((5, 8, 3)); image[:, 4:] = 1.0
    >>> trimap = np.full((5, 8), 0.5); trimap[:, :2] = 0.0; trimap[:, 6:] = 1.0
    >>> alpha, fg, bg = shared_matting(image, trimap)
    >>> bool(alpha[:, :4].max() < 0.01 and alpha[:, 4:].min() > 0.99)
    True
    """
    masks = masks_of(trimap)
    check_has_known(masks)
    if image.shape[2] == 1:
        image = np.ascontiguousarray(np.repeat(image, 3, axis=2))
    labels = _labels(masks)
    del masks
    with _Runner(_threads(parallel)) as runner:
        labels = expand_known(image, labels, expansion_radius, expansion_threshold, runner)
        pixels = np.flatnonzero(labels < 0).astype(np.int64)
        if pixels.size:
            gathered = gather_samples(
                image, labels, pixels, n_angles,
                (exponent_n, exponent_a, exponent_f, exponent_b), np_radius, runner,
            )  # fmt: skip
            refined = refine_samples(
                image, pixels, gathered, refinement_radius, confidence_lambda, runner
            )
            del gathered
            if smoothing_sigma_sq is None:
                smoothing_sigma_sq = default_sigma_sq(smoothing_radius)
            if low_frequency_sigma_sq is None:
                low_frequency_sigma_sq = default_sigma_sq(low_frequency_radius)
            smoothed = smooth_samples(
                image, labels, pixels, refined,
                smoothing_radius=smoothing_radius, confidence_radius=confidence_radius,
                low_frequency_radius=low_frequency_radius,
                smoothing_sigma_sq=smoothing_sigma_sq,
                low_frequency_sigma_sq=low_frequency_sigma_sq,
                lam=confidence_lambda, runner=runner,
            )  # fmt: skip
    alpha = (labels == 1).astype(np.float64)
    foreground = np.where((labels == 1)[:, :, None], image, 0.0)
    background = np.where((labels == 0)[:, :, None], image, 0.0)
    if pixels.size:
        alpha.flat[pixels] = smoothed.alpha
        foreground.reshape(-1, 3)[pixels] = smoothed.foreground
        background.reshape(-1, 3)[pixels] = smoothed.background
    return alpha, foreground, background


estimate_alpha_shared = first_output(
    shared_matting,
    name="estimate_alpha_shared",
    doc="""Estimate alpha by shared matting; the alpha of :func:`shared_matting`.

    Parameters are those of :func:`shared_matting`.

    Returns
    -------
    alpha : (H, W) ndarray of float64
        In [0, 1]; 1 on known foreground and 0 on known background.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.zeros((5, 8, 3)); image[:, 4:] = 1.0
    >>> trimap = np.full((5, 8), 0.5); trimap[:, :2] = 0.0; trimap[:, 6:] = 1.0
    >>> alpha = estimate_alpha_shared(image, trimap)
    >>> alpha.shape
    (5, 8)
    """,
)
