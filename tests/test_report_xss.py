"""Stored XSS: markup injected into every table field a user controls (study, locus, gene,
tissue names, alleles, ``n_signals``, manifest entries, checksums) is shown as text, and no
injected script runs in headless Chromium; the page's CSP allows no inline script but
gwaskit's own (issue 13, item 11).

Before the page loads, a DevTools script (not subject to the page's CSP) defines
``window.__xss``; every payload pushes onto it if it ever runs.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from _report_data import make_results, write_results
from gwaskit.cli import main
from gwaskit.report import ReportInputs, build_report, write_report
from gwaskit.report._assets import CSS, JS
from test_report_browser import DevTools, _problems

#: Each payload runs ``window.__xss.push(tag)`` if the browser ever executes it: as an element
#: (script, event handler), after breaking out of an attribute (quotes) or of a textarea/title.
PAYLOADS = (
    "<script>window.__xss.push('script')</script>",
    "<img src=x onerror=\"window.__xss.push('img')\">",
    '"><svg onload="window.__xss.push(\'svg-dq\')">',
    "'><svg onload='window.__xss.push(`svg-sq`)'>",
    "</title></style></textarea><script>window.__xss.push('close')</script>",
    '<a href="javascript:window.__xss.push(\'href\')" id="xss-link">x</a>',
)
EVIL = "".join(PAYLOADS)
#: study and tissue names hundreds of characters long squeeze the figures' axes
pytestmark = pytest.mark.filterwarnings("ignore:constrained_layout not applied:UserWarning")


def _evil(tag: str) -> str:
    """A value of one field: its name (to find it on the page) and every payload."""
    return f"{tag}{EVIL}"


def _hostile_results() -> tuple[dict[str, Any], list[str]]:
    """The report's synthetic results with every user-controlled text field replaced."""
    results = make_results(n_background=4000)
    fields: list[str] = []

    def mark(tag: str) -> str:
        fields.append(tag)
        return _evil(tag)

    loci = results["loci"]
    text_columns = ("locus_id", "name", "chromosome", "effect_allele", "other_allele",
                    "nearest_gene", "genes", "known_variant", "n_signals")  # fmt: skip
    # the lead is shown by rsid, or by variant_id where it has none (loci 2 and 3 here)
    lead = ["rsid", "rsid", "variant_id", "variant_id"]
    loci = loci.with_columns(
        *[
            pl.Series(c, [mark(f"L{i}-{c}") for i in range(loci.height)], pl.String)
            for c in text_columns
        ],
        pl.Series("rsid", [mark("L0-rsid"), mark("L1-rsid"), None, None], pl.String),
        pl.Series("variant_id", [_evil(f"L{i}-variant_id") for i in range(4)], pl.String),
        pl.lit(True).alias("known"),  # known_variant is shown for known loci
    )
    fields += [f"L{i}-variant_id" for i in range(4) if lead[i] == "variant_id"]
    names = {old: mark(f"S{i}-study") for i, old in enumerate(results["per_study"])}
    results["per_study"] = {names[k]: t for k, t in results["per_study"].items()}
    results["studies"] = results["studies"].with_columns(pl.col("study").replace_strict(names))
    results["tissues"] = results["tissues"].with_columns(
        pl.Series("tissue", [mark(f"T{i}-tissue") for i in range(results["tissues"].height)])
    )
    results["loci"] = loci
    results["manifest"] = {
        "title": mark("M-title"),
        "trait": mark("M-trait"),
        "build": mark("M-build"),
        "gwaskit_version": mark("M-version"),
        "created": mark("M-created"),
        "parameters": {mark("M-param-key"): mark("M-param-value"), "method": mark("M-method")},
        "software": {mark("M-software"): mark("M-software-version")},
        "inputs": [{"path": mark("M-input-path"), "sha256": mark("M-input-sha")}],
    }
    results["checksums"] = {mark("C-path"): mark("C-digest")}
    return results, fields


@pytest.fixture(scope="module")
def chromium() -> str:
    import shutil

    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail("chromium is not installed; ./scripts/test installs it (apt-get install)")
    return path


