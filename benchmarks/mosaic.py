"""Large realistic test images: an n x n mosaic of alphamatting.com photos.

A phone or camera photo has 12-24 megapixels, and a trimap around hair can
leave millions of unknown pixels. Upsampling a small image gives a large one
without its detail; a mosaic of real photos keeps it. Each tile is one of the
20 training images (portrait ones turned to landscape), centre-cropped to a
common 800 x 490, with its trimap and ground truth cropped the same way; the
tiles cycle through the set.

    python benchmarks/mosaic.py 5 /tmp/mosaic5            # 4000 x 2450, 9.8 MP
    python benchmarks/mosaic.py 7 /tmp/mosaic7 --trimap trimap2

writes ``image.png``, ``trimap.png`` and ``gt.png`` there. Needs
``../shared/data/alphamatting`` next to the repository.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "alphamatting"

#: Every tile is cropped to this (width, height): the largest crop that every
#: image holds once portrait images are turned.
TILE = (800, 490)


def _tile(folder: str, stem: str, mode: str) -> np.ndarray:
    with Image.open(DATA / folder / f"{stem}.png") as img:
        img = img.convert(mode)
        if img.height > img.width:  # portrait: turn it
            img = img.transpose(Image.Transpose.ROTATE_90)
        width, height = TILE
        left = (img.width - width) // 2
        top = (img.height - height) // 2
        return np.asarray(img.crop((left, top, left + width, top + height)))


def make_mosaic(n: int, trimap: str = "trimap1") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(image, trimap, gt) of an ``n`` x ``n`` mosaic, uint8 arrays."""
    stems = [f"GT{i:02d}" for i in range(1, 21)]
    rows = {"image": [], "trimap": [], "gt": []}
    k = 0
    for _ in range(n):
        row = {"image": [], "trimap": [], "gt": []}
        for _ in range(n):
            stem = stems[k % len(stems)]
            k += 1
            row["image"].append(_tile("input", stem, "RGB"))
            row["trimap"].append(_tile(trimap, stem, "L"))
            row["gt"].append(_tile("gt", stem, "L"))
        for key in rows:
            rows[key].append(np.hstack(row[key]))
    return tuple(np.vstack(rows[key]) for key in ("image", "trimap", "gt"))


def write_mosaic(n: int, out: Path, trimap: str = "trimap1") -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    image, tri, gt = make_mosaic(n, trimap)
    paths = {}
    for name, array in (("image", image), ("trimap", tri), ("gt", gt)):
        paths[name] = out / f"{name}.png"
        if not paths[name].exists():
            Image.fromarray(array).save(paths[name])
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="tiles per side")
    parser.add_argument("out", type=Path, help="output folder")
    parser.add_argument("--trimap", default="trimap1", choices=("trimap1", "trimap2"))
    args = parser.parse_args()
    paths = write_mosaic(args.n, args.out, args.trimap)
    image, trimap, _ = make_mosaic(args.n, args.trimap)
    unknown = int(((trimap > 25) & (trimap < 230)).sum())
    print(
        f"{paths['image']}: {image.shape[1]} x {image.shape[0]} "
        f"({image.shape[0] * image.shape[1] / 1e6:.1f} MP), {unknown:,} unknown pixels"
    )


if __name__ == "__main__":
    main()
