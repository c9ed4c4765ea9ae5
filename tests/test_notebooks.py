"""Every chapter runs top to bottom under the `smoke` profile (papermill).

The executed copies land in ``_build/papermill/notebooks/``; ``make ci-book`` renders the
book from them (MMHAR_BOOK_EXECUTED), so each chapter is not executed a third time.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import papermill
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
EXECUTED_DIR = ROOT / "_build" / "papermill"
PLOTLY_MIME = "application/vnd.plotly.v1+json"
REMOTE_SCRIPT = re.compile(r"<script[^>]+src=[\"']?(https?:)?//", re.IGNORECASE)


def test_every_chapter_is_in_the_toc() -> None:
    toc = (ROOT / "_toc.yml").read_text()
    listed = set(re.findall(r"file:\s*(notebooks/\S+)", toc))
    assert listed == {f"notebooks/{p.stem}" for p in NOTEBOOKS}
    assert len(NOTEBOOKS) == 10


#: Longest line of a code cell a page shows (open or behind a toggle): 83 characters of the
#: site's 13 px code fit the text column at 1300 px (book/_static/mmhar.css), where a longer
#: line would wrap to column 0 and read as broken Python.
MAX_CODE_LINE = 80
HIDDEN_TAGS = {"remove-cell", "remove-input"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_shown_code_lines_fit_the_column(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    long = [f"cell {i}: {len(line)} characters: {line.strip()[:60]}"
            for i, cell in enumerate(nb.cells)
            if cell.cell_type == "code" and not HIDDEN_TAGS & set(cell.metadata.get("tags", []))
            for line in cell.source.splitlines() if len(line) > MAX_CODE_LINE]
    assert not long, f"{path.name}: code lines over {MAX_CODE_LINE} characters:\n" + "\n".join(long)


def _parameters_cell(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell must be tagged `parameters`"
    return tagged[0]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_under_smoke(path: Path) -> None:
    assert "profile = None" in _parameters_cell(nbformat.read(path, as_version=4)).source
    out = EXECUTED_DIR / "notebooks" / path.name
    out.parent.mkdir(parents=True, exist_ok=True)
    papermill.execute_notebook(
        str(path), str(out), parameters={"profile": "smoke"}, cwd=str(path.parent),
        kernel_name="python3", progress_bar=False,
    )
    nb = nbformat.read(out, as_version=4)

    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code), "a code cell did not run"
    outputs = [o for c in code for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    injected = [c for c in code if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and "profile = \"smoke\"" in injected[0].source

    bundles = [o.data for o in outputs if o.output_type in ("display_data", "execute_result")]
    assert bundles, "the chapter displayed nothing"
    # A plotly figure shown without mmhar_lite.book.show has only the JSON, which the static
    # book drops silently (the warning is suppressed in _config.yml): forbid it here.
    bare = [b for b in bundles if PLOTLY_MIME in b and "text/html" not in b]
    assert not bare, "plotly figure without text/html: display it with mmhar_lite.book.show"
    html = [b["text/html"] for b in bundles if "text/html" in b]
    assert not [h for h in html if REMOTE_SCRIPT.search(h)], "an output loads a remote script"
    # The NBVAL_CHECK_OUTPUT cell of every stub and chapter reports the profile in use.
    streams = "".join(o.text for o in outputs if o.output_type == "stream")
    assert "profile smoke" in streams
