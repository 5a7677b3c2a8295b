"""PyMatting's own quality test, passed by classicmat's methods.

PyMatting's ``tests/test_estimate_alpha.py`` loads its lemur at scale 0.1
(PIL: the image resized bilinearly, the trimap with nearest neighbours, the
FBA reference alpha bilinearly, then divided by 255) and asserts
``||alpha - alpha_FBA||_2`` (all 2,992 pixels) below a bound per method. The
same bounds hold here for the same methods under their classicmat names.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import classicmat

#: method, options, PyMatting's bound (its ``estimate_alpha_lkm`` is tested
#: with ``laplacian_kwargs={"radius": 1}``)
CASES = [
    ("cf", {}, 1.68),
    ("knn", {}, 2.2),
    ("lbdm", {}, 1.68),
    ("rw", {}, 6.0),
    ("lkm", {"radius": 1}, 1.68),
]


def _load(path, mode, resample):
    """PyMatting's ``load_image(path, mode, size=None, scale=0.1, resample)``."""
    with Image.open(path) as image:
        image = image.convert(mode)
        size = (int(image.width * 0.1), int(image.height * 0.1))
        return np.asarray(image.resize(size, resample), dtype=np.float64) / 255.0


@pytest.fixture(scope="module")
def lemur_tenth(pymatting_dir):
    folder = pymatting_dir / "lemur"
    image = _load(folder / "lemur.png", "RGB", Image.BILINEAR)
    trimap = _load(folder / "lemur_trimap.png", "L", Image.NEAREST)
    expected = _load(folder / "lemur_alpha_fba.png", "L", Image.BILINEAR)
    assert image.shape == (44, 68, 3) and trimap.shape == expected.shape == (44, 68)
    return image, trimap, expected


@pytest.mark.parametrize(("method", "options", "bound"), CASES, ids=[c[0] for c in CASES])
def test_lemur_at_one_tenth_within_pymatting_bounds(lemur_tenth, method, options, bound):
    image, trimap, expected = lemur_tenth
    alpha = classicmat.estimate_alpha(image, trimap, method=method, **options)
    error = np.linalg.norm(alpha - expected)
    assert error < bound, (method, error, bound)
