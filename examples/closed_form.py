"""Closed-form matting of the lemur sample: image | trimap | alpha, side by side.

Run it from anywhere::

    python examples/closed_form.py   # writes lemur_cf_figure.png in the current folder
"""

from pathlib import Path

import numpy as np
from PIL import Image

import classicmat

DATA = Path(__file__).resolve().parent / "data"

image = classicmat.read_image(DATA / "lemur.png")[:, :, :3]
trimap = classicmat.read_image(DATA / "lemur_trimap.png", kind="trimap")

alpha = classicmat.estimate_alpha(image, trimap, method="cf")

gray = np.dstack([trimap] * 3)
matte = np.dstack([np.rint(alpha * 255).astype(np.uint8)] * 3)
figure = np.hstack([image, gray, matte])
Image.fromarray(figure).save("lemur_cf_figure.png")
print(f"alpha in [{alpha.min():.2f}, {alpha.max():.2f}]; wrote lemur_cf_figure.png")
