"""GWAMA's binary-trait inputs (OR and its 95 % CI, no SE) read by gwaskit give GWAMA's own
meta-analysis, GWAMA run here in binary-trait mode on the same files.

GWAMA reads ``SE = (ln OR_95U - ln OR_95L) / 3.92`` and prints 6 decimals; the comparison is
1e-6 relative or one unit of the last printed digit (as in ``test_meta_reference.py``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from conftest import run_tool
from gwaskit.io.sumstats import read_sumstats
from gwaskit.meta.combine import meta_analyse
from gwaskit.meta.harmonise import harmonise
from test_meta_reference import _align, _check_gwama_p, _directions, _read_gwama, _relative


def binary_cohorts(folder: Path, *, n_studies: int, n_variants: int, seed: int) -> list[Path]:
    """GWAMA binary-trait inputs as its manual documents them (``MARKERNAME EA NEA OR OR_95L
    OR_95U EAF N STRAND IMPUTED``, with CHROMOSOME and POSITION): differing variant sets, allele swaps, no palindromic SNPs,
    true log odds ratios at 5 % of variants; OR and CI printed to 6 significant digits."""
    rng = np.random.default_rng(seed)
    pairs = np.array([("A", "G"), ("A", "C"), ("C", "T"), ("G", "T")])
    which = rng.integers(0, len(pairs), n_variants)
    a1, a2 = pairs[which, 0], pairs[which, 1]
    freq = rng.uniform(0.05, 0.95, n_variants)
    effect = np.where(rng.random(n_variants) < 0.05, rng.normal(0, 0.1, n_variants), 0.0)
    paths = []
    for s in range(n_studies):
        n = rng.integers(800, 6000, n_variants)
        keep = rng.random(n_variants) < 0.9
        f = np.clip(freq + rng.normal(0, 0.02, n_variants), 0.02, 0.98)
        se = 2.0 / np.sqrt(n * f * (1 - f))  # log-OR SE at about 1:1 cases to controls
        beta = effect + rng.normal(0, 1, n_variants) * se
        swap = rng.random(n_variants) < 0.5
        ea, nea = np.where(swap, a2, a1), np.where(swap, a1, a2)
        beta = np.where(swap, -beta, beta)
        table = pl.DataFrame(
            {
                "MARKERNAME": [f"rs{i + 1}" for i in range(n_variants)],
                "CHROMOSOME": (np.arange(n_variants) % 3 + 1).astype(str),
                "POSITION": 1000 + np.arange(n_variants) * 10,
                "EA": ea,
                "NEA": nea,
                "OR": [f"{x:.6g}" for x in np.exp(beta)],
                "OR_95L": [f"{x:.6g}" for x in np.exp(beta - 1.96 * se)],
                "OR_95U": [f"{x:.6g}" for x in np.exp(beta + 1.96 * se)],
                "EAF": np.round(np.where(swap, 1 - f, f), 6),
                "N": n,
                "STRAND": "+",
                "IMPUTED": 0,
            }
        ).filter(pl.Series(keep))
        path = folder / f"study{s}.txt"
        table.write_csv(path, separator="\t")
        paths.append(path)
    return paths


@pytest.mark.gwama
@pytest.mark.parametrize(("options", "method"), [([], "fixed"), (["--random"], "random")])
def test_read_sumstats__gwama_binary_agrees_with_gwama(
    tmp_path: Path, gwama: str, options: list[str], method: str
) -> None:
    paths = binary_cohorts(tmp_path, n_studies=3, n_variants=2000, seed=11)
    (tmp_path / "gwama.in").write_text("".join(f"{p.name}\n" for p in paths))
    run_tool([gwama, "--filelist", "gwama.in", "--output", "ref", *options], cwd=tmp_path)
    expected = _read_gwama(tmp_path / "ref.out")
    studies = {}
    for p in paths:
        table, meta = read_sumstats(p)
        assert meta["format"] == "gwama"
        assert table["standard_error"].is_finite().all()
        studies[p.stem] = table
    result = meta_analyse(harmonise(studies, palindromic="forward"), method=method).table
    joined, sign = _align(result, expected, "rs_number", "reference_allele", "other_allele")
    assert joined.height == expected.height == result.height == 2000
    if method == "random":
        # GWAMA --random computes Q of a one-study variant as a tiny negative number (printed
        # "-0.0") for some, and then a z that is neither the study's nor the fixed-effect one
        # (rs729: study z -1.066, GWAMA -0.664). Those 4 rows (of 61 one-study variants; 2 with
        # a wrong z) are compared in the fixed-effect run.
        single = np.signbit(joined["ref:q_statistic"].to_numpy()) & (
            joined["n_studies"].to_numpy() == 1
        )
        assert single.sum() == 4
        joined, sign = joined.filter(pl.Series(~single)), sign[~single]
    beta = sign * joined["beta"].to_numpy()
    se = joined["standard_error"].to_numpy()
    _relative(np.exp(beta), joined["ref:OR"])
    if method == "fixed":  # GWAMA's random-effects interval is not exp(beta +- 1.96 SE)
        _relative(np.exp(beta - 1.96 * se), joined["ref:OR_95L"])
        _relative(np.exp(beta + 1.96 * se), joined["ref:OR_95U"])
    _relative(sign * joined["z"].to_numpy(), joined["ref:z"])
    _relative(joined["het_q"], joined["ref:q_statistic"])
    _relative(joined["i2"], joined["ref:i2"])
    _check_gwama_p(joined)
    np.testing.assert_array_equal(joined["n"], joined["ref:n_samples"])
    np.testing.assert_array_equal(joined["n_studies"], joined["ref:n_studies"])
    assert _directions(joined, sign) == joined["ref:effects"].to_list()
