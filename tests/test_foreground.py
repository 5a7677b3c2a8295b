"""Foreground estimation: recovery on synthetic blends, edge cases, kernel vs NumPy, data."""

from __future__ import annotations

import numpy as np
import pytest

import classicmat.foreground as fg
from classicmat.foreground._multilevel_kernels import red_black_sweeps
from classicmat.foreground.closed_form import foreground_system
from classicmat.foreground.multilevel import level_sizes

METHODS = fg.FOREGROUND_METHODS.names()

F_COLOUR = np.array([0.9, 0.3, 0.1])
B_COLOUR = np.array([0.1, 0.4, 0.8])

# Max error of F on 0 < alpha < 1 for constant F and B blended by a smooth ramp.
# blur-fusion is approximate by design (its blurred F_hat mixes in the ramp): its
# error reaches 0.15 where alpha is near 0 (0.063 weighted by alpha), so it is bounded
# weighted by alpha (the error that shows in a composite).
TOLERANCE = {"multilevel": 1e-3, "closed-form": 1e-3, "blur-fusion": 0.08}


def blend(alpha, f=F_COLOUR, b=B_COLOUR):
    a = alpha[:, :, None]
    return a * f + (1 - a) * b


def ramp_alpha(height=24, width=40):
    """0 on the left quarter, 1 on the right quarter, a smooth ramp between."""
    x = np.linspace(-0.5, 1.5, width)
    alpha = np.clip(x, 0, 1)
    alpha = alpha * alpha * (3 - 2 * alpha)  # smoothstep
    return np.tile(alpha, (height, 1))


@pytest.mark.parametrize("method", METHODS)
def test_constant_colours_are_recovered(method):
    alpha = ramp_alpha()
    image = blend(alpha)
    F, B = fg.estimate_foreground(image, alpha, method=method, return_background=True)
    soft = (alpha > 0) & (alpha < 1)
    assert F.shape == B.shape == image.shape
    error = np.abs(F[soft] - F_COLOUR)
    if method == "blur-fusion":
        error *= alpha[soft][:, None]
    assert error.max() < TOLERANCE[method]
    if method != "blur-fusion":  # its B is the blurred estimate B_hat
        assert np.abs(B[soft] - B_COLOUR).max() < TOLERANCE[method]


@pytest.mark.parametrize("method", METHODS)
def test_result_is_exact_where_alpha_is_0_or_1(method):
    alpha = ramp_alpha()
    rng = np.random.default_rng(1)
    image = np.clip(blend(alpha) + rng.uniform(-0.05, 0.05, (24, 40, 3)), 0, 1)
    F, B = fg.estimate_foreground(image, alpha, method=method, return_background=True)
    assert np.array_equal(F[alpha == 1], image[alpha == 1])
    assert np.array_equal(B[alpha == 0], image[alpha == 0])
    assert F.min() >= 0 and F.max() <= 1 and F.dtype == np.float64


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("value", [0.0, 1.0])
def test_alpha_constant_everywhere(method, value):
    image = np.random.default_rng(2).random((9, 11, 3))
    F, B = fg.estimate_foreground(
        image, np.full((9, 11), value), method=method, return_background=True
    )
    assert np.all(np.isfinite(F)) and np.all(np.isfinite(B))
    if value == 1.0:
        assert np.array_equal(F, image)
    else:
        assert np.array_equal(B, image)


@pytest.mark.parametrize("method", METHODS)
def test_gray_in_gray_out_equals_one_channel_of_rgb(method):
    alpha = ramp_alpha(12, 20)
    image = blend(alpha)
    F_rgb = fg.estimate_foreground(image, alpha, method=method)
    F_gray = fg.estimate_foreground(image[:, :, 1], alpha, method=method)
    assert F_gray.shape == (12, 20, 1)
    np.testing.assert_allclose(F_gray[:, :, 0], F_rgb[:, :, 1], atol=1e-6)


