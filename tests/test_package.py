"""The package surface: lazy imports, public names, version."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import classicmat


def test_import_loads_no_heavy_module():
    code = (
        "import sys, json, classicmat; "
        "print(json.dumps([m for m in ('numba', 'scipy', 'numpy', 'PIL', 'pyamg', 'sklearn', "
        "'onnxruntime', 'onnx', 'classicmat.deep') if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


@pytest.mark.parametrize("name", classicmat.__all__)
def test_every_public_name_resolves(name):
    assert getattr(classicmat, name) is not None


def test_unknown_attribute_raises_attribute_error():
    with pytest.raises(AttributeError, match="has no attribute 'estimate_alfa'"):
        classicmat.estimate_alfa  # noqa: B018


def test_version_matches_metadata():
    from importlib.metadata import version

    assert classicmat.__version__ == version("classicmat")


def test_py_typed_is_shipped():
    assert (Path(classicmat.__file__).parent / "py.typed").is_file()
