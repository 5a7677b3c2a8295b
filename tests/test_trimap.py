"""Tests of the trimap tools: split_trimap, trimap_from_alpha, trimap_from_mask."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from classicmat import trimap as trimap_module
from classicmat.metrics import sad
from classicmat.trimap import split_trimap, trimap_from_alpha, trimap_from_mask


def _edge_mask(shape=(5, 32), column=16):
    mask = np.zeros(shape, dtype=bool)
    mask[:, column:] = True
    return mask


def _soft_alpha(seed=0, shape=(40, 50)):
    """A disk of alpha 1 with a soft rim, some noise on the rim, and a hard edge."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    alpha = np.clip(1.8 - np.hypot(yy - 20, xx - 20) / 8, 0, 1)
    rim = (alpha > 0) & (alpha < 1)
    alpha[rim] = np.clip(alpha[rim] + rng.normal(0, 0.05, rim.sum()), 0.01, 0.99)
    alpha[5:15, 42:] = 1.0  # a hard-edged block
    return alpha


def test_ellipse_shapes_match_opencv():
    ellipse = trimap_module._ellipse
    assert ellipse(1).tolist() == [[True]]
    np.testing.assert_array_equal(ellipse(3), [[0, 1, 0], [1, 1, 1], [0, 1, 0]])
    np.testing.assert_array_equal(
        ellipse(5),
        [[0, 0, 1, 0, 0], [1, 1, 1, 1, 1], [1, 1, 1, 1, 1], [1, 1, 1, 1, 1], [0, 0, 1, 0, 0]],
    )
    np.testing.assert_array_equal(ellipse(7)[1], [0, 1, 1, 1, 1, 1, 0])
    np.testing.assert_array_equal(
        ellipse(4), [[0, 0, 1, 0], [1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1]]
    )
    for size in (3, 5, 9, 15):
        assert np.array_equal(ellipse(size), ellipse(size)[::-1, ::-1])  # odd sizes: symmetric


def test_trimap_from_mask_band_width_by_hand():
    mask = _edge_mask()
    # kernel 5 reaches 2 pixels sideways: background kept up to column 13,
    # foreground from column 18; the border rows are not eroded.
    expected_row = [0] * 14 + [128] * 4 + [255] * 14
    trimap = trimap_from_mask(mask, kernel_size=5)
    assert trimap.dtype == np.uint8
    assert trimap.shape == mask.shape
    assert trimap.tolist() == [expected_row] * 5
    # kernel 1 does not erode: no unknown pixels
    assert set(np.unique(trimap_from_mask(mask, kernel_size=1)).tolist()) == {0, 255}


@pytest.mark.parametrize("iterations", [1, 2, 3])
def test_iterations_repeat_the_erosion(iterations):
    trimap = trimap_from_mask(_edge_mask(), kernel_size=3, iterations=iterations)
    unknown_columns = np.flatnonzero(trimap[2] == 128)
    assert unknown_columns.tolist() == list(range(16 - iterations, 16 + iterations))


def test_trimap_from_alpha_values_and_regions():
    alpha = _soft_alpha()
    trimap = trimap_from_alpha(alpha, kernel_size=7)
    assert trimap.dtype == np.uint8
    assert trimap.shape == alpha.shape
    assert set(np.unique(trimap).tolist()) == {0, 128, 255}
    assert np.all(alpha[trimap == 255] == 1.0)
    assert np.all(alpha[trimap == 0] == 0.0)
    # every soft pixel is unknown, and the hard edge of the block got a band
    assert np.all(trimap[(alpha > 0) & (alpha < 1)] == 128)
    assert np.all(trimap[10, 39:45] == 128)


def test_trimap_from_alpha_kernel_one_is_the_alpha_classes():
    alpha = _soft_alpha()
    trimap = trimap_from_alpha(alpha, kernel_size=1)
    expected = np.where(alpha >= 1, 255, np.where(alpha <= 0, 0, 128))
    np.testing.assert_array_equal(trimap, expected)


def test_trimap_from_alpha_thresholds():
    alpha = np.array([[0.0, 0.02, 0.5, 0.97, 1.0]])
    assert trimap_from_alpha(alpha, kernel_size=1).tolist() == [[0, 128, 128, 128, 255]]
    got = trimap_from_alpha(alpha, kernel_size=1, fg_threshold=0.95, bg_threshold=0.05)
    assert got.tolist() == [[0, 0, 128, 255, 255]]


def test_uint8_and_float_alpha_agree():
    alpha = np.round(_soft_alpha() * 255).astype(np.uint8)
    np.testing.assert_array_equal(
        trimap_from_alpha(alpha, kernel_size=5), trimap_from_alpha(alpha / 255.0, kernel_size=5)
    )


def test_trimap_from_mask_equals_trimap_from_alpha_of_the_mask():
    mask = _soft_alpha() > 0.5
    for kernel_size in (3, 6, 11):
        np.testing.assert_array_equal(
            trimap_from_mask(mask, kernel_size=kernel_size),
            trimap_from_alpha(mask.astype(np.float64), kernel_size=kernel_size),
        )
    # 0/255 uint8 and 0/1 float masks read as booleans
    np.testing.assert_array_equal(
        trimap_from_mask(mask.astype(np.uint8) * 255), trimap_from_mask(mask)
    )
    np.testing.assert_array_equal(trimap_from_mask(mask.astype(float)), trimap_from_mask(mask))