@pytest.mark.parametrize("method", METHODS)
def test_uint8_inputs_are_scaled(method):
    alpha = ramp_alpha(12, 20)
    image = blend(alpha)
    F = fg.estimate_foreground(image, alpha, method=method)
    F8 = fg.estimate_foreground(
        np.rint(image * 255).astype(np.uint8), np.rint(alpha * 255).astype(np.uint8), method=method
    )
    assert np.abs(F8 - F).max() < 0.05


def reference_sweeps(image, alpha, F, B, regularization, gradient_weight, n_iterations):
    """Vectorised NumPy version of ``red_black_sweeps`` (same order of operations)."""
    h, w, _ = image.shape
    yy, xx = np.mgrid[0:h, 0:w]
    up = np.maximum(yy - 1, 0), xx
    down = np.minimum(yy + 1, h - 1), xx
    left = yy, np.maximum(xx - 1, 0)
    right = yy, np.minimum(xx + 1, w - 1)
    inside = (yy > 0, yy < h - 1, xx > 0, xx < w - 1)
    nbrs = (up, down, left, right)
    a0 = alpha
    a1 = 1.0 - a0
    wts = [
        (regularization + gradient_weight * np.abs(a0 - alpha[n])) * ok
        for n, ok in zip(nbrs, inside, strict=True)
    ]
    wsum = wts[0] + wts[1] + wts[2] + wts[3]
    a00 = (a0 * a0 + wsum)[:, :, None]
    a01 = (a0 * a1)[:, :, None]
    a11 = (a1 * a1 + wsum)[:, :, None]
    det = a00 * a11 - a01 * a01
    inv_det = 1.0 / np.where(det == 0, 1.0, det)  # det == 0 only where wsum == 0 (skipped)
    wts = [wt[:, :, None] for wt in wts]
    for _ in range(n_iterations):
        for color in range(2):
            sel = (((yy + xx) % 2) == color) & (wsum != 0)
            sum_f = wts[0] * F[up] + wts[1] * F[down] + wts[2] * F[left] + wts[3] * F[right]
            sum_b = wts[0] * B[up] + wts[1] * B[down] + wts[2] * B[left] + wts[3] * B[right]
            b0 = a0[:, :, None] * image + sum_f
            b1 = a1[:, :, None] * image + sum_b
            f = np.clip(inv_det * (a11 * b0 - a01 * b1), 0, 1)
            b = np.clip(inv_det * (a00 * b1 - a01 * b0), 0, 1)
            F[sel] = f[sel]
            B[sel] = b[sel]


@pytest.mark.parametrize("shape", [(1, 1, 3), (1, 7, 3), (5, 6, 3), (7, 4, 1)])
def test_numba_kernel_matches_numpy_reference(shape):
    rng = np.random.default_rng(3)
    image = rng.random(shape)
    alpha = rng.random(shape[:2])
    alpha[0, 0] = 0.0
    F0 = rng.random(shape)
    B0 = rng.random(shape)
    F1, B1 = F0.copy(), B0.copy()
    F2, B2 = F0.copy(), B0.copy()
    red_black_sweeps(image, alpha, F1, B1, 1e-3, 0.7, 3)
    reference_sweeps(image, alpha, F2, B2, 1e-3, 0.7, 3)
    np.testing.assert_allclose(F1, F2, rtol=0, atol=1e-12)
    np.testing.assert_allclose(B1, B2, rtol=0, atol=1e-12)


def test_threads_give_the_serial_result():
    from classicmat.foreground import _multilevel_kernels as K

    rng = np.random.default_rng(5)
    image = rng.random((37, 41, 3))
    alpha = rng.random((37, 41))
    F0, B0 = rng.random((37, 41, 3)), rng.random((37, 41, 3))
    F1, B1, F2, B2 = F0.copy(), B0.copy(), F0.copy(), B0.copy()
    K.red_black_sweeps(image, alpha, F1, B1, 1e-5, 1.0, 4)
    K.red_black_sweeps(image, alpha, F2, B2, 1e-5, 1.0, 4, threads=3)
    np.testing.assert_array_equal(F1, F2)
    np.testing.assert_array_equal(B1, B2)
    resized = K.resize_nearest(image, 70, 13)
    rows, cols = np.arange(70) * 37 // 70, np.arange(13) * 41 // 13
    np.testing.assert_array_equal(resized, image[rows][:, cols])
    assert resized.flags.c_contiguous and resized.flags.writeable


