// attnlab report: sortable tables and the attention-pattern view. No network,
// no libraries: everything the page needs is in the page.
(function () {
  "use strict";

  // Sortable tables: click a header to sort by it, again to reverse.
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var ths = table.querySelectorAll("thead th");
    ths.forEach(function (th, col) {
      th.addEventListener("click", function () {
        var asc = !th.classList.contains("asc");
        ths.forEach(function (h) { h.classList.remove("asc", "desc"); });
        th.classList.add(asc ? "asc" : "desc");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[col], y = b.cells[col];
          var xv = x.dataset.v, yv = y.dataset.v, c;
          if (xv !== undefined && yv !== undefined) {
            var xn = xv === "NaN" ? Infinity : Number(xv), yn = yv === "NaN" ? Infinity : Number(yv);
            c = xn < yn ? -1 : xn > yn ? 1 : 0;
          } else {
            c = x.textContent.localeCompare(y.textContent, undefined, { numeric: true });
          }
          return asc ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });

  var dataEl = document.getElementById("pattern-data");
  if (!dataEl) return;
  var views = JSON.parse(dataEl.textContent);
  if (!views.length) return;
  var canvas = document.getElementById("heatmap");
  var ctx = canvas.getContext("2d");
  var rowStrip = document.getElementById("strip-row");
  var colStrip = document.getElementById("strip-col");
  var headBox = document.getElementById("heads");
  var selLabel = document.getElementById("sel-tok");
  var caption = document.getElementById("pattern-caption");
  var cur = 0, sel = -1;

  // Viridis-like ramp from white (0) to dark blue (1) for the heatmap, and
  // translucent colours for the strips.
  function ramp(a) {
    a = Math.max(0, Math.min(1, a));
    var r = Math.round(255 - a * (255 - 8)), g = Math.round(255 - a * (255 - 48)), b = Math.round(255 - a * (255 - 107));
    return "rgb(" + r + "," + g + "," + b + ")";
  }
  function rowColour(a) { return "rgba(214, 39, 40, " + Math.max(0, Math.min(1, a)).toFixed(3) + ")"; }
  function colColour(a) { return "rgba(31, 119, 180, " + Math.max(0, Math.min(1, a)).toFixed(3) + ")"; }

  function makeStrip(strip, tokens) {
    strip.textContent = "";
    tokens.forEach(function (t, i) {
      var s = document.createElement("span");
      s.className = "tok";
      s.dataset.i = i;
      s.textContent = t;
      s.title = "position " + i;
      s.addEventListener("mouseenter", function () { select(i); });
      strip.appendChild(s);
    });
  }

  // The heatmap: queries down the left, keys along the top, each labelled
  // with its token (every k-th one when the cells are too small to label
  // all); the selected token's row and column are outlined.
  var geo = { m: 0, cell: 1 };
  function draw() {
    var v = views[cur], T = v.tokens.length, p = v.pattern;
    var cell = Math.max(3, Math.min(28, Math.floor(560 / T)));
    var font = "10px ui-monospace, Menlo, Consolas, monospace";
    ctx.font = font;
    var lw = 0;
    v.tokens.forEach(function (t) { lw = Math.max(lw, ctx.measureText(t).width); });
    var m = Math.ceil(Math.min(110, lw + 34));
    var stride = Math.max(1, Math.ceil(12 / cell));
    geo = { m: m, cell: cell };
    canvas.width = canvas.height = m + cell * T + 2;
    ctx.font = font;
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    for (var i = 0; i < T; i++) {
      for (var j = 0; j < T; j++) {
        ctx.fillStyle = ramp(p[i * T + j]);
        ctx.fillRect(m + j * cell, m + i * cell, cell, cell);
      }
    }
    ctx.strokeStyle = "#bbb";
    ctx.lineWidth = 1;
    ctx.strokeRect(m - 0.5, m - 0.5, cell * T + 1, cell * T + 1);
    function label(t, i) {
      var s = t.length > 14 ? t.slice(0, 13) + "…" : t;
      ctx.fillStyle = i === sel ? "#d62728" : "#333";
      ctx.textAlign = "right";
      ctx.textBaseline = "middle";
      ctx.fillText(s, m - 4, m + (i + 0.5) * cell); // query i, left
      ctx.save();
      ctx.translate(m + (i + 0.5) * cell, m - 4);
      ctx.rotate(-Math.PI / 2);
      ctx.textAlign = "left";
      ctx.fillStyle = i === sel ? "#1f77b4" : "#333";
      ctx.fillText(s, 0, 0); // key i, top
      ctx.restore();
    }
    for (var k = 0; k < T; k += stride) if (k !== sel) label(v.tokens[k], k);
    if (sel >= 0) label(v.tokens[sel], sel);
    ctx.fillStyle = "#555";
    ctx.textAlign = "left";
    ctx.textBaseline = "top";
    ctx.fillText("query ↓  key →", 2, 2);
    if (sel >= 0) {
      ctx.lineWidth = 2;
      ctx.strokeStyle = "rgb(214, 39, 40)";
      ctx.strokeRect(m, m + sel * cell, T * cell, cell);
      ctx.strokeStyle = "rgb(31, 119, 180)";
      ctx.strokeRect(m + sel * cell, m, cell, T * cell);
    }
  }

  function select(i) {
    var v = views[cur], T = v.tokens.length, p = v.pattern;
    sel = i;
    selLabel.textContent = JSON.stringify(v.tokens[i]) + " (position " + i + ")";
    var rs = rowStrip.children, cs = colStrip.children;
    for (var j = 0; j < T; j++) {
      rs[j].style.backgroundColor = rowColour(p[i * T + j]);
      cs[j].style.backgroundColor = colColour(p[j * T + i]);
      rs[j].classList.toggle("sel", j === i);
      cs[j].classList.toggle("sel", j === i);
    }
    canvas.dataset.selected = String(i);
    draw();
  }

  function show(k) {
    cur = k;
    sel = -1;
    var v = views[k];
    Array.prototype.forEach.call(headBox.children, function (b, j) { b.classList.toggle("active", j === k); });
    caption.textContent = v.head + ": " + v.caption;
    makeStrip(rowStrip, v.tokens);
    makeStrip(colStrip, v.tokens);
    selLabel.textContent = "a token";
    delete canvas.dataset.selected;
    draw();
  }

  // Hovering a cell selects its query (the row).
  canvas.addEventListener("mousemove", function (ev) {
    var T = views[cur].tokens.length, r = canvas.getBoundingClientRect();
    var y = (ev.clientY - r.top) * canvas.height / r.height;
    var i = Math.floor((y - geo.m) / geo.cell);
    if (i >= 0 && i < T && i !== sel) select(i);
  });

  views.forEach(function (v, k) {
    var b = document.createElement("button");
    b.textContent = v.head;
    b.setAttribute("role", "tab");
    b.addEventListener("click", function () { show(k); });
    headBox.appendChild(b);
  });
  show(0);
})();
