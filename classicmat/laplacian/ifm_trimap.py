"""Information-flow matting's trimap steps: trimming, and the transparency test.

- :func:`trim_trimap` (the paper's Sec. 3.2.1): unknown pixels that clearly
  belong to the foreground or the background become known, by an
  edge-based expansion of the known regions (after Shahrian et al. 2013,
  "CS trimming") and a patch-based one (3 x 3 Gaussians matched by the
  Bhattacharyya distance, eq. 9);
- :func:`transparency_error` (Sec. 3.5, eq. 20): how badly the colour
  histogram of the unknown region is a mix of those of the known bands
  around it; a large error means a highly transparent object, for which the
  known-to-unknown flow is left out.
"""

from __future__ import annotations

import numpy as np

from .._options import Option
from ..trimap import TrimapMasks

__all__ = ["TRIM_OPTIONS", "transparency_error", "trim_trimap"]

#: The options of the trimming steps.
TRIM_OPTIONS = (
    Option(
        "cs_trim",
        "bool",
        "edge-based trimming: unknown pixels next to a known one of nearly its colour",
    ),
    Option(
        "patch_trim",
        "bool",
        "patch-based trimming: unknown 3x3 patches matching only the foreground or background",
    ),
    Option(
        "trim_radius",
        "float",
        "edge-based trimming: largest distance (pixels) to the matching known pixel",
        low=0.0,
        low_open=True,
        metavar="PX",
    ),
    Option(
        "trim_color",
        "float",
        "edge-based trimming: colour tolerance at distance 0 (RGB in [0, 1]), falling to 0",
        low=0.0,
        metavar="X",
    ),
    Option(
        "tau_c",
        "float",
        "patch-based trimming: Bhattacharyya distance of a strong match",
        low=0.0,
        metavar="X",
    ),
    Option(
        "tau_f",
        "float",
        "patch-based trimming: Bhattacharyya distance beyond which there is no match",
        low=0.0,
        metavar="X",
    ),
    Option(
        "patch_ridge",
        "float",
        "patch-based trimming: ridge added to each 3x3 colour covariance",
        low=0.0,
        low_open=True,
        metavar="X",
    ),
)

#: Candidates (closest window means) searched per unknown pixel and side.
PATCH_CANDIDATES = 20


def _edge_trim(image, masks, radius, k_c):
    from ._ifm_trim_kernels import edge_expansion

    out = np.empty(masks.is_fg.shape, dtype=np.uint8)
    from .._parallel import run_parallel, spans, thread_count

    def run(span):
        edge_expansion(image, masks.is_fg, masks.is_bg, float(radius), float(k_c), out, *span)

    run_parallel(run, spans(out.shape[0], 4 * thread_count()))
    return out == 1, out == 2


def _patch_trim(image, masks, tau_c, tau_f, ridge):
    """Unknown pixels whose window matches the foreground strongly and the
    background not at all (and the other way round), eq. 9."""
    from scipy.ndimage import binary_erosion

    from .._parallel import run_parallel, spans, thread_count
    from ._ifm_trim_kernels import best_match, window_gaussians
    from ._kdtree import nearest_neighbors

    h, w, c = image.shape
    n = h * w
    mean = np.empty((n, c))
    cov = np.empty((n, 6 if c == 3 else 1))
    logdet = np.empty(n)
    parts = 4 * thread_count()
    run_parallel(
        lambda span: window_gaussians(image, float(ridge), mean, cov, logdet, *span),
        spans(h, parts),
    )
    unknown = np.flatnonzero(masks.is_unknown)
    scores = []
    for mask in (masks.is_fg, masks.is_bg):
        # candidates: pixels whose whole window lies in the region (a window
        # across the edge of the region mixes in unknown colours)
        inside = binary_erosion(mask, np.ones((3, 3), dtype=bool), border_value=1)
        pool = np.flatnonzero(inside)
        if pool.size == 0:
            pool = np.flatnonzero(mask)
        nbr = pool[nearest_neighbors(mean[pool], mean[unknown], PATCH_CANDIDATES)]
        score = np.empty(unknown.size)
        nbr = np.ascontiguousarray(nbr)

        def match(span, nbr=nbr, score=score):
            best_match(mean, cov, logdet, unknown, nbr, float(ridge), score, *span)

        run_parallel(match, spans(unknown.size, parts))
        scores.append(score)
    b_fg, b_bg = scores
    return (
        unknown[(b_fg < tau_c) & (b_bg > tau_f)],
        unknown[(b_bg < tau_c) & (b_fg > tau_f)],
    )


