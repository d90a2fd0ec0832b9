"""Shared fixtures: the public reference data and the reference tools (PLINK 2, GWAMA)."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import settings

# CI (which sets CI=true) draws the same examples on every run: a property that fails there fails
# again on a rerun and locally with CI=true; elsewhere hypothesis keeps exploring new examples.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

#: Fixture modules shared by several test files.
pytest_plugins = ["loci_fixtures"]

REPO = Path(__file__).resolve().parents[1]
#: Real public data sets the tests read, vendored into ``tests/data/`` (one folder per source,
#: each with its PROVENANCE.md or README giving origin, licence and checksums), so a
#: fresh clone passes its tests with nothing beside it. See ``tests/data/README.md``.
TEST_DATA = REPO / "tests" / "data"


@pytest.fixture(autouse=True)
def _restore_logging():
    """``main`` sets the level of gwaskit's logger (and with ``-vv`` the root logger's
    handlers): restore both after each test, so one test's ``-q`` does not silence the next."""
    saved = [
        (logger, list(logger.handlers), logger.level, logger.propagate)
        for logger in (logging.getLogger(), logging.getLogger("gwaskit"))
    ]
    yield
    for logger, handlers, level, propagate in saved:
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate


@pytest.fixture(scope="session")
def test_data() -> Path:
    if not TEST_DATA.is_dir():
        pytest.fail(f"vendored reference data not found at {TEST_DATA} (tests/data)")
    return TEST_DATA


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed; ./scripts/test installs it (apt-get install)")
    return path


@pytest.fixture(scope="session")
def plink2() -> str:
    """Path of the plink2 binary (Debian's 2.00a3.5)."""
    return _tool("plink2")


@pytest.fixture(scope="session")
def gwama() -> str:
    """Path of the GWAMA binary."""
    return _tool("GWAMA")


@pytest.fixture(scope="session")
def gwas_ssf() -> Path:
    """The GWAS Catalog's validator ``gwas-ssf`` (gwas-sumstats-tools), in ``.venv-ssf``."""
    path = REPO / ".venv-ssf" / "bin" / "gwas-ssf"
    if not path.is_file():
        pytest.fail(f"{path} is not installed; ./scripts/setup test installs it (.venv-ssf)")
    return path


def run_tool(args: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run a reference tool with one BLAS thread (Debian's builds fight their own threads)."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise AssertionError(
            f"{args[0]} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result


@pytest.fixture(scope="session")
def ldsc_python() -> str:
    """Python of the separate venv holding the ``ldsc`` package (2.0.1), which needs
    ``numpy<2 pandas<2 scipy<1.12 bitarray<3``; ``scripts/setup test`` creates ``.venv-ldsc``."""
    path = REPO / ".venv-ldsc" / "bin" / "python"
    if not path.is_file():
        pytest.fail("the ldsc venv is missing (.venv-ldsc); ./scripts/test installs it")
    return str(path)
