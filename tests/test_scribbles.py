"""Scribbles (strokes painted on a copy of the image) and the matting session."""

from __future__ import annotations

import numpy as np
import pytest

import classicmat
from classicmat import MattingSession, cli, read_scribbles
from classicmat.scribbles import ScribbleWarning


def _scene(h=40, w=60, seed=0):
    """A two-colour blend with a soft edge, and strokes well inside each side."""
    rng = np.random.default_rng(seed)
    x = np.linspace(0, 1, w)
    alpha = np.clip((x - 0.35) / 0.3, 0, 1)[None, :].repeat(h, 0)
    fg, bg = np.array([0.8, 0.3, 0.2]), np.array([0.2, 0.4, 0.7])
    image = alpha[..., None] * fg + (1 - alpha[..., None]) * bg
    image = np.clip(image + rng.uniform(-0.02, 0.02, image.shape), 0, 1)
    image = np.rint(image * 255).astype(np.uint8)
    labels = np.full((h, w), 128, np.uint8)
    labels[5:35:6, 2:12] = 0  # background strokes
    labels[5:35:6, 50:58] = 255  # foreground strokes
    painted = image.copy()
    painted[labels == 0] = 0
    painted[labels == 255] = 255
    return image, painted, labels, alpha


def test_read_scribbles_is_the_label_map():
    image, painted, labels, _ = _scene()
    constraints = read_scribbles(painted, image)
    np.testing.assert_array_equal(constraints, np.where(labels == 128, 0.5, labels / 255.0))


@pytest.mark.parametrize("method", ["cf", "knn"])
def test_scribbles_give_the_matte_of_the_equivalent_trimap(method):
    image, painted, labels, alpha = _scene()
    from_strokes = classicmat.estimate_alpha(image, read_scribbles(painted, image), method=method)
    from_labels = classicmat.estimate_alpha(image, labels, method=method)
    np.testing.assert_array_equal(from_strokes, from_labels)
    assert np.abs(from_strokes - alpha)[labels == 128].mean() < 0.1  # a real matte


def test_stroke_colours_tolerance_and_errors():
    image, painted, labels, _ = _scene()
    grey = painted.copy()
    grey[20, 20] = 128  # a painted pixel neither white nor black
    with pytest.warns(ScribbleWarning, match="1 painted pixels of scribbles are neither white"):
        constraints = read_scribbles(grey, image)
    assert constraints[20, 20] == 0.5
    noisy = painted.astype(int)
    noisy[labels == 128] += 2  # JPEG-like noise off the strokes
    noisy = np.clip(noisy, 0, 255).astype(np.uint8)
    with pytest.warns(ScribbleWarning):
        read_scribbles(noisy, image)
    np.testing.assert_array_equal(
        read_scribbles(noisy, image, tolerance=3 / 255), read_scribbles(painted, image)
    )
    with pytest.raises(ValueError, match="has no black strokes"):
        read_scribbles(np.where(labels[..., None] == 0, image, painted), image)
    with pytest.raises(ValueError, match=r"scribbles size 59x40 \(W x H\) does not match"):
        read_scribbles(painted[:, :-1], image)
    with pytest.raises(ValueError, match="tolerance must be <= 1"):
        read_scribbles(painted, image, tolerance=2)


def test_a_white_stroke_over_white_pixels_stays_unknown():
    """The documented ambiguity: a stroke that changes nothing cannot be seen."""
    image, painted, _, _ = _scene()
    image[5, 50:58] = 255  # already white where a foreground stroke is painted
    constraints = read_scribbles(painted, image)
    assert (constraints[5, 50:58] == 0.5).all()
    assert (constraints[11, 50:58] == 1.0).all()