def trim_trimap(
    image: np.ndarray,
    masks: TrimapMasks,
    *,
    cs_trim: bool,
    patch_trim: bool,
    trim_radius: float = 10.0,
    trim_color: float = 5.0 / 255.0,
    tau_c: float = 0.25,
    tau_f: float = 0.9,
    patch_ridge: float = 1e-4,
) -> TrimapMasks:
    r"""The masks with unknown pixels that clearly belong to F or B made known.

    Parameters
    ----------
    image : (H, W, C) ndarray of float64
        Validated image.
    masks : TrimapMasks
        The trimap's masks.
    cs_trim : bool
        Edge-based trimming: an unknown pixel ``p`` joins F (B) if a pixel
        ``q`` of F (B) at distance ``d < trim_radius`` has
        :math:`\|c_p - c_q\| \le` ``trim_color`` :math:`(1 - d /`
        ``trim_radius``:math:`)`, and no pixel of the other side does.
    patch_trim : bool
        Patch-based trimming (the paper's eq. 9): with the Gaussians of the
        3 x 3 windows (covariance + ``patch_ridge`` I), the scores
        :math:`b^F_p`, :math:`b^B_p` are the smallest Bhattacharyya distances
        from the window of ``p`` to those of the 20 windows inside F (B) with
        the closest mean colours; ``p`` joins F if :math:`b^F_p < \tau_c`
        and :math:`b^B_p > \tau_f`, B the other way round. Runs on the masks
        after the edge-based trimming.

    Returns
    -------
    TrimapMasks
    """
    is_fg = masks.is_fg.copy()
    is_bg = masks.is_bg.copy()
    if cs_trim and masks.is_unknown.any():
        add_fg, add_bg = _edge_trim(image, masks, trim_radius, trim_color)
        is_fg |= add_fg
        is_bg |= add_bg
    trimmed = _masks(is_fg, is_bg)
    if patch_trim and trimmed.is_unknown.any():
        add_fg, add_bg = _patch_trim(image, trimmed, tau_c, tau_f, patch_ridge)
        is_fg.flat[add_fg] = True
        is_bg.flat[add_bg] = True
        trimmed = _masks(is_fg, is_bg)
    return trimmed


def _masks(is_fg: np.ndarray, is_bg: np.ndarray) -> TrimapMasks:
    is_known = is_fg | is_bg
    return TrimapMasks(is_fg, is_bg, is_known, ~is_known)


#: Histogram bins per channel of :func:`transparency_error`.
HISTOGRAM_BINS = 8
#: Width (pixels) of the known bands around the unknown region.
BAND_WIDTH = 20


def transparency_error(image: np.ndarray, masks: TrimapMasks) -> float:
    r"""The paper's eq. 20: :math:`e = \min_{a, b} \|a D_F + b D_B - D_U\|^2`.

    :math:`D_U` is the colour histogram of the unknown pixels, :math:`D_F`
    and :math:`D_B` those of the known foreground and background pixels
    within 20 pixels of the unknown region: joint RGB histograms of
    8 x 8 x 8 bins (8 bins for gray), each normalised to sum 1; ``a`` and
    ``b`` are free (least squares). Large when the unknown region holds
    colours found in neither band: mixtures, as in a highly transparent
    object. 0 without unknown pixels.
    """
    if not masks.is_unknown.any():
        return 0.0
    from scipy.ndimage import distance_transform_edt

    bins = HISTOGRAM_BINS
    c = image.shape[2]
    level = np.minimum((image * bins).astype(np.int64), bins - 1)
    code = level[..., 0]
    for ch in range(1, c):
        code = code * bins + level[..., ch]
    near = distance_transform_edt(~masks.is_unknown) <= BAND_WIDTH

    def histogram(mask):
        counts = np.bincount(code[mask], minlength=bins**c).astype(np.float64)
        return counts / max(counts.sum(), 1.0)

    d_u = histogram(masks.is_unknown)
    basis = np.column_stack([histogram(masks.is_fg & near), histogram(masks.is_bg & near)])
    ab, *_ = np.linalg.lstsq(basis, d_u, rcond=None)
    r = basis @ ab - d_u
    return float(r @ r)