def test_level_sizes_end_at_full_size_and_roughly_double():
    sizes = level_sizes(497, 800)
    assert sizes[0] == (1, 1) and sizes[-1] == (497, 800)
    assert len(sizes) == 11
    assert all(b[1] <= 2 * a[1] + 1 for a, b in zip(sizes, sizes[1:], strict=False))


def test_closed_form_system_is_symmetric_positive_definite():
    alpha = np.random.default_rng(4).random((4, 5))
    A = foreground_system(alpha, 1e-5, 1.0).toarray()
    np.testing.assert_allclose(A, A.T, atol=0)
    assert np.linalg.eigvalsh(A).min() > 0


def test_multilevel_converges_to_closed_form():
    alpha = ramp_alpha(10, 14)
    image = np.clip(blend(alpha) + np.random.default_rng(5).normal(0, 0.02, (10, 14, 3)), 0, 1)
    cf = fg.estimate_foreground(image, alpha, method="closed-form", solver="direct")
    ml = fg.estimate_foreground(image, alpha, n_big_iterations=2000, n_small_iterations=2000)
    assert np.abs(ml - cf).max() < 1e-6


def test_unknown_method_lists_the_valid_ones():
    with pytest.raises(ValueError, match="multilevel.*blur-fusion.*closed-form"):
        fg.estimate_foreground(np.zeros((2, 2, 3)), np.zeros((2, 2)), method="poisson")


def test_unknown_option_lists_the_valid_ones():
    with pytest.raises(TypeError, match="'n_iterations'.*valid options are: .*n_big_iterations"):
        fg.estimate_foreground(np.zeros((2, 2, 3)), np.zeros((2, 2)), n_iterations=3)


@pytest.mark.parametrize(
    ("image", "alpha", "error", "match"),
    [
        (np.zeros((4, 5, 3)), np.zeros((4, 6)), ValueError, "alpha size 6x4"),
        (np.zeros((4, 5, 2)), np.zeros((4, 5)), ValueError, r"image must have shape"),
        (np.zeros((4, 5, 3)), np.full((4, 5), 1.5), ValueError, r"alpha of float dtype"),
        (np.zeros((4, 5, 3)), np.full((4, 5), np.nan), ValueError, "alpha contains NaN"),
        (np.zeros((4, 5, 3)), np.zeros((4, 5), dtype=np.int64), TypeError, "alpha must have"),
        (np.zeros((4, 5, 3)), np.zeros((4, 5, 2)), ValueError, "alpha must have shape"),
    ],
)
@pytest.mark.parametrize("method", METHODS)
def test_bad_inputs_raise(method, image, alpha, error, match):
    with pytest.raises(error, match=match):
        fg.estimate_foreground(image, alpha, method=method)


@pytest.mark.parametrize(
    ("method", "option", "value", "match"),
    [
        ("multilevel", "regularization", 0.0, "regularization must be > 0"),
        ("multilevel", "gradient_weight", -1.0, "gradient_weight must be >= 0"),
        ("multilevel", "n_big_iterations", 1.5, "n_big_iterations must be an integer"),
        ("blur-fusion", "size", 0, "size must be >= 1"),
        ("closed-form", "solver", "magic", "unknown solver 'magic'"),
        ("closed-form", "initial_guess", "zeros", "initial_guess must be one of"),
    ],
)
def test_bad_options_raise(method, option, value, match):
    with pytest.raises((ValueError, TypeError), match=match):
        fg.estimate_foreground(
            np.zeros((3, 3, 3)), np.zeros((3, 3)), method=method, **{option: value}
        )


