"""The report in a real browser: headless Chromium opens the file from disk with the network
off; no console errors, every figure drawn and not blank, the loci table sorts by p.

Chromium is driven over the DevTools protocol through ``--remote-debugging-pipe`` (file
descriptors 3 and 4, NUL-separated JSON messages): no WebDriver, no websocket library, no new
dependency. Screenshots go to ``test-artifacts/`` (gitignored).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import queue
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from gwaskit.report import ReportInputs, write_report

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
]


class DevTools:
    """A minimal Chrome DevTools Protocol client over the debugging pipe."""

    def __init__(self, chromium: str, profile: Path) -> None:
        # Chromium reads commands on fd 3 and writes replies on fd 4. bash puts the pipe
        # ends there (no preexec_fn, which is unsafe with threads); they are first moved to
        # fds >= 10 so that the redirections cannot overwrite each other.
        low_r, self._to_browser = os.pipe()
        self._from_browser, low_w = os.pipe()
        child_r = fcntl.fcntl(low_r, fcntl.F_DUPFD, 10)
        child_w = fcntl.fcntl(low_w, fcntl.F_DUPFD, 10)
        for fd in (low_r, low_w):
            os.close(fd)
        self.process = subprocess.Popen(
            [
                "bash",  # (dash, Debian's sh, only redirects fds 0-9)
                "-c",
                f'exec "$@" 3<&{child_r} 4>&{child_w} {child_r}<&- {child_w}>&-',
                "bash",
                chromium,
                *FLAGS,
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            pass_fds=(child_r, child_w),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(child_r)
        os.close(child_w)
        self._next_id = 0
        self._messages: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.events: list[dict[str, Any]] = []
        self.session: str | None = None
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        buffer = b""
        with open(self._from_browser, "rb", buffering=0) as pipe:
            while chunk := pipe.read(1 << 16):
                buffer += chunk
                *messages, buffer = buffer.split(b"\0")
                for message in messages:
                    self._messages.put(json.loads(message))
        self._messages.put(None)

    def send(self, method: str, timeout: float = 30.0, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if self.session and not method.startswith("Target."):
            message["sessionId"] = self.session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        reply = self._wait(lambda m: m.get("id") == self._next_id, timeout)
        if "error" in reply:
            raise AssertionError(f"{method} failed: {reply['error']}")
        return reply.get("result", {})

    def wait_event(self, method: str, timeout: float = 30.0) -> dict[str, Any]:
        for event in self.events:
            if event["method"] == method:
                return event
        return self._wait(lambda m: m.get("method") == method, timeout)

    def _wait(self, match: Any, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError("timed out waiting for Chromium")
            message = self._messages.get(timeout=remaining)
            if message is None:
                raise AssertionError("Chromium closed the debugging pipe")
            if "method" in message:
                self.events.append(message)
            if match(message):
                return message

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.send("Browser.close", timeout=5)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._to_browser)


@pytest.fixture(scope="module")
def chromium() -> str:
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
        tools.send(
            "Emulation.setDeviceMetricsOverride",
            width=1280,
            height=900,
            deviceScaleFactor=1,
            mobile=False,
        )
        yield tools
    finally:
        tools.close()


@pytest.fixture(scope="module")
def opened(browser: DevTools, tmp_path_factory: pytest.TempPathFactory) -> DevTools:
    from _report_data import cohort_tables, make_results

    path = tmp_path_factory.mktemp("report") / "report.html"
    results = {**make_results(), **cohort_tables()}
    # loci in an order that is not p order, so that sorting has something to do
    results["loci"] = results["loci"][[1, 3, 0, 2]]
    # rsIDs for the tooltips (the synthetic variants have none)
    results["meta"] = results["meta"].with_columns(
        rsid=pl.format("rs{}", pl.int_range(pl.len()) + 1000)
    )
    OPENED_RESULTS.update(results)
    write_report(ReportInputs(**results), path)
    browser.send("Page.navigate", url=path.as_uri())
    browser.wait_event("Page.loadEventFired")
    # let images decode and the script run
    browser.evaluate(
        "Promise.all(Array.from(document.images).map(i => i.decode())).then(() => true)"
    )
    return browser


OPENED_RESULTS: dict[str, Any] = {}


def _problems(events: list[dict[str, Any]]) -> list[str]:
    out = []
    for event in events:
        method, params = event["method"], event.get("params", {})
        if method == "Runtime.exceptionThrown":
            out.append(f"exception: {params['exceptionDetails'].get('text')}")
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            out.append(f"console.{params['type']}: {params.get('args')}")
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            out.append(f"log: {params['entry'].get('text')}")
    return out


def test_report__opens_offline_without_console_errors(opened: DevTools) -> None:
    assert opened.evaluate("document.title") == "Synthetic case-control meta-analysis"
    assert _problems(opened.events) == []
    requests = [
        e["params"]["request"]["url"]
        for e in opened.events
        if e["method"] == "Network.requestWillBeSent"
    ]
    # the document itself is the only request; images are data: URIs, nothing is fetched
    assert all(url.startswith(("file:", "data:")) for url in requests), requests


def test_report__every_figure_present_and_not_blank(opened: DevTools) -> None:
    figures = opened.evaluate(
        """Array.from(document.querySelectorAll('figure.plot')).map(f => {
          const img = f.querySelector('img');
          const live = f.querySelector('canvas');
          const c = document.createElement('canvas');
          c.width = img.naturalWidth; c.height = img.naturalHeight;
          const g = c.getContext('2d'); g.drawImage(img, 0, 0);
          const d = g.getImageData(0, 0, c.width, c.height).data;
          let ink = 0;
          for (let i = 0; i < d.length; i += 4) {
            if (d[i] < 200 || d[i + 1] < 200 || d[i + 2] < 200) ink++;
          }
          // on screen an interactive figure shows its canvas; the PNG is kept for print
          const r = (live || img).getBoundingClientRect();
          return {id: f.id, w: img.naturalWidth, h: img.naturalHeight, shown: r.width,
                  ink: ink / (c.width * c.height)};
        })"""
    )
    ids = {f["id"] for f in figures}
    # 2 genome-wide + 3 cohorts x (PCA, QQ, checks) + rg heat map + 4 loci x (regional,
    # forest) + tissues + 3 QC
    assert len(figures) == 2 + 3 * 3 + 1 + 4 * 2 + 1 + 3, ids
    for cohort in ("COHORT_A", "COHORT_B", "COHORT_C"):  # every cohort: its PCA and QQ
        assert {f"fig-cohort-{cohort}-pca", f"fig-cohort-{cohort}-qq"} <= ids
    assert {"fig-manhattan", "fig-qq", "fig-rg", "fig-tissues", "fig-qc-se-n"} <= ids
    for f in figures:
        assert f["w"] > 200 and f["h"] > 150 and f["shown"] > 100, f
        # a drawn figure has axes, text and points: well over 0.5% of pixels are not white
        assert f["ink"] > 0.005, f
    assert opened.evaluate("document.querySelectorAll('p.missing').length") == 0


def test_report__loci_table_sorts_by_p(opened: DevTools) -> None:
    header = opened.evaluate(
        """(() => { const th = Array.from(document.querySelectorAll('#loci-table th'))
                      .find(h => h.textContent.trim() === 'p');
                    th.scrollIntoView({block: 'center'});
                    const r = th.getBoundingClientRect();
                    return [r.x + r.width / 2, r.y + r.height / 2]; })()"""
    )
    order_js = """Array.from(document.querySelectorAll('#loci-table tbody tr'))
                  .map(r => parseFloat(r.cells[5].getAttribute('data-sort')))"""
    before = opened.evaluate(order_js)  # -(-log10 p): ascending means most significant first
    assert before != sorted(before), "the fixture must not already be in p order"

    def click() -> None:  # a real mouse click on the header, as a reader would do
        for kind in ("mousePressed", "mouseReleased"):
            opened.send(
                "Input.dispatchMouseEvent",
                type=kind,
                x=header[0],
                y=header[1],
                button="left",
                clickCount=1,
            )

    click()
    ascending = opened.evaluate(order_js)
    assert ascending == sorted(before)
    assert ascending[0] == pytest.approx(-400.0, abs=1e-9)  # float roundoff of the meta z
    first = opened.evaluate("document.querySelector('#loci-table tbody tr').cells[5].textContent")
    assert first == "1.0e-400"
    click()
    descending = opened.evaluate(order_js)
    assert descending == sorted(before, reverse=True)
    assert opened.evaluate("document.querySelector('#loci-table th[aria-sort]').textContent") == "p"
    # search filters rows
    opened.evaluate(
        "(() => { const s = document.querySelector('input.search'); s.value = 'CPQ';"
        " s.dispatchEvent(new Event('input')); })()"
    )
    shown = opened.evaluate(
        "Array.from(document.querySelectorAll('#loci-table tbody tr')).filter(r => !r.hidden).length"
    )
    assert shown == 1
    assert opened.evaluate("document.getElementById('loci-count').textContent") == "1 of 4 shown"
    opened.evaluate(
        "(() => { const s = document.querySelector('input.search'); s.value = '';"
        " s.dispatchEvent(new Event('input')); })()"
    )


def test_report__screenshots(opened: DevTools) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    opened.evaluate("window.scrollTo(0, 0)")
    shot = opened.send("Page.captureScreenshot", format="png")
    (ARTIFACTS / "report-top.png").write_bytes(base64.b64decode(shot["data"]))
    full = opened.send("Page.captureScreenshot", format="png", captureBeyondViewport=True)
    data = base64.b64decode(full["data"])
    (ARTIFACTS / "report-full.png").write_bytes(data)
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000


# --------------------------------------------------------------------- interactive plots


def _mouse(opened: DevTools, kind: str, x: float, y: float, **extra: Any) -> None:
    opened.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, **extra)


def _hover(opened: DevTools, fid: str, index: int) -> dict[str, Any]:
    """Scroll the plot into view, move the mouse onto point ``index`` as a reader would, and
    read the tooltip."""
    x, y = opened.evaluate(
        f"""(() => {{ const f = document.getElementById({json.dumps(fid)});
                     f.scrollIntoView({{block: 'center'}});
                     return window.gwaskitPlots[f.id].pixelOf({index}); }})()"""
    )
    _mouse(opened, "mouseMoved", x, y)
    return opened.evaluate(
        f"""(() => {{ const t = document.querySelector({json.dumps("#" + fid + " .itip")});
                     return {{hidden: t.hidden, id: t.querySelector('.tip-id').textContent,
                              text: t.textContent}}; }})()"""
    )


def _expected_id(variant_id: str) -> str:
    meta = OPENED_RESULTS["meta"]
    return meta.filter(pl.col("variant_id") == variant_id)["rsid"].item()


def test_report__manhattan_tooltip_shows_the_variant(opened: DevTools) -> None:
    data = opened.evaluate("window.gwaskitPlots['fig-manhattan'].d")
    assert opened.evaluate("document.querySelectorAll('figure.interactive').length") == 2 + 4
    # the strongest point: the chromosome 2 lead (-log10 p 400)
    top = max(range(len(data["y"])), key=lambda i: data["y"][i])
    loci = OPENED_RESULTS["loci"]
    lead = loci.sort("neg_log_10_p_value", descending=True).row(0, named=True)
    tip = _hover(opened, "fig-manhattan", top)
    assert not tip["hidden"]
    assert tip["id"] == _expected_id(lead["variant_id"]) == data["id"][top]
    assert tip["id"].startswith("rs")
    assert f"chr2:{lead['base_pair_location']}" in tip["text"]
    assert "p = 1.0e-400" in tip["text"] and "alleles" in tip["text"] and "gene" in tip["text"]


def test_report__manhattan_labels_every_locus(opened: DevTools) -> None:
    labels = opened.evaluate(
        "Array.from(document.querySelectorAll('#fig-manhattan .ilabel')).map(s => "
        "{ const r = s.getBoundingClientRect(); return [s.textContent, r.left, r.right, r.top,"
        " r.bottom]; })"
    )
    names = sorted(OPENED_RESULTS["loci"]["name"].to_list())
    assert len(names) == 4 and sorted(text for text, *_ in labels) == names
    for i, (_, l1, r1, t1, b1) in enumerate(labels):  # no two labels overlap
        for _, l2, r2, t2, b2 in labels[i + 1 :]:
            assert r1 <= l2 or r2 <= l1 or b1 <= t2 or b2 <= t1, labels


def test_report__manhattan_zooms_and_resets(opened: DevTools) -> None:
    plot = "window.gwaskitPlots['fig-manhattan']"
    before = opened.evaluate(f"[{plot}.visible(), {plot}.view.x0, {plot}.view.x1]")
    box = opened.evaluate(
        f"""(() => {{ {plot}.root.scrollIntoView({{block: 'center'}});
                     const r = {plot}.canvas.getBoundingClientRect();
                     return [r.left, r.top, r.width, r.height]; }})()"""
    )
    x0, x1, y = box[0] + box[2] * 0.2, box[0] + box[2] * 0.4, box[1] + box[3] * 0.5
    width = opened.evaluate(f"{plot}.px({plot}.view.x1) - {plot}.px({plot}.view.x0)")
    _mouse(opened, "mousePressed", x0, y, button="left", clickCount=1)
    for k in range(1, 6):
        _mouse(opened, "mouseMoved", x0 + (x1 - x0) * k / 5, y, button="left")
    _mouse(opened, "mouseReleased", x1, y, button="left", clickCount=1)
    after = opened.evaluate(f"[{plot}.visible(), {plot}.view.x0, {plot}.view.x1]")
    assert after[1] > before[1] and after[2] < before[2]
    # the dragged fifth of the canvas, as a share of the plotting area (1 px of rounding)
    share = (after[2] - after[1]) / (before[2] - before[1])
    assert share == pytest.approx((x1 - x0) / width, abs=1.5 / width)
    assert 0 < after[0] < before[0]
    opened.evaluate("document.querySelector('#fig-manhattan .ireset').click()")
    assert opened.evaluate(f"[{plot}.visible(), {plot}.view.x0, {plot}.view.x1]") == before


def test_report__regional_tooltip_shows_the_lead(opened: DevTools) -> None:
    loci = OPENED_RESULTS["loci"]
    row = loci.filter(pl.col("chromosome") == "8").row(0, named=True)
    fid = opened.evaluate(
        "Array.from(document.querySelectorAll('figure.interactive')).map(f => f.id)"
        ".find(id => id.startsWith('fig-regional-') && id.includes('chr8'))"
    )
    data = opened.evaluate(f"window.gwaskitPlots[{json.dumps(fid)}].d")
    lead = data["lead"]
    # the window is centred on the lead
    assert (data["xlim"][0] + data["xlim"][1]) / 2 == pytest.approx(row["base_pair_location"])
    tip = _hover(opened, fid, lead)
    assert not tip["hidden"]
    assert tip["id"] == _expected_id(row["variant_id"])
    assert "r² with lead = 1.00" in tip["text"]


def test_report__interactive_plots_stay_offline_and_error_free(opened: DevTools) -> None:
    assert _problems(opened.events) == []
    requests = [
        e["params"]["request"]["url"]
        for e in opened.events
        if e["method"] == "Network.requestWillBeSent"
    ]
    assert all(url.startswith(("file:", "data:")) for url in requests), requests


def test_report__tables_fit_the_page(opened: DevTools) -> None:
    """At 1,280 px no table is wider than the page's column (the loci table ran off it)."""
    widths = opened.evaluate(
        "Array.from(document.querySelectorAll('table')).map(t => "
        "[t.id, t.scrollWidth, t.parentNode.clientWidth])"
    )
    assert len(widths) >= 8 and any(t == "loci-table" for t, *_ in widths)
    assert [w for w in widths if w[1] > w[2]] == []
