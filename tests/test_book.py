"""mmhar_lite.book: profiles and the offline plotly output."""

from __future__ import annotations

import dataclasses
import pkgutil
import re
from pathlib import Path
from types import SimpleNamespace

import plotly.graph_objects as go
import pytest

import mmhar_lite
from mmhar_lite import book


def test_three_profiles_grow_from_smoke_to_full() -> None:
    smoke, bk, full = (book.PROFILES[n] for n in ("smoke", "book", "full"))
    assert list(book.PROFILES) == ["smoke", "book", "full"]
    for small, big in ((smoke, bk), (bk, full)):
        assert small.pretrain_epochs <= big.pretrain_epochs
        assert small.finetune_epochs <= big.finetune_epochs
        assert small.n_seeds <= big.n_seeds
    assert (full.pretrain_epochs, full.finetune_epochs, full.encoder_size) == (150, 100, "paper")
    for p in book.PROFILES.values():
        assert p.n_subjects % 2 == 0 and p.n_subjects >= 2  # odd/even cross-subject split
        assert p.encoder_size in ("lite", "paper")
        assert 0.0 in p.betas and all(0 < f < 1 for f in p.label_fractions)
        assert p.beta_epochs >= p.pretrain_epochs  # the beta models of chapters 4-5 train at least as long


def test_profiles_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        book.PROFILES["smoke"].n_seeds = 9  # type: ignore[misc]
    with pytest.raises(TypeError):
        book.PROFILES["new"] = book.PROFILES["smoke"]  # type: ignore[index]


def test_explicit_name_wins_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MMHAR_PROFILE", "full")
    assert book.resolve_profile("smoke").name == "smoke"


@pytest.mark.parametrize(("env", "expected"), [(None, "book"), ("", "book"), ("smoke", "smoke"),
                                               ("full", "full")])
def test_none_reads_environment(monkeypatch: pytest.MonkeyPatch, env: str | None,
                                expected: str) -> None:
    if env is None:
        monkeypatch.delenv("MMHAR_PROFILE", raising=False)
    else:
        monkeypatch.setenv("MMHAR_PROFILE", env)
    assert book.resolve_profile(None) is book.PROFILES[expected]


def test_unknown_profile_lists_valid_names(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match=r"'quick'.*argument.*smoke, book, full"):
        book.resolve_profile("quick")
    monkeypatch.setenv("MMHAR_PROFILE", "Smoke")
    with pytest.raises(ValueError, match=r"'Smoke'.*MMHAR_PROFILE.*smoke, book, full"):
        book.resolve_profile()


def _figure(y: list[float]) -> go.Figure:
    return go.Figure(go.Scatter(x=[0, 1, 2], y=y), layout={"height": 320})


def test_bundle_is_offline_html_plus_plotly_json() -> None:
    bundle = book.figure_bundle(_figure([1, 2, 3]))
    html = bundle["text/html"]
    assert set(bundle) == {"text/html", book.PLOTLY_MIME}
    assert 'class="plotly-graph-div"' in html and "Plotly.newPlot" in html
    assert "height:320px" in html
    # no plotly.js inline (4.8 MB per figure) and nothing fetched from elsewhere
    assert len(html) < 20_000
    assert not re.search(r"https?://|cdn\.", html.replace("http://www.w3.org", ""))
    assert bundle[book.PLOTLY_MIME]["data"][0]["y"] == [1, 2, 3]


def test_div_id_is_deterministic_and_content_dependent() -> None:
    first = book.figure_html(_figure([1, 2, 3]))
    assert first == book.figure_html(_figure([1, 2, 3]))
    assert first != book.figure_html(_figure([1, 2, 4]))
    assert 'id="chosen"' in book.figure_html(_figure([1, 2, 3]), div_id="chosen")


def test_show_displays_the_bundle_raw(monkeypatch: pytest.MonkeyPatch) -> None:
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, raw: shown.append((obj, raw)))
    fig = _figure([3, 2, 1])
    book.show(fig)
    assert shown == [(book.figure_bundle(fig), True)]
    # min_width wraps the same HTML in the scrolling container (the plotly JSON is untouched)
    book.show(fig, min_width=640)
    wide, raw = shown[-1]
    assert raw and wide[book.PLOTLY_MIME] == book.figure_bundle(fig)[book.PLOTLY_MIME]
    assert wide["text/html"] == ('<div class="mmhar-scroll"><div style="min-width:640px">'
                                 + book.figure_html(fig) + "</div></div>")


