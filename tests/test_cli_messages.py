"""What the command line says: final paths (never a task's staging folder), defaults in every
--help, error messages naming what the user typed, progress with time remaining."""

from __future__ import annotations

import logging
from pathlib import Path

from gwaskit.pipeline.runner import Runner, Task


def test_runner__messages_name_final_paths_not_the_staging_folder(tmp_path, caplog):
    def write(folder: Path) -> None:
        (folder / "value.txt").write_text("1")
        logging.getLogger("gwaskit.cli.assoc").info("wrote %s", folder / "value.txt")

    runner = Runner(tmp_path / "out")
    with caplog.at_level(logging.INFO, logger="gwaskit"):
        runner.run([Task("assoc", "A", write)])
    final = runner.folder("assoc/A") / "value.txt"
    wrote = [r.getMessage() for r in caplog.records if r.getMessage().startswith("wrote")]
    assert wrote == [f"wrote {final}"]
    assert final.is_file()
    assert not any(".partial" in r.getMessage() for r in caplog.records)


# -- defaults in every --help --------------------------------------------------------------------


def test_help__every_option_with_a_default_shows_it():
    import argparse

    checked = 0
    parsers = list(_parsers_plain())
    assert len(parsers) >= 20  # every verb and the ldsc steps
    for name, parser in parsers:
        formatter = parser._get_formatter()
        for action in parser._actions:
            if (
                not action.option_strings
                or action.help in (None, argparse.SUPPRESS)
                or any(action.default is v for v in (None, False, argparse.SUPPRESS))
                or action.default == []
                or isinstance(action, argparse._CountAction | argparse._HelpAction)
            ):
                continue
            text = formatter._expand_help(action)
            assert "default" in text.lower(), f"{name} {action.option_strings[0]}: {text}"
            checked += 1
        parser.format_help()  # every help renders ('%' in a default escaped)
    assert checked >= 60


def _parsers_plain():
    import argparse

    from gwaskit.cli import build_parser

    todo = [("gwaskit", build_parser())]
    while todo:
        name, parser = todo.pop()
        yield name, parser
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                todo += [(f"{name} {n}", p) for n, p in action.choices.items()]


def test_help__an_older_stated_default_is_not_repeated(capsys):
    from gwaskit.cli import main

    assert main(["loci", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "significance threshold (default: 5e-8)" in out
    assert "(5e-8) (default" not in out


# -- progress with rate and time remaining -------------------------------------------------------


def test_progress_columns__rate_and_time_remaining():
    from rich.progress import Progress

    from gwaskit.progress import progress_columns

    clock = [0.0]
    progress = Progress(*progress_columns("blocks"), get_time=lambda: clock[0], auto_refresh=False)
    task = progress.add_task("reading", total=10)
    for _ in range(4):  # 4 blocks in 2 s: 2 blocks/s, 6 left: 3 s remaining
        clock[0] += 0.5
        progress.advance(task)
    shown = [str(column.render(progress.tasks[0])) for column in progress.columns]
    assert shown[0] == "reading" and shown[2] == " 4/10"
    assert shown[3] == "2 blocks/s"
    assert shown[4] == "0:00:02" and shown[5] == "ETA" and shown[6] == "0:00:03"


# -- gwaskit info ---------------------------------------------------------------------------------


def test_cli_info__vcf_without_sex_says_sex_unknown(test_data, capsys):
    from gwaskit.cli import main

    vcf = test_data / "field_formats_extra" / "saige" / "dosage_10markers.vcf"
    assert main(["info", str(vcf), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "unknown (the file records none)" in out
    assert "males" not in out and "females" not in out


def test_summarise_genotypes__counts_sexes_and_the_unknown(tmp_path):
    import numpy as np
    from bed_reader import to_bed

    from gwaskit.io import open_genotypes
    from gwaskit.qc.summary import summarise_genotypes

    g = np.zeros((5, 3), dtype=np.float32)
    iid = [f"s{i}" for i in range(5)]
    to_bed(tmp_path / "g.bed", g, properties={"iid": iid, "fid": iid, "sex": [1, 1, 2, 0, 0]})
    with open_genotypes(tmp_path / "g") as source:
        summary = summarise_genotypes(source, threads=1)
    assert (summary["males"], summary["females"], summary["sex unknown"]) == (2, 1, 2)
