/* gwaskit interactive plots: scatter on a canvas with zoom (drag a box; double-click or
   "Reset" to go back) and a tooltip for the variant under the cursor. Data come from a
   <script type="application/json"> block of the page; nothing is fetched. MIT licence, part
   of gwaskit. */
(function () {
  "use strict";
  var PAD = { l: 48, r: 14, t: 14, b: 36 };
  var CELL = 8; // hover index cell (px)
  function fmtP(y) {
    if (!isFinite(y)) { return "NA"; }
    if (y < 3) { return Math.pow(10, -y).toPrecision(2); }
    var e = Math.ceil(y), m = Math.pow(10, e - y);
    if (m >= 9.95) { m = 1; e -= 1; }
    return m.toFixed(1) + "e-" + e;
  }
  function ticks(lo, hi, n) {
    var span = hi - lo;
    if (!(span > 0)) { return [lo]; }
    var step = Math.pow(10, Math.floor(Math.log10(span / n)));
    var err = span / n / step;
    step *= err >= 7.5 ? 10 : err >= 3.5 ? 5 : err >= 1.5 ? 2 : 1;
    var out = [];
    for (var t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) {
      out.push(Math.abs(t) < step * 1e-9 ? 0 : t);
    }
    return out;
  }
  function el(tag, cls, parent) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (parent) { parent.appendChild(e); }
    return e;
  }
  function Plot(root, d) {
    var self = this;
    this.root = root; this.d = d;
    this.n = d.x.length;
    this.full = { x0: d.xlim[0], x1: d.xlim[1], y0: d.ylim[0], y1: d.ylim[1] };
    this.view = { x0: d.xlim[0], x1: d.xlim[1], y0: d.ylim[0], y1: d.ylim[1] };
    var bar = el("div", "ibar", root);
    var reset = el("button", "ireset", bar);
    reset.type = "button"; reset.textContent = "Reset zoom";
    el("span", "ihelp", bar).textContent = "Drag to zoom, double-click to reset, hover a point for details.";
    this.stage = el("div", "istage", root);
    this.canvas = el("canvas", null, this.stage);
    this.labels = el("div", "ilabels", this.stage);
    this.box = el("div", "izoom", this.stage);
    this.tip = el("div", "itip", this.stage);
    this.tip.hidden = true; this.box.hidden = true;
    reset.addEventListener("click", function () { self.reset(); });
    this.canvas.addEventListener("dblclick", function () { self.reset(); });
    this.canvas.addEventListener("mousemove", function (ev) { self.move(ev); });
    this.canvas.addEventListener("mouseleave", function () { self.tip.hidden = true; });
    this.canvas.addEventListener("mousedown", function (ev) { self.down(ev); });
    window.addEventListener("mouseup", function (ev) { self.up(ev); });
    window.addEventListener("resize", function () { self.draw(); });
    this.draw();
  }
  Plot.prototype.reset = function () {
    var f = this.full;
    this.view = { x0: f.x0, x1: f.x1, y0: f.y0, y1: f.y1 };
    this.draw();
  };
  Plot.prototype.px = function (x) {
    var v = this.view;
    return PAD.l + (x - v.x0) / (v.x1 - v.x0) * (this.w - PAD.l - PAD.r);
  };
  Plot.prototype.py = function (y) {
    var v = this.view;
    return this.top + (1 - (y - v.y0) / (v.y1 - v.y0)) * (this.bottom - this.top);
  };
  Plot.prototype.geneRows = function () {
    // genes in view, each in the first row where its line and name do not overlap another
    var v = this.view, out = [], rows = [], g = this.canvas.getContext("2d");
    g.font = "italic 11px system-ui, sans-serif";
    var self = this;
    this.d.genes.forEach(function (gene) {
      if (gene[1] < v.x0 || gene[0] > v.x1) { return; }
      var a = Math.max(self.px(gene[0]), PAD.l), b = Math.min(self.px(gene[1]), self.w - PAD.r);
      var mid = (a + b) / 2, half = g.measureText(gene[2] + " \u2192").width / 2 + 8;
      var left = Math.min(a, mid - half), right = Math.max(b, mid + half), r = 0;
      while (r < rows.length && rows[r] > left) { r++; }
      rows[r] = right;
      out.push({ a: a, b: b, mid: mid, row: r, name: gene[2], strand: gene[3] });
    });
    return out;
  };
  Plot.prototype.draw = function () {
    var d = this.d, v = this.view, i, k;
    this.w = Math.max(this.stage.clientWidth, 300);
    var genes = d.genes ? this.geneRows() : [];
    var nGeneRows = genes.reduce(function (m, gr) { return Math.max(m, gr.row + 1); }, 0);
    var band = nGeneRows ? 12 + nGeneRows * 22 : 0;
    this.h = (d.height || 320) + band;
    var plotBottom = this.h - PAD.b - band;
    var ratio = window.devicePixelRatio || 1;
    this.canvas.width = this.w * ratio; this.canvas.height = this.h * ratio;
    this.canvas.style.width = this.w + "px"; this.canvas.style.height = this.h + "px";
    this.stage.style.height = this.h + "px";
    this.top = PAD.t + this.placeLabels();
    var g = this.canvas.getContext("2d");
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, this.w, this.h);
    g.font = "11px system-ui, sans-serif"; g.fillStyle = "#1d2733"; g.strokeStyle = "#888";
    var x0 = PAD.l, x1 = this.w - PAD.r, y0 = this.top, y1 = plotBottom;
    this.bottom = plotBottom;
    g.beginPath(); g.moveTo(x0, y0); g.lineTo(x0, y1); g.lineTo(x1, y1); g.stroke();
    g.textAlign = "right"; g.textBaseline = "middle";
    ticks(v.y0, v.y1, 5).forEach(function (t) {
      var y = this.py(t);
      g.fillText(String(+t.toFixed(6)), x0 - 5, y);
      g.beginPath(); g.moveTo(x0 - 3, y); g.lineTo(x0, y); g.stroke();
    }, this);
    g.textAlign = "center"; g.textBaseline = "top";
    if (d.xticks) {
      for (i = 0; i < d.xticks.length; i++) {
        var tx = this.px(d.xticks[i]);
        if (tx >= x0 && tx <= x1) { g.fillText(d.xticklabels[i], tx, y1 + 4); }
      }
    } else {
      var scale = d.xscale || 1;
      ticks(v.x0 / scale, v.x1 / scale, 6).forEach(function (t) {
        var x = this.px(t * scale);
        g.fillText(String(+t.toFixed(6)), x, y1 + 4);
        g.beginPath(); g.moveTo(x, y1); g.lineTo(x, y1 + 3); g.stroke();
      }, this);
    }
    g.fillText(d.xlabel || "", (x0 + x1) / 2, y1 + 19);
    g.save(); g.translate(12, (y0 + y1) / 2); g.rotate(-Math.PI / 2);
    g.textBaseline = "middle"; g.fillText(d.ylabel || "-log10 p", 0, 0); g.restore();
    g.save(); g.beginPath(); g.rect(x0, y0, x1 - x0, y1 - y0); g.clip();
    (d.hlines || []).forEach(function (h) {
      var y = this.py(h[0]);
      g.strokeStyle = h[1]; g.setLineDash([5, 4]);
      g.beginPath(); g.moveTo(x0, y); g.lineTo(x1, y); g.stroke();
    }, this);
    g.setLineDash([]);
    if (d.recomb) { this.drawRecomb(g, x0, x1, y0, y1); }
    if (d.diagonal) {
      g.strokeStyle = "#b22222";
      g.beginPath(); g.moveTo(this.px(v.x0), this.py(v.x0));
      g.lineTo(this.px(v.x1), this.py(v.x1)); g.stroke();
    }
    // points: lower colour indices first, so highlighted points sit on top
    this.grid = {};
    var order = d.order || null, size = d.size || 3;
    for (k = 0; k < this.n; k++) {
      i = order ? order[k] : k;
      var x = d.x[i], y = d.y[i];
      if (x < v.x0 || x > v.x1 || y < v.y0 || y > v.y1) { continue; }
      var px = this.px(x), py = this.py(y), c = d.c ? d.c[i] : 0;
      g.fillStyle = d.palette[c];
      if (d.lead === i) {
        g.beginPath(); g.moveTo(px, py - 6); g.lineTo(px + 5, py); g.lineTo(px, py + 6);
        g.lineTo(px - 5, py); g.closePath(); g.fill(); g.strokeStyle = "#000"; g.stroke();
      } else {
        g.beginPath(); g.arc(px, py, size, 0, 6.2832); g.fill();
      }
      var key = Math.floor(px / CELL) * 65536 + Math.floor(py / CELL);
      (this.grid[key] || (this.grid[key] = [])).push(i);
    }
    g.restore();
    if (genes.length) {
      g.save(); g.font = "italic 11px system-ui, sans-serif"; g.textAlign = "center";
      g.textBaseline = "top"; g.fillStyle = "#1d2733"; g.strokeStyle = "#2b5c8a"; g.lineWidth = 3;
      genes.forEach(function (gr) {
        var y = y1 + 38 + gr.row * 22;
        g.beginPath(); g.moveTo(gr.a, y); g.lineTo(Math.max(gr.b, gr.a + 1), y); g.stroke();
        g.fillText(gr.name + (gr.strand === "-" ? " \u2190" : " \u2192"), gr.mid, y + 3);
      });
      g.restore();
    }
    // leader lines from the labels to their leads
    g.strokeStyle = "#999"; g.lineWidth = 0.7;
    (this.placed || []).forEach(function (p) {
      var ly = Math.max(this.py(Math.min(p.y, v.y1)) - 4, p.ly);
      g.beginPath(); g.moveTo(p.lx, p.ly); g.lineTo(this.px(p.x), ly); g.stroke();
    }, this);
  };
  Plot.prototype.drawRecomb = function (g, x0, x1, y0, y1) {
    // the recombination rate (cM/Mb) as a step line on its own right-hand scale
    var r = this.d.recomb, top = 0, i, last = 0;
    for (i = 0; i < r.y.length; i++) { top = Math.max(top, r.y[i]); }
    top = Math.max(top * 1.1, 1);
    g.strokeStyle = "#5ab4e5"; g.lineWidth = 1; g.beginPath();
    for (i = 0; i < r.x.length; i++) {
      var px = this.px(r.x[i]), py = y1 - r.y[i] / top * (y1 - y0);
      if (i === 0) { g.moveTo(px, py); } else { g.lineTo(px, last); g.lineTo(px, py); }
      last = py;
    }
    g.stroke();
    g.save(); g.fillStyle = "#3a8cc0"; g.textAlign = "right"; g.textBaseline = "top";
    g.fillText("recombination " + top.toFixed(0) + " cM/Mb", x1 - 2, y0 + 2); g.restore();
  };
  Plot.prototype.placeLabels = function () {
    // loci labels as text elements in rows above the points: each goes in the first row
    // where it does not overlap a label already placed (no collision, none dropped)
    var d = this.d, v = this.view, rows = [], self = this;
    this.labels.textContent = "";
    this.placed = [];
    if (!d.labels) { return 0; }
    var items = d.labels.filter(function (l) { return l.x >= v.x0 && l.x <= v.x1; });
    items.sort(function (a, b) { return a.x - b.x; });
    var spans = items.map(function (l) {
      var s = el("span", "ilabel" + (l.known ? " known" : ""), self.labels);
      s.textContent = l.text;
      return s;
    });
    var widths = spans.map(function (s) { return s.offsetWidth + 6; });
    var H = 14;
    items.forEach(function (l, j) {
      var cx = self.px(l.x), w = widths[j];
      var left = Math.min(Math.max(cx - w / 2, PAD.l), self.w - PAD.r - w);
      var r = 0;
      while (r < rows.length && rows[r] > left) { r++; }
      rows[r] = left + w;
      l._left = left; l._row = r;
    });
    var nrows = rows.length;
    items.forEach(function (l, j) {
      var top = PAD.t + (nrows - 1 - l._row) * H;
      spans[j].style.left = l._left + "px";
      spans[j].style.top = top + "px";
      self.placed.push({ x: l.x, y: l.y, lx: l._left + (widths[j] - 6) / 2, ly: top + H });
    });
    return nrows * H + 4;
  };
  Plot.prototype.nearest = function (mx, my) {
    var cx = Math.floor(mx / CELL), cy = Math.floor(my / CELL), best = -1, bd = 64;
    for (var a = cx - 1; a <= cx + 1; a++) {
      for (var b = cy - 1; b <= cy + 1; b++) {
        var list = this.grid[a * 65536 + b];
        if (!list) { continue; }
        for (var k = 0; k < list.length; k++) {
          var i = list[k];
          var dx = this.px(this.d.x[i]) - mx, dy = this.py(this.d.y[i]) - my;
          var dd = dx * dx + dy * dy;
          if (dd <= bd) { bd = dd; best = i; }
        }
      }
    }
    return best;
  };
  Plot.prototype.local = function (ev) {
    var r = this.canvas.getBoundingClientRect();
    return [ev.clientX - r.left, ev.clientY - r.top];
  };
  Plot.prototype.move = function (ev) {
    var m = this.local(ev), s = this.drag;
    if (s) {
      var b = this.box;
      b.hidden = false;
      b.style.left = Math.min(s[0], m[0]) + "px"; b.style.top = Math.min(s[1], m[1]) + "px";
      b.style.width = Math.abs(m[0] - s[0]) + "px"; b.style.height = Math.abs(m[1] - s[1]) + "px";
      this.tip.hidden = true;
      return;
    }
    var i = this.nearest(m[0], m[1]);
    if (i < 0) { this.tip.hidden = true; return; }
    this.showTip(i);
  };
  Plot.prototype.showTip = function (i) {
    var d = this.d, t = this.tip, f = d.fields || {};
    t.textContent = "";
    el("b", "tip-id", t).textContent = d.id[i];
    var lines = [d.where ? d.where[i] : "", "p = " + fmtP(d.y_p ? d.y_p[i] : d.y[i])];
    if (f.alleles) { lines.push("alleles " + f.alleles[i] + " (effect/other)"); }
    if (f.beta) { lines.push((d.effect || "beta") + " = " + f.beta[i]); }
    if (f.r2) { lines.push("r² with lead = " + f.r2[i]); }
    if (f.gene && f.gene[i]) { lines.push("gene " + f.gene[i]); }
    lines.forEach(function (text) { if (text) { el("div", null, t).textContent = text; } });
    t.hidden = false;
    var px = this.px(d.x[i]), py = this.py(d.y[i]);
    t.style.left = Math.min(px + 10, this.w - t.offsetWidth - 4) + "px";
    t.style.top = Math.max(py - t.offsetHeight - 8, 0) + "px";
    this.tipIndex = i;
  };
  Plot.prototype.down = function (ev) {
    if (ev.button !== 0) { return; }
    this.drag = this.local(ev);
    ev.preventDefault();
  };
  Plot.prototype.up = function (ev) {
    var s = this.drag;
    if (!s) { return; }
    this.drag = null; this.box.hidden = true;
    var m = this.local(ev);
    if (Math.abs(m[0] - s[0]) < 5) { return; }
    var v = this.view, W = this.w - PAD.l - PAD.r, H = this.bottom - this.top;
    var xa = v.x0 + (Math.min(s[0], m[0]) - PAD.l) / W * (v.x1 - v.x0);
    var xb = v.x0 + (Math.max(s[0], m[0]) - PAD.l) / W * (v.x1 - v.x0);
    var nv = { x0: Math.max(xa, v.x0), x1: Math.min(xb, v.x1), y0: v.y0, y1: v.y1 };
    if (Math.abs(m[1] - s[1]) >= 5) {
      var ya = v.y1 - (Math.max(s[1], m[1]) - this.top) / H * (v.y1 - v.y0);
      var yb = v.y1 - (Math.min(s[1], m[1]) - this.top) / H * (v.y1 - v.y0);
      nv.y0 = Math.max(ya, v.y0); nv.y1 = Math.min(yb, v.y1);
    }
    if (nv.x1 > nv.x0 && nv.y1 > nv.y0) { this.view = nv; this.draw(); }
  };
  /* the page's plots, by figure id, for the browser test and the curious reader */
  Plot.prototype.pixelOf = function (i) {
    var r = this.canvas.getBoundingClientRect();
    return [r.left + this.px(this.d.x[i]), r.top + this.py(this.d.y[i])];
  };
  Plot.prototype.visible = function () {
    var v = this.view, d = this.d, n = 0;
    for (var i = 0; i < this.n; i++) {
      if (d.x[i] >= v.x0 && d.x[i] <= v.x1 && d.y[i] >= v.y0 && d.y[i] <= v.y1) { n++; }
    }
    return n;
  };
  var plots = {};
  document.documentElement.classList.add("js");
  document.querySelectorAll("div.iplot").forEach(function (root) {
    var source = document.getElementById(root.getAttribute("data-json"));
    try {
      plots[root.parentNode.id] = new Plot(root, JSON.parse(source.textContent));
    } catch (err) {
      root.hidden = true;  // the static image stays
      root.parentNode.classList.remove("interactive");
      throw err;
    }
  });
  window.gwaskitPlots = plots;
})();
