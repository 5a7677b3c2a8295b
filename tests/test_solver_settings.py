"""The settings of each solver (``solver_options``): described once, checked before any work."""

from __future__ import annotations

import functools

import numpy as np
import pytest

import classicmat
from classicmat import cli
from classicmat.solvers.settings import SettingsText, check_settings, parse_settings, settings_of


def test_parse_settings_splits_pairs_but_not_values():
    text = "max_levels=3, presmoother=('gauss_seidel', {'sweep': 'symmetric'}),keep=true"
    parsed = parse_settings(text)
    assert isinstance(parsed, SettingsText)
    assert parsed == {
        "max_levels": "3",
        "presmoother": "('gauss_seidel', {'sweep': 'symmetric'})",
        "keep": "true",
    }
    assert parse_settings("  ") == {}


@pytest.mark.parametrize(
    ("text", "match"),
    [("leaf_size", "expected NAME=VALUE"), ("=3", "expected NAME=VALUE"),
     ("a=1,a=2", "'a' is given twice")],
)  # fmt: skip
def test_parse_settings_refuses_other_text(text, match):
    with pytest.raises(ValueError, match=match):
        parse_settings(text)


def test_text_is_parsed_by_each_settings_kind():
    found = check_settings(
        "cg-amg",
        parse_settings("max_levels=3,keep=yes,presmoother=('jacobi', {'omega': 0.5}),cycle=W"),
    )
    assert found == {
        "max_levels": 3,
        "keep": True,
        "presmoother": ("jacobi", {"omega": 0.5}),
        "cycle": "W",
    }
    assert check_settings("direct", parse_settings("factor_dtype=float32,leaf_size=8"),
                          coords=True) == {"factor_dtype": "float32", "leaf_size": 8}  # fmt: skip


def test_defaults_come_from_the_signatures():
    import inspect

    from classicmat.solvers._multifrontal import multifrontal_cholesky
    from classicmat.solvers.preconditioners import ichol

    for func, solver, coords in (
        (multifrontal_cholesky, "direct", True),
        (ichol, "cg-ichol", False),
    ):
        parameters = inspect.signature(func).parameters
        for option in settings_of(solver, coords=coords):
            default = parameters[option.name].default
            if option.name == "factor_dtype" and not isinstance(default, str):
                default = np.dtype(default).name
            assert option.default == default, option.name


@pytest.mark.parametrize(
    ("solver", "coords", "settings", "error", "match"),
    [
        ("direct", True, {"leaf_size": 0}, ValueError, "leaf_size must be >= 1"),
        ("direct", True, {"balance": 0.5}, ValueError, "balance must be < 0.5"),
        ("direct", True, {"factor_dtype": "int8"}, ValueError, "factor_dtype must be one of"),
        ("direct", True, {"permc_spec": "COLAMD"}, TypeError, "valid options are: balance"),
        ("direct", False, {"leaf_size": 4}, TypeError, "SuperLU.*valid options are: panel"),
        ("cg-ichol", False, {"drop_tol": -1.0}, ValueError, "drop_tol must be >= 0"),
        ("cg-ichol", False, {"ordering": "amd"}, ValueError, "ordering must be one of"),
        ("cg-amg", False, {"max_levels": "x"}, TypeError, "'cg-amg': max_levels must be an int"),
        ("direct", True, {"leaf_size": True}, TypeError, "'direct': leaf_size must be an int"),
        ("cg-amg", False, SettingsText(max_levels="x"), ValueError, "expected an integer"),
        ("cg-amg", False, SettingsText(near_nullspace="1"), ValueError, "set it from Python"),
        ("cg-jacobi", False, {"drop_tol": 1.0}, TypeError, r"valid options are: \(none\)"),
        ("cg-ichol", False, [("drop_tol", 1.0)], TypeError, "must be a mapping"),
    ],
)
def test_bad_settings_are_named(solver, coords, settings, error, match):
    with pytest.raises(error, match=match):
        check_settings(solver, settings, coords=coords)


@pytest.mark.parametrize("dtype", [np.float32, np.dtype("float32"), "f4", "single", "float32"])
def test_every_spelling_of_a_dtype_names_a_factor_dtype(dtype):
    assert check_settings("cg-ichol", {"factor_dtype": dtype}) == {"factor_dtype": "float32"}
    text = SettingsText(factor_dtype=str(np.dtype(dtype)) if not isinstance(dtype, str) else dtype)
    assert check_settings("cg-ichol", text) == {"factor_dtype": "float32"}


def test_pyamg_settings_are_those_of_the_chosen_method():
    # a flag of pyamg may also be (True, {kwargs}): left to pyamg
    tuple_flag = {"diagonal_dominance": (True, {"theta": 1.1})}
    assert check_settings("cg-amg", tuple_flag) == tuple_flag
    assert check_settings("cg-amg", parse_settings("improve_candidates=none")) == {
        "improve_candidates": None
    }
    with pytest.raises(TypeError, match=r"'aggregate' is not a setting of .*ruge_stuben"):
        check_settings("cg-amg", {"method": "rs", "aggregate": "standard"})
    with pytest.raises(TypeError, match=r"'CF' is not a setting of .*smoothed_aggregation"):
        check_settings("multigrid", {"CF": "RS"})
    assert check_settings("cg-amg", {"method": "rs", "CF": "RS"}) == {"method": "rs", "CF": "RS"}


