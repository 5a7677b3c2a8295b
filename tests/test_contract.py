"""The method contract, for every registered method (a method added later is tested too).

Each method: the output contract (shape, dtype, range, exact on known pixels),
determinism, every input form giving the same matte, one clear error per
kind of bad input, options described (help, valid defaults), every option
reaching the method from the command line, and a golden error on the
bundled lemur against its FBA matte (a quality regression fails here).
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import classicmat
from classicmat import cli
from classicmat._method import as_method
from classicmat.cli import _common

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "examples" / "data"
GOLDEN = Path(__file__).with_name("golden_lemur.json")

METHODS = classicmat.METHODS.names()


def _required_options(name: str, tmp_path: Path) -> dict:
    """Options a method cannot run without (a model for the ONNX backend)."""
    if name == "onnx":
        pytest.importorskip("onnxruntime")
        from .onnx_models import conv_model

        # alpha = the trimap channel: a trimap-based network of known output
        return {"model": conv_model(tmp_path / "trimap.onnx", [0.0, 0.0, 0.0, 1.0])}
    return {}


@pytest.fixture(params=METHODS)
def method(request, tmp_path):
    name = request.param
    return name, _required_options(name, tmp_path)


def _run(name, image, trimap, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", classicmat.ClassicmatWarning)  # tiny inputs
        return classicmat.estimate_alpha(image, trimap, method=name, **options)


def test_output_contract_and_determinism(method, synthetic_pair):
    name, options = method
    alpha = _run(name, synthetic_pair.image, synthetic_pair.trimap, **options)
    assert alpha.shape == synthetic_pair.trimap.shape and alpha.dtype == np.float64
    assert np.isfinite(alpha).all() and alpha.min() >= 0.0 and alpha.max() <= 1.0
    masks = classicmat.split_trimap(synthetic_pair.trimap)
    assert (alpha[masks.is_fg] == 1.0).all() and (alpha[masks.is_bg] == 0.0).all()
    again = _run(name, synthetic_pair.image, synthetic_pair.trimap, **options)
    np.testing.assert_array_equal(alpha, again)


def test_every_input_form_gives_the_same_matte(method, synthetic_pair, tmp_path):
    name, options = method
    image, trimap = synthetic_pair.image, synthetic_pair.trimap
    Image.fromarray(image).save(tmp_path / "i.png")
    Image.fromarray(trimap).save(tmp_path / "t.png")
    reference = _run(name, image, trimap, **options)
    forms = [
        (image / 255.0, trimap / 255.0),  # float arrays
        (image.astype(np.uint16) * 257, trimap.astype(np.uint16) * 257),  # 16 bits
        (Image.fromarray(image), Image.fromarray(trimap)),  # PIL images
        (tmp_path / "i.png", str(tmp_path / "t.png")),  # paths
        (np.asfortranarray(image), trimap[:, ::-1][:, ::-1]),  # any memory layout
    ]
    for form_image, form_trimap in forms:
        np.testing.assert_allclose(
            _run(name, form_image, form_trimap, **options), reference, rtol=0, atol=1e-9
        )


def _label_map(trimap):
    return (trimap // 127).astype(np.uint8)  # 0/1/2 labels


BAD_INPUTS = {
    "image of the wrong type": (
        lambda p: ({"a": 1}, p.trimap),
        TypeError,
        r"image must be an ndarray, a PIL image or a path, got dict",
    ),
    "sizes differ": (
        lambda p: (p.image, p.trimap[:, :-1]),
        ValueError,
        r"trimap size 31x24 \(W x H\) does not match image size 32x24",
    ),
    "NaN in the image": (
        lambda p: (np.full(p.image.shape, np.nan), p.trimap),
        ValueError,
        r"image contains NaN",
    ),
    "float image out of range": (
        lambda p: (p.image.astype(float), p.trimap),
        ValueError,
        r"image of float dtype must have values in \[0, 1\]",
    ),
    "label map as trimap": (
        lambda p: (p.image, _label_map(p.trimap)),
        ValueError,
        r"trimap values 0, 1, 2 \(of 0-255\) are all known background",
    ),
}


@pytest.mark.parametrize("make, error, match", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_inputs_get_one_clear_error(method, synthetic_pair, make, error, match):
    name, options = method
    image, trimap = make(synthetic_pair)
    with pytest.raises(error, match=match):
        _run(name, image, trimap, **options)


def test_unknown_option_lists_the_valid_ones(method, synthetic_pair):
    name, options = method
    valid = [o.name for o in as_method(classicmat.METHODS.get(name)).options]
    with pytest.raises(TypeError, match=rf"unknown option 'epsilom' for method {name!r}; valid"):
        _run(name, synthetic_pair.image, synthetic_pair.trimap, epsilom=1, **options)
    assert valid  # every method has options to list


def test_options_are_described(method):
    name, _ = method
    func = as_method(classicmat.METHODS.get(name))
    for option in func.options:
        assert option.help, f"{name}.{option.name} has no help"
        assert option.describe().startswith(option.help)
        if not option.required:
            assert option.check(option.default) == option.default or option.default is None


def _other_value(option, tmp_path):
    """A valid value of ``option`` that is not its default, and its command-line text."""
    if option.kind == "str":
        value = next(c for c in option.valid_choices() if c != option.default)
        return value, value
    if option.kind == "bool":
        return (not option.default), str(not option.default).lower()
    if option.kind == "ints":
        return (5,), "5"
    if option.kind == "int":
        base = option.default if isinstance(option.default, int) else int(option.low or 1)
        value = base + 2
        if option.high is not None and value > option.high:
            value = base - 2
        return value, str(value)
    if option.kind == "float":
        base = option.default
        if base is None or base == 0.0 or math.isinf(base):
            base = 1.0 if option.high is None or option.high >= 1.0 else option.high / 2
            if option.default == base:
                base /= 2
            return base, repr(base)
        value = base * 2 if option.high is None or base * 2 <= option.high else base / 2
        return value, repr(value)
    if option.name == "spec":
        return "trimap-4ch", "trimap-4ch"
    if option.name == "solver_options":  # with --solver cg-ichol (see below)
        return {"drop_tol": 1e-3}, "drop_tol=1e-3"
    if option.name == "providers":
        return ["CPUExecutionProvider"], "CPUExecutionProvider"
    raise AssertionError(f"no test value for {option}")


def test_every_option_reaches_the_method_from_the_command_line(
    method, synthetic_files, tmp_path, monkeypatch, capsys
):
    """``--option NAME=VALUE`` (and the --NAME flag) hands the parsed value to the method."""
    name, required = method
    func = as_method(classicmat.METHODS.get(name))
    received: list[dict] = []
    monkeypatch.setattr(_common, "method_function", lambda n: _Recorder(func, received))
    if name == "onnx":  # the command line makes the session from these options
        import classicmat.deep as deep

        real = deep.get_session

        def get_session(model, **kwargs):
            received.append(kwargs)
            return real(model, **kwargs)

        monkeypatch.setattr(deep, "get_session", get_session)
    base = [str(synthetic_files.image), str(synthetic_files.trimap), "--method", name, "-q"]
    base += [f"--option=model={required['model']}"] if "model" in required else []
    for option in func.options:
        if option.required:
            continue
        value, text = _other_value(option, tmp_path)
        out = tmp_path / f"{option.name}.png"
        # a solver's settings are checked against the solver: name one that has some
        solver = ["--option=solver=cg-ichol"] if option.name == "solver_options" else []
        for flag in ([f"--option={option.name}={text}"], [f"--{option.name}", text]):
            received.clear()
            code = cli.main([*base, "-o", str(out), *solver, *flag])
            assert code == 0, capsys.readouterr().err
            assert any(r.get(option.name) == value for r in received), (option.name, received)


class _Recorder:
    """A method that records the options it is called with."""

    def __init__(self, func, received):
        self.options, self.check, self.trimap = func.options, func.check, func.trimap
        self.ahead = func.ahead
        self._received = received

    def __call__(self, image, trimap, **options):
        self._received.append(options)
        from classicmat._validation import as_image

        return np.zeros(as_image(image).shape[:2])


# ---------------------------------------------------------------- golden errors


def _golden():
    return json.loads(GOLDEN.read_text())


@pytest.mark.parametrize("name", [n for n in METHODS if n != "onnx"])
def test_golden_errors_on_the_lemur(name):
    """SAD and MSE on the bundled lemur against its FBA matte, within 1% of the
    stored figures (a regression fails; an improvement means: update the file)."""
    golden = _golden()
    assert name in golden, f"add {name} to {GOLDEN.name} (run this file as a script)"
    from classicmat.metrics import errors

    fba = classicmat.read_image(DATA / "lemur_alpha_fba.png", kind="alpha")
    trimap = DATA / "lemur_trimap.png"
    alpha = _run(name, DATA / "lemur.png", trimap)
    found = errors(np.rint(alpha * 255).astype(np.uint8), fba, trimap)
    for metric in ("sad", "mse"):
        expected = golden[name][metric]
        assert found[metric] <= expected * 1.01, (name, metric, found[metric], expected)
        assert found[metric] >= expected * 0.9, (name, metric, found[metric], expected)


if __name__ == "__main__":  # python tests/test_contract.py: write the golden figures
    from classicmat.metrics import errors

    fba = classicmat.read_image(DATA / "lemur_alpha_fba.png", kind="alpha")
    figures = {}
    for name in METHODS:
        if name == "onnx":
            continue
        alpha = _run(name, DATA / "lemur.png", DATA / "lemur_trimap.png")
        found = errors(np.rint(alpha * 255).astype(np.uint8), fba, DATA / "lemur_trimap.png")
        figures[name] = {"sad": found["sad"], "mse": found["mse"]}
        print(name, figures[name])
    GOLDEN.write_text(json.dumps(figures, indent=1) + "\n")
