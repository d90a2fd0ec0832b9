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
