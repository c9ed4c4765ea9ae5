"""The book's Sphinx extension (listed in ``_config.yml``, see :func:`setup`).

- pages whose HTML contains a plotly figure get the site's own copy of ``plotly.min.js``;
- after the build the browser assets (plotly.js from the installed ``plotly`` package, MathJax 3,
  RequireJS and the ipywidgets embed manager from ``npm ci``) are copied into the site's
  ``_static/vendor/``, so that the site works with the network off;
- with ``MMHAR_BOOK_EXECUTED=DIR`` in the environment the build renders the notebooks already
  executed by papermill under ``DIR`` (same relative paths) instead of executing them again;
- the ``{bench}`` role quotes a figure of a committed benchmark result (:func:`bench_figure`);
- the ``# NBVAL_CHECK_OUTPUT`` lines meant for the tests are hidden from readers;
- a short inline literal of several words stays on one line (:func:`keep_short_literals_whole`),
  and no line starts or ends with the punctuation around math or code (:func:`keep_punctuation_attached`);
- the API page's "Bases:" lines name public classes only (:func:`public_bases`);
- a class lists each attribute once, with its type, under "Variables" (:func:`attribute_types`),
  and a dataclass field's ``default_factory`` shows as the value it makes, not ``<factory>``
  (:func:`factory_defaults`), and a private field set by the package (``Replicas._model``) is left out
  (:func:`public_parameters`);
- a signature's default that follows a non-ASCII character (``title="... β"``) is quoted
  whole (:func:`source_default`).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:  # Sphinx is only needed by a build
    from sphinx.application import Sphinx

EXECUTED_ENV = "MMHAR_BOOK_EXECUTED"

#: Where the site serves its vendored assets, relative to the site root.
VENDOR_URL = "_static/vendor"
#: plotly.js inside the site (copied from the installed plotly package at build time).
PLOTLY_JS = f"{VENDOR_URL}/plotly/plotly.min.js"
#: The marker that plotly's ``to_html`` puts on every figure ``<div>``.
PLOTLY_DIV_CLASS = "plotly-graph-div"

#: Derived figures a ``{bench}`` reference may ask for (its fifth field), each from the cell's text.
#:
#: :meta hide-value:
BENCH_TRANSFORMS: Mapping[str, Any] = MappingProxyType({
    # the size of one (B, B) float32 matrix, from a batch size B
    "B x B float32 MiB": lambda cell: f"{4 * int(cell) ** 2 / 2 ** 20:g}",
})


def results_table(text: str, title: str) -> list[dict[str, str]]:
    """The rows (``{column: cell text}``) of the first markdown table after the paragraph that
    starts with ``**title**`` in a benchmark's results markdown.

    Raises:
        ValueError: no such title, or no table after it.
    """
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith(f"**{title}**")), None)
    if start is None:
        raise ValueError(f"no table titled **{title}**")
    table = []
    for line in lines[start + 1:]:
        if line.startswith("|"):
            table.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        elif table or (line.strip() and not line.startswith("|")):
            break
    if len(table) < 3:
        raise ValueError(f"no table after **{title}**")
    header, body = table[0], table[2:]
    return [dict(zip(header, row)) for row in body]


def bench_figure(results_dir: str | Path, spec: str) -> str:
    """One figure of a committed benchmark result, for prose that quotes it.

    ``spec`` is ``"FILE | TABLE | ROW | COLUMN"`` with an optional ``" | TRANSFORM"``: the cell of
    ``COLUMN`` in row ``ROW`` (an index, ``-1`` the last) of the table titled ``TABLE`` in
    ``results_dir/FILE``, as written there, or a figure derived from it (:data:`BENCH_TRANSFORMS`).

    Raises:
        ValueError: a field is missing or names nothing in the file.
    """
    fields = [f.strip() for f in spec.split("|")]
    if len(fields) not in (4, 5):
        raise ValueError(f"{spec!r}: expected 'FILE | TABLE | ROW | COLUMN [| TRANSFORM]'")
    name, title, row, column = fields[:4]
    rows = results_table((Path(results_dir) / name).read_text(), title)
    try:
        cell = rows[int(row)][column]
    except (ValueError, IndexError, KeyError):
        raise ValueError(f"{spec!r}: {name}'s table {title!r} has {len(rows)} rows and the columns "
                         f"{', '.join(rows[0]) if rows else 'none'}") from None
    if len(fields) == 5:
        if fields[4] not in BENCH_TRANSFORMS:
            raise ValueError(f"{spec!r}: unknown transform; expected one of {', '.join(BENCH_TRANSFORMS)}")
        return BENCH_TRANSFORMS[fields[4]](cell)
    return cell


def _bench_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    """``{bench}`FILE | TABLE | ROW | COLUMN``` in a page: the figure from ``benchmarks/results/``."""
    from docutils import nodes

    env = inliner.document.settings.env
    try:
        return [nodes.Text(bench_figure(Path(env.srcdir) / "benchmarks" / "results", text))], []
    except (OSError, ValueError) as error:
        message = inliner.reporter.error(f"bench: {error}", line=lineno)
        return [inliner.problematic(rawtext, rawtext, message)], [message]


def _vendored_assets(app: Sphinx) -> dict[str, Path]:
    """Map each folder/file under the site's ``_static/vendor/`` to where it comes from."""
    import plotly

    node_modules = Path(app.confdir) / app.config.mmhar_node_modules
    assets = {
        "plotly/plotly.min.js": Path(plotly.__file__).parent / "package_data" / "plotly.min.js",
        "mathjax": node_modules / "mathjax" / "es5",
        "requirejs/require.js": node_modules / "requirejs" / "require.js",
        "html-manager": node_modules / "@jupyter-widgets" / "html-manager" / "dist",
    }
    missing = [str(src) for src in assets.values() if not src.exists()]
    if missing:
        from sphinx.errors import ExtensionError

        raise ExtensionError(
            f"vendored browser assets missing: {', '.join(missing)}; "
            f"install them with `make vendor` (npm ci --prefix .vendor/npm)"
        )
    return assets