def test_command_line_scribbles(tmp_path, monkeypatch, capsys):
    from PIL import Image

    image, painted, labels, _ = _scene()
    monkeypatch.chdir(tmp_path)
    Image.fromarray(image).save("image.png")
    Image.fromarray(painted).save("painted.png")
    Image.fromarray(labels).save("labels.png")
    assert cli.main(["-q", "image.png", "--scribbles", "painted.png", "-o", "a.png"]) == 0
    assert cli.main(["-q", "image.png", "labels.png", "-o", "b.png"]) == 0
    np.testing.assert_array_equal(classicmat.read_image("a.png"), classicmat.read_image("b.png"))
    for argv, message in (
        (
            ["--scribbles", "painted.png", "--method", "bayesian"],
            "method 'bayesian' needs a trimap",
        ),
        (["labels.png", "--scribbles", "painted.png"], "give one of TRIMAP, --scribbles"),
        (["--scribbles", "nope.png"], "scribbles file not found: 'nope.png'"),
        (["--scribbles", "painted.png", "-o", "painted.png"], "is the scribbles file"),
    ):
        assert cli.main(["image.png", *argv]) == 2
        assert message in capsys.readouterr().err


# ---------------------------------------------------------------- the session


def _edits(labels):
    """A stroke added to the labels, then another, then one erased."""
    first = labels.copy()
    first[20:23, 40:46] = 255
    second = first.copy()
    second[30:32, 14:20] = 0
    erased = second.copy()
    erased[20:23, 40:46] = 128  # unknown again
    return [labels, first, second, erased]


@pytest.mark.parametrize("method", ["cf", "knn", "bayesian"])
def test_a_session_gives_the_matte_of_a_fresh_call_after_every_edit(method):
    image, _, labels, _ = _scene()
    trimap = labels
    if method == "bayesian":  # needs a trimap: a band around the edge
        trimap = np.where(np.arange(60)[None, :].repeat(40, 0) < 20, 0, 128).astype(np.uint8)
        trimap[:, 42:] = 255
    session = MattingSession(image, method=method)
    modes = []
    for edit in _edits(trimap) if method != "bayesian" else [trimap, trimap]:
        alpha = session.solve(edit)
        fresh = classicmat.estimate_alpha(image, edit, method=method)
        assert np.abs(alpha - fresh).max() < 1e-3, (method, session.last)
        modes.append(session.last["mode"])
    expected = {
        "cf": ["fresh", "update", "update", "update"],  # erased: still inside the kept set
        "knn": ["fresh", "update", "update", "update"],
        "bayesian": ["fresh", "fresh"],
    }[method]
    assert modes == expected


def test_a_cf_update_is_exact_by_bordering_the_kept_factor():
    """With an exact (float64) factor the bordered solution needs no CG polish
    and equals a fresh solve to round-off."""
    image, _, labels, _ = _scene()
    session = MattingSession(image, method="cf")
    session.solve(labels)
    for edit in _edits(labels)[1:3]:
        alpha = session.solve(edit)
        assert session.last["mode"] == "update" and session.last["iterations"] == 0
        np.testing.assert_allclose(alpha, classicmat.estimate_alpha(image, edit), atol=1e-9)


def test_a_session_starts_afresh_when_an_edit_leaves_the_kept_system():
    image, _, labels, _ = _scene()
    session = MattingSession(image, method="cf")
    trimap = labels.copy()
    trimap[:, 20:40] = 128
    trimap[:, :20] = 0
    trimap[:, 40:] = 255
    session.solve(trimap)
    wider = labels.copy()  # unknown pixels that were known before
    session.solve(wider)
    assert session.last["mode"] == "fresh"
    np.testing.assert_allclose(
        session.solve(wider), classicmat.estimate_alpha(image, wider), atol=1e-9
    )


def test_session_options_are_checked_at_once():
    image, _, _, _ = _scene()
    with pytest.raises(ValueError, match="epsilon must be > 0"):
        MattingSession(image, method="cf", epsilon=-1)
    with pytest.raises(TypeError, match="unknown option 'sigma' for method 'cf'"):
        MattingSession(image, method="cf", sigma=2)
    session = MattingSession(image, method="cf")
    with pytest.raises(ValueError, match="does not match image size"):
        session.solve(np.zeros((5, 5)))
