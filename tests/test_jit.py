"""The numba layer: kernels return no arrays, Ctrl-C is held back while compiling."""

from __future__ import annotations

import importlib
import os
import pkgutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import classicmat
from classicmat._interrupt import deferred_sigint, import_whole, restores_interrupt
from classicmat._method import as_method


def _kernel_modules():
    import classicmat as package

    for info in pkgutil.walk_packages(package.__path__, "classicmat."):
        if _is_kernel_module(info.name):
            yield importlib.import_module(info.name)


def _dispatchers():
    from numba.core.dispatcher import Dispatcher

    found = {}
    for module in _kernel_modules():
        for name, value in vars(module).items():
            if isinstance(value, Dispatcher) and value.py_func.__module__ == module.__name__:
                if value.targetoptions.get("inline", "never") == "always":
                    continue  # inlined into its callers: never called from Python
                found[f"{module.__name__}.{name}"] = value
    return found


def _is_kernel_module(name: str) -> bool:
    return "kernel" in name or name.endswith("_kdtree")


def _kernels_called_from_python() -> set[str]:
    """Kernel names the package's other modules import or call as ``K.name``."""
    import ast
    from pathlib import Path

    root = Path(classicmat.__file__).parent
    names = set()
    for path in root.rglob("*.py"):
        if _is_kernel_module(path.stem):
            continue
        tree = ast.parse(path.read_text())
        aliases = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                if node.module and _is_kernel_module(node.module.rsplit(".", 1)[-1]):
                    names.update(alias.name for alias in node.names)
                for alias in node.names:  # from . import _mf_kernels as K
                    if _is_kernel_module(alias.name):
                        aliases.add(alias.asname or alias.name)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
            ):
                names.add(node.attr)
    return names


def _contains_array(numba_type) -> bool:
    from numba.core import types

    if isinstance(numba_type, types.Array):
        return True
    if isinstance(numba_type, types.BaseTuple):
        return any(_contains_array(t) for t in numba_type)
    return False


def _exercise_every_kernel() -> None:
    """Call every kernel of the package at least once, on tiny inputs."""
    rng = np.random.default_rng(0)
    image = rng.random((24, 30, 3))
    trimap = np.full((24, 30), 0.5)
    trimap[:, :4] = 0.0
    trimap[:, -4:] = 1.0
    for method, options in (
        ("cf", {}),
        ("cf", {"solver": "cg-ichol"}),
        ("knn", {}),
        ("knn", {"variant": "paper"}),
        ("lbdm", {}),
        ("rw", {}),
        ("lkm", {}),
        ("ifm", {}),
        ("ifm", {"lambda_": 100.0, "cs_trim": True, "patch_trim": True}),
        ("bayesian", {}),
        ("shared", {}),
    ):
        classicmat.estimate_alpha(image, trimap, method=method, **options)
    sparse = np.full((24, 30), 0.5)  # shared matting's nearest-pixel fallback
    sparse[0, 0], sparse[-1, -1] = 1.0, 0.0
    classicmat.estimate_alpha(image, sparse, method="shared", n_angles=1)
    # scattered unknown pixels and small leaves: the multifrontal solver's
    # assembly tree differs from the dissection tree and is renumbered
    rng = np.random.default_rng(3)  # a seed where it happens
    speckle = np.where(rng.random((40, 40)) < 0.3, 0.5, np.where(rng.random((40, 40)) < 0.5, 0, 1))
    system = classicmat.cf_system(rng.random((40, 40, 3)), speckle)
    coords = np.column_stack(np.divmod(system.unknown, 40))
    from classicmat.solvers import multifrontal_cholesky

    multifrontal_cholesky(system.A, coords, leaf_size=8).solve(system.b)
    from classicmat.alpha.bayesian import bayesian_matting

    bayesian_matting(image, trimap, parallel=False)
    alpha = classicmat.estimate_alpha(image, trimap)
    for method in ("multilevel", "blur-fusion", "closed-form"):
        classicmat.estimate_foreground(image, alpha, method=method)


@pytest.mark.filterwarnings("ignore::classicmat.ClassicmatWarning")
def test_no_kernel_returns_an_array():
    """A returned array is boxed through a call into Python, where a Ctrl-C crashes
    the process (classicmat._interrupt): kernels write into arrays they are given."""
    _exercise_every_kernel()
    dispatchers = _dispatchers()
    assert len(dispatchers) > 20
    entry = _kernels_called_from_python()
    unused = sorted(
        name
        for name, d in dispatchers.items()
        if not d.nopython_signatures and name.rsplit(".", 1)[1] in entry
    )
    assert unused == [], f"add these kernels to _exercise_every_kernel: {unused}"
    returning = sorted(
        f"{name} -> {sig.return_type}"
        for name, d in dispatchers.items()
        for sig in d.nopython_signatures
        if _contains_array(sig.return_type)
    )
    assert returning == []


