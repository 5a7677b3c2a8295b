"""classicmat.score_predictions and ``classicmat score``: the metrics of saved predictions."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from classicmat import cli, metrics, score_predictions
from classicmat.io import read_image, write_image
from classicmat.score import COLUMNS, MEAN_ROW, resize_alpha

from .test_evaluate import make_dataset

# A hand-computed case (2 x 4): the unknown pixels are the middle columns.
GT = np.array([[0, 255, 255, 255], [0, 0, 255, 255]], np.uint8)
TRIMAP = np.array([[0, 128, 128, 255], [0, 128, 128, 255]], np.uint8)
PRED = np.array([[0, 51, 255, 255], [0, 102, 204, 255]], np.uint8)
# |pred - gt| on the unknown pixels: 0.8, 0, 0.4, 0.2
SAD = (0.8 + 0.0 + 0.4 + 0.2) / 1000
MSE = (0.8**2 + 0.0 + 0.4**2 + 0.2**2) / 4


def _folders(root: Path, cases: dict[str, tuple]) -> tuple[Path, Path, Path]:
    """``root/pred``, ``root/gt``, ``root/trimap`` with ``{stem: (pred, gt, trimap)}``.

    None: no file."""
    folders = tuple(root / name for name in ("pred", "gt", "trimap"))
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    for stem, arrays in cases.items():
        for folder, array in zip(folders, arrays, strict=True):
            if array is not None:
                write_image(folder / f"{stem}.png", array)
    return folders


def _csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as file:
        return list(csv.DictReader(file))


def _score(folders, out, *extra) -> int:
    pred, gt, trimap = folders
    argv = ["score", "--pred", str(pred), "--gt", str(gt), "--trimap", str(trimap)]
    return cli.main([*argv, "--out", str(out), *extra])


def test_hand_computed_errors(tmp_path):
    perfect = GT.copy()
    folders = _folders(tmp_path, {"a": (PRED, GT, TRIMAP), "b": (perfect, GT, TRIMAP)})
    summary = score_predictions(*folders)
    assert summary.ok and [row["image"] for row in summary.rows] == ["a", "b"]
    a, b = summary.rows
    assert a["sad"] == pytest.approx(SAD, rel=1e-12)
    assert a["mse"] == pytest.approx(MSE, rel=1e-12)
    assert (a["width"], a["height"], a["unknown_pixels"], a["bits"], a["resized"]) == (
        4, 2, 4, 8, False,
    )  # fmt: skip
    assert (b["sad"], b["mse"], b["grad"], b["conn"]) == (0.0, 0.0, 0.0, 0.0)
    # the gradient and connectivity errors in the units of classicmat.metrics
    assert a["grad"] == metrics.gradient_error(PRED, GT, TRIMAP) > 0
    assert a["conn"] == metrics.connectivity_error(PRED, GT, TRIMAP) > 0
    assert summary.means["images"] == 2
    assert summary.means["sad"] == pytest.approx(SAD / 2, rel=1e-12)
    assert summary.means["mse"] == pytest.approx(MSE / 2, rel=1e-12)


def test_16_bit_predictions_keep_their_precision(tmp_path):
    pred16 = PRED.astype(np.uint16) * 257  # the same values as the 8-bit file...
    finer = pred16.copy()
    finer[0, 1] += 100  # ...and one between two 8-bit levels
    folders = _folders(tmp_path, {"a": (pred16, GT, TRIMAP), "b": (finer, GT, TRIMAP)})
    assert read_image(folders[0] / "b.png").dtype == np.uint16
    a, b = score_predictions(*folders).rows
    assert a["bits"] == b["bits"] == 16
    assert a["sad"] == pytest.approx(SAD, rel=1e-12)
    assert b["sad"] == pytest.approx(SAD - 100 / 65535 / 1000, rel=1e-12)
    assert b["mse"] == metrics.mse(finer, GT, TRIMAP)


def test_float_predictions_are_read_as_they_are(tmp_path):
    folders = _folders(tmp_path, {"a": (None, GT, TRIMAP)})
    pred = PRED.astype(np.float32) / 255
    pred[1, 1] = 0.25
    Image.fromarray(pred).save(folders[0] / "a.tif")
    (row,) = score_predictions(*folders).rows
    assert row["bits"] == 32
    assert row["mse"] == metrics.mse(pred.astype(np.float64), GT, TRIMAP)


def test_scores_equal_evaluate_on_the_saved_predictions(tmp_path, capsys):
    data = make_dataset(tmp_path / "data", "alphamatting")
    out = tmp_path / "ev"
    argv = ["evaluate", "--dataset", str(data), "--layout", "alphamatting", "--save-alpha"]
    assert cli.main([*argv, "--out", str(out), "-q"]) == 0
    evaluated = _csv(out / "results.csv")
    for trimap_set in ("trimap1", "trimap2"):
        folders = (out / "alpha" / "cf" / trimap_set, data / "gt", data / trimap_set)
        scores = tmp_path / f"{trimap_set}.csv"
        assert _score(folders, scores, "-q") == 0
        rows = _csv(scores)
        assert rows[-1]["image"] == MEAN_ROW
        expected = [r for r in evaluated if r["trimap"] == trimap_set]
        assert [r["image"] for r in rows[:-1]] == [r["image"] for r in expected]
        for row, other in zip(rows[:-1], expected, strict=True):
            for column in ("sad", "mse", "grad", "conn", "width", "height", "unknown_pixels"):
                assert row[column] == other[column], (column, row, other)
            assert (row["bits"], row["resized"]) == ("8", "False")
        means = json.loads((out / "results.json").read_text())["means"]
        mean = next(m for m in means if m["trimap"] == trimap_set)
        for column in ("sad", "mse", "grad", "conn"):
            assert float(rows[-1][column]) == pytest.approx(mean[column], rel=1e-12)
    assert capsys.readouterr() == ("", "")


def test_the_command_prints_the_means_and_writes_the_csv(tmp_path, capsys):
    folders = _folders(tmp_path, {"a": (PRED, GT, TRIMAP), "b": (GT, GT, TRIMAP)})
    out = tmp_path / "scores.csv"
    assert _score(folders, out) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0].split() == ["images", "SAD", "MSE", "(x10^3)", "Grad", "Conn"]
    assert lines[1].split()[:3] == ["2", f"{SAD / 2:.2f}", f"{MSE / 2 * 1e3:.2f}"]
    assert "SAD, Grad and Conn are sums divided by 1000" in captured.out
    assert f"wrote {out} (2 scored, " in lines[-1]
    assert captured.err.count("score ") == 2  # a plain progress line per image
    rows = _csv(out)
    assert list(rows[0]) == list(COLUMNS)
    assert [r["image"] for r in rows] == ["a", "b", MEAN_ROW]
    assert float(rows[0]["sad"]) == pytest.approx(SAD, rel=1e-12)
    assert rows[-1]["width"] == "" and rows[-1]["bits"] == ""

    assert _score(folders, out, "--markdown", "-q") == 0
    text = capsys.readouterr().out
    assert text.startswith("| Images | SAD | MSE (x10^3) | Grad | Conn |\n|---:|")
    assert f"| 2 | {SAD / 2:.2f} | {MSE / 2 * 1e3:.2f} |" in text

    assert _score(folders, out, "--json") == 0
    captured = capsys.readouterr()
    document = json.loads(captured.out)  # stdout holds the JSON only
    assert document["means"]["images"] == 2 and len(document["rows"]) == 2
    assert document["rows"][0]["mse"] == pytest.approx(MSE, rel=1e-12)
    assert document["parameters"]["resize"] is False
    assert document["command"].startswith("classicmat score --pred")
    assert "wrote" in captured.err


def test_a_missing_prediction_is_reported_and_the_rest_scored(tmp_path, capsys):
    folders = _folders(
        tmp_path,
        {"a": (PRED, GT, TRIMAP), "b": (None, GT, TRIMAP), "c": (GT, None, TRIMAP),
         "d": (GT, GT, TRIMAP), "e": (GT, GT, None)},
    )  # fmt: skip
    out = tmp_path / "scores.csv"
    assert _score(folders, out) == 1
    captured = capsys.readouterr()
    err = captured.err.splitlines()
    assert "classicmat: error: b: no prediction (b.* or b_alpha.* in " in err[-2]
    assert "classicmat: error: c: no ground truth (c.* in " in err[-1]
    assert "classicmat: warning: 1 prediction(s) match no trimap and were not scored: e.png" in err
    assert "INCOMPLETE: 2 of 4 images could not be scored" in captured.out
    assert [r["image"] for r in _csv(out)] == ["a", "d", MEAN_ROW]


def test_a_prediction_of_another_size(tmp_path, capsys):
    small = np.array([[0, 255], [0, 255]], np.uint8)
    folders = _folders(tmp_path, {"a": (small, GT, TRIMAP), "b": (PRED, GT, TRIMAP)})
    out = tmp_path / "scores.csv"
    assert _score(folders, out, "-q") == 1
    err = capsys.readouterr().err
    assert (
        "classicmat: error: a: prediction size 2x2 (W x H) does not match ground truth size 4x2; "
        "score with resize=True (--resize) to resize predictions" in err
    )
    assert _score(folders, out, "--resize") == 0
    captured = capsys.readouterr()
    assert (
        "1 predictions were resized to the size of their ground truth (bilinear)" in captured.out
    )
    rows = _csv(out)
    assert (rows[0]["resized"], rows[1]["resized"]) == ("True", "False")
    resized = resize_alpha(small / 255.0, GT.shape)
    assert float(rows[0]["sad"]) == metrics.sad(resized, GT, TRIMAP)
    assert float(rows[0]["conn"]) == metrics.connectivity_error(resized, GT, TRIMAP)


def test_composition_1k_alphas_shared_by_composites_and_batch_names(tmp_path, capsys):
    """Adobe's archive: alpha/<fg>.png for the composites <fg>_<index>; batch's <stem>_alpha."""
    folders = _folders(tmp_path, {"boy-1518482_1920": (None, GT, None)})
    for index, pred in enumerate((PRED, GT)):
        write_image(folders[0] / f"boy-1518482_1920_{index}_alpha.png", pred)
        write_image(folders[2] / f"boy-1518482_1920_{index}.png", TRIMAP)
    out = tmp_path / "scores.csv"
    assert _score(folders, out) == 0
    text = capsys.readouterr().out
    assert (
        "2 images <foreground>_<index> were scored against the ground truth <foreground>" in text
    )
    rows = _csv(out)
    assert [r["image"] for r in rows] == ["boy-1518482_1920_0", "boy-1518482_1920_1", MEAN_ROW]
    assert float(rows[0]["sad"]) == pytest.approx(SAD, rel=1e-12) and rows[1]["sad"] == "0.0"
    # two candidates for one image are reported, never guessed
    write_image(folders[0] / "boy-1518482_1920_1.png", GT)
    assert _score(folders, out, "-q") == 1
    assert "2 predictions match: 'boy-1518482_1920_1.png' and 'boy-1518482_1920_1_alpha.png'" in (
        capsys.readouterr().err
    )


def test_batch_output_is_scored_as_it_is(tmp_path, synthetic_files, capsys):
    data = make_dataset(tmp_path / "data", "simple")
    mattes = tmp_path / "mattes"
    argv = ["batch", str(data / "image"), str(data / "trimap"), "-o", str(mattes), "-q"]
    assert cli.main(argv) == 0
    out = tmp_path / "s.csv"
    assert _score((mattes, data / "alpha", data / "trimap"), out, "-q", "--jobs", "2") == 0
    rows = _csv(out)
    assert [r["image"] for r in rows] == ["a0", "a1", "a2", MEAN_ROW]
    single = score_predictions(mattes, data / "alpha", data / "trimap")
    assert [{k: str(v) if not isinstance(v, float) else repr(v) for k, v in row.items()}
            for row in single.rows] == rows[:-1]  # fmt: skip


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda f, o: ["--pred", str(f[0] / "nope")], "prediction folder not found"),
        (lambda f, o: ["--out", str(f[0])], "is an existing directory"),
        (lambda f, o: ["--out", str(o / "x" / "s.csv")], "output directory .* does not exist"),
        (lambda f, o: ["--out", str(f[0] / "s.png")], "would be read as an image"),
        (lambda f, o: ["--json", "--markdown"], "not allowed with argument"),
        (lambda f, o: ["--jobs", "0"], "must be >= 1"),
    ],
)
def test_usage_errors(tmp_path, capsys, change, message):
    import re

    folders = _folders(tmp_path, {"a": (PRED, GT, TRIMAP)})
    pred, gt, trimap = folders
    argv = ["score", "--pred", str(pred), "--gt", str(gt), "--trimap", str(trimap), "-q"]
    assert cli.main([*argv, *change(folders, tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("classicmat: error: ")
    assert re.search(message, err), err
    assert not (tmp_path / "scores.csv").exists()


def test_no_trimaps_is_a_usage_error(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folders = _folders(tmp_path, {"a": (PRED, GT, None)})
    assert _score(folders, tmp_path / "s.csv") == 2
    assert "no trimaps in" in capsys.readouterr().err
    with pytest.raises(ValueError, match="no trimaps in"):
        score_predictions(*folders)


def test_unreadable_files_do_not_stop_the_others(tmp_path, capsys):
    folders = _folders(tmp_path, {"a": (PRED, GT, TRIMAP), "b": (PRED, GT, TRIMAP)})
    (folders[0] / "b.png").write_bytes(b"\x89PNG broken")
    blue = np.zeros((2, 4, 3), np.uint8)
    blue[..., 2] = 255
    Image.fromarray(blue).save(folders[0] / "c.png")
    write_image(folders[1] / "c.png", GT)
    write_image(folders[2] / "c.png", TRIMAP)
    summary = score_predictions(*folders)
    assert [row["image"] for row in summary.rows] == ["a"]
    assert [stem for stem, _ in summary.failures] == ["b", "c"]
    assert (
        "prediction '" in summary.failures[0][1]
        and "not a readable image" in (summary.failures[0][1])
    )
    assert "prediction must be gray" in summary.failures[1][1]


@pytest.mark.slow
def test_score_on_a_cluster(dask_cluster, tmp_path):
    folders = _folders(tmp_path, {"a": (PRED, GT, TRIMAP), "b": (GT, GT, TRIMAP)})
    local = score_predictions(*folders)
    remote = score_predictions(*folders, scheduler=dask_cluster.client)
    assert remote.rows == local.rows and remote.means == local.means
    assert remote.parameters["scheduler"] == dask_cluster.address
