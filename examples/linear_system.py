"""Expert example: closed-form matting written out as the linear system it solves.

Levin et al. (2008) find the matte that minimises alpha^T L alpha, with L the
matting Laplacian, while alpha is fixed to 1 / 0 on the known foreground /
background of the trimap. Ordering the pixels as unknown (U) then known (K),
setting the gradient in alpha_U to zero gives

    L_UU alpha_U = -L_UK alpha_K .

This script builds L for the whole image, cuts out the blocks by hand, solves
with SciPy's sparse direct solver and checks the result against
``classicmat.estimate_alpha``. Run it from anywhere::

    python examples/linear_system.py
"""

from pathlib import Path

import numpy as np
import scipy.sparse.linalg

import classicmat

DATA = Path(__file__).resolve().parent / "data"

image = classicmat.read_image(DATA / "lemur.png")[:, :, :3] / 255.0
trimap = classicmat.read_image(DATA / "lemur_trimap.png", kind="trimap") / 255.0

# The full Laplacian: one row and column per pixel (row-major order).
L = classicmat.cf_laplacian(image, epsilon=1e-7, radius=1)
print(f"L: {L.shape[0]} x {L.shape[1]}, {L.nnz} non-zeros")

masks = classicmat.split_trimap(trimap)
U = masks.is_unknown.ravel()
K = masks.is_known.ravel()
alpha_K = masks.is_fg.ravel()[K].astype(np.float64)

L_UU = L[U][:, U]
L_UK = L[U][:, K]
b = -(L_UK @ alpha_K)
print(f"unknown pixels: {U.sum()}; system L_UU: {L_UU.nnz} non-zeros")

# The Laplacian is symmetric positive definite on the unknowns; a sparse
# direct solve is exact and fast enough here (classicmat.solve offers
# preconditioned CG and multigrid for large systems).
alpha_U = scipy.sparse.linalg.spsolve(L_UU.tocsc(), b)

alpha = masks.is_fg.astype(np.float64)
alpha[masks.is_unknown] = np.clip(alpha_U, 0, 1)

reference = classicmat.estimate_alpha(image, trimap, method="cf")
print(f"max |alpha - classicmat.estimate_alpha| = {np.abs(alpha - reference).max():.1e}")
