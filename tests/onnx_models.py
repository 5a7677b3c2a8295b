"""Tiny real ONNX graphs for the tests of the ONNX backend, built with the ``onnx`` package.

Every network is a fixed-weight 1x1 (or k x k) convolution, so that its output
is a known function of its input: the tests can state the exact alpha they
expect. The graphs use opset 17 and IR version 8, which every onnxruntime
since 1.14 loads. Spatial sizes are symbolic unless a test fixes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

OPSET = 17
IR_VERSION = 8


def _value(name: str, channels, height="height", width="width", batch="batch", rank=4):
    dims = [batch, channels, height, width][4 - rank :] if rank <= 4 else None
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, dims)


def _save(path: Path, nodes, inputs, outputs, initializers) -> Path:
    graph = helper.make_graph(nodes, "test-matting", inputs, outputs, initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return Path(path)


def _conv(name: str, source: str, weights, bias, kernel: int, out: str):
    """A Conv node over ``source`` with weights (C_out, C_in) (1x1) or full kernels."""
    weights = np.asarray(weights, dtype=np.float32)
    if weights.ndim == 2:
        weights = weights[:, :, None, None]
    bias = np.broadcast_to(np.asarray(bias, dtype=np.float32), (weights.shape[0],)).copy()
    inits = [
        numpy_helper.from_array(weights, f"{name}_w"),
        numpy_helper.from_array(bias, f"{name}_b"),
    ]
    pad = kernel // 2
    node = helper.make_node(
        "Conv",
        [source, f"{name}_w", f"{name}_b"],
        [out],
        kernel_shape=[kernel, kernel],
        pads=[pad, pad, pad, pad],
    )
    return node, inits


def conv_model(
    path: Path,
    weights: Sequence[float] | np.ndarray,
    bias: float | Sequence[float] = 0.0,
    *,
    kernel: int = 1,
    input_name: str = "input",
    output_name: str = "alpha",
    height="height",
    width="width",
    multiple_of: int | None = None,
    extra_output: bool = False,
) -> Path:
    """One input of C channels -> one output: a convolution with fixed weights.

    ``weights`` is a list of C numbers (one output channel, 1x1), or an array
    (C_out, C_in) or (C_out, C_in, k, k). ``multiple_of=32`` adds
    SpaceToDepth(32) -> DepthToSpace(32), which onnxruntime refuses to run
    unless the height and width are multiples of 32. ``extra_output`` adds
    a first output ``"features"`` (the input itself) before alpha.
    """
    weights = np.asarray(weights, dtype=np.float32)
    if weights.ndim == 1:
        weights = weights[None, :]
    channels = weights.shape[1]
    conv_out = "conv" if multiple_of else output_name
    node, inits = _conv("c", input_name, weights, bias, kernel, conv_out)
    nodes = [node]
    if multiple_of:
        nodes += [
            helper.make_node("SpaceToDepth", ["conv"], ["blocks"], blocksize=multiple_of),
            helper.make_node("DepthToSpace", ["blocks"], [output_name], blocksize=multiple_of),
        ]
    outputs = [_value(output_name, weights.shape[0])]
    if extra_output:
        nodes.append(helper.make_node("Identity", [input_name], ["features"]))
        outputs.insert(0, _value("features", channels))
    inputs = [_value(input_name, channels, height, width)]
    return _save(path, nodes, inputs, outputs, inits)


def two_input_model(
    path: Path,
    image_weights: Sequence[float],
    trimap_weights: Sequence[float],
    bias: float = 0.0,
    *,
    names: tuple[str, str] = ("image", "trimap"),
) -> Path:
    """Inputs image (N, 3, H, W) and trimap (N, T, H, W) -> alpha = conv(image) + conv(trimap)."""
    image_weights = np.asarray(image_weights, dtype=np.float32)[None, :]
    trimap_weights = np.asarray(trimap_weights, dtype=np.float32)[None, :]
    a, inits_a = _conv("ci", names[0], image_weights, bias, 1, "from_image")
    b, inits_b = _conv("ct", names[1], trimap_weights, 0.0, 1, "from_trimap")
    add = helper.make_node("Add", ["from_image", "from_trimap"], ["alpha"])
    inputs = [_value(names[0], 3), _value(names[1], trimap_weights.shape[1])]
    return _save(path, [a, b, add], inputs, [_value("alpha", 1)], inits_a + inits_b)


def identity_model(
    path: Path, shape: Sequence, *, n_inputs: int = 1, elem_type: int = TensorProto.FLOAT
) -> Path:
    """``n_inputs`` inputs of ``shape`` (strings: free dimensions); the output is the first."""
    inputs = [
        helper.make_tensor_value_info(f"x{i}", elem_type, list(shape)) for i in range(n_inputs)
    ]
    node = helper.make_node("Identity", ["x0"], ["alpha"])
    outputs = [helper.make_tensor_value_info("alpha", elem_type, list(shape))]
    return _save(path, [node], inputs, outputs, [])


def nan_model(path: Path, channels: int = 3) -> Path:
    """alpha = sqrt(-1): NaN everywhere."""
    node, inits = _conv("c", "input", np.zeros((1, channels)), -1.0, 1, "minus_one")
    sqrt = helper.make_node("Sqrt", ["minus_one"], ["alpha"])
    return _save(path, [node, sqrt], [_value("input", channels)], [_value("alpha", 1)], inits)


def downsampling_model(path: Path, channels: int = 4) -> Path:
    """An output at half the input size (a 2x2 average pool): not a usable alpha."""
    node = helper.make_node(
        "AveragePool", ["input"], ["alpha"], kernel_shape=[2, 2], strides=[2, 2]
    )
    return _save(path, [node], [_value("input", channels)], [_value("alpha", channels)], [])
