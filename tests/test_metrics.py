"""Tests of classicmat.metrics against hand computations and plain reference code.

The references below follow the MATLAB evaluation code of Deep Image Matting
step by step with explicit loops (kernel, replicate-padded convolution,
breadth-first labelling in MATLAB's column-major order), so that they share
no code with the vectorised SciPy implementation.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis.extra.numpy import arrays

from classicmat import metrics
from classicmat.metrics import connectivity_error, gradient_error, mse, sad

METRICS = [sad, mse, gradient_error, connectivity_error]


# ---------------------------------------------------------------------------
# plain references
# ---------------------------------------------------------------------------


def _mat2gray_loops(image):
    low, high = image.min(), image.max()
    if high == low:
        return np.zeros_like(image)
    return (image - low) / (high - low)


def _kernel_loops(sigma):
    epsilon = 1e-2
    half = math.ceil(sigma * math.sqrt(-2 * math.log(math.sqrt(2 * math.pi) * sigma * epsilon)))
    size = 2 * half + 1

    def gauss(x):
        return math.exp(-(x**2) / (2 * sigma**2)) / (sigma * math.sqrt(2 * math.pi))

    def dgauss(x):
        return -x * gauss(x) / sigma**2

    hx = np.zeros((size, size))
    for i in range(size):
        for j in range(size):
            hx[i, j] = gauss(i - half) * dgauss(j - half)
    total = 0.0
    for i in range(size):
        for j in range(size):
            total += hx[i, j] ** 2
    return hx / math.sqrt(total)


def _convolve_replicate_loops(image, kernel):
    """MATLAB imfilter(image, kernel, 'replicate', 'conv') with explicit loops."""
    height, width = image.shape
    half = kernel.shape[0] // 2
    out = np.zeros_like(image)
    for r in range(height):
        for c in range(width):
            total = 0.0
            for i in range(kernel.shape[0]):
                for j in range(kernel.shape[1]):
                    rr = min(max(r - (i - half), 0), height - 1)
                    cc = min(max(c - (j - half), 0), width - 1)
                    total += kernel[i, j] * image[rr, cc]
            out[r, c] = total
    return out


def reference_gradient_error(pred, true, region, sigma=1.4):
    hx = _kernel_loops(sigma)
    hy = hx.T.copy()
    amps = []
    for image in (pred, true):
        gray = _mat2gray_loops(image)
        gx = _convolve_replicate_loops(gray, hx)
        gy = _convolve_replicate_loops(gray, hy)
        amps.append(np.sqrt(gx**2 + gy**2))
    return float(np.sum(((amps[0] - amps[1]) ** 2)[region])) / 1000


def _components_column_major(binary):
    """4-connected components by BFS, numbered by their first pixel in column-major order."""
    height, width = binary.shape
    seen = np.zeros_like(binary)
    components = []
    for c in range(width):
        for r in range(height):
            if not binary[r, c] or seen[r, c]:
                continue
            seen[r, c] = True
            queue = deque([(r, c)])
            pixels = []
            while queue:
                y, x = queue.popleft()
                pixels.append((y, x))
                for dy, dx in ((1, 0), (-1, 0), (0, 1), (0, -1)):
                    yy, xx = y + dy, x + dx
                    if 0 <= yy < height and 0 <= xx < width:
                        if binary[yy, xx] and not seen[yy, xx]:
                            seen[yy, xx] = True
                            queue.append((yy, xx))
            components.append(pixels)
    return components


def reference_connectivity_error(pred, true, region, steps=10, theta=0.15):
    """compute_connectivity_error.m with loops; thresholds k / steps."""
    height, width = pred.shape
    thresholds = [k / steps for k in range(steps + 1)]
    level = np.full(pred.shape, -1.0)
    for i in range(1, len(thresholds)):
        t = thresholds[i]
        inter = (pred >= t) & (true >= t)
        omega = np.zeros(pred.shape, dtype=bool)
        components = _components_column_major(inter)
        if components:
            best = components[0]
            for comp in components:  # first maximum, as MATLAB's max
                if len(comp) > len(best):
                    best = comp
            for y, x in best:
                omega[y, x] = True
        for y in range(height):
            for x in range(width):
                if level[y, x] == -1 and not omega[y, x]:
                    level[y, x] = thresholds[i - 1]
    level[level == -1] = 1.0
    total = 0.0
    for y in range(height):
        for x in range(width):
            if region[y, x]:
                dp = pred[y, x] - level[y, x]
                dt = true[y, x] - level[y, x]
                phi_p = 1 - dp * (dp >= theta)
                phi_t = 1 - dt * (dt >= theta)
                total += abs(phi_p - phi_t)
    return total / 1000


def _random_case(seed, shape=(11, 13), levels=None):
    """uint8 pred, true and a 0/128/255 trimap; ``levels`` limits the alpha values."""
    rng = np.random.default_rng(seed)
    if levels is None:
        true = rng.integers(0, 256, shape).astype(np.uint8)
        pred = rng.integers(0, 256, shape).astype(np.uint8)
    else:
        true = rng.choice(levels, shape).astype(np.uint8)
        pred = rng.choice(levels, shape).astype(np.uint8)
    trimap = rng.choice(np.array([0, 128, 255], dtype=np.uint8), shape)
    trimap[0, 0] = 128
    return pred, true, trimap


# ---------------------------------------------------------------------------
# SAD and MSE
# ---------------------------------------------------------------------------

TRUE_4X4 = np.array(
    [[0, 0, 255, 255], [0, 51, 204, 255], [0, 102, 153, 255], [0, 0, 255, 255]], dtype=np.uint8
)
PRED_4X4 = np.array(
    [[0, 51, 255, 255], [0, 102, 153, 255], [0, 102, 255, 255], [255, 0, 255, 255]],
    dtype=np.uint8,
)
TRIMAP_4X4 = np.array(
    [[0, 128, 128, 255], [0, 128, 128, 255], [0, 128, 128, 255], [0, 0, 128, 255]],
    dtype=np.uint8,
)


def test_sad_mse_4x4_by_hand():
    # unknown pixels and |pred - true| in 1/255: (0,1) 51, (0,2) 0, (1,1) 51,
    # (1,2) 51, (2,1) 0, (2,2) 102, (3,2) 0 -> 7 pixels, sum 255 = 1.0;
    # the pixel (3,0) differs by 255 but is known background.
    assert sad(PRED_4X4, TRUE_4X4, TRIMAP_4X4) == pytest.approx(1.0 / 1000, rel=1e-12)
    # squares: 3 * 0.2^2 + 0.4^2 = 0.28 over 7 pixels
    assert mse(PRED_4X4, TRUE_4X4, TRIMAP_4X4) == pytest.approx(0.28 / 7, rel=1e-12)
    # whole image: adds the 255 at (3,0)
    assert sad(PRED_4X4, TRUE_4X4) == pytest.approx(2.0 / 1000, rel=1e-12)
    assert mse(PRED_4X4, TRUE_4X4) == pytest.approx((0.28 + 1.0) / 16, rel=1e-12)


def test_return_types_are_python_floats():
    for metric in METRICS:
        assert type(metric(PRED_4X4, TRUE_4X4, TRIMAP_4X4)) is float


@pytest.mark.parametrize("metric", METRICS)
def test_uint8_uint16_and_float_inputs_agree(metric):
    pred, true, trimap = _random_case(1)
    as_float = metric(pred / 255.0, true / 255.0, trimap)
    as_uint8 = metric(pred, true, trimap)
    as_uint16 = metric(pred.astype(np.uint16) * 257, true.astype(np.uint16) * 257, trimap)
    assert as_uint8 == pytest.approx(as_float, rel=1e-12, abs=1e-15)
    assert as_uint16 == pytest.approx(as_float, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("metric", METRICS)
def test_mask_trimap_and_float_trimap_agree(metric):
    pred, true, trimap = _random_case(2)
    by_trimap = metric(pred, true, trimap)
    by_mask = metric(pred, true, mask=trimap == 128)
    float_trimap = np.where(trimap == 128, 0.5, trimap / 255.0)
    assert by_mask == by_trimap
    assert metric(pred, true, float_trimap) == by_trimap
    # RGB trimaps with equal channels read the same
    assert metric(pred, true, np.dstack([trimap] * 3)) == by_trimap


@pytest.mark.parametrize("metric", METRICS)
def test_no_region_means_whole_image(metric):
    pred, true, _ = _random_case(3)
    everywhere = np.full(pred.shape, 128, dtype=np.uint8)
    assert metric(pred, true) == metric(pred, true, everywhere)


# ---------------------------------------------------------------------------
# gradient error
# ---------------------------------------------------------------------------


def test_gradient_kernel_size_and_values():
    hx = metrics._gauss_gradient_kernel(1.4)
    assert hx.shape == (9, 9)  # halfsize ceil(3.62) = 4
    np.testing.assert_allclose(hx, _kernel_loops(1.4), rtol=1e-14, atol=1e-17)
    assert np.sum(hx**2) == pytest.approx(1.0)
    np.testing.assert_array_equal(hx[:, 4], 0.0)  # derivative along columns only


def test_convolution_orientation_matches_matlab_conv():
    """Signed responses (not only magnitudes) equal imfilter(..., 'replicate', 'conv')."""
    rng = np.random.default_rng(4)
    image = rng.random((10, 12))
    hx = _kernel_loops(1.4)
    gx, gy = metrics._gauss_gradient(image, 1.4)
    np.testing.assert_allclose(gx, _convolve_replicate_loops(image, hx), atol=1e-13)
    np.testing.assert_allclose(gy, _convolve_replicate_loops(image, hx.T.copy()), atol=1e-13)
    # a ramp increasing to the right (down) has a positive x (y) derivative
    ramp = np.tile(np.arange(12.0), (10, 1))
    gx, gy = metrics._gauss_gradient(ramp, 1.4)
    assert np.all(gx[:, 4:8] > 0)
    np.testing.assert_allclose(gy, 0.0, atol=1e-12)
    gx, gy = metrics._gauss_gradient(ramp.T.copy(), 1.4)
    assert np.all(gy[4:8, :] > 0)


def test_gradient_error_step_edge_matches_loop_reference():
    true = np.zeros((12, 12))
    true[:, 6:] = 1.0
    pred = np.zeros((12, 12))
    pred[:, 5:] = 1.0
    pred[3:6, 3:9] = 0.5
    region = np.zeros((12, 12), dtype=bool)
    region[:, 3:9] = True
    expected = reference_gradient_error(pred, true, region)
    assert expected > 0
    assert gradient_error(pred, true, mask=region) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("seed", [5, 6])
def test_gradient_error_random_matches_loop_reference(seed):
    pred, true, trimap = _random_case(seed, shape=(9, 11))
    pred_f, true_f = pred / 255.0, true / 255.0
    expected = reference_gradient_error(pred_f, true_f, trimap == 128)
    assert gradient_error(pred, true, trimap) == pytest.approx(expected, rel=1e-12)
    expected = reference_gradient_error(pred_f, true_f, trimap == 128, sigma=0.8)
    assert gradient_error(pred, true, trimap, sigma=0.8) == pytest.approx(expected, rel=1e-12)


def test_gradient_error_uses_min_max_normalisation():
    pred, true, trimap = _random_case(7)
    pred = pred.astype(np.float64) / 255.0
    pred[0, 1], pred[0, 2] = 0.0, 1.0  # full range, so scaling changes it
    scaled = 0.25 + 0.5 * pred  # mat2gray maps it back onto pred
    assert gradient_error(scaled, true, trimap) == pytest.approx(
        gradient_error(pred, true, trimap), rel=1e-12
    )


def test_gradient_error_constant_mattes():
    ones = np.ones((6, 7))
    assert gradient_error(ones, ones) == 0.0
    assert gradient_error(ones, np.zeros((6, 7))) == 0.0  # constants have no gradient
    edge = np.zeros((6, 7))
    edge[:, 3:] = 1.0
    expected = reference_gradient_error(ones, edge, np.ones((6, 7), dtype=bool))
    assert gradient_error(ones, edge) == pytest.approx(expected, rel=1e-12)


# ---------------------------------------------------------------------------
# connectivity error
# ---------------------------------------------------------------------------


def test_connectivity_by_hand_levels():
    # levels: pixel 0 stays connected (1), pixel 1 leaves at t = 0.6 (0.5),
    # pixel 2 at t = 0.1 (0). d_pred = (0, 0.3, 0.3), d_true = (0, 0, 0).
    true = np.array([[1.0, 0.5, 0.0]])
    pred = np.array([[1.0, 0.8, 0.3]])
    assert connectivity_error(pred, true) == pytest.approx(0.6 / 1000, rel=1e-12)


def test_connectivity_theta():
    true = np.array([[1.0, 0.5, 0.0]])
    pred = np.array([[1.0, 0.6, 0.1]])
    # d_pred = (0, 0.1, 0.1) is below theta = 0.15: no error
    assert connectivity_error(pred, true) == 0.0
    # with theta 0.05 each costs 0.1
    assert connectivity_error(pred, true, theta=0.05) == pytest.approx(0.2 / 1000, rel=1e-12)


def test_connectivity_ties_go_to_first_component_in_column_major_order():
    # A = {(0,2), (0,3)}: pred 1, true 0.9; B = {(1,0), (2,0)}: both 1. Both
    # components have two pixels for t <= 0.9. B comes first in column-major
    # order (MATLAB), so A drops out at t = 0.1 (level 0) and costs
    # |0 - 0.1| per pixel. Had A won (row-major order), the error would be 0.
    true = np.zeros((3, 4))
    pred = np.zeros((3, 4))
    pred[0, 2:] = 1.0
    true[0, 2:] = 0.9
    pred[1:, 0] = true[1:, 0] = 1.0
    assert connectivity_error(pred, true) == pytest.approx(0.2 / 1000, rel=1e-12)
    region = np.ones((3, 4), dtype=bool)
    assert reference_connectivity_error(pred, true, region) == pytest.approx(0.2 / 1000)
    # transposed, B comes first in column-major order and the error is 0
    assert connectivity_error(pred.T, true.T) == 0.0


def test_connectivity_thresholds_as_matlab_colon():
    thresholds = metrics._thresholds(0.1)
    assert thresholds.tolist() == pytest.approx([k / 10 for k in range(11)])
    assert thresholds[6] == 153 / 255  # 6 * 0.1 would be 0.6000000000000001
    # 153 passes 0.6 (level 0.6 for the second pixel: errors 0 and 0.4)
    pred = np.array([[255, 153]], dtype=np.uint8)
    true = np.array([[255, 255]], dtype=np.uint8)
    assert connectivity_error(pred, true) == pytest.approx(0.4 / 1000, rel=1e-12)
    assert metrics._thresholds(0.25).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert metrics._thresholds(1).tolist() == [0.0, 1.0]
    assert metrics._thresholds(0.3).tolist() == pytest.approx([0.0, 0.3, 0.6, 0.9])


def test_connectivity_empty_intersection():
    # no pixel has both alphas >= 0.1: every pixel gets the level 0, so
    # phi = 1 - alpha where alpha >= 0.15
    true = np.array([[1.0, 0.5, 0.1]])
    pred = np.full((1, 3), 0.05)
    assert connectivity_error(pred, true) == pytest.approx(1.5 / 1000, rel=1e-12)
    region = np.ones((1, 3), dtype=bool)
    assert reference_connectivity_error(pred, true, region) == pytest.approx(1.5 / 1000)


@pytest.mark.parametrize("seed", range(6))
def test_connectivity_matches_bfs_reference(seed):
    # few alpha levels, so that components are large and ties and holes happen
    levels = None if seed % 2 else np.array([0, 51, 102, 153, 204, 230, 255])
    pred, true, trimap = _random_case(seed + 10, shape=(10, 12), levels=levels)
    if seed >= 3:  # smoother mattes: a blob with noise
        yy, xx = np.mgrid[:10, :12]
        blob = np.clip(1.5 - np.hypot(yy - 5, xx - 6) / 4, 0, 1)
        true = np.round(blob * 255).astype(np.uint8)
        pred = np.clip(true.astype(int) + (pred.astype(int) - 128) // 4, 0, 255).astype(np.uint8)
    expected = reference_connectivity_error(pred / 255.0, true / 255.0, trimap == 128)
    assert connectivity_error(pred, true, trimap) == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_connectivity_step_changes_levels():
    pred, true, trimap = _random_case(30, levels=np.array([0, 64, 128, 191, 255]))
    expected = reference_connectivity_error(pred / 255.0, true / 255.0, trimap == 128, steps=4)
    got = connectivity_error(pred, true, trimap, step=0.25)
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-15)


# ---------------------------------------------------------------------------
# properties
# ---------------------------------------------------------------------------

small_alphas = arrays(np.uint8, (5, 6))


@settings(max_examples=60, deadline=None)
@given(small_alphas, small_alphas, arrays(np.bool_, (5, 6)))
def test_sad_mse_properties(a, b, mask):
    mask[2, 3] = True
    for metric in (sad, mse):
        value = metric(a, b, mask=mask)
        assert value >= 0.0
        assert value == metric(b, a, mask=mask)
        assert (value == 0.0) == bool(np.array_equal(a[mask], b[mask]))


@settings(max_examples=30, deadline=None)
@given(small_alphas, small_alphas)
def test_all_metrics_zero_on_equal_and_nonnegative(a, b):
    for metric in METRICS:
        assert metric(a, a) == 0.0
        assert metric(a, b) >= 0.0


# ---------------------------------------------------------------------------
# bad inputs
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("metric", METRICS)
def test_bad_inputs_raise(metric):
    good = np.zeros((4, 5))
    with pytest.raises(ValueError, match=r"alpha shape \(4, 5\) does not match alpha_true"):
        metric(good, np.zeros((4, 6)))
    with pytest.raises(ValueError, match=r"alpha of float dtype must have values in \[0, 1\]"):
        metric(good + 2.0, good)
    with pytest.raises(ValueError, match="alpha_true contains NaN"):
        metric(good, np.full((4, 5), np.nan))
    with pytest.raises(TypeError, match="alpha_true must have dtype uint8, uint16 or float"):
        metric(good, np.zeros((4, 5), dtype=np.int64))
    with pytest.raises(TypeError, match="pass either trimap or mask, not both"):
        metric(good, good, good, mask=good > 0)
    with pytest.raises(TypeError, match="mask must be a boolean array, got dtype float64"):
        metric(good, good, mask=good)
    with pytest.raises(ValueError, match=r"mask shape \(2, 2\) does not match alpha shape"):
        metric(good, good, mask=np.ones((2, 2), dtype=bool))
    with pytest.raises(ValueError, match="mask selects no pixels"):
        metric(good, good, mask=np.zeros((4, 5), dtype=bool))
    with pytest.raises(ValueError, match=r"trimap shape \(4, 4\) does not match alpha shape"):
        metric(good, good, np.full((4, 4), 128, dtype=np.uint8))
    with pytest.raises(ValueError, match="trimap has no unknown pixels"):
        metric(good, good, np.array([[0, 255, 0, 255, 0]] * 4, dtype=np.uint8))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"step": 0}, ValueError, "step must be > 0,"),
        ({"step": 1.5}, ValueError, "step must be <= 1,"),
        ({"step": "0.1"}, TypeError, "step must be a number"),
        ({"theta": -0.1}, ValueError, "theta must be >= 0,"),
    ],
)
def test_connectivity_bad_options(kwargs, error, match):
    with pytest.raises(error, match=match):
        connectivity_error(np.zeros((3, 3)), np.zeros((3, 3)), **kwargs)


@pytest.mark.parametrize(
    ("sigma", "error", "match"),
    [(0, ValueError, "sigma must be > 0,"), (50, ValueError, "sigma must be < 39.89")],
)
def test_gradient_bad_sigma(sigma, error, match):
    with pytest.raises(error, match=match):
        gradient_error(np.zeros((3, 3)), np.zeros((3, 3)), sigma=sigma)
