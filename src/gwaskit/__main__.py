"""`python -m gwaskit` runs the command line."""

from gwaskit.cli import main

raise SystemExit(main())
