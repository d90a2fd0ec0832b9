"""Generated reference pages: docs/cli.md and docs/plan.md match the code they are made from."""

from __future__ import annotations

import argparse
import dataclasses
import tomllib
from pathlib import Path

import pytest

from gwaskit.cli import build_parser
from gwaskit.cli import reference as ref
from gwaskit.pipeline import plan as plan_module

REPO = Path(__file__).resolve().parents[1]
HOW = f"regenerate it with `{ref.REGENERATE}` (PYTHONPATH=src) and commit the result"


@pytest.mark.parametrize(
    ("page", "generate"), [(ref.CLI_PAGE, ref.cli_reference), (ref.PLAN_PAGE, ref.plan_reference)]
)
def test_reference_page__up_to_date(page, generate):
    path = REPO / page
    assert path.is_file(), f"{page} is missing; {HOW}."
    assert path.read_text() == generate(), f"{page} is out of date with the code; {HOW}."


def test_cli_reference__every_verb_and_option():
    parser = build_parser()
    text = ref.cli_reference(parser)
    (subparsers,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for verb, sub in subparsers.choices.items():
        assert f"\n## gwaskit {verb}\n" in text
        assert ref._prose(sub.description) in text
        for action in sub._actions:
            for option in action.option_strings:
                if option not in ("-h", "--help"):
                    assert f"`{option}" in text or f", {option}" in text, (verb, option)


def test_cli_reference__renders_arguments():
    parser = argparse.ArgumentParser(prog="tool")
    subparsers = parser.add_subparsers()
    sub = subparsers.add_parser("go", help="go somewhere", description="Go | somewhere.")
    sub.add_argument("where", metavar="PLACE")
    sub.add_argument("--study", action="append", required=True, metavar="NAME=FILE")
    sub.add_argument("--method", choices=["a", "b"], default="a", help="method (%(default)s)")
    sub.add_argument("--pair", nargs=2, metavar=("X", "Y"), help="two")
    sub.add_argument("--flag", action=argparse.BooleanOptionalAction, default=True, help="f")
    group = sub.add_argument_group("filters")
    group.add_argument("--rate", type=float, default=0.05, help="max rate")
    text = ref.cli_reference(parser)
    assert "tool go --study NAME=FILE [--study ...] [options] PLACE" in text
    assert "| `--method {a,b}` | method (a) | `a` |" in text
    assert "| `--pair X Y` | two |  |" in text
    assert "| `--flag, --no-flag` | f | `--flag` |" in text
    assert "**Filters**" in text and "| `--rate RATE` | max rate | `0.05` |" in text
    assert "Go \\| somewhere." not in text  # descriptions are paragraphs, not table cells
    assert "| [`go`](#tool-go) | go somewhere |" in text


def test_plan_reference__every_key_documented():
    keys = set(ref.plan_keys())
    assert keys <= set(ref.PLAN_KEY_DOCS), (
        f"plan keys without a meaning: {sorted(keys - set(ref.PLAN_KEY_DOCS))}; add them to "
        "PLAN_KEY_DOCS in src/gwaskit/cli/reference.py"
    )
    assert set(ref.PLAN_KEY_DOCS) <= keys, (
        f"PLAN_KEY_DOCS documents keys the plan does not have: "
        f"{sorted(set(ref.PLAN_KEY_DOCS) - keys)}"
    )
    assert set(ref.PLAN_SECTION_DOCS) == set(ref.plan_sections())
    assert set(ref.plan_sections()) == {*plan_module._SECTIONS, "cohort"}


def test_plan_reference__undocumented_key_fails(monkeypatch):
    docs = dict(ref.PLAN_KEY_DOCS)
    del docs[("loci", "clump_r2")]
    monkeypatch.setattr(ref, "PLAN_KEY_DOCS", docs)
    with pytest.raises(KeyError, match="clump_r2"):
        ref.plan_reference()


def test_plan_reference__defaults_and_choices_are_valid_toml():
    text = ref.plan_reference()
    for section, cls in ref.plan_sections().items():
        for f in dataclasses.fields(cls):
            rendered = ref._plan_default(f)
            assert f"| `{f.name}` | " in text
            if rendered in ("unset", "*required*"):
                continue
            value = tomllib.loads(f"x = {rendered.strip('`')}")["x"]
            expected = f.default if f.default is not dataclasses.MISSING else f.default_factory()
            assert value == (list(expected) if isinstance(expected, tuple) else expected)
        for (where, key), choices in plan_module._CHOICES.items():
            if where == section:
                for choice in choices:
                    assert f'`"{choice}"`' in text, (section, key, choice)
    assert "```toml\n# gwaskit plan" in text  # the example plan is shown


def test_cli_reference__help_is_shown_verbatim():
    assert ref._cell("PLINK .glm.* | `x*y` <tag>") == "PLINK .glm.\\* \\| `x*y` &lt;tag>"
    assert ref._prose("a `*` b *c*") == "a `*` b \\*c\\*"
