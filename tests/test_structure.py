"""LD pruning and PCA against plink2 (--indep-pairwise, --pca, --pca approx) run here on
generated structured data."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from conftest import run_tool
from gwaskit.io import open_genotypes
from gwaskit.io.packed import pack_dosages
from gwaskit.structure.ld import high_ld_regions, in_regions, ld_planes, ld_prune, pair_r2
from gwaskit.structure.pca import principal_components, randomized_pca
from structured_data import make_cohort


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory):
    """Two chromosomes with LD decaying along them, 2% missing calls."""
    return make_cohort(
        tmp_path_factory.mktemp("ld"),
        n_per_pop=(120, 120),
        n_variants=4000,
        copy_prob=0.9,
        missing_rate=0.02,
        seed=4,
    )


@pytest.fixture(scope="module")
def three_pops(tmp_path_factory: pytest.TempPathFactory):
    """Three populations (Fst 0.05), no LD; without and with 1% missing calls."""
    folder = tmp_path_factory.mktemp("pca")
    kwargs = {"n_per_pop": (100, 100, 100), "n_variants": 4000, "fst": 0.05, "seed": 9}
    return (
        make_cohort(folder, name="complete", **kwargs),
        make_cohort(folder, name="missing", missing_rate=0.01, **kwargs),
    )


@pytest.mark.plink2
@pytest.mark.parametrize(("window", "step", "r2"), [(50, 5, 0.2), (1000, 50, 0.1)])
def test_ld_prune__same_kept_set_as_plink2_indep_pairwise(
    linked, plink2: str, window: int, step: int, r2: float
) -> None:
    out = linked.path.with_name(f"prune_{window}")
    run_tool(
        [
            *(plink2, "--bfile", str(linked.path.with_suffix(""))),
            *("--indep-pairwise", str(window), str(step), str(r2), "--out", str(out)),
        ]
    )
    expected = set(out.with_suffix(".prune.in").read_text().split())
    with open_genotypes(linked.path) as source:
        keep = ld_prune(source, window=window, step=step, r2=r2)
        ours = set(source.variants["variant_id"].filter(pl.Series(keep)).to_list())
    assert 0 < len(expected) < 4000
    # exact: same scan order (PLINK 1.x order of plink2 2.00a3), same missing-aware r, same
    # MAF tie rule and epsilon
    assert ours == expected


def test_ld_prune__unlinked_variants_all_kept(three_pops) -> None:
    with open_genotypes(three_pops[0].path) as source:
        keep = ld_prune(source, window=100, step=10, r2=0.5)
    # independent variants: sampling r^2 with 300 samples is ~1/300, far below 0.5
    assert keep.all()


def test_high_ld_regions__both_builds() -> None:
    grch37, grch38 = high_ld_regions("GRCh37"), high_ld_regions("GRCh38")
    assert grch37.height == 24 and grch38.height >= 24
    assert ("6", 25_000_000, 35_000_000) in grch37.rows()  # the MHC (Price et al. 2008)
    assert not grch38["chromosome"].str.starts_with("chr").any()
    variants = pl.DataFrame(
        {"chromosome": ["6", "6", "7"], "base_pair_location": [30e6, 36e6, 6e7]}
    )
    assert in_regions(variants.cast({"base_pair_location": pl.Int64}), grch37).tolist() == [
        True,
        False,
        True,
    ]


def _plink_pca(plink2: str, bed, *modifiers: str) -> tuple[np.ndarray, np.ndarray]:
    out = bed.with_name(bed.stem + "_pca" + "_".join(modifiers))
    run_tool(
        [plink2, "--bfile", str(bed.with_suffix("")), "--pca", "10", *modifiers, "--out", str(out)]
    )
    vectors = pl.read_csv(f"{out}.eigenvec", separator="\t")
    values = np.loadtxt(f"{out}.eigenval")
    return vectors.select([f"PC{k}" for k in range(1, 11)]).to_numpy(), values


@pytest.mark.plink2
def test_randomized_pca__matches_plink2_pca(three_pops, plink2: str) -> None:
    complete = three_pops[0]
    vectors, values = _plink_pca(plink2, complete.path)
    with open_genotypes(complete.path) as source:
        result = randomized_pca(source, n_pcs=10, seed=1)
    # eigenvalues: plink2 prints 6 significant digits and our iterations stop at a 1e-7
    # relative change of the Ritz values; 2e-5 covers both for all ten
    np.testing.assert_allclose(result.eigenvalues, values, rtol=2e-5)
    for k in range(10):
        r = np.corrcoef(vectors[:, k], result.eigenvectors[:, k])[0, 1]
        # the two structured PCs are determined exactly (|r| ~ 1 - 1e-6); the noise PCs are
        # also converged (|r| > 0.99 is the contract for the top PCs)
        assert abs(r) > (0.9999 if k < 2 else 0.99), (k, r)
    # unit-length eigenvectors, as plink2
    np.testing.assert_allclose(np.linalg.norm(result.eigenvectors, axis=0), 1.0, rtol=1e-6)


@pytest.mark.plink2
def test_randomized_pca__missing_calls_as_plink2(three_pops, plink2: str) -> None:
    missing = three_pops[1]
    exact_vectors, exact_values = _plink_pca(plink2, missing.path)
    _, approx_values = _plink_pca(plink2, missing.path, "approx")
    with open_genotypes(missing.path) as source:
        result = randomized_pca(source, n_pcs=10, seed=3)
    # exact --pca divides each GRM entry by the variants called in both samples; our
    # operator is that GRM under independent missingness (module docstring): the structured
    # eigenvalues agree to its print and convergence precision plus ~2e-5 of approximation
    np.testing.assert_allclose(result.eigenvalues[:3], exact_values[:3], rtol=1e-4)
    # --pca approx mean-imputes and divides by m: ~1% lower with 1% missing calls
    assert np.all(result.eigenvalues[:2] > approx_values[:2] * 1.005)
    for k in range(2):
        assert abs(np.corrcoef(exact_vectors[:, k], result.eigenvectors[:, k])[0, 1]) > 0.9999


def test_randomized_pca__seed_does_not_change_the_answer(three_pops) -> None:
    with open_genotypes(three_pops[0].path) as source:
        a = randomized_pca(source, n_pcs=4, seed=1)
        b = randomized_pca(source, n_pcs=4, seed=2, block_bytes=100_000, memory_bytes=0)
    # different random start and a streamed (uncached, small-block) route: same subspace
    np.testing.assert_allclose(a.eigenvalues, b.eigenvalues, rtol=1e-5)
    np.testing.assert_allclose(
        np.abs(a.eigenvectors[:, :2]), np.abs(b.eigenvectors[:, :2]), atol=1e-4
    )


def test_principal_components__separates_populations(three_pops) -> None:
    cohort = three_pops[1]
    with open_genotypes(cohort.path) as source:
        result = principal_components(source, n_pcs=3, seed=0, indep_pairwise=(200, 20, 0.2))
    assert result.steps["input"] == 4000 and result.steps["LD-pruned"] <= result.steps["maf"]
    pcs = result.eigenvectors[:, :2]
    centroids = np.array([pcs[cohort.population == k].mean(axis=0) for k in range(3)])
    within = max(pcs[cohort.population == k].std(axis=0).max() for k in range(3))
    gaps = [np.linalg.norm(centroids[i] - centroids[j]) for i, j in ((0, 1), (0, 2), (1, 2))]
    assert min(gaps) > 5 * within


def test_ld_prune__streamed_and_threaded_routes_give_one_answer(
    linked, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gwaskit.structure.ld as ld_module
    from gwaskit.engine import LocalEngine

    with open_genotypes(linked.path) as source:
        in_memory = ld_prune(source, window=200, step=20, r2=0.1)
        threaded = ld_prune(source, window=200, step=20, r2=0.1, engine=LocalEngine(2))
        monkeypatch.setattr(ld_module, "_MEMORY_BYTES", 0)  # reread windows from the file
        streamed = ld_prune(source, window=200, step=20, r2=0.1)
    np.testing.assert_array_equal(in_memory, threaded)
    np.testing.assert_array_equal(in_memory, streamed)


def test_pair_r2__matches_pearson_over_pairwise_complete_calls() -> None:
    rng = np.random.default_rng(2)
    n = 203  # not a multiple of 64 (nor of 4): padding bits must not count
    g = rng.integers(0, 3, (6, n)).astype(np.float64)
    g[1] = np.where(rng.random(n) < 0.7, g[0], g[1])  # correlated with variant 0
    g[2] = 2.0 - g[0]  # r = -1
    g[3] = 1.0  # constant: r^2 is 0 by convention
    g[rng.random(g.shape) < 0.1] = np.nan
    g[3, 0] = np.nan
    planes = ld_planes(pack_dosages(g), n)
    for a in range(6):
        for b in range(6):
            both = ~np.isnan(g[a]) & ~np.isnan(g[b])
            x, y = g[a, both], g[b, both]
            expected = 0.0 if x.std() == 0 or y.std() == 0 else np.corrcoef(x, y)[0, 1] ** 2
            # exact integer sums, one float64 formula: only rounding differs from corrcoef
            assert pair_r2(planes, a, b) == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert pair_r2(planes, 0, 2) == pytest.approx(1.0, rel=1e-12)


@pytest.mark.plink2
def test_ld_prune__sample_subset_as_plink2_keep(linked, plink2: str, tmp_path) -> None:
    chosen = np.arange(0, 240, 3)  # every third sample: 80, across both populations
    keep = tmp_path / "keep.txt"
    keep.write_text("".join(f"F{i}\tI{i}\n" for i in chosen))
    out = tmp_path / "sub"
    run_tool(
        [
            *(plink2, "--bfile", str(linked.path.with_suffix("")), "--keep", str(keep)),
            *("--indep-pairwise", "50", "5", "0.2", "--out", str(out)),
        ]
    )
    expected = set(out.with_suffix(".prune.in").read_text().split())
    with open_genotypes(linked.path) as source:
        mask = ld_prune(source, window=50, step=5, r2=0.2, sample_index=chosen)
        ours = set(source.variants["variant_id"].filter(pl.Series(mask)).to_list())
    assert 0 < len(expected) < 4000
    assert ours == expected  # exact, as for all samples
