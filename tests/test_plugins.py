"""Methods from other packages: the ``classicmat.methods`` entry points.

A small distribution is made in a temporary folder (a package and its
``.dist-info`` with ``entry_points.txt``) and put on the path, as ``pip
install`` would: the registry finds it through ``importlib.metadata``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import classicmat
from classicmat import cli

REPO = Path(__file__).resolve().parents[1]

PLUGIN = '''
import numpy as np


def soften(image, trimap, *, strength=0.5, label="x"):
    """Alpha as the trimap pulled towards 0.5 (a test method).

    Parameters
    ----------
    strength : float
        How far the unknown pixels move to 0.5. In [0, 1].
    label : str
        Any text.
    """
    assert image.dtype == np.float64 and image.ndim == 3 and image.flags.c_contiguous
    assert trimap.dtype == np.float64 and trimap.shape == image.shape[:2]
    alpha = trimap.copy()
    unknown = (trimap > 0.1) & (trimap < 0.9)
    alpha[unknown] = (1 - strength) * image[..., 0][unknown] + strength * 0.5
    return alpha


def takes_no_trimap(image):
    return image[..., 0]
'''

ENTRY_POINTS = """
[classicmat.methods]
soften = myplug:soften
badsig = myplug:takes_no_trimap
missing = myplug_gone:nothing
cf = myplug:soften
"""


@pytest.fixture
def plugin_site(tmp_path, monkeypatch):
    site = tmp_path / "site"
    (site / "myplug").mkdir(parents=True)
    (site / "myplug" / "__init__.py").write_text(PLUGIN)
    info = site / "myplug-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: myplug\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(textwrap.dedent(ENTRY_POINTS))
    monkeypatch.syspath_prepend(str(site))
    classicmat.METHODS.reload_plugins()
    yield site
    monkeypatch.undo()
    sys.modules.pop("myplug", None)
    classicmat.METHODS.reload_plugins()


def test_a_plugin_is_a_method(plugin_site, synthetic_pair):
    image, trimap = synthetic_pair.image, synthetic_pair.trimap
    assert "soften" in classicmat.METHODS.names()
    alpha = classicmat.estimate_alpha(image, trimap, method="soften", strength=0.25)
    unknown = trimap == 128
    expected = 0.75 * image[..., 0][unknown] / 255.0 + 0.125
    np.testing.assert_allclose(alpha[unknown], expected)
    assert (alpha[trimap == 255] == 1).all() and (alpha[trimap == 0] == 0).all()
    with pytest.raises(TypeError, match="unknown option 'strenght' for method 'soften'"):
        classicmat.estimate_alpha(image, trimap, method="soften", strenght=1)
    with pytest.raises(TypeError, match="strength must be a number"):
        classicmat.estimate_alpha(image, trimap, method="soften", strength="strong")


def test_a_broken_plugin_never_breaks_the_built_in_methods(plugin_site, synthetic_pair):
    image, trimap = synthetic_pair.image, synthetic_pair.trimap
    with pytest.raises(ImportError, match=r"method 'missing' \(a plugin from myplug, "):
        classicmat.estimate_alpha(image, trimap, method="missing")
    with pytest.raises(ImportError, match=r"method 'badsig' .*must take \(image, trimap"):
        classicmat.estimate_alpha(image, trimap, method="badsig")
    # the name clash is refused: "cf" is still closed-form matting
    assert "cf (myplug)" in classicmat.METHODS.problems
    cf = classicmat.estimate_alpha(image, trimap, method="cf")
    assert cf[trimap == 128].std() > 0.3  # a matte, not the plugin's output


def test_plugins_in_classicmat_methods_and_on_the_command_line(
    plugin_site, tmp_path, synthetic_files
):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(plugin_site)])}
    listing = subprocess.run(
        [sys.executable, "-m", "classicmat", "methods"], env=env, capture_output=True, text=True
    )
    assert listing.returncode == 0, listing.stderr
    out = listing.stdout
    assert "soften" in out and "Alpha as the trimap pulled towards 0.5" in out
    assert "--strength  How far the unknown pixels move to 0.5 (a number; default 0.5)" in out
    assert "missing   BROKEN: " in out and "No module named 'myplug_gone'" in out
    assert "cf (myplug) not loaded: method name 'cf' is already taken by classicmat" in out
    assert out.index("cf  ") < out.index("soften")  # built-ins first
    output = tmp_path / "soft.png"
    run = subprocess.run(
        [sys.executable, "-m", "classicmat", str(synthetic_files.image),
         str(synthetic_files.trimap), "--method", "soften", "--option", "strength=1", "-o",
         str(output)],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    alpha = classicmat.read_image(output)
    assert set(np.unique(alpha)) == {0, 128, 255}  # strength 1: unknown pixels at 0.5
    bad = subprocess.run(
        [sys.executable, "-m", "classicmat", str(synthetic_files.image),
         str(synthetic_files.trimap), "--method", "soften", "--option", "strength=high"],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert bad.returncode == 2 and "argument --strength: expected a number" in bad.stderr


def _dataset(root, pair):
    from PIL import Image

    for folder in ("image", "trimap", "alpha"):
        (root / folder).mkdir(parents=True)
    Image.fromarray(pair.image).save(root / "image" / "a.png")
    Image.fromarray(pair.trimap).save(root / "trimap" / "a.png")
    Image.fromarray((pair.alpha * 255).astype(np.uint8)).save(root / "alpha" / "a.png")
    return root


def test_evaluate_a_plugin_next_to_a_built_in_method(plugin_site, tmp_path, synthetic_pair):
    data = _dataset(tmp_path / "data", synthetic_pair)
    out = tmp_path / "out"
    argv = ["evaluate", "--dataset", str(data), "--layout", "simple", "--out", str(out)]
    code = cli.main([*argv, "--methods", "cf,soften", "--option", "soften.strength=0.75", "-q"])
    assert code == 0
    document = json.loads((out / "results.json").read_text())
    assert document["parameters"]["method_options"]["soften"] == {"strength": 0.75, "label": "x"}
    assert [row["method"] for row in document["rows"]] == ["cf", "soften"]


@pytest.mark.slow
def test_evaluate_a_plugin_on_a_cluster(
    plugin_site, dask_cluster, tmp_path, synthetic_pair, capsys
):
    client = dask_cluster.client
    data = _dataset(tmp_path / "data", synthetic_pair)
    argv = ["evaluate", "--dataset", str(data), "--layout", "simple", "--methods", "cf,soften",
            "--option", "soften.strength=0.75", "-q"]  # fmt: skip
    assert cli.main([*argv, "--out", str(tmp_path / "local")]) == 0
    cluster = [*argv, "--out", str(tmp_path / "cluster"), "--scheduler", dask_cluster.address]
    # the workers do not have the plugin: one clear error, nothing run
    assert cli.main(cluster) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "cannot load method 'soften'" in err[0], err
    assert "install the package that provides it on every worker" in err[0]

    def install(site=str(plugin_site)):  # as pip install on every worker
        import sys

        import classicmat

        sys.path.insert(0, site)
        classicmat.METHODS.reload_plugins()

    def uninstall(site=str(plugin_site)):
        import sys

        import classicmat

        sys.path.remove(site)
        sys.modules.pop("myplug", None)
        classicmat.METHODS.reload_plugins()

    client.run(install)
    try:
        assert cli.main(cluster) == 0
    finally:
        client.run(uninstall)
    local = json.loads((tmp_path / "local" / "results.json").read_text())
    document = json.loads((tmp_path / "cluster" / "results.json").read_text())
    assert document["parameters"]["method_options"]["soften"] == {"strength": 0.75, "label": "x"}
    assert document["parameters"]["method_options"] == local["parameters"]["method_options"]
    strip = lambda rows: [{k: v for k, v in r.items() if k != "runtime_s"} for r in rows]  # noqa: E731
    assert strip(document["rows"]) == strip(local["rows"])
    assert [row["method"] for row in document["rows"]] == ["cf", "soften"]


def test_the_plugin_of_the_docs_works(synthetic_pair):
    import re

    text = (REPO / "docs" / "plugins.md").read_text()
    code = re.search(r"`mymatting/__init__.py`:\n\n```python\n(.*?)```", text, re.S).group(1)
    assert len(code.strip().splitlines()) <= 14
    namespace: dict = {}
    exec(code, namespace)
    from classicmat._method import as_method

    method = as_method(namespace["mean_colour"])
    assert [o.name for o in method.options] == ["strength"]
    assert method.options[0].help == "Sharpness of the transition"
    alpha = method(synthetic_pair.image, synthetic_pair.trimap, strength=2.0)
    error = np.abs(alpha - synthetic_pair.alpha)[synthetic_pair.trimap == 128].mean()
    assert alpha.shape == synthetic_pair.trimap.shape and error < 0.05
