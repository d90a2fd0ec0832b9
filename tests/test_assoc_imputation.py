"""Imputation quality, variant filters, per-variant N and Firth SE of `gwaskit assoc`.

References: plink2 (2.00a3.5) run in the test on a vendored BGEN (the bgen reference
implementation's example.16bits.bgen, 500 samples x 199 variants) and on a dosage VCF that plink2
exports from it; closed forms worked by hand; an independent optimiser of Firth's penalised
likelihood.

Tolerances, and why:
* MaCH r2 to 1e-4 absolute (the issue's bound): plink2 prints 6 significant digits and stores
  dosages in 1/16384 units, gwaskit reads the BGEN's 16-bit probabilities as float32.
* Firth: z^2 = chi2 of the penalised LRT to 1e-8 relative (SE is derived from chi2, so only
  rounding separates them); the chi2 itself equals an independent BFGS optimum to 1e-6 relative.
"""

from __future__ import annotations

import gzip

import numpy as np
import polars as pl
import pytest
import yaml
from scipy import optimize, stats
from scipy.special import expit

from assoc_helpers import write_table
from conftest import run_tool
from gwaskit.assoc.design import make_design
from gwaskit.assoc.imputation import (
    dosage_spread,
    imputation_quality,
    impute2_info,
    impute2_info_from_probabilities,
)
from gwaskit.assoc.logistic import fit_logistic_null, logistic_block
from gwaskit.assoc.scan import ScanOptions, run_scan
from gwaskit.io import open_genotypes


@pytest.fixture(scope="module")
def imputed(tmp_path_factory, test_data, plink2):
    """The BGEN, a DS VCF plink2 exports from it, plink2's MaCH r2 of both, a phenotype."""
    folder = tmp_path_factory.mktemp("imputed")
    bgen = test_data / "field_formats" / "bgen" / "example.16bits.bgen"
    sample = test_data / "field_formats" / "bgen" / "example.sample"
    load = ["--bgen", str(bgen), "ref-first", "--sample", str(sample)]
    run_tool([plink2, *load, "--freq", "cols=+machr2", "--out", str(folder / "bgen")])
    run_tool([plink2, *load, "--export", "vcf", "vcf-dosage=DS", "--out", str(folder / "dosage")])
    run_tool([plink2, *load, "--make-pgen", "--out", str(folder / "dosage")])
    run_tool(
        [plink2, "--pfile", str(folder / "dosage"), "--freq", "cols=+machr2", "--out",
         str(folder / "pgen")]
    )  # fmt: skip
    vcf = folder / "dosage.vcf"
    run_tool(
        [
            plink2,
            "--vcf",
            str(vcf),
            "dosage=DS",
            "--freq",
            "cols=+machr2",
            "--out",
            str(folder / "vcf"),
        ]
    )
    source = open_genotypes(bgen, sample=sample)
    iid = source.samples["iid"].to_list()
    rng = np.random.default_rng(18)
    g = source.read()
    eta = -1.2 + 0.9 * np.nan_to_num(g[:, 10]) - 0.8 * np.nan_to_num(g[:, 50])
    case = rng.random(len(iid)) < expit(eta)
    write_table(folder / "pheno.txt", iid, {"Q": rng.normal(size=len(iid)), "CC": case + 1.0})
    return {"folder": folder, "bgen": bgen, "sample": sample, "vcf": vcf}


def _plink2_machr2(path) -> pl.DataFrame:
    table = pl.read_csv(path, separator="\t", null_values=["NA"])
    return table.select(
        pl.col("ID").alias("rsid_plink2"),
        pl.col("MACH_R2").cast(pl.Float64).alias("plink2"),
        pl.col("OBS_CT"),
        pl.int_range(pl.len()).alias("row"),
    )


