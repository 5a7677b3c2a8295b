"""Learning-based matting: the Laplacian against the paper's formula, its system, the method."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from classicmat import cf_laplacian, estimate_alpha, lbdm_laplacian
from classicmat.laplacian.lbdm import _lbdm_system
from classicmat.trimap import split_trimap

from .reference import dense_lbdm_laplacian

ATOL = 1e-12


def random_trimap(rng, shape):
    trimap = rng.choice([0.0, 0.5, 1.0], size=shape, p=[0.3, 0.4, 0.3])
    trimap[0, 0], trimap[-1, -1] = 0.0, 1.0
    return trimap


@pytest.mark.parametrize(
    ("shape", "radius", "epsilon"),
    [((7, 9, 3), 1, 1e-7), ((7, 9, 3), 1, 1e-2), ((8, 6), 1, 1e-5), ((9, 11, 3), 2, 1e-4)],
)
def test_equals_dense_formula(shape, radius, epsilon):
    rng = np.random.default_rng(1)
    image = rng.random(shape)
    reference = dense_lbdm_laplacian(image, epsilon, radius)
    L = lbdm_laplacian(image, epsilon=epsilon, radius=radius).toarray()
    np.testing.assert_allclose(L, reference, rtol=0, atol=ATOL * np.abs(reference).max())


def test_reference_is_the_papers_window_formula():
    """The reference's hat-matrix form equals F = (K + eps I)^-1 K, K = X X^T, of
    the paper (a well-conditioned case, where the 9 x 9 solve is accurate)."""
    rng = np.random.default_rng(2)
    image = rng.random((3, 3, 3))
    X = np.hstack([image.reshape(9, 3), np.ones((9, 1))])
    K = X @ X.T
    F = np.linalg.solve(K + 1e-2 * np.eye(9), K)
    block = (np.eye(9) - F).T @ (np.eye(9) - F)
    np.testing.assert_allclose(dense_lbdm_laplacian(image, 1e-2, 1), block, atol=1e-12)


def test_tends_to_the_closed_form_laplacian():
    image = np.random.default_rng(3).random((8, 9, 3))
    difference = lbdm_laplacian(image, epsilon=1e-9) - cf_laplacian(image, epsilon=1e-9)
    assert abs(difference).max() < 1e-3 * abs(cf_laplacian(image, epsilon=1e-9)).max()


def test_matches_pymatting():
    pymatting = pytest.importorskip("pymatting")
    image = np.random.default_rng(4).random((9, 12, 3))
    expected = pymatting.lbdm_laplacian(image, epsilon=1e-5).toarray()
    found = lbdm_laplacian(image, epsilon=1e-5).toarray()
    # PyMatting solves the 9 x 9 system of the paper's form: its own error is ~1e-10
    np.testing.assert_allclose(found, expected, rtol=0, atol=1e-8)


def _assert_symmetric_psd(L, tol=1e-12):
    np.testing.assert_array_equal(L, L.T)  # L_ij and L_ji: the same float operations
    assert L.diagonal().min() >= -tol
    assert np.linalg.eigvalsh(L).min() >= -tol


@settings(max_examples=30, deadline=None)
@given(
    image=arrays(
        np.float64,
        st.tuples(st.integers(3, 8), st.integers(3, 8), st.just(3)),
        elements=st.floats(0, 1),
    ),
    epsilon=st.sampled_from([1e-7, 1e-4, 1e-1]),
)
def test_properties_symmetric_psd_small_row_sums(image, epsilon):
    L = lbdm_laplacian(image, epsilon=epsilon).toarray()
    _assert_symmetric_psd(L)
    # constants are not exactly in the null space (the bias is penalised too):
    # a window adds eps^2 (K + eps I)^-2 1 to the row sums, each component
    # eps^2 s / (s^2 + eps)^2 <= 0.33 sqrt(eps) along a singular value s of X
    # (4 of them, 9 windows per row)
    assert np.abs(L.sum(axis=1)).max() <= 12 * np.sqrt(epsilon)


@pytest.mark.parametrize("epsilon", [1e-7, 1e-11])
@pytest.mark.parametrize("kind", ["flat", "two-colour", "binary gray"])
def test_flat_and_few_colour_images_keep_the_laplacian_psd(kind, epsilon):
    """Windows of one or two colours make X^T X singular (regularised only by
    epsilon): the factorised form stays PSD to round-off."""
    rng = np.random.default_rng(7)
    pattern = rng.random((9, 11, 1)) < 0.5
    image = {
        "flat": np.full((9, 11, 3), 0.3),
        "two-colour": np.where(pattern, [0.9, 0.2, 0.1], [0.1, 0.3, 0.8]),
        "binary gray": pattern[:, :, 0].astype(float),
    }[kind]
    L = lbdm_laplacian(image, epsilon=epsilon).toarray()
    _assert_symmetric_psd(L, tol=1e-10)
    np.testing.assert_allclose(L, dense_lbdm_laplacian(image, epsilon, 1), atol=1e-6)


@pytest.mark.parametrize("radius", [1, 2])
def test_trimap_restricted_rows_and_columns_are_exact(radius):
    rng = np.random.default_rng(5)
    image = rng.random((10, 12, 3))
    trimap = random_trimap(rng, (10, 12))
    reference = dense_lbdm_laplacian(image, 1e-5, radius)
    L = lbdm_laplacian(image, epsilon=1e-5, radius=radius, trimap=trimap).toarray()
    U = (trimap == 0.5).ravel()
    scale = np.abs(reference).max()
    np.testing.assert_allclose(L[U], reference[U], atol=ATOL * scale)
    np.testing.assert_allclose(L[:, U], reference[:, U], atol=ATOL * scale)
    np.testing.assert_array_equal(L[np.ix_(~U, ~U)], 0.0)


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("rho", [0.0, 1e-3])
def test_system_is_the_authors_system_with_the_known_pixels_fixed(channels, rho):
    """(L_UU + rho I) beta_U = -L_UK beta_K for beta = 2 alpha - 1, written for alpha."""
    rng = np.random.default_rng(6)
    image = rng.random((9, 10, channels))
    trimap = random_trimap(rng, (9, 10))
    L = dense_lbdm_laplacian(image, 1e-6, 1)
    system = _lbdm_system(image, split_trimap(trimap), 1e-6, 1, rho)
    U = (trimap == 0.5).ravel()
    K = ~U
    beta_K = np.where(trimap.ravel()[K] == 1.0, 1.0, -1.0)
    A = L[np.ix_(U, U)] + rho * np.eye(U.sum())
    beta_U = np.linalg.solve(A, -L[np.ix_(U, K)] @ beta_K)
    np.testing.assert_allclose(system.A.toarray(), A, atol=ATOL * np.abs(L).max())
    alpha_U = np.linalg.solve(system.A.toarray(), system.b)
    np.testing.assert_allclose(alpha_U, (1 + beta_U) / 2, atol=1e-8)
    assert system.local and system.hard


def test_method_solves_the_system_exactly():
    rng = np.random.default_rng(8)
    image = rng.random((20, 24, 3))
    trimap = random_trimap(rng, (20, 24))
    system = _lbdm_system(image, split_trimap(trimap), 1e-7, 1, 1e-6)
    expected = np.clip(np.linalg.solve(system.A.toarray(), system.b), 0, 1)
    alpha = estimate_alpha(image, trimap, method="lbdm")
    np.testing.assert_allclose(alpha.flat[system.unknown], expected, atol=1e-9)
    assert (alpha[trimap == 1.0] == 1.0).all() and (alpha[trimap == 0.0] == 0.0).all()


def test_regularization_pulls_a_free_region_to_one_half():
    """An unknown band between foreground and background that the image does not
    tell apart (flat): with the ridge term alpha stays near 1/2 in the middle."""
    image = np.full((12, 30, 3), 0.5)
    trimap = np.full((12, 30), 0.5)
    trimap[:, :3] = 0.0
    trimap[:, -3:] = 1.0
    alpha = estimate_alpha(image, trimap, method="lbdm", regularization=1e-3)
    assert abs(alpha[:, 15].mean() - 0.5) < 0.05


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"epsilon": 0.0}, ValueError, "epsilon must be > 0"),
        ({"radius": 0}, ValueError, "radius must be >= 1"),
        ({"radius": 1.5}, TypeError, "radius must be an integer"),
        ({"regularization": -1.0}, ValueError, "regularization must be >= 0"),
        ({"radius": 20}, ValueError, "smaller than one window of radius 20"),
        ({"solver": "magic"}, ValueError, "solver"),
    ],
)
def test_bad_options_name_the_option(options, error, match, synthetic_pair):
    with pytest.raises(error, match=match):
        estimate_alpha(synthetic_pair.image, synthetic_pair.trimap, method="lbdm", **options)


def test_laplacian_bad_options():
    with pytest.raises(ValueError, match="epsilon must be > 0"):
        lbdm_laplacian(np.zeros((5, 5, 3)), epsilon=-1.0)
    with pytest.raises(ValueError, match="does not match image size"):
        lbdm_laplacian(np.zeros((5, 5, 3)), trimap=np.zeros((5, 6)))
