"""Shared pytest fixtures: a tiny synthetic image/trimap pair and the shared data sets.

Synthetic data (no files needed)
--------------------------------
``synthetic_pair``
    A :class:`Pair` of uint8 arrays, 24 x 32 (H x W): an RGB ``image`` whose left
    half is dark and right half bright (with a little fixed noise), and a gray
    ``trimap`` with background (0) in columns 0-7, unknown (128) in columns
    8-23 and foreground (255) in columns 24-31. The true alpha is 0 left of
    column 16 and 1 from column 16 on (``Pair.alpha``).
``synthetic_files``
    The same pair written to ``tmp_path`` as ``image.png`` (RGB) and
    ``trimap.png`` (L); a :class:`Pair` of paths (``alpha`` is None).

Shared data sets (``../shared/data`` next to the repository)
-------------------------------------------------------------
``shared_data_dir``
    A function ``shared_data_dir(*parts) -> Path`` returning
    ``<repo>/../shared/data/<parts...>``. When the folder is absent, the test
    is skipped with the reason ``"../shared/data/... not found"``, or fails
    when the environment variable ``CLASSICMAT_REQUIRE_DATA=1`` is set (so a
    CI job with the data cannot silently skip).
``alphamatting_dir``
    ``shared_data_dir("alphamatting")``: ``input/``, ``gt/``, ``trimap1/``,
    ``trimap2/`` with ``GT01.png`` .. ``GT20.png``.
``pymatting_dir``
    ``shared_data_dir("pymatting")``: ``lemur/`` and ``test/``.

All three are session-scoped, so module-scoped fixtures may use them. Tests
that use them are marked ``data`` automatically (``-m "not data"`` deselects
them).

A Dask cluster
--------------
``dask_cluster``
    A real ``distributed.LocalCluster`` started once per test session: two
    worker processes of one thread each, on the loopback interface only, no
    dashboard; a :class:`Cluster` with its ``address``, a ``client`` and the
    ``cluster`` itself. Skipped when dask.distributed is not installed (the
    ``dev`` extra installs it).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pytest

#: ``<repo>/../shared/data``
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

_DATA_FIXTURES = {"shared_data_dir", "alphamatting_dir", "pymatting_dir"}


class Pair(NamedTuple):
    """An image and its trimap (arrays or paths), with the true alpha if known."""

    image: Any
    trimap: Any
    alpha: Any = None


def _synthetic_arrays() -> Pair:
    height, width = 24, 32
    rng = np.random.default_rng(20240601)
    image = np.empty((height, width, 3))
    image[:, :16] = (0.15, 0.12, 0.10)  # dark background
    image[:, 16:] = (0.85, 0.80, 0.70)  # bright foreground
    image += rng.uniform(-0.03, 0.03, size=image.shape)
    image = np.rint(np.clip(image, 0, 1) * 255).astype(np.uint8)
    trimap = np.full((height, width), 128, dtype=np.uint8)
    trimap[:, :8] = 0
    trimap[:, 24:] = 255
    alpha = np.zeros((height, width))
    alpha[:, 16:] = 1.0
    return Pair(image, trimap, alpha)


@pytest.fixture
def synthetic_pair() -> Pair:
    """24 x 32 uint8 RGB image and uint8 trimap (fresh copies), with the true alpha."""
    return _synthetic_arrays()


@pytest.fixture
def synthetic_files(tmp_path: Path) -> Pair:
    """The synthetic pair as ``tmp_path/image.png`` (RGB) and ``tmp_path/trimap.png`` (L)."""
    from PIL import Image

    pair = _synthetic_arrays()
    image_path = tmp_path / "image.png"
    trimap_path = tmp_path / "trimap.png"
    Image.fromarray(pair.image).save(image_path)
    Image.fromarray(pair.trimap).save(trimap_path)
    return Pair(image_path, trimap_path)


def _shared_data_dir(*parts: str) -> Path:
    path = SHARED_DATA.joinpath(*parts)
    if path.is_dir():
        return path
    shown = "/".join(("../shared/data", *parts))
    if os.environ.get("CLASSICMAT_REQUIRE_DATA") == "1":
        pytest.fail(f"{shown} not found ({path}) and CLASSICMAT_REQUIRE_DATA=1")
    pytest.skip(f"{shown} not found")


@pytest.fixture(scope="session")
def shared_data_dir() -> Callable[..., Path]:
    """``shared_data_dir(*parts)``: a folder of ../shared/data, or skip (fail if required)."""
    return _shared_data_dir


@pytest.fixture(scope="session")
def alphamatting_dir() -> Path:
    """../shared/data/alphamatting (input/, gt/, trimap1/, trimap2/), or skip."""
    return _shared_data_dir("alphamatting")


@pytest.fixture(scope="session")
def pymatting_dir() -> Path:
    """../shared/data/pymatting (lemur/, test/), or skip."""
    return _shared_data_dir("pymatting")


class Cluster(NamedTuple):
    """A running LocalCluster, its scheduler address and a client connected to it."""

    address: str
    client: Any
    cluster: Any


@pytest.fixture(scope="session")
def dask_cluster():
    """Two single-threaded worker processes on 127.0.0.1 (one per core of a small CI box)."""
    distributed = pytest.importorskip("distributed")
    env = {name: "1" for name in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        # the scheduler's HTTP routes (metrics, health) on a free port, not
        # on 8787: two test sessions on one machine do not collide
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
        env=env,
    )
    client = distributed.Client(cluster, set_as_default=False)
    try:
        yield Cluster(cluster.scheduler_address, client, cluster)
    finally:
        client.close()
        cluster.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses the shared data fixtures with ``data``."""
    for item in items:
        if _DATA_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.data)


# ------------------------------------------------------------- process exit
#
# The llvmlite wheel numba uses is built with LLVM assertions on. Once, after
# a whole run had passed (716 tests), the interpreter then aborted while it
# tore down numba's compiled modules ("StringMapImpl::RemoveKey: Didn't find
# key?", exit status 134); three other full runs, with cold and warm caches,
# ended cleanly. The run is over by then, so the test process leaves without
# that teardown, with pytest's own exit status.

_EXIT_STATUS = pytest.StashKey[int]()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.config.stash[_EXIT_STATUS] = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    if _EXIT_STATUS not in config.stash:
        return
    import sys

    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(config.stash[_EXIT_STATUS])