def _check_assets(app: Sphinx) -> None:
    # Fail at the start of the build rather than after every notebook has executed.
    if app.builder.format == "html":
        _vendored_assets(app)


def _copy_assets(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / VENDOR_URL
    for name, src in _vendored_assets(app).items():
        dest = target / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            # source maps are only for debugging the minified code; they double the size
            shutil.copytree(src, dest, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.map"))
        else:
            shutil.copy2(src, dest)


def _add_plotly_js(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any],
                   doctree: Any) -> None:
    """Add plotly.js to pages that show a figure, before RequireJS (priority 500): loaded
    after it, plotly.js would register as an anonymous AMD module and never define ``Plotly``."""
    if PLOTLY_DIV_CLASS in context.get("body", ""):
        app.add_js_file(PLOTLY_JS.removeprefix("_static/"), priority=200)


def _code_sources(nb: Any) -> list[str]:
    return [c.source for c in nb.cells if c.cell_type == "code"]


def _use_executed_copy(app: Sphinx, docname: str, source: list[str]) -> None:
    """Replace a notebook's text by its papermill-executed copy (without the injected cell)."""
    if not str(app.env.doc2path(docname)).endswith(".ipynb"):
        return
    import nbformat
    from sphinx.errors import ExtensionError

    executed_path = Path(os.environ[EXECUTED_ENV]) / f"{docname}.ipynb"
    if not executed_path.is_file():
        raise ExtensionError(
            f"{EXECUTED_ENV} is set but {executed_path} does not exist: run "
            f"tests/test_notebooks.py first (it writes the executed notebooks there)"
        )
    executed = nbformat.read(executed_path, as_version=4)
    executed.cells = [c for c in executed.cells
                      if "injected-parameters" not in c.metadata.get("tags", [])]
    if _code_sources(executed) != _code_sources(nbformat.reads(source[0], as_version=4)):
        raise ExtensionError(f"{executed_path} is stale: its code differs from {docname}.ipynb")
    source[0] = nbformat.writes(executed)


#: The line that tells nbval to compare a cell's output; meant for the tests, not for readers.
#:
#: :meta hide-value:
NBVAL_MARKER = re.compile(r"^[ \t]*# NBVAL_CHECK_OUTPUT[ \t]*\n?", re.MULTILINE)


def strip_nbval_marker(source: str) -> str:
    """``source`` of a code cell without its ``# NBVAL_CHECK_OUTPUT`` line(s)."""
    return NBVAL_MARKER.sub("", source)


def _hide_nbval_markers(app: Sphinx, doctree: Any) -> None:
    """Drop the nbval marker from the code cells shown on the site (the notebooks keep it)."""
    from docutils import nodes

    for block in doctree.findall(nodes.literal_block):
        text = block.astext()
        if "NBVAL_CHECK_OUTPUT" in text:
            block.children = [nodes.Text(strip_nbval_marker(text))]
            block.rawsource = strip_nbval_marker(block.rawsource)


#: Punctuation that closes a clause (``. , ; : ! ? ) ]`` and the closing quotes ``’ ”``), which a line
#: must not start with.
#:
#: :meta hide-value:
CLOSING_PUNCTUATION = re.compile(r"^[.,;:!?)\]\u2019\u201d]+")
#: Punctuation that opens (``(``, ``[`` and the opening quotes ``‘ “``), which a line must not end with.
#:
#: :meta hide-value:
OPENING_PUNCTUATION = re.compile(r"[(\[\u2018\u201c]+$")
#: The class of an inline kept with its punctuation (``nowrap`` in book/_static/mmhar.css).
PUNCT_CLASS = "mmhar-punct"


def keep_punctuation_attached(doctree: Any) -> int:
    """Wrap each inline math node and each inline code literal (with its link, for a
    cross-reference) together with the opening punctuation right before it and the closing
    punctuation right after it (the period after an inline equation that ends a sentence, the
    ``(`` and ``).`` around a function's name) in an inline of class :data:`PUNCT_CLASS`, so
    that the browser never puts the period alone at the start of a line, nor the ``(`` alone at
    the end of one: a line may break before and after rendered math and the site's inline code,
    as around an image. The text is unchanged. Returns the number of inlines wrapped."""
    from docutils import nodes

    targets = list(doctree.findall(nodes.math))
    for literal in doctree.findall(nodes.literal):
        node = literal
        while isinstance(node.parent, nodes.reference) and len(node.parent) == 1:
            node = node.parent
        targets.append(node)
    wrapped = 0
    for node in targets:
        parent = node.parent
        index = parent.index(node)
        before = parent[index - 1] if index > 0 else None
        after = parent[index + 1] if index + 1 < len(parent) else None
        opening = OPENING_PUNCTUATION.search(before.astext()) if isinstance(before, nodes.Text) else None
        closing = CLOSING_PUNCTUATION.match(after.astext()) if isinstance(after, nodes.Text) else None
        if opening is None and closing is None:
            continue
        pair = nodes.inline("", "", classes=[PUNCT_CLASS])
        # by position: Text nodes compare by value, so replace()/remove() would hit an earlier
        # equal text of the same paragraph (", " before another equation)
        parent[index] = pair
        pair += [nodes.Text(opening.group())] if opening else []
        pair += node
        if closing:
            pair += nodes.Text(closing.group())
            rest = after.astext()[closing.end():]
            if rest:
                parent[index + 1] = nodes.Text(rest)
            else:
                del parent[index + 1]
        if opening:
            rest = before.astext()[:opening.start()]
            if rest:
                parent[index - 1] = nodes.Text(rest)
            else:
                del parent[index - 1]
        wrapped += 1
    return wrapped


def _keep_punctuation_attached(app: Sphinx, doctree: Any, docname: str) -> None:
    keep_punctuation_attached(doctree)


#: The class of an inline literal that the browser keeps on one line (book/_static/mmhar.css).
WHOLE_LITERAL_CLASS = "mmhar-whole"
#: The longest inline literal (characters) kept on one line; a longer one wraps between its words.
WHOLE_LITERAL_CHARS = 40


def keep_short_literals_whole(doctree: Any) -> int:
    """Give each inline literal of at most :data:`WHOLE_LITERAL_CHARS` characters outside a
    table the class :data:`WHOLE_LITERAL_CLASS`, so that a line never breaks inside it
    (``beta = 0`` split as ``beta =`` / ``0``); a literal wider than the column (a phone) still
    wraps inside it. First every line break inside an inline literal (a docstring's literal
    that continues on its next source line) becomes one space: the site's inline code keeps
    its white space (``pre-wrap``, book/_static/mmhar.css), so the source's line break broke
    the literal there at every width. Returns the number of literals marked."""
    from docutils import nodes

    marked = 0
    for literal in doctree.findall(nodes.literal):
        for index, child in enumerate(literal.children):
            if isinstance(child, nodes.Text) and "\n" in child:
                literal[index] = nodes.Text(re.sub(r"\s*\n\s*", " ", child.astext()))
        text = literal.astext()
        if len(text) > WHOLE_LITERAL_CHARS or " " not in text:
            continue
        parent, in_table = literal.parent, False
        while parent is not None and not in_table:
            in_table = isinstance(parent, nodes.table)
            parent = parent.parent
        if not in_table:
            literal["classes"].append(WHOLE_LITERAL_CLASS)
            marked += 1
    return marked


def _keep_short_literals_whole(app: Sphinx, doctree: Any, docname: str) -> None:
    keep_short_literals_whole(doctree)


def _show_subsections_in_page_toc(app: Sphinx, config: Any) -> None:
    """List the h3 sub-sections in the right-hand "Contents" too (the theme folds them away
    until their section is reached, so a reader cannot jump to one). Set here because an
    ``html_theme_options`` in ``_config.yml`` would replace the options jupyter-book sets."""
    config.html_theme_options = {**(config.html_theme_options or {}), "show_toc_level": 2}


def public_bases(bases: list) -> list:
    """``bases`` with each private class (``_Random``, torch's ``_BatchNorm``) replaced by the
    nearest public class of its MRO, duplicates dropped: the API page has no entry for a private
    class, so "Bases: _Random" names something the reader cannot look up."""
    shown: list = []
    for base in bases:
        if isinstance(base, type) and base.__name__.startswith("_"):
            base = next(c for c in base.__mro__ if not c.__name__.startswith("_"))
        if base not in shown:
            shown.append(base)
    return shown


def _show_public_bases(app: Sphinx, name: str, obj: Any, options: Any, bases: list) -> None:
    bases[:] = public_bases(bases)


def attribute_types(field_list: Any, annotations: dict[str, str]) -> list[str]:
    """Give each documented attribute (``:ivar name:``, napoleon's "Attributes") of a class's
    ``field_list`` its type from ``annotations`` (the constructor's, which autodoc records) as
    ``:vartype name:`` where napoleon wrote none, and take it out of ``annotations``, so that
    ``autodoc_typehints = "description"`` adds no type-only "Parameters" entry repeating it
    (every dataclass field was listed twice). A name also documented as ``:param name:`` keeps
    its parameter entry. Returns the names moved."""
    from docutils import nodes

    def names(kinds: tuple[str, ...]) -> set[str]:
        found = set()
        for field in (child for child in field_list if isinstance(child, nodes.field)):
            parts = field[0].astext().split()
            if parts and parts[0] in kinds:
                found.add(parts[-1])
        return found

    params, typed = names(("param", "parameter", "arg", "argument")), names(("vartype",))
    moved = []
    for name in sorted(names(("ivar", "var", "cvar")) - params):
        if name not in annotations:
            continue
        annotation = annotations.pop(name)
        if name not in typed:
            field_list += nodes.field("", nodes.field_name("", f"vartype {name}"),
                                      nodes.field_body("", nodes.paragraph("", annotation)))
        moved.append(name)
    return moved


def _type_attributes_once(app: Sphinx, domain: str, objtype: str, contentnode: Any) -> None:
    """Before ``sphinx.ext.autodoc.typehints`` merges the recorded types (priority 500): the
    attributes typed once (:func:`attribute_types`), no private parameter and no return type for
    an exception."""
    from docutils import nodes

    if domain != "py" or objtype not in ("class", "exception"):
        return
    try:
        signature = contentnode.parent[0]
        fullname = f'{signature["module"]}.{signature["fullname"]}' if signature["module"] \
            else signature["fullname"]
    except (IndexError, KeyError):
        return
    annotations = app.env.temp_data.get("annotations", {}).get(fullname)
    if annotations and objtype == "exception":
        # autodoc's typehints leave out the constructor's "-> None" for a class only: an
        # exception showed "Return type: None"
        annotations.pop("return", None)
    for private in [name for name in annotations or {} if name.startswith("_")]:
        del annotations[private]  # not in the signature either (public_parameters)
    if annotations:
        for field_list in [n for n in contentnode if isinstance(n, nodes.field_list)]:
            attribute_types(field_list, annotations)


def factory_defaults(cls: Any, signature: str) -> str:
    """``signature`` of dataclass ``cls`` with each ``name=<factory>`` written as the value its
    ``default_factory`` makes when that is an empty ``list``, ``dict`` or ``tuple``
    (``missing=[]``), else as the factory's call (``extra=make()``)."""
    import dataclasses

    if not dataclasses.is_dataclass(cls) or "<factory>" not in signature:
        return signature
    for f in dataclasses.fields(cls):
        factory = f.default_factory
        if factory is dataclasses.MISSING:
            continue
        if factory in (list, dict, tuple):
            shown = repr(factory())
        else:
            shown = f"{getattr(factory, '__qualname__', 'factory')}()"
        signature = re.sub(rf"\b{re.escape(f.name)}=<factory>", f"{f.name}={shown}", signature)
    return signature


def public_parameters(signature: str) -> str:
    """``signature`` (``"(size=1, rank=0, _model=None)"``) without its private parameters (a name
    starting with ``_``: a dataclass field set by the package, not by a caller), which the API
    page does not document."""
    if not (signature.startswith("(") and signature.endswith(")")):
        return signature
    parts, depth, quote, start = [], 0, "", 1
    for i, char in enumerate(signature[1:-1], start=1):
        if quote:
            quote = "" if char == quote and signature[i - 1] != "\\" else quote
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(signature[start:i].strip())
            start = i + 1
    parts.append(signature[start:-1].strip())
    return "(" + ", ".join(p for p in parts if p and not p.startswith("_")) + ")"


def _show_factory_defaults(app: Sphinx, what: str, name: str, obj: Any, options: Any,
                           signature: str | None, return_annotation: str | None) -> Any:
    if what == "class" and signature:
        return public_parameters(factory_defaults(obj, signature)), return_annotation
    return None


def source_default(lines: list[str], position: Any) -> str | None:
    """The source text of the default value at ``position`` (an ``ast`` node) in ``lines``,
    or ``None`` for a value over several lines. Replaces Sphinx's own
    (``autodoc_preserve_defaults``), which slices the line's characters with the node's column
    offsets; those count UTF-8 bytes, so after a "β" the quoted default took one character more
    (``title="effect of β")``) and the signature showed an unmatched parenthesis."""
    try:
        if position.lineno != position.end_lineno:
            return None
        line = lines[position.lineno - 1].encode()
        return line[position.col_offset:position.end_col_offset].decode()
    except (AttributeError, IndexError, UnicodeDecodeError):
        return None


def _configure(app: Sphinx, config: Any) -> None:
    if os.environ.get(EXECUTED_ENV):
        config.nb_execution_mode = "off"
        app.connect("source-read", _use_executed_copy)


def setup(app: Sphinx) -> dict[str, Any]:
    """Sphinx entry point (``sphinx: extra_extensions: [mmhar_lite.site]`` in ``_config.yml``)."""
    from sphinx.ext.autodoc import preserve_defaults

    app.add_config_value("mmhar_node_modules", ".vendor/npm/node_modules", "html")
    app.add_role("bench", _bench_role)
    app.connect("config-inited", _configure)
    app.connect("builder-inited", _check_assets)
    app.connect("html-page-context", _add_plotly_js)
    app.connect("doctree-read", _hide_nbval_markers)
    app.connect("doctree-resolved", _keep_punctuation_attached)
    app.connect("doctree-resolved", _keep_short_literals_whole)
    app.connect("config-inited", _show_subsections_in_page_toc)
    app.connect("autodoc-process-bases", _show_public_bases)
    app.connect("object-description-transform", _type_attributes_once, priority=400)
    app.connect("autodoc-process-signature", _show_factory_defaults)
    preserve_defaults.get_default_value = source_default
    app.connect("build-finished", _copy_assets)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
