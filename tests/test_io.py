"""Reading and writing images: bit depths, Pillow modes, errors, atomic writes."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

from classicmat._validation import as_image, as_trimap
from classicmat.io import check_output_path, pil_to_array, read_image, write_image


def _png_bit_depth(path) -> int:
    """Bit depth from the IHDR chunk of a PNG file."""
    with open(path, "rb") as file:
        data = file.read(32)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return data[24]


def _leftovers(directory, keep=()):
    return sorted(p.name for p in directory.iterdir() if p.name not in keep)


# ------------------------------------------------------------- round trips


@pytest.mark.parametrize("shape", [(5, 7), (5, 7, 3), (5, 7, 4)], ids=["gray", "rgb", "rgba"])
def test_uint8_round_trip(tmp_path, shape):
    array = np.random.default_rng(0).integers(0, 256, size=shape, dtype=np.uint8)
    path = tmp_path / "x.png"
    write_image(path, array)
    assert _png_bit_depth(path) == 8
    out = read_image(path)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, array)


def test_uint16_round_trip_is_a_16_bit_png(tmp_path):
    array = np.random.default_rng(1).integers(0, 65536, size=(6, 9), dtype=np.uint16)
    array[0, :2] = (0, 65535)
    path = tmp_path / "x16.png"
    write_image(path, array)
    assert _png_bit_depth(path) == 16
    out = read_image(path, kind="alpha")
    assert out.dtype == np.uint16
    np.testing.assert_array_equal(out, array)


@pytest.mark.parametrize("bit16, top, dtype", [(False, 255, np.uint8), (True, 65535, np.uint16)])
def test_float_is_rounded_to_nearest_and_rounding_noise_clipped(tmp_path, bit16, top, dtype):
    array = np.array([[-1e-7, 0.0, 0.5, 0.1234, 1.0, 1.0 + 1e-7]])
    path = tmp_path / "f.png"
    write_image(path, array, bit16=bit16)
    out = read_image(path)
    assert out.dtype == dtype
    np.testing.assert_array_equal(out, np.rint(np.clip(array, 0, 1) * top).astype(dtype))


@pytest.mark.parametrize(
    ("values", "shown"), [([0.2, 255.0], r"\[0.2, 255\]"), ([-0.5, 0.5], r"\[-0.5, 0.5\]")]
)
def test_floats_outside_the_unit_range_are_refused(tmp_path, values, shown):
    """``write_image(path, alpha * 255)`` used to clip silently (a mostly white matte)."""
    path = tmp_path / "f.png"
    with pytest.raises(ValueError, match=f"must have values in \\[0, 1\\], got values in {shown}"):
        write_image(path, np.array([values]))
    assert not path.exists()


def test_write_images_writes_all_or_nothing(tmp_path, monkeypatch):
    from classicmat import _files
    from classicmat.io import write_images

    items = [(tmp_path / "first.png", np.zeros((2, 2)), None),
             (tmp_path / "missing" / "second.png", np.zeros((2, 2)), None)]  # fmt: skip
    with pytest.raises(FileNotFoundError, match="directory .*missing' does not exist"):
        write_images(items)
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no first.png, no temporary
    # a failure while the second file is being written (disk full, ...)
    (tmp_path / "missing").mkdir()
    calls = []

    def failing_fsync(fd):
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(_files.os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="No space left"):
        write_images(items)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["missing"]
    assert _files._pending == set()


def test_webp_is_written_lossless(tmp_path):
    rng = np.random.default_rng(0)
    array = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    write_image(tmp_path / "x.webp", array)
    np.testing.assert_array_equal(read_image(tmp_path / "x.webp"), array)


@pytest.mark.parametrize(
    "array, bit16, expected",
    [
        (np.array([[0, 1, 255]], np.uint8), True, np.array([[0, 257, 65535]], np.uint16)),
        (np.array([[0, 128, 65535]], np.uint16), False, np.array([[0, 0, 255]], np.uint8)),
        (np.array([[0, 129, 65535]], np.uint16), False, np.array([[0, 1, 255]], np.uint8)),
        (np.array([[False, True]]), None, np.array([[0, 255]], np.uint8)),
        (np.array([[False, True]]), True, np.array([[0, 65535]], np.uint16)),
        (np.array([[[7], [9]]], np.uint8), None, np.array([[7, 9]], np.uint8)),
    ],
    ids=["u8-to-16", "u16-to-8", "u16-to-8-round", "bool", "bool-16", "HxWx1"],
)
def test_bit_depth_conversions(tmp_path, array, bit16, expected):
    path = tmp_path / "c.png"
    write_image(path, array, bit16=bit16)
    out = read_image(path)
    assert out.dtype == expected.dtype
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("extension", [".tif", ".bmp", ".webp"])
def test_format_from_extension(tmp_path, extension):
    array = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    path = tmp_path / f"x{extension}"
    write_image(path, array)
    with Image.open(path) as img:
        assert img.format == check_output_path(path)
    if extension != ".webp":  # lossy by default
        np.testing.assert_array_equal(read_image(path), array)


def test_replaces_an_existing_file_with_normal_permissions(tmp_path):
    path = tmp_path / "x.png"
    path.write_bytes(b"old")
    write_image(path, np.ones((2, 2)))
    np.testing.assert_array_equal(read_image(path), np.full((2, 2), 255, np.uint8))
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0o600
    assert _leftovers(tmp_path) == ["x.png"]


@settings(max_examples=40, deadline=None)
@given(
    array=hnp.arrays(
        np.uint8,
        st.tuples(st.integers(1, 6), st.integers(1, 6), st.sampled_from([0, 3, 4])).map(
            lambda s: s[:2] if s[2] == 0 else s
        ),
    )
)
def test_uint8_round_trip_property(tmp_path_factory, array):
    path = tmp_path_factory.mktemp("prop") / "x.png"
    write_image(path, array)
    np.testing.assert_array_equal(read_image(path), array)


@settings(max_examples=40, deadline=None)
@given(
    array=hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 5), st.integers(1, 5)),
        elements=st.floats(0.0, 1.0),
    ),
    bit16=st.booleans(),
)
def test_float_round_trip_within_half_a_level(tmp_path_factory, array, bit16):
    path = tmp_path_factory.mktemp("prop") / "x.png"
    write_image(path, array, bit16=bit16)
    top = 65535 if bit16 else 255
    back = read_image(path).astype(np.float64) / top
    assert np.abs(back - array).max() <= 0.5 / top + 1e-12


# -------------------------------------------------------------------- modes


def _gray_palette_image():
    img = Image.new("P", (4, 3))
    img.putpalette([v for g in range(256) for v in (g, g, g)])
    img.putdata([0, 128, 255, 128] * 3)
    return img


def _colour_palette_image(transparent=False):
    img = Image.new("P", (4, 3))
    img.putpalette([255, 0, 0, 0, 255, 0] + [0, 0, 0] * 254)
    img.putdata([0, 1, 0, 1] * 3)
    if transparent:
        img.info["transparency"] = 1
    return img


@pytest.mark.parametrize(
    "make, kind, shape, dtype",
    [
        (lambda: Image.new("L", (4, 3), 9), "image", (3, 4), np.uint8),
        (lambda: Image.new("RGB", (4, 3), (1, 2, 3)), "image", (3, 4, 3), np.uint8),
        (lambda: Image.new("RGB", (4, 3), (5, 5, 5)), "trimap", (3, 4), np.uint8),
        (lambda: Image.new("RGB", (4, 3), (1, 2, 3)), "trimap", (3, 4, 3), np.uint8),
        (lambda: Image.new("RGBA", (4, 3), (1, 2, 3, 4)), "image", (3, 4, 4), np.uint8),
        (lambda: Image.new("RGBA", (4, 3), (7, 7, 7, 0)), "trimap", (3, 4), np.uint8),
        (lambda: Image.new("LA", (4, 3), (9, 100)), "image", (3, 4, 4), np.uint8),
        (lambda: Image.new("LA", (4, 3), (9, 100)), "trimap", (3, 4), np.uint8),
        (_gray_palette_image, "image", (3, 4, 3), np.uint8),
        (_gray_palette_image, "trimap", (3, 4), np.uint8),
        (_colour_palette_image, "image", (3, 4, 3), np.uint8),
        (lambda: _colour_palette_image(True), "image", (3, 4, 4), np.uint8),
        (lambda: Image.new("1", (4, 3), 1), "trimap", (3, 4), np.uint8),
        (lambda: Image.new("I;16", (4, 3), 60000), "image", (3, 4), np.uint16),
        (lambda: Image.new("I;16B", (4, 3), 60000), "image", (3, 4), np.uint16),
        (lambda: Image.new("I", (4, 3), 65535), "image", (3, 4), np.uint16),
        (lambda: Image.new("F", (4, 3), 0.25), "image", (3, 4), np.float32),
        (lambda: Image.new("CMYK", (4, 3), (0, 0, 0, 0)), "image", (3, 4, 3), np.uint8),
        (lambda: Image.new("YCbCr", (4, 3), (128, 128, 128)), "image", (3, 4, 3), np.uint8),
    ],
)
def test_pil_modes(make, kind, shape, dtype):
    array = pil_to_array(make(), kind=kind, name=kind)
    assert array.shape == shape
    assert array.dtype == dtype
    assert array.flags.c_contiguous and array.flags.writeable


def test_mode_values():
    gray = pil_to_array(_gray_palette_image(), kind="trimap")
    np.testing.assert_array_equal(gray[0], [0, 128, 255, 128])
    la = pil_to_array(Image.new("LA", (2, 1), (9, 100)), kind="image")
    np.testing.assert_array_equal(la[0, 0], [9, 9, 9, 100])
    bilevel = pil_to_array(Image.new("1", (2, 1), 1))
    np.testing.assert_array_equal(bilevel, [[255, 255]])
    rgba = pil_to_array(_colour_palette_image(True))
    np.testing.assert_array_equal(rgba[0, :2], [[255, 0, 0, 255], [0, 255, 0, 0]])
    assert pil_to_array(Image.new("I;16B", (1, 1), 60000))[0, 0] == 60000
    white = pil_to_array(Image.new("CMYK", (1, 1), (0, 0, 0, 0)))
    np.testing.assert_array_equal(white[0, 0], [255, 255, 255])


@pytest.mark.parametrize(
    "make",
    [
        lambda: Image.new("L", (3, 2), 200),
        lambda: Image.new("RGB", (3, 2), (10, 20, 30)),
        lambda: Image.new("RGBA", (3, 2), (10, 20, 30, 40)),
        _gray_palette_image,
        _colour_palette_image,
        lambda: _colour_palette_image(True),
        lambda: Image.new("LA", (3, 2), (10, 40)),
        lambda: Image.new("I;16", (3, 2), 1234),
    ],
    ids=["L", "RGB", "RGBA", "P-gray", "P", "P-transparent", "LA", "I;16"],
)
def test_read_image_matches_pil_to_array(tmp_path, make):
    img = make()
    path = tmp_path / "m.png"
    img.save(path)
    for kind in ("image", "trimap"):
        with Image.open(path) as reopened:
            expected = pil_to_array(reopened, kind=kind)
        np.testing.assert_array_equal(read_image(path, kind=kind), expected)


def test_exif_orientation_is_applied(tmp_path):
    array = np.arange(8, dtype=np.uint8).reshape(2, 4) * 30
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to display
    path = tmp_path / "rotated.png"
    Image.fromarray(array).save(path, exif=exif)
    out = read_image(path)
    assert out.shape == (4, 2)
    np.testing.assert_array_equal(out, np.rot90(array, k=-1))


def test_sixteen_bit_file_is_scaled_by_65535(tmp_path):
    path = tmp_path / "t.png"
    write_image(path, np.array([[0, 32768, 65535]], dtype=np.uint16))
    np.testing.assert_allclose(as_trimap(path)[0], [0.0, 32768 / 65535, 1.0])
    with Image.open(path) as img:
        np.testing.assert_allclose(as_image(img)[0, :, 0], [0.0, 32768 / 65535, 1.0])


# ------------------------------------------------------------------- errors


def test_read_missing_file(tmp_path):
    path = tmp_path / "nope.png"
    with pytest.raises(FileNotFoundError, match=r"^trimap file not found: '.*nope\.png'$"):
        read_image(path, kind="trimap", name="trimap")


def test_read_directory(tmp_path):
    with pytest.raises(IsADirectoryError, match="image '.*' is a directory"):
        read_image(tmp_path)


def test_read_not_an_image(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.txt").write_text("hello")
    with pytest.raises(ValueError, match=r"^image 'x\.txt' is not a readable image: "):
        read_image("x.txt")


def test_read_truncated_png(tmp_path):
    path = tmp_path / "cut.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64), np.uint8)).save(path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ValueError, match=r"trimap '.*cut\.png' is not a readable image: \w"):
        read_image(path, kind="trimap", name="trimap")


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: pil_to_array(Image.new("L", (1, 1)), kind="mask"), ValueError, "kind must"),
        (
            lambda: pil_to_array(Image.new("I", (1, 1), -5), name="alpha"),
            ValueError,
            r"alpha is a 32-bit integer image with values in \[-5, -5\]",
        ),
    ],
)
def test_conversion_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize(
    "name, array, kwargs, error, match",
    [
        ("x.png", np.zeros((3, 4, 2)), {}, ValueError, r"shape \(H, W\).*got shape \(3, 4, 2\)"),
        ("x.png", np.zeros((2, 3, 4, 1)), {}, ValueError, "got shape"),
        ("x.png", np.zeros((0, 4)), {}, ValueError, "must not be empty"),
        ("x.png", np.array([[0.5, np.nan]]), {}, ValueError, "NaN or infinite"),
        ("x.png", np.array([[0.5, np.inf]]), {}, ValueError, "NaN or infinite"),
        ("x.png", np.zeros((2, 2), np.int64), {}, TypeError, "got dtype int64"),
        ("x.png", np.zeros((2, 2), complex), {}, TypeError, "got dtype complex128"),
        ("x.png", np.zeros((2, 2)), {"bit16": "yes"}, TypeError, "bit16 must be"),
        ("x.xyz", np.zeros((2, 2)), {}, ValueError, "unsupported file extension '.xyz'"),
        ("x", np.zeros((2, 2)), {}, ValueError, "unsupported file extension ''"),
        ("x.jpg", np.zeros((2, 2)), {"bit16": True}, ValueError, "16-bit output needs a .png"),
        ("x.png", np.zeros((2, 2, 3)), {"bit16": True}, ValueError, "gray images"),
        ("x.jpg", np.zeros((2, 2, 4)), {}, ValueError, "JPEG has no alpha"),
        ("no/x.png", np.zeros((2, 2)), {}, FileNotFoundError, "directory '.*no' does not"),
    ],
)
def test_write_errors(tmp_path, name, array, kwargs, error, match):
    with pytest.raises(error, match=match):
        write_image(tmp_path / name, array, **kwargs)
    assert _leftovers(tmp_path) == []


def test_write_into_a_directory_path_fails_cleanly(tmp_path):
    (tmp_path / "d.png").mkdir()
    with pytest.raises(OSError):
        write_image(tmp_path / "d.png", np.zeros((2, 2)))
    assert _leftovers(tmp_path) == ["d.png"]


# ------------------------------------------------------------ atomic writes


class _Boom(Exception):
    pass


def _failing_save(self, fp, *args, **kwargs):
    fp.write(b"\x89PNG\r\n\x1a\n partial")  # some bytes reach the disk, then...
    raise _Boom("disk full")


def test_failed_write_leaves_no_file(tmp_path, monkeypatch):
    monkeypatch.setattr(Image.Image, "save", _failing_save)
    with pytest.raises(_Boom):
        write_image(tmp_path / "out.png", np.zeros((4, 4)))
    assert _leftovers(tmp_path) == []


def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "out.png"
    write_image(path, np.full((2, 2), 7, np.uint8))
    before = path.read_bytes()
    monkeypatch.setattr(Image.Image, "save", _failing_save)
    with pytest.raises(_Boom):
        write_image(path, np.zeros((4, 4)))
    assert path.read_bytes() == before
    assert _leftovers(tmp_path) == ["out.png"]


def test_interrupted_write_leaves_no_file(tmp_path, monkeypatch):
    def interrupted(self, fp, *args, **kwargs):
        fp.write(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(Image.Image, "save", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_image(tmp_path / "out.png", np.zeros((4, 4)))
    assert _leftovers(tmp_path) == []


def test_write_to_read_only_directory(tmp_path, monkeypatch):
    real_open = os.open

    def no_permission(path, *args, **kwargs):
        if str(path).endswith(".tmp"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", no_permission)  # root ignores chmod, so simulate it
    with pytest.raises(PermissionError, match="cannot write '.*x.png': permission denied"):
        write_image(tmp_path / "x.png", np.zeros((2, 2)))
    monkeypatch.undo()
    assert _leftovers(tmp_path) == []


# --------------------------------------------------------------- shared data


def test_alphamatting_files(alphamatting_dir):
    # trimaps are 8-bit palette PNGs, ground truths RGB with R = G = B: both read as gray
    for name in ("GT01", "GT20"):
        image = read_image(alphamatting_dir / "input" / f"{name}.png")
        for folder, kind in [("trimap1", "trimap"), ("trimap2", "trimap"), ("gt", "alpha")]:
            array = read_image(alphamatting_dir / folder / f"{name}.png", kind=kind)
            assert array.dtype == np.uint8
            assert array.shape == image.shape[:2]
            if kind == "trimap":
                assert set(np.unique(array)) <= {0, 128, 255}
