"""Bad inputs of the association filters and --firth-se: exit 2, one line naming the option,
nothing written."""

from __future__ import annotations

import pytest

from gwaskit.cli import main
from test_bad_inputs import write_bed

CASES = [
    (["--maf", "0.7"], ["maf (--maf) must be in [0, 0.5]", "0.7"]),
    (["--mac", "-1"], ["mac (--mac) must be in [0, inf]", "-1"]),
    (["--min-info", "1.5"], ["min_info (--min-info) must be in [-inf, 1]", "1.5"]),
    (["--min-mach-r2", "3"], ["min_mach_r2 (--min-mach-r2) must be in [0, 2]", "3"]),
    (["--hwe", "2"], ["hwe (--hwe) must be in [0, 1]", "2"]),
    (["--hwe", "nan"], ["hwe (--hwe)", "nan"]),
    (["--firth-se", "--model", "linear"], ["--firth-se", "--model linear"]),
    (["--firth-se", "--test", "score"], ["--firth-se", "--test score"]),
]


@pytest.mark.parametrize("options,fragments", CASES, ids=[" ".join(c[0]) for c in CASES])
def test_assoc__bad_filter_or_firth_se_one_line_exit_2(options, fragments, tmp_path, capsys):
    inputs, out = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    out.mkdir()
    bed = write_bed(inputs)
    pheno = inputs / "p.txt"
    pheno.write_text("IID y\n" + "".join(f"iid{i} {1 + i % 2}\n" for i in range(1, 22)))
    argv = ["assoc", str(bed), "--pheno", str(pheno), *options, "--out", str(out / "a")]
    code = main([*argv, "--no-progress"])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert code == 2 and len(lines) == 1, err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert not list(out.iterdir())
