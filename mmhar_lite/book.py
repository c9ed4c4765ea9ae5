"""Helpers shared by the book's notebooks (the site's Sphinx extension is :mod:`mmhar_lite.site`).

- :func:`resolve_profile` turns the papermill ``profile`` parameter (or the ``MMHAR_PROFILE``
  environment variable) into a :class:`Profile`, the table of run sizes used by every chapter.
- :func:`show` displays a plotly figure so that it survives the static book: myst-nb drops
  plotly's own JSON output, so the figure is emitted as ``text/html`` (a ``<div>`` plus the
  ``Plotly.newPlot`` call, no plotly.js and no CDN) next to the plotly JSON that JupyterLab renders.
- the sentence and statistics helpers (:func:`estimate`, :func:`paired`, :func:`margin_word`,
  :func:`chance_sentence`, ...) write the chapters' prose from the numbers a page computes, so
  that no figure in the text is typed.
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

if TYPE_CHECKING:  # imported lazily: plotly and Sphinx are only needed by the functions using them
    import plotly.graph_objects as go
    from sphinx.application import Sphinx

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
        beta_epochs: pre-training epochs of the models at each beta that chapters 4 and 5 draw
            (at least ``pretrain_epochs``; longer in the book, where 10 epochs on 2 trials per
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
    the ``text/html`` part, whose plotly.js the Sphinx extension below serves from the site.
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
    """``models.stage_shapes`` as a markdown table (stage, input, output shape, layer type): the
    input batch on the first row, the features on the last. Shapes are written ``4×6×50``,
    unpadded and before the long type names, so that a phone shows them beside the stage names
    instead of a fixed-width block cut at its edge."""
    def shape(s: Sequence[int]) -> str:
        return "×".join(map(str, s))

    body = [["input", "", shape(x_shape), ""]]
    body += [[f"`{name}`", shape(s_in), shape(s_out), kind] for name, kind, s_in, s_out in rows]
    body.append(["output (features)", "", shape(out_shape), ""])
    return markdown_table(["stage", "input", "output", "type"], body)


#: The rows of :func:`embedding_table`, each a (short name, key of ``metrics.EMBEDDING_KEYS``, k of
#: top-k) triple.
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
        by_model: column name -> record with the keys of ``metrics.EMBEDDING_KEYS`` (retrieval as
            fractions in [0, 1]), e.g. ``metrics.embedding_metrics(...)`` or a history record.
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


# --------------------------------------------------------------------------- sentences from numbers
#
# The chapters' prose is glued from these, so that it stays true whatever the numbers are: equal
# values (at the printed precision) are stated as ties, one or two seeds give no interval, and a
# run no better than guessing says so. Every value here is in % (accuracies) or points.

#: Fewest seeds behind a 95 % Student-t interval. From 2 seeds t = 12.7, so the half-width is
#: 12.7 / sqrt(2), about 9 times the sample std (6.35 times the two seeds' difference): two seeds
#: 2 points apart already give ± 12.7 points, wider than the differences the book compares, so
#: the text shows the points instead. A sweep's ``results.md``
#: (:mod:`mmhar_lite.experiments`) follows the same rule, read from here.
MIN_SEEDS_FOR_CI = 3

_NUMBER_WORDS = {1: "one", 2: "two"}


def percent_spread(mean: float, spread: float, n: int, *, without: str = "") -> str:
    """A mean and its spread (both fractions) in %, ``"98.91 ± 0.36"``, the spread only from
    :data:`MIN_SEEDS_FOR_CI` values on; from fewer, the mean followed by ``without``."""
    return f"{100 * mean:.2f} ± {100 * spread:.2f}" if n >= MIN_SEEDS_FOR_CI else f"{100 * mean:.2f}{without}"


def spread_phrase(seed_counts: Sequence[int], spread: str = "sample std") -> str:
    """What a table's values are, given the seed count of each of its rows: ``"one seed, so no
    spread"``, ``"mean ± sample std over the 3 seeds"``, or, where rows differ or have fewer
    than :data:`MIN_SEEDS_FOR_CI` seeds, which rows carry a spread (as :func:`percent_spread`
    prints them)."""
    if not seed_counts:
        raise ValueError("spread_phrase needs the seed count of at least one row")
    low, high = min(seed_counts), max(seed_counts)
    if high == 1:
        return "one seed, so no spread"
    if low == high and low >= MIN_SEEDS_FOR_CI:
        return f"mean ± {spread} over the {low} seeds"
    return (f"mean over each row's seeds (n); ± {spread} only where a row has {MIN_SEEDS_FOR_CI} or more "
            f"(here {low} to {high} per row)" if low != high else
            f"mean over the {low} seeds, no spread below {MIN_SEEDS_FOR_CI}")


def n_seeds_text(n: int) -> str:
    """``"one seed"``, ``"two seeds"``, ``"3 seeds"``."""
    return f"{_NUMBER_WORDS.get(n, n)} seed{'s' if n != 1 else ''}"


def join_names(names: Sequence[str]) -> str:
    """``"a"``, ``"a and b"``, ``"a, b and c"``."""
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def distinct_decimals(values: Sequence[float], decimals: int = 3, most: int = 6) -> int:
    """The fewest decimals, from ``decimals`` up to ``most``, at which values that differ at ``most``
    decimals are printed differently (values equal at ``most`` decimals may print alike)."""
    def distinct(d: int) -> int:
        return len({f"{v:.{d}f}" for v in values})

    return next((d for d in range(decimals, most) if distinct(d) == distinct(most)), most)


def distinct_values(values: Sequence[float], names: Sequence[str], decimals: int = 3, most: int = 6) -> str:
    """``values`` with their ``names`` as one phrase, with enough decimals to tell apart those that
    differ (:func:`distinct_decimals`): ``"-0.0221 (CMC) and -0.0218 (CMC-HNL)"``, or, where all
    are equal at ``most`` decimals, ``"-0.022 in both runs (CMC and CMC-HNL, equal to 6
    decimals)"``."""
    if len({f"{v:.{most}f}" for v in values}) == 1:
        runs = "both runs" if len(values) == 2 else f"all {len(values)} runs"
        return f"{values[0]:.{decimals}f} in {runs} ({join_names(names)}, equal to {most} decimals)"
    d = distinct_decimals(values, decimals, most)
    return join_names([f"{v:.{d}f} ({name})" for v, name in zip(values, names)])


