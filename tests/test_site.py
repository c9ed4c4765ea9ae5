"""The book's Sphinx extension: plotly.js on figure pages, the nbval marker hidden, the {bench} role."""

from __future__ import annotations

from types import SimpleNamespace

import plotly.graph_objects as go
import pytest

from mmhar_lite import book, site


class _App:
    """The part of sphinx.application.Sphinx that the page hook uses."""

    def __init__(self) -> None:
        self.js: list[tuple[str, dict]] = []
        self.builder = SimpleNamespace(format="html")

    def add_js_file(self, filename: str, **kwargs: object) -> None:
        self.js.append((filename, kwargs))


def test_plotly_js_is_added_only_to_pages_with_a_figure() -> None:
    app = _App()
    site._add_plotly_js(app, "a", "page.html", {"body": "<p>no figure</p>"}, None)
    assert app.js == []
    body = book.figure_html(go.Figure(go.Scatter(x=[0, 1, 2], y=[1, 2, 3])))
    site._add_plotly_js(app, "b", "page.html", {"body": body}, None)
    # relative to _static/, and before RequireJS (priority 500) so that Plotly is a global
    assert app.js == [("vendor/plotly/plotly.min.js", {"priority": 200})]


def test_strip_nbval_marker_drops_only_the_marker_line() -> None:
    src = "# NBVAL_CHECK_OUTPUT\nx = 1  # keep\n    # NBVAL_CHECK_OUTPUT\nprint(x)"
    assert site.strip_nbval_marker(src) == "x = 1  # keep\nprint(x)"
    assert site.strip_nbval_marker("y = '# not a marker'") == "y = '# not a marker'"


BENCH_MD = """# A benchmark

**Time** (ms)

| B | InfoNCE | HNL |
|---|---|---|
| 64 | 0.31 | 0.37 |
| 4096 | 511.37 | 250.96 |

**Peak memory** (MiB)

| B | InfoNCE | HNL |
|---|---|---|
| 64 | 0.19 | 0.26 |
| 4096 | 262.11 | 15.52 |
"""


def test_bench_figure_reads_the_named_cell(tmp_path):
    (tmp_path / "losses.md").write_text(BENCH_MD)
    assert site.bench_figure(tmp_path, "losses.md | Peak memory | -1 | InfoNCE") == "262.11"
    assert site.bench_figure(tmp_path, "losses.md|Time|0|HNL") == "0.37"
    assert site.bench_figure(tmp_path, "losses.md | Peak memory | -1 | B | B x B float32 MiB") == "64"
    assert site.results_table(BENCH_MD, "Time") == [{"B": "64", "InfoNCE": "0.31", "HNL": "0.37"},
                                                    {"B": "4096", "InfoNCE": "511.37", "HNL": "250.96"}]


@pytest.mark.parametrize("spec, message", [
    ("losses.md | Peak memory | -1", "expected 'FILE"),
    ("losses.md | Energy | 0 | HNL", r"no table titled \*\*Energy\*\*"),
    ("losses.md | Time | 5 | HNL", "has 2 rows and the columns B, InfoNCE, HNL"),
    ("losses.md | Time | 0 | naive", "has 2 rows"),
    ("losses.md | Time | 0 | B | cubed", "unknown transform"),
])
def test_bench_figure_names_what_it_cannot_find(tmp_path, spec, message):
    (tmp_path / "losses.md").write_text(BENCH_MD)
    with pytest.raises(ValueError, match=message):
        site.bench_figure(tmp_path, spec)


def _paragraph(*children: object) -> object:
    from docutils import nodes

    return nodes.paragraph("", "", *children)


def test_math_keeps_its_punctuation_and_the_text_is_unchanged() -> None:
    from docutils import nodes

    doc = nodes.section("", _paragraph(nodes.Text("for "), nodes.math("", r"\beta = 0"),
                                       nodes.Text(". Then "), nodes.math("", "x"),
                                       nodes.Text(" rises"), nodes.math("", "y"), nodes.Text(",")),
                        _paragraph(nodes.math("", "z")))
    before = doc.astext()
    assert site.keep_punctuation_attached(doc) == 2
    assert doc.astext() == before
    pairs = [n for n in doc.findall(nodes.inline) if site.PUNCT_CLASS in n["classes"]]
    assert [p.astext() for p in pairs] == [r"\beta = 0.", "y,"]
    assert all(isinstance(p[0], nodes.math) for p in pairs)
    # math followed by a word or by nothing is left alone
    assert [m.parent.tagname for m in doc.findall(nodes.math)] == ["inline", "paragraph", "inline", "paragraph"]


def test_code_keeps_the_punctuation_around_it_and_the_text_is_unchanged() -> None:
    from docutils import nodes

    link = nodes.reference("", "", nodes.literal("", "imu_augmentation()"), refuri="#x")
    plain = nodes.literal("", "strict=True")
    doc = nodes.section("", _paragraph(nodes.Text("see ("), link, nodes.Text(")."),
                                       nodes.Text(" with "), plain, nodes.Text(" set")))
    before = doc.astext()
    assert site.keep_punctuation_attached(doc) == 1
    assert doc.astext() == before
    [pair] = [n for n in doc.findall(nodes.inline) if site.PUNCT_CLASS in n["classes"]]
    assert pair.astext() == "(imu_augmentation())." and pair[1] is link  # the link itself, moved
    assert [n.astext() for n in pair.parent.children][:2] == ["see ", "(imu_augmentation())."]
    assert plain.parent.tagname == "paragraph"  # no punctuation next to it


