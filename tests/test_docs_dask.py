"""The docs never tell a user to start an open Dask scheduler: every `dask scheduler` command
they show is bound to the machine itself (``--host 127.0.0.1``) or requires TLS."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def test_docs__every_dask_scheduler_command_is_local_or_tls():
    commands = [
        (path.name, line.strip())
        for path in DOCS
        for line in path.read_text().splitlines()
        if re.search(r"^\s*dask[ -]scheduler\b", line)
    ]
    assert len(commands) >= 2  # the localhost and the TLS example
    for name, line in commands:
        assert "--host 127.0.0.1" in line or "--protocol tls" in line, (name, line)
    tutorial = (REPO / "docs" / "tutorial.md").read_text()
    assert "require-encryption: true" in tutorial  # the client side of TLS
    assert "listens on every network interface" in tutorial
