"""`python -m gwaskit` runs the command line."""

from gwaskit.cli import run_command

run_command()