def test_math_punctuation_is_moved_from_its_own_text_not_an_equal_one_before_it() -> None:
    from docutils import nodes

    doc = nodes.section("", _paragraph(nodes.Text("at "), nodes.math("", "W = 2"), nodes.Text(", "),
                                       nodes.Text("and "), nodes.math("", "W = 4"), nodes.Text(", ")))
    before = doc.astext()
    assert site.keep_punctuation_attached(doc) == 2
    assert doc.astext() == before  # no doubled comma, none lost


def test_page_toc_lists_subsections_and_keeps_the_other_theme_options() -> None:
    config = SimpleNamespace(html_theme_options={"use_repository_button": False})
    site._show_subsections_in_page_toc(None, config)
    assert config.html_theme_options == {"use_repository_button": False, "show_toc_level": 2}


def test_public_bases_replace_private_classes_by_their_nearest_public_ancestor() -> None:
    import torch

    from mmhar_lite import augment, distributed

    assert site.public_bases(list(augment.ImuJitter.__bases__)) == [object]
    assert site.public_bases(list(distributed.GlobalBatchNorm.__bases__)) == [torch.nn.Module]

    class _Private(dict):
        pass

    # public bases are kept in order; a private one that resolves to one already shown is dropped
    assert site.public_bases([dict, _Private, int]) == [dict, int]


def test_source_default_quotes_a_default_after_a_non_ascii_character_whole() -> None:
    import ast

    source = 'def f(a=1, title="effect of β", b="x"):\n    pass\n'
    defaults = ast.parse(source).body[0].args.defaults
    lines = source.splitlines()
    assert [site.source_default(lines, d) for d in defaults] == ["1", '"effect of β"', '"x"']
    multiline = 'def g(a=(1,\n        2)):\n    pass\n'
    assert site.source_default(multiline.splitlines(), ast.parse(multiline).body[0].args.defaults[0]) is None


def test_attribute_types_move_a_documented_attribute_out_of_the_parameters() -> None:
    from docutils import nodes

    def field(name: str, body: str = "") -> nodes.field:
        return nodes.field("", nodes.field_name("", name), nodes.field_body("", nodes.paragraph("", body)))

    fields = nodes.field_list("", field("ivar epochs", "pre-training epochs."), field("vartype epochs", "int"),
                              field("ivar lr", "learning rate."), field("param seed", "the seed."),
                              field("ivar seed", "kept as given."))
    annotations = {"epochs": "int", "lr": "float", "seed": "int", "size": "str", "return": "None"}
    assert site.attribute_types(fields, annotations) == ["epochs", "lr"]
    # a documented parameter and an undocumented one keep their recorded types for autodoc
    assert annotations == {"seed": "int", "size": "str", "return": "None"}
    names = [f[0].astext() for f in fields]
    assert names.count("vartype epochs") == 1 and "vartype lr" in names and "vartype seed" not in names


def test_factory_defaults_show_the_value_a_dataclass_field_starts_with() -> None:
    from dataclasses import dataclass, field

    def make() -> dict:
        return {}

    @dataclass
    class Run:
        name: str
        history: list = field(default_factory=list)
        extra: dict = field(default_factory=make)

    signature = "(name, history=<factory>, extra=<factory>)"
    shown = site.factory_defaults(Run, signature)
    assert shown.startswith("(name, history=[], extra=") and shown.endswith("make())") and "<factory>" not in shown
    assert site.factory_defaults(dict, "(x=<factory>)") == "(x=<factory>)"


def test_short_literals_of_several_words_are_kept_whole_outside_tables() -> None:
    from docutils import nodes

    short, word, long = nodes.literal("", "beta = 0"), nodes.literal("", "info_nce"), nodes.literal("", "x " * 30)
    cell = nodes.literal("", "a -> b")
    table = nodes.table("", nodes.tgroup("", nodes.tbody("", nodes.row("", nodes.entry("", _paragraph(cell))))))
    doc = nodes.section("", _paragraph(short, word, long), table)
    assert site.keep_short_literals_whole(doc) == 1
    assert site.WHOLE_LITERAL_CLASS in short["classes"]
    assert not any(site.WHOLE_LITERAL_CLASS in n["classes"] for n in (word, long, cell))


def test_a_literal_continued_on_the_next_source_line_is_one_line_and_kept_whole() -> None:
    from docutils import nodes

    continued = nodes.literal("", '"one seed, so no\n    spread"')
    long = nodes.literal("", "stratified_subset(train_labels,\nfraction, seed=s) of the training rows")
    doc = nodes.section("", _paragraph(continued, long))
    assert site.keep_short_literals_whole(doc) == 1
    assert continued.astext() == '"one seed, so no spread"' and site.WHOLE_LITERAL_CLASS in continued["classes"]
    assert long.astext() == "stratified_subset(train_labels, fraction, seed=s) of the training rows"


def test_an_exception_shows_no_return_type_and_a_class_keeps_its_recorded_types() -> None:
    from sphinx import addnodes

    def described(objtype: str, fullname: str) -> tuple[dict, object]:
        annotations = {"message": "str", "_cause": "str", "return": "None"}
        app = SimpleNamespace(env=SimpleNamespace(temp_data={"annotations": {f"m.{fullname}": annotations}}))
        content = addnodes.desc_content()
        addnodes.desc("", addnodes.desc_signature("", "", module="m", fullname=fullname), content)
        site._type_attributes_once(app, "py", objtype, content)
        return annotations

    assert described("exception", "Broken") == {"message": "str"}
    assert described("class", "Config") == {"message": "str", "return": "None"}


def test_public_parameters_leave_out_the_private_ones_and_split_only_between_parameters() -> None:
    assert site.public_parameters("(size=1, rank=0, _model=None)") == "(size=1, rank=0)"
    assert site.public_parameters("(_a, b=(1, 2), c='x, _y', _d={'k': (3, 4)})") == "(b=(1, 2), c='x, _y')"
    assert site.public_parameters("()") == "()" and site.public_parameters("x") == "x"
