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


def test_kernel_cache_is_written_outside_the_package(tmp_path):
    """numba's cache goes to CLASSICMAT_CACHE_DIR, never into the installed package.

    Files that pip did not install would survive ``pip uninstall`` and leave a
    ``classicmat/`` folder without ``__init__.py`` that shadows a later
    editable install (an empty namespace package).
    """
    package = Path(classicmat.__file__).parent
    before = {p for p in package.rglob("*") if p.suffix in (".nbi", ".nbc")}
    code = (  # one small kernel, compiled into an empty cache
        "import numpy as np\n"
        "from classicmat.solvers._mf_kernels import coupling_reach\n"
        "i = np.zeros(2, np.int64); coupling_reach(i, i[:0], i, i)\n"
        "from classicmat._jit import cache_dir; print(cache_dir())\n"
    )
    env = {**__import__("os").environ, "CLASSICMAT_CACHE_DIR": str(tmp_path / "cache")}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.strip() == str(tmp_path / "cache")
    written = list((tmp_path / "cache").rglob("*.nbi"))
    assert written, "no kernel was cached in CLASSICMAT_CACHE_DIR"
    assert all(classicmat.__version__ in p.parts for p in written)
    after = {p for p in package.rglob("*") if p.suffix in (".nbi", ".nbc")}
    assert after == before
