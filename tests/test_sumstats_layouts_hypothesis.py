"""Property tests of the layout readers (11 layouts): any table written in a tool's layout (its header,
separator, effect allele and p scale as the tool's documentation gives them) reads back to the
values written, row for row; junk in a value is an InputError naming its line, never a crash.

Values are written with ``repr`` (17 significant digits), so read-back is to 1e-12 relative
(float parsing only); values the reader derives (ln OR, SE from the CI, p from -log10 p) to
1e-9 relative or 1e-12 absolute (one log/exp round trip).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gwaskit.errors import InputError
from gwaskit.io.sumstats import read_sumstats


@dataclass(frozen=True)
class Rec:
    chrom: str
    pos: int
    ea: str
    oa: str
    beta: float
    se: float
    p: float
    eaf: float
    n: int


def _r(x: float) -> str:
    return repr(float(x))


def _fixed(rows: list[list[str]]) -> str:
    """PLINK 1's right-aligned fixed-width columns (leading blanks, trailing blank on the
    header)."""
    widths = [max(len(r[j]) for r in rows) + 2 for j in range(len(rows[0]))]
    lines = ["".join(f.rjust(w) for f, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join([lines[0] + " ", *lines[1:]]) + "\n"


def regenie(recs):
    rows = [["CHROM", "GENPOS", "ID", "ALLELE0", "ALLELE1", "A1FREQ", "N", "TEST", "BETA", "SE",
             "LOG10P"]]  # fmt: skip
    for i, r in enumerate(recs):
        row = [r.chrom, str(r.pos), f"v{i}", r.oa, r.ea, _r(r.eaf), str(r.n), "ADD", _r(r.beta),
               _r(r.se), _r(-math.log10(r.p))]  # fmt: skip
        rows += [row, [*row[:7], "DOM", "9", "9", "9"]]  # a dominance row, not read
    return "regenie", "\n".join(" ".join(x) for x in rows) + "\n", {"p": 1e-9}


def saige(recs):
    rows = [["CHR", "POS", "MarkerID", "Allele1", "Allele2", "AC_Allele2", "AF_Allele2", "N",
             "BETA", "SE", "Tstat", "p.value", "p.value.NA"]]  # fmt: skip
    for i, r in enumerate(recs):
        rows.append([r.chrom, str(r.pos), f"v{i}", r.oa, r.ea, "3", _r(r.eaf), str(r.n),
                     _r(r.beta), _r(r.se), "1", _r(r.p), "0.5"])  # fmt: skip
    return "saige", "\n".join("\t".join(x) for x in rows) + "\n", {}


def plink1_logistic(recs):
    rows = [["CHR", "SNP", "BP", "A1", "TEST", "NMISS", "OR", "STAT", "P"]]
    for i, r in enumerate(recs):
        rows.append([r.chrom, f"v{i}", str(r.pos), r.ea, "ADD", str(r.n), _r(math.exp(r.beta)),
                     _r(r.beta / r.se), _r(r.p)])  # fmt: skip
    return "plink1", _fixed(rows), {"beta": 1e-9, "se": 1e-9, "no_other": True}


def bolt(recs):
    rows = [["SNP", "CHR", "BP", "GENPOS", "ALLELE1", "ALLELE0", "A1FREQ", "F_MISS", "BETA", "SE",
             "P_BOLT_LMM_INF", "P_BOLT_LMM"]]  # fmt: skip
    for i, r in enumerate(recs):
        rows.append([f"v{i}", r.chrom, str(r.pos), "0", r.ea, r.oa, _r(r.eaf), "0", _r(r.beta),
                     _r(r.se), "0.5", _r(r.p)])  # fmt: skip
    return "bolt-lmm", "\n".join("\t".join(x) for x in rows) + "\n", {}


def gcta_mlma(recs):
    rows = [["Chr", "SNP", "bp", "A1", "A2", "Freq", "b", "se", "p"]]
    for i, r in enumerate(recs):
        rows.append([r.chrom, f"v{i}", str(r.pos), r.ea, r.oa, _r(r.eaf), _r(r.beta), _r(r.se),
                     _r(r.p)])  # fmt: skip
    return "gcta-mlma", "\n".join("\t".join(x) for x in rows) + "\n", {}


def fastgwa(recs):
    rows = [["CHR", "SNP", "POS", "A1", "A2", "N", "AF1", "BETA", "SE", "P"]]
    for i, r in enumerate(recs):
        rows.append([r.chrom, f"v{i}", str(r.pos), r.ea, r.oa, str(r.n), _r(r.eaf), _r(r.beta),
                     _r(r.se), _r(r.p)])  # fmt: skip
    return "gcta-fastgwa", "\n".join("\t".join(x) for x in rows) + "\n", {}


def snptest(recs):
    rows = [["alternate_ids", "rsid", "chromosome", "position", "alleleA", "alleleB", "all_total",
             "frequentist_add_pvalue", "frequentist_add_beta_1", "frequentist_add_se_1"]]  # fmt: skip
    for i, r in enumerate(recs):
        rows.append([f"a{i}", f"v{i}", r.chrom, str(r.pos), r.oa, r.ea, str(r.n), _r(r.p),
                     _r(r.beta), _r(r.se)])  # fmt: skip
    return "snptest", "\n".join(" ".join(x) for x in rows) + "\n", {"no_eaf": True}


def gwama_binary(recs):
    rows = [["MARKERNAME", "CHR", "POS", "EA", "NEA", "OR", "OR_95L", "OR_95U", "EAF", "N",
             "STRAND", "IMPUTED"]]  # fmt: skip
    for i, r in enumerate(recs):
        lo, hi = math.exp(r.beta - 1.96 * r.se), math.exp(r.beta + 1.96 * r.se)
        rows.append([f"v{i}", r.chrom, str(r.pos), r.ea, r.oa, _r(math.exp(r.beta)), _r(lo),
                     _r(hi), _r(r.eaf), str(r.n), "+", "0"])  # fmt: skip
    return "gwama", "\n".join("\t".join(x) for x in rows) + "\n", {"beta": 1e-9, "se": 1e-9,
                                                                  "no_p": True}  # fmt: skip


def epacts(recs):
    rows = [["#CHROM", "BEG", "END", "MARKER_ID", "NS", "AC", "CALLRATE", "MAF", "PVALUE", "BETA",
             "SEBETA"]]  # fmt: skip
    for r in recs:
        marker = f"{r.chrom}:{r.pos}_{r.oa}/{r.ea}_{r.chrom}:{r.pos}"
        rows.append([r.chrom, str(r.pos), str(r.pos), marker, str(r.n), "3", "1", "0.2", _r(r.p),
                     _r(r.beta), _r(r.se)])  # fmt: skip
    return "epacts", "\n".join("\t".join(x) for x in rows) + "\n", {"no_eaf": True}


def finngen(recs):
    rows = [["#chrom", "pos", "ref", "alt", "rsids", "nearest_genes", "pval", "mlogp", "beta",
             "sebeta", "af_alt"]]  # fmt: skip
    for r in recs:
        rows.append([r.chrom, str(r.pos), r.oa, r.ea, "", "", _r(r.p), _r(-math.log10(r.p)),
                     _r(r.beta), _r(r.se), _r(r.eaf)])  # fmt: skip
    return "finngen", "\n".join("\t".join(x) for x in rows) + "\n", {}


def gwas_vcf(recs):
    lines = ["##fileformat=VCFv4.2", '##SAMPLE=<ID=S1,TotalCases=10,TotalControls=20>',
             "\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT",
                        "S1"])]  # fmt: skip
    for i, r in enumerate(recs):
        sample = ":".join([_r(r.beta), _r(r.se), _r(-math.log10(r.p)), _r(r.eaf), str(r.n)])
        lines.append("\t".join([r.chrom, str(r.pos), f"rs{i}", r.oa, r.ea, ".", "PASS", ".",
                                "ES:SE:LP:AF:SS", sample]))  # fmt: skip
    return "gwas-vcf", "\n".join(lines) + "\n", {"p": 1e-9}


LAYOUTS = [regenie, saige, plink1_logistic, bolt, gcta_mlma, fastgwa, snptest, gwama_binary,
           epacts, finngen, gwas_vcf]  # fmt: skip

_PAIRS = [("A", "G"), ("G", "A"), ("C", "T"), ("T", "C"), ("A", "C"), ("AT", "A"), ("G", "GCC")]


@st.composite
def records(draw) -> list[Rec]:
    n = draw(st.integers(1, 25))
    positions = draw(st.lists(st.integers(1, 10**9), min_size=n, max_size=n, unique=True))
    out = []
    for pos in sorted(positions):
        ea, oa = draw(st.sampled_from(_PAIRS))
        beta = draw(st.floats(-2, 2, allow_subnormal=False))
        beta = 0.0 if abs(beta) < 1e-6 else beta  # ln(exp(1e-17)) is 0 or 2e-16: no relative digits
        out.append(
            Rec(
                chrom=str(draw(st.integers(1, 22))),
                pos=pos,
                ea=ea,
                oa=oa,
                beta=beta,
                se=draw(st.floats(1e-3, 2)),
                p=draw(st.floats(1e-300, 1, exclude_min=False)),
                eaf=draw(st.floats(0.001, 0.999)),
                n=draw(st.integers(10, 10**6)),
            )
        )
    return out


def _check(got: np.ndarray, want: list[float], rtol: float) -> None:
    """Parsed values exactly to ``rtol`` 1e-12; derived ones (``rtol`` 1e-9) also to 1e-12
    absolute (``ln(exp(1e-17))`` is 0)."""
    atol = 0.0 if rtol <= 1e-12 else 1e-12
    np.testing.assert_allclose(got, np.array(want, dtype=float), rtol=rtol, atol=atol)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(layout=st.sampled_from(LAYOUTS), recs=records())
def test_read_sumstats__layouts_round_trip(tmp_path: Path, layout, recs) -> None:
    fmt, text, tol = layout(recs)
    path = tmp_path / f"{layout.__name__}.txt"
    path.write_text(text)
    table, meta = read_sumstats(path)
    assert meta["format"] == fmt
    assert table.height == len(recs)
    assert table["base_pair_location"].to_list() == [r.pos for r in recs]
    assert table["effect_allele"].to_list() == [r.ea for r in recs]
    if tol.get("no_other"):
        assert table["other_allele"].null_count() == len(recs)
    else:
        assert table["other_allele"].to_list() == [r.oa for r in recs]
    _check(table["beta"].to_numpy(), [r.beta for r in recs], tol.get("beta", 1e-12))
    se_tol = tol.get("se", 1e-12)
    if fmt == "plink1":  # SE = ln(OR) / STAT: unknown (NaN) where ln(OR) is 0
        keep = [math.log(math.exp(r.beta)) != 0 for r in recs]
        assert np.isnan(table["standard_error"].to_numpy()[[not k for k in keep]]).all()
        got = table["standard_error"].to_numpy()[keep]
        _check(got, [r.se for r, k in zip(recs, keep, strict=True) if k], se_tol)
    else:
        _check(table["standard_error"].to_numpy(), [r.se for r in recs], se_tol)
    if not tol.get("no_p"):
        _check(table["p_value"].to_numpy(), [r.p for r in recs], tol.get("p", 1e-12))
    if not tol.get("no_eaf") and fmt != "plink1":
        _check(table["effect_allele_frequency"].to_numpy(), [r.eaf for r in recs], 1e-12)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    layout=st.sampled_from(LAYOUTS),
    recs=records(),
    junk=st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\t \r\n"),
                 min_size=1, max_size=6),
    where=st.integers(0, 10**6),
)  # fmt: skip
def test_read_sumstats__layouts_junk_value_is_input_error(
    tmp_path: Path, layout, recs, junk: str, where: int
) -> None:
    """One field of one data row replaced by junk: read, or an InputError (never another
    exception)."""
    _, text, _ = layout(recs)
    lines = text.splitlines()
    data = [i for i, line in enumerate(lines) if i > 0]
    i = data[where % len(data)]
    fields = lines[i].split()
    fields[where % len(fields)] = junk
    lines[i] = "\t".join(fields) if "\t" in lines[i] else " ".join(fields)
    path = tmp_path / f"{layout.__name__}.txt"
    path.write_text("\n".join(lines) + "\n")
    try:
        read_sumstats(path)
    except InputError as err:
        assert "\n" not in str(err)
