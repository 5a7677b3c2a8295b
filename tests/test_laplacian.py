"""The matting Laplacian against the paper's formula, and its properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from classicmat import cf_laplacian, cf_system

from .reference import dense_matting_laplacian

ATOL = 1e-10


def random_trimap(rng, shape):
    trimap = rng.choice([0.0, 0.5, 1.0], size=shape, p=[0.3, 0.4, 0.3])
    trimap[0, 0], trimap[-1, -1] = 0.0, 1.0  # both labels present
    return trimap


@pytest.mark.parametrize(
    ("shape", "radius", "epsilon"),
    [((7, 9, 3), 1, 1e-7), ((7, 9, 3), 1, 1e-2), ((8, 6), 1, 1e-5), ((9, 11, 3), 2, 1e-4)],
)
def test_equals_dense_formula(shape, radius, epsilon):
    rng = np.random.default_rng(1)
    image = rng.random(shape)
    reference = dense_matting_laplacian(image, epsilon, radius)
    L = cf_laplacian(image, epsilon=epsilon, radius=radius).toarray()
    scale = max(1.0, np.abs(reference).max())
    np.testing.assert_allclose(L, reference, rtol=0, atol=ATOL * scale)


@pytest.mark.parametrize("radius", [1, 2])
def test_trimap_restricted_rows_and_columns_are_exact(radius):
    rng = np.random.default_rng(2)
    image = rng.random((10, 12, 3))
    trimap = random_trimap(rng, (10, 12))
    reference = dense_matting_laplacian(image, 1e-5, radius)
    L = cf_laplacian(image, epsilon=1e-5, radius=radius, trimap=trimap).toarray()
    U = (trimap == 0.5).ravel()
    np.testing.assert_allclose(L[U], reference[U], atol=ATOL * np.abs(reference).max())
    np.testing.assert_allclose(L[:, U], reference[:, U], atol=ATOL * np.abs(reference).max())
    np.testing.assert_array_equal(L[np.ix_(~U, ~U)], 0.0)  # never built


@pytest.mark.parametrize("channels", [1, 3])
def test_system_is_the_block_split(channels):
    rng = np.random.default_rng(3)
    image = rng.random((9, 10, channels))
    trimap = random_trimap(rng, (9, 10))
    reference = dense_matting_laplacian(image, 1e-6, 1)
    system = cf_system(image, trimap, epsilon=1e-6)
    U = (trimap == 0.5).ravel()
    K = ~U
    scale = np.abs(reference).max()
    np.testing.assert_array_equal(system.unknown, np.flatnonzero(U))
    np.testing.assert_allclose(system.A.toarray(), reference[np.ix_(U, U)], atol=ATOL * scale)
    b = -reference[np.ix_(U, K)] @ (trimap.ravel()[K] == 1.0)
    np.testing.assert_allclose(system.b, b, atol=ATOL * scale)
    assert system.A.indices.dtype == np.int32


def test_gray_equals_single_channel_and_uint8_scaling():
    rng = np.random.default_rng(4)
    gray = rng.integers(0, 256, (6, 7), dtype=np.uint8)
    L8 = cf_laplacian(gray).toarray()
    Lf = cf_laplacian(gray[:, :, None] / 255.0).toarray()
    np.testing.assert_allclose(L8, Lf, rtol=0, atol=1e-12 * np.abs(Lf).max())


def test_rgba_alpha_channel_is_ignored():
    rng = np.random.default_rng(5)
    rgba = rng.random((6, 6, 4))
    other = rgba.copy()
    other[:, :, 3] = 0.0
    np.testing.assert_array_equal(cf_laplacian(rgba).toarray(), cf_laplacian(other).toarray())


@settings(max_examples=30, deadline=None)
@given(
    image=arrays(
        np.float64,
        st.tuples(st.integers(3, 8), st.integers(3, 8), st.just(3)),
        elements=st.floats(0, 1),
    ),
    epsilon=st.sampled_from([1e-7, 1e-4, 1e-1]),
)
def test_properties_symmetric_zero_rows_psd(image, epsilon):
    _assert_symmetric_zero_rows_psd(cf_laplacian(image, epsilon=epsilon).toarray())


def _assert_symmetric_zero_rows_psd(L):
    # exactly symmetric: L_ij and L_ji are computed by the same float operations
    np.testing.assert_array_equal(L, L.T)
    # Each window contributes P - Y Y^T with |y_i| <= 1 (y_i = R^-T d_i), so
    # every term is O(1) whatever epsilon: round-off stays near 1e-16 per term.
    tol = 1e-12
    np.testing.assert_allclose(L.sum(axis=1), 0.0, atol=tol)
    assert L.diagonal().min() >= -tol
    assert np.linalg.eigvalsh(L).min() >= -tol


def _adversarial_images():
    """Flat, two-colour, posterised and nearly collinear images, 9 x 11."""
    rng = np.random.default_rng(7)
    flat = np.full((9, 11, 3), 0.3)
    pattern = rng.random((9, 11, 1)) < 0.5
    two_colour = np.where(pattern, [0.9, 0.2, 0.1], [0.1, 0.3, 0.8])
    posterised = (rng.random((9, 11, 3)) < 0.5).astype(float)
    t = rng.random((9, 11, 1))
    collinear = np.clip(0.2 + t * [0.5, 0.3, 0.1] + 1e-9 * rng.random((9, 11, 3)), 0, 1)
    return {
        "flat": flat,
        "two-colour": two_colour,
        "posterised": posterised,
        "collinear": collinear,
        "binary gray": posterised[:, :, 0],
    }


@pytest.mark.parametrize("epsilon", [1e-7, 1e-11, 1e-14])
@pytest.mark.parametrize("name", list(_adversarial_images()))
def test_flat_and_few_colour_images_keep_the_laplacian_psd(name, epsilon):
    """Windows whose colours lie on a point, a line or a plane make the window
    covariance singular; the Laplacian must stay PSD to round-off (an inverse of
    the covariance by cofactors gave diagonal entries of -0.02 here)."""
    image = _adversarial_images()[name]
    _assert_symmetric_zero_rows_psd(cf_laplacian(image, epsilon=epsilon).toarray())


@pytest.mark.parametrize("epsilon", [1e-7, 1e-11])
def test_posterised_image_solves(epsilon):
    from classicmat import estimate_alpha, solve

    rng = np.random.default_rng(3)
    image = (rng.random((60, 80, 3)) < 0.5).astype(float)
    image[:, 40:] = np.clip(image[:, 40:] + 0.5, 0, 1)
    trimap = np.full((60, 80), 0.5)
    trimap[:, :10] = 0.0
    trimap[:, 70:] = 1.0
    system = cf_system(image, trimap, epsilon=epsilon)
    coords = np.column_stack(np.divmod(system.unknown, 80))
    result = solve(system.A, system.b, solver="direct", coords=coords)
    assert result.converged
    assert np.linalg.norm(system.A @ result.x - system.b) <= 1e-7 * np.linalg.norm(system.b)
    alpha = estimate_alpha(image, trimap, epsilon=epsilon)
    assert np.isfinite(alpha).all() and alpha.min() >= 0.0 and alpha.max() <= 1.0


def test_deprecated_name_warns_and_gives_the_same_matrix():
    from classicmat import matting_laplacian

    image = np.random.default_rng(6).random((5, 5, 3))
    with pytest.warns(DeprecationWarning, match="use cf_laplacian"):
        L = matting_laplacian(image, epsilon=1e-5)
    assert (cf_laplacian(image, epsilon=1e-5) != L).nnz == 0


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"epsilon": 0.0}, ValueError, "epsilon must be > 0"),
        ({"epsilon": -1.0}, ValueError, "epsilon must be > 0"),
        ({"epsilon": "a"}, TypeError, "epsilon must be a number"),
        ({"radius": 0}, ValueError, "radius must be >= 1"),
        ({"radius": 1.5}, TypeError, "radius must be an integer"),
        ({"radius": 3}, ValueError, "smaller than one window"),
    ],
)
def test_bad_options(kwargs, error, match):
    with pytest.raises(error, match=match):
        cf_laplacian(np.zeros((5, 5, 3)), **kwargs)


def test_system_rejects_trimap_without_foreground_or_background():
    image = np.zeros((5, 5, 3))
    trimap = np.full((5, 5), 0.5)
    trimap[0] = 0.0
    with pytest.raises(ValueError, match="no known foreground"):
        cf_system(image, trimap)
    trimap[0] = 1.0
    with pytest.raises(ValueError, match="no known background"):
        cf_system(image, trimap)
    trimap[0] = 0.0
    trimap[-1] = 1.0
    with pytest.raises(ValueError, match="does not match image size"):
        cf_system(image, np.linspace(0, 1, 30).reshape(5, 6))
