"""`gwaskit VERB` imports only that verb's module; `gwaskit --help` still lists every verb."""

from __future__ import annotations

import subprocess
import sys

from gwaskit.cli import VERBS

_PROBE = """
import sys
from gwaskit.cli import main
code = main({argv!r})
verbs = sorted(m.rsplit(".", 1)[1] for m in sys.modules if m.startswith("gwaskit.cli.")
               and m.rsplit(".", 1)[1] in {verbs!r})
print(code, ",".join(verbs))
"""


def _imported_verbs(argv: list[str]) -> tuple[str, set[str]]:
    code = _PROBE.format(argv=argv, verbs=set(VERBS))
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    exit_code, _, verbs = result.stdout.strip().rpartition("\n")[2].partition(" ")
    return exit_code, set(filter(None, verbs.split(",")))


def test_main__imports_only_the_verb_run(tmp_path):
    exit_code, verbs = _imported_verbs(["init", str(tmp_path / "plan.toml"), "-q"])
    assert exit_code == "0" and (tmp_path / "plan.toml").is_file()
    assert verbs == {"init"}


def test_main__help_and_mistakes_see_every_verb():
    result = subprocess.run(
        [sys.executable, "-m", "gwaskit", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert all(verb in result.stdout for verb in VERBS)
    result = subprocess.run(
        [sys.executable, "-m", "gwaskit", "frobnicate"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2 and "invalid choice" in result.stderr
    assert all(verb in result.stderr for verb in VERBS)
