"""KNN matting: the Laplacian, its kernels, the solve, and the options."""

from __future__ import annotations

import colorsys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import classicmat
from classicmat.alpha.knn import VARIANTS, estimate_alpha_knn
from classicmat.laplacian import knn_laplacian
from classicmat.laplacian._knn_kernels import soft_kernel
from classicmat.laplacian.knn import _rgb_to_hsv, knn_features


def reference_laplacian(image, n_neighbors=(10, 2), level=1.0, weakening=0.01, kernel="soft"):
    """Plain NumPy: brute-force neighbours by np.argsort, a dense L = D - A."""
    h, w, c = image.shape
    n = h * w
    rows, cols = np.divmod(np.arange(n), w)
    f = np.column_stack(
        [image.reshape(n, c), np.column_stack([rows, cols]) * level / np.hypot(h, w)]
    )
    pairs = []
    for k in n_neighbors:
        dist = np.sqrt(((f[:, None, :] - f[None, :, :]) ** 2).sum(axis=2))
        order = np.argsort(dist, axis=1, kind="stable")[:, :k]
        pairs += [(i, j) for i in range(n) for j in order[i]]
        f[:, c:] *= weakening
    W = np.zeros((n, n))
    for i, j in pairs:
        W[i, j] += 1.0 - np.abs(f[i] - f[j]).sum() / (c + 2) if kernel == "soft" else 1.0
    A = W + W.T
    return np.diag(A.sum(axis=1)) - A


@pytest.mark.parametrize(
    "options",
    [{}, {"n_neighbors": (4, 3), "level": 3.0}, {"n_neighbors": 5, "kernel": "binary"}],
)
def test_matches_brute_force_reference(options):
    image = np.random.default_rng(1).random((6, 7, 3))
    paper = {k: v for k, v in VARIANTS["paper"].items() if k != "lambda_"}
    L = knn_laplacian(image, **{**paper, **options}).toarray()
    ref_options = {k: v for k, v in options.items()}
    if isinstance(ref_options.get("n_neighbors"), int):
        ref_options["n_neighbors"] = (ref_options["n_neighbors"],)
    np.testing.assert_allclose(L, reference_laplacian(image, **ref_options), rtol=0, atol=1e-12)


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    h=st.integers(2, 7),
    w=st.integers(2, 7),
    features=st.sampled_from(["rgb", "hsv"]),
)
def test_laplacian_symmetric_zero_rows_psd(seed, h, w, features):
    image = np.random.default_rng(seed).random((h, w, 3))
    L = knn_laplacian(image, features=features)
    dense = L.toarray()
    np.testing.assert_allclose(dense, dense.T, atol=1e-14)
    np.testing.assert_allclose(dense.sum(axis=1), 0.0, atol=1e-12)
    assert np.linalg.eigvalsh(dense).min() > -1e-10


def test_soft_kernel_matches_numpy():
    rng = np.random.default_rng(2)
    f = rng.random((50, 5))
    nbr = rng.integers(0, 50, size=(50, 7)).astype(np.int32)
    expected = np.maximum(1.0 - np.abs(f[:, None, :] - f[nbr]).sum(axis=2) / 5.0, 0.0)
    np.testing.assert_allclose(soft_kernel(f, nbr, 1 / 5), expected, rtol=0, atol=1e-15)
    # far-apart features clip at zero
    np.testing.assert_array_equal(soft_kernel(f * 10, nbr, 1 / 5) >= 0, True)


def test_hsv_features_match_colorsys():
    rgb = np.random.default_rng(3).random((40, 3))
    rgb[0] = [0.5, 0.5, 0.5]  # gray: hue 0
    rgb[1] = [0.0, 0.0, 0.0]
    expected = np.array([colorsys.rgb_to_hsv(*p) for p in rgb])
    np.testing.assert_allclose(_rgb_to_hsv(rgb), expected, atol=1e-12)
    f = knn_features(rgb.reshape(5, 8, 3), features="hsv")
    assert f.shape == (40, 6)
    np.testing.assert_allclose(f[:, 0] ** 2 + f[:, 1] ** 2, 1.0)