class _App:
    """The part of sphinx.application.Sphinx that the page hook uses."""

    def __init__(self) -> None:
        self.js: list[tuple[str, dict]] = []
        self.builder = SimpleNamespace(format="html")

    def add_js_file(self, filename: str, **kwargs: object) -> None:
        self.js.append((filename, kwargs))


def test_plotly_js_is_added_only_to_pages_with_a_figure() -> None:
    app = _App()
    book._add_plotly_js(app, "a", "page.html", {"body": "<p>no figure</p>"}, None)
    assert app.js == []
    body = book.figure_html(_figure([1, 2, 3]))
    book._add_plotly_js(app, "b", "page.html", {"body": body}, None)
    # relative to _static/, and before RequireJS (priority 500) so that Plotly is a global
    assert app.js == [("vendor/plotly/plotly.min.js", {"priority": 200})]


def test_api_page_documents_every_module() -> None:
    modules = {m.name for m in pkgutil.walk_packages(mmhar_lite.__path__, "mmhar_lite.")
               if not m.name.rsplit(".", 1)[-1].startswith("_")}
    api = (Path(__file__).resolve().parents[1] / "book" / "api.md").read_text()
    documented = set(re.findall(r"^\.\. automodule:: (\S+)", api, re.M))
    assert modules >= {"mmhar_lite.data", "mmhar_lite.losses", "mmhar_lite.cli"}
    assert documented == modules, (f"undocumented: {sorted(modules - documented)}, "
                                   f"unknown: {sorted(documented - modules)}")


def test_output_markdown_turns_headings_into_bold_paragraphs_and_keeps_tables():
    text = "# reproduce: synthetic\n\nSeeds: 0.\n\n## Table 2: multimodal\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    out = book.output_markdown(text)
    assert out.splitlines()[0] == "**reproduce: synthetic**"
    assert "**Table 2: multimodal**" in out and "#" not in out
    assert "| a | b |\n|---|---|\n| 1 | 2 |" in out  # the table is untouched
    assert book.output_markdown("no heading # here") == "no heading # here"


def test_strip_nbval_marker_drops_only_the_marker_line() -> None:
    src = "# NBVAL_CHECK_OUTPUT\nx = 1  # keep\n    # NBVAL_CHECK_OUTPUT\nprint(x)"
    assert book.strip_nbval_marker(src) == "x = 1  # keep\nprint(x)"
    assert book.strip_nbval_marker("y = '# not a marker'") == "y = '# not a marker'"


def test_markdown_table_aligns_numbers_right_and_escapes_pipes() -> None:
    out = book.markdown_table(["model", "top-1 (%)"], [["β = 0", "1.9"], ["a|b", 2.5]])
    assert out == "| model | top-1 (%) |\n|:---|---:|\n| β = 0 | 1.9 |\n| a\\|b | 2.5 |\n"
    assert book.markdown_table(["only"], []) == "| only |\n|:---|\n"
    with pytest.raises(ValueError, match=r"rows\[1\]: expected 2 cells like header, got 1"):
        book.markdown_table(["a", "b"], [[1, 2], [3]])
    with pytest.raises(ValueError, match="header"):
        book.markdown_table([], [])


def test_embedding_table_has_a_column_per_model_and_the_chance_levels() -> None:
    from mmhar_lite import metrics

    assert tuple(key for _, key, _ in book.EMBEDDING_ROWS) == metrics.EMBEDDING_KEYS
    record = {"imu_to_skeleton_top1": 0.25, "imu_to_skeleton_top5": 0.5, "skeleton_to_imu_top1": 0.125,
              "skeleton_to_imu_top5": 1.0, "alignment": 1.5, "uniformity": -2.25}
    lines = book.embedding_table({"β = 0": record, "β = 1": {**record, "alignment": 0.5}}, n_rows=4).splitlines()
    assert lines[0] == "|  | β = 0 | β = 1 | chance |"
    assert lines[2] == "| IMU→skel. top-1 (%) | 25.0 | 25.0 | 25.0 |"
    assert lines[3] == "| IMU→skel. top-5 (%) | 50.0 | 50.0 | 100.0 |"  # top-5 of 4 rows: every row
    assert lines[6] == "| alignment | 1.500 | 0.500 |  |"
    with pytest.raises(ValueError, match=r"by_model\['x'\]: missing \['uniformity'\]"):
        book.embedding_table({"x": {k: v for k, v in record.items() if k != "uniformity"}}, n_rows=4)
    with pytest.raises(ValueError, match="n_rows"):
        book.embedding_table({"x": record}, n_rows=0)
