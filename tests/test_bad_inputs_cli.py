"""The command line's own mistakes: one clear line naming what the user typed, exit code 2,
nothing written (output folders, --known-build, variant selection)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from bed_reader import to_bed

from gwaskit.cli import main
from test_bad_inputs import write_ssf

#: Verbs with --out, and the arguments they need to get past argparse (files need not exist:
#: the output is checked before anything is read).
VERB_ARGS = {
    "simulate": [],
    "qc": ["g"],
    "pca": ["g"],
    "assoc": ["g", "--pheno", "p"],
    "meta": ["--study", "A=a", "--study", "B=b"],
    "ldsc": ["munge", "s"],
    "loci": ["s"],
    "finemap": ["s", "--loci", "l", "--ld-ref", "g"],
    "coloc": ["a", "b", "--region", "1:1-2"],
    "replicate": ["l", "--study", "R=r"],
    "annotate": ["l"],
    "subtypes": ["--subtype", "A=a", "--subtype", "B=b", "--loci", "l"],
    "report": ["r"],
}


def _error(capsys) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize("verb", sorted(VERB_ARGS))
def test_cli__missing_output_folder_is_named(verb, tmp_path, capsys):
    missing = tmp_path / "no" / "such"
    out = missing / ("report.html" if verb == "report" else "o")
    if verb == "simulate":  # an output folder is made, with its parents: only a file blocks it
        (tmp_path / "no").write_text("a file\n")
    argv = [verb, *VERB_ARGS[verb], "--out", str(out)]
    if verb == "ldsc":
        argv = ["ldsc", "munge", "s", "--out", str(out)]
    assert main([*argv, "--no-progress"]) == 2
    line = _error(capsys)
    named = tmp_path / "no" if verb == "simulate" else missing
    assert str(named) in line, line
    assert not (tmp_path / "no").is_dir() or not any((tmp_path / "no").iterdir())


def test_cli__out_ending_with_a_slash_is_refused(tmp_path, capsys):
    ssf = write_ssf(tmp_path)
    assert main(["loci", str(ssf), "--out", f"{tmp_path}/new/"]) == 2
    line = _error(capsys)
    assert "ends with a '/'" in line and "--out" in line
    assert not (tmp_path / "new").exists() and not list(tmp_path.glob("new*"))


def test_cli_loci__known_positions_without_build_name_the_flag(tmp_path, capsys):
    ssf = write_ssf(tmp_path)
    known = tmp_path / "known.tsv"
    known.write_text("CHR\tPOS\tSNP\n1\t1050000\trsKnown\n")
    out = tmp_path / "out"
    out.mkdir()
    argv = ["loci", str(ssf), "--p", "1e-8", "--known", str(known), "--out", str(out / "l")]
    assert main(argv) == 2
    line = _error(capsys)
    assert "--known-build GRCh37 or GRCh38" in line and "known.tsv" in line
    assert "known_build" not in line
    assert list(out.iterdir()) == []


@pytest.fixture(scope="module")
def bed(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("sel")
    rng = np.random.default_rng(1)
    g = rng.binomial(2, 0.3, size=(50, 6)).astype(np.float32)
    iid = [f"s{i}" for i in range(50)]
    to_bed(
        folder / "g.bed",
        g,
        properties={"iid": iid, "fid": iid, "chromosome": ["1", "1", "1", "2", "2", "2"],
                    "bp_position": [100, 200, 300, 100, 200, 300],
                    "sid": [f"v{j}" for j in range(6)]},
    )  # fmt: skip
    (folder / "p.txt").write_text(
        "FID IID Q\n" + "".join(f"{s} {s} {rng.normal():.4f}\n" for s in iid)
    )
    return folder / "g"


@pytest.mark.parametrize(
    ("extra", "fragments"),
    [
        (["--from-bp", "10"], ["--from-bp/--to-bp need --chr with exactly one chromosome"]),
        (["--chr", "1,2", "--to-bp", "10"], ["exactly one chromosome", "--chr 1,2"]),
        (["--chr", "1", "--from-bp", "300", "--to-bp", "100"], ["at most --to-bp"]),
        (["--window", "10"], ["--window needs --snp"]),
        (["--snp", "rsNope"], ["--snp 'rsNope' is not a variant"]),
        (["--chr", "4-1"], ["--chr range '4-1' must go up"]),
        (["--chr", "X-Y"], ["a range joins two numbered chromosomes"]),
        (["--chr", "5"], ["no variant of the 6", "--chr"]),
        (["--from-bp", "-5", "--chr", "1"], ["argument --from-bp", "'-5'"]),
        (["--range", "RANGES"], ["ranges.txt", "line 2", "CHR START END"]),
        (["--range", "EMPTY"], ["empty.txt", "holds no range"]),
        (["--range", "ABSENT"], ["absent.txt", "range file not found"]),
        (["--range", "ELSEWHERE"], ["elsewhere.txt", "no variant of the 6"]),
    ],
)
def test_cli_assoc__variant_selection_mistakes(bed, tmp_path, capsys, extra, fragments):
    (tmp_path / "ranges.txt").write_text("1 100 200\n1 abc 300\n")
    (tmp_path / "empty.txt").write_text("# nothing\n")
    (tmp_path / "elsewhere.txt").write_text("3 1 1000\n")
    files = {"RANGES": "ranges.txt", "EMPTY": "empty.txt", "ABSENT": "absent.txt",
             "ELSEWHERE": "elsewhere.txt"}  # fmt: skip
    extra = [str(tmp_path / files[a]) if a in files else a for a in extra]
    out = tmp_path / "out"
    out.mkdir()
    argv = ["assoc", str(bed), "--pheno", str(bed.with_name("p.txt")), "--no-progress"]
    assert main([*argv, *extra, "--out", str(out / "o")]) == 2
    line = _error(capsys)
    for fragment in fragments:
        assert fragment in line, line
    assert list(out.iterdir()) == []
