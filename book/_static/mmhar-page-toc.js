// The right-hand "Contents" marks the section being read. The theme marks a section only when
// its heading moves through the top 30 % of the window, so a jump over a heading (a link, Page
// Down, a fast flick) leaves the section before it marked, and the short last sections of a
// page (Summary, Exercises, References), whose headings never get that high, are never marked.
// After each scroll this marks the last heading above a reading line: 30 % down the window, and
// moving down to the window's bottom edge over the last window-height of the page, so that at
// the end of the page the last section is marked. A heading reached by a link stays marked
// until the reader scrolls. On a page whose contents are taller than the panel (the API page),
// the panel scrolls itself (never the page) to keep the marked entry in view. Checked by
// tests/test_browser.py (test_page_toc_follows_the_reader, test_page_toc_keeps_the_mark_in_view).
(function () {
  "use strict";
  const LINE = 0.3;  // the reading line, as a fraction of the window height (as in the theme)

  function setup() {
    const toc = document.querySelector("#pst-page-toc-nav");
    if (!toc) return;
    const links = [...toc.querySelectorAll("a")];
    const entries = [...toc.querySelectorAll(".toc-entry")];
    const targets = links.map((a) => {
      const id = decodeURIComponent((a.getAttribute("href") || "").replace(/^#/, ""));
      const el = id && document.getElementById(id);
      return el ? el.querySelector(":is(h1,h2,h3,h4,h5,h6)") || el : null;
    });
    let pinned = null;  // the toc link of a heading reached by a link

    function activate(link) {
      for (const a of links) {
        a.classList.toggle("active", a === link);
        if (a === link) a.setAttribute("aria-current", "true"); else a.removeAttribute("aria-current");
      }
      for (const li of entries) li.classList.toggle("active", Boolean(link) && li.contains(link));
      if (link) reveal(link);
    }

    // the panel's scrolling box: the nearest ancestor of the contents that scrolls
    function scroller() {
      for (let el = toc.parentElement; el && el !== document.body; el = el.parentElement) {
        const y = getComputedStyle(el).overflowY;
        if ((y === "auto" || y === "scroll") && el.scrollHeight > el.clientHeight) return el;
      }
      return null;
    }

    function reveal(link) {
      const box = scroller();
      if (!box) return;
      const b = box.getBoundingClientRect(), r = link.getBoundingClientRect();
      if (r.top >= b.top && r.bottom <= b.bottom) return;
      // centred in the panel, so that the entries around it show too
      box.scrollTop += r.top - b.top - (box.clientHeight - r.height) / 2;
    }

    function current() {
      const h = window.innerHeight, doc = document.documentElement;
      const left = doc.scrollHeight - h - window.scrollY;  // pixels of page below the window
      const line = h * LINE + h * (1 - LINE) * Math.max(0, 1 - left / h);
      let best = null;
      targets.forEach((t, i) => {
        if (t && t.getBoundingClientRect().top <= line + 1) best = links[i];
      });
      return best || links.find((a, i) => targets[i]);
    }

    function update() {
      activate(pinned || current());
    }
    let timer = 0;
    function schedule() {
      requestAnimationFrame(update);
      // the theme's own observer may mark another entry after this frame: have the last word
      clearTimeout(timer);
      timer = setTimeout(update, 150);
    }
    function pin() {
      const i = links.findIndex((a) => a.hash && a.hash === window.location.hash);
      pinned = i >= 0 ? links[i] : null;
      schedule();
    }
    const unpin = () => { pinned = null; };
    for (const kind of ["wheel", "touchstart", "keydown", "mousedown"]) {
      window.addEventListener(kind, unpin, { passive: true });
    }
    window.addEventListener("hashchange", pin);
    // a link to the heading already in the address bar changes no hash
    window.addEventListener("click", (event) => {
      const a = event.target.closest("a");
      if (a && a.hash && a.hash === window.location.hash) pin();
    });
    window.addEventListener("scroll", schedule, { passive: true });
    window.addEventListener("resize", schedule);
    if (window.location.hash) pin(); else schedule();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
