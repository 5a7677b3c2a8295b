"""Colour bleeding: the lemur cut out over flat green, with raw colours vs estimated foreground.

Writes ``lemur_cutout_figure.png`` (into the current directory, or the path
given as the first argument): left, the composite that uses the photo's own
colours as foreground -- the old background shows as a halo in the fur;
right, the composite with the foreground estimated by
``classicmat.estimate_foreground`` (multilevel). The alpha matte is
``lemur_alpha_fba.png`` from ../shared/data/pymatting/lemur when present,
else one estimated by closed-form matting from the example trimap.
"""

import sys
from pathlib import Path

import numpy as np

from classicmat.alpha import estimate_alpha
from classicmat.compose import composite
from classicmat.foreground import estimate_foreground
from classicmat.io import read_image, write_image

data = Path(__file__).resolve().parent / "data"
image = read_image(data / "lemur.png")
fba = (
    Path(__file__).resolve().parents[1].parent / "shared/data/pymatting/lemur/lemur_alpha_fba.png"
)
if fba.is_file():
    alpha = read_image(fba, kind="alpha")
else:
    alpha = estimate_alpha(image, read_image(data / "lemur_trimap.png", kind="trimap"))

green = "#30C050"
naive = composite(image, alpha, green)  # foreground = raw image colours
foreground = estimate_foreground(image, alpha)
clean = composite(foreground, alpha, green)

# crop to the fur around the head, enlarged x2 so the halo is visible
h, w = naive.shape[:2]
crop = (slice(0, h // 2), slice(w // 4, 3 * w // 4))
figure = np.concatenate([naive[crop], np.ones((h // 2, 4, 3)), clean[crop]], axis=1)
figure = figure.repeat(2, axis=0).repeat(2, axis=1)
out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("lemur_cutout_figure.png")
write_image(out, figure)
print(f"wrote {out} ({figure.shape[1]}x{figure.shape[0]})")
