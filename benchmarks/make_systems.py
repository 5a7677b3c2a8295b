"""Write the closed-form matting systems of the benchmark images to a folder.

Usage::

    python benchmarks/make_systems.py OUT_DIR [--skip-large]

For every alphamatting.com image x trimap (tags ``GT01_t1`` ... ``GT20_t2``),
the lemur sample (``lemur``) and the lemur upscaled x4 (``lemur4``), writes
``{tag}_A.npz`` (``L_UU``, ``scipy.sparse.save_npz``) and ``{tag}_b.npz``
(``b``, ``unknown``, ``shape``), as ``bench_solvers.py`` reads them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import LEMUR, alphamatting_cases, lemur_upscaled, load_gray, load_rgb  # noqa: E402

from classicmat.laplacian import cf_system  # noqa: E402


def save(out: Path, tag: str, image: np.ndarray, trimap: np.ndarray) -> None:
    system = cf_system(image, trimap)
    sp.save_npz(out / f"{tag}_A.npz", sp.csr_matrix(system.A))
    np.savez(out / f"{tag}_b.npz", b=system.b, unknown=system.unknown, shape=trimap.shape)
    print(tag, system.unknown.size, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--skip-large", action="store_true")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    save(args.out, "lemur", load_rgb(LEMUR / "lemur.png"), load_gray(LEMUR / "lemur_trimap.png"))
    for tag, image_path, trimap_path, _ in alphamatting_cases():
        name, trimap_set = tag.split("/")
        save(args.out, f"{name}_t{trimap_set[-1]}", load_rgb(image_path), load_gray(trimap_path))
    if not args.skip_large:
        save(args.out, "lemur4", *lemur_upscaled(4))


if __name__ == "__main__":
    main()
