"""Sample and variant QC: HWE exact test, call rates and KING kinship against plink2 run here on
generated data, and planted problems found by cohort_qc."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from bed_reader import to_bed
from scipy.special import gammaln, logsumexp

from conftest import run_tool
from gwaskit.io import open_genotypes
from gwaskit.io.genotypes import GenotypeSource
from gwaskit.qc.cohort import cohort_qc, sample_call_rate
from gwaskit.qc.hwe import hwe_neg_log10_p, hwe_neg_log10_p_one
from gwaskit.qc.kinship import king_kinship
from gwaskit.qc.packed import count_genotypes, packed_blocks, read_packed
from gwaskit.qc.samples import (
    closest_relative,
    expected_homozygosity,
    inbreeding_f,
    per_sample_counts,
    related_to_remove,
)
from gwaskit.qc.variants import variant_qc
from structured_data import make_cohort


def _hwe_brute(hom1: int, het: int, hom2: int, midp: bool) -> float:
    """-log10 HWE exact p by enumerating every het count (log space, scipy)."""
    n = hom1 + het + hom2
    n_rare = min(2 * hom1 + het, 2 * hom2 + het)
    ks = np.arange(n_rare % 2, n_rare + 1, 2)
    hom_rare = (n_rare - ks) // 2
    lp = ks * np.log(2) - gammaln(ks + 1) - gammaln(hom_rare + 1) - gammaln(n - ks - hom_rare + 1)
    lp_obs = lp[ks == het][0]
    tie = np.abs(lp - lp_obs) <= 1e-7
    tail = lp[lp <= lp_obs + 1e-7]
    log_p = logsumexp(tail) - logsumexp(lp)
    if midp:
        log_p = np.log(np.exp(log_p) - 0.5 * np.exp(logsumexp(lp[tie]) - logsumexp(lp)))
    return -log_p / np.log(10)


def test_hwe_neg_log10_p__matches_enumeration() -> None:
    # naive vs fast; 1e-9 relative: both are double-precision sums of the same terms
    rng = np.random.default_rng(7)
    for _ in range(500):
        n = int(rng.integers(1, 400))
        counts = rng.multinomial(n, rng.dirichlet([1, 1, 1]))
        for midp in (False, True):
            fast = hwe_neg_log10_p_one(*counts, midp)
            slow = _hwe_brute(*counts, midp)
            assert fast == pytest.approx(slow, rel=1e-9, abs=1e-12), (counts, midp)


def test_hwe_neg_log10_p__does_not_underflow() -> None:
    # 3000 heterozygotes and no homozygote: p ~ 1e-900, far below the smallest double
    slow = _hwe_brute(0, 3000, 0, False)
    fast = hwe_neg_log10_p(np.array([[0, 3000, 0]], dtype=np.int64), False)[0]
    assert slow > 800
    assert fast == pytest.approx(slow, rel=1e-10)


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("qc")
    return make_cohort(
        folder, n_variants=3000, missing_rate=0.02, related=True, n_x=100, fst=0.02, seed=11
    )


def _plink(plink2: str, bed: Path, *args: str) -> Path:
    out = bed.with_name(bed.stem + "_ref")
    run_tool([plink2, "--bfile", str(bed.with_suffix("")), *args, "--out", str(out)])
    return out


@pytest.mark.plink2
@pytest.mark.parametrize("midp", [False, True])
def test_variant_qc__hwe_matches_plink2_hardy(cohort, plink2: str, midp: bool) -> None:
    out = _plink(plink2, cohort.path, "--chr", "1-22", "--hardy", *(["midp"] if midp else []))
    ref = pl.read_csv(f"{out}.hardy", separator="\t")
    with open_genotypes(cohort.path) as source:
        result = variant_qc(source, geno=None, maf=None, hwe=None, hwe_midp=midp)
    ours = result.table.filter(pl.col("chromosome") != "X")
    assert ours["variant_id"].to_list() == ref["ID"].to_list()
    # plink2 prints p with 6 significant digits: relative error up to 5e-6 in p, i.e.
    # about 2.2e-6 in -log10 p
    p_ref = ref["MIDP" if midp else "P"].to_numpy()
    np.testing.assert_allclose(10 ** -ours["hwe_neg_log10_p"].to_numpy(), p_ref, rtol=5e-6)
    # the genotype counts are the same (plink2's A1 here is the .bim A2; HOM_A1_CT = ours hom_other)
    np.testing.assert_array_equal(ours["n_het"].to_numpy(), ref["HET_A1_CT"].to_numpy())


@pytest.mark.plink2
def test_call_rates__match_plink2_missing(cohort, plink2: str) -> None:
    out = _plink(plink2, cohort.path, "--chr", "1-22", "--missing")
    vmiss = pl.read_csv(f"{out}.vmiss", separator="\t")
    smiss = pl.read_csv(f"{out}.smiss", separator="\t")
    with open_genotypes(cohort.path) as source:
        table = variant_qc(source, geno=None, maf=None, hwe=None).table
        autosomal = (source.variants["chromosome"] != "X").to_numpy()
        sub = _Subset(source, np.flatnonzero(autosomal))
        call_rate = sample_call_rate(sub)
    # F_MISS printed with 6 significant digits
    ours_v = 1 - table.filter(pl.col("chromosome") != "X")["call_rate"].to_numpy()
    np.testing.assert_allclose(ours_v, vmiss["F_MISS"].to_numpy(), rtol=5e-6, atol=1e-12)
    np.testing.assert_allclose(1 - call_rate, smiss["F_MISS"].to_numpy(), rtol=5e-6)


@pytest.mark.plink2
def test_king_kinship__matches_plink2_make_king_table(cohort, plink2: str) -> None:
    out = _plink(plink2, cohort.path, "--chr", "1-22", "--make-king-table")
    ref = pl.read_csv(f"{out}.kin0", separator="\t").rename(
        # plink2 lists each pair as (later sample, earlier sample)
        {"#FID1": "fid2", "IID1": "iid2", "FID2": "fid1", "IID2": "iid1"}
    )
    with open_genotypes(cohort.path) as source:
        autosomal = (source.variants["chromosome"] != "X").to_numpy()
        ours = king_kinship(source, variant_mask=autosomal).table(source.samples)
    both = ours.join(ref, on=["fid1", "iid1", "fid2", "iid2"], how="inner")
    assert both.height == ours.height == ref.height == 300 * 299 // 2
    np.testing.assert_array_equal(both["n_variants"], both["NSNP"])
    # plink2 prints 6 significant digits: the only difference allowed
    np.testing.assert_allclose(both["kinship"], both["KINSHIP"], rtol=5e-6, atol=1e-9)
    np.testing.assert_allclose(both["hethet"] / both["n_variants"], both["HETHET"], rtol=5e-6)
    np.testing.assert_allclose(
        both["ibs0"] / both["n_variants"], both["IBS0"], rtol=5e-6, atol=1e-9
    )
    kin = dict(zip(zip(ours["iid1"], ours["iid2"], strict=True), ours["kinship"], strict=True))
    for kind, expected in (("duplicate", 0.5), ("parent_offspring", 0.25), ("siblings", 0.25)):
        for i, j in cohort.relations[kind]:
            # 2,900 variants: the sampling SD of a first-degree kinship is about 0.01
            assert kin[(f"I{i}", f"I{j}")] == pytest.approx(expected, abs=0.04)


class _Subset(GenotypeSource):
    """A source over some variants of another, without packed access (the float fallback)."""

    def __init__(self, source: GenotypeSource, variants: np.ndarray) -> None:
        self._source, self._variants = source, variants
        self.path, self.samples, self.build = source.path, source.samples, source.build
        self.variants = source.variants[variants]

    def _read(self, variants: np.ndarray, samples: np.ndarray) -> np.ndarray:
        return self._source.read(self._variants[variants], samples)


def test_read_packed__float_fallback_gives_the_same_counts(cohort) -> None:
    with open_genotypes(cohort.path) as source:
        fallback = _Subset(source, np.arange(source.n_variants))
        groups = np.zeros(source.n_samples, dtype=np.int8)
        for block in packed_blocks(source, block_bytes=10_000):
            packed = read_packed(source, block)
            assert packed.shape == (len(block), (source.n_samples + 3) // 4)
            np.testing.assert_array_equal(
                count_genotypes(packed, groups, 1),
                count_genotypes(read_packed(fallback, block), groups, 1),
            )
        dosages = source.read(range(50))
    counts = count_genotypes(read_packed(fallback, range(50)), groups, 1)[:, 0]
    np.testing.assert_array_equal(counts[:, 1], np.isnan(dosages).sum(axis=0))
    np.testing.assert_array_equal(counts[:, 2], (dosages == 1).sum(axis=0))
    np.testing.assert_array_equal(counts[:, 0], (dosages == 2).sum(axis=0))


def test_related_to_remove__keeps_most_samples_and_prefers_cases() -> None:
    # a trio 0-1-2 where 2 is related to both parents: removing 2 alone suffices
    assert related_to_remove(np.array([[0, 2], [1, 2]]), 3).tolist() == [2]
    # a pair case (0) - control (1): the control goes
    case = np.array([True, False])
    assert related_to_remove(np.array([[0, 1]]), 2, is_case=case).tolist() == [1]
    assert related_to_remove(np.array([[0, 1]]), 2, is_case=~case).tolist() == [0]
    assert related_to_remove(np.zeros((0, 2), dtype=np.int64), 2).size == 0


def test_cohort_qc__removes_planted_problems(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    c = make_cohort(tmp_path, n_variants=3000, related=True, n_x=200, fst=0.02, seed=5)
    g = c.genotypes.copy()
    n, m = g.shape
    g[10, rng.random(m) < 0.2] = np.nan  # sample 10: 80% call rate
    g[11, rng.random(m) < 0.5] = 1.0  # sample 11: contaminated, excess heterozygosity
    g[:, 20] = 1.0  # variant 20: everyone heterozygous (HWE)
    g[rng.random(n) < 0.2, 21] = np.nan  # variant 21: 80% call rate
    g[:, 22] = 2.0  # variant 22: monomorphic
    sex = c.sex.copy()
    flipped = 12 if sex[12] == 1 else 13
    sex[flipped] = 3 - sex[flipped]  # reported sex disagrees with X
    bed = tmp_path / "planted.bed"
    to_bed(
        bed,
        g.astype(np.float32),
        properties={
            "fid": [f"F{i}" for i in range(n)],
            "iid": [f"I{i}" for i in range(n)],
            "sex": sex,
            "chromosome": ["1"] * (m - 200) + ["X"] * 200,
            "sid": [f"rs{v + 1}" for v in range(m)],
            "bp_position": np.arange(1, m + 1) * 1000,
        },
    )
    with open_genotypes(bed) as source:
        result = cohort_qc(source, phenotype=c.phenotype)
    removed = dict(
        zip(result.removed_samples["iid"], result.removed_samples["reason"], strict=True)
    )
    assert removed.pop("I10") == "call_rate"
    assert removed.pop("I11") == "heterozygosity"
    assert removed.pop(f"I{flipped}") == "sex_mismatch"
    # the family (0, 1 parents; 2, 3, 4 children) loses the three children, the duplicate pair
    # (5, 6) loses one
    assert {k for k, v in removed.items() if v == "relatedness"} >= {"I2", "I3", "I4"}
    assert len([k for k in ("I5", "I6") if k in removed]) == 1
    assert set(removed) <= {"I2", "I3", "I4", "I5", "I6"}
    reasons = dict(zip(result.variants["variant_id"], result.variants["reason"], strict=True))
    assert "hwe" in reasons["rs21"] and "call_rate" in reasons["rs22"] and reasons["rs23"] == "maf"
    assert result.keep_samples.sum() == n - result.removed_samples.height
    assert (result.samples["keep"].to_numpy() == result.keep_samples).all()


@pytest.mark.plink2
def test_inbreeding_f__matches_plink2_het_small_sample(cohort, plink2: str) -> None:
    out = _plink(plink2, cohort.path, "--chr", "1-22", "--het", "small-sample")
    ref = pl.read_csv(f"{out}.het", separator="\t")
    with open_genotypes(cohort.path) as source:
        table = variant_qc(source, geno=None, maf=None, hwe=None).table
        autosomal = (table["chromosome"] != "X").to_numpy()
        counts = table.select("n_hom_effect", "n_het", "n_hom_other").to_numpy()
        weights = np.where(autosomal, expected_homozygosity(counts), np.nan)
        per_sample = per_sample_counts(source, weights)
    np.testing.assert_array_equal(per_sample[:, 1] + per_sample[:, 2], ref["OBS_CT"])
    np.testing.assert_array_equal(per_sample[:, 2], ref["O(HOM)"])
    # E(HOM) and F printed with 6 significant digits
    np.testing.assert_allclose(per_sample[:, 3], ref["E(HOM)"], rtol=5e-6)
    np.testing.assert_allclose(inbreeding_f(per_sample), ref["F"], rtol=1e-4, atol=5e-6)


def test_king_kinship__tiles_and_cut_off_keep_the_same_pairs(
    cohort, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gwaskit.qc.kinship as kinship_module

    with open_genotypes(cohort.path) as source:
        chosen = np.arange(2, source.n_samples)  # a subset: pairs name source indices
        full = king_kinship(source, sample_index=chosen)
        monkeypatch.setattr(kinship_module, "_TILE", 37)  # ragged tiles, many of them
        tiled = king_kinship(source, sample_index=chosen)
        close = king_kinship(source, sample_index=chosen, min_kinship=0.1)
    assert full.pairs.shape == (chosen.size * (chosen.size - 1) // 2, 2)
    ii, jj = np.triu_indices(chosen.size, k=1)  # row-major pairs i < j
    np.testing.assert_array_equal(full.pairs, np.column_stack([chosen[ii], chosen[jj]]))
    for name in ("pairs", "n_variants", "hethet", "ibs0", "kinship"):
        np.testing.assert_array_equal(getattr(tiled, name), getattr(full, name))
    above = full.kinship > 0.1
    assert 0 < above.sum() < 20  # the planted relatives only
    np.testing.assert_array_equal(close.pairs, full.pairs[above])
    np.testing.assert_array_equal(close.kinship, full.kinship[above])


def _greedy_naive(pairs: np.ndarray, n: int, case: np.ndarray, rate: np.ndarray) -> list[int]:
    """The greedy removal written plainly: most remaining pairs first, then control, then
    lower call rate, then later sample."""
    left = {tuple(sorted(p)) for p in pairs.tolist() if p[0] != p[1]}
    out = []
    while left:
        degree = np.zeros(n, dtype=int)
        for a, b in left:
            degree[a] += 1
            degree[b] += 1
        worst = max(np.flatnonzero(degree), key=lambda s: (degree[s], not case[s], -rate[s], s))
        out.append(int(worst))
        left = {p for p in left if worst not in p}
    return sorted(out)


def test_related_to_remove__same_as_plain_greedy_on_random_graphs() -> None:
    rng = np.random.default_rng(3)
    for _ in range(40):
        n = int(rng.integers(2, 40))
        pairs = rng.integers(0, n, (int(rng.integers(1, 60)), 2))
        case = rng.random(n) < 0.3
        rate = rng.choice([0.97, 0.98, 0.99], n)  # ties in call rate happen
        expected = _greedy_naive(pairs, n, case, rate)
        ours = related_to_remove(pairs, n, is_case=case, call_rate=rate)
        assert ours.tolist() == expected


def test_closest_relative__highest_kinship_first_pair_on_ties() -> None:
    pairs = np.array([[0, 1], [1, 2], [2, 3], [0, 3]])
    kinship = np.array([0.2, 0.3, 0.3, 0.1])
    other, kin = closest_relative(pairs, kinship, np.array([3, 1, 2]))
    # sample 2: pairs (1, 2) and (2, 3) tie at 0.3; the first listed wins
    assert other.tolist() == [2, 2, 1]
    assert kin.tolist() == [0.3, 0.3, 0.3]


def test_variant_qc__pseudo_autosomal_x_uses_everyone_for_hwe(tmp_path: Path) -> None:
    """On GRCh37, X:60,001-2,699,520 is diploid in males: HWE there uses every sample, not
    the females only (X outside it, or any X when the build is unknown)."""
    rng = np.random.default_rng(3)
    n = 200
    g = rng.binomial(2, 0.3, (n, 4)).astype(np.float32)
    bed = tmp_path / "par.bed"
    to_bed(
        bed,
        g,
        properties={
            "sex": rng.integers(1, 3, n),
            "chromosome": ["X"] * 4,
            "bp_position": [100_000, 2_000_000, 3_000_000, 50_000_000],
        },
    )
    with open_genotypes(bed, build="GRCh37") as source:
        grch37 = variant_qc(source, geno=None, maf=None, hwe=None).table
    with open_genotypes(bed) as source:
        unknown = variant_qc(source, geno=None, maf=None, hwe=None).table
    assert grch37["hwe_samples"].to_list() == ["all", "all", "females", "females"]
    assert unknown["hwe_samples"].to_list() == ["females"] * 4