def estimate(values: Sequence[float], *, decimals: int = 2, spread: str = "ci") -> str:
    """Per-seed values (in %) as one phrase: the mean, and its spread only where seeds give one.

    From :data:`MIN_SEEDS_FOR_CI` seeds on: ``"98.91 ± 0.89 % (mean ± 95 % interval, 3 seeds)"``
    (an interval reaching past 0 or 100 % as its clipped bounds,
    ``"98.60 % (mean, 95 % interval [95.95, 100.00] % clipped to [0, 100] %, 3 seeds)"``)
    (``spread="ci"``) or ``"98.91 ± 0.36 % (mean ± std, 3 seeds)"`` (``spread="std"``); from two
    seeds the two points; from one ``"98.91 % (one seed, no interval)"``.
    """
    from mmhar_lite.experiments import mean_ci

    if spread not in ("ci", "std"):
        raise ValueError(f"spread must be 'ci' or 'std', got {spread!r}")
    x = [float(v) for v in values]
    if not x:
        raise ValueError("estimate needs at least one value")
    mean, std, half = mean_ci(x)
    if len(x) == 1:
        return f"{mean:.{decimals}f} % (one seed, no interval)"
    if len(x) < MIN_SEEDS_FOR_CI:
        points = join_names([f"{v:.{decimals}f}" for v in x])
        return f"{mean:.{decimals}f} % (mean of {n_seeds_text(len(x))}, {points} %: no interval)"
    low, high = ci_bounds(x)
    if spread == "ci" and (low != mean - half or high != mean + half):
        # an accuracy lies in [0, 100] %, so a t-interval reaching past either end is printed by its clipped bounds
        return (f"{mean:.{decimals}f} % (mean, 95 % interval [{low:.{decimals}f}, "
                f"{high:.{decimals}f}] % clipped to [0, 100] %, {n_seeds_text(len(x))})")
    width, name = (half, "95 % interval") if spread == "ci" else (std, "std")
    return f"{mean:.{decimals}f} ± {width:.{decimals}f} % (mean ± {name}, {n_seeds_text(len(x))})"


def ci_bounds(values: Sequence[float]) -> tuple[float, float] | None:
    """The 95 % Student-t interval of the mean of per-seed values (in %), clipped to [0, 100] %
    (an accuracy lies there); ``None`` below :data:`MIN_SEEDS_FOR_CI` seeds."""
    from mmhar_lite.experiments import mean_ci

    if len(values) < MIN_SEEDS_FOR_CI:
        return None
    mean, _, half = mean_ci([float(v) for v in values])
    return max(mean - half, 0.0), min(mean + half, 100.0)


def sweep_table(values: Mapping[str, Mapping[Any, float]], *, setting: str = "setting", decimals: int = 2) -> str:
    """A sweep (``{setting: {seed: accuracy in %}}``) as a :func:`markdown_table`: per setting the
    mean, the clipped 95 % interval (:func:`ci_bounds`; "–" below :data:`MIN_SEEDS_FOR_CI` seeds),
    the standard deviation over seeds (points; "–" from one seed) and the number of seeds; short
    headers, so that it fits a phone."""
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


