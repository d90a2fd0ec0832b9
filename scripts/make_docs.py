#!/usr/bin/env python
"""Regenerate docs/cli.md (from the argument parser), docs/plan.md (from the plan schema) and
docs/sumstats-formats.md (from the summary-statistics layout table).

    python scripts/make_docs.py           # rewrite the pages
    python scripts/make_docs.py --check   # exit 1 if a page is out of date (what the tests do)

Run it from anywhere with gwaskit importable (installed, or ``PYTHONPATH=src``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gwaskit.cli.reference import CLI_PAGE, PLAN_PAGE, cli_reference, plan_reference
from gwaskit.io.sumstats_layouts import FORMATS_PAGE, formats_reference

REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare only; write nothing")
    args = parser.parse_args(argv)
    stale = []
    pages = (
        (CLI_PAGE, cli_reference()),
        (PLAN_PAGE, plan_reference()),
        (FORMATS_PAGE, formats_reference()),
    )
    for page, text in pages:
        path = REPO / page
        if path.is_file() and path.read_text() == text:
            continue
        stale.append(page)
        if not args.check:
            path.write_text(text)
            print(f"wrote {page}")
    if args.check and stale:
        print(
            f"out of date: {', '.join(stale)}; run `python scripts/make_docs.py`", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