def two_colour_scene(h=20, w=30):
    """Background colour on the left, foreground colour on the right, unknown band between."""
    fg, bg = np.array([0.9, 0.3, 0.1]), np.array([0.1, 0.4, 0.8])
    alpha = np.zeros((h, w))
    alpha[:, w // 2 :] = 1.0
    alpha[h // 2 :, w // 2 - 4 :] = 1.0  # a step in the boundary
    image = alpha[:, :, None] * fg + (1 - alpha[:, :, None]) * bg
    trimap = np.full((h, w), 0.5)
    trimap[:, :3] = 0.0
    trimap[:, -3:] = 1.0
    return image, trimap, alpha


@pytest.mark.parametrize("features", ["rgb", "hsv"])
def test_recovers_two_flat_colours(features):
    # every unknown pixel has exactly the colour of one side, and its colour
    # neighbours chain it to that side's known pixels. Tolerance 0.02.
    # (An island of one colour not linked to known pixels of its colour by
    # any chain of neighbours would be a separate component: alpha 0 there.)
    image, trimap, alpha_true = two_colour_scene()
    alpha = classicmat.estimate_alpha(image, trimap, method="knn", features=features)
    assert np.abs(alpha - alpha_true).max() < 0.02


def test_output_contract_and_solvers_agree():
    image, trimap, _ = two_colour_scene()
    rng = np.random.default_rng(4)
    image = np.clip(image + 0.05 * rng.standard_normal(image.shape), 0, 1)
    ref = estimate_alpha_knn(image, trimap, solver="direct")
    assert ref.min() >= 0.0 and ref.max() <= 1.0 and ref.dtype == np.float64
    np.testing.assert_array_equal(ref[trimap == 1.0], 1.0)
    np.testing.assert_array_equal(ref[trimap == 0.0], 0.0)
    np.testing.assert_allclose(
        estimate_alpha_knn(image, trimap, variant="pymatting", lambda_=100.0),
        estimate_alpha_knn(
            image, trimap, variant="pymatting", lambda_=100.0, n_neighbors=(20, 10)
        ),
    )
    for solver in ("cg-jacobi", "cg-ichol", "auto"):
        alpha = estimate_alpha_knn(image, trimap, solver=solver, rtol=1e-10)
        np.testing.assert_allclose(alpha, ref, atol=1e-6, err_msg=solver)


def test_auto_solver_is_jacobi_cg_and_amg_gives_the_same_alpha():
    from classicmat.alpha import knn as knn_module
    from classicmat.laplacian.system import MattingSystem

    assert knn_module._auto(MattingSystem.__new__(MattingSystem)) == "cg-jacobi"
    image, trimap, _ = two_colour_scene()
    rng = np.random.default_rng(5)
    image = np.clip(image + 0.05 * rng.standard_normal(image.shape), 0, 1)
    jacobi = estimate_alpha_knn(image, trimap, rtol=1e-10)
    amg = estimate_alpha_knn(image, trimap, solver="cg-amg", rtol=1e-10)
    np.testing.assert_allclose(amg, jacobi, atol=1e-6)


def test_gray_image_and_no_unknown():
    image, trimap, alpha_true = two_colour_scene()
    alpha = estimate_alpha_knn(image[:, :, 0], trimap)
    assert np.abs(alpha - alpha_true).max() < 0.02
    known = np.where(alpha_true > 0.5, 1.0, 0.0)
    np.testing.assert_array_equal(estimate_alpha_knn(image, known), known)


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"n_neighbors": 0}, ValueError, "n_neighbors"),
        ({"n_neighbors": (10, 0)}, ValueError, "n_neighbors"),
        ({"n_neighbors": ()}, ValueError, "n_neighbors"),
        ({"n_neighbors": 2.5}, TypeError, "n_neighbors"),
        ({"lambda_": -1.0}, ValueError, "lambda_"),
        ({"lambda_": 0.0}, ValueError, "lambda_"),
        ({"level": -1.0}, ValueError, "level"),
        ({"features": "lab"}, ValueError, "features must be one of 'rgb', 'hsv'"),
        ({"kernel": "gauss"}, ValueError, "kernel"),
        ({"variant": "matlab"}, ValueError, "variant must be one of 'paper', 'pymatting'"),
        ({"position": "polar"}, ValueError, "position"),
        ({"solver": "magic"}, ValueError, "magic"),
        ({"neighbours": 3}, TypeError, "neighbours"),
    ],
)
def test_bad_options(options, error, match):
    image, trimap, _ = two_colour_scene(6, 8)
    with pytest.raises(error, match=match):
        classicmat.estimate_alpha(image, trimap, method="knn", **options)


def test_hsv_needs_rgb():
    with pytest.raises(ValueError, match="hsv"):
        knn_laplacian(np.zeros((4, 4)), features="hsv")


