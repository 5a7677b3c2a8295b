"""Random-walk matting: the graph Laplacian against the paper's formula, its system, the method."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from classicmat import estimate_alpha, rw_laplacian
from classicmat.laplacian.rw import _rw_system
from classicmat.trimap import split_trimap

from .reference import dense_rw_laplacian


def random_trimap(rng, shape):
    trimap = rng.choice([0.0, 0.5, 1.0], size=shape, p=[0.3, 0.4, 0.3])
    trimap[0, 0], trimap[-1, -1] = 0.0, 1.0
    return trimap


@pytest.mark.parametrize(
    ("shape", "sigma", "radius", "regularization"),
    [
        ((7, 9, 3), 1 / 30, 1, 1e-8),
        ((7, 9, 3), 0.2, 1, 0.0),
        ((8, 6), 0.1, 1, 1e-3),
        ((9, 11, 3), 0.3, 2, 1e-8),
    ],
)
def test_equals_dense_formula(shape, sigma, radius, regularization):
    rng = np.random.default_rng(1)
    image = rng.random(shape)
    reference = dense_rw_laplacian(image, sigma, radius, regularization)
    L = rw_laplacian(image, sigma=sigma, radius=radius, regularization=regularization)
    np.testing.assert_allclose(L.toarray(), reference, rtol=1e-12, atol=1e-300)


def test_default_sigma_gives_pymatting_weights_and_sigma_is_honoured():
    """PyMatting's rows are ours divided by the degree (plus a self-loop of weight 1)
    at interior pixels, with its weights exp(-900 d^2) whatever its sigma."""
    pymatting = pytest.importorskip("pymatting")
    h, w = 6, 7
    image = np.random.default_rng(2).random((h, w, 3)) * 0.2
    ours = rw_laplacian(image, regularization=0.0).toarray()
    theirs = pymatting.rw_laplacian(image, sigma=123.0, regularization=0.0).toarray()
    interior = [y * w + x for y in range(1, h - 1) for x in range(1, w - 1)]
    degree = 1.0 + ours.diagonal()[interior]
    np.testing.assert_allclose(theirs[interior] * degree[:, None], ours[interior], atol=1e-12)
    other = rw_laplacian(image, sigma=0.1, regularization=0.0).toarray()
    assert np.abs(other - ours).max() > 0.1


@settings(max_examples=30, deadline=None)
@given(
    image=arrays(
        np.float64,
        st.tuples(st.integers(1, 8), st.integers(1, 8), st.just(3)),
        elements=st.floats(0, 1),
    ),
    sigma=st.sampled_from([1 / 30, 0.1, 1.0]),
)
def test_properties_symmetric_zero_rows_psd(image, sigma):
    L = rw_laplacian(image, sigma=sigma, regularization=0.0).toarray()
    np.testing.assert_array_equal(L, L.T)  # w_ij and w_ji: the same float operations
    np.testing.assert_allclose(L.sum(axis=1), 0.0, atol=1e-12)
    assert (L - np.diag(np.diag(L)) <= 0).all()
    assert np.linalg.eigvalsh(L).min() >= -1e-12


def test_neighbourhood_is_the_square_without_border_clamping():
    L = rw_laplacian(np.zeros((5, 6, 3)), regularization=0.0)
    counts = np.diff(L.indptr).reshape(5, 6)  # stored entries: neighbours + diagonal
    assert counts[2, 2] == 9 and counts[0, 2] == 6 and counts[0, 0] == 4
    assert rw_laplacian(np.zeros((5, 6, 3)), radius=2).indptr[1] == 9  # corner: 3 x 3


@pytest.mark.parametrize("radius", [1, 2])
def test_trimap_restricted_rows_and_columns_are_exact(radius):
    rng = np.random.default_rng(3)
    image = rng.random((10, 12, 3))
    trimap = random_trimap(rng, (10, 12))
    reference = dense_rw_laplacian(image, 0.3, radius, 1e-8)
    L = rw_laplacian(image, sigma=0.3, radius=radius, trimap=trimap).toarray()
    U = (trimap == 0.5).ravel()
    np.testing.assert_allclose(L[U], reference[U], rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(L[:, U], reference[:, U], rtol=1e-12, atol=1e-300)
    np.testing.assert_array_equal(L[np.ix_(~U, ~U)], 0.0)


@pytest.mark.parametrize("channels", [1, 3])
def test_system_is_the_dirichlet_problem(channels):
    rng = np.random.default_rng(4)
    image = rng.random((9, 10, channels))
    trimap = random_trimap(rng, (9, 10))
    L = dense_rw_laplacian(image, 0.2, 1, 1e-8)
    system = _rw_system(image, split_trimap(trimap), 0.2, 1, 1e-8)
    U = (trimap == 0.5).ravel()
    K = ~U
    np.testing.assert_allclose(system.A.toarray(), L[np.ix_(U, U)], rtol=1e-12, atol=1e-300)
    # the system of the labels beta = 2 alpha - 1, written for alpha
    b = -L[np.ix_(U, K)] @ (trimap.ravel()[K] == 1.0) + 0.5e-8
    np.testing.assert_allclose(system.b, b, rtol=1e-13, atol=1e-15)
    beta_K = np.where(trimap.ravel()[K] == 1.0, 1.0, -1.0)
    beta_U = np.linalg.solve(L[np.ix_(U, U)], -L[np.ix_(U, K)] @ beta_K)
    alpha_U = np.linalg.solve(system.A.toarray(), system.b)
    np.testing.assert_allclose(alpha_U, (1 + beta_U) / 2, atol=1e-9)
    assert system.local and system.hard and system.A.has_sorted_indices


def test_alpha_is_the_probability_of_reaching_the_foreground_first():
    """A uniform strip: the walk is symmetric, alpha grows linearly across it."""
    image = np.full((6, 12, 3), 0.4)
    trimap = np.full((6, 12), 0.5)
    trimap[:, 0] = 0.0
    trimap[:, -1] = 1.0
    alpha = estimate_alpha(image, trimap, method="rw", regularization=0.0)
    np.testing.assert_allclose(alpha, np.tile(np.linspace(0, 1, 12), (6, 1)), atol=1e-9)


def test_isolated_pixel_with_underflowing_weights_is_solvable():
    image = np.zeros((5, 5, 3))
    image[2, 2] = 1.0  # every weight of the centre is exp(-2700) = 0.0
    trimap = np.zeros((5, 5))
    trimap[2, 2] = 0.5
    trimap[0, 0] = 1.0
    alpha = estimate_alpha(image, trimap, method="rw")
    assert abs(alpha[2, 2] - 0.5) < 1e-12  # nothing tells it apart: the middle of the labels


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"sigma": 0.0}, ValueError, "sigma must be > 0"),
        ({"sigma": "wide"}, TypeError, "sigma must be a number"),
        ({"radius": 0}, ValueError, "radius must be >= 1"),
        ({"regularization": -1e-8}, ValueError, "regularization must be >= 0"),
    ],
)
def test_bad_options_name_the_option(options, error, match, synthetic_pair):
    with pytest.raises(error, match=match):
        estimate_alpha(synthetic_pair.image, synthetic_pair.trimap, method="rw", **options)
    if "sigma" in options or "radius" in options:
        with pytest.raises(error, match=match):
            rw_laplacian(synthetic_pair.image, **options)