@pytest.mark.parametrize("kind", ["bgen", "vcf", "pgen"])
def test_assoc__mach_r2_equals_plink2_freq_machr2(imputed, kind):
    if kind == "bgen":
        source = open_genotypes(imputed["bgen"], sample=imputed["sample"])
    elif kind == "vcf":
        source = open_genotypes(imputed["vcf"], field="DS")
    else:  # the BGEN's dosages as plink2 stores them (1/16384 units)
        source = open_genotypes(imputed["folder"] / "dosage")
    result = run_scan(source, imputed["folder"] / "pheno.txt", pheno_name="Q", progress=False)
    ours = result.sumstats.with_columns(pl.int_range(pl.len()).alias("row"))
    theirs = _plink2_machr2(imputed["folder"] / f"{kind}.afreq")
    both = ours.join(theirs, on="row")
    # same variants in the same order (plink2 names them by the BGEN rsid)
    assert both.height == 199 == source.n_variants
    assert both["n"].cast(pl.Int64).to_list() == (both["OBS_CT"] // 2).to_list()
    compared = both.filter(pl.col("plink2").is_not_null())
    assert compared.height >= 195  # all but monomorphic variants, which plink2 leaves NA
    diff = (compared["machr2"] - compared["plink2"]).abs()
    assert diff.max() < 1e-4, compared.filter(diff == diff.max())
    # plink2's NA (monomorphic) is ours too
    assert both.filter(pl.col("plink2").is_null())["machr2"].is_null().all()


def test_impute2_info__hand_worked_example():
    # 4 samples, genotype probabilities (P(0), P(1), P(2)) of the effect allele:
    #   s1 (0.9, 0.1, 0.0): e = 0.1, f = 0.1,  f - e^2 = 0.09
    #   s2 (0.2, 0.6, 0.2): e = 1.0, f = 1.4,  f - e^2 = 0.40
    #   s3 (0.0, 0.0, 1.0): e = 2.0, f = 4.0,  f - e^2 = 0
    #   s4 (1.0, 0.0, 0.0): e = 0.0, f = 0.0,  f - e^2 = 0
    # theta = (0.1 + 1 + 2 + 0) / 8 = 0.3875; 2 N theta (1 - theta) = 8 * 0.3875 * 0.6125
    #   = 1.89875; info = 1 - 0.49 / 1.89875 = 0.741935...
    p_het = np.array([[0.1], [0.6], [0.0], [0.0]])
    p_hom = np.array([[0.0], [0.2], [1.0], [0.0]])
    info = impute2_info_from_probabilities(p_het, p_hom)
    assert info.shape == (1,)
    assert info[0] == pytest.approx(1 - 0.49 / 1.89875, abs=1e-12)
    # from dosages 0.1, 1.0, 2.0, 0.0 the probabilities are the two nearest genotypes':
    # s2's dosage 1.0 is then a sure heterozygote (spread 0.09 + 0 + 0 + 0 = 0.09)
    g = np.array([[0.1], [1.0], [2.0], [0.0]])
    assert dosage_spread(g)[0] == pytest.approx(0.09, abs=1e-12)
    from_dosage = impute2_info(np.array([4.0]), np.array([3.1]), dosage_spread(g))
    assert from_dosage[0] == pytest.approx(1 - 0.09 / 1.89875, abs=1e-12)
    # the compiled one-pass kernel, on float32 dosages
    assert imputation_quality(g.astype(np.float32)).info[0] == pytest.approx(
        from_dosage[0], abs=1e-6
    )
    # hard calls: info 1; a monomorphic variant: 1 (IMPUTE2's convention); no call: NaN
    quality = imputation_quality(
        np.array([[0, 0, np.nan], [1, 0, np.nan], [2, 0, np.nan]], dtype=np.float32)
    )
    assert quality.info[:2].tolist() == [1.0, 1.0] and np.isnan(quality.info[2])
    assert np.isnan(quality.mach_r2[1:]).all()


def test_assoc__filters_equal_plink2_and_are_counted(imputed, plink2):
    # plink2 on the same BGEN with each filter alone: the variants it keeps are ours
    folder = imputed["folder"]
    load = ["--bgen", str(imputed["bgen"]), "ref-first", "--sample", str(imputed["sample"])]
    cases = {
        "maf": (["--maf", "0.2"], {"maf": 0.2}),
        "mac": (["--mac", "150"], {"mac": 150.0}),
        "mach_r2": (["--mach-r2-filter", "0.9", "2"], {"min_mach_r2": 0.9}),
        "hwe": (["--hwe", "1e-4"], {"hwe": 1e-4}),
    }
    for name, (flag, option) in cases.items():
        run_tool([plink2, *load, *flag, "--write-snplist", "--out", str(folder / name)])
        kept = set((folder / f"{name}.snplist").read_text().split())
        result = run_scan(
            open_genotypes(imputed["bgen"], sample=imputed["sample"]),
            folder / "pheno.txt",
            pheno_name="Q",
            options=ScanOptions(**option),
            progress=False,
        )
        ours_kept = set(result.sumstats["variant_id"].to_list())
        dropped = result.metadata["gwaskit"]["variant_filters"][next(iter(option))]["dropped"]
        assert 0 < dropped < 199 and len(ours_kept) == 199 - dropped, name
        assert ours_kept == kept, (name, sorted(ours_kept ^ kept)[:5])


def _naive_firth_lrt(x: np.ndarray, y: np.ndarray, g: np.ndarray) -> float:
    """2 (pl(b) - pl(b0)) by BFGS on the penalised log-likelihood, b0 with the genotype
    coefficient fixed at 0 and the full model's penalty (logistf's restricted fit)."""
    z = np.column_stack([x, g])

    def minus_pll(b):
        eta = z @ b
        w = expit(eta) * (1 - expit(eta))
        logdet = np.linalg.slogdet(z.T @ (z * w[:, None]))[1]
        return -((y * eta - np.logaddexp(0, eta)).sum() + 0.5 * logdet)

    options = {"gtol": 1e-10}
    full = optimize.minimize(minus_pll, np.zeros(z.shape[1]), method="BFGS", options=options)
    restricted = optimize.minimize(
        lambda b: minus_pll(np.append(b, 0.0)), np.zeros(x.shape[1]), method="BFGS", options=options
    )
    return 2 * (restricted.fun - full.fun)


def test_assoc__firth_se_reproduces_the_penalised_lrt(imputed):
    source = open_genotypes(imputed["bgen"], sample=imputed["sample"])
    result = run_scan(
        source,
        imputed["folder"] / "pheno.txt",
        pheno_name="CC",
        options=ScanOptions(test="firth", firth_se=True),
        progress=False,
    )
    firth = result.sumstats.filter((pl.col("method") == "firth") & pl.col("beta").is_not_null())
    assert firth.height == 199  # every variant Firth-fitted, none failed
    assert result.metadata["gwaskit"]["firth_se"] is True
    z = (firth["beta"] / firth["standard_error"]).to_numpy()
    # the chi-square of the test's own p-value (computed in log space by gwaskit)
    chi2 = stats.chi2.isf(10.0 ** -firth["neg_log_10_p_value"].to_numpy(), 1)
    np.testing.assert_allclose(z**2, chi2, rtol=1e-8, atol=1e-12)
    # and that chi-square is the penalised LRT, by an independent optimiser, on 3 variants
    phenotypes = result.phenotypes
    x = make_design(phenotypes.y, phenotypes.covariates, binary=True).x
    g = source.read(None, phenotypes.sample_index).astype(np.float64)
    checked = 0
    for j in (10, 50, 120):
        ok = ~np.isnan(g[:, j])
        expected = _naive_firth_lrt(x[ok], phenotypes.y[ok], g[ok, j])
        assert z[j] ** 2 == pytest.approx(expected, rel=1e-6)
        checked += 1
    assert checked == 3


def test_logistic_block__firth_se_off_keeps_the_wald_test():
    rng = np.random.default_rng(7)
    g = rng.binomial(2, 0.1, size=(300, 4)).astype(float)
    y = (rng.random(300) < 0.3).astype(float)
    null = fit_logistic_null(make_design(y, np.empty((300, 0)), binary=True))
    wald = logistic_block(null, g, firth="always")
    lrt = logistic_block(null, g, firth="always", firth_se=True)
    np.testing.assert_allclose(wald.beta, lrt.beta, rtol=0)  # same estimates
    assert not np.allclose(wald.standard_error, lrt.standard_error, rtol=1e-6)
    np.testing.assert_allclose(wald.statistic, wald.beta / wald.standard_error, rtol=1e-12)


def test_assoc__binary_outputs_carry_n_cases_controls_effective_and_info(imputed, tmp_path):
    from gwaskit.cli import main

    out = tmp_path / "cc"
    argv = [
        "assoc", str(imputed["bgen"]), "--sample", str(imputed["sample"]),
        "--pheno", str(imputed["folder"] / "pheno.txt"), "--pheno-name", "CC",
        "--firth-se", "--min-info", "0.95", "--out", str(out), "--no-progress",
    ]  # fmt: skip
    assert main(argv) == 0
    ssf = pl.read_csv(f"{out}.tsv.gz", separator="\t", null_values=["#NA", "NA"])
    with open(f"{out}.tsv.gz-meta.yaml") as handle:
        meta = yaml.safe_load(handle)
    dropped = meta["gwaskit"]["variant_filters"]["min_info"]["dropped"]
    assert dropped > 0 and ssf.height + dropped == 199
    assert (ssf["info"] >= 0.95).all()
    assert ssf.columns[:12] == [
        "chromosome", "base_pair_location", "effect_allele", "other_allele", "beta",
        "standard_error", "effect_allele_frequency", "p_value", "neg_log_10_p_value", "n",
        "variant_id", "rsid",
    ]  # fmt: skip
    for column in ("info", "machr2", "n_cases", "n_controls", "n_effective"):
        assert column in ssf.columns
    assert (ssf["n_cases"] + ssf["n_controls"] == ssf["n"]).all()
    expected = 4 / (1 / ssf["n_cases"] + 1 / ssf["n_controls"])
    np.testing.assert_allclose(ssf["n_effective"], expected, rtol=1e-12)
    assert ssf["n"].min() < 500 <= ssf["n"].max()  # per variant: sample_001 misses one call


def _gen_probabilities(path) -> tuple[np.ndarray, np.ndarray]:
    """P(het), P(hom second allele) ``(n, m)`` of an Oxford .gen (missing ``0 0 0`` as NaN)."""
    with gzip.open(path, "rt") as handle:
        rows = [line.split()[6:] for line in handle]
    p = np.array(rows, dtype=np.float64).reshape(len(rows), -1, 3).transpose(1, 0, 2)
    missing = p.sum(axis=2) == 0
    het, hom = p[:, :, 1].copy(), p[:, :, 2].copy()
    het[missing] = hom[missing] = np.nan
    return het, hom


def test_assoc__bgen_info_is_impute2_info_of_its_probabilities(imputed, test_data):
    # the truth .gen the BGEN examples encode, parsed here: its IMPUTE2 info by the closed form
    het, hom = _gen_probabilities(test_data / "field_formats" / "bgen" / "example.gen.gz")
    expected = impute2_info_from_probabilities(het, hom)
    source = open_genotypes(imputed["bgen"], sample=imputed["sample"])
    assert source.holds_probabilities
    result = run_scan(source, imputed["folder"] / "pheno.txt", pheno_name="Q", progress=False)
    info = result.sumstats["info"].to_numpy()
    assert info.size == expected.size == 199
    # 16-bit probabilities (1/65535) and dosages in plink2's 1/16384 units: 1e-4
    np.testing.assert_allclose(info, expected, atol=1e-4)
    assert "probabilities" in result.metadata["gwaskit"]["imputation_quality"]["info"]
    # the dosage-only info is above it where samples spread over three genotypes
    dosage_info = imputation_quality(source.read()).info
    assert (dosage_info >= info - 1e-4).all() and (dosage_info > info + 1e-3).sum() > 100


def test_vcf_gp__info_from_probabilities(test_data):
    path = test_data / "field_formats" / "bcftools" / "view.GP.vcf"
    with open(path) as handle:
        rows = [line.rstrip("\n").split("\t") for line in handle if not line.startswith("#")]
    # the diploid records (the chrY ones are haploid: two GP values)
    diploid = [k for k, r in enumerate(rows) if all(v.count(",") == 2 for v in r[9:12])]
    gp = np.array([[v.split(",") for v in rows[k][9:12]] for k in diploid], dtype=float)
    expected = impute2_info_from_probabilities(gp[:, :, 1].T, gp[:, :, 2].T)
    source = open_genotypes(path, field="GP")
    g, variance = source.read_with_variance(diploid)
    assert variance is not None and variance.shape == g.shape == (3, len(diploid))
    info = imputation_quality(g, variance).info
    # the same float32 probabilities in both; float32 dosages: 1e-6
    np.testing.assert_allclose(info, expected, atol=1e-6)
    assert len(diploid) >= 20


def test_pipeline_assoc_stage__asks_for_firth_se_by_default(tmp_path):
    from gwaskit.pipeline.plan import AssociationSettings
    from gwaskit.pipeline.stages import VerbRunner, run_assoc

    commands: list[list[str]] = []
    verbs = VerbRunner(execute=commands.append)
    common = dict(
        genotypes="qc.bed", phenotypes="p.txt", phenotype_name=None, covariates=None,
        covariate_names=[], eigenvec="pca.eigenvec", pcs=0, test="wald", firth_fallback=True,
        build="GRCh37", verbs=verbs,
    )  # fmt: skip
    assert AssociationSettings().firth_se is True
    run_assoc(tmp_path, model="logistic", firth_se=AssociationSettings().firth_se, **common)
    run_assoc(tmp_path, model="logistic", firth_se=False, **common)
    run_assoc(tmp_path, model="linear", firth_se=True, **common)
    assert ["--firth-se" in c for c in commands] == [True, False, False]


def test_assoc__no_hwe_test_on_haploid_x(tmp_path):
    # 400 samples, half male; 5 X variants outside PAR1 (males 0/2, no heterozygotes: an HWE
    # test would reject them all) and 5 on chromosome 1
    from assoc_helpers import write_bed

    rng = np.random.default_rng(3)
    n = 400
    sex = np.repeat([1, 2], n // 2)
    g = rng.binomial(2, 0.3, (n, 10)).astype(float)
    g[sex == 1, :5] = 2.0 * rng.binomial(1, 0.3, (n // 2, 5))
    iid = write_bed(tmp_path / "x", g)
    bim = (tmp_path / "x.bim").read_text().splitlines()
    (tmp_path / "x.bim").write_text(
        "".join(
            f"{'X' if j < 5 else '1'}\t{line.split()[1]}\t0\t{3_000_000 + j}\t"
            f"{line.split()[4]}\t{line.split()[5]}\n"
            for j, line in enumerate(bim)
        )
    )
    fam = (tmp_path / "x.fam").read_text().splitlines()
    (tmp_path / "x.fam").write_text(
        "".join(
            " ".join([*line.split()[:4], str(s), "-9"]) + "\n"
            for s, line in zip(sex, fam, strict=True)
        )
    )
    write_table(tmp_path / "pheno.txt", iid, {"Q": rng.normal(size=n)})
    result = run_scan(
        tmp_path / "x.bed",
        tmp_path / "pheno.txt",
        options=ScanOptions(hwe=1e-6),
        build="GRCh37",
        progress=False,
    )
    table = result.sumstats
    assert table.height == 10  # none dropped
    assert result.metadata["gwaskit"]["variant_filters"]["hwe"]["dropped"] == 0
    assert table["hwe_neg_log_10_p"][:5].is_null().all()
    assert table["hwe_neg_log_10_p"][5:].is_not_null().all()