@pytest.fixture(scope="module")
def browser(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevTools]:
    tools = DevTools(chromium, tmp_path_factory.mktemp("chromium-profile"))
    try:
        target = tools.send("Target.createTarget", url="about:blank")["targetId"]
        tools.session = tools.send("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        for domain in ("Runtime", "Log", "Network", "Page"):
            tools.send(f"{domain}.enable")
        tools.send(
            "Network.emulateNetworkConditions",
            offline=True,
            latency=0,
            downloadThroughput=-1,
            uploadThroughput=-1,
        )
        # runs before any script of every page, outside the page's CSP
        tools.send(
            "Page.addScriptToEvaluateOnNewDocument",
            source="window.__xss = []; window.__csp = [];"
            "document.addEventListener('securitypolicyviolation',"
            " e => window.__csp.push(e.violatedDirective));",
        )
        yield tools
    finally:
        tools.close()


def _open(browser: DevTools, path: Path) -> None:
    browser.events.clear()
    browser.send("Page.navigate", url=path.as_uri())
    browser.wait_event("Page.loadEventFired")


def _check_page(browser: DevTools, fields: list[str]) -> None:
    # no payload ran, and nothing was even blocked: all of it arrived as text
    assert browser.evaluate("window.__xss") == []
    assert browser.evaluate("window.__csp") == []
    assert _problems(browser.events) == []
    # gwaskit's own script ran (the loci table is sortable) ...
    assert browser.evaluate("document.getElementById('loci-count').textContent").endswith("shown")
    # ... and is the only script; no injected element or event handler exists
    # (the interactive plots' data are JSON blocks, never run: exactly one per plot)
    assert (
        browser.evaluate(
            "Array.from(document.scripts).filter(s => s.type !== 'application/json').length"
        )
        == 1
    )
    assert browser.evaluate(
        "document.querySelectorAll('script[type=\"application/json\"]').length"
    ) == browser.evaluate("document.querySelectorAll('div.iplot').length")
    assert browser.evaluate("document.querySelectorAll('svg, iframe, #xss-link').length") == 0
    handlers = browser.evaluate(
        "Array.from(document.querySelectorAll('*')).flatMap(e => Array.from(e.attributes))"
        ".filter(a => a.name.startsWith('on')).length"
    )
    assert handlers == 0
    imgs = browser.evaluate("Array.from(document.images).filter(i => !i.src.startsWith('data:'))")
    assert imgs == []
    # every injected field is on the page, as text
    text = browser.evaluate("document.documentElement.textContent")
    title = browser.evaluate("document.title")
    shown = [f for f in fields if f + EVIL in text or f + EVIL == title]
    missing = sorted(set(fields) - set(shown))
    assert not missing, f"fields not shown as text: {missing}"
    assert len(shown) == len(fields)


def test_report__injected_markup_in_every_field_never_runs(browser: DevTools, tmp_path: Path):
    results, fields = _hostile_results()
    # 4 loci x 10 text fields, 3 studies, 8 tissues, 12 manifest and 2 checksum values
    assert len(fields) == 4 * 10 + 3 + 8 + 12 + 2
    path = write_report(ReportInputs(**results), tmp_path / "report.html", dpi=30)
    _open(browser, path)
    _check_page(browser, fields)


def test_report_verb__hostile_results_folder(browser: DevTools, tmp_path: Path) -> None:
    """The stored route of the report: a results folder whose loci.parquet has markup where
    numbers belong (``n_signals``, positions, frequencies, I², p) and in its names, and a
    hostile manifest.json, through ``gwaskit report``."""
    results = make_results(n_background=4000)
    folder = write_results(tmp_path / "results", results)
    loci = pl.read_parquet(folder / "loci.parquet")
    shown = ("n_signals", "name", "base_pair_location")  # the others are shown as NA
    hidden = ("effect_allele_frequency", "i2", "neg_log_10_p_value", "beta")
    fields = [f"L{i}-{c}" for c in shown for i in range(loci.height)]
    loci.with_columns(
        pl.Series(c, [_evil(f"L{i}-{c}") for i in range(loci.height)], pl.String)
        for c in (*shown, *hidden)
    ).write_parquet(folder / "loci.parquet")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["title"] = _evil("M-title")
    (folder / "manifest.json").write_text(json.dumps(manifest))
    fields.append("M-title")
    out = tmp_path / "report.html"
    assert main(["report", str(folder), "--out", str(out), "--no-progress"]) == 0
    _open(browser, out)
    _check_page(browser, fields)


def test_build_report__csp_hashes_not_unsafe_inline() -> None:
    text = build_report(ReportInputs(meta=make_results(n_background=2000)["meta"]), dpi=20)
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', text).group(1)
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert directives["default-src"] == "'none'"

    def digest(source: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode()

    # the one inline script and style sheet are exactly gwaskit's own, allowed by hash
    (script,) = re.findall(r"<script>(.*?)</script>", text, flags=re.S)
    (style,) = re.findall(r"<style>(.*?)</style>", text, flags=re.S)
    assert script == JS and style == CSS
    assert directives["script-src"] == digest(JS) + "'"
    assert directives["style-src"] == digest(CSS) + "'"
