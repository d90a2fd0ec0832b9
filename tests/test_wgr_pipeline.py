"""``[association] wgr = true``: the assoc stage runs ``gwaskit wgr`` then ``assoc --pred``."""

from __future__ import annotations

from pathlib import Path

import yaml

from gwaskit.cli import dispatch
from gwaskit.pipeline.plan import AssociationSettings
from gwaskit.pipeline.stages import VerbRunner, run_assoc


def test_run_assoc__wgr_then_loco_scan(test_data: Path, tmp_path: Path) -> None:
    ex = test_data / "regenie_example"
    commands: list[list[str]] = []

    def execute(argv: list[str]) -> None:
        commands.append(argv)
        dispatch([*argv, "--no-progress"])

    assert AssociationSettings().wgr is False  # off unless asked
    run_assoc(
        tmp_path,
        genotypes=str(ex / "example.bed"),
        phenotypes=str(ex / "phenotype_bin.txt"),
        phenotype_name="Y1",
        covariates=None,
        covariate_names=[],
        eigenvec="",
        pcs=0,
        model="logistic",
        test="wald",
        firth_fallback=True,
        build="GRCh37",
        verbs=VerbRunner(execute=execute),
        wgr=True,
    )
    assert [c[0] for c in commands] == ["wgr", "assoc"]
    assert "--pred" in commands[1] and str(tmp_path / "wgr_pred.list") in commands[1]
    assert (tmp_path / "wgr_1.loco").is_file()
    meta = yaml.safe_load((tmp_path / "assoc.tsv.gz-meta.yaml").read_text())
    text = yaml.safe_dump(meta)
    assert "loco_offsets: true" in text and "firth_threshold" in text
