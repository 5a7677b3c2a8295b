"""composite and cutout: shapes, straight alpha, colours, backgrounds of other sizes."""

from __future__ import annotations

import numpy as np
import pytest

from classicmat.compose import composite, cutout, fit_background


def small_pair():
    rng = np.random.default_rng(0)
    foreground = rng.random((6, 8, 3))
    alpha = rng.random((6, 8))
    alpha[0, 0], alpha[0, 1] = 0.0, 1.0
    return foreground, alpha


def test_composite_with_an_image_of_the_same_size_is_the_blend():
    foreground, alpha = small_pair()
    background = np.random.default_rng(1).random((6, 8, 3))
    out = composite(foreground, alpha, background)
    a = alpha[:, :, None]
    np.testing.assert_allclose(out, a * foreground + (1 - a) * background, atol=1e-15)


@pytest.mark.parametrize(
    ("colour", "expected"),
    [
        ("#FF8000", (1.0, 128 / 255, 0.0)),
        ((255, 128, 0), (1.0, 128 / 255, 0.0)),
        ((1.0, 0.5, 0.0), (1.0, 0.5, 0.0)),
    ],
)
def test_composite_over_a_colour(colour, expected):
    foreground, alpha = small_pair()
    out = composite(foreground, alpha, colour)
    assert out.shape == (6, 8, 3)
    np.testing.assert_allclose(out[0, 0], expected)  # alpha 0: the colour
    np.testing.assert_allclose(out[0, 1], foreground[0, 1])  # alpha 1: the foreground


@pytest.mark.parametrize("fit", ["cover", "stretch", "tile"])
@pytest.mark.parametrize("size", [(3, 20), (30, 5), (6, 8)])
def test_composite_with_a_differently_sized_background(fit, size):
    foreground, alpha = small_pair()
    background = np.random.default_rng(2).random((*size, 3))
    out = composite(foreground, alpha, background, fit=fit)
    assert out.shape == (6, 8, 3)
    assert out.min() >= 0 and out.max() <= 1


def test_cover_keeps_the_aspect_ratio_and_crops_the_centre():
    # a 2 x 8 image, left half 0 and right half 1, covering a 4 x 4 target:
    # scaled to 4 x 16, the centre crop keeps columns 6-9, around the step
    background = np.zeros((2, 8, 1))
    background[:, 4:] = 1.0
    out = fit_background(background, 4, 4, "cover")
    assert out.shape == (4, 4, 1)
    assert out[0, 0, 0] < 0.5 < out[0, 3, 0]


def test_tile_repeats_from_the_top_left():
    background = np.arange(6, dtype=float).reshape(2, 3, 1) / 5
    out = fit_background(background, 3, 5, "tile")
    np.testing.assert_array_equal(out[:, :, 0], np.tile(background[:, :, 0], (2, 2))[:3, :5])


def test_gray_foreground_composites_to_rgb():
    foreground, alpha = small_pair()
    out = composite(foreground[:, :, 0], alpha, "#0000FF")
    assert out.shape == (6, 8, 3)
    np.testing.assert_allclose(out[0, 1], foreground[0, 1, 0])


def test_cutout_is_straight_alpha():
    foreground, alpha = small_pair()
    rgba = cutout(foreground, alpha, foreground=foreground)
    assert rgba.shape == (6, 8, 4)
    np.testing.assert_array_equal(rgba[..., :3], foreground)  # not multiplied by alpha
    np.testing.assert_array_equal(rgba[..., 3], alpha)


def test_cutout_estimates_the_foreground_by_default():
    from classicmat.foreground import estimate_foreground

    foreground, alpha = small_pair()
    image = composite(foreground, alpha, "#204080")
    rgba = cutout(image, alpha)
    np.testing.assert_array_equal(rgba[..., :3], estimate_foreground(image, alpha))


def test_cutout_round_trips_through_a_png(tmp_path):
    from classicmat.io import read_image, write_image

    foreground, alpha = small_pair()
    rgba = cutout(foreground, alpha, foreground=foreground)
    write_image(tmp_path / "cut.png", rgba)
    back = read_image(tmp_path / "cut.png")
    assert back.shape == (6, 8, 4) and back.dtype == np.uint8
    np.testing.assert_array_equal(back, np.rint(rgba * 255).astype(np.uint8))


@pytest.mark.parametrize(
    ("background", "kwargs", "error", "match"),
    [
        ("#12345", {}, ValueError, "'#RRGGBB'"),
        ((1, 2), {}, ValueError, "3 components"),
        ((0, 300, 0), {}, ValueError, "0-255"),
        ((0.0, 1.5, 0.0), {}, ValueError, r"\[0, 1\]"),
        ("#000000", {"fit": "zoom"}, ValueError, "fit must be one of"),
        (np.zeros((4, 4, 2)), {}, ValueError, "background must have shape"),
    ],
)
def test_composite_bad_inputs(background, kwargs, error, match):
    foreground, alpha = small_pair()
    with pytest.raises(error, match=match):
        composite(foreground, alpha, background, **kwargs)


def test_sizes_must_match():
    foreground, alpha = small_pair()
    with pytest.raises(ValueError, match="alpha size 7x6 .* foreground size 8x6"):
        composite(foreground, alpha[:, :7], "#000000")
    with pytest.raises(ValueError, match="foreground size 7x6 .* image size 8x6"):
        cutout(foreground, alpha, foreground=foreground[:, :7])
