"""The built site in a real browser (Debian chromium driven by playwright), offline.

Run by ``make browser`` after ``make ci-book``; the site is ``$MMHAR_SITE`` (default
``_build/html``, what ``make book`` writes). Every request that does not go to the local
server is aborted and counted as a failure, so passing proves the site is self-contained.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
SITE = (ROOT / os.environ.get("MMHAR_SITE", "_build/html")).resolve()
SLIDER_PAGE = "notebooks/05_latent_space.html"
# jupyter-book's index.html is only a meta refresh to the root page of _toc.yml
ROOT_PAGE = re.search(r"^root:\s*(\S+)", (ROOT / "_toc.yml").read_text(), re.M).group(1) + ".html"
DESKTOP, PHONE = 1300, 400  # the widths a reader was asked to read the site at (px)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking"]


def _pages() -> list[str]:
    if not (SITE / "index.html").is_file():
        return []
    return sorted(p.relative_to(SITE).as_posix() for p in SITE.rglob("*.html")
                  if not p.relative_to(SITE).parts[0].startswith("_"))


PAGES = _pages()


def test_site_is_built() -> None:
    assert PAGES, (f"no built site at {SITE}: build it first (`make ci-book`, or `make book` "
                   f"for _build/html) or point MMHAR_SITE at it")
    assert SLIDER_PAGE in PAGES


@contextlib.contextmanager
def serve(directory: Path = SITE) -> Iterator[str]:
    """The base URL of ``directory`` served on 127.0.0.1 while the block runs."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve() as url:
        yield url


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (base signature)
        pass


def chromium_executable() -> str:
    """Debian's chromium, never playwright's own download: its path, or a one-line error."""
    executable = shutil.which("chromium")
    if not executable:
        raise RuntimeError("Debian chromium is not installed: run `make browser-deps` "
                           "(or `apt-get install -y chromium`)")
    return executable


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    executable = chromium_executable()
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