def pair_confusions(cm: Any, class_names: Sequence[str], pairs: Sequence[tuple[str, str]]) -> list[int]:
    """Errors between the two classes of each pair, both directions (``cm[a, b] + cm[b, a]``) of a
    ``(K, K)`` confusion matrix (rows: true class, columns: predicted), one count per pair.

    Raises:
        ValueError: ``cm`` is not ``(K, K)`` for the ``K`` names, or a pair names an unknown class.
    """
    import numpy as np

    m = np.asarray(cm)
    if m.shape != (len(class_names), len(class_names)):
        raise ValueError(f"cm: expected shape ({len(class_names)}, {len(class_names)}) for the class names, got {m.shape}")
    index = {name: k for k, name in enumerate(class_names)}
    unknown = [n for pair in pairs for n in pair if n not in index]
    if unknown:
        raise ValueError(f"pairs: unknown class names {unknown}")
    return [int(m[index[a], index[b]] + m[index[b], index[a]]) for a, b in pairs]


@dataclass(frozen=True)
class Paired:
    """Per-seed differences ``a - b`` (points) of two configurations run with the same seeds.

    Attributes:
        diffs: one difference per shared seed, in seed order.
        mean: their mean.
        half: the 95 % Student-t half-width of the mean, ``None`` below :data:`MIN_SEEDS_FOR_CI`
            seeds.
    """

    diffs: tuple[float, ...]
    mean: float
    half: float | None

    @property
    def significant(self) -> bool | None:
        """Whether the 95 % interval excludes 0, or ``None`` when too few seeds give no interval."""
        return None if self.half is None else not (self.mean - self.half <= 0.0 <= self.mean + self.half)

    def text(self, decimals: int = 2) -> str:
        """``"+0.50 points, 95 % interval [-0.30, +1.30] over 3 paired seeds, which contains 0:
        no significant difference"``; with fewer seeds the points and "no interval"."""
        head = f"{self.mean:+.{decimals}f} points"
        n = len(self.diffs)
        if n == 1:
            return f"{head} (one seed, no interval)"
        if self.half is None:
            points = join_names([f"{d:+.{decimals}f}" for d in self.diffs])
            return f"{head} (mean of {n_seeds_text(n)}, {points}: no interval)"
        low, high = self.mean - self.half, self.mean + self.half
        verdict = ("excludes 0: a significant difference" if self.significant
                   else "contains 0: no significant difference")
        return (f"{head}, 95 % interval [{low:+.{decimals}f}, {high:+.{decimals}f}] over "
                f"{n} paired seeds, which {verdict}")


def paired(a: Mapping[Any, float], b: Mapping[Any, float]) -> Paired:
    """:class:`Paired` differences ``a[seed] - b[seed]`` of two ``{seed: value}`` mappings.

    Raises:
        ValueError: the two do not have the same seeds (a difference needs both runs of a seed).
    """
    from mmhar_lite.experiments import mean_ci

    if set(a) != set(b) or not a:
        raise ValueError(f"paired: both sides need the same seeds, got {sorted(a)} and {sorted(b)}")
    seeds = sorted(a)
    diffs = tuple(float(a[s]) - float(b[s]) for s in seeds)
    mean, _, half = mean_ci(diffs)
    return Paired(diffs, mean, half if len(diffs) >= MIN_SEEDS_FOR_CI else None)


def tie_groups(means: Mapping[str, float], decimals: int = 2) -> list[list[str]]:
    """Names grouped by their value at the printed precision, highest first (ties in given order)."""
    groups: dict[float, list[str]] = {}
    for name, value in means.items():
        groups.setdefault(round(float(value), decimals), []).append(name)
    return [groups[v] for v in sorted(groups, reverse=True)]


def ranking(means: Mapping[str, float], decimals: int = 2) -> str:
    """An ordering that states ties as ties: ``"cmc (99.46 %) > cmc-hnl = cmc-cmkm (98.91 %)"``."""
    if not means:
        raise ValueError("ranking needs at least one value")
    return " > ".join(f"{' = '.join(group)} ({float(means[group[0]]):.{decimals}f} %)"
                      for group in tie_groups(means, decimals))


def tie_note(*means: Mapping[str, float], decimals: int = 2) -> str:
    """The legend of :func:`ranking`'s ``=``, only where one of the orderings shows a tie:
    ``' ("=" marks a tie at the printed precision)'`` or ``""``."""
    tied = any(len(group) > 1 for m in means for group in tie_groups(m, decimals))
    return ' ("=" marks a tie at the printed precision)' if tied else ""


def relation(a: float, b: float, decimals: int = 2) -> str:
    """``"above"``, ``"below"`` or ``"level with"`` (equal at the printed precision)."""
    a, b = round(float(a), decimals), round(float(b), decimals)
    return "above" if a > b else "below" if a < b else "level with"


#: A gap between two accuracies is "far" from this many points on ...
FAR_POINTS = 10.0
#: ... or when the lower accuracy makes at least this many times the test errors of the higher
#: one (near 100 % a gap of a few points is most of the remaining errors).
FAR_ERROR_RATIO = 2.0


