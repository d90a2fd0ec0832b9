"""The report's inline style sheet and script (no external resources)."""

from importlib import resources

CSS = """
:root { --ink: #1d2733; --muted: #5b6776; --line: #d9dee5; --accent: #2b5c8a; --novel: #d1495b;
        --known: #b07d1a; --bg: #fbfcfd; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: var(--ink); background: var(--bg); }
header { background: var(--accent); color: white; padding: 1.2rem 2rem; }
header h1 { margin: 0 0 .2rem; font-size: 1.6rem; }
header p { margin: 0; opacity: .9; }
nav { position: sticky; top: 0; background: white; border-bottom: 1px solid var(--line);
      padding: .4rem 2rem; z-index: 2; font-size: .9rem; }
nav a { margin-right: 1rem; color: var(--accent); text-decoration: none; }
main { max-width: 1200px; margin: 0 auto; padding: 1rem 2rem 4rem; }
section { margin: 2rem 0; }
h2 { border-bottom: 2px solid var(--line); padding-bottom: .2rem; }
h3 { margin-bottom: .3rem; }
.cards { display: flex; flex-wrap: wrap; gap: .8rem; }
.card { background: white; border: 1px solid var(--line); border-radius: 6px; padding: .6rem 1rem;
        min-width: 9rem; }
.card b { display: block; font-size: 1.4rem; }
.card span { color: var(--muted); font-size: .85rem; }
figure { margin: 1rem 0; background: white; border: 1px solid var(--line); border-radius: 6px;
         padding: .6rem; }
figure img { max-width: 100%; height: auto; display: block; margin: 0 auto; }
figcaption { color: var(--muted); font-size: .85rem; margin-top: .3rem; }
.row { display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-start; }
.row > figure { flex: 1 1 420px; }
table { border-collapse: collapse; width: 100%; background: white; font-size: .85rem; }
th, td { border-bottom: 1px solid var(--line); padding: .3rem .5rem; text-align: left;
         vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.sortable th { cursor: pointer; user-select: none; }
#loci-table { font-size: .8rem; }
#loci-table td, #loci-table th { padding: .25rem .35rem; }
#loci-table td { overflow-wrap: anywhere; }
#loci-table td.num { white-space: nowrap; overflow-wrap: normal; }
table.sortable th::after { content: " \\2195"; color: #aab; }
table.sortable th[aria-sort=ascending]::after { content: " \\2191"; color: var(--ink); }
table.sortable th[aria-sort=descending]::after { content: " \\2193"; color: var(--ink); }
.tag { border-radius: 3px; padding: 0 .35rem; font-size: .8rem; white-space: nowrap; }
.tag.novel { background: #fbe3e6; color: var(--novel); }
.tag.known { background: #fbefd6; color: var(--known); }
.tag.flag { background: #fbe3e6; color: #b3261e; }
.warning { background: #fff4e5; border-left: 4px solid #d9822b; padding: .6rem 1rem; }
.missing { color: var(--muted); font-style: italic; background: #f3f5f8; padding: .6rem 1rem;
           border-radius: 6px; }
.note { background: #eef4fa; border-left: 4px solid var(--accent); padding: .6rem 1rem; }
.search { margin: .5rem 0; padding: .35rem .6rem; width: 22rem; max-width: 100%;
          border: 1px solid var(--line); border-radius: 4px; font: inherit; }
.count { color: var(--muted); font-size: .85rem; margin-left: .6rem; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .85em; }
.scroll { overflow-x: auto; }
@media print { nav { display: none; } }
.refs li { margin-bottom: .3rem; font-size: .9rem; }
.doi { color: var(--muted); }
.iplot { position: relative; }
.ibar { display: flex; gap: .8rem; align-items: center; font-size: .8rem; color: var(--muted);
        margin-bottom: .2rem; }
.ibar button { font: inherit; padding: .1rem .5rem; border: 1px solid var(--line);
               border-radius: 4px; background: white; cursor: pointer; }
.istage { position: relative; width: 100%; }
.istage canvas { display: block; cursor: crosshair; }
.ilabels { position: absolute; inset: 0; pointer-events: none; }
.ilabel { position: absolute; font-size: 11px; font-style: italic; white-space: nowrap;
          color: var(--novel); line-height: 14px; }
.ilabel.known { font-style: normal; color: var(--known); }
.izoom { position: absolute; background: rgba(43, 92, 138, .12); border: 1px solid var(--accent);
         pointer-events: none; }
.itip { position: absolute; background: white; border: 1px solid var(--line); border-radius: 4px;
        padding: .3rem .5rem; font-size: .8rem; box-shadow: 0 2px 6px rgba(0,0,0,.15);
        pointer-events: none; white-space: nowrap; z-index: 3; }
.itip b { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
.js figure.interactive > img { display: none; }
.js figure.interactive.keep-png > img { display: block; margin-top: .6rem; }
.qc-warning { color: #b3261e; margin: .2rem 0; font-weight: 500; }
.qc-warning::before { content: "⚠ "; }
.cohort { border-top: 1px solid var(--line); margin-top: 1.2rem; }
.cohort.flagged h3 { color: #b3261e; }
.downloads li { margin-bottom: .2rem; }
@media print {
  .js figure.interactive > img { display: block; }
  .iplot { display: none; }
}
"""

_TABLES_JS = """
(function () {
  "use strict";
  function key(cell, numeric) {
    var v = cell.getAttribute("data-sort");
    if (v === null) { v = cell.textContent.trim(); }
    if (!numeric) { return v.toLowerCase(); }
    var x = parseFloat(v);
    return isNaN(x) ? null : x;
  }
  function sortTable(table, index, th) {
    var numeric = th.classList.contains("num");
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a.cells[index], numeric), y = key(b.cells[index], numeric);
      if (x === null || x === "") { return (y === null || y === "") ? 0 : 1; }
      if (y === null || y === "") { return -1; }
      var c = x < y ? -1 : x > y ? 1 : 0;
      return ascending ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
    Array.prototype.forEach.call(th.parentNode.cells, function (h) {
      h.removeAttribute("aria-sort");
    });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
      th.addEventListener("click", function () { sortTable(table, i, th); });
    });
  });
  document.querySelectorAll("input.search").forEach(function (input) {
    var table = document.getElementById(input.getAttribute("data-table"));
    var count = document.getElementById(input.getAttribute("data-count"));
    function filter() {
      var words = input.value.toLowerCase().split(/\\s+/).filter(Boolean);
      var shown = 0, rows = table.tBodies[0].rows;
      Array.prototype.forEach.call(rows, function (row) {
        var text = row.textContent.toLowerCase();
        var ok = words.every(function (w) { return text.indexOf(w) >= 0; });
        row.hidden = !ok;
        if (ok) { shown += 1; }
      });
      if (count) { count.textContent = shown + " of " + rows.length + " shown"; }
    }
    input.addEventListener("input", filter);
    filter();
  });
})();
"""


#: The interactive plots (gwaskit's own canvas code, ``assets/plots.js``).
PLOTS_JS = (resources.files("gwaskit.report") / "assets" / "plots.js").read_text(encoding="utf-8")
#: The page's one inline script: sortable/searchable tables, then the plots.
JS = _TABLES_JS + PLOTS_JS
