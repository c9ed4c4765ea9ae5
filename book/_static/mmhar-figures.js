// Plotly titles do not wrap: a title longer than its figure is cut at the figure's edge (on a
// phone, most of them). After every draw, a title wider than its figure is broken at word
// boundaries into lines that fit, and the top margin grows with it; the original text is kept
// so that a wider window gets the single line back. Checked by tests/test_browser.py.
(function () {
  "use strict";
  const MARGIN_PX = 24;

  function wrap(text, maxChars) {
    const lines = [];
    let line = "";
    // split at plain spaces only: a no-break space (U+00A0) keeps "t = 0.1" on one line
    for (const word of text.split(/[ \t\n\r]+/)) {
      if (line && (line + " " + word).length > maxChars) { lines.push(line); line = word; }
      else line = line ? line + " " + word : word;
    }
    if (line) lines.push(line);
    return lines.join("<br>");
  }

  // On a narrow screen a legend on the right takes half the figure: move it under the plot,
  // horizontal, and make room for it in the bottom margin (measured once it is drawn there).
  const NARROW_PX = 640;
  function fitLegend(gd) {
    const L = gd._fullLayout;
    const width = gd.getBoundingClientRect().width;
    if (!L.showlegend || width >= NARROW_PX) return null;
    const legend = gd.querySelector("g.legend");
    if (!legend) return null;
    if (L.legend.orientation === "v" && L.legend.x >= 1) {
      gd.dataset.mmharBottom = String(L.margin.b);
      return { "legend.orientation": "h", "legend.x": 0, "legend.xanchor": "left",
               "legend.yref": "container", "legend.y": 0, "legend.yanchor": "bottom" };
    }
    // grow the bottom margin until the legend is inside the figure (at most three steps)
    const tries = Number(gd.dataset.mmharLegendRoom || 0);
    const svg = gd.querySelector("svg.main-svg").getBoundingClientRect();
    const box = (legend.querySelector("rect.bg") || legend).getBoundingClientRect();
    if (gd.dataset.mmharBottom && tries < 3 && (tries === 0 || box.bottom > svg.bottom - 2)) {
      gd.dataset.mmharLegendRoom = String(tries + 1);
      const height = Math.max(box.height, (L.legend && L.legend._height) || 0);
      return { "margin.b": Math.max(L.margin.b, Number(gd.dataset.mmharBottom) + height + 20)
                           + (tries ? box.bottom - svg.bottom + 10 : 0) };
    }
    return null;
  }

  function fit(gd) {
    if (!gd._fullLayout || gd.dataset.mmharFitting) return;
    const legendUpdate = fitLegend(gd);
    if (legendUpdate) {
      gd.dataset.mmharFitting = "1";
      window.Plotly.relayout(gd, legendUpdate).then(() => { delete gd.dataset.mmharFitting; fit(gd); });
      return;
    }
    const layout = gd.layout || {};
    const title = layout.title && (typeof layout.title === "string" ? layout.title : layout.title.text);
    if (!title) { gd.dataset.mmharFitted = "1"; return; }
    const original = gd.dataset.mmharTitle || title.replace(/<br>/g, " ");
    gd.dataset.mmharTitle = original;
    const width = gd.getBoundingClientRect().width - MARGIN_PX;
    const node = gd.querySelector(".g-gtitle text");
    // the width of one character, from the widest line drawn now
    let perChar = 0;
    if (node) {
      const spans = node.querySelectorAll("tspan.line");
      for (const line of (spans.length ? spans : [node])) {
        const n = line.textContent.length;
        if (n) perChar = Math.max(perChar, line.getBoundingClientRect().width / n);
      }
    }
    const maxChars = perChar > 0 ? Math.floor(width / perChar) : original.length;
    const wanted = original.length <= maxChars ? original : wrap(original, Math.max(12, maxChars));
    if (wanted === title) { gd.dataset.mmharFitted = "1"; return; }
    // each added line of title pushes the plot (and a legend above it) down by one line
    if (!gd.dataset.mmharTop) gd.dataset.mmharTop = String((gd._fullLayout.margin || {}).t || 80);
    const lines = wanted.split("<br>").length;
    const top = Number(gd.dataset.mmharTop) + 24 * (lines - 1);
    gd.dataset.mmharFitting = "1";
    // pinned to the top: by default a title sits in the middle of the top margin, which would
    // move it down onto a legend above the plot as the margin grows
    window.Plotly.relayout(gd, { "title.text": wanted, "margin.t": top, "title.yref": "container",
                                 "title.y": 1, "title.yanchor": "top", "title.pad.t": 14 }).then(() => {
      delete gd.dataset.mmharFitting;
      gd.dataset.mmharFitted = "1";
    });
  }

  function attach() {
    if (!window.Plotly) return;
    document.querySelectorAll("div.plotly-graph-div").forEach(gd => {
      if (gd.dataset.mmharAttached) return;
      if (!gd._fullLayout) { setTimeout(attach, 100); return; }
      gd.dataset.mmharAttached = "1";
      gd.on("plotly_afterplot", () => fit(gd));
      fit(gd);
    });
  }

  window.addEventListener("load", attach);
  window.addEventListener("resize", () => document.querySelectorAll("div.plotly-graph-div")
    .forEach(gd => { delete gd.dataset.mmharFitted; fit(gd); }));
})();