def margin_word(a: float, b: float, decimals: int = 1) -> str:
    """How accuracy ``a`` (%) stands to ``b`` (%), one rule for every chapter: ``"far above"``,
    ``"above"``, ``"level with"`` (equal at the printed precision), ``"below"`` or ``"far below"``
    (a gap of :data:`FAR_POINTS` points or more, or :data:`FAR_ERROR_RATIO` times the errors)."""
    side = relation(a, b, decimals)
    if side == "level with":
        return side
    high, low = max(float(a), float(b)), min(float(a), float(b))
    ratio = (100.0 - low) / max(100.0 - high, 1e-9)
    return ("far " if high - low >= FAR_POINTS or ratio >= FAR_ERROR_RATIO else "") + side


def margin_text(a: float, b: float, what: str, decimals: int = 1) -> str:
    """:func:`margin_word` with its numbers, ``a`` and ``b`` accuracies in %: ``"far below <what>
    (5.1 points, 6.0 times as many test errors)"``, ``"above <what> (0.5 points, 1.5 times fewer test
    errors)"``, ``"level with <what>"`` (the error ratio left out where the better one makes none)."""
    word = margin_word(a, b, decimals)
    if word == "level with":
        return f"level with {what}"
    err_a, err_b = 100.0 - float(a), 100.0 - float(b)
    points = f"{abs(float(a) - float(b)):.{decimals}f} points"
    better = err_a if a > b else err_b
    if better <= 0:
        return f"{word} {what} ({points})"
    times = err_b / err_a if a > b else err_a / err_b
    times_text = f"{times:.{1 if times >= 2 else 2}f} times"  # 1.02, not a misleading 1.0
    ratio = f"{times_text} fewer test errors" if a > b else f"{times_text} as many test errors"
    return f"{word} {what} ({points}, {ratio})"


def versus_spread(value: float, samples: Sequence[float]) -> str | None:
    """Where ``value`` lies against the mean of ``samples`` (e.g. per-batch measures): ``"above"``
    or ``"below"`` the 95 % Student-t interval of their mean, ``"within"`` it, or ``None`` when
    fewer than :data:`MIN_SEEDS_FOR_CI` samples give no interval."""
    from mmhar_lite.experiments import mean_ci

    if len(samples) < MIN_SEEDS_FOR_CI:
        return None
    mean, _, half = mean_ci([float(s) for s in samples])
    return "above" if value > mean + half else "below" if value < mean - half else "within"


def course(values: Sequence[float], decimals: int = 2) -> str:
    """How a sequence moves from first to last, compared at the printed precision, each change of
    direction stated: ``"falls"``, ``"rises, then falls"``, ``"falls, then stays level"``, or
    ``"does not change"`` (equal printed values are level, not a trend)."""
    v = [round(float(x), decimals) for x in values]
    if len(v) < 2:
        raise ValueError(f"course needs at least two values, got {list(values)}")
    steps = ["rises" if b > a else "falls" if b < a else "stays level" for a, b in zip(v, v[1:])]
    runs = [s for k, s in enumerate(steps) if k == 0 or s != steps[k - 1]]
    return "does not change" if runs == ["stays level"] else ", then ".join(runs)


def most_confused_pairs(cm: Any) -> tuple[int, list[tuple[int, int]]]:
    """The class pairs that a ``(K, K)`` confusion matrix (rows true, columns predicted) swaps
    most, both directions counted: ``(count, [(i, j), ...])`` with ``i < j`` in row order.

    Every pair sharing the largest ``cm[i, j] + cm[j, i]`` is listed, so that a tie is stated
    rather than settled by index order (as an argmax, ``training.most_confused``, does).

    Raises:
        ValueError: ``cm`` is not square with K > 1.
    """
    import numpy as np

    counts = np.asarray(cm)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1] or counts.shape[0] < 2:
        raise ValueError(f"cm: expected a (K, K) confusion matrix with K > 1, got shape {counts.shape}")
    both = np.triu(counts + counts.T, k=1)
    top = int(both.max())
    return top, [(int(i), int(j)) for i, j in zip(*np.nonzero(both == top)) if i < j]


def confused_with(cm: Any, i: int) -> list[tuple[int, int]]:
    """Where the test samples of class ``i`` went, other than to ``i``: ``(predicted class,
    count)`` for every class that received at least one, most first (ties in class order).

    Raises:
        ValueError: ``cm`` is not square or ``i`` is not one of its classes.
    """
    import numpy as np

    counts = np.asarray(cm)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1]:
        raise ValueError(f"cm: expected a (K, K) confusion matrix, got shape {counts.shape}")
    if not 0 <= i < counts.shape[0]:
        raise ValueError(f"i: expected a class in [0, {counts.shape[0]}), got {i}")
    row = [(int(j), int(counts[i, j])) for j in range(counts.shape[0]) if j != i and counts[i, j] > 0]
    return sorted(row, key=lambda jc: -jc[1])


