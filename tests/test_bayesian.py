"""Bayesian matting: kernel pieces against NumPy references, the method, its options."""

from __future__ import annotations

import numpy as np
import pytest

import classicmat
from classicmat.alpha import _bayesian_kernels as kernels
from classicmat.alpha.bayesian import SparseSamplesWarning, bayesian_matting

from .test_alpha import blended_scene

# --- kernel pieces ---------------------------------------------------------------


def test_cluster_split_follows_the_top_eigenvector():
    rng = np.random.default_rng(1)
    # two blobs apart along (1, 1, 0) / sqrt(2)
    direction = np.array([1.0, 1.0, 0.0]) / np.sqrt(2)
    X = np.concatenate(
        [
            0.3 + 0.01 * rng.standard_normal((40, 3)),
            0.3 + 0.5 * direction + 0.01 * rng.standard_normal((40, 3)),
        ]
    )
    w = rng.uniform(0.5, 1.0, size=len(X))
    means = np.empty((4, 3))
    covs = np.empty((4, 3, 3))
    k = kernels.cluster_samples(X, w, 0.05, 4, 0.0, means, covs)
    # NumPy reference: one split along the column eigenvector of the largest eigenvalue
    mean = (w[:, None] * X).sum(0) / w.sum()
    cov = ((X - mean).T * w) @ (X - mean) / w.sum()
    vals, vecs = np.linalg.eigh(cov)
    assert vals[-1] > 0.05
    e = vecs[:, -1]
    assert abs(abs(e @ direction) - 1.0) < 1e-3
    side = X @ e > mean @ e
    expected = []
    for part in (~side, side):
        m = (w[part, None] * X[part]).sum(0) / w[part].sum()
        c = ((X[part] - m).T * w[part]) @ (X[part] - m) / w[part].sum()
        expected.append((m, c))
    assert k == 2
    got = sorted(zip(means[:k].tolist(), covs[:k].tolist(), strict=True))
    expected = sorted((m.tolist(), c.tolist()) for m, c in expected)
    for (gm, gc), (em, ec) in zip(got, expected, strict=True):
        np.testing.assert_allclose(gm, em, atol=1e-12)
        np.testing.assert_allclose(gc, ec, atol=1e-12)


def test_cluster_stops_under_min_var_and_regularises():
    X = np.array([[0.2, 0.2, 0.2], [0.21, 0.2, 0.2], [0.2, 0.19, 0.2]])
    means = np.empty((5, 3))
    covs = np.empty((5, 3, 3))
    k = kernels.cluster_samples(X, np.ones(3), 0.05, 5, 1e-3, means, covs)
    assert k == 1
    np.testing.assert_allclose(means[0], X.mean(0))
    np.testing.assert_allclose(covs[0], np.cov(X.T, bias=True) + 1e-3 * np.eye(3), atol=1e-15)


def test_solve6_matches_numpy():
    rng = np.random.default_rng(2)
    for _ in range(20):
        A = rng.standard_normal((6, 6))
        b = rng.standard_normal(6)
        x = np.empty(6)
        kernels.solve6(A.copy(), b.copy(), x)
        np.testing.assert_allclose(x, np.linalg.solve(A, b), rtol=1e-9, atol=1e-9)


def test_solve6_singular_stays_finite():
    x = np.empty(6)
    kernels.solve6(np.zeros((6, 6)), np.ones(6), x)
    assert np.all(np.isfinite(x))


def _reference_pair(C, mu_f, inv_f, mu_b, inv_b, sigma_c, alpha, maxiter, tol):
    """Plain NumPy version of the alternating MAP solve."""
    s2 = sigma_c**2
    eye = np.eye(3)
    for _ in range(maxiter):
        A = np.block(
            [
                [inv_f + eye * alpha**2 / s2, eye * alpha * (1 - alpha) / s2],
                [eye * alpha * (1 - alpha) / s2, inv_b + eye * (1 - alpha) ** 2 / s2],
            ]
        )
        b = np.concatenate([inv_f @ mu_f + C * alpha / s2, inv_b @ mu_b + C * (1 - alpha) / s2])
        x = np.clip(np.linalg.solve(A, b), 0, 1)
        F, B = x[:3], x[3:]
        new = np.clip((C - B) @ (F - B) / ((F - B) @ (F - B)), 0, 1)
        change, alpha = abs(new - alpha), new
        if change < tol:
            break
    like = -np.sum((C - alpha * F - (1 - alpha) * B) ** 2) / s2
    like -= 0.5 * (F - mu_f) @ inv_f @ (F - mu_f) + 0.5 * (B - mu_b) @ inv_b @ (B - mu_b)
    return F, B, alpha, like


