"""estimate_alpha: the dispatcher, input handling, and the closed-form method."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import classicmat
from classicmat import estimate_alpha

FG = np.array([0.9, 0.3, 0.1])
BG = np.array([0.1, 0.4, 0.8])


def blended_scene(h=24, w=40):
    """Two flat colours blended by a known alpha: the colour-line model holds exactly."""
    x = np.linspace(-0.3, 1.3, w)
    y = np.linspace(0, 1, h)[:, None]
    alpha = np.clip(x[None, :] + 0.2 * np.sin(6 * y), 0.0, 1.0)
    image = alpha[:, :, None] * FG + (1 - alpha[:, :, None]) * BG
    trimap = np.full((h, w), 0.5)
    trimap[alpha == 0.0] = 0.0
    trimap[alpha == 1.0] = 1.0
    return image, trimap, alpha


def test_recovers_known_alpha_of_a_two_colour_blend():
    image, trimap, alpha_true = blended_scene()
    alpha = estimate_alpha(image, trimap, method="cf")
    assert np.abs(alpha - alpha_true).max() < 1e-3


def test_output_contract():
    image, trimap, _ = blended_scene()
    alpha = estimate_alpha(image, trimap)
    assert alpha.shape == trimap.shape and alpha.dtype == np.float64
    assert alpha.min() >= 0.0 and alpha.max() <= 1.0
    np.testing.assert_array_equal(alpha[trimap == 1.0], 1.0)
    np.testing.assert_array_equal(alpha[trimap == 0.0], 0.0)


@pytest.mark.parametrize("solver", ["cg-jacobi", "cg-ichol", "cg-amg", "multigrid", "direct"])
def test_solvers_agree(solver):
    rng = np.random.default_rng(0)
    image, trimap, _ = blended_scene()
    image = np.clip(image + 0.05 * rng.standard_normal(image.shape), 0, 1)
    reference = estimate_alpha(image, trimap, solver="direct")
    alpha = estimate_alpha(image, trimap, solver=solver, rtol=1e-10, maxiter=100_000)
    np.testing.assert_allclose(alpha, reference, atol=1e-4)


def test_input_types_give_the_same_alpha(tmp_path):
    from PIL import Image

    image, trimap, _ = blended_scene()
    image8 = np.rint(image * 255).astype(np.uint8)
    trimap8 = np.rint(trimap * 255).astype(np.uint8)
    reference = estimate_alpha(image8 / 255.0, trimap8 / 255.0)
    Image.fromarray(image8).save(tmp_path / "image.png")
    Image.fromarray(trimap8).save(tmp_path / "trimap.png")
    rgba = np.dstack([image8, np.full(trimap8.shape, 7, np.uint8)])
    variants = {
        "uint8": (image8, trimap8),
        "uint16": (image8.astype(np.uint16) * 257, trimap8.astype(np.uint16) * 257),
        "pil": (Image.fromarray(image8), Image.fromarray(trimap8)),
        "path": (tmp_path / "image.png", str(tmp_path / "trimap.png")),
        "rgba + rgb trimap": (rgba, np.dstack([trimap8] * 3)),
    }
    for name, (im, tr) in variants.items():
        np.testing.assert_allclose(estimate_alpha(im, tr), reference, atol=1e-6, err_msg=name)


def test_gray_image():
    image, trimap, alpha_true = blended_scene()
    gray = image[:, :, 0]  # red: 0.9 on the foreground, 0.1 on the background
    alpha = estimate_alpha(gray, trimap)
    assert np.abs(alpha - alpha_true).max() < 1e-3


def test_trimap_without_unknown_pixels_is_returned():
    trimap = np.zeros((6, 6))
    trimap[:, 3:] = 1.0
    alpha = estimate_alpha(np.random.default_rng(1).random((6, 6, 3)), trimap)
    np.testing.assert_array_equal(alpha, trimap)


@pytest.mark.parametrize(("label", "value"), [("foreground", 0.0), ("background", 1.0)])
def test_trimap_without_foreground_or_background(label, value):
    trimap = np.full((8, 8), 0.5)
    trimap[0] = value
    with pytest.raises(ValueError, match=f"no known {label}"):
        estimate_alpha(np.zeros((8, 8, 3)), trimap)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"method": "nope"}, ValueError, r"unknown method 'nope'; valid methods are: 'cf'"),
        ({"epsilom": 1e-6}, TypeError, r"unknown option 'epsilom'.*valid options are: epsilon"),
        ({"solver": "gauss"}, ValueError, r"solver must be one of 'auto', .*, got 'gauss'"),
        ({"epsilon": -1}, ValueError, r"epsilon must be > 0"),
        ({"radius": 0}, ValueError, r"radius must be >= 1"),
    ],
)
def test_bad_method_and_options(kwargs, error, match):
    image, trimap, _ = blended_scene(8, 8)
    with pytest.raises(error, match=match):
        estimate_alpha(image, trimap, **kwargs)


@pytest.mark.parametrize(
    ("image", "trimap", "error", "match"),
    [
        (
            np.zeros((8, 8, 3)),
            np.linspace(0, 1, 72).reshape(8, 9),
            ValueError,
            r"trimap size 9x8 \(W x H\) does not",
        ),
        (np.zeros((8, 8, 2)), np.zeros((8, 8)), ValueError, r"image must have shape"),
        (np.full((8, 8, 3), 2.0), np.zeros((8, 8)), ValueError, r"image of float dtype must"),
        (np.zeros((8, 8, 3), np.int64), np.zeros((8, 8)), TypeError, r"image must have dtype"),
        (np.zeros((8, 8, 3)), np.full((8, 8), np.nan), ValueError, r"trimap contains NaN"),
        ("missing.png", np.zeros((8, 8)), FileNotFoundError, r"missing\.png"),
        (
            np.zeros((8, 8, 3)),
            np.dstack([np.zeros((8, 8)), np.ones((8, 8)), np.zeros((8, 8))]),
            ValueError,
            r"channels differ",
        ),
        ([[1, 2]], np.zeros((1, 2)), TypeError, r"image must have dtype"),
        (np.zeros((8, 8, 3)), None, TypeError, r"trimap must be .*, got None \(only method="),
        (np.zeros((8, 8, 3)), [object()], TypeError, r"trimap must be .*, got list"),
    ],
)
def test_bad_inputs(image, trimap, error, match):
    with pytest.raises(error, match=match):
        estimate_alpha(image, trimap)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    h=st.integers(3, 12),
    w=st.integers(3, 12),
    epsilon=st.sampled_from([1e-7, 1e-5, 1e-2]),
)
def test_alpha_in_unit_range_and_equal_to_trimap_where_known(seed, h, w, epsilon):
    rng = np.random.default_rng(seed)
    image = rng.random((h, w, 3))
    trimap = rng.choice([0.0, 0.5, 1.0], size=(h, w))
    trimap[0, 0], trimap[-1, -1] = 0.0, 1.0
    alpha = estimate_alpha(image, trimap, epsilon=epsilon, solver="direct")
    assert np.all((alpha >= 0.0) & (alpha <= 1.0))
    np.testing.assert_array_equal(alpha[trimap == 0.0], 0.0)
    np.testing.assert_array_equal(alpha[trimap == 1.0], 1.0)


def test_methods_registry_lists_cf():
    assert "cf" in classicmat.METHODS.names()


LEMUR = "examples/data/lemur.png"
LEMUR_TRIMAP = "examples/data/lemur_trimap.png"


@pytest.mark.parametrize(
    ("transform", "epsilon"),
    [
        ("posterised", 1e-7),  # each channel thresholded at 128: two values per channel
        ("plain", 1e-11),  # a tiny regulariser
        ("gray posterised", 1e-9),
    ],
)
def test_flat_colour_photos_and_tiny_epsilon_give_a_matte(transform, epsilon):
    """The issue's reproductions on the bundled lemur: these used to fail with
    'A is not positive definite' (negative diagonal entries of the Laplacian)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    image = classicmat.read_image(root / LEMUR)
    trimap = classicmat.read_image(root / LEMUR_TRIMAP, kind="trimap")
    if "posterised" in transform:
        image = np.where(image >= 128, 255, 0).astype(np.uint8)
    if "gray" in transform:
        image = image[:, :, 0]
    alpha = estimate_alpha(image, trimap, epsilon=epsilon)
    masks = classicmat.split_trimap(trimap)
    assert np.isfinite(alpha).all()
    assert alpha.min() >= 0.0 and alpha.max() <= 1.0
    assert np.array_equal(alpha[masks.is_fg], np.ones(masks.is_fg.sum()))
    # a real matte, not a constant: both sides are reached inside the band
    band = alpha[masks.is_unknown]
    assert band.min() < 0.05 and band.max() > 0.95


def test_messages_say_what_was_passed(tmp_path):
    image, trimap, _ = blended_scene(8, 8)
    with pytest.raises(
        TypeError, match=r"image must be an ndarray, a PIL image or a path, got None$"
    ):
        estimate_alpha(None, trimap)
    path = tmp_path / "image.png"
    classicmat.write_image(path, image)
    with (
        open(path, "rb") as file,
        pytest.raises(
            TypeError, match=r"got a file object \(BufferedReader\); pass the file's path"
        ),
    ):
        estimate_alpha(file, trimap)
    with pytest.raises(TypeError, match=r"got dict"):
        estimate_alpha({"a": 1}, trimap)
    with pytest.raises(FileNotFoundError, match=r"image file not found: '.*nope.png'"):
        estimate_alpha(tmp_path / "nope.png", trimap)
    with pytest.raises(IsADirectoryError, match=r"image '.*' is a directory"):
        estimate_alpha(tmp_path, trimap)