def test_trimap_without_foreground():
    image, trimap, _ = two_colour_scene(6, 8)
    trimap[trimap == 1.0] = 0.5
    with pytest.raises(ValueError, match="no known foreground"):
        estimate_alpha_knn(image, trimap)


@pytest.mark.slow
@pytest.mark.data
def test_alphamatting_not_worse_than_pymatting(alphamatting_dir):
    """Mean MSE on the unknown region <= PyMatting's estimate_alpha_knn (+0.1%).

    With the default (``variant="pymatting"``), which reproduces PyMatting's alpha (the same
    MSE to about 0.1% per image: neighbour ties and the CG stopping point
    differ); the paper's settings do not pass this bar (docs/knn.md). A subset (4 images
    x 2 trimaps, about 90 s with PyMatting); the full comparison is
    benchmarks/bench_knn.py.
    """
    pymatting = pytest.importorskip("pymatting")
    from PIL import Image

    def load(path, mode):
        with Image.open(path) as im:
            return np.asarray(im.convert(mode), dtype=np.float64) / 255.0

    ours, theirs = [], []
    for name in ("GT02", "GT05", "GT13", "GT18"):
        image = load(alphamatting_dir / "input" / f"{name}.png", "RGB")
        gt = load(alphamatting_dir / "gt" / f"{name}.png", "L")
        for t in ("trimap1", "trimap2"):
            trimap = load(alphamatting_dir / t / f"{name}.png", "L")
            unknown = (trimap > 0.1) & (trimap < 0.9)
            for out, alpha in (
                (ours, estimate_alpha_knn(image, trimap)),
                (theirs, pymatting.estimate_alpha_knn(image, trimap)),
            ):
                out.append(np.mean((alpha - gt)[unknown] ** 2))
    assert np.mean(ours) <= np.mean(theirs) * 1.001


def test_hard_constraints_are_the_limit_of_large_lambda():
    image, trimap, _ = two_colour_scene()
    rng = np.random.default_rng(5)
    image = np.clip(image + 0.05 * rng.standard_normal(image.shape), 0, 1)
    hard = estimate_alpha_knn(image, trimap, lambda_=np.inf, solver="direct")
    soft = estimate_alpha_knn(image, trimap, lambda_=1e8, solver="direct")
    np.testing.assert_allclose(soft, hard, atol=1e-5)


def test_cli_knn_options(tmp_path):
    from PIL import Image

    from classicmat.cli import main

    image, trimap, _ = two_colour_scene()
    Image.fromarray(np.rint(image * 255).astype(np.uint8)).save(tmp_path / "i.png")
    Image.fromarray(np.rint(trimap * 255).astype(np.uint8)).save(tmp_path / "t.png")
    out = tmp_path / "a.png"
    args = [str(tmp_path / "i.png"), str(tmp_path / "t.png"), "-o", str(out), "-q"]
    knn = ["--method", "knn", "--n_neighbors", "6,2", "--features", "hsv", "--lambda_", "50"]
    assert main([*args, *knn]) == 0
    assert out.exists()
    # "inf" fixes the known pixels (hard constraints); zero is refused
    assert main([*args, "--method", "knn", "--variant", "paper", "--lambda_", "inf"]) == 0
    assert main([*args, "--method", "knn", "--lambda_", "0"]) == 2


def test_pymatting_variant_matches_pymatting():
    pymatting = pytest.importorskip("pymatting")
    rng = np.random.default_rng(6)
    image, trimap, _ = two_colour_scene(24, 32)
    image = np.clip(image + 0.1 * rng.standard_normal(image.shape), 0, 1)
    ours = estimate_alpha_knn(image, trimap, variant="pymatting", rtol=1e-10)
    theirs = pymatting.estimate_alpha_knn(image, trimap, cg_kwargs={"rtol": 1e-10})
    np.testing.assert_allclose(ours, theirs, atol=1e-4)


@pytest.mark.parametrize("position", ["axes", "diagonal"])
def test_features_are_colour_then_scaled_row_and_column(position):
    h, w = 5, 7
    image = np.random.default_rng(2).random((h, w, 3))
    f = knn_features(image, level=2.0, position=position)
    rows, cols = np.divmod(np.arange(h * w), w)
    if position == "axes":
        scaled = [rows * (2.0 / (h - 1)), cols * (2.0 / (w - 1))]
    else:
        scaled = [rows * (2.0 / np.sqrt(h * h + w * w)), cols * (2.0 / np.sqrt(h * h + w * w))]
    np.testing.assert_array_equal(f, np.column_stack([image.reshape(-1, 3), *scaled]))
