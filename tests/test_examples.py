"""The example scripts run and do what their docstrings say."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run(script: str, cwd: Path) -> str:
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / script)], cwd=cwd, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_closed_form_example_writes_its_figure(tmp_path):
    out = run("closed_form.py", tmp_path)
    assert "wrote lemur_cf_figure.png" in out
    from PIL import Image

    with Image.open(tmp_path / "lemur_cf_figure.png") as figure:
        assert figure.size == (3 * 680, 440)


def test_linear_system_example_matches_estimate_alpha(tmp_path):
    out = run("linear_system.py", tmp_path)
    diff = float(out.strip().splitlines()[-1].rsplit("=", 1)[1])
    assert diff < 1e-6, out


@pytest.mark.parametrize("script", sorted(p.name for p in EXAMPLES.glob("*.py")))
def test_every_example_has_a_docstring(script):
    text = (EXAMPLES / script).read_text()
    assert text.startswith('"""'), script


def test_cutout_example_writes_its_figure(tmp_path):
    run("cutout.py", tmp_path)
    from PIL import Image

    (figure,) = tmp_path.glob("*.png")
    with Image.open(figure) as im:
        assert im.width > im.height > 0
