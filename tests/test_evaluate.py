"""classicmat.evaluate and ``classicmat evaluate``: metrics, means, resume, layouts, jobs."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from classicmat import cli, evaluate, metrics
from classicmat.evaluate import DatasetError, evaluate_dataset, records
from classicmat.io import read_image

# layout -> (image folder, alpha folder, {trimap set: folder})
FOLDERS = {
    "simple": ("image", "alpha", {"trimap": "trimap"}),
    "composition-1k": ("merged", "alpha", {"trimaps": "trimaps"}),
    "alphamatting": ("input", "gt", {"trimap1": "trimap1", "trimap2": "trimap2"}),
}
STEMS = ("a0", "a1", "a2")


def _sample(k: int, height: int = 20, width: int = 24):
    """A composite of a ramp matte, its trimap (band of `4 + k` columns) and the matte."""
    rng = np.random.default_rng(k)
    alpha = np.clip((np.arange(width) - 8.0 - k) / 6.0, 0, 1)[None, :].repeat(height, 0)
    fg = rng.uniform(0.6, 1.0, (height, width, 3))
    bg = rng.uniform(0.0, 0.3, (height, width, 3))
    image = alpha[..., None] * fg + (1 - alpha[..., None]) * bg
    trimap = np.full((height, width), 128, np.uint8)
    trimap[alpha == 0] = 0
    trimap[alpha == 1] = 255
    trimap[:, : 6 + k] = 0
    to8 = lambda x: np.rint(x * 255).astype(np.uint8)  # noqa: E731
    return to8(image), trimap, to8(alpha)


def make_dataset(root: Path, layout: str = "simple", stems=STEMS) -> Path:
    image_dir, alpha_dir, trimap_dirs = FOLDERS[layout]
    for k, stem in enumerate(stems):
        image, trimap, alpha = _sample(k)
        (root / image_dir).mkdir(parents=True, exist_ok=True)
        (root / alpha_dir).mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(root / image_dir / f"{stem}.png")
        Image.fromarray(alpha).save(root / alpha_dir / f"{stem}.png")
        for i, folder in enumerate(trimap_dirs.values()):
            (root / folder).mkdir(parents=True, exist_ok=True)
            tri = trimap.copy()
            if i:  # a second, wider trimap set
                tri[:, 2 + k : 6 + k] = 128
            Image.fromarray(tri).save(root / folder / f"{stem}.png")
    return root


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as file:
        return list(csv.DictReader(file))


def _run(tmp_path, layout="simple", **kwargs):
    data = make_dataset(tmp_path / "data", layout)
    kwargs.setdefault("out_dir", tmp_path / "out")
    kwargs.setdefault("progress", False)
    return data, evaluate_dataset(data, layout=layout, **kwargs)


@pytest.mark.parametrize("layout", list(FOLDERS))
def test_csv_holds_the_metrics_of_the_saved_predictions(tmp_path, layout):
    data, summary = _run(tmp_path, layout, save_alpha=True)
    out = tmp_path / "out"
    rows = _rows(out / "results.csv")
    sets = list(FOLDERS[layout][2])
    assert [(r["method"], r["trimap"], r["image"]) for r in rows] == [
        ("cf", s, stem) for s in sets for stem in STEMS
    ]
    image_dir, alpha_dir, trimap_dirs = FOLDERS[layout]
    for row in rows:
        alpha = read_image(out / "alpha" / "cf" / row["trimap"] / f"{row['image']}.png")
        assert alpha.dtype == np.uint8
        truth = data / alpha_dir / f"{row['image']}.png"
        trimap = read_image(data / trimap_dirs[row["trimap"]] / f"{row['image']}.png")
        assert float(row["sad"]) == metrics.sad(alpha, truth, trimap)
        assert float(row["mse"]) == metrics.mse(alpha, truth, trimap)
        assert float(row["grad"]) == metrics.gradient_error(alpha, truth, trimap)
        assert float(row["conn"]) == metrics.connectivity_error(alpha, truth, trimap)
        assert float(row["runtime_s"]) > 0
        assert (int(row["width"]), int(row["height"])) == (24, 20)
        assert int(row["unknown_pixels"]) == int(np.sum(trimap == 128))
        assert float(row["sad"]) < 0.1  # cf recovers the ramp well


def test_means_json_and_summary(tmp_path):
    _, summary = _run(tmp_path, "alphamatting")
    out = tmp_path / "out"
    document = json.loads((out / "results.json").read_text())
    rows = _rows(out / "results.csv")
    assert [m["trimap"] for m in document["means"]] == ["trimap1", "trimap2"]
    for mean in document["means"]:
        group = [r for r in rows if r["trimap"] == mean["trimap"]]
        assert mean["images"] == len(group) == 3
        for column in ("sad", "mse", "grad", "conn"):
            expected = np.mean([float(r[column]) for r in group])
            assert mean[column] == pytest.approx(expected, rel=1e-12)
    assert document["means"] == summary.means
    options = document["parameters"]["method_options"]["cf"]
    assert options == {
        "epsilon": 1e-7,
        "radius": 1,
        "solver": "auto",
        "rtol": 1e-7,
        "atol": 0.0,
        "maxiter": None,
        "solver_options": None,
    }
    assert set(document["versions"]) == {
        "classicmat",
        "numpy",
        "scipy",
        "numba",
        "python",
        "platform",
    }
    assert "command" in document
    text = (out / "summary.md").read_text()
    assert "| Method | Trimap | Images | SAD | MSE (x10^3) | Grad | Conn | Time (s) |" in text
    mse1 = summary.means[0]["mse"] * 1e3
    assert f"| cf | trimap1 | 3 | {summary.means[0]['sad']:.2f} | {mse1:.2f} |" in text
    assert "trimap sets: trimap1, trimap2" in text
    assert "numba" in text


def test_trimap_choice(tmp_path):
    _, summary = _run(tmp_path, "alphamatting", trimap="trimap2")
    assert {row["trimap"] for row in summary.rows} == {"trimap2"}
    with pytest.raises(ValueError, match="trimap set 'trimap3' is not one of"):
        evaluate_dataset(
            tmp_path / "data", layout="alphamatting", trimap="trimap3", out_dir=tmp_path
        )


def test_resume_computes_only_what_is_missing(tmp_path, monkeypatch):
    calls = []
    interrupt_at = [3]
    real = records._estimate_alpha

    def counting(image, trimap, method, options):
        calls.append(1)
        if len(calls) == interrupt_at[0]:
            raise KeyboardInterrupt  # interrupted during the third image
        return real(image, trimap, method, options)

    monkeypatch.setattr(records, "_estimate_alpha", counting)
    data = make_dataset(tmp_path / "data", "alphamatting")
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        evaluate_dataset(data, layout="alphamatting", out_dir=out, progress=False)
    assert len(list((out / "records").rglob("*.json"))) == 2

    calls.clear()
    interrupt_at[0] = 0  # do not interrupt again
    summary = evaluate_dataset(data, layout="alphamatting", out_dir=out, progress=False)
    assert len(calls) == 4  # 6 runs, 2 reused
    assert (summary.computed, summary.reused) == (4, 2)
    first = _rows(out / "results.csv")

    # a deleted record is recomputed, the others are reused
    next(iter(sorted((out / "records").rglob("a1.*.json")))).unlink()
    calls.clear()
    summary = evaluate_dataset(data, layout="alphamatting", out_dir=out, progress=False)
    assert (len(calls), summary.computed, summary.reused) == (1, 1, 5)
    strip = lambda rows: [{k: v for k, v in r.items() if k != "runtime_s"} for r in rows]  # noqa: E731
    assert strip(_rows(out / "results.csv")) == strip(first)


def test_other_options_or_changed_inputs_are_recomputed(tmp_path, monkeypatch):
    data, _ = _run(tmp_path)
    calls = []
    real = records._estimate_alpha
    monkeypatch.setattr(records, "_estimate_alpha", lambda *a: calls.append(a[3]) or real(*a))
    evaluate_dataset(data, layout="simple", out_dir=tmp_path / "out", progress=False)
    assert calls == []
    summary = evaluate_dataset(
        data,
        layout="simple",
        out_dir=tmp_path / "out",
        progress=False,
        method_options={"cf": {"epsilon": 1e-5}},
    )
    assert len(calls) == 3 and all(c["epsilon"] == 1e-5 for c in calls)
    assert summary.computed == 3
    calls.clear()
    image, _, _ = _sample(5)
    Image.fromarray(image).save(data / "image" / "a1.png")  # new content, same name
    summary = evaluate_dataset(data, layout="simple", out_dir=tmp_path / "out", progress=False)
    assert (summary.computed, summary.reused) == (1, 2)


def test_failing_image_is_reported_and_left_out_of_the_means(tmp_path):
    data = make_dataset(tmp_path / "data")
    (data / "image" / "a1.png").write_bytes(b"not a png")
    summary = evaluate_dataset(data, layout="simple", out_dir=tmp_path / "out", progress=False)
    assert [f[2] for f in summary.failures] == ["a1"]
    assert "not a readable image" in summary.failures[0][3]
    assert [r["image"] for r in summary.rows] == ["a0", "a2"]
    assert summary.means[0]["images"] == 2
    assert "INCOMPLETE" in (tmp_path / "out" / "summary.md").read_text()


def test_missing_files_and_folders_are_named(tmp_path):
    data = make_dataset(tmp_path / "data")
    (data / "alpha" / "a2.png").unlink()
    (data / "trimap" / "a0.png").unlink()
    with pytest.raises(DatasetError, match=r"missing files in .*alpha/a2\.\*, trimap/a0\.\*"):
        evaluate_dataset(data, layout="simple", out_dir=tmp_path / "out")
    with pytest.raises(DatasetError, match="image folder not found: .*merged"):
        evaluate_dataset(data, layout="composition-1k", out_dir=tmp_path / "out")
    with pytest.raises(ValueError, match="unknown layout 'voc'"):
        evaluate_dataset(data, layout="voc", out_dir=tmp_path / "out")
    with pytest.raises(TypeError, match="unknown option 'eps'"):
        evaluate_dataset(
            data, layout="simple", out_dir=tmp_path / "out", method_options={"cf": {"eps": 1}}
        )


def test_extensions_may_differ_and_alpha_copy_is_found(tmp_path):
    data = make_dataset(tmp_path / "data", "composition-1k")
    (data / "alpha").rename(data / "alpha_copy")
    for path in (data / "merged").iterdir():
        Image.open(path).save(path.with_suffix(".bmp"))
        path.unlink()
    samples = evaluate.find_samples(data, layout="composition-1k")
    assert [s.image.name for s in samples] == ["a0.bmp", "a1.bmp", "a2.bmp"]
    assert samples[0].alpha.parent.name == "alpha_copy"


def test_records_made_on_other_machines_are_reused(tmp_path):
    """Without a shared filesystem: parts run on copies elsewhere, their records merged."""
    import shutil

    here = make_dataset(tmp_path / "here" / "data", "alphamatting")
    there = make_dataset(tmp_path / "there" / "other" / "path", "alphamatting")  # same files
    out = tmp_path / "here" / "out"
    kwargs = {"layout": "alphamatting", "progress": False}
    evaluate_dataset(here, trimap="trimap1", out_dir=out, **kwargs)
    evaluate_dataset(there, trimap="trimap2", out_dir=tmp_path / "there" / "out", **kwargs)
    shutil.copytree(tmp_path / "there" / "out" / "records", out / "records", dirs_exist_ok=True)
    summary = evaluate_dataset(here, out_dir=out, **kwargs)
    assert (summary.computed, summary.reused) == (0, 6)
    assert [m["trimap"] for m in summary.means] == ["trimap1", "trimap2"]


def test_parallel_rows_equal_serial_rows(tmp_path):
    data = make_dataset(tmp_path / "data", "alphamatting")
    serial = evaluate_dataset(data, layout="alphamatting", out_dir=tmp_path / "s", progress=False)
    parallel = evaluate_dataset(
        data, layout="alphamatting", out_dir=tmp_path / "p", progress=False, jobs=2
    )
    assert parallel.computed == 6

    def strip(path):
        return [{k: v for k, v in r.items() if k != "runtime_s"} for r in _rows(path)]

    assert strip(tmp_path / "p" / "results.csv") == strip(tmp_path / "s" / "results.csv")
    assert len(serial.rows) == 6


# ------------------------------------------------------------------ command line


def test_cli_evaluate(tmp_path, capsys):
    data = make_dataset(tmp_path / "data", "alphamatting")
    out = tmp_path / "out"
    sheet = tmp_path / "sheet.png"
    argv = ["evaluate", "--dataset", str(data), "--layout", "alphamatting", "--out", str(out)]
    extra = ["--trimap", "trimap1", "--option", "cf.epsilon=1e-6", "--preview", str(sheet)]
    extra += ["--option", "cf.solver_options=leaf_size=8,factor_dtype=float32"]
    assert cli.main([*argv, *extra]) == 0
    captured = capsys.readouterr()
    assert "| cf | trimap1 | 3 |" in captured.out
    assert "3 computed, 0 reused" in captured.out
    assert captured.err.count("evaluate ") == 3  # one plain progress line per image
    document = json.loads((out / "results.json").read_text())
    assert document["parameters"]["method_options"]["cf"]["epsilon"] == 1e-6
    assert document["parameters"]["method_options"]["cf"]["solver_options"] == {
        "leaf_size": 8,
        "factor_dtype": "float32",
    }
    assert document["command"].startswith("classicmat evaluate --dataset")
    assert len(list((out / "alpha" / "cf" / "trimap1").glob("*.png"))) == 3
    assert read_image(sheet).shape[0] > 3 * 96  # three rows of 96-pixel thumbnails
    assert cli.main([*argv, *extra, "--quiet"]) == 0
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--layout", "simple"], "dataset folder not found: 'nope'"),
        (["--layout", "alphamatting"], r"image folder not found: '.*input'"),
        (["--layout", "simple", "--methods", "cf,zz"], "unknown method 'zz'"),
        (["--layout", "simple", "--trimap", "trimap1"], "has no trimap set 'trimap1'"),
        (["--layout", "simple", "--option", "cf.eps=1"], "has no option 'eps'"),
        (["--layout", "simple", "--option", "knn.k=1"], "method 'knn' is not in --methods"),
        (["--layout", "simple", "--jobs", "0"], "must be >= 1"),
        (["--layout", "hello"], "invalid choice: 'hello'"),
    ],
)
def test_cli_evaluate_usage_errors(tmp_path, capsys, args, message):
    data = make_dataset(tmp_path / "data")
    dataset = "nope" if "dataset folder" in message else str(data)
    argv = ["evaluate", "--dataset", dataset, "--out", str(tmp_path / "out"), *args]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("classicmat: error: ")
    assert re.search(message, err)


def test_cli_evaluate_failure_exit_1(tmp_path, capsys):
    data = make_dataset(tmp_path / "data")
    (data / "trimap" / "a2.png").write_bytes(b"\x89PNG broken")
    argv = ["evaluate", "--dataset", str(data), "--layout", "simple", "--out", str(tmp_path)]
    assert cli.main([*argv, "-q"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("classicmat: error: a2 (cf, trimap): trimap ")


@pytest.mark.slow
def test_alphamatting_two_images(alphamatting_dir, tmp_path, capsys):
    data = tmp_path / "am"
    for folder in ("input", "gt", "trimap1", "trimap2"):
        (data / folder).mkdir(parents=True)
        for stem in ("GT01", "GT02"):
            (data / folder / f"{stem}.png").symlink_to(alphamatting_dir / folder / f"{stem}.png")
    out = tmp_path / "out"
    argv = ["evaluate", "--dataset", str(data), "--layout", "alphamatting", "--out", str(out)]
    assert cli.main([*argv, "--methods", "cf", "--trimap", "trimap1", "--save-alpha", "-q"]) == 0
    rows = _rows(out / "results.csv")
    assert [r["image"] for r in rows] == ["GT01", "GT02"]
    for row in rows:
        stem = row["image"]
        alpha = read_image(out / "alpha" / "cf" / "trimap1" / f"{stem}.png")
        truth = alphamatting_dir / "gt" / f"{stem}.png"
        trimap = alphamatting_dir / "trimap1" / f"{stem}.png"
        assert float(row["sad"]) == metrics.sad(alpha, truth, trimap)
        assert float(row["conn"]) == metrics.connectivity_error(alpha, truth, trimap)
        # closed-form matting on the small trimaps: a few units of SAD (in thousands)
        assert 0.0 < float(row["sad"]) < 20.0
        assert 0.0 < float(row["mse"]) < 0.1


# ------------------------------------------------------------------ Adobe's Composition-1k archive

FOREGROUNDS = ("boy-1518482_1920", "light-bulb-376930_1920")  # names as in the archive
ADOBE = "Adobe-licensed images"


def make_adobe_archive(root: Path, composites: int = 3) -> Path:
    """``root/Combined_Dataset/Test_set`` as the archive holds it, with merged/ composited.

    One alpha (and foreground) per foreground; per composite ``<fg>_<i>`` a
    trimap and a composite over background ``i``, as Adobe's
    Composition_code.py names them.
    """
    test_set = root / "Combined_Dataset" / "Test_set"
    for folder in ("alpha", "fg", "trimaps"):
        (test_set / ADOBE / folder).mkdir(parents=True)
    (test_set / "merged").mkdir()
    for k, fg_name in enumerate(FOREGROUNDS):
        _, trimap, alpha = _sample(k)
        rng = np.random.default_rng(100 + k)
        fg = rng.uniform(0.6, 1.0, (*alpha.shape, 3))
        Image.fromarray(alpha).save(test_set / ADOBE / "alpha" / f"{fg_name}.png")
        Image.fromarray(np.rint(fg * 255).astype(np.uint8)).save(
            test_set / ADOBE / "fg" / f"{fg_name}.png"
        )
        a = alpha[..., None] / 255.0
        for i in range(composites):
            bg = rng.uniform(0.0, 0.3, fg.shape)
            merged = np.rint((a * fg + (1 - a) * bg) * 255).astype(np.uint8)
            Image.fromarray(merged).save(test_set / "merged" / f"{fg_name}_{i}.png")
            tri = trimap.copy()
            tri[:, : 4 + i] = 0  # each composite its own trimap
            Image.fromarray(tri).save(test_set / ADOBE / "trimaps" / f"{fg_name}_{i}.png")
    (test_set / "test_fg_names.txt").write_text("\n".join(f"{n}.png" for n in FOREGROUNDS))
    return test_set


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_adobe_composition_1k_archive_is_read_in_place(tmp_path):
    test_set = make_adobe_archive(tmp_path / "adobe")
    before = _tree(tmp_path / "adobe")
    samples = evaluate.find_samples(test_set.parent, layout="composition-1k")  # Combined_Dataset
    assert samples == evaluate.find_samples(test_set, layout="composition-1k")
    assert [s.stem for s in samples] == [f"{f}_{i}" for f in FOREGROUNDS for i in range(3)]
    assert {s.alpha for s in samples[:3]} == {test_set / ADOBE / "alpha" / f"{FOREGROUNDS[0]}.png"}
    assert (
        samples[4].trimaps["trimaps"] == test_set / ADOBE / "trimaps" / f"{FOREGROUNDS[1]}_1.png"
    )

    out = tmp_path / "out"
    summary = evaluate_dataset(test_set, layout="composition-1k", out_dir=out, progress=False,
                               save_alpha=True)  # fmt: skip
    assert summary.ok and len(summary.rows) == 6
    assert _tree(tmp_path / "adobe") == before  # nothing copied, linked or written there
    folders = json.loads((out / "results.json").read_text())["parameters"]["folders"]
    assert folders["alpha"] == str(test_set / ADOBE / "alpha")
    assert folders["alpha_per"].startswith("foreground")
    for row in _rows(out / "results.csv"):
        fg = row["image"].rsplit("_", 1)[0]
        alpha = read_image(out / "alpha" / "cf" / "trimaps" / f"{row['image']}.png")
        trimap = test_set / ADOBE / "trimaps" / f"{row['image']}.png"
        truth = test_set / ADOBE / "alpha" / f"{fg}.png"
        assert float(row["sad"]) == metrics.sad(alpha, truth, trimap)
        assert float(row["conn"]) == metrics.connectivity_error(alpha, truth, trimap)

    # the same data prepared as GCA-Matting does (one alpha per composite): the same rows
    prepared = tmp_path / "prepared"
    for folder in ("merged", "alpha", "trimaps"):
        (prepared / folder).mkdir(parents=True)
    for sample in samples:
        (prepared / "merged" / sample.image.name).write_bytes(sample.image.read_bytes())
        (prepared / "alpha" / sample.image.name).write_bytes(sample.alpha.read_bytes())
        trimap = sample.trimaps["trimaps"]
        (prepared / "trimaps" / trimap.name).write_bytes(trimap.read_bytes())
    evaluate_dataset(prepared, layout="composition-1k", out_dir=tmp_path / "p", progress=False)
    strip = lambda rows: [{k: v for k, v in r.items() if k != "runtime_s"} for r in rows]  # noqa: E731
    assert strip(_rows(tmp_path / "p" / "results.csv")) == strip(_rows(out / "results.csv"))

    # and score reads the archive's folders directly
    scores = tmp_path / "scores.csv"
    pred = out / "alpha" / "cf" / "trimaps"
    argv = ["score", "--pred", str(pred), "--gt", str(test_set / ADOBE / "alpha"),
            "--trimap", str(test_set / ADOBE / "trimaps")]  # fmt: skip
    assert cli.main([*argv, "--out", str(scores), "-q"]) == 0
    scored = _rows(scores)[:-1]
    for row, other in zip(scored, _rows(out / "results.csv"), strict=True):
        assert [row[c] for c in ("image", "sad", "mse", "grad", "conn")] == [
            other[c] for c in ("image", "sad", "mse", "grad", "conn")
        ]


def test_adobe_archive_missing_files_are_named(tmp_path, capsys):
    test_set = make_adobe_archive(tmp_path / "adobe", composites=2)
    (test_set / ADOBE / "alpha" / f"{FOREGROUNDS[1]}.png").unlink()
    (test_set / ADOBE / "trimaps" / f"{FOREGROUNDS[0]}_1.png").unlink()
    Image.new("RGB", (24, 20)).save(test_set / "merged" / "stray.png")
    with pytest.raises(DatasetError) as caught:
        evaluate.find_samples(test_set, layout="composition-1k")
    message = str(caught.value)
    assert message.count(f"{ADOBE}/alpha/{FOREGROUNDS[1]}.*") == 1  # once for its 2 composites
    assert "the alpha of merged/stray (not named <foreground>_<index>)" in message
    assert f"{ADOBE}/trimaps/{FOREGROUNDS[0]}_1.*" in message

    for path in (test_set / "merged").iterdir():
        path.unlink()
    (test_set / "merged").rmdir()
    argv = ["evaluate", "--dataset", str(test_set), "--layout", "composition-1k", "--out",
            str(tmp_path / "out")]  # fmt: skip
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "composites folder not found" in err and "Composition_code.py" in err