class _Recorder:
    """Console errors, page errors, failed and aborted requests of one page."""

    def __init__(self, page: object, base_url: str) -> None:
        self.problems: list[str] = []
        self.in_flight: set[object] = set()
        local = urlparse(base_url).netloc
        # lambdas: playwright cannot register builtin methods as handlers
        page.on("request", lambda r: self.in_flight.add(r))
        page.on("requestfinished", lambda r: self.in_flight.discard(r))
        page.on("requestfailed", lambda r: self.in_flight.discard(r))
        page.on("console", lambda m: m.type == "error" and self.problems.append(
            f"console error: {m.text}"))
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: urlparse(r.url).netloc == local and
                self.problems.append(f"request failed: {r.url} ({r.failure})"))
        page.on("response", lambda r: r.status >= 400 and self.problems.append(
            f"HTTP {r.status}: {r.url}"))

        def route(route: object) -> None:
            url = route.request.url
            if urlparse(url).netloc == local:
                route.continue_()
            else:
                self.problems.append(f"non-local request: {url}")
                route.abort()

        page.route("**/*", route)

    def wait_until_quiet(self, page: object, *, quiet_ms: int = 500,
                         timeout_ms: int = 30_000) -> None:
        """Wait until no request has been in flight for ``quiet_ms``.

        Playwright's own ``networkidle`` is not used: when every request of a page finishes
        before DOMContentLoaded (a plotly page served from 127.0.0.1), it can miss its idle
        timer and time out although nothing is loading (microsoft/playwright#42598).
        """
        quiet = 0
        for _ in range(timeout_ms // 100):
            quiet = 0 if self.in_flight else quiet + 100
            if quiet >= quiet_ms:
                return
            page.wait_for_timeout(100)  # lets the event handlers above run
        raise AssertionError(f"requests still in flight after {timeout_ms} ms: "
                             + ", ".join(r.url for r in self.in_flight))


# A page's load (its plotly JSON, MathJax) takes 6-15 s on a quiet 2-core machine; `make test`
# runs the browser test beside other stages, and a busy machine has taken over 30 s.
LOAD_TIMEOUT_MS = 120_000


def _open(browser: object, base_url: str, name: str, width: int = DESKTOP) -> tuple[object, _Recorder]:
    page = browser.new_page(viewport={"width": width, "height": 900})
    recorder = _Recorder(page, base_url)
    page.goto(base_url + name, wait_until="load", timeout=LOAD_TIMEOUT_MS)
    if name == "index.html":
        # checking the page while the refresh navigates would race with it
        page.wait_for_url(base_url + ROOT_PAGE, wait_until="load")
    return page, recorder


class _Loaded:
    """A page of the site opened once and shared by every check of it at one width."""

    def __init__(self, browser: object, base_url: str, name: str, width: int) -> None:
        self.name, self.width = name, width
        self.page, self.recorder = _open(browser, base_url, name, width)
        self.page.wait_for_function(_WAIT_RENDERED, timeout=LOAD_TIMEOUT_MS)
        self.page.wait_for_timeout(300)  # MathJax and plotly finish laying out after they insert nodes


# Loading a page (plotly, MathJax) is most of this module's time, so each page is loaded once per
# width and every check of it reads that page; pytest runs a page's checks one after another.
CONTENT_PAGES = [n for n in PAGES if n != "index.html"]


@pytest.fixture(scope="module", params=CONTENT_PAGES)
def desktop(request: pytest.FixtureRequest, browser: object, base_url: str) -> Iterator[_Loaded]:
    loaded = _Loaded(browser, base_url, request.param, DESKTOP)
    yield loaded
    loaded.page.close()


@pytest.fixture(scope="module", params=CONTENT_PAGES)
def phone(request: pytest.FixtureRequest, browser: object, base_url: str) -> Iterator[_Loaded]:
    loaded = _Loaded(browser, base_url, request.param, PHONE)
    yield loaded
    loaded.page.close()


def _assert_complete_offline(page: object, recorder: _Recorder, name: str) -> None:
    figures = page.locator("div.plotly-graph-div")
    for i in range(figures.count()):
        figures.nth(i).locator("svg.main-svg").first.wait_for(state="attached", timeout=15_000)
        assert "js-plotly-plot" in figures.nth(i).get_attribute("class")
    maths = page.locator(".math")
    if maths.count():
        page.wait_for_function(
            "() => [...document.querySelectorAll('.math')]"
            ".every(m => m.querySelector('mjx-container'))", timeout=20_000)
    if page.locator('script[type="application/vnd.jupyter.widget-view+json"]').count():
        page.locator(".jupyter-widgets").first.wait_for(state="attached", timeout=15_000)
    # Chromium fetches the icon outside the page's request events, so check it here
    icon = page.evaluate("() => fetch(document.querySelector('link[rel=\"icon\"]').href)"
                         ".then(r => [r.status, r.headers.get('content-type')])")
    assert icon == [200, "image/svg+xml"], f"{name}: favicon {icon}"
    # every in-page link (citations, footnotes, headings) has its target on the page
    broken = page.evaluate(
        "() => [...document.querySelectorAll('a[href^=\"#\"]')].map(a => a.hash.slice(1))"
        ".filter(id => id && !document.getElementById(decodeURIComponent(id)))")
    assert not broken, f"{name}: links to missing anchors {broken}"
    recorder.wait_until_quiet(page)
    assert not recorder.problems, f"{name}: " + "\n".join(recorder.problems)


def test_page_is_complete_offline(desktop: _Loaded) -> None:
    _assert_complete_offline(desktop.page, desktop.recorder, desktop.name)


def test_index_is_complete_offline(browser: object, base_url: str) -> None:
    page, recorder = _open(browser, base_url, "index.html")
    try:
        _assert_complete_offline(page, recorder, "index.html")
    finally:
        page.close()


_TRACES = "gd => JSON.stringify(gd.data.map(t => [t.x, t.y]))"


def _check_sliders(page: object) -> int:
    """Move every plotly slider to its last step (its first, when it opens at the last: chapter 5's
    anchor figure opens at the largest beta); return how many were moved."""
    moved = 0
    for gd in page.locator("div.js-plotly-plot").all():
        gd.locator("svg.main-svg").first.wait_for(state="attached", timeout=15_000)
        if not gd.locator("g.slider-container").count():
            continue
        label = gd.locator("text.slider-label").first
        before = (label.text_content(), gd.evaluate(_TRACES))
        n_steps = gd.evaluate("gd => gd.layout.sliders[0].steps.length")
        assert n_steps >= 2
        rail_rect = gd.locator("rect.slider-rail-touch-rect").first
        rail_rect.scroll_into_view_if_needed()  # mouse clicks outside the viewport are lost
        rail = rail_rect.bounding_box()
        at_end = gd.evaluate("gd => gd.layout.sliders[0].active === gd.layout.sliders[0].steps.length - 1")
        # the last step sits at the right end of the rail, the first at its left end
        x = rail["x"] + 2 if at_end else rail["x"] + rail["width"] - 2
        page.mouse.click(x, rail["y"] + rail["height"] / 2)
        target = gd.evaluate(f"gd => gd.layout.sliders[0].steps.at({0 if at_end else -1}).label")
        page.wait_for_function("([el, want]) => el.textContent.endsWith(want)",
                               arg=[label.element_handle(), target], timeout=10_000)
        after = (label.text_content(), gd.evaluate(_TRACES))
        assert after[0] != before[0], "the slider label did not change"
        assert after[1] != before[1], "the plotted coordinates did not change"
        moved += 1
    return moved


# Pages that show a live ipywidgets app (mmhar_lite.widgets), which does nothing without a kernel
# (chapter 5 runs its app too, but removes the output from the static page).
LIVE_APP_PAGES = ("notebooks/03_losses.html",)


def test_live_controls_look_inert_without_a_kernel(desktop: _Loaded) -> None:
    apps = desktop.page.locator(".mmhar-live-app")
    if desktop.name in LIVE_APP_PAGES:
        apps.first.wait_for(state="attached", timeout=15_000)
    for app in apps.all():
        looks = app.evaluate("""el => ({
            note: getComputedStyle(el, '::before').content,
            controls: [...el.querySelectorAll(':scope > .widget-hbox')].map(c => {
                const s = getComputedStyle(c); return [s.pointerEvents, Number(s.opacity)]; }),
        })""")
        assert "running Jupyter kernel" in looks["note"], f"{desktop.name}: no note on the live app: {looks['note']!r}"
        assert looks["controls"] and all(events == "none" and opacity < 0.6 for events, opacity in looks["controls"]), \
            f"{desktop.name}: the live controls look usable: {looks['controls']}"


# --------------------------------------------------------------------------- layout and legibility
# Generic checks of every page at a desktop and a phone width (issue: the book as a newcomer
# reads it). Each returns a list of human-readable problems; the tests assert it is empty.


_WAIT_RENDERED = """() => [...document.querySelectorAll('div.plotly-graph-div')]
    .every(d => d.querySelector('svg.main-svg') && d.dataset.mmharFitted)  // mmhar-figures.js
  && [...document.querySelectorAll('.math')].every(m => m.querySelector('mjx-container'))"""

# A paragraph that is a markdown table nobody rendered (a pipe row followed by a |---| rule, or by
# |:—|—:| where MyST's typography turned the dashes of a table pasted inline into en/em dashes), or TeX
# between dollar signs that MathJax did not typeset (a glued markdown string is not parsed for math).
_RAW_TABLES = r"""() => [...document.querySelectorAll('article p, article li')]
    .map(p => p.textContent)
    .filter(t => /\|\s*:?(-{3,}|[\u2013\u2014][-\u2013\u2014]*):?\s*\|/.test(t) || /^\s*\|.*\|.*\|/.test(t))
    .map(t => 'raw markdown table: ' + t.trim().slice(0, 80))
  .concat([...document.querySelectorAll('article p, article li')]
    .map(p => p.textContent)
    .filter(t => /\$[^$]*\\[a-zA-Z]+[^$]*\$/.test(t))  // TeX between dollars that MathJax never saw
    .map(t => 'raw TeX: ' + t.trim().slice(0, 80)))"""

# Invisible characters in the article's text (outside scripts, styles and figures, whose SVG text
# plotly pads with lone zero-width spaces, and inside a closed dropdown too): a zero-width space
# put into a name so that it can wrap is copied with it, and the pasted name is wrong.
# mmhar-names.js breaks names with <wbr>, which copies as nothing.
_INVISIBLE_CHARACTERS = r"""() => {
  const article = document.querySelector('article');
  if (!article) return [];
  const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT, {
    acceptNode: t => t.parentElement.closest('script, style, svg') ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT});
  const problems = [];
  while (walker.nextNode()) {
    const text = walker.currentNode.data;
    for (const m of text.matchAll(/[\u00ad\u200b-\u200d\u2060\ufeff]/g))
      problems.push(`invisible U+${m[0].codePointAt(0).toString(16).toUpperCase().padStart(4, '0')} in the text: `
        + `"${text.slice(Math.max(0, m.index - 30), m.index + 30).trim()}"`);
  }
  return problems.slice(0, 10);
}"""

# Elements wider than the text column. Figures and display equations must fit (an equation a
# reader must scroll is not read); anything else may be wider only inside an ancestor that
# scrolls horizontally and itself fits the column.
_OUTSIDE_COLUMN = r"""() => {
  const col = document.querySelector('article.bd-article') || document.querySelector('main') || document.body;
  const cs = getComputedStyle(col), box = col.getBoundingClientRect();
  const left = box.left + parseFloat(cs.paddingLeft) - 1, right = box.right - parseFloat(cs.paddingRight) + 1;
  const name = el => el.tagName.toLowerCase() + (el.className && typeof el.className === 'string'
      ? '.' + el.className.trim().split(/\s+/).join('.') : '') + ' "' + (el.textContent || '').trim().slice(0, 50) + '"';
  const visible = el => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const scroller = el => {
    for (let p = el.parentElement; p && p !== col; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o === 'auto' || o === 'scroll') return p;
    }
    return null;
  };
  const problems = [];
  for (const fig of col.querySelectorAll('div.plotly-graph-div')) {
    const svg = fig.querySelector('svg.main-svg');
    const r = (svg || fig).getBoundingClientRect();
    if (visible(fig) && (r.right > right || r.left < left))
      problems.push(`figure ${Math.round(r.width)} px wide, column ${Math.round(right - left)} px: ${name(fig.closest('.cell') || fig)}`);
  }
  for (const eq of col.querySelectorAll('mjx-container[display="true"]')) {
    const math = eq.querySelector('mjx-math') || eq;
    const r = math.getBoundingClientRect();
    if (visible(eq) && (r.right > right || eq.scrollWidth > eq.clientWidth + 1))
      problems.push(`display equation ${Math.round(r.width)} px wide, column ${Math.round(right - left)} px: ${eq.getAttribute('aria-label') || name(eq)}`.slice(0, 200));
  }
  for (const el of col.querySelectorAll('*')) {
    if (el.closest('div.plotly-graph-div, mjx-container') || !visible(el)) continue;
    const r = el.getBoundingClientRect();
    // inline code that wraps may overhang by its own padding (a few px): not a reading problem
    if (r.width === 0 || r.right <= right + (getComputedStyle(el).display === 'inline' ? 8 : 0)) continue;
    const s = scroller(el);
    if (s && s.getBoundingClientRect().right <= right) continue;
    problems.push(`sticks out of the column by ${Math.round(r.right - right)} px: ${name(el)}`);
  }
  return [...new Set(problems)];
}"""

_PAGE_WIDER_THAN_VIEWPORT = """() => {
  const doc = document.documentElement;
  if (doc.scrollWidth <= window.innerWidth) return [];
  const wide = [...document.querySelectorAll('body *')].filter(el => {
      const r = el.getBoundingClientRect();
      return r.right > window.innerWidth + 1 && !el.closest('mjx-container, .plotly-graph-div')
        && getComputedStyle(el).position !== 'fixed';
    }).slice(-3).map(el => el.tagName.toLowerCase() + ' "' + (el.textContent || '').trim().slice(0, 40) + '"');
  return [`page ${doc.scrollWidth} px wide in a ${window.innerWidth} px viewport: ${wide.join('; ')}`];
}"""

# Blocks that scroll sideways at this width without the visible hint above them that
# book/_static/mmhar-scroll-hint.js adds (the edge shadow alone is missed on a phone), and
# hints shown above a block that does not scroll.
_SCROLL_HINTS = r"""() => {
  const problems = [];
  const scrolls = el => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
  const shown = el => el && el.classList.contains('mmhar-scroll-hint') && !el.hidden;
  // the hint goes before a display equation's div.math wrapper, a flex row (mmhar-scroll-hint.js)
  const before = el => (el.matches('mjx-container') && el.parentElement.matches('div.math')
      ? el.parentElement : el).previousElementSibling;
  for (const el of document.querySelectorAll('article *')) {
    if (!scrolls(el) || !el.getClientRects().length || el.closest('.plotly-graph-div')) continue;
    const overflows = el.scrollWidth > el.clientWidth + 4;  // SLACK_PX of mmhar-scroll-hint.js
    const what = `${el.tagName.toLowerCase()} "${(el.textContent || '').trim().slice(0, 50)}"`;
    if (overflows && !shown(before(el))) problems.push(`scrolls sideways without a hint: ${what}`);
    if (!overflows && shown(before(el))) problems.push(`hint above a block that fits: ${what}`);
    const hint = before(el), box = hint && shown(hint) && hint.getBoundingClientRect();
    if (box && box.bottom > el.getBoundingClientRect().top + 1) problems.push(`hint not above its block: ${what}`);
  }
  return problems;
}"""

# What a phone must not break (issue: the book as a newcomer reads it): a code line wrapped onto
# a continuation line (its indentation lost), a short inline literal or a signature's parameter
# split inside itself (`--` / `nproc-per-node`, `sigma=0.` / `05`), an inline equation's
# closing punctuation alone at the start of a line. A code block keeps its lines and scrolls
# sideways instead (its hint is checked by _SCROLL_HINTS).
# Code keeps its lines at every width: a wrapped line starts at column 0 and reads as broken
# Python. On a phone code scrolls sideways (mmhar.css); at 1300 px every shown line fits.
_WRAPPED_CODE = r"""() => {
  const problems = [];
  for (const pre of document.querySelectorAll('article div.highlight pre')) {
    if (pre.getClientRects().length === 0) continue;
    const cs = getComputedStyle(pre), lh = parseFloat(cs.lineHeight);
    const n = pre.textContent.replace(/\n$/, '').split('\n').length;
    const shown = Math.round((pre.clientHeight - parseFloat(cs.paddingTop) - parseFloat(cs.paddingBottom)) / lh);
    if (shown > n) problems.push(`code block of ${n} lines laid out on ${shown}: "${pre.textContent.slice(0, 50)}"`);
  }
  return problems;
}"""

_PHONE_BREAKS = r"""() => {
  const problems = [], SHORT = 24;  // characters: a literal this short fits a phone's line
  const visible = el => el.getClientRects().length > 0;
  const lines = node => {  // the number of lines the text of node is laid out on
    const r = document.createRange(); r.selectNodeContents(node);
    return new Set([...r.getClientRects()].filter(b => b.width > 0).map(b => Math.round(b.bottom))).size;
  };
  for (const el of document.querySelectorAll('article code.literal span.pre, article dt.sig em.sig-param')) {
    const text = el.textContent.trim();
    if (visible(el) && text.length <= SHORT && lines(el) > 1) problems.push(`"${text}" is split over lines`);
  }
  // punctuation beside math or code: a closing one must not start a line, an opening one not end it
  const INLINE = 'span.math, code.literal, a.reference';
  const walker = document.createTreeWalker(document.querySelector('article') || document.body, NodeFilter.SHOW_TEXT);
  for (let t = walker.nextNode(); t; t = walker.nextNode()) {
    const before = t.previousSibling, after = t.nextSibling;
    const char = i => { const r = document.createRange(); r.setStart(t, i); r.setEnd(t, i + 1); return r.getBoundingClientRect(); };
    const apart = (p, m) => p.top >= m.bottom - 1 || p.bottom <= m.top + 1;
    if (/^[.,;:!?)]/.test(t.data) && before && before.matches && before.matches(INLINE) && visible(before)) {
      const boxes = [...before.getClientRects()], last = boxes[boxes.length - 1];
      if (apart(char(0), last)) problems.push(`"${t.data[0]}" after "${before.textContent.trim().slice(0, 30)}" starts a line`);
    }
    if (/[(\[]$/.test(t.data) && after && after.matches && after.matches(INLINE) && visible(after)) {
      if (apart(char(t.data.length - 1), after.getClientRects()[0])) problems.push(`"${t.data.slice(-1)}" before "${after.textContent.trim().slice(0, 30)}" ends a line`);
    }
  }
  return problems;
}"""

# Inline code and signatures break a line only between words: at a space, or after the "_", ".",
# "/" or "(" that ends a word of a name (mmhar-names.js puts <wbr> there), never inside a word
# ("imu_augmentati" / "on()") or at a hyphen ("'cmc-" / "hnl'").
_MID_WORD_BREAKS = r"""() => {
  const problems = [];
  for (const el of document.querySelectorAll('article code.literal span.pre, article dt.sig span.pre')) {
    if (!el.getClientRects().length || el.querySelector('span.pre')) continue;
    const whole = document.createRange(); whole.selectNodeContents(el);
    if (new Set([...whole.getClientRects()].filter(b => b.width > 0).map(b => Math.round(b.bottom))).size < 2) continue;
    const chars = [];
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let t = walker.nextNode(); t; t = walker.nextNode())
      for (let i = 0; i < t.data.length; i++) {
        const r = document.createRange(); r.setStart(t, i); r.setEnd(t, i + 1);
        const box = [...r.getClientRects()].find(b => b.width > 0);
        if (box) chars.push([t.data[i], box]);
      }
    for (let i = 1; i < chars.length; i++) {
      const [c, box] = chars[i], [p, prev] = chars[i - 1];
      if (box.top < prev.bottom - 1 || /\s/.test(c) || /[\s_.\/(]/.test(p)) continue;
      const text = chars.map(x => x[0]).join('');
      problems.push(`"${text.slice(0, 60)}" breaks inside a word: "${text.slice(Math.max(0, i - 12), i)}" / "${text.slice(i, i + 12)}"`);
    }
  }
  return problems.slice(0, 20);
}"""

# A display equation shows all of itself: its container hides what overflows vertically (it
# scrolls sideways only), which cut the top of the transpose sign of a first line.
_CUT_EQUATIONS = r"""() => [...document.querySelectorAll('article mjx-container[display="true"]')]
  .filter(eq => eq.getClientRects().length && eq.scrollHeight > eq.clientHeight + 1)
  .map(eq => `display equation cut at its top or bottom (${eq.scrollHeight} px in ${eq.clientHeight}): `
    + (eq.getAttribute('aria-label') || eq.textContent).slice(0, 80))"""

# Plotly figures: axis titles on every axis that shows tick labels, a title and a legend inside
# the figure, no two text items (titles, subplot titles, axis titles) overlapping each other or
# another subplot's plotting area, and no two legend entries drawn alike (a class coloured like
# another must at least have another symbol).
_FIGURE_PROBLEMS = r"""() => {
  const problems = [];
  const overlap = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 1
      && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 1;
  document.querySelectorAll('div.js-plotly-plot').forEach((gd, n) => {
    const L = gd._fullLayout, title = (L.title && L.title.text) || `figure ${n + 1}`;
    const svg = gd.querySelector('svg.main-svg').getBoundingClientRect();
    const say = s => problems.push(`"${title.slice(0, 60)}": ${s}`);
    if (!(L.title && L.title.text)) say('no title');
    // titles from the figure's own layout: the full layout fills in a placeholder title
    const titled = t => Boolean(typeof t === 'string' ? t : t && t.text);
    for (const key of Object.keys(L)) {
      const ax = L[key], own = (gd.layout || {})[key] || {};
      if (/^[xy]axis\d*$/.test(key) && ax.visible && ax.showticklabels && !titled(own.title))
        say(`${key} has tick labels but no title`);
      if (/^scene\d*$/.test(key)) for (const a of ['xaxis', 'yaxis', 'zaxis'])
        if (ax[a].visible && !titled((own[a] || {}).title)) say(`${key}.${a} has no title`);
    }
    const inside = (el, what) => {
      const r = el.getBoundingClientRect();
      if (r.width && (r.left < svg.left - 1 || r.right > svg.right + 1 || r.top < svg.top - 1 || r.bottom > svg.bottom + 1))
        say(`${what} does not fit the figure (${Math.round(r.left - svg.left)}..${Math.round(r.right - svg.left)} px of ${Math.round(svg.width)})`);
    };
    gd.querySelectorAll('.g-gtitle text').forEach(t => {
      inside(t, 'the title');
      gd.querySelectorAll('g.legend rect.bg').forEach(l => {
        if (overlap(t.getBoundingClientRect(), l.getBoundingClientRect())) say('the title overlaps the legend');
      });
    });
    gd.querySelectorAll('g.legend').forEach(l => {
      inside(l.querySelector('rect.bg') || l, 'the legend');
      // a clipped legend hides the end of its entries
      const clip = l.querySelector('g.scrollbox');
      l.querySelectorAll('g.traces text.legendtext').forEach(t => {
        const r = t.getBoundingClientRect(), bg = (l.querySelector('rect.bg') || l).getBoundingClientRect();
        if (r.right > bg.right + 1) say(`legend entry "${t.textContent}" is cut`);
      });
    });
    const texts = [...gd.querySelectorAll('.infolayer g[class$="title"] text, .annotation-text-g text')]
      .filter(t => t.textContent.trim() && t.getBoundingClientRect().width > 0)
      .filter(t => !t.closest('.g-gtitle'));
    for (let i = 0; i < texts.length; i++) for (let j = i + 1; j < texts.length; j++)
      if (overlap(texts[i].getBoundingClientRect(), texts[j].getBoundingClientRect()))
        say(`"${texts[i].textContent}" overlaps "${texts[j].textContent}"`);
    const areas = [...gd.querySelectorAll('.draglayer .nsewdrag')].map(r => r.getBoundingClientRect());
    gd.querySelectorAll('.infolayer g[class^="g-"][class$="title"] text').forEach(t => {
      if (t.closest('.g-gtitle')) return;
      const r = t.getBoundingClientRect();
      if (r.width && areas.some(a => overlap(r, a))) say(`axis title "${t.textContent}" overlaps a plotting area`);
    });
    const seen = new Map();
    for (const t of gd._fullData) {
      if (!t.showlegend || !t.visible || t.visible === 'legendonly') continue;
      const m = t.marker || {}, l = t.line || {};
      const look = JSON.stringify([t.type, t.mode, typeof m.color === 'string' ? m.color : null,
        typeof m.symbol === 'string' || typeof m.symbol === 'number' ? m.symbol : null,
        t.mode && t.mode.includes('lines') ? [l.color, l.dash] : null, t.fillcolor || null]);
      if (seen.has(look) && seen.get(look) !== t.name) say(`legend entries "${seen.get(look)}" and "${t.name}" look the same`);
      else seen.set(look, t.name);
    }
  });
  return problems;
}"""


# Citations and reference lists: a citation in the text shows the label of the entry it links to
# (an author-year citation beside an alpha-labelled list cannot be matched), a label and its
# back-links "(1,2)" never run into their entry, and the entries of a list start at one edge.
_CITATIONS = r"""() => {
  const problems = [];
  const squeeze = el => el.textContent.replace(/\s+/g, '');
  for (const cite of document.querySelectorAll('article span.bibtex-citation a.reference.internal')) {
    const entry = document.getElementById(decodeURIComponent((cite.getAttribute('href') || '').split('#')[1] || ''));
    const label = entry && entry.querySelector(':scope > span.label');
    if (!label) { problems.push(`citation "${cite.textContent}" links to no reference-list entry`); continue; }
    const listed = squeeze(label).replace(/^\[|\]$/g, '');
    if (cite.textContent.trim() !== listed) problems.push(`citation "${cite.textContent.trim()}" is listed as [${listed}]`);
  }
  for (const list of document.querySelectorAll('article div.citation-list')) {
    const lefts = new Set();
    for (const entry of list.querySelectorAll(':scope > div.citation')) {
      const p = entry.querySelector(':scope > p');
      if (!p) continue;
      const box = p.getBoundingClientRect();
      lefts.add(Math.round(box.left));
      for (const span of entry.querySelectorAll(':scope > span')) {
        const r = span.getBoundingClientRect();
        if (r.width && r.right > box.left + 1 && r.bottom > box.top + 1 && r.top < box.bottom - 1)
          problems.push(`reference label "${squeeze(span)}" runs into its entry`);
      }
    }
    if (lefts.size > 1) problems.push(`a reference list's entries start at ${lefts.size} different x: ${[...lefts].join(', ')}`);
  }
  return problems;
}"""


def test_no_raw_markdown_or_tex(desktop: _Loaded) -> None:
    problems = desktop.page.evaluate(_RAW_TABLES)
    assert not problems, f"{desktop.name}:\n" + "\n".join(problems)


def test_copied_text_has_no_invisible_characters(desktop: _Loaded) -> None:
    problems = desktop.page.evaluate(_INVISIBLE_CHARACTERS)
    assert not problems, f"{desktop.name}:\n" + "\n".join(problems)


def test_nothing_wider_than_the_column_at_desktop_width(desktop: _Loaded) -> None:
    problems = desktop.page.evaluate(_OUTSIDE_COLUMN) + desktop.page.evaluate(_CUT_EQUATIONS)
    assert not problems, f"{desktop.name} at {DESKTOP} px:\n" + "\n".join(problems)


def test_figures_are_legible_at_desktop_width(desktop: _Loaded) -> None:
    problems = desktop.page.evaluate(_FIGURE_PROBLEMS)
    assert not problems, f"{desktop.name} at {DESKTOP} px:\n" + "\n".join(problems)


def test_citations_match_their_references_at_desktop_width(desktop: _Loaded) -> None:
    problems = desktop.page.evaluate(_CITATIONS)
    assert not problems, f"{desktop.name} at {DESKTOP} px:\n" + "\n".join(problems)


# sphinx-togglebutton hides a solution's body until its button is clicked; MyST dropdowns are <details>
OPEN_ALL = """() => {
  document.querySelectorAll('details:not([open])').forEach(d => { d.open = true; });
  document.querySelectorAll('.toggle-hidden > .toggle-button, button.toggle-button.toggle-button-hidden')
    .forEach(b => b.click());
}"""


# Pages whose display equations are broken over aligned lines so that each fits a phone (issue:
# equations cut at 400 px); elsewhere a display equation may still scroll sideways at PHONE width,
# under its hint (_SCROLL_HINTS).
PHONE_EQUATION_PAGES = frozenset({"notebooks/02_encoders.html", "notebooks/03_losses.html"})

_DISPLAY_EQUATIONS_SCROLL = r"""() => [...document.querySelectorAll('article mjx-container[display="true"]')]
  .filter(eq => eq.getClientRects().length && eq.scrollWidth > eq.clientWidth + 1)
  .map(eq => `display equation ${eq.scrollWidth} px wide in ${eq.clientWidth} px: `
    + (eq.getAttribute('aria-label') || eq.textContent).trim().slice(0, 80))"""


def test_page_fits_a_phone(phone: _Loaded) -> None:
    """With every solution and dropdown open, as a reader opens them: a closed one hides its
    text from the checks (a name that broke mid-word inside a solution went unseen)."""
    page = phone.page
    page.evaluate(OPEN_ALL)
    page.wait_for_timeout(500)
    problems = (page.evaluate(_PAGE_WIDER_THAN_VIEWPORT) + page.evaluate(_FIGURE_PROBLEMS)
                + page.evaluate(_SCROLL_HINTS) + page.evaluate(_CITATIONS) + page.evaluate(_PHONE_BREAKS)
                + page.evaluate(_WRAPPED_CODE) + page.evaluate(_MID_WORD_BREAKS) + page.evaluate(_CUT_EQUATIONS))
    if phone.name in PHONE_EQUATION_PAGES:
        problems += page.evaluate(_DISPLAY_EQUATIONS_SCROLL)
    assert not problems, f"{phone.name} at {PHONE} px:\n" + "\n".join(problems)


_DEFECTS = """<!doctype html><html><head><meta charset="utf-8">
<script src="{base}_static/vendor/plotly/plotly.min.js"></script></head>
<body style="margin:0"><article class="bd-article" style="width:700px;padding:0 10px">
<p>| method | accuracy | |---|---| | cmc | 99.5 |</p>
<p><strong>Per seed</strong>, in %. | run | seed 0 | |:—|—:| | sweep | 97.44 |</p>
<p>the least at $\\tau^+ = 0.60$</p>
<div id="wide" style="width:900px">an output wider than the column</div>
<div style="overflow-x:auto"><div style="width:900px">a wide table in a scrolling container</div></div>
<div class="cell_output"><div class="pst-scrollable-table-container" style="overflow-x:auto"><table><tr><td style="min-width:900px">a displayed table that scrolls</td></tr></table></div></div>
<mjx-container display="true" style="display:block;overflow-x:auto"><mjx-math style="display:inline-block;width:900px">x</mjx-math></mjx-container>
<p><code>{long_code}</code></p>
<table><tr><td>arm_\u200bcurl_\u200bseated</td></tr></table>
<div class="highlight"><pre style="white-space:pre-wrap;width:150px;line-height:20px;padding:0">for name in ("a wrapped code line", "b"):\n    pass</pre></div>
<p style="width:130px"><code class="docutils literal"><span class="pre">mmhar</span> <span class="pre">pretrain</span> <span class="pre">--nproc-per-node</span></code></p>
<p style="width:150px;overflow-wrap:anywhere"><code class="docutils literal"><span class="pre">right_hand_circle_counter_clockwise</span></code></p>
<p style="width:56px">at <span class="math"><mjx-container style="display:inline-block;width:55px">b=0</mjx-container></span>.</p>
<p style="width:60px">see (<code class="docutils literal" style="display:inline-block;width:58px"><span class="pre">gather</span></code>).</p>
<p style="width:100px"><code class="docutils literal"><span class="pre" style="display:inline-block;max-width:100%;overflow-wrap:anywhere">mmhar_lite.augment.imu_augmentation()</span></code></p>
<dl><dt class="sig" style="width:60px"><em class="sig-param"><span class="n" style="overflow-wrap:anywhere"><span class="pre">threads_per_job</span></span></em></dt></dl>
<mjx-container display="true" style="display:block;overflow-y:hidden;height:10px"><mjx-math style="display:block;height:30px">x</mjx-math></mjx-container>
<div id="fig" class="plotly-graph-div" style="width:680px;height:400px"></div>
<p><span class="bibtex-citation">[<a class="reference internal" href="#ref-a">Chen et al., 2015</a>]</span></p>
<div class="citation-list"><div class="citation" id="ref-a"><span class="label" style="float:left">[RCSJ21]</span>
<span class="backrefs" style="float:left">(1,2)</span><p style="margin-left:4em">an entry</p></div></div>
</article></body></html>"""

_DEFECTIVE_FIGURE = """() => Plotly.newPlot('fig', [
    {x: [1, 2], y: [1, 2], mode: 'markers', name: 'class a', marker: {color: '#0072B2', symbol: 'circle'}},
    {x: [1, 2], y: [2, 1], mode: 'markers', name: 'class b', marker: {color: '#0072B2', symbol: 'circle'}}],
  {title: {text: 'a title far too long for its figure, '.repeat(4)}, yaxis: {title: {text: 'y'}},
   showlegend: true}).then(() => document.getElementById('fig').dataset.mmharFitted = '1')"""


def test_layout_checks_catch_the_defects_they_are_for(browser: object, base_url: str) -> None:
    """Each check above reports a page built to have its defect (and not a scrolling container)."""
    page = browser.new_page(viewport={"width": DESKTOP, "height": 900})
    try:
        page.set_content(_DEFECTS.format(base=base_url, long_code="mmhar_lite." * 60))
        page.wait_for_function("() => window.Plotly")
        page.evaluate(_DEFECTIVE_FIGURE)
        page.wait_for_function(_WAIT_RENDERED)
        raw = page.evaluate(_RAW_TABLES)
        assert [p for p in raw if "| method |" in p] and [p for p in raw if "raw TeX" in p], raw
        assert [p for p in raw if "Per seed" in p], raw  # the typographic dashes of a pasted table
        invisible = page.evaluate(_INVISIBLE_CHARACTERS)
        assert invisible == ['invisible U+200B in the text: "arm_\u200bcurl_\u200bseated"'] * 2, invisible
        outside = page.evaluate(_OUTSIDE_COLUMN)
        assert any("an output wider than the column" in p for p in outside), outside
        assert not any("scrolling container" in p for p in outside), outside
        assert any(p.startswith("display equation 900 px") for p in outside), outside
        assert any("a displayed table that scrolls" in p for p in page.evaluate(_TABLES_SCROLL))
        scrolls = page.evaluate(_DISPLAY_EQUATIONS_SCROLL)
        assert any(p.startswith("display equation 900 px wide") for p in scrolls), scrolls
        figure = "\n".join(page.evaluate(_FIGURE_PROBLEMS))
        assert "xaxis has tick labels but no title" in figure
        assert "the title does not fit the figure" in figure
        assert 'legend entries "class a" and "class b" look the same' in figure
        citations = page.evaluate(_CITATIONS)
        assert 'citation "Chen et al., 2015" is listed as [RCSJ21]' in citations, citations
        assert any("runs into its entry" in p for p in citations), citations
        # the test page does not load mmhar-scroll-hint.js: its scrolling container has no hint
        assert any("a wide table in a scrolling container" in p and "without a hint" in p
                   for p in page.evaluate(_SCROLL_HINTS))
        page.set_viewport_size({"width": PHONE, "height": 900})
        assert page.evaluate(_PAGE_WIDER_THAN_VIEWPORT)
        breaks = "\n".join(page.evaluate(_PHONE_BREAKS) + page.evaluate(_WRAPPED_CODE))
        assert 'code block of 2 lines laid out on' in breaks, breaks
        assert '"--nproc-per-node" is split over lines' in breaks, breaks
        assert '"." after "b=0" starts a line' in breaks, breaks
        assert '"(" before "gather" ends a line' in breaks and '")" after "gather" starts a line' in breaks, breaks
        mid_word = page.evaluate(_MID_WORD_BREAKS)
        assert any(p.startswith('"mmhar_lite.augment.imu_augmentation()" breaks inside a word') for p in mid_word)
        assert any(p.startswith('"right_hand_circle_counter_clockwise" breaks inside a word') for p in mid_word)
        assert page.evaluate(_SPLIT_PARAMETER_NAMES) == ['parameter name "threads_per_job" is split over lines']
        assert any(p.startswith("display equation cut") for p in page.evaluate(_CUT_EQUATIONS))
    finally:
        page.close()


# The page's contents sidebar with every level shown (the theme shows a section's entries only
# while it is on screen): an entry that does not fit widens the sidebar's list past its visible
# edge, and the entries are cut at the viewport's edge.
_CONTENTS_SIDEBAR_CUT = """() => {
  const bar = document.querySelector('.bd-sidebar-secondary');
  const nav = bar && bar.querySelector('nav.page-toc');
  if (!nav || !bar.getClientRects().length) return [];
  const lists = [...nav.querySelectorAll('ul')];
  const shown = lists.map(u => u.style.display);
  lists.forEach(u => { u.style.display = 'block'; });
  const edge = bar.getBoundingClientRect().right;
  const cut = [...nav.querySelectorAll('a')].filter(a => {
    const r = document.createRange();
    r.selectNodeContents(a);
    return [...r.getClientRects()].some(x => x.right > edge + 1);
  }).map(a => `contents entry cut at the sidebar's edge: "${a.textContent.trim().slice(0, 50)}"`);
  lists.forEach((u, i) => { u.style.display = shown[i]; });
  return cut;
}"""

# Tables, of prose (docstrings, markdown cells) and those a cell displays (book.show_markdown, a
# glued table), fit the column at desktop width instead of scrolling; only printed outputs (text
# in a pre, never a table) may scroll there. Displayed tables were once exempt, and chapter 8's
# four-column run-time table scrolled at 1300 px under its long header.
_TABLES_SCROLL = """() => [...document.querySelectorAll('article table')]
  .filter(t => t.getClientRects().length)
  .filter(t => t.getBoundingClientRect().width > (t.closest('.pst-scrollable-table-container')
      || t.parentElement).clientWidth + 1)
  .map(t => `table scrolls sideways: "${t.textContent.trim().replace(/\\s+/g, ' ').slice(0, 60)}"`)"""


def test_contents_sidebar_and_tables_fit_at_desktop_width(desktop: _Loaded) -> None:
    problems = desktop.page.evaluate(_CONTENTS_SIDEBAR_CUT) + desktop.page.evaluate(_TABLES_SCROLL)
    assert not problems, f"{desktop.name} at {DESKTOP} px:\n" + "\n".join(problems)


# a signature breaks between its parameters, never inside a name ("threads_per_" / "job" reads
# as two parameters): mmhar-names.js leaves the parameters out of its break points
_SPLIT_PARAMETER_NAMES = r"""() => [...document.querySelectorAll('article dt.sig em.sig-param span.n')]
  .filter(el => {
    const r = document.createRange(); r.selectNodeContents(el);
    return new Set([...r.getClientRects()].filter(b => b.width > 0).map(b => Math.round(b.bottom))).size > 1;
  })
  .map(el => `parameter name "${el.textContent.trim()}" is split over lines`)"""


def test_signature_parameter_names_stay_whole(desktop: _Loaded) -> None:
    problems = desktop.page.evaluate(_SPLIT_PARAMETER_NAMES)
    assert not problems, f"{desktop.name} at {DESKTOP} px:\n" + "\n".join(problems)


def test_code_lines_fit_the_column(desktop: _Loaded) -> None:
    problems = desktop.page.evaluate(_WRAPPED_CODE)
    assert not problems, f"{desktop.name} at {DESKTOP} px:\n" + "\n".join(problems)


# Last of a page's desktop checks (pytest keeps the order of definition within a page): moving
# the sliders changes the figures the checks above read.
def test_sliders_move_figures(desktop: _Loaded) -> None:
    moved = _check_sliders(desktop.page)
    if desktop.name == SLIDER_PAGE:
        assert moved >= 1, "the latent-space page must have a beta slider figure"
    assert not desktop.recorder.problems, "\n".join(desktop.recorder.problems)


# The right-hand "Contents" (book/_static/mmhar-page-toc.js) marks the section being read, also
# after a jump over its heading and for the short last sections; sub-sections are listed.
def test_definition_tables_wrap_in_the_column(desktop: _Loaded) -> None:
    """A table of definitions (class mmhar-prose-table: the intro's method names) wraps its text
    inside the column: the other tables keep their cells on one line and scroll."""
    widths = desktop.page.evaluate("""() => [...document.querySelectorAll('table.mmhar-prose-table')]
      .map(t => [t.scrollWidth, t.closest('article').clientWidth])""")
    if desktop.name == "book/intro.html":
        assert widths, "book/intro.html: the method names are not a definition table"
    for table_px, column_px in widths:
        assert table_px <= column_px + 1, f"{desktop.name}: a definition table is {table_px} px in a {column_px} px column"


def test_sidebar_title_in_view(desktop: _Loaded) -> None:
    """The book's title heads the chapter list, whole, above the current chapter, with one search
    field on the screen (book/_static/mmhar-sidebar.js and mmhar.css)."""
    seen = desktop.page.evaluate("""() => {
      const box = e => e.getBoundingClientRect();
      const brand = document.querySelector('.bd-sidebar-primary .navbar-brand');
      const current = document.querySelector('.bd-sidebar-primary a.current');
      const searches = [...document.querySelectorAll('button.search-button-field')]
        .filter(e => e.getClientRects().length && box(e).width > 0).length;
      return {top: brand ? box(brand).top : null,
              current: current ? box(current).bottom : null, searches};
    }""")
    assert seen["top"] is not None and seen["top"] >= 0, f"{desktop.name}: the book's title starts at {seen['top']} px"
    if seen["current"] is not None:
        assert seen["current"] <= 900, f"{desktop.name}: the current chapter is out of view ({seen['current']} px)"
    assert seen["searches"] == 1, f"{desktop.name}: {seen['searches']} search fields on the screen"


TOC_PAGE = "notebooks/03_losses.html"


def test_page_toc_follows_the_reader(browser: object, base_url: str) -> None:
    page, _ = _open(browser, base_url, TOC_PAGE)
    try:
        page.wait_for_timeout(500)
        subsections = page.evaluate("() => [...document.querySelectorAll('#pst-page-toc-nav .toc-h3 > a')]"
                                    ".filter(a => a.getClientRects().length).length")
        assert subsections >= 1, f"{TOC_PAGE}: no sub-section listed in the page's contents"
        targets = page.evaluate("""() => [...document.querySelectorAll('#pst-page-toc-nav a')]
            .map(a => a.getAttribute('href')).filter(h => h && h.length > 1)""")
        max_y = page.evaluate("document.documentElement.scrollHeight - window.innerHeight")
        checked = 0
        top = "id => document.getElementById(id).getBoundingClientRect().top"
        for href, after in zip(targets, targets[1:]):
            y = page.evaluate(f"() => ({top})({href[1:]!r}) + window.scrollY - 100")
            if y > max_y - 900:  # near the end the reading line moves down: checked below
                continue
            page.evaluate(f"window.scrollTo(0, {y})")  # a jump, not a scroll through the heading
            page.wait_for_timeout(300)
            if page.evaluate(f"() => ({top})({after[1:]!r})") < 0.3 * 900 + 2:
                continue  # the next heading is above the reading line too: it is the one marked
            active = page.evaluate("() => [...document.querySelectorAll('#pst-page-toc-nav a.active')]"
                                   ".map(a => a.getAttribute('href'))")
            assert active == [href], f"{TOC_PAGE}: {href} at the top of the window, contents mark {active}"
            checked += 1
        assert checked >= 3, f"{TOC_PAGE}: only {checked} sections checked"
        page.evaluate(f"window.scrollTo(0, {max_y})")
        page.wait_for_timeout(300)
        active = page.evaluate("() => [...document.querySelectorAll('#pst-page-toc-nav a.active')]"
                               ".map(a => a.getAttribute('href'))")
        assert active == [targets[-1]], f"{TOC_PAGE}: at the end of the page the contents mark {active}"
    finally:
        page.close()


# On a page whose contents are taller than the panel, the panel follows the marked entry.
LONG_TOC_PAGE = "book/api.html"


def test_page_toc_keeps_the_mark_in_view(browser: object, base_url: str) -> None:
    page, _ = _open(browser, base_url, LONG_TOC_PAGE)
    try:
        page.wait_for_timeout(500)
        max_y = page.evaluate("document.documentElement.scrollHeight - window.innerHeight")
        checked = 0
        for y in (max_y // 2, max_y):
            page.evaluate(f"window.scrollTo(0, {y})")
            page.wait_for_timeout(400)
            state = page.evaluate("""() => {
                const a = document.querySelector('#pst-page-toc-nav a.active');
                if (!a) return null;
                let box = a.parentElement;
                while (box && box !== document.body && !['auto', 'scroll']
                       .includes(getComputedStyle(box).overflowY)) box = box.parentElement;
                const r = a.getBoundingClientRect(), b = box.getBoundingClientRect();
                return {href: a.getAttribute('href'), tall: box.scrollHeight > box.clientHeight,
                        inside: r.top >= b.top - 1 && r.bottom <= b.bottom + 1
                                && r.bottom <= window.innerHeight + 1};
            }""")
            assert state, f"{LONG_TOC_PAGE}: no contents entry marked at y={y}"
            assert state["tall"], f"{LONG_TOC_PAGE}: its contents fit the panel: nothing to check"
            assert state["inside"], f"{LONG_TOC_PAGE}: marked entry {state['href']} is outside the panel"
            checked += 1
        assert checked == 2
    finally:
        page.close()
