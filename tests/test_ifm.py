"""Information-flow matting: each flow against the paper's formulas, the system, the method."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import classicmat
from classicmat.alpha.ifm import estimate_alpha_ifm
from classicmat.laplacian.ifm import _ifm_system
from classicmat.trimap import masks_of

from .reference import dense_ifm_energy, lle_weights

FLOWS = {
    "cm_neighbors": 20,
    "ku_neighbors": 7,
    "uu_neighbors": 5,
    "cm_weight": 1.0,
    "ku_weight": 0.05,
    "uu_weight": 0.01,
    "local_weight": 1.0,
    "epsilon": 1e-6,
    "lle_regularization": 1e-3,
    "ku_position": 10.0,
    "uu_position": 0.05,
}


def scene(h=9, w=20, seed=0):
    """Three colour regions (background left, foreground right, a mixed band)
    with noise, and a trimap with an unknown middle."""
    rng = np.random.default_rng(seed)
    alpha = np.clip((np.arange(w) - 6.5) / 7, 0, 1)[None, :].repeat(h, axis=0)
    fg, bg = np.array([0.9, 0.3, 0.2]), np.array([0.2, 0.5, 0.8])
    image = alpha[..., None] * fg + (1 - alpha[..., None]) * bg
    image = np.clip(image + 0.04 * rng.standard_normal(image.shape), 0, 1)
    trimap = np.full((h, w), 0.5)
    trimap[:, :6] = 0.0
    trimap[:, -6:] = 1.0
    trimap[0, 10] = 1.0  # a known pixel inside the unknown band
    return image, trimap, alpha


def dense_system(image, trimap, lambda_, **flows):
    """``(A, b)`` over all pixels from the paper's eq. 16 (soft) or its block
    elimination on the unknown pixels (hard, then over those only).

    Hard constraints take the paper's mixture rows of every pixel: the rows
    among known pixels only are constants there, which the method leaves out
    exactly. Soft ones take the rows the method keeps (``cm_rows="listing"``):
    the rows among known pixels only are left out there too."""
    o = {**FLOWS, **flows}
    masks = masks_of(trimap)
    CM, Luu, Ll, eta, w_f = dense_ifm_energy(
        image, masks.is_fg, masks.is_bg, k_cm=o["cm_neighbors"], k_ku=o["ku_neighbors"],
        k_uu=o["uu_neighbors"], reg=o["lle_regularization"], epsilon=o["epsilon"],
        ku_position=o["ku_position"], uu_position=o["uu_position"],
        cm_rows="all" if math.isinf(lambda_) else "listing",
    )  # fmt: skip
    H = o["ku_weight"] * eta
    A = o["cm_weight"] * CM + o["uu_weight"] * Luu + o["local_weight"] * Ll + np.diag(H)
    b = H * w_f
    known = masks.is_known.ravel()
    alpha_k = masks.is_fg.ravel().astype(float)
    if math.isinf(lambda_):
        u = ~known
        return A[np.ix_(u, u)], b[u] - A[np.ix_(u, known)] @ alpha_k[known]
    return A + lambda_ * np.diag(known.astype(float)), b + lambda_ * alpha_k


def built(image, trimap, lambda_, ku=True, **flows):
    masks = masks_of(trimap)
    system, x0 = _ifm_system(
        image, masks, ku_masks=masks if ku else None, lambda_=lambda_, **{**FLOWS, **flows}
    )
    assert x0.shape == system.b.shape and 0 <= x0.min() and x0.max() <= 1
    return system


# ------------------------------------------------------------ mixture weights


def test_mixture_weights_match_the_dense_lle_solve():
    from classicmat.laplacian._ifm_kernels import mixture_weights

    rng = np.random.default_rng(1)
    colours = rng.random((60, 3))
    rows = np.arange(10)
    nbr = np.array([rng.choice(np.arange(10, 60), 20, replace=False) for _ in rows])
    for reg in (1e-3, 1e-1):
        out = np.empty(nbr.shape)
        mixture_weights(colours, rows, nbr, reg, out)
        expected = np.array([lle_weights(colours[p], colours[nbr[p]], reg) for p in rows])
        np.testing.assert_allclose(out, expected, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(out.sum(axis=1), 1.0, atol=1e-12)  # affine constraint


def test_mixture_weights_reproduce_the_colour():
    """With a tiny ridge, a colour inside the span of its neighbours is rebuilt exactly."""
    from classicmat.laplacian._ifm_kernels import mixture_weights

    rng = np.random.default_rng(2)
    colours = rng.random((40, 3))
    nbr = np.arange(10, 30)[None, :]
    colours[0] = rng.dirichlet(np.ones(20)) @ colours[nbr[0]]  # a mix of them
    out = np.empty(nbr.shape)
    mixture_weights(colours, np.array([0]), nbr, 1e-12, out)
    np.testing.assert_allclose(out[0] @ colours[nbr[0]], colours[0], atol=1e-9)
    assert abs(out.sum() - 1.0) < 1e-12


def test_mixture_weights_of_gray_images():
    from classicmat.laplacian._ifm_kernels import mixture_weights

    rng = np.random.default_rng(3)
    colours = rng.random((30, 1))
    nbr = np.arange(1, 21)[None, :]
    out = np.empty(nbr.shape)
    mixture_weights(colours, np.array([0]), nbr, 1e-3, out)
    np.testing.assert_allclose(out[0], lle_weights(colours[0], colours[nbr[0]], 1e-3), rtol=1e-9)


def test_names_any_matches_numpy():
    from classicmat.laplacian._ifm_kernels import names_any

    rng = np.random.default_rng(5)
    nbr = rng.integers(-1, 50, size=(50, 6)).astype(np.int32)
    flag = rng.random(50) < 0.1
    rows = np.sort(rng.choice(50, 30, replace=False))
    out = np.zeros(rows.size, dtype=bool)
    names_any(nbr, rows, flag, out)
    expected = np.array([any(q >= 0 and flag[q] for q in nbr[p]) for p in rows])
    np.testing.assert_array_equal(out, expected)
    assert 0 < out.sum() < out.size  # both answers occur


# ------------------------------------------------------------ each flow's matrix

ONLY = {
    "colour-mixture": {"ku_weight": 0.0, "uu_weight": 0.0, "local_weight": 0.0},
    "known-to-unknown": {"cm_weight": 0.0, "uu_weight": 0.0, "local_weight": 0.0},
    "intra-unknown": {"cm_weight": 0.0, "ku_weight": 0.0, "local_weight": 0.0},
    "local": {"cm_weight": 0.0, "ku_weight": 0.0, "uu_weight": 0.0},
    "all": {},
}


@pytest.mark.parametrize("lambda_", [math.inf, 100.0], ids=["hard", "soft"])
@pytest.mark.parametrize("flows", ONLY.values(), ids=ONLY.keys())
def test_each_flow_matches_the_dense_reference(flows, lambda_):
    image, trimap, _ = scene()
    system = built(image, trimap, lambda_, **flows)
    A_ref, b_ref = dense_system(image, trimap, lambda_, **flows)
    if math.isinf(lambda_):
        np.testing.assert_array_equal(system.unknown, np.flatnonzero(masks_of(trimap).is_unknown))
    else:
        # the other known pixels (if any: on an image this small the mixture
        # rows of the known pixels reach nearly all) are coupled to nothing
        rest = np.setdiff1d(np.arange(trimap.size), system.unknown)
        np.testing.assert_allclose(A_ref[rest][:, rest], lambda_ * np.eye(rest.size), atol=1e-12)
        assert np.abs(A_ref[np.ix_(rest, system.unknown)]).max(initial=0.0) < 1e-12
        A_ref = A_ref[np.ix_(system.unknown, system.unknown)]
        b_ref = b_ref[system.unknown]
    A = system.A.tocsr().toarray()
    scale = np.abs(A_ref).max()
    np.testing.assert_allclose(A, A_ref, atol=1e-9 * scale)
    np.testing.assert_allclose(system.b, b_ref, atol=1e-9 * max(np.abs(b_ref).max(), 1.0))
    # the operator applies the same matrix, and knows its diagonal
    x = np.random.default_rng(0).standard_normal(A.shape[0])
    np.testing.assert_allclose(system.A @ x, A @ x, atol=1e-9 * scale * np.abs(x).sum())
    np.testing.assert_allclose(system.A.diagonal(), np.diag(A), atol=1e-12 * scale)


def test_soft_system_leaves_out_the_known_pixels_no_flow_touches():
    """On a wider image some known pixels are in no mixture row, list and local
    window: they are left out, and the rest matches the dense reference."""
    image, trimap, _ = scene(9, 60)
    trimap[:, 6:12] = 0.0  # a wider known background, far from the band
    system = built(image, trimap, 100.0)
    A_ref, b_ref = dense_system(image, trimap, 100.0)
    rest = np.setdiff1d(np.arange(trimap.size), system.unknown)
    assert rest.size > 0
    np.testing.assert_allclose(A_ref[rest][:, rest], 100.0 * np.eye(rest.size), atol=1e-12)
    assert np.abs(A_ref[np.ix_(rest, system.unknown)]).max() < 1e-12
    A_ref = A_ref[np.ix_(system.unknown, system.unknown)]
    A = system.A.tocsr().toarray()
    np.testing.assert_allclose(A, A_ref, atol=1e-9 * np.abs(A_ref).max())
    np.testing.assert_allclose(system.b, b_ref[system.unknown], atol=1e-9 * np.abs(b_ref).max())


def test_mixture_rows_are_those_of_a_search_of_every_pixel():
    """The filter of the known pixels is exact: the rows kept are the unknown
    pixels and exactly the known pixels whose list, from a search of every
    pixel, names an unknown one (here the filter searches 1,794 of the 3,600
    pixels)."""
    from classicmat.laplacian._kdtree import nearest_neighbors_all
    from classicmat.laplacian.ifm import _mixture_flow, ifm_features

    rng = np.random.default_rng(7)
    h, w = 60, 60
    image = rng.random((h, w, 3)) * 0.2 + np.linspace(0, 0.8, w)[None, :, None]
    trimap = np.zeros((h, w))
    trimap[:, 40:] = 1.0
    trimap[:, 28:32] = 0.5
    masks = masks_of(trimap)
    rows, nbr, weights = _mixture_flow(image, masks, 20, 1e-3)
    found = nearest_neighbors_all(ifm_features(image, 1.0), 21)
    is_unknown = masks.is_unknown.ravel()
    names = is_unknown[found].any(axis=1) & ~is_unknown
    expected = np.concatenate([np.flatnonzero(is_unknown), np.flatnonzero(names)])
    np.testing.assert_array_equal(rows, expected)
    assert names.sum() < 0.5 * (~is_unknown).sum()
    for t, p in enumerate(rows):  # each list: the 20 nearest but p itself
        assert set(nbr[t]) == set(found[p]) - {p}
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-12)


def test_known_to_unknown_estimate_and_confidence():
    """On a clean blend of two colours the estimate is alpha and the confidence high."""
    from classicmat.laplacian.ifm import _known_to_unknown_flow

    image, trimap, alpha = scene(seed=4)
    fg, bg = np.array([0.9, 0.3, 0.2]), np.array([0.2, 0.5, 0.8])
    image = alpha[..., None] * fg + (1 - alpha[..., None]) * bg  # no noise
    trimap[0, 10] = 0.5  # (a known pixel of mixed colour would be a sample)
    masks = masks_of(trimap)
    unknown = np.flatnonzero(masks.is_unknown)
    w_fg, eta = _known_to_unknown_flow(image, unknown, masks, 7, 10.0, 1e-6)
    np.testing.assert_allclose(w_fg, alpha.ravel()[unknown], atol=1e-3)
    np.testing.assert_allclose(eta, ((fg - bg) ** 2).sum() / 3, rtol=1e-3)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), hard=st.booleans(), ku=st.booleans())
def test_combined_matrix_is_symmetric_positive_definite(seed, hard, ku):
    image, trimap, _ = scene(8, 20, seed=seed)
    system = built(image, trimap, math.inf if hard else 100.0, ku=ku)
    A = system.A.tocsr().toarray()
    np.testing.assert_allclose(A, A.T, atol=1e-12 * np.abs(A).max())
    assert np.linalg.eigvalsh(A).min() > 0.0


def adversarial(kind, h=8, w=16):
    """Images that make the local and mixture terms degenerate: one flat
    colour, two flat colours (repeated features, ties in every neighbour
    search), colours on a line, and a flat gray image."""
    image = np.full((h, w, 3), 0.4)
    if kind == "two flat colours":
        image[:, w // 2 :] = (0.9, 0.1, 0.3)
    elif kind == "colours on a line":
        image = np.linspace(0.0, 1.0, h * w).reshape(h, w, 1) * np.array([1.0, 0.5, 0.25])
    elif kind == "flat gray":
        image = image[..., :1]
    trimap = np.full((h, w), 0.5)
    trimap[:, :3] = 0.0
    trimap[:, -3:] = 1.0
    return image, trimap


@pytest.mark.parametrize("lambda_", [math.inf, 100.0], ids=["hard", "soft"])
@pytest.mark.parametrize(
    "kind", ["flat colour", "two flat colours", "colours on a line", "flat gray"]
)
def test_stays_positive_definite_on_adversarial_images(kind, lambda_):
    """Flat colours with tiny regularisers: the matrix must stay symmetric and
    positive definite in floating point (Cholesky succeeds), and the method
    must return a finite matte."""
    image, trimap = adversarial(kind)
    tiny = {"epsilon": 1e-12, "lle_regularization": 1e-12}
    system = built(image, trimap, lambda_, **tiny)
    A = system.A.tocsr().toarray()
    np.testing.assert_array_equal(A, A.T)
    np.linalg.cholesky(A)  # raises if not positive definite
    alpha = estimate_alpha_ifm(image, trimap, lambda_=lambda_, **tiny)
    assert np.isfinite(alpha).all() and 0 <= alpha.min() and alpha.max() <= 1


def test_the_unconstrained_energy_is_positive_semi_definite():
    """Without the trimap term the flows' matrix (every pixel) is PSD with the
    constants in its null space (mixture rows sum to zero, Laplacians too)."""
    image, trimap, _ = scene()
    masks = masks_of(trimap)
    CM, Luu, Ll, _, _ = dense_ifm_energy(image, masks.is_fg, masks.is_bg)
    L = CM + 0.01 * Luu + Ll
    assert np.linalg.eigvalsh(L).min() > -1e-9 * np.abs(L).max()
    np.testing.assert_allclose(L @ np.ones(len(L)), 0.0, atol=1e-9)


# ------------------------------------------------------------ the method


def blend(h=40, w=60, seed=0):
    """A smooth horizontal alpha ramp between two colours, lightly noisy, and
    an unknown band over the ramp (the paper's Fig. 2 setting)."""
    rng = np.random.default_rng(seed)
    x = np.arange(w)
    alpha = np.clip((x - w / 4) / (w / 2), 0, 1)[None, :].repeat(h, axis=0)
    fg, bg = np.array([0.85, 0.75, 0.2]), np.array([0.15, 0.3, 0.7])
    image = alpha[..., None] * fg + (1 - alpha[..., None]) * bg
    image = np.clip(image + 0.005 * rng.standard_normal(image.shape), 0, 1)
    trimap = np.full((h, w), 0.5)
    trimap[:, : w // 6] = 0.0
    trimap[:, w - w // 6 :] = 1.0
    return image, trimap, alpha


@pytest.mark.parametrize("lambda_", [math.inf, 100.0])
def test_recovers_a_two_colour_blend(lambda_):
    """The energy alone (no trimming) recovers the ramp; the default edge-based
    trimming makes pixels near a known one of nearly its colour known, which
    costs a few hundredths of alpha on a ramp this gentle."""
    image, trimap, alpha = blend()
    unknown = masks_of(trimap).is_unknown
    found = estimate_alpha_ifm(image, trimap, lambda_=lambda_, rtol=1e-8, cs_trim=False)
    assert np.abs(found - alpha)[unknown].max() < 0.05
    assert np.abs(found - alpha)[unknown].mean() < 0.01
    # trimming and its post-processing cost accuracy on a gentle noisy ramp
    # (measured: mean error 0.024, max 0.075)
    trimmed = estimate_alpha_ifm(image, trimap, lambda_=lambda_, rtol=1e-8)
    assert np.abs(trimmed - alpha)[unknown].max() < 0.1
    assert np.abs(trimmed - alpha)[unknown].mean() < 0.03


def test_the_default_tolerance_solves_the_energy():
    """The default stopping rule leaves alpha within 1e-4 of a tight solve
    (measured: 1.2e-5; the earlier rtol=1e-6 left 1.2e-3 here, and up to
    3e-2 on the alphamatting.com images)."""
    image, trimap, _ = blend(80, 120, seed=1)
    unknown = masks_of(trimap).is_unknown
    tight = estimate_alpha_ifm(image, trimap, rtol=1e-12)
    found = estimate_alpha_ifm(image, trimap)
    assert np.abs(found - tight)[unknown].max() < 1e-4


def test_every_pixel_in_the_system_keeps_the_pixel_order():
    """Known strips two pixels wide: the local flow's windows touch every known
    pixel, so with soft constraints every pixel is an unknown of the system, in
    the system's order (unknown pixels first), not in raster order. The matte
    must still land on the right pixels (before the fix it did not: error 0.94)."""
    image, trimap, alpha = blend(h=8, w=12)
    trimap = np.full(trimap.shape, 0.5)
    trimap[:, :2] = 0.0
    trimap[:, -2:] = 1.0
    alpha = np.clip((np.arange(12) - 1.5) / 9.0, 0, 1)[None, :].repeat(8, axis=0)
    image = alpha[..., None] * np.array([0.85, 0.75, 0.2]) + (1 - alpha[..., None]) * np.array(
        [0.15, 0.3, 0.7]
    )
    found = estimate_alpha_ifm(image, trimap, lambda_=100.0, rtol=1e-10, cs_trim=False)
    # measured: 0.086 (a ramp over ten pixels; the local windows bend it)
    assert np.abs(found - alpha).max() < 0.15
    assert np.all(np.diff(found[:, 2:-2], axis=1) > 0)


def test_fills_a_hole_that_local_methods_cannot_reach():
    """A hole of background colour inside the foreground, unknown but with no
    known background around it (the paper's Fig. 2, bottom): the nonlocal flows
    find it; closed-form matting, local only, fills it with foreground."""
    h, w = 40, 60
    alpha = np.ones((h, w))
    alpha[:, :20] = 0.0
    yy, xx = np.mgrid[:h, :w]
    hole = (yy - 20) ** 2 + (xx - 42) ** 2 <= 25
    alpha[hole] = 0.0
    fg, bg = np.array([0.85, 0.75, 0.2]), np.array([0.15, 0.3, 0.7])
    rng = np.random.default_rng(0)
    image = alpha[..., None] * fg + (1 - alpha[..., None]) * bg
    image = np.clip(image + 0.01 * rng.standard_normal(image.shape), 0, 1)
    trimap = np.ones((h, w))
    trimap[:, :12] = 0.0
    trimap[:, 12:28] = 0.5
    trimap[(yy - 20) ** 2 + (xx - 42) ** 2 <= 64] = 0.5  # the hole and a ring: unknown
    found = estimate_alpha_ifm(image, trimap)
    cf = classicmat.estimate_alpha(image, trimap, method="cf")
    assert np.abs(found - alpha)[hole].mean() < 0.05
    assert np.abs(cf - alpha)[hole].mean() > 0.5


def test_hard_constraints_are_the_limit_of_large_lambda():
    image, trimap, _ = blend(20, 30)
    hard = estimate_alpha_ifm(image, trimap, lambda_=np.inf, rtol=1e-12, solver="direct")
    soft = estimate_alpha_ifm(image, trimap, lambda_=1e9, rtol=1e-12, solver="direct")
    np.testing.assert_allclose(soft, hard, atol=1e-5)


@pytest.mark.parametrize("solver", ["cg", "cg-ichol", "cg-amg", "direct"])
def test_solvers_agree(solver):
    image, trimap, _ = blend(20, 30)
    reference = estimate_alpha_ifm(image, trimap, solver="cg-jacobi", rtol=1e-10)
    found = estimate_alpha_ifm(image, trimap, solver=solver, rtol=1e-10)
    np.testing.assert_allclose(found, reference, atol=1e-6)


def test_gray_image_and_no_unknown():
    image, trimap, _ = blend(20, 30)
    gray = image.mean(axis=2)
    alpha = estimate_alpha_ifm(gray, trimap)
    assert alpha.shape == trimap.shape and 0 <= alpha.min() and alpha.max() <= 1
    known = np.where(trimap > 0.5, 1.0, 0.0)
    np.testing.assert_array_equal(estimate_alpha_ifm(image, known), known)


BAD_OPTIONS = {
    "zero neighbours": ({"cm_neighbors": 0}, ValueError, r"cm_neighbors must be >= 1, got 0"),
    "negative weight": ({"ku_weight": -1.0}, ValueError, r"ku_weight must be >= 0"),
    "zero lambda": ({"lambda_": 0.0}, ValueError, r"lambda_ must be > 0"),
    "zero epsilon": ({"epsilon": 0.0}, ValueError, r"epsilon must be > 0"),
    "bad mode": (
        {"known_to_unknown": "maybe"},
        ValueError,
        r"known_to_unknown must be one of 'auto', 'on', 'off', got 'maybe'",
    ),
    "bool as int": ({"uu_neighbors": True}, TypeError, r"uu_neighbors must be an integer"),
    "not a bool": ({"patch_trim": 1}, TypeError, r"patch_trim must be True or False"),
    "typo": ({"cm_neighbours": 20}, TypeError, r"unknown option 'cm_neighbours'.*cm_neighbors"),
}


@pytest.mark.parametrize("options, error, match", BAD_OPTIONS.values(), ids=BAD_OPTIONS.keys())
def test_bad_options_name_the_option(options, error, match):
    image, trimap, _ = blend(10, 20)
    with pytest.raises(error, match=match):
        classicmat.estimate_alpha(image, trimap, method="ifm", **options)


# ------------------------------------------------------------ trimap steps


def bhattacharyya(m1, c1, m2, c2):
    s = (c1 + c2) / 2
    d = m1 - m2
    return d @ np.linalg.solve(s, d) / 8 + 0.5 * np.log(
        np.linalg.det(s) / np.sqrt(np.linalg.det(c1) * np.linalg.det(c2))
    )


def test_window_gaussians_and_bhattacharyya_match_numpy():
    from classicmat.laplacian._ifm_trim_kernels import best_match, window_gaussians

    rng = np.random.default_rng(7)
    image = rng.random((6, 7, 3))
    n = 42
    mean, cov, logdet = np.empty((n, 3)), np.empty((n, 6)), np.empty(n)
    window_gaussians(image, 1e-4, mean, cov, logdet, 0, image.shape[0])
    full = np.empty((n, 3, 3))
    for p in range(n):
        y, x = divmod(p, 7)
        patch = image[max(y - 1, 0) : y + 2, max(x - 1, 0) : x + 2].reshape(-1, 3)
        np.testing.assert_allclose(mean[p], patch.mean(axis=0), atol=1e-14)
        expected = np.cov(patch.T, bias=True) + 1e-4 * np.eye(3)
        full[p] = cov[p][[0, 1, 2, 1, 3, 4, 2, 4, 5]].reshape(3, 3)
        np.testing.assert_allclose(full[p], expected, atol=1e-14)
        assert abs(logdet[p] - np.log(np.linalg.det(expected))) < 1e-9
    rows = np.array([3, 20, 41])
    candidates = np.array([[0, 5, 9], [20, 1, 2], [7, 8, 30]])
    out = np.empty(3)
    best_match(mean, cov, logdet, rows, candidates, 1e-4, out, 0, rows.size)
    for t, p in enumerate(rows):
        ref = min(bhattacharyya(mean[p], full[p], mean[q], full[q]) for q in candidates[t])
        assert abs(out[t] - ref) < 1e-9
    assert out[1] == 0.0 or abs(out[1]) < 1e-12  # a window matches itself exactly


def trimming_scene():
    """Background (left) and foreground (right) colours with an unknown band
    between them that holds: pixels of the foreground colour next to the
    foreground, a flat foreground-coloured patch far from it, and a patch of
    a colour found on neither side."""
    h, w = 30, 60
    rng = np.random.default_rng(8)
    fg, bg, other = np.array([0.8, 0.6, 0.2]), np.array([0.2, 0.3, 0.7]), np.array([0.5, 0.9, 0.5])
    image = np.empty((h, w, 3))
    image[:, :30] = bg
    image[:, 30:] = fg
    image[10:16, 12:18] = fg  # a foreground patch deep inside the unknown band
    image[20:26, 36:42] = other
    image = np.clip(image + 0.001 * rng.standard_normal(image.shape), 0, 1)
    trimap = np.full((h, w), 0.5)
    trimap[:, :5] = 0.0
    trimap[:, 50:] = 1.0
    return image, masks_of(trimap)


def test_edge_trimming_takes_pixels_next_to_a_known_one_of_its_colour():
    from classicmat.laplacian.ifm_trimap import trim_trimap

    image, masks = trimming_scene()
    out = trim_trimap(image, masks, cs_trim=True, patch_trim=False)
    added_fg = out.is_fg & ~masks.is_fg
    added_bg = out.is_bg & ~masks.is_bg
    # near the known regions (the colour tolerance shrinks with the distance,
    # to nothing at 10 pixels), of their colour
    assert added_fg[:, 44:50].all() and not added_fg[:, :40].any()
    assert added_bg[:, 5:11].all() and not added_bg[:, 15:].any()
    assert not (added_fg & added_bg).any()
    assert (out.is_known == (out.is_fg | out.is_bg)).all()
    assert (out.is_unknown == ~out.is_known).all()


def test_patch_trimming_takes_remote_patches_that_match_one_side_only():
    from classicmat.laplacian.ifm_trimap import trim_trimap

    image, masks = trimming_scene()
    out = trim_trimap(image, masks, cs_trim=False, patch_trim=True)
    added_fg = out.is_fg & ~masks.is_fg
    assert added_fg[11:15, 13:17].all()  # the remote patch (its inside)
    assert not (out.is_known[21:25, 37:41]).any()  # a colour of neither side
    assert not (out.is_bg & masks.is_fg).any() and not (out.is_fg & masks.is_bg).any()
    # strict thresholds take nothing
    none = trim_trimap(image, masks, cs_trim=False, patch_trim=True, tau_c=0.0)
    assert (none.is_unknown == masks.is_unknown).all()


def test_transparency_error_separates_a_veil_from_an_opaque_edge():
    from classicmat.laplacian.ifm_trimap import transparency_error

    rng = np.random.default_rng(9)
    h, w = 60, 80
    fg, bg = np.array([0.9, 0.8, 0.1]), np.array([0.1, 0.2, 0.8])
    texture = 0.08 * rng.standard_normal((h, w, 3))
    trimap = np.full((h, w), 0.5)
    trimap[:, :25] = 0.0
    trimap[:, 55:] = 1.0
    # opaque: a sharp edge in the middle of the band
    alpha = (np.arange(w) >= 40)[None, :].repeat(h, axis=0).astype(float)
    opaque = np.clip(alpha[..., None] * fg + (1 - alpha[..., None]) * bg + texture, 0, 1)
    # a veil: alpha 0.5 over the whole band
    alpha = np.where(trimap == 0.5, 0.5, (trimap > 0.5).astype(float))
    veil = np.clip(alpha[..., None] * fg + (1 - alpha[..., None]) * bg + texture, 0, 1)
    masks = masks_of(trimap)
    e_opaque = transparency_error(opaque, masks)
    e_veil = transparency_error(veil, masks)
    threshold = estimate_alpha_ifm.options[
        [o.name for o in estimate_alpha_ifm.options].index("transparency_threshold")
    ].default
    assert e_opaque < threshold / 10
    assert e_veil > threshold
    assert transparency_error(opaque, masks_of((alpha > 0.5).astype(float))) == 0.0


@pytest.mark.parametrize("channels", [1, 3])
def test_features_are_colour_then_scaled_column_and_row(channels):
    from classicmat.laplacian.ifm import ifm_features

    h, w = 5, 7
    image = np.random.default_rng(channels).random((h, w, channels))
    f = ifm_features(image, 0.37)
    rows, cols = np.divmod(np.arange(h * w), w)
    expected = np.column_stack([image.reshape(-1, channels), cols * (0.37 / w), rows * (0.37 / h)])
    np.testing.assert_array_equal(f, expected)
