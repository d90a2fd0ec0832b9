"""The distribution name: ``gwaskit-suite`` on the package index (``gwaskit`` there is an
unrelated empty package), while the import name and the command stay ``gwaskit``."""

from __future__ import annotations

import tomllib
from pathlib import Path

import gwaskit

REPO = Path(__file__).resolve().parents[1]


def test_pyproject__distribution_name_ours_command_and_import_gwaskit():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["name"] == gwaskit.DISTRIBUTION == "gwaskit-suite"
    assert project["scripts"] == {"gwaskit": "gwaskit.cli:run_command"}
    assert (REPO / "src" / "gwaskit" / "__init__.py").is_file()  # `import gwaskit`


def test_readme__says_how_to_install_the_distribution():
    readme = (REPO / "README.md").read_text()
    assert "pip install gwaskit-suite" in readme
    assert "`pip install gwaskit` installs that other package" in readme
