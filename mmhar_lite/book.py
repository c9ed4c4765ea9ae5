"""Helpers shared by the book's notebooks (the site's Sphinx extension is :mod:`mmhar_lite.site`).

- :func:`resolve_profile` turns the papermill ``profile`` parameter (or the ``MMHAR_PROFILE``
  environment variable) into a :class:`Profile`, the table of run sizes used by every chapter.
- :func:`show` displays a plotly figure so that it survives the static book: myst-nb drops
  plotly's own JSON output, so the figure is emitted as ``text/html`` (a ``<div>`` plus the
  ``Plotly.newPlot`` call, no plotly.js and no CDN) next to the plotly JSON that JupyterLab renders.
- the table helpers (:func:`markdown_table`, :func:`sweep_table`, :func:`comparison_tables`,
  :func:`caption_tables`, ...) show numbers and results files as tables that fit a phone.

The sentence and statistics helpers that write the chapters' prose from the numbers a page
computes (:func:`~mmhar_lite.prose.estimate`, :func:`~mmhar_lite.prose.paired`, ...) are in
:mod:`mmhar_lite.prose`, the sentences about timings in :mod:`mmhar_lite.timings`; the chapters
call them from here too (``book.estimate``), so every name in :mod:`mmhar_lite.prose` and
:mod:`mmhar_lite.timings` is also available as ``book.<name>``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Collection, Mapping, Sequence

from mmhar_lite.data.cases import DATASET_NAMES

# The chapters call the prose and timing helpers as book.<name>: every name of both modules is
# also available here (documented in its own module, not in __all__ here).
from mmhar_lite.prose import (  # noqa: F401
    CATCH_ALL_MIN_CLASSES, CATCH_ALL_SHARE, FAR_ERROR_RATIO, FAR_POINTS, MIN_SEEDS_FOR_CI, Paired,
    above_chance, catch_all_sources, chance_pvalue, chance_sentence, ci_bounds, confused_with, course,
    distinct_decimals, distinct_values, estimate, estimates,
    join_names, margin_text, margin_word, most_confused_pairs, n_seeds_text, p_text,
    pair_confusions, paired, paired_summary, pairing_sentence, pairs_text, percent_spread, ranking,
    relation, signed, spread_phrase, sweep_sentence, tie_groups, tie_note, versus_chance,
    versus_spread, batch_steps, judged_course, neighbour_ties, ordinal, shade, step_word, values_at,
)
from mmhar_lite.timings import (  # noqa: F401
    BENCH_PAIRS, RecordedTime, RunTime, benchmark_caveats, epoch_seconds, paper_size_run_time, pretraining_seconds,
    recorded_run_time,
    scaling_sentence, seed_time_table, size_factors, slower_later,
)

if TYPE_CHECKING:  # imported lazily: plotly and Sphinx are only needed by the functions using them
    import plotly.graph_objects as go
    from sphinx.application import Sphinx

__all__ = [
    "PROFILE_ENV",
    "DEFAULT_PROFILE",
    "PLOTLY_MIME",
    "Profile",
    "PROFILES",
    "CACHE_ENV",
    "run_cache_dir",
    "resolve_profile",
    "figure_html",
    "figure_bundle",
    "show",
    "output_markdown",
    "markdown_table",
    "stage_table",
    "EMBEDDING_ROWS",
    "embedding_table",
    "show_markdown",
    "sweep_table",
    "results_context",
    "per_seed",
    "table_rows",
    "COMPARISON_TITLES",
    "comparison_tables",
    "paper_gap_sentence",
    "caption_tables",
]

PROFILE_ENV = "MMHAR_PROFILE"
DEFAULT_PROFILE = "book"
PLOTLY_MIME = "application/vnd.plotly.v1+json"


@dataclass(frozen=True)
class Profile:
    """How big every run of a chapter is.

    Attributes:
        name: ``"smoke"``, ``"book"`` or ``"full"``.
        pretrain_epochs: contrastive pre-training epochs.
        finetune_epochs: fine-tuning epochs of the classifier heads.
        n_seeds: independent repetitions behind every mean and interval.
        n_subjects: subjects of the synthetic dataset (even, so that the odd/even
            cross-subject split has both halves).
        n_trials: trials per subject and class of the synthetic dataset.
        encoder_size: ``"lite"`` (small encoders) or ``"paper"`` (the paper's widths).
        betas: the hard-negative concentrations swept by the beta chapters.
        label_fractions: the labelled fractions of the limited-label chapter.
        beta_epochs: pre-training epochs of the models at each beta that
            :doc:`chapter 4 (Pre-training) </notebooks/04_pretraining>` and
            :doc:`chapter 5 (The latent space) </notebooks/05_latent_space>` draw (at least ``pretrain_epochs``; longer in the book, where 10 epochs on 2 trials per
            class leave a beta = 2 model weighting its negatives almost uniformly: 198 effective
            negatives of 215, against 148 after 20 epochs).
    """

    name: str
    pretrain_epochs: int
    finetune_epochs: int
    n_seeds: int
    n_subjects: int
    n_trials: int
    encoder_size: str
    betas: tuple[float, ...]
    label_fractions: tuple[float, ...]
    beta_epochs: int


#: The three profiles, by name. ``smoke`` is for CI (seconds per notebook), ``book`` for the
#: rendered book (the whole ``make book`` under 10 minutes on 2 cores), ``full`` runs the
#: paper's epochs (hours).
#:
#: :meta hide-value:
PROFILES: Mapping[str, Profile] = MappingProxyType(
    {
        p.name: p
        for p in (
            Profile("smoke", pretrain_epochs=1, finetune_epochs=1, n_seeds=1, n_subjects=4,
                    n_trials=1, encoder_size="lite", betas=(0.0, 1.0), label_fractions=(0.1,),
                    beta_epochs=1),
            # Sized so that the whole `make book` (about twenty pre-training runs across the
            # chapters, shared through the run cache, two chapters at a time) fits 10 minutes on 2
            # cores: 2 trials per class halve every epoch against the committed runs' 4. 3 seeds: a
            # Student-t interval from 2 seeds (t = 12.7) is wider than the data. Three label fractions
            # and three betas (the committed paper-protocol runs of chapter 7 have five and six); of
            # the 8 training recordings per class the fractions keep 1, 2 and 4, three different
            # subsets (2 % and 10 % both keep one, the same rows: a curve of two points).
            Profile("book", pretrain_epochs=10, finetune_epochs=30, n_seeds=3, n_subjects=8,
                    n_trials=2, encoder_size="lite", betas=(0.0, 1.0, 2.0),
                    label_fractions=(0.02, 0.25, 0.5), beta_epochs=20),
            Profile("full", pretrain_epochs=150, finetune_epochs=100, n_seeds=5, n_subjects=8,
                    n_trials=4, encoder_size="paper", betas=(0.0, 0.25, 0.5, 1.0, 1.5, 2.0),
                    label_fractions=(0.02, 0.05, 0.1, 0.25, 0.5), beta_epochs=150),
        )
    }
)


CACHE_ENV = "MMHAR_CACHE_DIR"


def run_cache_dir() -> Path:
    """Where the chapters keep finished pre-training runs (``cache_dir`` of the experiments).

    ``$MMHAR_CACHE_DIR`` (the Makefile sets ``.cache/runs`` of the repository), else
    ``~/.cache/mmhar-lite/runs``. Runs are keyed by configuration, data and code
    (:func:`mmhar_lite.training.run_key`), so a chapter reuses another's run only when it
    would have trained exactly the same model.
    """
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "mmhar-lite" / "runs")


def resolve_profile(profile: str | None = None) -> Profile:
    """Return the :class:`Profile` named ``profile``.

    Args:
        profile: ``"smoke"``, ``"book"`` or ``"full"``; ``None`` reads the ``MMHAR_PROFILE``
            environment variable and falls back to ``"book"`` when it is unset or empty.

    Raises:
        ValueError: the name is not one of the profiles (the message lists the valid names).
    """
    source = "argument `profile`"
    if profile is None:
        profile = os.environ.get(PROFILE_ENV) or DEFAULT_PROFILE
        source = f"environment variable {PROFILE_ENV}"
    try:
        return PROFILES[profile]
    except KeyError:
        raise ValueError(
            f"unknown profile {profile!r} (from {source}); valid profiles: {', '.join(PROFILES)}"
        ) from None


def figure_html(fig: go.Figure, *, div_id: str | None = None) -> str:
    """The figure as an HTML fragment: its ``<div>`` and the script drawing it, no plotly.js.

    The div id defaults to a hash of the figure's JSON, so that re-running a cell gives the same
    HTML (nbval compares it); pass ``div_id`` to show the very same figure twice on one page.
    """
    if div_id is None:
        div_id = "fig-" + hashlib.sha1(fig.to_json().encode()).hexdigest()[:16]
    height = fig.layout.height or 450  # a 100% height collapses inside an auto-height page
    # auto_play off: frames would otherwise play on load and leave the slider on its last step
    return fig.to_html(include_plotlyjs=False, full_html=False, div_id=div_id, auto_play=False,
                       default_height=f"{height}px", default_width="100%")


def figure_bundle(fig: go.Figure, *, div_id: str | None = None) -> dict[str, Any]:
    """The MIME bundle of :func:`show`: ``text/html`` for the static book, plotly JSON for Jupyter."""
    return {"text/html": figure_html(fig, div_id=div_id), PLOTLY_MIME: json.loads(fig.to_json())}


def show(fig: go.Figure, *, div_id: str | None = None, min_width: int | None = None) -> None:
    """Display a plotly figure in a notebook so that it also appears in the static book.

    JupyterLab renders the plotly JSON (interactive, with its own plotly.js); the book renders
    the ``text/html`` part, whose plotly.js the book's Sphinx extension (:mod:`mmhar_lite.site`)
    serves from the site.
    ``min_width`` (px) keeps a figure that is unreadable when squeezed (a 27 x 27 confusion
    matrix) at least that wide: narrower screens scroll it sideways, with the scroll cue.
    """
    from IPython.display import display

    bundle = figure_bundle(fig, div_id=div_id)
    if min_width is not None:
        bundle["text/html"] = (f'<div class="mmhar-scroll"><div style="min-width:{int(min_width)}px">'
                               f'{bundle["text/html"]}</div></div>')
    display(bundle, raw=True)


_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$", re.MULTILINE)


def output_markdown(text: str) -> str:
    """Markdown written for a file (``results.md``), made fit to be shown inside a chapter.

    Its ATX headings (``# reproduce: synthetic``, ``## Table 2 ...``) become bold paragraphs: in
    a cell's output a ``#`` heading would render as large as the page's own title, and a section
    heading there would enter the page's table of contents. Everything else (tables, lists) is
    kept as it is.
    """
    # the blank line keeps a table that follows the heading a block of its own
    return _HEADING.sub(lambda m: f"**{m.group(2)}**\n", text)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]], text_columns: int = 1) -> str:
    """A markdown table: the first ``text_columns`` columns left-aligned (row names and other
    text), the others right-aligned (numbers).

    Shown with :func:`show_markdown` it is an HTML table, which the site scrolls inside the text
    column when it is wider, instead of a printed block whose lines wrap or run off a phone.

    Raises:
        ValueError: ``header`` is empty, a row does not have one cell per header cell, or
            ``text_columns`` is not between 1 and the number of columns.
    """
    if not header:
        raise ValueError("header: expected at least one column name")
    if not 1 <= text_columns <= len(header):
        raise ValueError(f"text_columns: expected 1 to {len(header)}, got {text_columns}")
    for i, row in enumerate(rows):
        if len(row) != len(header):
            raise ValueError(f"rows[{i}]: expected {len(header)} cells like header, got {len(row)}")

    def line(cells: Sequence[object]) -> str:
        return "| " + " | ".join(str(c).replace("|", r"\|") for c in cells) + " |"

    rule = "|" + "|".join([":---"] * text_columns + ["---:"] * (len(header) - text_columns)) + "|"
    return "\n".join([line(header), rule, *map(line, rows)]) + "\n"


def stage_table(rows: Sequence[tuple[str, str, Sequence[int], Sequence[int]]], x_shape: Sequence[int],
                out_shape: Sequence[int]) -> str:
    """:func:`~mmhar_lite.models.stage_shapes` as a markdown table (stage, input, output shape,
    layer type): the input batch on the first row, the features on the last. Shapes are written
    ``4×6×50``, unpadded and before the long type names, so that a phone shows them beside the stage
    names instead of a fixed-width block cut at its edge."""
    def shape(s: Sequence[int]) -> str:
        return "×".join(map(str, s))

    body = [["input", "", shape(x_shape), ""]]
    body += [[f"`{name}`", shape(s_in), shape(s_out), kind] for name, kind, s_in, s_out in rows]
    body.append(["output (features)", "", shape(out_shape), ""])
    return markdown_table(["stage", "input", "output", "type"], body)


#: The rows of :func:`embedding_table`, each a (short name, key of
#: :data:`~mmhar_lite.metrics.EMBEDDING_KEYS`, k of top-k) triple.
#:
#: :meta hide-value:
EMBEDDING_ROWS = (
    ("IMU→skel. top-1", "imu_to_skeleton_top1", 1),
    ("IMU→skel. top-5", "imu_to_skeleton_top5", 5),
    ("skel.→IMU top-1", "skeleton_to_imu_top1", 1),
    ("skel.→IMU top-5", "skeleton_to_imu_top5", 5),
    ("alignment", "alignment", None),
    ("uniformity", "uniformity", None),
)


def embedding_table(by_model: Mapping[str, Mapping[str, float]], n_rows: int) -> str:
    """Retrieval, alignment and uniformity as a markdown table: a column per model, a row per measure.

    Args:
        by_model: column name → record with the keys of :data:`~mmhar_lite.metrics.EMBEDDING_KEYS`
            (retrieval as fractions in [0, 1]), e.g. ``metrics.embedding_metrics(...)`` or a history
            record.
        n_rows: how many rows the measures were computed on; the last column is the chance level
            ``k / n_rows`` of top-k retrieval. Retrieval is in % (short row names and headers keep
            the table within a phone's width).
    """
    if not by_model:
        raise ValueError("by_model: expected at least one model")
    if n_rows < 1:
        raise ValueError(f"n_rows: expected at least 1 row, got {n_rows}")
    for name, record in by_model.items():
        missing = [key for _, key, _ in EMBEDDING_ROWS if key not in record]
        if missing:
            raise ValueError(f"by_model[{name!r}]: missing {missing} (a run pre-trained with monitor_indices has them)")
    rows = []
    for label, key, k in EMBEDDING_ROWS:
        values = [r[key] for r in by_model.values()]
        # alignment and uniformity with enough decimals that models which differ read differently
        cells = [f"{100 * v:.1f}" for v in values] if k else [f"{v:.{distinct_decimals(values)}f}" for v in values]
        rows.append([label, *cells, f"{100 * min(k, n_rows) / n_rows:.1f}" if k else ""])
    return markdown_table(["", *by_model, "chance"], rows)


def show_markdown(text: str) -> None:
    """Display :func:`output_markdown` of ``text`` (rendered as MyST, so tables are tables)."""
    from IPython.display import Markdown, display

    display(Markdown(output_markdown(text)))


def sweep_table(values: Mapping[str, Mapping[Any, float]], *, setting: str = "setting", decimals: int = 2) -> str:
    """A sweep (``{setting: {seed: accuracy in %}}``) as a :func:`markdown_table`: per setting the
    mean, the clipped 95 % interval (:func:`~mmhar_lite.prose.ci_bounds`; "–" below
    :data:`~mmhar_lite.prose.MIN_SEEDS_FOR_CI` seeds), the standard deviation over seeds (points;
    "–" from one seed) and the number of seeds; short headers, so that it fits a phone. (A
    sweep's ``results.md``, :func:`mmhar_lite.results.results_markdown`, has its own table: a
    row per method, head and setting, of records.)"""
    import numpy as np

    if not values:
        raise ValueError("sweep_table needs at least one setting")
    rows = []
    for name, by_seed in values.items():
        x = [float(v) for v in by_seed.values()]
        bounds = ci_bounds(x)
        rows.append([name, f"{np.mean(x):.{decimals}f}",
                     f"[{bounds[0]:.{decimals}f}, {bounds[1]:.{decimals}f}]" if bounds else "–",
                     f"{np.std(x, ddof=1):.{decimals}f}" if len(x) > 1 else "–", len(x)])
    return markdown_table([setting, "mean %", "95 % interval", "std", "seeds"], rows)

def results_context(records: Sequence[Mapping], run: str) -> str:
    """What a results table shows, for its caption: ``run`` (which run, which profile), the
    dataset, seeds, encoders, epochs and the unit, read off the ``records`` themselves."""
    if not records:
        raise ValueError("results_context needs at least one record")
    seeds = sorted({int(r["seed"]) for r in records})
    rows: dict[tuple, set] = {}
    for r in records:
        rows.setdefault((r.get("method"), r.get("pretrain_modality"), r.get("finetune_modality")), set()).add(r["seed"])
    spread = spread_phrase([len(s) for s in rows.values()])
    sizes = "/".join(sorted({str(r["size"]) for r in records}))
    dataset = str(records[0]["dataset"])
    return (f"{run}: {DATASET_NAMES.get(dataset, dataset)} data, {n_seeds_text(len(seeds))} "
            f"({', '.join(map(str, seeds))}), {sizes} encoders, "
            f"{max(r['pretrain_epochs'] for r in records)} pre-training + "
            f"{max(r['finetune_epochs'] for r in records)} fine-tuning epochs. Test accuracy in % of "
            f"{records[0]['n_test']} test recordings, {spread}.")


def per_seed(records: Sequence[Mapping], key: str, *, metric: str = "accuracy",
             **where: Any) -> dict[Any, dict[int, float]]:
    """``{record[key]: {seed: 100 * metric}}`` of the records matching ``where`` (in %)."""
    out: dict[Any, dict[int, float]] = {}
    for r in records:
        if all(r.get(k) == v for k, v in where.items()):
            out.setdefault(r[key], {})[int(r["seed"])] = 100 * float(r[metric])
    return out


_TABLE_HEADING = re.compile(r"^## (Table \d+[^\n]*)\n\n((?:\|[^\n]*\n?)*)", re.MULTILINE)


def table_rows(text: str) -> dict[str, int]:
    """``{"Table 2: ...": data rows}`` of the tables of a ``results.md`` text (header and rule
    lines not counted)."""
    return {m.group(1): max(len(m.group(2).strip().splitlines()) - 2, 0)
            for m in _TABLE_HEADING.finditer(text)}


#: The titles of the tables of :func:`comparison_tables`, by table name (Table 2 with and without
#: the unimodal baselines, which the paper's Table 2 lists each with its own modality's head; Table 3).
#:
#: :meta hide-value:
COMPARISON_TITLES = {
    "table2": "Table 2 rows: multimodal pre-training with the multimodal head",
    "table2+unimodal": ("Table 2 rows: multimodal pre-training with the multimodal head, and the unimodal rows "
                        "(supervised, SimCLR) with their own modality's head"),
    "table3": "Table 3 rows: the same pre-trainings, IMU-only linear head",
    "table3+unimodal": ("Table 3 rows: the same pre-trainings, IMU-only linear head, and supervised IMU training "
                        "(end to end, no pre-training)"),
}


def comparison_tables(records: Sequence[Mapping], *, source: str = "synthetic", paper: str = "utd-mhad",
                      flagged: Mapping[str, Collection[tuple[str, str, str]]] | None = None, flag_note: str = "",
                      beside: Mapping[str, Sequence[Mapping]] | None = None) -> str:
    """``reproduce`` records as the rows of the paper's Tables 2 and 3 that they hold, beside the
    paper's accuracy on ``paper``, under ``## Table N: ...`` headings (for :func:`caption_tables`)
    and in narrow columns (:func:`mmhar_lite.results.comparison_markdown` with ``short``).
    ``beside``: more sources of records (``{column name: records}``), one column each after
    ``source``'s, "–" in their rows that they do not hold. ``flagged``: ``{column name: rows}``
    (rows as (method, pre-training modality, fine-tuning modality) triples) whose values are not
    results: their cells get a ``*``, and ``* flag_note`` follows each table that holds one, only
    those.

    Raises:
        ValueError: a row is flagged without a ``flag_note``.
    """
    from mmhar_lite import presets, results

    if any((flagged or {}).values()) and not flag_note:
        raise ValueError("comparison_tables: flagged rows need a flag_note saying what the * means")
    have = {results.table_row(r) for r in records}
    parts = []
    for table, rows in (("table2", presets.TABLE2_ROWS), ("table3", presets.TABLE3_ROWS)):
        shown = [row for row in rows if row in have]
        # rows that the title's first words do not cover are named: Table 2's unimodal heads, Table 3's supervised row
        unimodal = any(row[0] == "supervised" for row in shown) if table == "table3" else \
            any(row[2] != "multimodal" for row in shown)
        title = COMPARISON_TITLES[table + ("+unimodal" if unimodal else "")]
        if shown:
            table_md = results.comparison_markdown({source: records, **(beside or {})}, shown, paper=paper,
                                                   short=True, flagged=flagged)
            marked = any(row in rows for rows in (flagged or {}).values() for row in shown)
            note = f"\n\\* {flag_note}\n" if marked else ""
            parts.append(f"## {title}\n\n" + table_md + note)
    return "\n".join(parts)


def paper_gap_sentence(records: Sequence[Mapping], *, paper: str = "utd-mhad", points: float = 1.0,
                       named: bool = True) -> str:
    """How the mean accuracy of each Table 2-3 row of ``reproduce`` records compares with the
    accuracy published for it on ``paper``, as one markdown sentence: the rows within
    ``points`` of it (a count), then those above and below by more, each named with both
    numbers, e.g. ``"simclr (skel → skel) 90.70 against 95.50 (-4.80)"``. ``named=False``
    gives the counts only, for a summary that points back to the full sentence.

    Raises:
        ValueError: no row of ``records`` has a published number.
    """
    from mmhar_lite import presets, results

    groups: dict[str, list[str]] = {"above": [], "within": [], "below": []}
    for s in results.summarize(records):
        row = results.table_row(s)
        published = presets.PAPER_RESULTS.get(row, {}).get(paper, {}).get("accuracy")
        if published is None:
            continue
        ours, short = 100 * s["accuracy_mean"], results.SHORT_MODALITIES
        gap = ours - published
        side = "within" if abs(gap) <= points else "above" if gap > 0 else "below"
        groups[side].append(f"{row[0]} ({short[row[1]]} → {short[row[2]]}) {ours:.2f} against {published:.2f} "
                            f"({gap:+.2f})")
    n = sum(map(len, groups.values()))
    if not n:
        raise ValueError(f"no row of the records has a published accuracy on {paper}")
    parts = [f"{len(groups['within'])} of the {n} rows with a published number are within {points:g} "
             f"point{'s' if points != 1 else ''} of it"]
    parts += [f"{len(groups[side])} {'is' if len(groups[side]) == 1 else 'are'} {side} it by more"
              + (": " + "; ".join(groups[side]) if named else "") for side in ("above", "below") if groups[side]]
    return "; ".join(parts) + "."


def caption_tables(text: str, context: str) -> str:
    """A ``results.md`` text with each ``## Table N: ...`` heading made a caption: the first
    caption with ``context`` (data, run, seeds, units), the later ones pointing back to it (one
    context repeated word for word under every table reads as boilerplate)."""
    seen: list[str] = []

    def caption(m: re.Match) -> str:
        said = context if not seen else "Same run, units and columns as the table above."
        seen.append(m.group(1))
        return f"**{m.group(1)}.** {said}\n\n{m.group(2)}"

    return _TABLE_HEADING.sub(caption, text)
