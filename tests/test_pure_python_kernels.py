"""The numba kernels are also plain Python: run once with ``NUMBA_DISABLE_JIT=1`` they give the
same results as compiled (a kernel that only works compiled, e.g. one calling a numba intrinsic
from Python, would fail here), and the docstring examples of the package run (doctest).

The verbs are run on a tiny cohort (80 samples x 24 variants, 2 % missing calls) so that the
interpreted kernels finish in seconds: ``qc`` (genotype counts, HWE, KING kinship), ``pca`` (LD
pruning bit planes, the GRM), ``assoc`` with every test (design, linear, logistic + Firth, score +
SPA, trend) and a BGEN read (the layout-2 decoder).
"""

from __future__ import annotations

import doctest
import importlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import gwaskit
from assoc_helpers import simulate_genotypes, write_bed, write_table

HERE = Path(__file__).resolve().parent
TESTS = ("score", "wald", "firth", "trend")


def _cohort(folder: Path) -> None:
    rng = np.random.default_rng(11)
    n = 80
    g = simulate_genotypes(rng, n, rng.uniform(0.1, 0.5, 24), missing_rate=0.02)
    iid = write_bed(folder / "c", g)
    case = rng.random(n) < 1 / (1 + np.exp(-(np.nan_to_num(g[:, 2]) - 1.0)))
    write_table(folder / "pheno.txt", iid, {"CC": case + 1.0, "Q": rng.normal(size=n)})


def run_verbs(folder: Path, bgen: Path) -> dict[str, np.ndarray]:
    """Every verb whose work is done by numba kernels; their numeric outputs by name."""
    from gwaskit.cli import main
    from gwaskit.io.genotypes import open_genotypes

    out: dict[str, np.ndarray] = {}
    base = ["--no-progress", "-q"]
    assert main(["qc", str(folder / "c"), "--out", str(folder / "qc"), *base]) == 0
    variants = pl.read_parquet(folder / "qc.variants.parquet")
    out["variants"] = variants.select(pl.selectors.numeric()).to_numpy().astype(float)
    samples = pl.read_parquet(folder / "qc.samples.parquet")
    out["samples"] = samples.select(pl.selectors.numeric()).to_numpy().astype(float)
    pcs = ["pca", str(folder / "c"), "--out", str(folder / "pcs"), "--pcs", "2", "--seed", "1"]
    assert main([*pcs, *base]) == 0
    out["eigenval"] = np.loadtxt(folder / "pcs.eigenval")
    for test in TESTS:
        name = "Q" if test == "wald" else "CC"
        argv = ["assoc", str(folder / "c"), "--pheno", str(folder / "pheno.txt")]
        argv += ["--pheno-name", name, "--test", test, "--out", str(folder / test), *base]
        if test == "wald":
            argv += ["--pheno-type", "quantitative"]
        assert main(argv) == 0
        table = pl.read_parquet(folder / f"{test}.parquet")
        out[test] = table.select("beta", "standard_error", "neg_log_10_p_value").to_numpy()
    with open_genotypes(bgen) as source:
        out["bgen"] = source.read()
    return out


def _bgen(test_data: Path) -> Path:
    folder = test_data / "field_formats" / "bgen"
    return sorted(folder.glob("*8bits*.bgen"))[0]


@pytest.mark.slow
def test_kernels__interpreted_equal_compiled(tmp_path: Path, test_data: Path) -> None:
    bgen = _bgen(test_data)
    (tmp_path / "jit").mkdir()
    (tmp_path / "py").mkdir()
    for sub in ("jit", "py"):
        _cohort(tmp_path / sub)
    compiled = run_verbs(tmp_path / "jit", bgen)
    script = (
        "import sys, numpy as np\n"
        f"sys.path.insert(0, {str(HERE)!r})\n"
        "from pathlib import Path\n"
        "from test_pure_python_kernels import run_verbs\n"
        f"np.savez(sys.argv[1], **run_verbs(Path({str(tmp_path / 'py')!r}), Path({str(bgen)!r})))\n"
    )
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1", "PYTHONPATH": os.pathsep.join(sys.path)}
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "py.npz")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    interpreted = dict(np.load(tmp_path / "py.npz"))
    assert sorted(interpreted) == sorted(compiled)
    compared = 0
    for name, value in compiled.items():
        assert value.size > 0, name
        np.testing.assert_allclose(interpreted[name], value, rtol=1e-9, atol=1e-12, err_msg=name)
        compared += value.size
    assert compared > 24 * 3 * len(TESTS)


def _modules_with_examples() -> list[str]:
    root = Path(gwaskit.__file__).parent
    names = []
    for path in sorted(root.rglob("*.py")):
        if ">>> " in path.read_text(encoding="utf-8"):
            parts = path.relative_to(root.parent).with_suffix("").parts
            names.append(".".join(p for p in parts if p != "__init__"))
    return names


def test_doctests__every_example_in_the_package_runs() -> None:
    names = _modules_with_examples()
    assert len(names) >= 5
    attempted = 0
    for name in names:
        module = importlib.import_module(name)
        result = doctest.testmod(
            module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
        )
        assert result.failed == 0, name
        attempted += result.attempted
    assert attempted >= len(names)
