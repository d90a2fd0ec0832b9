"""The command line: version, help, and one-line errors with exit code 2 for a user's mistake."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
from bed_reader import to_bed

from gwaskit import __version__
from gwaskit.cli import main


def _gwaskit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gwaskit", *args], capture_output=True, text=True, check=False
    )


def test_main__version_and_help(capsys):
    result = _gwaskit("--version")
    assert result.returncode == 0
    assert __version__ in result.stdout
    result = _gwaskit("--help")
    assert result.returncode == 0
    assert "info" in result.stdout


def test_main__unknown_verb_is_one_line_exit_2():
    result = _gwaskit("frobnicate")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "invalid choice" in result.stderr


def test_info__missing_file_is_one_line_exit_2(tmp_path):
    result = _gwaskit("info", str(tmp_path / "absent"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "absent" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_info__truncated_bed_names_the_file(tmp_path):
    genotypes = np.random.default_rng(0).integers(0, 3, (20, 30)).astype(np.float32)
    to_bed(tmp_path / "c.bed", genotypes)
    data = (tmp_path / "c.bed").read_bytes()
    (tmp_path / "c.bed").write_bytes(data[:-7])
    result = _gwaskit("info", str(tmp_path / "c"))
    assert result.returncode == 2
    assert "c.bed" in result.stderr and "truncated" in result.stderr
    assert "Traceback" not in result.stderr


def test_info__describes_a_bed(tmp_path, capsys):
    genotypes = np.random.default_rng(0).integers(0, 3, (20, 30)).astype(np.float32)
    genotypes[0, :3] = np.nan
    to_bed(tmp_path / "c.bed", genotypes)
    assert main(["info", str(tmp_path / "c.bed"), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "samples" in out and "20" in out
    assert "0.005" in out  # 3 missing of 600 calls


def test_main__logs_gwaskit_messages_not_other_libraries(tmp_path, capsys):
    """gwaskit's own messages reach stderr (the stream of the moment, even after the one
    current at the first call is gone); another library's informational records do not,
    unless -vv asks for them."""
    import logging

    to_bed(tmp_path / "c.bed", np.zeros((10, 5), dtype=np.float32))
    assert main(["info", str(tmp_path / "c.bed"), "--no-progress"]) == 0
    capsys.readouterr()
    logging.getLogger("gwaskit.test").info("ours")
    logging.getLogger("somelibrary").info("theirs")
    err = capsys.readouterr().err
    assert "ours" in err and "theirs" not in err
    assert main(["info", str(tmp_path / "c.bed"), "--no-progress", "-vv"]) == 0
    capsys.readouterr()
    logging.getLogger("somelibrary").info("theirs")
    assert "theirs" in capsys.readouterr().err


def test_command__exits_with_main_code_and_flushed_output(tmp_path):
    """`python -m gwaskit` leaves without the interpreter's teardown: the exit code and every
    line written must still arrive."""
    to_bed(tmp_path / "c.bed", np.zeros((10, 5), dtype=np.float32))
    result = _gwaskit("info", str(tmp_path / "c.bed"), "--no-progress")
    assert result.returncode == 0 and "samples" in result.stdout
    result = _gwaskit("info", str(tmp_path / "absent.bed"))
    assert result.returncode == 2 and "absent" in result.stderr
