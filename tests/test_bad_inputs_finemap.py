"""Fine-mapping's bad inputs: one clear message naming the variants, never a wrong set."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from gwaskit.errors import ParameterError
from gwaskit.finemap.tables import susie_rss_region


def _region(z: np.ndarray) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "variant_id": [f"v{i}" for i in range(z.size)],
            "beta": z * 0.01,
            "standard_error": np.full(z.size, 0.01),
        }
    )


def _ld(p: int, rho: float = 0.95) -> np.ndarray:
    i = np.arange(p)
    return rho ** np.abs(i[:, None] - i[None, :])


def test_susie_rss_region__ld_not_psd_names_variants():
    r = _ld(6)
    r[0, 5] = r[5, 0] = -0.9  # impossible with the chain of 0.95 between them
    with pytest.raises(ParameterError, match=r"not positive semi-definite.*v\d"):
        susie_rss_region(_region(np.ones(6)), r, n=5000)


def test_susie_rss_region__allele_flip_named():
    r = _ld(20)
    z = 6.0 * r[:, 8]
    z[9] = -z[9]  # the other allele counted for v9
    with pytest.raises(ParameterError, match=r"allele flips.*\bv9\b"):
        susie_rss_region(_region(z), r, n=5000)
    ok = susie_rss_region(_region(6.0 * r[:, 8]), r, n=5000)
    assert ok.variants.height == 20 and ok.sets.height == 1


def test_susie_rss_region__no_overlap():
    with pytest.raises(ParameterError, match="no variants shared with the LD panel"):
        susie_rss_region(_region(np.array([])), np.zeros((0, 0)), n=5000)


def test_susie_rss_region__bad_standard_error_named():
    region = _region(np.ones(3)).with_columns(pl.Series("standard_error", [0.01, 0.0, 0.01]))
    with pytest.raises(ParameterError, match=r"positive standard_error: v1"):
        susie_rss_region(region, _ld(3), n=5000)


def test_susie_rss_region__ld_shape_mismatch():
    with pytest.raises(ParameterError, match="must be 3 x 3"):
        susie_rss_region(_region(np.ones(3)), _ld(4), n=5000)