def pairs_text(pairs: Sequence[tuple[str, str]], count: int, *, max_named: int = 6) -> str:
    """The most swapped pair(s) of :func:`most_confused_pairs`, by name, as a phrase:
    ``"`a` / `b` (8 samples)"``, ``"3 pairs tied at 8 samples each, `a` / `b`, `c` / `d` and ..."``,
    beyond ``max_named`` pairs only how many tie, and ``"none (no sample taken for another class)"``
    when ``count`` is 0."""
    if not pairs:
        raise ValueError("pairs: expected at least one pair")
    if count == 0:
        return "none (no sample taken for another class)"
    samples = f"{count} sample{'s' if count != 1 else ''}"
    named = [f"`{a}` / `{b}`" for a, b in pairs]  # two code spans: a line may break at the slash
    if len(pairs) == 1:
        return f"{named[0]} ({samples})"
    head = f"{len(pairs)} pairs tied at {samples} each"
    return f"{head}, {join_names(named)}" if len(pairs) <= max_named else head


def chance_pvalue(values: Sequence[float], n_classes: int, n_test: int) -> float:
    """One-sided binomial test p-value that per-seed accuracies (in %) on the same ``n_test``
    test recordings are above guessing, ``100 / n_classes`` %: the seeds' mean correct count
    (rounded) against Binomial(``n_test``, 1 / ``n_classes``).

    The seeds are scored on one shared test set, so they are not independent trials of it:
    pooling their counts over ``n_test * seeds`` trials would call a model that is right on the
    same few recordings every seed significant. Averaging keeps one test set's worth of evidence.
    """
    from scipy import stats

    if n_classes < 2 or n_test < 1 or not values:
        raise ValueError(f"chance test needs n_classes >= 2, n_test >= 1 and values, "
                         f"got {n_classes}, {n_test}, {list(values)}")
    correct = round(sum(float(v) / 100 * n_test for v in values) / len(values))
    return float(stats.binomtest(correct, n_test, 1 / n_classes, alternative="greater").pvalue)


def above_chance(values: Sequence[float], n_classes: int, n_test: int, *, level: float = 0.05) -> bool:
    """Whether per-seed accuracies (in %) on ``n_test`` test recordings each are significantly
    above guessing, ``100 / n_classes`` %: :func:`chance_pvalue` below ``level``."""
    return chance_pvalue(values, n_classes, n_test) < level


def p_text(p: float) -> str:
    """A p-value as printed: ``"p = 0.012"``, ``"p = 3.1e-08"``, ``"p < 1e-300"`` (below what a
    float holds)."""
    if p < 1e-300:
        return "p < 1e-300"
    return f"p = {p:.3f}" if p >= 0.001 else f"p = {p:.1e}"


def chance_sentence(values: Mapping[str, Sequence[float]], n_classes: int, n_test: int, *,
                    noun: str = "row") -> str:
    """Which rows (``{name: per-seed accuracies in %}``) are at chance level, as one sentence
    naming the test (``noun``: what one entry is called, "row", "point")."""
    chance = f"{100 / n_classes:.2f} % (1 in {n_classes} classes)"
    test = (f"one-sided binomial test of the mean correct count over the {n_test} test "
            "recordings the seeds share")
    pvalues = {name: chance_pvalue(v, n_classes, n_test) for name, v in values.items()}
    low = [name for name, p in pvalues.items() if not p < 0.05]
    if not low:
        return (f"Every {noun} is significantly above chance level, {chance}: {test}, "
                f"largest {p_text(max(pvalues.values()))}.")
    if len(low) == len(values):
        return (f"Every {noun} is at chance level: none is significantly above {chance}, {test}; "
                "these numbers say nothing about the methods.")
    verb = "is" if len(low) == 1 else "are"
    return f"{join_names(low)} {verb} at chance level (not significantly above {chance}, {test})."


def versus_chance(percent: float, n_items: int, decimals: int = 1) -> str:
    """Where a top-1 share (in %) over ``n_items`` candidates lies against chance, ``100 / n_items``
    %, compared at the printed precision: ``"at chance"``, ``"below chance"``, ``"above chance but
    below twice chance"`` or ``"at least twice chance"``."""
    if n_items < 2:
        raise ValueError(f"versus_chance needs n_items >= 2, got {n_items}")
    value, chance = round(float(percent), decimals), round(100 / n_items, decimals)
    if value == chance:
        return "at chance"
    if value < chance:
        return "below chance"
    return "above chance but below twice chance" if value < round(200 / n_items, decimals) else "at least twice chance"


def _speed(seconds: float, reference: float, reference_name: str, decimals: int = 2) -> str:
    """``seconds`` against ``reference`` (both per epoch) in words; a factor that prints as 1.0 is
    "about as fast"."""
    a, b = round(float(seconds), decimals), round(float(reference), decimals)
    times = f"{reference_name} ({b:.{decimals}f} s)"
    factor = max(a, b) / min(a, b)
    if round(factor, 1) == 1.0:
        return f"about as fast as {times}"
    return f"{'faster' if a < b else 'slower'} than {times} by a factor of {factor:.1f}"


