// A table, printed output, code block or equation wider than the text column scrolls inside
// it. The edge shadow (mmhar.css) is easy to miss on a phone, so every such block that overflows at
// the current width gets a one-line hint just above it; the hint goes away when the window is
// wide enough. Checked by tests/test_browser.py (test_page_fits_a_phone).
(function () {
  "use strict";
  const SCROLLERS = [
    ".pst-scrollable-table-container", ".cell_output .output pre", ".cell_output .output.text_html",
    ".cell_output .output.text_markdown", ".mmhar-scroll", 'mjx-container[display="true"]',
    "div.highlight pre",  // code keeps its lines on a phone (mmhar.css)
  ].join(", ");
  const HINT = "mmhar-scroll-hint";
  // Less than this many pixels out of sight hides no character: no hint for it.
  const SLACK_PX = 4;

  // The theme lays out a display equation's wrapper (div.math) as a flex row: a hint inside it
  // would sit beside the equation and squeeze it, so the hint goes before the wrapper.
  function anchor(el) {
    return el.matches("mjx-container") && el.parentElement.matches("div.math") ? el.parentElement : el;
  }

  function mark() {
    for (const el of document.querySelectorAll("article " + SCROLLERS.split(", ").join(", article "))) {
      const overflows = el.getClientRects().length > 0 && el.scrollWidth > el.clientWidth + SLACK_PX;
      const at = anchor(el);
      let hint = at.previousElementSibling;
      if (!(hint && hint.classList.contains(HINT))) {
        if (!overflows) continue;
        hint = document.createElement("div");
        hint.className = HINT;
        hint.setAttribute("aria-hidden", "true");  // a screen reader reads the whole block anyway
        hint.textContent = "\u2194 wider than the screen: scroll sideways for the rest";
        at.parentNode.insertBefore(hint, at);
      }
      hint.hidden = !overflows;
    }
  }

  let queued = false;
  function schedule() {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; mark(); });
  }
  window.addEventListener("load", () => {
    schedule();
    // MathJax and plotly change the layout after load: follow every size change of the page
    new ResizeObserver(schedule).observe(document.body);
  });
  window.addEventListener("resize", schedule);
})();
