"""The README's Python quick start runs as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_python_quick_start_runs(tmp_path):
    text = (ROOT / "README.md").read_text()
    (code,) = re.findall(r"## Python\n\n```python\n(.*?)```", text, flags=re.S)
    code = code.replace('"examples/', f'"{ROOT.as_posix()}/examples/')
    code += "\nassert alpha.shape == (440, 680) and rgba.shape == (440, 680, 4)\n"
    code += "assert over_blue.shape == (440, 680, 3)\n"
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "lemur_alpha.png").is_file()
    assert (tmp_path / "lemur_cutout.png").is_file()
