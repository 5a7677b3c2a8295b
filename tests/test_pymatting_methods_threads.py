"""lbdm, rw and lkm run serial kernels on spans of rows on threads
(:mod:`classicmat._parallel`): the result does not depend on the number of
threads or of spans, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

import classicmat
import classicmat._parallel
import classicmat.laplacian._lkm_operator


def _scene():
    rng = np.random.default_rng(7)
    image = rng.random((47, 53, 3))
    trimap = np.full((47, 53), 0.5)
    trimap[:, :8] = 0.0
    trimap[:, -8:] = 1.0
    trimap[20:24, 20:30] = 1.0
    return image, trimap


def _with_threads(monkeypatch, n, function):
    with monkeypatch.context() as patch:
        patch.setattr(classicmat._parallel, "thread_count", lambda: n)
        patch.setattr(classicmat.laplacian._lkm_operator, "thread_count", lambda: n)
        return function()


@pytest.mark.parametrize(
    ("method", "options"),
    [("lbdm", {}), ("rw", {}), ("lkm", {"radius": 4}), ("lkm", {"radius": 4, "lambda_": 100.0})],
)
def test_same_alpha_for_any_thread_count(monkeypatch, method, options):
    image, trimap = _scene()

    def run():
        return classicmat.estimate_alpha(image, trimap, method=method, **options)

    one = _with_threads(monkeypatch, 1, run)
    for n in (2, 3):
        np.testing.assert_array_equal(_with_threads(monkeypatch, n, run), one)


@pytest.mark.parametrize(
    "build",
    [
        lambda image: classicmat.lbdm_laplacian(image),
        lambda image: classicmat.rw_laplacian(image),
    ],
)
def test_same_laplacian_for_any_thread_count(monkeypatch, build):
    image, _ = _scene()
    one = _with_threads(monkeypatch, 1, lambda: build(image))
    three = _with_threads(monkeypatch, 3, lambda: build(image))
    np.testing.assert_array_equal(one.indptr, three.indptr)
    np.testing.assert_array_equal(one.indices, three.indices)
    np.testing.assert_array_equal(one.data, three.data)


def test_same_lkm_product_and_diagonal_for_any_thread_count(monkeypatch):
    image, _ = _scene()
    p = np.random.default_rng(3).random(image.shape[0] * image.shape[1])

    def run():
        L = classicmat.lkm_laplacian(image, radius=5)
        return L @ p, L.diagonal()

    product, diagonal = _with_threads(monkeypatch, 1, run)
    for n in (2, 3):
        other_product, other_diagonal = _with_threads(monkeypatch, n, run)
        np.testing.assert_array_equal(other_product, product)
        np.testing.assert_array_equal(other_diagonal, diagonal)


@pytest.mark.parametrize("shape", [(0, 3), (5,), (1 << 20, 5), (3 << 20,)])
@pytest.mark.parametrize("threads", [1, 2, 3])
def test_parallel_full_equals_numpy_full(monkeypatch, shape, threads):
    # from 4 M entries the fill runs on spans of rows, one per task
    expected = np.full(shape, -1, dtype=np.int32)
    got = _with_threads(
        monkeypatch, threads, lambda: classicmat._parallel.full(shape, -1, np.int32)
    )
    assert got.dtype == expected.dtype and got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)