def test_one_pixel_map_solve_matches_numpy():
    mu_f = np.array([0.9, 0.3, 0.1])
    mu_b = np.array([0.1, 0.4, 0.8])
    inv_f = np.linalg.inv(np.diag([0.01, 0.02, 0.015]) + 0.001)
    inv_b = np.linalg.inv(np.diag([0.02, 0.01, 0.01]) + 0.002)
    C = 0.3 * mu_f + 0.7 * mu_b + np.array([0.01, -0.02, 0.0])
    out = np.empty(7)
    like = kernels.solve_fb_alpha(C, mu_f, inv_f, mu_b, inv_b, 0.01, 0.5, 50, 1e-6, out)
    F, B, alpha, ref_like = _reference_pair(C, mu_f, inv_f, mu_b, inv_b, 0.01, 0.5, 50, 1e-6)
    np.testing.assert_allclose(out[:3], F, atol=1e-10)
    np.testing.assert_allclose(out[3:6], B, atol=1e-10)
    assert out[6] == pytest.approx(alpha, abs=1e-10)
    assert like == pytest.approx(ref_like, rel=1e-9)
    assert out[6] == pytest.approx(0.3, abs=0.1)


def test_one_pixel_full_estimate():
    # 9x9 image: left 4 columns background, right 4 foreground, middle pixel a 0.4 blend
    fg, bg = np.array([0.9, 0.3, 0.1]), np.array([0.1, 0.4, 0.8])
    image = np.empty((9, 9, 3))
    image[:, :4] = bg
    image[:, 5:] = fg
    image[:, 4] = 0.4 * fg + 0.6 * bg
    order = np.zeros((9, 9), dtype=np.int64)
    order[:, 4] = 2  # the blended column: a later ring, not read
    order[4, 4] = 1
    alpha = np.zeros((9, 9))
    alpha[:, 5:] = 1.0
    alpha[4, 4] = 0.0
    F = np.where(alpha[:, :, None] == 1.0, image, 0.0)
    B = np.where(alpha[:, :, None] == 0.0, image, 0.0)
    cap = 81
    out = np.empty(7)
    fb_mean = np.stack([fg, bg])
    fb_inv = np.stack([np.eye(3), np.eye(3)])
    used = kernels.estimate_pixel(
        image, alpha, F, B, order, 4, 4, 1, 9, 9, 10, 8.0, 0.01, 0.05, 5, 1e-5, 50, 1e-6,
        fb_mean, fb_inv, np.empty((cap, 3)), np.empty(cap), np.empty((cap, 3)), np.empty(cap), out,
    )  # fmt: skip
    assert used == 0
    np.testing.assert_allclose(out[:3], fg, atol=1e-3)
    np.testing.assert_allclose(out[3:6], bg, atol=1e-3)
    assert out[6] == pytest.approx(0.4, abs=1e-3)


# --- the method --------------------------------------------------------------------


def test_recovers_known_alpha_of_a_two_colour_blend():
    image, trimap, alpha_true = blended_scene()
    alpha, fg, bg = bayesian_matting(image, trimap)
    assert np.abs(alpha - alpha_true).max() < 1e-2
    assert np.all(np.isfinite(fg)) and np.all(np.isfinite(bg))
    blend = (trimap > 0.1) & (trimap < 0.9) & (alpha_true > 0.05) & (alpha_true < 0.95)
    np.testing.assert_allclose(
        fg[blend], np.broadcast_to([0.9, 0.3, 0.1], fg[blend].shape), atol=2e-2
    )


def test_dispatcher_and_output_contract(synthetic_pair):
    alpha = classicmat.estimate_alpha(
        synthetic_pair.image, synthetic_pair.trimap, method="bayesian"
    )
    trimap = synthetic_pair.trimap
    assert alpha.shape == trimap.shape and alpha.dtype == np.float64
    assert np.all(np.isfinite(alpha)) and alpha.min() >= 0 and alpha.max() <= 1
    np.testing.assert_array_equal(alpha[trimap == 255], 1.0)
    np.testing.assert_array_equal(alpha[trimap == 0], 0.0)
    assert np.abs(alpha - synthetic_pair.alpha).mean() < 0.05


def test_serial_equals_parallel():
    import numba

    rng = np.random.default_rng(3)
    image, trimap, _ = blended_scene(30, 50)
    image = np.clip(image + 0.05 * rng.standard_normal(image.shape), 0, 1)
    serial = bayesian_matting(image, trimap, parallel=False)
    threads = numba.get_num_threads()
    try:
        for n in {1, threads}:
            numba.set_num_threads(n)
            parallel = bayesian_matting(image, trimap, parallel=True)
            for a, b in zip(serial, parallel, strict=True):
                np.testing.assert_array_equal(a, b)
    finally:
        numba.set_num_threads(threads)