def scaling_sentence(rows: Sequence[Mapping]) -> str:
    """What two processes measured against one, per encoder size, as sentences built from
    ``benchmarks/results/distributed.json`` rows (``size``, ``processes``, ``threads``,
    ``epoch_best_s``): the 2 x 1 epoch against the 1 x 1 and the 1 x 2 epochs of the same size.

    Raises:
        ValueError: a size lacks one of the three configurations.
    """
    best = {(r["size"], int(r["processes"]), int(r["threads"])): float(r["epoch_best_s"]) for r in rows}
    sentences = []
    for size in dict.fromkeys(r["size"] for r in rows):
        wanted = [(size, 2, 1), (size, 1, 1), (size, 1, 2)]
        lacking = [f"{p} x {t}" for _, p, t in wanted if (size, p, t) not in best]
        if lacking:
            raise ValueError(f"rows: {size} encoders lack the {', '.join(lacking)} configuration(s)")
        two, one, threads = (best[key] for key in wanted)
        sentences.append(f"With the {size} encoders two processes took {two:.2f} s per epoch at best, "
                         f"{_speed(two, one, 'one process of one thread')} and "
                         f"{_speed(two, threads, 'one process of two threads')}.")
    return " ".join(sentences)


def benchmark_caveats(result: Mapping) -> str:
    """How far ``benchmarks/results/distributed.json`` (``result``: its ``machine``, ``load``,
    ``busy_machine``, ``gpu`` and ``rows``) can be read as scaling, in sentences: the recorded load
    against the cores, a several-process epoch faster than its communication share allows with
    perfect scaling (the one-process reference was slowed), two threads slower than one (no free core for the second), and that
    a GPU or several machines were not measured where none was.
    """
    cores = re.search(r"(\d+) logical cores", str(result.get("machine", "")))
    load = [float(v) for v in result.get("load", [])]
    sentences = []
    if load:
        on = f" on {cores.group(1)} cores" if cores else ""
        sentences.append(f"The machine's load average was {load[0]:.1f} when the benchmark started"
                         + (f" and {load[-1]:.1f} when it ended" if len(load) > 1 else "") + f"{on}"
                         + (": other jobs shared the cores, so the times measure that contention as much as "
                            "the code." if result.get("busy_machine") else "."))
    best = {(r["size"], int(r["processes"]), int(r["threads"])): r for r in result["rows"]}
    for (size, p, t), row in best.items():
        one = best.get((size, 1, 1))
        if one is None or (p, t) == (1, 1):
            continue
        speedup = float(one["epoch_best_s"]) / float(row["epoch_best_s"])
        share = float(row.get("communication_share", 0.0))
        # rank 0 computes for (1 - share) of its epoch, at best 1/p of the one-process work
        bound = p * (1 - share)
        if p > 1 and t == 1 and round(speedup, 1) > round(bound, 1):
            sentences.append(
                f"With the {size} encoders {p} processes were {speedup:.1f} times as fast as one although "
                f"{100 * share:.1f} % of rank 0's time went to communication: more than the {bound:.1f} times "
                f"that {p} processes spending that share communicating can give even if the computation splits "
                "perfectly, so the one-process epoch was slowed by something other than the code.")
        if p == 1 and t > 1 and round(1 / speedup, 1) > 1:
            sentences.append(f"With the {size} encoders one process of {t} threads took {1 / speedup:.1f} times as "
                             "long as with one thread: its extra threads found no free core.")
    gpu = str(result.get("gpu", ""))
    if not gpu or gpu.startswith("not measured"):
        sentences.append("No GPU and no second machine were measured: that scale-out pays where each rank has "
                         "its own device is the expectation, untested here.")
    return " ".join(sentences)


