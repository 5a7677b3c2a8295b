"""Overhead of the ONNX backend: a whole call against the bare ``InferenceSession.run``.

The networks are synthetic (generated here with the ``onnx`` package, random
fixed weights; no trained model is downloaded): two 3x3 convolutions
(C -> 8 -> 1 channels, ReLU between, sigmoid at the end), small on purpose,
so that the run is short and the pre- and post-processing weigh as much as
they ever will. A real matting network runs for far longer on the same input,
so the overhead in seconds is the figure to read, not the percentage.

For a 1-megapixel image (1000 x 1000, uint8 as read from a file):

- ``trimap-4ch`` (one 4-channel input, padded to 1024 x 1024): bare run on the
  prepared tensor vs :class:`classicmat.deep.OnnxMatting` from the uint8 image
  and trimap to the float64 alpha (conversion, trimap split, normalisation,
  padding, run, cropping, forcing the known pixels);
- ``trimap-free`` (MODNet's rule: resized to 512 x 512 by area, and back):
  the same, with the two resizes.

Median of ``--repeat`` calls after one warm-up call, one thread per operator
by default (the machine is shared). Writes ``benchmarks/results/onnx.md``.

    python benchmarks/bench_onnx.py [--repeat 7] [--threads 1]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, machine  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "onnx.md"


def synthetic_model(path: Path, channels: int, seed: int = 0) -> Path:
    """Conv 3x3 (channels -> 8), ReLU, Conv 3x3 (8 -> 1), Sigmoid; random fixed weights."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    w1 = (rng.standard_normal((8, channels, 3, 3)) * 0.2).astype(np.float32)
    w2 = (rng.standard_normal((1, 8, 3, 3)) * 0.2).astype(np.float32)
    inits = [
        numpy_helper.from_array(w1, "w1"),
        numpy_helper.from_array(np.zeros(8, np.float32), "b1"),
        numpy_helper.from_array(w2, "w2"),
        numpy_helper.from_array(np.zeros(1, np.float32), "b2"),
    ]
    pads = [1, 1, 1, 1]
    nodes = [
        helper.make_node("Conv", ["input", "w1", "b1"], ["h1"], kernel_shape=[3, 3], pads=pads),
        helper.make_node("Relu", ["h1"], ["r1"]),
        helper.make_node("Conv", ["r1", "w2", "b2"], ["h2"], kernel_shape=[3, 3], pads=pads),
        helper.make_node("Sigmoid", ["h2"], ["alpha"]),
    ]
    dims = ["batch", channels, "height", "width"]
    graph = helper.make_graph(
        nodes,
        "synthetic-matting",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, dims)],
        [helper.make_tensor_value_info("alpha", TensorProto.FLOAT, ["batch", 1, "h", "w"])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def median_seconds(func, repeat: int) -> float:
    func()  # warm-up: first-run allocations
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--size", type=int, default=1000, help="image side (default 1000)")
    args = parser.parse_args()

    import onnxruntime

    from classicmat.deep import OnnxMatting

    rng = np.random.default_rng(0)
    side = args.size
    image = rng.integers(0, 256, size=(side, side, 3), dtype=np.uint8)
    trimap = np.zeros((side, side), dtype=np.uint8)
    trimap[:, side // 2 :] = 255
    trimap[:, side // 3 : 2 * side // 3] = 128

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for preset, channels in (("trimap-4ch", 4), ("trimap-free", 3)):
            model = synthetic_model(Path(tmp) / f"{preset}.onnx", channels)
            matting = OnnxMatting(model, spec=preset, threads=args.threads)
            net_h, net_w = matting.network_size(side, side)
            feed = {"input": rng.random((1, channels, net_h, net_w), dtype=np.float32)}
            session = matting.session
            bare = median_seconds(lambda s=session, f=feed: s.run(["alpha"], f), args.repeat)
            given = trimap if matting.needs_trimap else None
            full = median_seconds(lambda m=matting, t=given: m(image, t), args.repeat)
            rows.append((preset, f"{net_w}x{net_h}", bare, full))
            print(
                f"{preset}: network {net_w}x{net_h}, bare run {bare * 1e3:.1f} ms, "
                f"whole call {full * 1e3:.1f} ms, overhead {(full - bare) * 1e3:.1f} ms",
                flush=True,
            )

    lines = [
        "# ONNX backend: overhead of a call against the bare session run",
        "",
        f"Machine: {machine()}, onnxruntime {onnxruntime.__version__} (CPU, "
        f"{args.threads} thread(s) per operator). Image {side}x{side} uint8 (1 megapixel "
        f"for the default 1000), median of {args.repeat} calls after a warm-up. "
        f"Networks: synthetic, generated by `benchmarks/bench_onnx.py` (two 3x3 "
        f"convolutions, C -> 8 -> 1 channels, random fixed weights), not trained models.",
        "",
        "| spec | network input | bare `session.run` (ms) | `OnnxMatting(image, trimap)` (ms) "
        "| overhead (ms) | overhead / bare run |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for preset, net, bare, full in rows:
        lines.append(
            f"| {preset} | {net} | {bare * 1e3:.1f} | {full * 1e3:.1f} | "
            f"{(full - bare) * 1e3:.1f} | {(full - bare) / bare:.2f} |"
        )
    lines += [
        "",
        "The overhead is everything but the run: uint8 to float, the trimap split and "
        "encoding, normalisation, padding (trimap-4ch) or area resizing down and back up "
        "(trimap-free), cropping, clipping, forcing the known pixels. A real matting "
        "network runs for seconds on such an input on a CPU, against which this overhead "
        "is small.",
        "",
    ]
    RESULTS.write_text("\n".join(lines))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
