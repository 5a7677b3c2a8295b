"""Large-kernel matting: the matrix-free product against the explicit matrix, the method."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.sparse.linalg import LinearOperator

from classicmat import cf_laplacian, cf_system, estimate_alpha, lkm_laplacian
from classicmat.laplacian.lkm import _crop_box, _lkm_system
from classicmat.trimap import split_trimap

from .reference import dense_matting_laplacian


def random_trimap(rng, shape):
    trimap = rng.choice([0.0, 0.5, 1.0], size=shape, p=[0.3, 0.4, 0.3])
    trimap[0, 0], trimap[-1, -1] = 0.0, 1.0
    return trimap


@pytest.mark.parametrize(
    ("shape", "radius", "epsilon"),
    [
        ((12, 14, 3), 3, 1e-5),
        ((23, 40, 3), 5, 1e-7),
        ((21, 21, 3), 10, 1e-4),
        ((45, 50, 3), 10, 1e-7),
        ((15, 16), 2, 1e-5),
        ((9, 70, 3), 4, 1e-6),
    ],
)
def test_product_and_diagonal_equal_the_explicit_large_window_matrix(shape, radius, epsilon):
    rng = np.random.default_rng(1)
    image = rng.random(shape)
    explicit = cf_laplacian(image, epsilon=epsilon, radius=radius)
    L = lkm_laplacian(image, epsilon=epsilon, radius=radius)
    assert isinstance(L, LinearOperator) and L.shape == explicit.shape
    for p in (rng.random(L.shape[0]), rng.standard_normal(L.shape[0])):
        expected = explicit @ p
        np.testing.assert_allclose(L @ p, expected, rtol=0, atol=1e-12 * np.abs(expected).max())
    np.testing.assert_allclose(L.diagonal(), explicit.diagonal(), rtol=1e-12)


def test_explicit_matrix_is_the_papers_formula():
    """The matrix the product is tested against is eq. 12 of Levin et al. at radius 3."""
    image = np.random.default_rng(2).random((9, 10, 3))
    reference = dense_matting_laplacian(image, 1e-5, 3)
    L = lkm_laplacian(image, epsilon=1e-5, radius=3)
    np.testing.assert_allclose(L @ np.eye(90), reference, atol=1e-10 * np.abs(reference).max())


def test_two_colour_image_stays_accurate():
    """Flat windows make (Sigma + eps/m I)^-1 ~ 1e7 m: the product subtracts the
    window means before multiplying by it, so the large terms do not remain. The
    diagonal (for Jacobi) is the expanded sum, accurate to ~1e-7 there."""
    image = np.full((40, 40, 3), 0.3)
    image[:, 20:] = 0.7
    L = lkm_laplacian(image, radius=4)
    explicit = cf_laplacian(image, radius=4)
    p = np.random.default_rng(3).random(1600)
    expected = explicit @ p
    np.testing.assert_allclose(L @ p, expected, atol=1e-8 * np.abs(expected).max())
    np.testing.assert_allclose(L.diagonal(), explicit.diagonal(), rtol=1e-6)


def test_cost_does_not_depend_on_the_radius():
    """The same number of box-sum passes at every radius (timed loosely: a shared
    machine; radius 1 and radius 15 within a factor 3 of each other)."""
    import time

    image = np.random.default_rng(4).random((300, 300, 3))
    p = np.random.default_rng(5).random(300 * 300)
    times = {}
    for radius in (1, 15):
        L = lkm_laplacian(image, radius=radius)
        L @ p
        start = time.perf_counter()
        for _ in range(5):
            L @ p
        times[radius] = time.perf_counter() - start
    assert times[15] < 3 * times[1] + 0.05


@pytest.mark.parametrize("radius", [1, 3])
def test_hard_system_equals_the_block_split_of_the_explicit_matrix(radius):
    rng = np.random.default_rng(6)
    image = rng.random((30, 34, 3))
    trimap = np.zeros((30, 34))
    trimap[:, 20:] = 1.0
    trimap[8:20, 10:25] = 0.5  # the crop (grown by 2 radius) leaves the image borders
    system = _lkm_system(image, split_trimap(trimap), 1e-6, radius, math.inf)
    explicit = cf_system(image, trimap, epsilon=1e-6, radius=radius)
    np.testing.assert_array_equal(system.unknown, explicit.unknown)
    n = system.unknown.size
    np.testing.assert_allclose(system.A @ np.eye(n), explicit.A.toarray(), atol=1e-10)
    np.testing.assert_allclose(system.b, explicit.b, atol=1e-10)
    np.testing.assert_allclose(system.A.diagonal(), explicit.A.diagonal(), rtol=1e-12)


def test_crop_is_the_grown_bounding_box():
    is_unknown = np.zeros((50, 60), bool)
    is_unknown[20:25, 3:30] = True
    assert _crop_box(is_unknown, 10) == (slice(10, 35), slice(0, 40))


def test_soft_system_is_pymatting_system():
    rng = np.random.default_rng(7)
    image = rng.random((25, 26, 3))
    trimap = random_trimap(rng, (25, 26))
    system = _lkm_system(image, split_trimap(trimap), 1e-7, 2, 100.0)
    L = cf_laplacian(image, radius=2)
    known = ((trimap == 0) | (trimap == 1)).ravel()
    x = rng.random(L.shape[0])
    np.testing.assert_allclose(system.A @ x, L @ x + 100 * known * x, atol=1e-9)
    np.testing.assert_allclose(system.b, 100.0 * (trimap.ravel() == 1))
    assert not system.hard


def test_method_with_radius_one_equals_closed_form_matting():
    rng = np.random.default_rng(8)
    image = rng.random((30, 40, 3))
    trimap = random_trimap(rng, (30, 40))
    expected = estimate_alpha(image, trimap, method="cf")
    alpha = estimate_alpha(image, trimap, method="lkm", radius=1, rtol=1e-12)
    np.testing.assert_allclose(alpha, expected, atol=1e-6)


def test_pymatting_operator_agrees():
    pymatting = pytest.importorskip("pymatting")
    image = np.random.default_rng(9).random((30, 31, 3))
    L_pm, diagonal = pymatting.lkm_laplacian(image, epsilon=1e-7, radius=3)
    L = lkm_laplacian(image, epsilon=1e-7, radius=3)
    p = np.random.default_rng(10).random(30 * 31)
    np.testing.assert_allclose(L @ p, L_pm(p), atol=1e-9 * np.abs(L_pm(p)).max())
    np.testing.assert_allclose(L.diagonal(), diagonal, rtol=1e-9)


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"epsilon": 0.0}, ValueError, "epsilon must be > 0"),
        ({"radius": 0}, ValueError, "radius must be >= 1"),
        ({"radius": 12}, ValueError, "smaller than one window of radius 12"),
        ({"lambda_": 0.0}, ValueError, "lambda_ must be > 0"),
        ({"solver": "direct"}, ValueError, "solver must be one of 'auto', 'cg-jacobi', 'cg'"),
        ({"maxiter": 0}, ValueError, "maxiter must be >= 1"),
    ],
)
def test_bad_options_name_the_option(options, error, match, synthetic_pair):
    with pytest.raises(error, match=match):
        estimate_alpha(synthetic_pair.image, synthetic_pair.trimap, method="lkm", **options)


def test_laplacian_rejects_small_images_and_bad_options():
    with pytest.raises(ValueError, match="smaller than one window of radius 10"):
        lkm_laplacian(np.zeros((20, 40, 3)))
    with pytest.raises(ValueError, match="epsilon must be > 0"):
        lkm_laplacian(np.zeros((30, 30, 3)), epsilon=-1.0)


def test_trimap_without_unknown_pixels_returns_it():
    trimap = np.zeros((24, 30))
    trimap[:, 15:] = 1.0
    alpha = estimate_alpha(np.zeros((24, 30, 3)), trimap, method="lkm")
    np.testing.assert_array_equal(alpha, trimap)