def sweep_sentence(values: Mapping[str, Mapping[Any, float]], *, decimals: int = 2,
                   rerun: tuple[str, str, Mapping[Any, float]] | None = None) -> str:
    """Best and worst setting of a sweep (``{setting: {seed: accuracy in %}}``), ties stated as
    ties, and whether they differ, judged on their paired (same-seed) difference.

    ``rerun``: ``(what, setting, {seed: accuracy})``, a second run of one ``setting`` (same
    configuration and seeds, e.g. made with another code version). Where that setting is the best
    or the worst, the paired test is repeated with the second run in its place; a verdict that
    changes with the run chosen is not read as the setting mattering.
    """
    from mmhar_lite.experiments import mean_ci

    if not values:
        raise ValueError("sweep_sentence needs at least one setting")
    means = {name: mean_ci(list(v.values()))[0] for name, v in values.items()}
    groups = tie_groups(means, decimals)
    n = min(len(v) for v in values.values())
    if len(values) == 1:
        return f"Only {next(iter(values))} was run: there is nothing to compare."
    if len(groups) == 1:
        return (f"Every setting gives the same mean, {means[groups[0][0]]:.{decimals}f} % "
                f"({n_seeds_text(n)}): this sweep cannot tell them apart.")
    best, worst = groups[0], groups[-1]

    def side(group: list[str]) -> str:
        tied = " each" if len(group) > 1 else ""
        return f"{join_names(group)} ({means[group[0]]:.{decimals}f} %{tied})"

    top = max(best, key=means.get)
    bottom = min(worst, key=means.get)
    diff = paired(values[top], values[bottom])
    verdict = {True: (f"so the choice matters here (though best and worst were picked after the fact "
                      f"among {len(values)} settings, which makes a significant gap likelier by chance)"),
               False: "so this sweep cannot tell them apart",
               None: "so this sweep cannot tell them apart"}[diff.significant]
    if rerun is not None and rerun[1] in (top, bottom):
        what, setting, other = rerun
        swapped = {**values, setting: other}
        again = paired(swapped[top], swapped[bottom])
        redo = f"with {what} in place of this {setting}, {top} minus {bottom} is {again.text(decimals)}"
        if again.significant == diff.significant and (not diff.significant or (again.mean > 0) == (diff.mean > 0)):
            verdict += f"; {redo}, the same verdict"
        else:
            verdict = (f"but {redo}: the verdict depends on which of two runs of one configuration is used, so the "
                       "sweep does not show that the choice matters")
    return (f"The best mean is at {side(best)}, the worst at {side(worst)}; paired by seed, "
            f"{top} minus {bottom} is {diff.text(decimals)}, {verdict}.")


def pairing_sentence(halves: Sequence[tuple[float, float, float]], *, noun: str = "comparisons") -> str:
    """How often pairing by seed narrowed an interval, one rule for every chapter.

    Args:
        halves: per comparison, ``(paired half-width, half-width of a, half-width of b)`` (same
            unit); comparisons without intervals (fewer than three seeds) are left out by the caller.
        noun: what the comparisons are called in the sentence (plural).
    """
    if not halves:
        return f"With fewer than {MIN_SEEDS_FOR_CI} seeds there are no intervals to compare."
    narrower = sum(p < min(a, b) for p, a, b in halves)
    wider = sum(p >= max(a, b) for p, a, b in halves)
    n = len(halves)
    rule = ("pairing narrows the interval only where the two runs of one seed move together (it removes what "
            "they share)")
    found = ("as they do in every one here" if narrower == n else "as they mostly do here" if narrower > n / 2 else "which they rarely do here" if narrower < n / 2
             else "as they do in half of these")
    return (f"The paired interval is narrower than both separate intervals in {narrower} of the {n} {noun} "
            f"and at least as wide as both in {wider}: {rule}, {found}.")


