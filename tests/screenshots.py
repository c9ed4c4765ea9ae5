"""Screenshots and text of every page of a built site at the two reading widths, for a
read-through by someone who sees only the rendered pages (not a test: a tool beside them).

    MMHAR_SITE=_build/html .venv/bin/python tests/screenshots.py OUTDIR [PAGE_STEM ...]

Each page is loaded as the browser test loads it (offline, plotly and MathJax rendered), every
solution and dropdown is opened as a reader would open it, and the page is shot in
viewport-sized slices from top to bottom: ``OUTDIR/<stem>-<width>-<slice>.png``. The article's
text goes to ``OUTDIR/<stem>.txt``. Pages: every page of the site, or those whose stem is given.
"""
from __future__ import annotations

import sys
from pathlib import Path

import test_browser as site  # the browser test's server, loading and render checks

HEIGHT = {site.DESKTOP: 900, site.PHONE: 800}  # viewport heights: a laptop and a phone screen

def shoot(browser: object, base_url: str, name: str, out: Path) -> int:
    """Shoot page ``name`` at both widths into ``out``; the number of slices written."""
    stem = Path(name).with_suffix("").as_posix().replace("/", "_")
    written = 0
    for width in (site.DESKTOP, site.PHONE):
        loaded = site._Loaded(browser, base_url, name, width)
        page = loaded.page
        page.set_viewport_size({"width": width, "height": HEIGHT[width]})
        page.evaluate(site.OPEN_DROPDOWNS)
        page.wait_for_timeout(500)
        if width == site.DESKTOP:
            text = page.inner_text("article") if page.query_selector("article") else page.inner_text("body")
            (out / f"{stem}.txt").write_text(text, encoding="utf-8")
        height = page.evaluate("document.documentElement.scrollHeight")
        for i, top in enumerate(range(0, height, HEIGHT[width] - 60)):  # 60 px overlap between slices
            page.evaluate(f"window.scrollTo(0, {top})")
            page.wait_for_timeout(150)
            page.screenshot(path=str(out / f"{stem}-{width}-{i:03d}.png"))
            written += 1
        page.close()
    return written


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    wanted = set(argv[1:])
    pages = [n for n in site.CONTENT_PAGES if not wanted or Path(n).stem in wanted]
    if not pages:
        print(f"error: no page of {site.SITE} matches {sorted(wanted) or 'any'}", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    try:
        executable = site.chromium_executable()
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    with site.serve() as base_url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=site.CHROMIUM_ARGS)
        for name in pages:
            print(f"{name}: {shoot(browser, base_url, name, out)} slices", flush=True)
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