def test_fallback_warns_and_stays_finite():
    # a wide unknown band and a tiny window cap: the inner pixels lack samples
    image, trimap, _ = blended_scene(12, 40)
    trimap = np.full(trimap.shape, 0.5)
    trimap[:, 0] = 0.0
    trimap[:, -1] = 1.0
    with pytest.warns(
        SparseSamplesWarning, match=r"unknown pixels had no foreground or no background sample"
    ) as rec:
        alpha, fg, bg = bayesian_matting(image, trimap, window=3, max_window=5, min_samples=10)
    assert rec[0].filename == __file__  # stacklevel=2: the caller's line
    assert np.all(np.isfinite(alpha)) and np.all(np.isfinite(fg)) and np.all(np.isfinite(bg))
    assert issubclass(SparseSamplesWarning, classicmat.ClassicmatWarning)
    with pytest.warns(SparseSamplesWarning, match="raise max_window") as rec:
        classicmat.estimate_alpha(image, trimap, method="bayesian", window=3, max_window=5)
    assert rec[0].filename == __file__  # through the dispatcher as well


def test_gray_image_and_no_unknown():
    image, trimap, alpha_true = blended_scene()
    alpha, _, _ = bayesian_matting(image.mean(axis=2), trimap)
    assert np.all(np.isfinite(alpha))
    known = np.where(alpha_true > 0.5, 1.0, 0.0)
    alpha, fg, bg = bayesian_matting(image, known)
    np.testing.assert_array_equal(alpha, known)


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"sigma": 0}, ValueError, "sigma must be >= 0.1"),
        ({"window": 4}, ValueError, "window must be odd"),
        ({"window": 1}, ValueError, "window must be >= 3"),
        ({"window": 25, "max_window": 11}, ValueError, r"max_window \(11\) must be >= window"),
        ({"min_samples": 0}, ValueError, "min_samples must be >= 1"),
        ({"sigma_c": -1.0}, ValueError, "sigma_c must be >= 1e-06"),
        ({"sigma_c": 1e-100}, ValueError, "sigma_c must be >= 1e-06"),
        ({"sigma": 1e-200}, ValueError, "sigma must be >= 0.1"),
        ({"max_clusters": 0}, ValueError, "max_clusters must be >= 1"),
        ({"maxiter": 2.5}, TypeError, "maxiter must be an integer"),
        ({"tol": "small"}, TypeError, "tol must be a number"),
        ({"parallel": 1}, TypeError, "parallel must be True or False"),
    ],
)
def test_bad_options(options, error, match):
    image, trimap, _ = blended_scene(6, 8)
    with pytest.raises(error, match=match):
        bayesian_matting(image, trimap, **options)


def test_unknown_option_and_missing_side():
    image, trimap, _ = blended_scene(6, 8)
    with pytest.raises(TypeError, match="unknown option 'radius' for method 'bayesian'"):
        classicmat.estimate_alpha(image, trimap, method="bayesian", radius=2)
    with pytest.raises(ValueError, match="trimap has no known foreground"):
        bayesian_matting(image, np.where(trimap == 1.0, 0.5, trimap))


def test_cli_bayesian(synthetic_files, tmp_path):
    from classicmat.cli import main

    out = tmp_path / "alpha.png"
    code = main(
        [str(synthetic_files.image), str(synthetic_files.trimap), "-o", str(out), "-q",
         "--method", "bayesian", "--max_window", "45", "--min_samples", "5"]
    )  # fmt: skip
    assert code == 0 and out.exists()


# --- data ----------------------------------------------------------------------------

DATA_SUBSET = ("GT01", "GT05", "GT13")


@pytest.mark.slow
@pytest.mark.parametrize("name", DATA_SUBSET)
def test_alphamatting_no_nan_and_mse_within_2x_of_cf(alphamatting_dir, name):
    import warnings

    from classicmat.io import read_image

    image = read_image(alphamatting_dir / "input" / f"{name}.png")
    trimap = read_image(alphamatting_dir / "trimap1" / f"{name}.png", kind="trimap")
    gt = read_image(alphamatting_dir / "gt" / f"{name}.png", kind="trimap")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SparseSamplesWarning)
        alpha, fg, bg = bayesian_matting(image, trimap)
    assert not np.isnan(alpha).any() and not np.isnan(fg).any() and not np.isnan(bg).any()
    cf = classicmat.estimate_alpha(image, trimap, method="cf")
    assert classicmat.mse(alpha, gt, trimap) <= 2 * classicmat.mse(cf, gt, trimap)