def test_deferred_sigint_delivers_the_signal_after_the_block():
    steps = []
    with pytest.raises(KeyboardInterrupt):
        with deferred_sigint():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.01)  # the handler would run here
            steps.append("after the signal")
    assert steps == ["after the signal"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_deferred_sigint_passes_the_signal_to_a_custom_handler():
    seen = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: seen.append(signum))
    try:
        with deferred_sigint():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.01)
            assert seen == []
        assert seen == [signal.SIGINT]
    finally:
        signal.signal(signal.SIGINT, previous)


def test_deferred_sigint_without_a_signal_changes_nothing():
    with deferred_sigint():
        pass
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_ctrl_c_during_import_whole_arrives_after_the_module_is_whole(tmp_path, monkeypatch):
    """numba's C extensions turn a Ctrl-C during their import into an ImportError
    and stay half imported: import_whole delivers the signal after the import."""
    (tmp_path / "cm_signalled_module.py").write_text(
        "import os, signal\n"
        "os.kill(os.getpid(), signal.SIGINT)\n"
        "for _ in range(1000):\n"
        "    pass\n"
        "WHOLE = True\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        with pytest.raises(KeyboardInterrupt):
            import_whole("cm_signalled_module")
        assert sys.modules["cm_signalled_module"].WHOLE
        assert import_whole("cm_signalled_module") is sys.modules["cm_signalled_module"]
    finally:
        sys.modules.pop("cm_signalled_module", None)


def test_an_error_caused_by_ctrl_c_comes_out_as_keyboard_interrupt():
    """Python 3.11 wraps an exception raised in __set_name__ (a lazily imported
    module defining a dataclass) in a RuntimeError: the API gives back the
    KeyboardInterrupt; other errors pass unchanged."""
    import dataclasses

    def interrupted_import():
        class Hit:
            def __set_name__(self, owner, name):
                raise KeyboardInterrupt

        try:

            @dataclasses.dataclass
            class Module:  # noqa: F841 - a class body that runs __set_name__
                field: int = Hit()  # type: ignore[assignment]
        except KeyboardInterrupt:  # Python >= 3.12 does not wrap it
            raise RuntimeError("wrapped") from KeyboardInterrupt()

    with pytest.raises(KeyboardInterrupt) as info:
        restores_interrupt(interrupted_import)()
    assert isinstance(info.value.__cause__, RuntimeError)

    def plain_error():
        raise RuntimeError("not an interrupt")

    with pytest.raises(RuntimeError, match="not an interrupt"):
        restores_interrupt(plain_error)()

    def method(image, trimap):  # a method whose first call hits the same import
        interrupted_import()

    image = np.zeros((4, 4, 3))
    trimap = np.full((4, 4), 0.5)
    with pytest.raises(KeyboardInterrupt):
        as_method(method)(image, trimap)


_API_SCRIPT = textwrap.dedent(
    """
    import sys
    import time
    import numpy as np
    import classicmat
    rng = np.random.default_rng(1)
    image = rng.random((700, 900, 3))
    trimap = np.zeros((700, 900)); trimap[:, 450:] = 1.0; trimap[:, 300:600] = 0.5
    print("ready", flush=True)
    try:
        classicmat.estimate_alpha(image, trimap, method=sys.argv[1])
    except KeyboardInterrupt:
        sys.exit(3)
    # finished before the signal: wait for it here, not in the interpreter's
    # shutdown (where the default handler is back and the signal kills it)
    try:
        time.sleep(60)
    except KeyboardInterrupt:
        sys.exit(0)
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("method", ["cf", "knn", "ifm"])
def test_ctrl_c_in_the_api_raises_keyboard_interrupt_and_never_crashes(method, tmp_path):
    """SIGINT at many moments of a call: KeyboardInterrupt (or a finished call),
    never a crash (a numba boxing call hit by the signal used to segfault)."""
    script = tmp_path / "run.py"
    script.write_text(_API_SCRIPT)
    outcomes = []
    for delay in np.linspace(0.0, 1.6, 12):
        proc = subprocess.Popen(
            [sys.executable, str(script), method],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
        outcomes.append(proc.returncode)
        assert proc.returncode in (0, 3), f"delay {delay:.2f} s: rc {proc.returncode}\n{err}"
        assert "Exception ignored" not in err
    assert 3 in outcomes


def test_compile_ahead_only_on_a_cold_cache(tmp_path, monkeypatch):
    from importlib.util import find_spec

    from classicmat import _ahead
    from classicmat._jit import kernel_cache_folder

    monkeypatch.setenv("CLASSICMAT_CACHE_DIR", str(tmp_path))
    module = "classicmat.solvers._mf_kernels"
    assert not _ahead._cached(module)
    folder = Path(kernel_cache_folder(find_spec(module).origin))
    folder.mkdir(parents=True)
    (folder / "_mf_kernels.symbolic-1.py311.nbi").touch()
    assert _ahead._cached(module)


def test_compile_ahead_runs_the_warm_up_in_a_second_process(tmp_path, monkeypatch):
    from classicmat import _ahead

    module = "classicmat._not_a_module"
    marker = tmp_path / "done"
    here = tmp_path / "here"
    monkeypatch.setitem(
        _ahead.WARMERS,
        module,
        _ahead.Warmer(
            (f"import pathlib; pathlib.Path({str(marker)!r}).write_text('ok')",),
            f"import os, pathlib; pathlib.Path({str(here)!r}).write_text(str(os.getpid()))",
        ),
    )
    monkeypatch.setattr(_ahead, "_cached", lambda name: False)
    _ahead.wait(module)  # nothing started: this process's share is left to the first calls
    assert not here.exists()
    assert _ahead.start(module)
    assert not _ahead.start(module)  # one set of processes per module
    _ahead.wait(module)
    assert marker.read_text() == "ok"
    assert here.read_text() == str(os.getpid())  # the share compiled in this process
    assert module not in _ahead._pending
    monkeypatch.setenv("CLASSICMAT_COMPILE_AHEAD", "0")
    assert not _ahead.start(module)
    monkeypatch.delenv("CLASSICMAT_COMPILE_AHEAD")
    assert not _ahead.start("classicmat._jit")  # imported here already: too late
    monkeypatch.setitem(_ahead.WARMERS, module, _ahead.Warmer(("import time; time.sleep(60)",)))
    assert _ahead.start(module)
    _ahead.stop_all()  # what the command line does on exit and on Ctrl-C
    assert not _ahead._pending


_CF_SOLVE = """
def run():
    import numpy as np
    import classicmat
    image = np.random.default_rng(0).random((40, 50, 3))
    trimap = np.full((40, 50), 0.5); trimap[:, :8] = 0; trimap[:, -8:] = 1
    classicmat.estimate_alpha_cf(image, trimap)
"""


@pytest.mark.slow
@pytest.mark.parametrize(
    ("module", "run", "every"),
    [
        # every kernel of a cf solve is grouped (or compiled at import)
        ("classicmat.solvers._mf_kernels", _CF_SOLVE, True),
        # bayesian's top kernels call the grouped ones and compile their own code
        (
            "classicmat.alpha._bayesian_kernels",
            "from classicmat._warmup import _run_method\ndef run(): _run_method('bayesian')\n",
            False,
        ),
    ],
)
def test_the_ahead_groups_compile_every_signature_a_run_uses(module, run, every, tmp_path):
    """The kernels compiled by argument types (split between the two processes
    of a first run) are the ones a run loads: with an empty cache, compiling
    every group leaves the run no new signature of a grouped kernel (with
    ``every``, of any kernel of the module: the command line would compile it
    again after waiting for the second process)."""
    code = run + textwrap.dedent(
        f"""
            import importlib
            from numba.core.dispatcher import Dispatcher
            from classicmat._warmup import AHEAD_GROUPS, compile_group
            for group in range(len(AHEAD_GROUPS[{module!r}])):
                compile_group({module!r}, group)
            K = importlib.import_module({module!r})
            names = {{n for n, d in vars(K).items() if isinstance(d, Dispatcher)}}
            if not {every!r}:
                names = {{name for group in AHEAD_GROUPS[{module!r}] for name in group}}
            before = {{n: len(getattr(K, n).signatures) for n in names}}
            run()
            print({{n: len(getattr(K, n).signatures) - before[n] for n in names
                   if len(getattr(K, n).signatures) != before[n]}})
            """
    )
    env = {**os.environ, "CLASSICMAT_CACHE_DIR": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.strip() == "{}"
