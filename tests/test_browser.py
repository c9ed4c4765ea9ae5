"""The built site in a real browser (Debian chromium driven by playwright), offline.

Run by ``make browser`` after ``make ci-book``; the site is ``$MMHAR_SITE`` (default
``_build/html``, what ``make book`` writes). Every request that does not go to the local
server is aborted and counted as a failure, so passing proves the site is self-contained.
"""

from __future__ import annotations

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


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (base signature)
        pass


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    assert executable, "Debian chromium is not installed: `apt-get install -y chromium`"
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


def _open(browser: object, base_url: str, name: str) -> tuple[object, _Recorder]:
    page = browser.new_page()
    recorder = _Recorder(page, base_url)
    page.goto(base_url + name, wait_until="load")
    if name == "index.html":
        # checking the page while the refresh navigates would race with it
        page.wait_for_url(base_url + ROOT_PAGE, wait_until="load")
    return page, recorder


@pytest.mark.parametrize("name", PAGES)
def test_page_is_complete_offline(browser: object, base_url: str, name: str) -> None:
    page, recorder = _open(browser, base_url, name)
    try:
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
    finally:
        page.close()


_TRACES = "gd => JSON.stringify(gd.data.map(t => [t.x, t.y]))"


def _check_sliders(page: object) -> int:
    """Move every plotly slider to its last step; return how many were moved."""
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
        # the last step sits at the right end of the rail
        page.mouse.click(rail["x"] + rail["width"] - 2, rail["y"] + rail["height"] / 2)
        last = gd.evaluate("gd => gd.layout.sliders[0].steps.at(-1).label")
        page.wait_for_function("([el, want]) => el.textContent.endsWith(want)",
                               arg=[label.element_handle(), last], timeout=10_000)
        after = (label.text_content(), gd.evaluate(_TRACES))
        assert after[0] != before[0], "the slider label did not change"
        assert after[1] != before[1], "the plotted coordinates did not change"
        moved += 1
    return moved


@pytest.mark.parametrize("name", [n for n in PAGES if n.startswith("notebooks/")])
def test_sliders_move_figures(browser: object, base_url: str, name: str) -> None:
    page, recorder = _open(browser, base_url, name)
    try:
        moved = _check_sliders(page)
        if name == SLIDER_PAGE:
            assert moved >= 1, "the latent-space page must have a beta slider figure"
        assert not recorder.problems, "\n".join(recorder.problems)
    finally:
        page.close()