# ---------------------------------------------------------------- from a method


@pytest.mark.parametrize("method", ["cf", "lbdm", "rw"])
def test_direct_settings_reach_the_factorisation(method, synthetic_pair, monkeypatch):
    """solver='auto' is the multifrontal solver for local methods: its settings apply."""
    from classicmat.solvers import _multifrontal

    seen = []
    real = _multifrontal.multifrontal_cholesky

    # wraps: the settings' defaults are read from the solver's signature, maybe
    # for the first time inside this test (when it runs alone or first)
    @functools.wraps(real)
    def spy(A, coords, **settings):
        seen.append(settings)
        return real(A, coords, **settings)

    monkeypatch.setattr(_multifrontal, "multifrontal_cholesky", spy)
    image, trimap = synthetic_pair.image, synthetic_pair.trimap
    plain = classicmat.estimate_alpha(image, trimap, method=method)
    tuned = classicmat.estimate_alpha(
        image, trimap, method=method, solver_options={"leaf_size": 4, "factor_dtype": "float32"}
    )
    assert seen[-1] == {"leaf_size": 4, "factor_dtype": "float32"}
    np.testing.assert_allclose(tuned, plain, atol=1e-8)


def test_a_setting_changes_an_iterative_result(synthetic_pair):
    image, trimap = synthetic_pair.image, synthetic_pair.trimap
    kwargs = dict(method="knn", solver="cg-ichol", rtol=1e-2)
    a = classicmat.estimate_alpha(image, trimap, **kwargs)
    b = classicmat.estimate_alpha(image, trimap, **kwargs, solver_options={"drop_tol": 0.5})
    assert np.abs(a - b).max() > 1e-6  # another preconditioner, another iterate at rtol 1e-2


@pytest.mark.parametrize(
    ("method", "kwargs", "error", "match"),
    [
        ("knn", {"solver_options": {"drop_tol": 1e-3}}, TypeError, "'auto' is 'cg-jacobi'"),
        ("ifm", {"solver_options": {"drop_tol": 1e-3}}, TypeError, "solver 'cg-jacobi'"),
        ("cf", {"solver_options": {"leef": 3}}, TypeError,
         "solver_options: unknown option 'leef'"),
        ("cf", {"solver": "cg-ichol", "solver_options": {"leaf_size": 3}}, TypeError,
         "for solver 'cg-ichol'; valid options are: drop_tol"),
        ("cf", {"solver_options": 3}, TypeError, "must be a mapping, got int"),
    ],
)  # fmt: skip
def test_settings_are_checked_before_any_work(method, kwargs, error, match, monkeypatch):
    from classicmat import _method

    def no_work(*args, **kw):  # pragma: no cover - must not be reached
        raise AssertionError("inputs were read before the options were checked")

    monkeypatch.setattr(_method, "validate_inputs", no_work)
    func = classicmat.METHODS.get(method)
    with pytest.raises(error, match=match):
        func("image.png", "trimap.png", **kwargs)


def test_session_keeps_the_settings(synthetic_pair):
    image, trimap = synthetic_pair.image, synthetic_pair.trimap
    session = classicmat.MattingSession(image, method="cf", solver_options={"leaf_size": 4})
    np.testing.assert_allclose(
        session.solve(trimap), classicmat.estimate_alpha(image, trimap), atol=1e-8
    )
    with pytest.raises(TypeError, match="unknown option 'leef'"):
        classicmat.MattingSession(image, method="cf", solver_options={"leef": 4})


# ---------------------------------------------------------------- command line


def test_command_line_checks_settings_before_any_work(synthetic_files, tmp_path, capsys):
    out = tmp_path / "alpha.png"
    args = [str(synthetic_files.image), str(synthetic_files.trimap), "-o", str(out), "-q"]
    for bad, match in (
        (["--solver_options", "leaf_size=0"], "leaf_size must be >= 1, got '0'"),
        (["--solver_options", "x"], "expected NAME=VALUE"),
        (["--method", "knn", "--solver_options", "drop_tol=1e-3"], "'auto' is 'cg-jacobi'"),
    ):
        assert cli.main([*args, *bad]) == 2
        err = capsys.readouterr().err
        assert match in err and len(err.strip().splitlines()) == 1, err
        assert not out.exists()
    assert cli.main([*args, "--option", "solver_options=leaf_size=4,factor_dtype=float32"]) == 0
    assert out.exists()


def test_a_usage_error_of_a_subcommand_points_at_its_help(tmp_path, capsys):
    argv = ["batch", str(tmp_path), str(tmp_path), "-o", str(tmp_path / "out")]
    assert cli.main([*argv, "--solver_options", "leaf_size=0"]) == 2
    assert capsys.readouterr().err.rstrip().endswith("(see 'classicmat batch --help')")


def test_methods_lists_the_solvers_and_their_settings(capsys):
    assert cli.main(["methods", "--solvers"]) == 0
    out = capsys.readouterr().out
    for name in ("cg-ichol", "drop_tol", "leaf_size", "factor_dtype", "permc_spec", "max_levels"):
        assert name in out