def test_split_trimap_reads_the_output():
    alpha = _soft_alpha()
    trimap = trimap_from_alpha(alpha, kernel_size=5)
    masks = split_trimap(trimap)
    np.testing.assert_array_equal(masks.is_fg, trimap == 255)
    np.testing.assert_array_equal(masks.is_bg, trimap == 0)
    np.testing.assert_array_equal(masks.is_unknown, trimap == 128)
    # and the metrics evaluate on its unknown pixels
    assert sad(alpha, alpha, trimap) == 0.0


def test_random_kernel_sizes_are_reproducible():
    alpha = _soft_alpha()
    first = trimap_from_alpha(alpha, kernel_size=(1, 29), rng=123)
    again = trimap_from_alpha(alpha, kernel_size=(1, 29), rng=123)
    np.testing.assert_array_equal(first, again)
    from_generator = trimap_from_alpha(alpha, kernel_size=(1, 29), rng=np.random.default_rng(123))
    np.testing.assert_array_equal(first, from_generator)
    # a shared generator moves on: successive calls draw new sizes
    generator = np.random.default_rng(5)
    results = [trimap_from_alpha(alpha, kernel_size=(1, 29), rng=generator) for _ in range(6)]
    assert any(not np.array_equal(results[0], other) for other in results[1:])
    # different seeds give different trimaps (for some seeds)
    seeds = [trimap_from_alpha(alpha, kernel_size=(1, 29), rng=seed) for seed in range(6)]
    assert any(not np.array_equal(seeds[0], other) for other in seeds[1:])


def test_random_sizes_are_drawn_from_the_inclusive_range():
    rng = np.random.default_rng(0)
    sizes = {trimap_module._kernel_sizes((3, 5), rng) for _ in range(200)}
    assert {size for pair in sizes for size in pair} == {3, 4, 5}
    assert any(fg != bg for fg, bg in sizes)  # foreground and background drawn apart
    assert trimap_module._kernel_sizes((7, 7), None) == (7, 7)
    assert trimap_module._kernel_sizes(9, None) == (9, 9)


def test_fixed_size_ignores_rng():
    mask = _edge_mask()
    np.testing.assert_array_equal(
        trimap_from_mask(mask, kernel_size=5, rng=1), trimap_from_mask(mask, kernel_size=5)
    )


@settings(max_examples=40, deadline=None)
@given(
    arrays(np.uint8, (9, 10), elements=st.sampled_from([0, 0, 0, 60, 200, 255, 255, 255])),
    st.integers(1, 8),
    st.integers(1, 3),
)
def test_known_regions_are_subsets_of_the_true_classes(alpha, kernel_size, iterations):
    trimap = trimap_from_alpha(alpha, kernel_size=kernel_size, iterations=iterations)
    assert set(np.unique(trimap).tolist()) <= {0, 128, 255}
    assert np.all(alpha[trimap == 255] == 255)
    assert np.all(alpha[trimap == 0] == 0)
    assert np.all(trimap[(alpha > 0) & (alpha < 255)] == 128)
    # larger kernels never grow the known regions
    bigger = trimap_from_alpha(alpha, kernel_size=kernel_size + 2, iterations=iterations)
    assert np.all((bigger == 128) | (bigger == trimap))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"kernel_size": 0}, ValueError, "kernel_size must be >= 1"),
        ({"kernel_size": -3}, ValueError, "kernel_size must be >= 1"),
        ({"kernel_size": 2.5}, TypeError, "kernel_size must be an integer"),
        ({"kernel_size": "5"}, TypeError, "kernel_size must be an integer"),
        ({"kernel_size": (5, 2)}, ValueError, r"low <= high, got \(5, 2\)"),
        ({"kernel_size": (1, 2, 3)}, ValueError, r"\(low, high\) pair"),
        ({"kernel_size": (0, 3)}, ValueError, r"kernel_size\[0\] must be >= 1"),
        ({"kernel_size": (1, 5), "rng": "seed"}, TypeError, "rng must be None, an int seed"),
        ({"iterations": 0}, ValueError, "iterations must be >= 1"),
        ({"fg_threshold": 1.5}, ValueError, "fg_threshold must be <= 1,"),
        ({"bg_threshold": 0.5, "fg_threshold": 0.5}, ValueError, "must be below fg_threshold"),
    ],
)
def test_trimap_from_alpha_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        trimap_from_alpha(_soft_alpha(), **kwargs)


def test_trimap_from_alpha_bad_alpha():
    with pytest.raises(ValueError, match=r"alpha of float dtype must have values in \[0, 1\]"):
        trimap_from_alpha(np.full((3, 3), 2.0))
    with pytest.raises(TypeError, match="alpha must have dtype uint8, uint16 or float"):
        trimap_from_alpha(np.zeros((3, 3), dtype=np.int32))


@pytest.mark.parametrize(
    ("mask", "match"),
    [
        (np.zeros((4, 4), dtype=bool), "mask has no foreground"),
        (np.ones((4, 4), dtype=bool), "mask has no background"),
        (np.full((4, 4), 0.5), "mask must be binary"),
        (np.zeros((4, 4, 2), dtype=bool), r"mask must have shape \(H, W\)"),
    ],
)
def test_trimap_from_mask_bad_masks(mask, match):
    with pytest.raises(ValueError, match=match):
        trimap_from_mask(mask)