def paired_summary(pairs: Mapping[str, Paired], decimals: int = 2, *,
                   names: tuple[str, str] | None = None) -> str:
    """Per setting (``{"2 %": paired(a, b), ...}``) the paired difference, then at how many
    settings its interval excludes 0, as one sentence; with ``names`` (of ``a`` and ``b``) also
    in which direction each such difference goes ("a is below b at 2 %")."""
    if not pairs:
        raise ValueError("paired_summary needs at least one setting")
    each = "; ".join(f"{name}: {p.text(decimals)}" for name, p in pairs.items())
    if any(p.significant is None for p in pairs.values()):
        return (f"{each}. With fewer than {MIN_SEEDS_FOR_CI} seeds there is no interval, so this run "
                "cannot say whether the two differ")
    apart = [name for name, p in pairs.items() if p.significant]
    if not apart:
        at = {1: "at the one setting", 2: "at both"}.get(len(pairs), f"at all {len(pairs)}")
        return f"{each}. The interval contains 0 {at}: no significant difference anywhere"
    direction = ""
    if names is not None:
        sides = {side: [n for n in apart if (pairs[n].mean > 0) == (side == "above")] for side in ("above", "below")}
        direction = ", where " + " and ".join(f"{names[0]} is {side} {names[1]} at {join_names(at)}"
                                             for side, at in sides.items() if at)
    rest = "and contains it elsewhere" if len(apart) < len(pairs) else "that is, everywhere"
    return (f"{each}. The interval excludes 0 at {join_names(apart)} ({len(apart)} of {len(pairs)})"
            f"{direction + ',' if direction else ''} {rest}")


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
    return (f"{run}: {records[0]['dataset']} data, {n_seeds_text(len(seeds))} "
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
    and in narrow columns (:func:`mmhar_lite.experiments.comparison_markdown` with ``short``).
    ``beside``: more sources of records (``{column name: records}``), one column each after
    ``source``'s, "–" in their rows that they do not hold. ``flagged``: ``{column name: rows}``
    (rows as ``(method, pretrain_modality, finetune_modality)``) whose values are not results:
    their cells get a ``*``, and ``* flag_note`` follows each table that holds one, only those.

    Raises:
        ValueError: a row is flagged without a ``flag_note``.
    """
    from mmhar_lite import experiments

    if any((flagged or {}).values()) and not flag_note:
        raise ValueError("comparison_tables: flagged rows need a flag_note saying what the * means")
    have = {experiments.table_row(r) for r in records}
    parts = []
    for table, rows in (("table2", experiments.TABLE2_ROWS), ("table3", experiments.TABLE3_ROWS)):
        shown = [row for row in rows if row in have]
        # rows that the title's first words do not cover are named: Table 2's unimodal heads, Table 3's supervised row
        unimodal = any(row[0] == "supervised" for row in shown) if table == "table3" else \
            any(row[2] != "multimodal" for row in shown)
        title = COMPARISON_TITLES[table + ("+unimodal" if unimodal else "")]
        if shown:
            table_md = experiments.comparison_markdown({source: records, **(beside or {})}, shown, paper=paper,
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
    from mmhar_lite import experiments

    groups: dict[str, list[str]] = {"above": [], "within": [], "below": []}
    for s in experiments.summarize(records):
        row = experiments.table_row(s)
        published = experiments.PAPER_RESULTS.get(row, {}).get(paper, {}).get("accuracy")
        if published is None:
            continue
        ours, short = 100 * s["accuracy_mean"], experiments.SHORT_MODALITIES
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
    """A ``results.md`` text with each ``## Table N: ...`` heading made a caption: the heading,
    ``context`` (data, run, seeds, units) and the table's own row count."""
    counts = table_rows(text)

    def caption(m: re.Match) -> str:
        n = counts[m.group(1)]
        return f"**{m.group(1)}.** {context} {n} row{'s' if n != 1 else ''}.\n\n{m.group(2)}"

    return _TABLE_HEADING.sub(caption, text)


#: The encoder pair of the training benchmark (``benchmarks/results/training.json``, its
#: ``pretraining`` rows) that times a pre-training of each modality.
BENCH_PAIRS = MappingProxyType({
    "multimodal": "skeleton + IMU (cmc-hnl)",
    "imu": "IMU (simclr-hnl)",
    "skeleton": "skeleton (simclr-hnl)",
})


def size_factors(bench: Mapping) -> dict[str, float]:
    """``{pre-training modality: paper-size epoch time / lite epoch time}``, from the median epoch
    times of the training benchmark's ``pretraining`` rows (same pair, same batch, same machine)."""
    epoch = {(r["pair"], r["size"]): float(r["epoch_s"]) for r in bench["pretraining"]}
    return {modality: epoch[(pair, "paper")] / epoch[(pair, "lite")] for modality, pair in BENCH_PAIRS.items()}


@dataclass(frozen=True)
class RunTime:
    """The recorded and the estimated time of one experiment command (seconds)."""

    pretrainings: int  # distinct pre-trainings (a random-init "pre-training" trains nothing)
    lite_s: float  # recorded: every pre-training and fine-tuning, lite encoders
    paper_s: float  # estimated: each of them times the paper/lite factor of its encoders


def paper_size_run_time(records: Sequence[Mapping], factors: Mapping[str, float]) -> RunTime:
    """How long the experiment of ``records`` (lite-encoder records of ``reproduce``,
    ``sweep_beta`` or ``limited_labels``, with their ``pretrain_seconds`` and ``finetune_seconds``)
    would take with paper-size encoders: each pre-training counted once (its seconds are repeated
    on every evaluation of it; a supervised run is one per label fraction), each fine-tuning as
    recorded, scaled by the factor (:func:`size_factors`) of the encoders each one runs: the
    pre-training's modality, the fine-tuning's modality (a random-init row trains nothing before).

    Raises:
        ValueError: a record of encoders other than lite, or of a modality without a factor.
    """
    pretrain: dict[tuple, tuple[str, float]] = {}
    lite = paper = 0.0
    for r in records:
        if r["size"] != "lite":
            raise ValueError(f"paper_size_run_time scales lite runs; a record has size {r['size']!r}")
        trained = r["pretrain_epochs"] > 0
        modality, tuned = r["pretrain_modality"], r["finetune_modality"]
        for m in (modality, tuned) if trained else (tuned,):
            if m not in factors:
                raise ValueError(f"no size factor for modality {m!r}; have {', '.join(factors)}")
        lite += float(r["finetune_seconds"])
        paper += float(r["finetune_seconds"]) * factors[tuned]
        if trained:
            fraction = r.get("label_fraction") if r["method"] == "supervised" else None
            key = (r["method"], modality, r["seed"], r.get("beta"), fraction)
            pretrain[key] = (modality, float(r["pretrain_seconds"]))
    lite += sum(s for _, s in pretrain.values())
    paper += sum(s * factors[m] for m, s in pretrain.values())
    return RunTime(len(pretrain), lite, paper)
