"""The ``classicmat`` command: outputs, exit codes, one-line errors, no partial files.

Most tests call :func:`classicmat.cli.main` in-process; a few run
``python -m classicmat`` in a subprocess to check what only a real process
shows (the stdout line, no traceback, the imports of ``--version``).
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import types
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import classicmat
from classicmat import cli
from classicmat._registry import Registry
from classicmat.cli import _common

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("numpy", "scipy", "numba", "PIL", "sklearn", "pyamg")


def _python(*args, cwd, timeout=300):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("CLASSICMAT_DEBUG", None)
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def _snapshot(directory: Path) -> dict[str, str]:
    """Every file under ``directory`` with the SHA-256 of its content."""
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def _read(path) -> tuple[str, np.ndarray]:
    with Image.open(path) as img:
        return img.mode, np.asarray(img)


@pytest.fixture
def in_tmp(synthetic_files, monkeypatch):
    """Run in ``tmp_path``, holding ``image.png`` and ``trimap.png``."""
    directory = synthetic_files.image.parent
    monkeypatch.chdir(directory)
    return directory


# ---------------------------------------------------------------- successes


def test_default_output_name_and_message(in_tmp, capsys, synthetic_pair):
    assert cli.main(["image.png", "trimap.png"]) == 0
    out, err = capsys.readouterr()
    assert re.fullmatch(r"wrote image_alpha\.png \(32x24, cf, \d+\.\d\d s\)\n", out)
    assert err == ""
    mode, alpha = _read(in_tmp / "image_alpha.png")
    assert mode == "L"
    assert np.abs(alpha / 255.0 - synthetic_pair.alpha).max() < 0.1


def test_output_option_and_16_bit(in_tmp, capsys):
    (in_tmp / "out").mkdir()
    assert cli.main(["image.png", "trimap.png", "-o", "out/a16.png", "--16bit"]) == 0
    assert capsys.readouterr().out.startswith(f"wrote {Path('out/a16.png')} (32x24, cf, ")
    mode16, alpha16 = _read(in_tmp / "out" / "a16.png")
    assert mode16 == "I;16"
    assert cli.main(["image.png", "trimap.png", "--output", "a8.png", "--quiet"]) == 0
    assert capsys.readouterr() == ("", "")
    mode8, alpha8 = _read(in_tmp / "a8.png")
    assert mode8 == "L"
    np.testing.assert_allclose(alpha16 / 65535.0, alpha8 / 255.0, atol=0.5 / 255 + 1e-9)


def test_existing_output_is_replaced(in_tmp, capsys):
    (in_tmp / "image_alpha.png").write_bytes(b"old")
    assert cli.main(["-q", "image.png", "trimap.png"]) == 0
    assert _read(in_tmp / "image_alpha.png")[0] == "L"


def test_method_options_reach_the_method(in_tmp, capsys):
    argv = ["image.png", "trimap.png", "-o", "o.png", "--method", "cf"]
    opts = ["--epsilon", "1e-5", "--radius", "2", "--solver", "direct", "--rtol", "1e-8"]
    assert cli.main(argv + opts + ["--atol", "0", "--maxiter", "50"]) == 0
    _, alpha = _read(in_tmp / "o.png")
    expected = classicmat.estimate_alpha(
        in_tmp / "image.png", in_tmp / "trimap.png", epsilon=1e-5, radius=2, solver="direct"
    )
    np.testing.assert_array_equal(alpha, np.rint(expected * 255))


# A fake method registry, to see exactly what the command passes to a method.
_calls: list[dict] = []


def _fake_method(image, trimap, *, epsilon=0.5, solver="auto"):
    _calls.append({"shape": image.shape, "epsilon": epsilon, "solver": solver})
    if epsilon == 0.125:
        warnings.warn(
            classicmat.ConvergenceWarning("CG stopped early;\n  raise maxiter"), stacklevel=2
        )
    if epsilon == 0.25:
        raise KeyboardInterrupt
    if epsilon == 0.375:
        raise RuntimeError("a bug")
    return np.zeros(trimap.shape[:2])


@pytest.fixture
def fake_methods(monkeypatch):
    module = types.ModuleType("_classicmat_fake_methods")
    module.fake = _fake_method
    monkeypatch.setitem(sys.modules, module.__name__, module)
    registry = Registry("method")
    registry.register("fake", f"{module.__name__}:fake", "a fake method", "Nobody, 2024")
    monkeypatch.setattr(_common, "method_registry", lambda: registry)
    _calls.clear()
    return _calls


def test_options_are_passed_only_when_given(in_tmp, capsys, fake_methods):
    assert cli.main(["-q", "image.png", "trimap.png", "--method", "fake"]) == 0
    assert fake_methods[-1] == {"shape": (24, 32, 3), "epsilon": 0.5, "solver": "auto"}
    argv = ["-q", "image.png", "trimap.png", "--method", "fake", "--epsilon", "2", "--solver"]
    assert cli.main([*argv, "cg"]) == 0
    assert fake_methods[-1] == {"shape": (24, 32, 3), "epsilon": 2.0, "solver": "cg"}


def test_option_the_method_does_not_take(in_tmp, capsys, fake_methods):
    code = cli.main(["image.png", "trimap.png", "--method", "fake", "--option", "radius=2"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith(
        "classicmat: error: method 'fake' has no option --radius "
        "(its options: --epsilon, --solver)"
    )
    assert not fake_methods
    assert not (in_tmp / "image_alpha.png").exists()


def test_warnings_are_one_line(in_tmp, capsys, fake_methods):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # as under pytest: the command must still show it
        code = cli.main(["image.png", "trimap.png", "--method", "fake", "--epsilon", "0.125"])
    assert code == 0
    out, err = capsys.readouterr()
    assert err == "classicmat: warning: CG stopped early; raise maxiter\n"
    assert out.startswith("wrote image_alpha.png")


@pytest.mark.parametrize(
    "epsilon, code, message",
    [
        ("0.25", 130, "classicmat: interrupted\n"),
        ("0.375", 1, "classicmat: error: internal error: RuntimeError: a bug (please report"),
    ],
)
def test_interrupt_and_unexpected_errors(in_tmp, capsys, fake_methods, epsilon, code, message):
    before = _snapshot(in_tmp)
    assert cli.main(["image.png", "trimap.png", "--method", "fake", "--epsilon", epsilon]) == code
    out, err = capsys.readouterr()
    assert err.startswith(message) and err.count("\n") == 1
    assert out == ""
    assert _snapshot(in_tmp) == before


def test_methods_lists_the_registry(capsys):
    assert cli.main(["methods"]) == 0
    out = capsys.readouterr().out
    for entry in classicmat.METHODS:
        assert re.search(rf"^{re.escape(entry.name)}\s+{re.escape(entry.summary)}$", out, re.M)
        assert entry.reference in out


def test_help_explains_everything(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    for needle in [
        "IMAGE TRIMAP",
        "methods",
        "--version",
        "--16bit",
        "--quiet",
        "exit status",
        *(
            f"--{option.name}"
            for name in classicmat.METHODS.names()
            for option in classicmat.METHODS.get(name).options
        ),
        *classicmat.METHODS.names(),
    ]:
        assert needle in out
    assert cli.main(["methods", "--help"]) == 0
    assert "usage: classicmat methods" in capsys.readouterr().out


def test_version(capsys):
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out == f"classicmat {classicmat.__version__}\n"


# ------------------------------------------------------------------- errors


def _write(path, array):
    Image.fromarray(np.asarray(array, dtype=np.uint8)).save(path)
    return path.name


def _trimap_without(value):
    def setup(d):
        _, trimap = _read(d / "trimap.png")
        trimap = trimap.copy()
        trimap[trimap == value] = 128
        return ["image.png", _write(d / "t.png", trimap)]

    return setup


def _symlink_to_image(d):
    os.symlink(d / "image.png", d / "link.png")
    return ["image.png", "trimap.png", "-o", "link.png"]


ERROR_CASES = {
    # usage errors: exit 2
    "no arguments": (lambda d: [], 2, "the following arguments are required: IMAGE, TRIMAP"),
    "one argument": (lambda d: ["image.png"], 2, "required: TRIMAP"),
    "missing image": (lambda d: ["nope.png", "trimap.png"], 2, "image file not found: 'nope"),
    "missing trimap": (lambda d: ["image.png", "no.png"], 2, "trimap file not found: 'no.png'"),
    "image is a directory": (lambda d: [".", "trimap.png"], 2, "image '.' is a directory"),
    "output is the image": (
        lambda d: ["image.png", "trimap.png", "-o", "image.png"],
        2,
        "output 'image.png' is the image file; refusing to overwrite an input",
    ),
    "output is the trimap, spelt differently": (
        lambda d: ["image.png", "trimap.png", "-o", str(d / "sub" / ".." / "trimap.png")],
        2,
        "is the trimap file",
    ),
    "default output is the trimap": (
        lambda d: ["image.png", _write(d / "image_alpha.png", np.zeros((24, 32)))],
        2,
        "output 'image_alpha.png' is the trimap file",
    ),
    "output is a symlink to the image": (_symlink_to_image, 2, "is the image file"),
    "output is a directory": (
        lambda d: (d / "out").mkdir() or ["image.png", "trimap.png", "-o", "out"],
        2,
        "output 'out' is an existing directory",
    ),
    "output directory missing": (
        lambda d: ["image.png", "trimap.png", "-o", "no/a.png"],
        2,
        "output directory 'no' does not exist",
    ),
    "output extension unknown": (
        lambda d: ["image.png", "trimap.png", "-o", "a.xyz"],
        2,
        "unsupported file extension '.xyz'",
    ),
    "16-bit jpeg": (
        lambda d: ["image.png", "trimap.png", "-o", "a.jpg", "--16bit"],
        2,
        "16-bit output needs a .png file",
    ),
    "unknown method": (
        lambda d: ["image.png", "trimap.png", "--method", "magic"],
        2,
        r"argument --method: invalid choice: 'magic' \(choose from 'cf'",
    ),
    "unknown solver": (
        lambda d: ["image.png", "trimap.png", "--solver", "magic"],
        2,
        "argument --solver: must be one of 'auto', .*, got 'magic'",
    ),
    "epsilon not a number": (
        lambda d: ["image.png", "trimap.png", "--epsilon", "abc"],
        2,
        "argument --epsilon: expected a number > 0, got 'abc'",
    ),
    "epsilon negative": (
        lambda d: ["image.png", "trimap.png", "--epsilon", "-1"],
        2,
        "argument --epsilon: must be > 0, got '-1'",
    ),
    "epsilon zero": (lambda d: ["image.png", "trimap.png", "--epsilon", "0"], 2, "must be > 0"),
    "epsilon nan": (lambda d: ["image.png", "trimap.png", "--epsilon", "nan"], 2, "finite"),
    "radius not an integer": (
        lambda d: ["image.png", "trimap.png", "--radius", "1.5"],
        2,
        "argument --radius: expected an integer >= 1, got '1.5'",
    ),
    "radius zero": (lambda d: ["image.png", "trimap.png", "--radius", "0"], 2, "must be >= 1"),
    "maxiter missing value": (
        lambda d: ["image.png", "trimap.png", "--maxiter"],
        2,
        "argument --maxiter: expected one argument",
    ),
    "unknown flag": (
        lambda d: ["image.png", "trimap.png", "--fast"],
        2,
        "unrecognized arguments: --fast",
    ),
    "methods with an argument": (lambda d: ["methods", "cf"], 2, "unrecognized arguments: cf"),
    # failures while processing: exit 1
    "image not an image": (
        lambda d: (d / "x.txt").write_text("hi") and ["x.txt", "trimap.png"],
        1,
        "image 'x.txt' is not a readable image: ",
    ),
    "trimap not an image": (
        lambda d: (d / "t.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken") and ["image.png", "t.png"],
        1,
        "trimap 't.png' is not a readable image: ",
    ),
    "size mismatch": (
        lambda d: ["image.png", _write(d / "t.png", np.zeros((24, 31)))],
        1,
        r"trimap size 31x24 \(W x H\) does not match image size 32x24",
    ),
    "trimap without foreground": (_trimap_without(255), 1, "trimap has no known foreground"),
    "trimap without background": (_trimap_without(0), 1, "trimap has no known background"),
    "trimap of colours": (
        lambda d: ["image.png", "image.png", "-o", "a.png"],
        1,
        "trimap must be gray",
    ),
}


@pytest.mark.parametrize("setup, code, message", ERROR_CASES.values(), ids=ERROR_CASES.keys())
def test_errors(in_tmp, capsys, setup, code, message):
    argv = setup(in_tmp)
    before = _snapshot(in_tmp)
    assert cli.main(argv) == code
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert re.match(rf"classicmat: error: .*{message}", err), err
    if code == 2:  # the help of the command that was run
        command = "classicmat methods" if argv[:1] == ["methods"] else "classicmat"
        assert err.rstrip().endswith(f"(see '{command} --help')")
    assert _snapshot(in_tmp) == before  # no output, inputs unchanged


# ------------------------------------------------------ real processes (few)


def test_a_closed_stdout_ends_the_command_quietly():
    """``classicmat methods | head``: the reader leaves early; no error line, status 141."""
    import os
    import subprocess
    import sys

    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "classicmat", "methods", "--solvers"],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    finally:
        os.close(write)
    assert (done.returncode, done.stderr) == (141, "")


def test_python_m_classicmat(synthetic_files):
    directory = synthetic_files.image.parent
    before = _snapshot(directory)
    done = _python("-m", "classicmat", "image.png", "trimap.png", cwd=directory)
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(r"wrote image_alpha\.png \(32x24, cf, \d+\.\d\d s\)\n", done.stdout)
    assert done.stderr == ""
    assert _snapshot(directory).keys() == {*before, "image_alpha.png"}

    (directory / "x.txt").write_text("not an image")
    done = _python("-m", "classicmat", "x.txt", "trimap.png", "-o", "t.png", cwd=directory)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith("classicmat: error: image 'x.txt' is not a readable image")
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert not (directory / "t.png").exists()


def test_version_imports_nothing_heavy(tmp_path):
    done = _python("-X", "importtime", "-m", "classicmat", "--version", cwd=tmp_path)
    assert done.returncode == 0
    assert done.stdout == f"classicmat {classicmat.__version__}\n"
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    assert "classicmat.cli" in imported
    assert not {m for m in imported if m.split(".")[0] in HEAVY}


def test_help_and_methods_import_no_scipy_or_numba(tmp_path):
    script = (
        "import sys\n"
        "from classicmat.cli import main\n"
        "assert main(['--help']) == 0\n"
        "assert main(['methods']) == 0\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('scipy', 'numba', 'PIL'))\n"
        "print('HEAVY', heavy)\n"
    )
    done = _python("-c", script, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "HEAVY []"


def test_lemur(pymatting_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    image, trimap = (
        pymatting_dir / "lemur" / "lemur.png",
        pymatting_dir / "lemur" / "lemur_trimap.png",
    )
    assert cli.main([str(image), str(trimap)]) == 0
    assert capsys.readouterr().out.startswith("wrote lemur_alpha.png (680x440, cf, ")
    _, alpha = _read(tmp_path / "lemur_alpha.png")
    expected = classicmat.estimate_alpha(image, trimap)
    assert np.abs(alpha - np.rint(expected * 255)).max() <= 1


# ----------------------------------------------- foreground, cutout, composite


def test_cutout_foreground_and_composite(in_tmp, capsys):
    from classicmat import composite, estimate_alpha, estimate_foreground, read_image

    code = cli.main(
        [
            "image.png",
            "trimap.png",
            "--foreground",
            "fg.png",
            "--cutout",
            "cut.png",
            "--background",
            "#ff0000",
            "--composite",
            "comp.png",
        ]
    )
    assert code == 0
    assert "wrote image_alpha.png, fg.png, cut.png, comp.png" in capsys.readouterr().out
    image = read_image("image.png") / 255.0
    alpha = estimate_alpha(image, read_image("trimap.png", kind="trimap"))
    foreground = estimate_foreground(image, alpha)
    cut = read_image("cut.png")
    assert cut.shape == (*alpha.shape, 4)
    # straight alpha: colour channels are the foreground, not foreground * alpha
    np.testing.assert_allclose(cut[:, :, 3] / 255.0, alpha, atol=0.5 / 255 + 1e-9)
    np.testing.assert_allclose(cut[:, :, :3] / 255.0, foreground, atol=0.5 / 255 + 1e-9)
    expected = composite(foreground, alpha, "#ff0000")
    np.testing.assert_allclose(read_image("comp.png") / 255.0, expected, atol=0.5 / 255 + 1e-9)


def test_composite_over_an_image_of_another_size(in_tmp, capsys):
    from PIL import Image

    Image.new("RGB", (50, 10), (0, 0, 255)).save("bg.jpg")
    assert (
        cli.main(["image.png", "trimap.png", "--background", "bg.jpg", "--composite", "c.png"])
        == 0
    )
    with Image.open("c.png") as result, Image.open("image.png") as image:
        assert result.size == image.size


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--composite", "c.png"], "--composite and --background go together"),
        (["--background", "#000000"], "--composite and --background go together"),
        (["--background", "nope.jpg", "--composite", "c.png"], "background file not found"),
        (["--cutout", "image.png"], "is the image file; refusing to overwrite"),
        (["--cutout", "x.png", "--foreground", "x.png"], "is also the --foreground output"),
        (["--foreground-method", "multilevel"], "--foreground-method needs"),
        (["--cutout", "c.png", "--foreground-method", "nope"], "invalid choice: 'nope'"),
    ],
)
def test_foreground_usage_errors(in_tmp, capsys, extra, message):
    before = _snapshot(Path.cwd())
    assert cli.main(["image.png", "trimap.png", *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert _snapshot(Path.cwd()) == before


def test_unreadable_background_leaves_no_output(in_tmp, capsys):
    Path("bg.png").write_text("not an image")
    before = _snapshot(Path.cwd())
    code = cli.main(["image.png", "trimap.png", "--background", "bg.png", "--composite", "c.png"])
    assert code == 1
    assert "not a readable image" in capsys.readouterr().err
    assert _snapshot(Path.cwd()) == before


# ------------------------------------------------ ONNX models (--method onnx)


@pytest.fixture
def onnx_models(in_tmp):
    """``free.onnx`` (trimap-free, alpha = R, sharpened), ``four.onnx`` (alpha = trimap)."""
    pytest.importorskip("onnxruntime")
    from classicmat.deep import clear_session_cache

    from .onnx_models import conv_model

    clear_session_cache()
    # network input x = 2 R - 1 in [-1, 1]; alpha = clip(10 x + 0.5): 0 or 1 on this image
    conv_model(in_tmp / "free.onnx", [10.0, 0, 0], 0.5)
    conv_model(in_tmp / "four.onnx", [0.0, 0.0, 0.0, 1.0])
    yield in_tmp
    clear_session_cache()


def test_onnx_trimap_free_without_trimap(onnx_models, capsys):
    assert cli.main(["image.png", "--method", "onnx", "--model", "free.onnx"]) == 0
    assert re.fullmatch(
        r"wrote image_alpha\.png \(32x24, onnx, \d+\.\d\d s\)\n", capsys.readouterr().out
    )
    _, alpha = _read(onnx_models / "image_alpha.png")
    expected = classicmat.estimate_alpha("image.png", None, method="onnx", model="free.onnx")
    np.testing.assert_array_equal(alpha, np.rint(expected * 255))
    assert set(np.unique(alpha)) == {0, 255}


def test_onnx_with_trimap_and_spec(onnx_models, capsys):
    argv = ["-q", "image.png", "trimap.png", "--method", "onnx", "--model", "four.onnx"]
    assert (
        cli.main([*argv, "--spec", '{"force_known": false, "trimap_values": [0, 0.25, 1]}']) == 0
    )
    _, alpha = _read(onnx_models / "image_alpha.png")
    _, trimap = _read(onnx_models / "trimap.png")
    np.testing.assert_array_equal(alpha, np.where(trimap == 128, 64, trimap))  # 0.25 -> 64
    assert cli.main([*argv, "--spec", "trimap-4ch", "--threads", "1", "--providers", "cpu"]) == 0
    _, alpha = _read(onnx_models / "image_alpha.png")
    np.testing.assert_array_equal(alpha, trimap)


def test_auto_trimap_then_cf(onnx_models, capsys):
    argv = [
        "image.png",
        "--auto-trimap",
        "free.onnx",
        "--method",
        "cf",
        "--trimap-kernel-size",
        "5",
    ]
    assert cli.main([*argv, "-o", "auto.png"]) == 0
    assert re.fullmatch(
        r"wrote auto\.png \(32x24, cf, auto trimap, \d+\.\d\d s\)\n", capsys.readouterr().out
    )
    _, alpha = _read(onnx_models / "auto.png")
    expected = classicmat.estimate_alpha(
        "image.png", "auto", method="cf", trimap_model="free.onnx", trimap_kernel_size=5
    )
    np.testing.assert_array_equal(alpha, np.rint(expected * 255))


ONNX_ERRORS = {
    "trimap model without trimap": (
        ["image.png", "--method", "onnx", "--model", "four.onnx"],
        2,
        r"model 'four.onnx' takes a trimap \(one 4-channel input: RGB and 1 trimap channel\): "
        r"give TRIMAP",
    ),
    "onnx without --model": (
        ["image.png", "--method", "onnx"],
        2,
        "method 'onnx' needs --model",
    ),
    "--model for cf": (
        ["image.png", "trimap.png", "--model", "free.onnx"],
        2,
        "method 'cf' has no option --model",
    ),
    "missing model": (
        ["image.png", "--method", "onnx", "--model", "nope.onnx"],
        2,
        "model file not found: 'nope.onnx'",
    ),
    "output is the model": (
        ["image.png", "--method", "onnx", "--model", "free.onnx", "-o", "free.onnx"],
        2,
        "output 'free.onnx' is the model file; refusing to overwrite an input",
    ),
    "bad --spec": (
        ["image.png", "--method", "onnx", "--model", "free.onnx", "--spec", "modnet"],
        2,
        r"argument --spec: expected a preset \(trimap-4ch, ",
    ),
    "bad --spec JSON": (
        ["image.png", "--method", "onnx", "--model", "free.onnx", "--spec", "{sigmoid}"],
        2,
        r"argument --spec: invalid JSON",
    ),
    "TRIMAP and --auto-trimap": (
        ["image.png", "trimap.png", "--auto-trimap", "free.onnx"],
        2,
        "give TRIMAP or --auto-trimap, not both",
    ),
    "auto-trimap threshold alone": (
        ["image.png", "trimap.png", "--trimap-fg-threshold", "0.9"],
        2,
        "--trimap-fg-threshold needs --auto-trimap MODEL",
    ),
    "auto-trimap threshold above 1": (
        ["image.png", "--auto-trimap", "free.onnx", "--trimap-fg-threshold", "2"],
        2,
        "argument --trimap-fg-threshold: must be <= 1, got '2'",
    ),
    "auto-trimap with a trimap model": (
        ["image.png", "--auto-trimap", "four.onnx"],
        2,
        "--auto-trimap model 'four.onnx' takes a trimap",
    ),
    "missing auto-trimap model": (
        ["image.png", "--auto-trimap", "nope.onnx"],
        2,
        "--auto-trimap model file not found: 'nope.onnx'",
    ),
    "model not ONNX": (
        ["image.png", "--method", "onnx", "--model", "trimap.png", "-o", "a.png"],
        1,
        "model 'trimap.png' is not an ONNX model",
    ),
    "unavailable provider": (
        ["image.png", "--method", "onnx", "--model", "free.onnx", "--providers", "cuda"],
        1,
        "execution provider 'cuda' is not available",
    ),
    "no image": (["--method", "onnx", "--model", "free.onnx"], 2, "required: IMAGE \\("),
}


@pytest.mark.parametrize("argv, code, message", ONNX_ERRORS.values(), ids=ONNX_ERRORS.keys())
def test_onnx_errors(onnx_models, capsys, argv, code, message):
    before = _snapshot(onnx_models)
    assert cli.main(argv) == code
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert re.match(rf"classicmat: error: .*{message}", err), err
    assert _snapshot(onnx_models) == before


# ------------------------------------------- defects found driving the tool


NEW_USER_CASES = {
    "-o is the background": (
        ["-o", "bg.png", "--background", "bg.png", "--composite", "c.png"],
        "output 'bg.png' is the background file; refusing to overwrite an input",
    ),
    "default output is the background": (
        ["--background", "image_alpha.png", "--composite", "c.png"],
        "output 'image_alpha.png' is the background file",
    ),
    "--composite is the background": (
        ["--background", "bg.png", "--composite", "bg.png"],
        "--composite 'bg.png' is the background file",
    ),
    "alpha as JPEG": (["-o", "a.jpg"], "JPEG is lossy and would change the matte"),
    "cutout as JPEG": (["--cutout", "c.jpg"], "--cutout 'c.jpg': JPEG has no alpha channel"),
    "bad short colour": (
        ["--background", "#zzz", "--composite", "c.png"],
        "argument --background: expected a colour #RRGGBB or #RGB",
    ),
    "bad long colour": (
        ["--background", "#zzzzzz", "--composite", "c.png"],
        "argument --background: expected a colour",
    ),
    "background is a directory": (
        ["--background", "sub", "--composite", "c.png"],
        "background 'sub' is a directory, not an image file",
    ),
    "output under a file": (["-o", "image.png/out.png"], "'image.png' is a file, not a directory"),
    "even bayesian window": (
        ["--method", "bayesian", "--window", "4"],
        "argument --window: must be odd, got '4'",
    ),
    "bayesian max_window below window": (
        ["--method", "bayesian", "--window", "31", "--max_window", "21"],
        r"max_window \(21\) must be >= window \(31\)",
    ),
    "tiny camera noise": (
        ["--method", "bayesian", "--sigma_c", "1e-100"],
        "argument --sigma_c: must be >= 1e-06, got '1e-100'",
    ),
    "option of another method by name": (
        ["--option", "n_neighbors=5"],
        "method 'cf' has no option --n_neighbors",
    ),
    "option without a value": (["--option", "epsilon"], "argument --option: expected NAME=VALUE"),
}


@pytest.mark.parametrize("extra, message", NEW_USER_CASES.values(), ids=NEW_USER_CASES.keys())
def test_usage_errors_come_before_any_work(in_tmp, capsys, monkeypatch, extra, message):
    """Every option and path is checked before the image is read (exit status 2)."""
    Image.new("RGB", (8, 8)).save(in_tmp / "bg.png")
    Image.new("L", (32, 24)).save(in_tmp / "image_alpha.png")
    (in_tmp / "sub").mkdir()
    reads = []
    monkeypatch.setattr("classicmat.io.read_image", lambda *a, **k: reads.append(a))
    before = _snapshot(in_tmp)
    assert cli.main(["image.png", "trimap.png", *extra]) == 2
    err = capsys.readouterr().err
    assert re.match(rf"classicmat: error: .*{message}", err), err
    assert err.count("\n") == 1
    assert reads == []  # nothing was read
    assert _snapshot(in_tmp) == before


def test_short_colour_and_option_by_name(in_tmp, capsys):
    argv = ["-q", "image.png", "trimap.png", "--background", "#36c", "--composite", "c.png"]
    assert cli.main(argv) == 0
    composite = classicmat.read_image(in_tmp / "c.png")
    alpha = classicmat.read_image(in_tmp / "image_alpha.png")
    background = composite[alpha == 0]
    assert background.size and np.all(background == [0x33, 0x66, 0xCC])
    argv = ["-q", "image.png", "trimap.png", "-o", "o.png", "--option", "epsilon=1e-5"]
    assert cli.main([*argv, "--option", "radius=2"]) == 0
    expected = classicmat.estimate_alpha(
        in_tmp / "image.png", in_tmp / "trimap.png", epsilon=1e-5, radius=2
    )
    np.testing.assert_array_equal(_read(in_tmp / "o.png")[1], np.rint(expected * 255))


@pytest.mark.parametrize(
    ("make", "shown"),
    [
        (lambda t: Image.fromarray((t // 127).astype(np.uint8)), "values 0, 1, 2 \\(of 0-255\\)"),
        (
            lambda t: Image.fromarray(np.where(t == 128, 102, t).astype(np.uint16)),
            "values 0, 102, 255 \\(of 0-65535\\)",
        ),
        (
            lambda t: Image.fromarray(t.astype(np.int32)).convert("I"),
            "values 0, 128, 255 \\(of 0-65535\\)",
        ),
    ],
    ids=["0/1/2 labels", "16-bit 0/102/255", "32-bit integer TIFF"],
)
def test_label_maps_are_refused_not_read_as_empty_trimaps(in_tmp, capsys, make, shown):
    _, trimap = _read(in_tmp / "trimap.png")
    make(trimap.astype(np.int64)).save(in_tmp / "labels.tif")
    before = _snapshot(in_tmp)
    assert cli.main(["image.png", "labels.tif"]) == 1
    err = capsys.readouterr().err
    assert re.match(rf"classicmat: error: trimap {shown} are all known background", err), err
    assert "label map" in err and err.count("\n") == 1
    assert _snapshot(in_tmp) == before
