"""The ONNX backend: real ONNX graphs built in the tests, run end to end by onnxruntime.

Every network is a fixed-weight convolution (``tests/onnx_models.py``), so the
alpha it must give is known exactly: these tests check the pre-processing
(normalisation, channel order, trimap encoding, padding, resizing), the
post-processing (output choice, sigmoid, cropping, resizing back, known
pixels), the spec inference and checks, the session cache, the auto-trimap
pipeline and the errors. Float32 networks: exact values are compared with
a tolerance of 1e-6.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnxruntime")

import classicmat  # noqa: E402
from classicmat import cli  # noqa: E402
from classicmat.deep import (  # noqa: E402
    IMAGENET_MEAN,
    IMAGENET_STD,
    PRESETS,
    ModelSpec,
    OnnxMatting,
    clear_session_cache,
    estimate_alpha_onnx,
    get_session,
    trimap_from_model,
)
from classicmat.deep import session as session_module  # noqa: E402

from .onnx_models import (  # noqa: E402
    TensorProto,
    conv_model,
    downsampling_model,
    identity_model,
    nan_model,
    two_input_model,
)

TOL = 1e-6  # float32 network, float64 result
REPO = Path(__file__).resolve().parents[1]
TRIMAP_CHANNEL = [0.0, 0.0, 0.0, 1.0]  # a 4-channel network whose alpha is its trimap input


@pytest.fixture(autouse=True)
def _fresh_cache():
    clear_session_cache()
    yield
    clear_session_cache()


def _scene(height=37, width=51, seed=0):
    """A random image and a trimap: background left, unknown middle, foreground right."""
    rng = np.random.default_rng(seed)
    image = rng.random((height, width, 3))
    trimap = np.full((height, width), 0.5)
    trimap[:, : width // 4] = 0.0
    trimap[:, 3 * width // 4 :] = 1.0
    return image, trimap


def _channel_picker(channel: int, channels: int = 4, mean=IMAGENET_MEAN, std=IMAGENET_STD):
    """Weights and bias that undo the normalisation of one colour channel."""
    weights = np.zeros(channels)
    weights[channel] = std[channel]
    return weights, mean[channel]


# ------------------------------------------------------------ pre-processing


def test_trimap_channel_is_fed_as_0_half_1(tmp_path):
    image, trimap = _scene()
    model = conv_model(tmp_path / "m.onnx", TRIMAP_CHANNEL)
    alpha = OnnxMatting(model, spec={"force_known": False})(image, trimap)
    assert alpha.shape == (37, 51) and alpha.dtype == np.float64
    expected = np.where(trimap == 0.0, 0.0, np.where(trimap == 1.0, 1.0, 0.5))
    np.testing.assert_allclose(alpha, expected, atol=TOL)
    custom = {"force_known": False, "trimap_values": (0.2, 0.4, 0.6)}
    alpha = OnnxMatting(model, spec=custom)(image, trimap)
    np.testing.assert_allclose(alpha, 0.2 + 0.4 * expected, atol=TOL)


@pytest.mark.parametrize("channel", [0, 1, 2])
def test_imagenet_normalisation_of_each_channel(tmp_path, channel):
    # the network computes std_c * x_c + mean_c, so it returns the channel unnormalised
    image, trimap = _scene()
    weights, bias = _channel_picker(channel)
    alpha = OnnxMatting(conv_model(tmp_path / "m.onnx", weights, bias))(image, trimap)
    unknown = trimap == 0.5
    np.testing.assert_allclose(alpha[unknown], image[:, :, channel][unknown], atol=TOL)


def test_bgr_order_and_value_range(tmp_path):
    image, trimap = _scene()
    unknown = trimap == 0.5
    weights, bias = _channel_picker(0)  # network channel 0
    model = conv_model(tmp_path / "m.onnx", weights, bias)
    alpha = OnnxMatting(model, spec={"channel_order": "bgr"})(image, trimap)
    np.testing.assert_allclose(alpha[unknown], image[:, :, 2][unknown], atol=TOL)
    # [0, 255] and no mean/std: the network sees 255 R; weight 1/255 gives R back
    model = conv_model(tmp_path / "m255.onnx", [1 / 255, 0, 0, 0])
    spec = {"value_range": [0, 255], "mean": [0, 0, 0], "std": [1, 1, 1]}
    alpha = OnnxMatting(model, spec=spec)(image, trimap)
    np.testing.assert_allclose(alpha[unknown], image[:, :, 0][unknown], atol=1e-5)


def test_trimap_free_preset_feeds_minus_one_to_one(tmp_path):
    image, _ = _scene(64, 96)  # a multiple of 32: no resizing with reference_size=None
    matting = OnnxMatting(
        conv_model(tmp_path / "m.onnx", [1, 0, 0]), spec={"reference_size": None}
    )
    assert matting.network_size(64, 96) == (64, 96)
    np.testing.assert_allclose(matting(image), np.clip(2 * image[:, :, 0] - 1, 0, 1), atol=TOL)


def test_gray_and_uint8_images(tmp_path):
    weights, bias = _channel_picker(1, channels=3, mean=(0.5,) * 3, std=(0.5,) * 3)
    matting = OnnxMatting(conv_model(tmp_path / "m.onnx", weights, bias), spec="trimap-free")
    gray = np.random.default_rng(1).integers(0, 256, size=(20, 30), dtype=np.uint8)
    # resized to 512 x 768 by area and back: equal up to float32 rounding
    np.testing.assert_allclose(matting(gray), gray / 255.0, atol=1e-5)


# ---------------------------------------------------- sizes: pad, crop, resize


@pytest.mark.parametrize("size", [(37, 51), (1, 1), (64, 33), (32, 32)])
def test_padding_to_a_multiple_of_32_is_cropped_off(tmp_path, size):
    # SpaceToDepth(32) makes onnxruntime refuse any size that is not a multiple of 32
    image, trimap = _scene(*size)
    weights, bias = _channel_picker(0)
    model = conv_model(tmp_path / "m.onnx", weights, bias, multiple_of=32)
    matting = OnnxMatting(model, spec={"force_known": False})
    assert matting.network_size(*size) == tuple(-(-s // 32) * 32 for s in size)
    alpha = matting(image, trimap)
    assert alpha.shape == size
    np.testing.assert_allclose(alpha, image[:, :, 0], atol=TOL)  # pixel for pixel: no shift


def test_the_multiple_of_32_model_really_checks(tmp_path):
    image, trimap = _scene()
    model = conv_model(tmp_path / "m.onnx", TRIMAP_CHANNEL, multiple_of=32)
    with pytest.raises(ValueError, match=r"onnxruntime failed to run model 'm.onnx' on a 64x48"):
        OnnxMatting(model, spec={"multiple": 16})(image, trimap)


@pytest.mark.parametrize(
    ("mode", "expected_last_row"),
    [("reflect", "row -2"), ("edge", "row -1"), ("constant", "mean")],
)
def test_pad_modes(tmp_path, mode, expected_last_row):
    # a 3x3 kernel that reads the pixel below: the last image row reads the padding
    image, trimap = _scene()
    kernel = np.zeros((1, 4, 3, 3))
    kernel[0, 0, 2, 1] = IMAGENET_STD[0]
    model = conv_model(tmp_path / "m.onnx", kernel, IMAGENET_MEAN[0], kernel=3)
    alpha = OnnxMatting(model, spec={"pad_mode": mode, "force_known": False})(image, trimap)
    red = image[:, :, 0]
    np.testing.assert_allclose(alpha[:-1], red[1:], atol=TOL)
    last = {"row -2": red[-2], "row -1": red[-1], "mean": np.full(51, IMAGENET_MEAN[0])}
    np.testing.assert_allclose(alpha[-1], last[expected_last_row], atol=TOL)


def test_resize_rule_comes_back_at_the_exact_size(tmp_path, monkeypatch):
    model = conv_model(tmp_path / "m.onnx", [0.5, 0, 0], 0.5)  # alpha = R
    matting = OnnxMatting(model)
    assert matting.preset == "trimap-free"
    seen = []
    run = matting.session.run

    def spy(names, feed):
        seen.extend(array.shape for array in feed.values())
        return run(names, feed)

    monkeypatch.setattr(matting.session, "run", spy)
    flat = np.full((37, 51, 3), 0.3)
    alpha = matting(flat)
    assert seen == [(1, 3, 512, 704)]  # short side 512, long side int(51/37*512) = 705 -> 704
    assert alpha.shape == (37, 51)
    np.testing.assert_allclose(alpha, 0.3, atol=TOL)
    ramp = np.broadcast_to(np.linspace(0, 1, 51)[None, :, None], (37, 51, 3))
    np.testing.assert_allclose(matting(ramp), ramp[:, :, 0], atol=1e-5)


@pytest.mark.parametrize(
    ("spec", "size", "network"),
    [
        ("trimap-free", (100, 150), (512, 768)),  # both sides below 512: short side -> 512
        ("trimap-free", (600, 800), (512, 672)),  # both above: short side -> 512, 682 -> 672
        ("trimap-free", (400, 700), (384, 672)),  # 512 between: kept, rounded down
        ("trimap-free", (2000, 1000), (1024, 512)),
        ("trimap-free", (10, 10), (512, 512)),
        ("trimap-free", (65, 69), (512, 512)),  # 543.5 truncated to 543 (not 544), as MODNet
        ("trimap-4ch", (100, 150), (128, 160)),
        ({"max_size": 100}, (300, 150), (128, 64)),  # 100 x 50, padded
        ({"preset": "trimap-free", "reference_size": None, "multiple": 8}, (20, 30), (16, 24)),
        ({"preset": "trimap-free", "reference_size": None}, (20, 30), (32, 32)),
        ({"size": (64, 48)}, (100, 150), (64, 48)),
    ],
)
def test_network_sizes(tmp_path, spec, size, network):
    channels = 3 if "free" in str(spec) else 4
    matting = OnnxMatting(conv_model(tmp_path / "m.onnx", [0.0] * channels), spec=spec)
    assert matting.network_size(*size) == network


def test_model_with_a_fixed_size(tmp_path):
    model = conv_model(tmp_path / "m.onnx", [0.5, 0, 0], 0.5, height=64, width=64)
    matting = OnnxMatting(model)
    assert matting.network_size(37, 51) == (64, 64)
    np.testing.assert_allclose(matting(np.full((37, 51, 3), 0.7)), 0.7, atol=TOL)
    with pytest.raises(ValueError, match=r"spec size \(32, 32\) differs from the fixed input"):
        OnnxMatting(model, spec={"size": (32, 32)})


# ---------------------------------------------------------- post-processing


def test_sigmoid(tmp_path):
    image, _ = _scene(32, 32)
    model = conv_model(tmp_path / "m.onnx", [3.0, 0, 0], -0.25)
    logit = 3.0 * (2 * image[:, :, 0] - 1) - 0.25
    spec = {"reference_size": None}
    np.testing.assert_allclose(
        OnnxMatting(model, spec=spec)(image), np.clip(logit, 0, 1), atol=TOL
    )
    alpha = OnnxMatting(model, spec={**spec, "sigmoid": True})(image)
    np.testing.assert_allclose(alpha, 1 / (1 + np.exp(-logit)), atol=TOL)


def test_known_pixels_are_forced_by_default(tmp_path):
    image, trimap = _scene()
    model = conv_model(tmp_path / "m.onnx", [0.0] * 4, 0.5)  # alpha = 0.5 everywhere
    alpha = OnnxMatting(model)(image, trimap)
    np.testing.assert_array_equal(alpha, np.where(trimap == 0.5, 0.5, trimap))
    alpha = OnnxMatting(model, spec={"force_known": False})(image, trimap)
    np.testing.assert_array_equal(alpha, 0.5)
    # a trimap given to a trimap-free model only sets the known pixels
    free = conv_model(tmp_path / "free.onnx", [0.0] * 3, 0.5)
    np.testing.assert_array_equal(
        OnnxMatting(free)(image, trimap), np.where(trimap == 0.5, 0.5, trimap)
    )


def test_output_and_alpha_channel_choice(tmp_path):
    image, trimap = _scene()
    weights = np.array([[0, 0, 0, 0], TRIMAP_CHANNEL], dtype=float)  # channel 1 = trimap
    model = conv_model(tmp_path / "m.onnx", weights, [0.2, 0.0], extra_output=True)
    base = {"force_known": False}
    matting = OnnxMatting(model, spec={**base, "output": "alpha", "alpha_channel": 1})
    assert matting.output_names == ("features", "alpha") and matting.output_name == "alpha"
    expected = np.where(trimap == 0.0, 0.0, np.where(trimap == 1.0, 1.0, 0.5))
    np.testing.assert_allclose(matting(image, trimap), expected, atol=TOL)
    alpha = OnnxMatting(model, spec={**base, "output": 1})(image, trimap)
    np.testing.assert_allclose(alpha, 0.2, atol=TOL)
    with pytest.raises(
        ValueError, match=r"spec output 'mask' is not an output .*'features', 'alpha'"
    ):
        OnnxMatting(model, spec={"output": "mask"})
    with pytest.raises(ValueError, match=r"spec output 2 is out of range: .* has 2 output"):
        OnnxMatting(model, spec={"output": 2})
    with pytest.raises(
        ValueError, match=r"has shape \(1, 2, 64, 64\); expected .* alpha_channel = 5"
    ):
        OnnxMatting(model, spec={"output": 1, "alpha_channel": 5})(image, trimap)


def test_output_of_the_wrong_size_or_not_finite(tmp_path):
    image, trimap = _scene()
    with pytest.raises(
        ValueError, match=r"output 'alpha' .* has shape \(1, 4, 32, 32\); expected"
    ):
        OnnxMatting(downsampling_model(tmp_path / "d.onnx"))(image, trimap)
    with pytest.raises(ValueError, match="output 'alpha' of model 'n.onnx' contains NaN"):
        OnnxMatting(nan_model(tmp_path / "n.onnx"))(image)


# ------------------------------------------------------- the two-input form


def test_two_inputs_image_and_one_hot_trimap(tmp_path):
    image, trimap = _scene()
    model = two_input_model(tmp_path / "m.onnx", [0, 0, 0], [0.0, 0.25, 1.0])
    matting = OnnxMatting(model, spec={"force_known": False})
    assert matting.preset is None and matting.input_names == ("image", "trimap")
    assert OnnxMatting(model).preset == "trimap-onehot"
    expected = np.where(trimap == 0.0, 0.0, np.where(trimap == 1.0, 1.0, 0.25))
    np.testing.assert_allclose(matting(image, trimap), expected, atol=TOL)
    weights, bias = _channel_picker(2, channels=3)
    model = two_input_model(tmp_path / "rgb.onnx", weights, [0, 0, 0], bias)
    alpha = OnnxMatting(model, spec={"force_known": False})(image, trimap)
    np.testing.assert_allclose(alpha, image[:, :, 2], atol=TOL)


def test_two_inputs_with_a_gray_trimap_need_a_spec(tmp_path):
    image, trimap = _scene()
    model = two_input_model(tmp_path / "m.onnx", [0, 0, 0], [1.0], names=("rgb", "tri"))
    with pytest.raises(ValueError, match=r"cannot infer the spec of a model with 2 inputs"):
        OnnxMatting(model)
    spec = {"preset": "trimap-onehot", "trimap_encoding": "gray", "force_known": False}
    alpha = OnnxMatting(model, spec=spec)(image, trimap)
    np.testing.assert_allclose(alpha[trimap == 0.5], 0.5, atol=TOL)
    named = {**spec, "input_names": ["rgb", "tri"]}
    assert OnnxMatting(model, spec=named).input_names == ("rgb", "tri")
    with pytest.raises(ValueError, match=r"spec input_names \['image'\] not among the inputs"):
        OnnxMatting(model, spec={**spec, "input_names": ["image", "tri"]})


# ------------------------------------------------------------ specs, presets


@pytest.mark.parametrize(
    ("build", "preset"),
    [
        (lambda p: conv_model(p, [0.0] * 4), "trimap-4ch"),
        (lambda p: conv_model(p, [0.0] * 3), "trimap-free"),
        (lambda p: conv_model(p, [0.0] * 6), "trimap-6ch"),
        (lambda p: two_input_model(p, [0, 0, 0], [0, 0, 0]), "trimap-onehot"),
    ],
)
def test_preset_is_inferred_from_the_inputs(tmp_path, build, preset):
    matting = OnnxMatting(build(tmp_path / "m.onnx"))
    assert matting.preset == preset and matting.spec == PRESETS[preset]
    assert matting.needs_trimap is (preset != "trimap-free")


def test_six_channel_one_hot_encoding(tmp_path):
    image, trimap = _scene()
    model = conv_model(tmp_path / "m.onnx", [0, 0, 0, 0.1, 0.3, 0.9])  # bg, unknown, fg
    alpha = OnnxMatting(model, spec={"force_known": False})(image, trimap)
    expected = np.where(trimap == 0.0, 0.1, np.where(trimap == 1.0, 0.9, 0.3))
    np.testing.assert_allclose(alpha, expected, atol=TOL)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda p: conv_model(p, [0.0] * 5), r"cannot infer the spec of a model with 1 input "),
        (
            lambda p: identity_model(p, ["n", "c", "h", "w"]),
            r"cannot infer .* \('x0' \(n, c, h, w\)\): give spec=",
        ),
        (lambda p: identity_model(p, [1, 3, "h"]), r"cannot infer the spec"),
    ],
)
def test_spec_cannot_be_inferred(tmp_path, build, message):
    with pytest.raises(ValueError, match=message):
        OnnxMatting(build(tmp_path / "m.onnx"))


@pytest.mark.parametrize(
    ("build", "spec", "message"),
    [
        (
            lambda p: conv_model(p, [0.0] * 3),
            "trimap-4ch",
            r"input 'input' \(image\) has 3 channels; spec 'trimap-4ch' expects one 4-channel",
        ),
        (
            lambda p: conv_model(p, [0.0] * 4),
            "trimap-onehot",
            r"has 1 input \('input' \(batch, 4, height, width\)\); spec 'trimap-onehot' expects "
            r"two inputs",
        ),
        (
            lambda p: identity_model(p, [1, 4, "h", "w"], n_inputs=3),
            "trimap-4ch",
            r"has 3 inputs .*; spec 'trimap-4ch' expects one 4-channel input",
        ),
        (
            lambda p: identity_model(p, [1, "h", "w"]),
            "trimap-free",
            r"input 'x0' \(image\) has shape \(1, h, w\); expected 4 dimensions",
        ),
        (
            lambda p: identity_model(p, [2, 3, "h", "w"]),
            None,
            r"has a fixed batch size 2; expected 1 or free",
        ),
        (
            lambda p: identity_model(p, [1, 3, "h", "w"], elem_type=TensorProto.INT64),
            None,
            r"has element type tensor\(int64\); expected a float tensor",
        ),
        (
            lambda p: identity_model(p, [1, 3, 64, "w"]),
            None,
            r"a fixed height or width alone is not supported",
        ),
    ],
)
def test_model_does_not_match_the_spec(tmp_path, build, spec, message):
    with pytest.raises(ValueError, match=message):
        OnnxMatting(build(tmp_path / "m.onnx"), spec=spec)


def test_spec_fields_are_checked():
    with pytest.raises(ValueError, match=r"spec field inputs must be one of 'image', 'concat'"):
        ModelSpec(inputs="rgb")
    with pytest.raises(ValueError, match=r"spec field std must be > 0, got \(1, 0, 1\)"):
        ModelSpec(std=(1, 0, 1))
    with pytest.raises(ValueError, match=r"spec field mean must be 3 numbers, got \[0, 0\]"):
        ModelSpec(mean=[0, 0])
    with pytest.raises(TypeError, match=r"spec field multiple must be an integer, got 32.0"):
        ModelSpec(multiple=32.0)
    with pytest.raises(ValueError, match=r"spec field reference_size must be >= 1, got 0"):
        ModelSpec(reference_size=0)
    with pytest.raises(TypeError, match=r"spec field sigmoid must be True or False, got 1"):
        ModelSpec(sigmoid=1)
    with pytest.raises(
        ValueError, match=r"input_names must hold 2 name\(s\) for inputs='separate'"
    ):
        ModelSpec(inputs="separate", input_names=("a",))
    spec = ModelSpec(mean=[0.5, 0.5, 0.5], size=[64, 32], input_names=["x"])
    assert spec.mean == (0.5, 0.5, 0.5) and spec.size == (64, 32) and spec.input_names == ("x",)
    assert hash(spec) == hash(ModelSpec(mean=(0.5,) * 3, size=(64, 32), input_names=("x",)))
    assert ModelSpec() == PRESETS["trimap-4ch"]


def test_spec_argument_forms(tmp_path):
    model = conv_model(tmp_path / "m.onnx", [0.0] * 4)
    with pytest.raises(
        TypeError, match=r"unknown spec field 'sigmoids'; valid fields are: inputs"
    ):
        OnnxMatting(model, spec={"sigmoids": True})
    with pytest.raises(
        ValueError, match=r"spec must be a preset name \('trimap-4ch', .*got 'dim'"
    ):
        OnnxMatting(model, spec="dim")
    with pytest.raises(
        TypeError, match=r"spec must be None, a preset name, a ModelSpec or a dict"
    ):
        OnnxMatting(model, spec=4)
    custom = ModelSpec(sigmoid=True)
    matting = OnnxMatting(model, spec=custom)
    assert matting.spec is custom and matting.preset is None
    assert OnnxMatting(model, spec={"force_known": True}).preset == "trimap-4ch"


# ------------------------------------------------- files, providers, threads


def test_bad_model_files(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"model file not found: '.*nope.onnx'"):
        OnnxMatting(tmp_path / "nope.onnx")
    with pytest.raises(IsADirectoryError, match=r"model '.*' is a directory, not an ONNX file"):
        OnnxMatting(tmp_path)
    (tmp_path / "junk.onnx").write_bytes(b"\x89PNG\r\n\x1a\n not a model at all")
    with pytest.raises(ValueError, match=r"model '.*junk.onnx' is not an ONNX model"):
        OnnxMatting(tmp_path / "junk.onnx")
    (tmp_path / "empty.onnx").write_bytes(b"")
    with pytest.raises(ValueError, match=r"onnxruntime cannot load model '.*empty.onnx': "):
        OnnxMatting(tmp_path / "empty.onnx")
    with pytest.raises(TypeError, match=r"model must be the path of an ONNX file, got bytes"):
        OnnxMatting(b"onnx")


def test_providers_and_threads(tmp_path):
    model = conv_model(tmp_path / "m.onnx", [0.0] * 4)
    assert OnnxMatting(model).providers == ["CPUExecutionProvider"]
    assert OnnxMatting(model, providers="cpu").providers == ["CPUExecutionProvider"]
    matting = OnnxMatting(model, providers=[("CPUExecutionProvider", {})], threads=1)
    assert matting.providers == ["CPUExecutionProvider"]
    image, trimap = _scene()
    np.testing.assert_array_equal(matting(image, trimap), np.where(trimap == 1.0, 1.0, 0.0))
    with pytest.raises(ValueError, match=r"'cuda' is not available in this onnxruntime \(install"):
        OnnxMatting(model, providers=["cuda", "cpu"])
    with pytest.raises(TypeError, match=r"providers must be a provider name"):
        OnnxMatting(model, providers=3)
    with pytest.raises(ValueError, match=r"threads must be >= 1, got 0"):
        OnnxMatting(model, threads=0)
    with pytest.raises(TypeError, match=r"session_options must be an onnxruntime.SessionOptions"):
        OnnxMatting(model, session_options={"threads": 1})
    text = repr(matting)
    assert "m.onnx" in text and "spec='trimap-4ch'" in text and "CPUExecutionProvider" in text


def test_trimap_is_required_by_a_trimap_model(tmp_path):
    image, trimap = _scene()
    matting = OnnxMatting(conv_model(tmp_path / "m.onnx", [0.0] * 4))
    with pytest.raises(ValueError, match=r"trimap is required: model 'm.onnx' takes a trimap"):
        matting(image)
    with pytest.raises(ValueError, match=r"trimap size 50x37 \(W x H\) does not match image"):
        matting(image, trimap[:, :50])


# --------------------------------------------------- functional API, cache


def test_estimate_alpha_method_onnx(tmp_path):
    image, trimap = _scene()
    four = conv_model(tmp_path / "four.onnx", [0.0] * 4, 0.5)
    free = conv_model(tmp_path / "free.onnx", [0.5, 0, 0], 0.5)
    alpha = classicmat.estimate_alpha(image, trimap, method="onnx", model=four)
    np.testing.assert_array_equal(alpha, np.where(trimap == 0.5, 0.5, trimap))
    alpha = classicmat.estimate_alpha(image, None, method="onnx", model=str(free))
    np.testing.assert_allclose(alpha, OnnxMatting(free)(image), atol=0)
    assert "onnx" in classicmat.METHODS.names()
    with pytest.raises(
        TypeError,
        match=r"unknown option 'modle' for method 'onnx'; valid "
        r"options are: model, spec, providers, threads",
    ):
        classicmat.estimate_alpha(image, trimap, method="onnx", modle=four)
    with pytest.raises(TypeError, match=r"method 'onnx' needs the option 'model'"):
        classicmat.estimate_alpha(image, trimap, method="onnx")


def test_sessions_are_cached(tmp_path):
    image, trimap = _scene()
    model = conv_model(tmp_path / "m.onnx", [0.0] * 4)
    first = get_session(model)
    assert get_session(str(model)) is first
    estimate_alpha_onnx(image, trimap, model=model)
    classicmat.estimate_alpha(image, trimap, method="onnx", model=model)
    assert len(session_module._cache) == 1 and get_session(model) is first
    assert get_session(model, spec={"sigmoid": True}) is not first
    assert get_session(model, threads=1) is not first
    stat = model.stat()
    os.utime(model, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # rewritten in place
    second = get_session(model)
    assert second is not first
    clear_session_cache()
    assert get_session(model) is not second
    # a ready session goes straight through, with no settings on top
    assert np.array_equal(estimate_alpha_onnx(image, trimap, model=first), first(image, trimap))
    with pytest.raises(ValueError, match=r"spec, threads cannot be given with a model that is"):
        estimate_alpha_onnx(image, trimap, model=first, spec="trimap-4ch", threads=2)


def test_missing_onnxruntime_gives_the_install_hint(
    tmp_path, monkeypatch, capsys, synthetic_files
):
    model = conv_model(tmp_path / "m.onnx", [0.0] * 3)
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # "import onnxruntime" now fails
    hint = r'needs onnxruntime, which is not installed: pip install "classicmat\[onnx\]"'
    with pytest.raises(ImportError, match=hint):
        OnnxMatting(model)
    with pytest.raises(ImportError, match=hint):
        classicmat.estimate_alpha(np.zeros((4, 4, 3)), None, method="onnx", model=model)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["image.png", "--method", "onnx", "--model", "m.onnx"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("classicmat: error: the ONNX backend") and err.count("\n") == 1
    assert 'pip install "classicmat[onnx]"' in err
    assert not (tmp_path / "image_alpha.png").exists()


def test_import_works_without_onnxruntime(tmp_path):
    code = (
        "import sys; sys.modules['onnxruntime'] = None\n"
        "import classicmat, classicmat.deep\n"
        "assert classicmat.OnnxMatting is classicmat.deep.OnnxMatting\n"
        "assert 'onnx' in classicmat.METHODS.names()\n"
        "print('OK')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "OK\n"


# ------------------------------------------------------- deep -> classical


def _two_colour_scene(height=32, width=64):
    """Two colours blended by a smooth alpha; red = 0.1 + 0.8 alpha."""
    fg, bg = np.array([0.9, 0.3, 0.1]), np.array([0.1, 0.4, 0.8])
    x = np.linspace(-0.6, 1.6, width)
    y = np.linspace(0, 1, height)[:, None]
    alpha = np.clip(x[None, :] + 0.15 * np.sin(6 * y), 0.0, 1.0)
    image = alpha[:, :, None] * fg + (1 - alpha[:, :, None]) * bg
    return image, alpha


def _mask_model(path):
    # trimap-free: x = 2 R - 1 = 1.6 alpha - 0.8, so alpha = x / 1.6 + 0.5
    return conv_model(path, [1 / 1.6, 0, 0], 0.5)


def test_auto_trimap_then_closed_form(tmp_path):
    image, alpha_true = _two_colour_scene()
    model = _mask_model(tmp_path / "mask.onnx")
    mask = OnnxMatting(model)(image)
    np.testing.assert_allclose(mask, alpha_true, atol=1e-5)
    trimap = trimap_from_model(image, model, kernel_size=5)
    expected_trimap = classicmat.trimap_from_alpha(
        mask, kernel_size=5, fg_threshold=0.95, bg_threshold=0.05
    )
    np.testing.assert_array_equal(trimap, expected_trimap)
    assert set(np.unique(trimap)) == {0, 128, 255}
    alpha = classicmat.estimate_alpha(
        image, "auto", method="cf", trimap_model=model, trimap_kernel_size=5
    )
    np.testing.assert_array_equal(alpha, classicmat.estimate_alpha(image, trimap, method="cf"))
    # the erosion by 5 px keeps only truly opaque / transparent pixels known, and
    # closed-form matting recovers a two-colour blend exactly
    assert np.abs(alpha - alpha_true).max() < 1e-3
    wider = classicmat.trimap_from_alpha(mask, kernel_size=9, fg_threshold=0.8, bg_threshold=0.2)
    alpha = classicmat.estimate_alpha(
        image,
        "auto",
        method="cf",
        trimap_model=OnnxMatting(model),
        trimap_fg_threshold=0.8,
        trimap_bg_threshold=0.2,
        trimap_kernel_size=9,
        epsilon=1e-6,
    )
    np.testing.assert_array_equal(
        alpha, classicmat.estimate_alpha(image, wider, method="cf", epsilon=1e-6)
    )


def test_auto_trimap_then_a_trimap_network(tmp_path):
    image, _ = _two_colour_scene()
    four = conv_model(tmp_path / "four.onnx", TRIMAP_CHANNEL)
    alpha = classicmat.estimate_alpha(
        image, "auto", method="onnx", model=four, trimap_model=_mask_model(tmp_path / "m.onnx")
    )
    # the trimap network returns its trimap input: 0, 0.5 (unknown) and 1
    trimap = trimap_from_model(image, tmp_path / "m.onnx")
    assert (trimap == 128).any()
    np.testing.assert_allclose(alpha, np.where(trimap == 128, 0.5, trimap / 255.0), atol=TOL)


def test_auto_trimap_errors(tmp_path):
    image, _ = _two_colour_scene()
    mask = _mask_model(tmp_path / "mask.onnx")
    four = conv_model(tmp_path / "four.onnx", [0.0] * 4)
    with pytest.raises(TypeError, match=r"trimap='auto' needs trimap_model="):
        classicmat.estimate_alpha(image, "auto", method="cf")
    with pytest.raises(TypeError, match=r"option 'trimap_model' only apply with trimap='auto'"):
        classicmat.estimate_alpha(image, np.zeros((32, 64)), trimap_model=mask)
    with pytest.raises(ValueError, match=r"model 'four.onnx' takes a trimap .* trimap-free"):
        classicmat.estimate_alpha(image, "auto", trimap_model=four)
    with pytest.raises(ValueError, match=r"trimap_bg_threshold \(0.6\) must be below trimap_fg"):
        classicmat.estimate_alpha(
            image, "auto", trimap_model=mask, trimap_bg_threshold=0.6, trimap_fg_threshold=0.5
        )
    with pytest.raises(ValueError, match=r"trimap_fg_threshold must be <= 1, got 2"):
        classicmat.estimate_alpha(image, "auto", trimap_model=mask, trimap_fg_threshold=2)
    with pytest.raises(TypeError, match=r"unknown option 'radiu' for method 'cf'"):
        classicmat.estimate_alpha(image, "auto", trimap_model=mask, radiu=1)
    empty = conv_model(tmp_path / "empty.onnx", [0.0] * 3, 0.5)  # mask 0.5: nothing known
    with pytest.raises(ValueError, match=r"automatic trimap has no known foreground.*lower"):
        classicmat.estimate_alpha(image, "auto", trimap_model=empty)
    with pytest.raises(ValueError, match=r"automatic trimap has no known background.*raise"):
        classicmat.estimate_alpha(image, "auto", trimap_model=empty, trimap_fg_threshold=0.5)
