"""Property tests over the text parsers: junk in, a table or a GwaskitError out, never anything
else. (.bim/.fam/.pvar/.psam are fuzzed in tests/test_io_plink2.py.)"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gwaskit.cli._inputs import read_checked_sumstats, read_known
from gwaskit.errors import GwaskitError
from gwaskit.io import open_genotypes
from gwaskit.io.phenotypes import load_phenotypes
from gwaskit.pipeline.plan import parse_plan, read_plan

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_SS_HEADER = [
    "chromosome", "base_pair_location", "effect_allele", "other_allele", "beta",
    "standard_error", "effect_allele_frequency", "p_value", "neg_log_10_p_value", "n",
    "variant_id", "rsid", "CHR", "BP", "SNP", "A1", "A2", "OR", "SE", "P", "Z", "N", "MarkerName",
    "Allele1", "Allele2", "Effect", "StdErr", "P-value", "LOG10P", "TEST", "ID", "REF", "ALT",
]  # fmt: skip
_SS_VALUE = st.one_of(
    st.sampled_from(["1", "X", "chr2", "23", "100", "-5", "0", "A", "C", "G", "T", "AT", "N",
                     "0.5", "-0.1", "0", "1e-300", "1e-400", "2", "inf", "-inf", "nan", "NA", "",
                     ".", "-", "rs1", "ADD", "1.5e6", "3,4", "１"]),
    st.text(max_size=5),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)  # fmt: skip


@st.composite
def _sumstats_text(draw) -> tuple[str, str]:
    header = draw(st.lists(st.sampled_from(_SS_HEADER), min_size=0, max_size=9))
    if draw(st.booleans()):  # a table as the verbs expect it, with junk cells
        header = ["chromosome", "base_pair_location", "effect_allele", "other_allele", "beta",
                  "standard_error", "p_value"]  # fmt: skip
    sep = draw(st.sampled_from(["\t", " ", ",", "  "]))
    n_rows = draw(st.integers(0, 6))
    width = len(header) + draw(st.integers(-1, 1)) if draw(st.integers(0, 9)) == 0 else len(header)
    rows = [draw(st.lists(_SS_VALUE, min_size=max(width, 0), max_size=max(width, 0)))
            for _ in range(n_rows)]  # fmt: skip
    text = "\n".join(sep.join(r) for r in [header, *rows])
    return text, draw(st.sampled_from(["ss.tsv", "ss.txt", "ss.tsv.gz"]))


@SETTINGS
@given(case=_sumstats_text(), junk=st.binary(max_size=4))
def test_read_checked_sumstats__parses_or_raises_gwaskit_error(case, junk):
    text, name = case
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        data = text.encode("utf-8", "surrogatepass") + junk
        if name.endswith(".gz"):
            import gzip

            data = gzip.compress(data, mtime=0)
        path.write_bytes(data)
        try:
            table, _ = read_checked_sumstats(path)
        except GwaskitError:
            return
    # what parses is plausible: no impossible value survived
    assert table.height >= 1
    se = table["standard_error"].drop_nulls().drop_nans().to_numpy()
    assert (se > 0).all() and np.isfinite(se).all()
    p = table["p_value"].drop_nulls().drop_nans().to_numpy()
    assert ((p >= 0) & (p <= 1)).all()
    nlp = table["neg_log_10_p_value"].drop_nulls().drop_nans().to_numpy()
    assert (nlp >= 0).all()
    assert table["effect_allele"].str.contains(r"^[ACGT]+$").all()


_KNOWN_HEADER = ["CHR", "chromosome", "POS", "bp", "SNP", "rsid", "build", "gene", "x"]


@SETTINGS
@given(
    header=st.lists(st.sampled_from(_KNOWN_HEADER), max_size=4),
    rows=st.lists(st.lists(_SS_VALUE, max_size=5), max_size=4),
    junk=st.binary(max_size=4),
)
def test_read_known__parses_or_raises_gwaskit_error(header, rows, junk):
    text = "\n".join("\t".join(r) for r in [header, *rows])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "known.tsv"
        path.write_bytes(text.encode("utf-8", "surrogatepass") + junk)
        try:
            table = read_known(path)
        except GwaskitError:
            return
    assert {"chromosome", "base_pair_location"} <= set(table.columns) or "rsid" in table.columns


# -- plan files -----------------------------------------------------------------------------------

_KEY = st.sampled_from(
    [
        "name",
        "build",
        "p",
        "window_kb",
        "model",
        "pcs",
        "covariates",
        "role",
        "genotypes",
        "sumstats",
        "phenotypes",
        "typo",
        "threads",
        "gc",
        "cojo",
    ]
)
_SCALAR = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 10**20), st.floats(), st.text(max_size=6),
    st.sampled_from(["GRCh37", "GRCh38", "logistic", "wald", "fixed", "discovery", "ss.tsv",
                     "missing.tsv"]),
)  # fmt: skip
_VALUE = st.one_of(
    _SCALAR, st.lists(_SCALAR, max_size=3), st.dictionaries(_KEY, _SCALAR, max_size=3)
)
_SECTION = st.sampled_from(["consortium", "engine", "qc", "association", "meta", "loci",
                            "annotate", "cohort", "consortum"])  # fmt: skip


@SETTINGS
@given(
    data=st.dictionaries(
        _SECTION,
        st.one_of(
            st.dictionaries(_KEY, _VALUE, max_size=4),
            st.lists(st.dictionaries(_KEY, _VALUE, max_size=4), max_size=3),
            _VALUE,
        ),
        max_size=4,
    )
)
def test_parse_plan__parses_or_raises_gwaskit_error(data, tmp_path_factory):
    folder = tmp_path_factory.getbasetemp() / "plan_fuzz"
    folder.mkdir(exist_ok=True)
    (folder / "ss.tsv").touch()
    try:
        plan = parse_plan(data, source=folder / "plan.toml")
    except GwaskitError:
        return
    assert plan.cohorts and all(c.name for c in plan.cohorts)


@SETTINGS
@given(
    text=st.lists(
        st.one_of(
            st.sampled_from(["[consortium]", "[[cohort]]", "[loci]", 'name = "A"', "p = 5e-8",
                             'sumstats = "ss.tsv"', "p = ", "[[cohort]", "= 1", 'x = "unterminated',
                             "build = 38", "\ufeff", "\x00"]),
            st.text(max_size=12),
        ),
        max_size=8,
    ).map("\n".join),
    junk=st.binary(max_size=3),
)  # fmt: skip
def test_read_plan__parses_or_raises_gwaskit_error(text, junk, tmp_path_factory):
    folder = tmp_path_factory.getbasetemp() / "plan_text_fuzz"
    folder.mkdir(exist_ok=True)
    (folder / "ss.tsv").touch()
    path = folder / "plan.toml"
    path.write_bytes(text.encode("utf-8", "surrogatepass") + junk)
    try:
        plan = read_plan(path)
    except GwaskitError:
        return
    assert plan.cohorts_with("discovery")


# -- VCF text (the header and records go through htslib and gwaskit's own scan) ---------------

_VCF_LINE = st.one_of(
    st.sampled_from([
        "##fileformat=VCFv4.2",
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="x">',
        '##FORMAT=<ID=DS,Number=1,Type=Float,Description="x">',
        "##contig=<ID=1,length=249250621>",
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ts1\ts2",
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ts1\ts1",
        "1\t100\trs1\tA\tG\t.\t.\t.\tGT\t0/1\t1|1",
        "1\t200\trs2\tA\tG,T\t.\t.\t.\tGT\t0/2\t1/1",
        "1\t300\trs3\tA\tG\t.\t.\t.\tDS\t0.5\t2",
        "1\tx\trs4\tA\tG\t.\t.\t.\tGT\t./.\t0/1",
        "1\t400\trs5\tA\tG\t.\t.\t.\tGT\t0/1",
        "chrX\t500\t.\tC\tT\t.\t.\t.\tGT:DS\t0/1:1\t1:2",
    ]),
    st.text(max_size=10),
)  # fmt: skip


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(_VCF_LINE, max_size=7))
def test_open_genotypes_vcf__reads_or_raises_gwaskit_error(lines):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x.vcf"
        path.write_bytes("\n".join(lines).encode("utf-8", "surrogatepass") + b"\n")
        try:
            with open_genotypes(path) as source:
                dosage = source.read()
        except GwaskitError:
            return
    assert dosage.shape == (source.n_samples, source.n_variants)
    finite = dosage[np.isfinite(dosage)]
    assert ((finite >= 0) & (finite <= 2)).all()


# -- phenotype and covariate tables -----------------------------------------------------------

_SAMPLES = __import__("polars").DataFrame(
    {"fid": ["f1", "f2", "f3", "f4"], "iid": ["a", "b", "c", "d"], "sex": [0, 0, 0, 0]}
)
_PHENO_FIELD = st.one_of(
    st.sampled_from(["FID", "IID", "#FID", "#IID", "T", "AGE", "f1", "f2", "f3", "a", "b", "c",
                     "d", "1", "2", "0", "-9", "NA", "", "3.5", "x", "nan", "inf", "1e400"]),
    st.text(max_size=4),
)  # fmt: skip


_NUMBER = st.sampled_from(["1", "2", "0", "3.5", "-1.25", "12", "0.75", "2e1"])
_ROWS = st.lists(st.lists(_PHENO_FIELD, min_size=1, max_size=4), max_size=6)


@st.composite
def _sample_table(draw, name: str) -> list[list[str]]:
    """A table of the four samples with junk values (or, now and then, a junk line)."""
    header = draw(st.sampled_from([["FID", "IID"], ["IID"], ["#FID", "IID"]]))
    rows = [[*header, name]]
    for fid, iid in (("f1", "a"), ("f2", "b"), ("f3", "c"), ("f4", "d")):
        ids = [fid, iid] if len(header) == 2 else [iid]
        rows.append([*ids, draw(st.one_of(_NUMBER, _NUMBER, _NUMBER, _PHENO_FIELD))])
    if draw(st.integers(0, 4)) == 0:
        rows.insert(draw(st.integers(1, len(rows))), draw(st.lists(_PHENO_FIELD, max_size=4)))
    return rows


@SETTINGS
@given(
    pheno=st.one_of(_sample_table("T"), _ROWS),
    covar=st.one_of(st.none(), _sample_table("AGE"), _ROWS),
    sep=st.sampled_from(["\t", " ", ","]),
    binary=st.sampled_from([None, True, False]),
)
def test_load_phenotypes__parses_or_raises_gwaskit_error(pheno, covar, sep, binary):
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for name, rows in (("p.txt", pheno), ("c.txt", covar)):
            if rows is None:
                paths.append(None)
                continue
            path = Path(folder) / name
            path.write_text(
                "\n".join(sep.join(r) for r in rows), encoding="utf-8", errors="replace"
            )
            paths.append(path)
        try:
            result = load_phenotypes(_SAMPLES, paths[0], covar=paths[1], binary=binary)
        except GwaskitError:
            return
    assert result.y.size == result.sample_index.size >= 1
    assert np.isfinite(result.y).all() and np.isfinite(result.covariates).all()
    if result.binary:
        assert set(np.unique(result.y)) == {0.0, 1.0}  # cases and controls both present