# ---------------------------------------------------------------- data test
N_DATA_IMAGES = 10  # GT01, GT03, ..., GT19 at half size: ~10 s on 2 cores
DATA_SCALE = 0.5


def _data_case(root, k):
    from PIL import Image

    from classicmat.compose import _resize, fit_background

    def rgb(path):
        with Image.open(path) as im:
            return np.asarray(im.convert("RGB"), dtype=np.float64) / 255

    fgr = rgb(root / "input" / f"GT{k:02d}.png")
    with Image.open(root / "gt" / f"GT{k:02d}.png") as im:
        alpha = np.asarray(im.convert("L"), dtype=np.float64) / 255
    h, w = round(alpha.shape[0] * DATA_SCALE), round(alpha.shape[1] * DATA_SCALE)
    fgr = _resize(fgr, h, w)
    alpha = _resize(alpha[:, :, None], h, w)[:, :, 0]
    bg = fit_background(rgb(root / "input" / f"GT{k % 20 + 1:02d}.png"), h, w)
    a = alpha[:, :, None]
    return a * fgr + (1 - a) * bg, alpha, fgr


def _errors(estimate, alpha, truth):
    mask = (alpha > 0) & (alpha < 1)
    a = alpha[mask][:, None]
    diff = np.asarray(estimate)[mask] - truth[mask]
    return float(np.sum(a * np.abs(diff))), float(np.sum(a * diff**2)) / (3 * mask.sum())


@pytest.mark.slow
@pytest.mark.data
def test_quality_on_alphamatting_composites_vs_pymatting(alphamatting_dir):
    """Mean alpha-weighted SAD and MSE of F on 0 < alpha < 1, over 10 half-size images.

    Measured: multilevel beats PyMatting's estimate_foreground_ml on both
    (see benchmarks/bench_foreground.py for the full-size 20-image figures).
    """
    pymatting = pytest.importorskip("pymatting")
    results = {m: [] for m in (*METHODS, "pymatting")}
    for k in range(1, 2 * N_DATA_IMAGES, 2):
        image, alpha, truth = _data_case(alphamatting_dir, k)
        for m in METHODS:
            results[m].append(
                _errors(fg.estimate_foreground(image, alpha, method=m), alpha, truth)
            )
        ml = pymatting.estimate_foreground_ml(image, alpha)
        results["pymatting"].append(_errors(ml, alpha, truth))
    mean = {m: np.mean(v, axis=0) for m, v in results.items()}
    print({m: (round(s / 1000, 3), round(e * 1e3, 4)) for m, (s, e) in mean.items()})
    sad_ml, mse_ml = mean["multilevel"]
    sad_pm, mse_pm = mean["pymatting"]
    assert sad_ml <= sad_pm * 1.001
    assert mse_ml <= mse_pm * 1.001
    assert mean["closed-form"][0] <= sad_ml  # the exact minimiser of the same energy
    assert mean["blur-fusion"][0] < 2 * sad_pm  # approximate, but in the same range


def test_blur_fusion_radius_is_a_deprecated_name_of_size():
    rng = np.random.default_rng(2)
    image, alpha = rng.random((16, 16, 3)), rng.random((16, 16))
    expected = fg.estimate_foreground(image, alpha, method="blur-fusion", size=5, refine_size=3)
    with pytest.warns(DeprecationWarning, match="radius of blur fusion is deprecated") as rec:
        old = fg.estimate_foreground(image, alpha, method="blur-fusion", radius=5, refine_size=3)
    assert rec[0].filename == __file__  # the caller's line, through the dispatcher
    np.testing.assert_array_equal(old, expected)
    from classicmat.foreground.blur_fusion import estimate_foreground_blur_fusion

    with pytest.warns(DeprecationWarning, match="radius of blur fusion is deprecated") as rec:
        estimate_foreground_blur_fusion(image, alpha, radius=5)
    assert rec[0].filename == __file__
