"""Figures of results: accuracies per method beside the paper's (Tables 2-3), against beta
(Figure 3) and the label fraction (Figure 4), across difficulty regimes, and confusion matrices.

They take the summary rows of :func:`~mmhar_lite.results.summarize` (this module sits below experiments and
does not import it). Shape letters: K classes.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from mmhar_lite._viz_common import DASHES, PALETTE, SYMBOLS, _array
from mmhar_lite.viz_latent import legend_name
from mmhar_lite.book import MIN_SEEDS_FOR_CI  # one rule for the prose and the figures: no interval below it

__all__ = [
    "results_bar",
    "beta_sweep_figure",
    "limited_labels_figure",
    "confusion_matrix_figure",
    "regimes_figure",
]


def _summary_rows(rows: Sequence[Mapping], metric: str, spread: str, extra: Sequence[str] = ()) -> None:
    """Check summary rows carry ``method``, the metric's mean and spread, ``n`` and ``extra``."""
    if not rows:
        raise ValueError("summary: expected at least one row (from experiments.summarize)")
    needed = ("method", f"{metric}_mean", f"{metric}_{spread}", "n", *extra)
    for i, row in enumerate(rows):
        missing = [key for key in needed if key not in row]
        if missing:
            raise ValueError(f"summary[{i}]: missing keys {missing} (has {sorted(row)}); "
                             "pass experiments.summarize(records, keys) with these keys")
        for key in needed[1:3]:
            if not np.isfinite(float(row[key])):
                raise ValueError(f"summary[{i}]: {key} is not finite ({row[key]!r})")


def _row_label(row: Mapping) -> str:
    """Row name: method, plus its modalities (pre-training → fine-tuning) when present."""
    pre, fine = row.get("pretrain_modality"), row.get("finetune_modality")
    if pre is None and fine is None:
        return str(row["method"])
    if pre is None or fine is None or pre == fine:
        return f"{row['method']} ({pre or fine})"
    return f"{row['method']} ({pre} → {fine})"


_METRIC_TITLES = {"accuracy": "accuracy (%)", "macro_f1": "macro-F1 (%)"}


_SHORT_MODALITY = {"multimodal": "mm", "skeleton": "skel", "imu": "imu", "none": "none"}


def _short_row_label(row: Mapping) -> str:
    """:func:`_row_label` with short modality names (mm, skel, imu): it fits a phone's width."""
    pre, fine = row.get("pretrain_modality"), row.get("finetune_modality")
    short = {k: _SHORT_MODALITY.get(v, v) if v is not None else None for k, v in (("pre", pre), ("fine", fine))}
    if row["method"] == "random-init":  # never pre-trained: only its head's modality says anything
        short["pre"] = None
    return _row_label({"method": row["method"], "pretrain_modality": short["pre"],
                       "finetune_modality": short["fine"]})


def results_bar(
    summary: Sequence[Mapping],
    *,
    metric: str = "accuracy",
    paper: Mapping[tuple[str, str, str], float | None] | None = None,
    paper_name: str = "paper, UTD-MHAD",
    title: str = "Frozen-encoder evaluation",
    run_name: str = "this run",
    zoom: bool = False,
    flagged: Collection[tuple[str, str, str]] = (),
    flag_note: str = "",
) -> go.Figure:
    """Mean ± std over seeds per method (Table 2/3 analogue), beside published numbers.

    Horizontal bars, one row per method, top to bottom in row order: the method names sit on the
    y axis, where they stay readable on a narrow screen. Rows from one seed have no error bar.

    Args:
        summary: rows of ``experiments.summarize(records)``: ``method``, ``pretrain_modality``,
            ``finetune_modality``, ``n`` and ``<metric>_mean`` / ``<metric>_std`` as fractions
            in [0, 1] (plotted as %); extra keys are ignored. One bar per row, in row order.
        metric: "accuracy" or "macro_f1".
        paper: optional published numbers in %, keyed by the rows' (method, pre-training
            modality, fine-tuning modality), e.g. the UTD-MHAD accuracies of
            :data:`~mmhar_lite.presets.PAPER_RESULTS` (``v["utd-mhad"]["accuracy"]`` of each
            entry ``v``); drawn as a second bar per row (None or absent: no bar).
        paper_name: legend name of the published bars.
        run_name: legend name of the summary's bars ("this run", "committed run").
        zoom: start the axis at a multiple of 5 % at least 5 points below the lowest bar or
            error-bar end (and published bar) instead of 0, the highest from which the ticks
            reach 100 in equal steps, so that bars close to 100 % can be told apart while the
            shortest bar stays a bar, not a stub; the axis title says so.
        title: figure title.
        flagged: the (method, pre-training modality, fine-tuning modality) triples of rows that are not
            results (e.g. made by older code): their names get a ``*`` and the axis title
            ``* flag_note``.
        flag_note: what the ``*`` means (required when a row is flagged).
    """
    _summary_rows(summary, metric, "std")
    keys = [(row["method"], row.get("pretrain_modality"), row.get("finetune_modality")) for row in summary]
    marked = [key in set(flagged) for key in keys]
    if any(marked) and not flag_note:
        raise ValueError("results_bar: flagged rows need a flag_note saying what the * means")
    labels = [_short_row_label(row) + (" *" if m else "") for row, m in zip(summary, marked)]
    n_max = max(int(row["n"]) for row in summary)
    ours = f"{run_name}, one seed" if n_max == 1 else f"{run_name}, mean ± std"
    means = [100 * row[f"{metric}_mean"] for row in summary]
    stds = [100 * row[f"{metric}_std"] if row["n"] > 1 else 0.0 for row in summary]
    fig = go.Figure(go.Bar(
        y=labels, x=means, orientation="h",
        name=ours, marker_color=PALETTE[0], cliponaxis=False,
        # an accuracy lies in [0, 100] %: the error bar is clipped there (as book.estimate clips intervals)
        error_x=dict(type="data", symmetric=False, array=[min(sd, 100 - m) if sd else None for m, sd in zip(means, stds)],
                     arrayminus=[min(sd, m) if sd else None for m, sd in zip(means, stds)], visible=n_max > 1),
        customdata=[row["n"] for row in summary],
        hovertemplate="%{y}<br>%{x:.2f} % (n = %{customdata})<extra></extra>",
    ))
    if paper:
        fig.add_trace(go.Bar(
            y=labels, x=[paper.get(key) for key in keys], name=paper_name, marker_color=PALETTE[1],
            orientation="h", hovertemplate="%{y}<br>%{x:.2f} %<extra>" + paper_name + "</extra>",
        ))
    low, step = 0.0, 0.0
    if zoom:
        published = [paper.get((r["method"], r.get("pretrain_modality"), r.get("finetune_modality"))) for r in summary] if paper else []
        lowest = min([m - sd for m, sd in zip(means, stds)] + [v for v in published if v is not None])
        low, step = _even_start(_axis_floor(lowest - 5))
    # say so where an error bar was cut at 100 % (the std reaching past it)
    notes = ([f"axis starts at {low:g} %"] if low > 0 else []) + (
        ["error bars cut at 100 %"] if n_max > 1 and any(sd and m + sd > 100 for m, sd in zip(means, stds)) else []) + (
        [f"* {flag_note}"] if any(marked) else [])
    # one note per line: on a phone a one-line title ran past the figure's edge and lost the last note
    axis_title = _METRIC_TITLES.get(metric, metric) + "".join(f"<br>{note}" for note in notes)
    # each row as tall as its two-line name (with a gap): at 22 px a row, the names of
    # neighbouring rows ran into each other; the bottom margin holds the axis title's lines
    bottom = _BAR_BOTTOM_PX + _BAR_LINE_PX * axis_title.count("<br>")
    fig.update_layout(title=title, barmode="group",
                      height=_BAR_TOP_PX + bottom + _BAR_ROW_PX * len(labels),
                      xaxis=dict(title_text=axis_title, range=[low, 100], **_start_ticks(low, step)),
                      yaxis=dict(title_text="method", autorange="reversed", automargin=True,
                                 # the modalities on a second line: one-line names took a third of a
                                 # phone's width from the bars
                                 tickmode="array", tickvals=labels, tickfont=dict(size=_BAR_FONT_PX),
                                 ticktext=[label.replace(" (", "<br>(", 1) for label in labels]))
    fig = _legend_on_top(fig)
    # automargin makes room for the names, no more
    fig.update_layout(margin=dict(l=10, t=_BAR_TOP_PX, b=bottom))
    return fig


# results_bar's vertical layout (px): a row holds two lines of its name at the tick font, 1.25
# lines apart (plotly's line height), and a 10 px gap to the next row's name
_BAR_FONT_PX = 11
_BAR_LINE_PX = 16
_BAR_ROW_PX = int(2 * 1.25 * _BAR_FONT_PX + 10) + 1
_BAR_TOP_PX = 110
_BAR_BOTTOM_PX = 60


_TICK_STEPS = (5, 10, 20, 25)  # the steps a zoomed axis may tick at, finest first
_MAX_TICK_GAPS = 6  # more gaps crowd the labels on a phone


def _even_start(low: float) -> tuple[float, float]:
    """Where a zoomed percentage axis starts, at or below ``low`` (a multiple of 5), and its tick
    step: the highest start from which one of ``_TICK_STEPS`` reaches 100 in equal gaps, at most
    ``_MAX_TICK_GAPS`` of them (ticks counted from an uneven start read 25, 40, 60, ...)."""
    start = float(low)
    while start > 0:
        for step in _TICK_STEPS:
            gaps = (100 - start) / step
            if gaps == int(gaps) and gaps <= _MAX_TICK_GAPS:
                return start, float(step)
        start -= 5
    return 0.0, 0.0


def _start_ticks(low: float, step: float) -> dict:
    """Tick settings of a percentage axis from ``low`` to 100 in equal ``step`` gaps: where it is
    zoomed (``low > 0``), a tick at ``low`` itself, the start that the axis title names (plotly's
    own ticks began at the next multiple of 10), and at 100, where error bars are cut."""
    if low <= 0:
        return {}
    ticks = [float(v) for v in np.arange(low, 100 + step / 2, step)]
    return dict(tickmode="array", tickvals=ticks, ticktext=[f"{v:g}" for v in ticks])


def _axis_floor(lowest: float) -> float:
    """Where a zoomed percentage axis starts: the multiple of 5 % at or below ``lowest``, not below 0."""
    return float(max(0.0, 5 * np.floor(lowest / 5)))


def _legend_on_top(fig: go.Figure) -> go.Figure:
    """A horizontal legend between the title and the plot: a legend on the right takes width
    that a phone does not have, and plotly cuts its entries at the figure's edge."""
    fig.update_layout(legend=dict(orientation="h", x=0.0, xanchor="left", y=1.0, yanchor="bottom"),
                      # plotly's default 80 px each side left a phone half its width for the plot
                      margin=dict(t=110, l=60, r=15))
    return fig


_BAND_ALPHA = 0.12  # the fill of a 95 % band: light enough that an overlapped line stays visible


def _rgba(colour: str, alpha: float) -> str:
    """``"#RRGGBB"`` as a CSS ``rgba(...)`` of opacity ``alpha`` (a fill's own opacity: plotly's
    trace ``opacity`` would fade the band's edge with it)."""
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r}, {g}, {b}, {alpha})"


def _ci_lines(summary: Sequence[Mapping], x_key: str, metric: str, x_scale: float) -> go.Figure:
    """Per method: mean line with markers and a shaded 95 % confidence band over seeds, clipped
    to [0, 100] %, drawn only from :data:`MIN_SEEDS_FOR_CI` seeds on. The y axis runs between
    multiples of 5 % that hold every mean and band; each method has its own dash, which its
    band's edge repeats."""
    _summary_rows(summary, metric, "ci95", extra=(x_key,))
    groups: dict[str, list[Mapping]] = {}
    # the method alone when every row has the same head: short entries fit a phone's legend
    one_head = len({row.get("finetune_modality") for row in summary}) == 1
    for row in summary:
        groups.setdefault(str(row["method"]) if one_head else _row_label(row), []).append(row)
    fig = go.Figure()
    drawn: list[np.ndarray] = []  # every plotted y (means and clipped bands): the axis must hold them all
    for k, (name, rows) in enumerate(groups.items()):
        colour = PALETTE[k % len(PALETTE)]
        rows = sorted(rows, key=lambda r: float(r[x_key]))
        x = np.array([float(r[x_key]) for r in rows]) * x_scale
        mean = np.array([100 * r[f"{metric}_mean"] for r in rows])
        half = np.array([100 * r[f"{metric}_ci95"] for r in rows])
        if min(int(r["n"]) for r in rows) >= MIN_SEEDS_FOR_CI:
            # an accuracy lies in [0, 100] %: the band is clipped there (the hover gives the
            # unclipped half-width)
            band = np.clip(np.concatenate([mean + half, (mean - half)[::-1]]), 0.0, 100.0)
            drawn.append(band)
            fig.add_trace(go.Scatter(
                x=np.concatenate([x, x[::-1]]),
                y=band, mode="lines",  # plotly's default for few points adds markers at the band's corners
                # a light fill, and an edge in the line's own colour and dash: where two bands
                # overlap, their fills blend into one colour and only the edges tell them apart
                fill="toself", fillcolor=_rgba(colour, _BAND_ALPHA),
                line=dict(color=colour, width=1, dash=DASHES[k % len(DASHES)]), hoverinfo="skip",
                legendgroup=name, showlegend=False, name=f"{name} 95% CI",
            ))
        # no "± 0.00" from one seed nor a t = 12.7 interval from two: the hover says so
        spread = [f"± {h:.2f} % (n = {r['n']})" if int(r["n"]) >= MIN_SEEDS_FOR_CI
                  else f"% (n = {r['n']}, no interval)" for h, r in zip(half, rows)]
        drawn.append(mean)
        # dashes and shrinking markers: a later line drawn over an equal earlier one leaves it visible
        fig.add_trace(go.Scatter(
            x=x, y=mean, mode="lines+markers", name=name, legendgroup=name,
            line=dict(color=colour, dash=DASHES[k % len(DASHES)]),
            marker=dict(symbol=SYMBOLS[k % len(SYMBOLS)], size=max(5, 11 - 2 * k)), cliponaxis=False,
            customdata=np.stack([half, [r["n"] for r in rows]], axis=1), text=spread,
            hovertemplate=f"{name}<br>%{{x:g}}: %{{y:.2f}} %{{text}}<extra></extra>",
        ))
    values = np.concatenate(drawn)
    high = float(min(100.0, max(5.0, 5 * np.ceil(float(values.max()) / 5))))
    fig.update_layout(yaxis=dict(range=[min(_axis_floor(float(values.min())), high - 5), high]))
    return fig


def beta_sweep_figure(summary: Sequence[Mapping], *, metric: str = "accuracy",
                      title: str = "Figure 3 analogue: effect of β") -> go.Figure:
    """Metric against beta per method: mean and 95 % CI band over seeds.

    Args:
        summary: the rows of :func:`~mmhar_lite.results.summarize` grouped by ``method``,
            ``finetune_modality`` and ``beta`` (``<metric>_mean`` and ``<metric>_ci95``
            fractions, ``n``, ``beta``).
        metric: the record key plotted (``<metric>_mean`` / ``<metric>_ci95``), e.g. ``"accuracy"``.
        title: figure title.
    """
    fig = _ci_lines(summary, "beta", metric, 1.0)
    # one labelled tick per swept beta: plotly's own ticks (0, 0.5, 1, ...) skip 0.25
    ticks = sorted({float(row["beta"]) for row in summary})
    fig.update_layout(title=title, xaxis=dict(title="β (concentration of q<sub>β</sub>)", tickvals=ticks,
                                              ticktext=[f"{b:g}" for b in ticks]),
                      yaxis_title=_METRIC_TITLES.get(metric, metric))
    return _legend_on_top(fig)


def limited_labels_figure(summary: Sequence[Mapping], *, metric: str = "accuracy",
                          title: str = "Figure 4 analogue: fine-tuning with limited labels",
                          tick_labels: Mapping[float, str] | None = None) -> go.Figure:
    """Metric against the labelled fraction per method: mean and 95 % CI band over seeds.

    Args:
        summary: the rows of :func:`~mmhar_lite.results.summarize` grouped by ``method``,
            ``finetune_modality`` and ``label_fraction``; ``label_fraction`` in (0, 1],
            plotted in % on a log axis.
        tick_labels: ``{fraction: label}`` for ticks that need more than "2 %" (a point standing
            for several fractions with the same labelled subset: "2 = 5 %"); one short line each,
            since a phone's width holds no more.
        metric: the record key plotted (``<metric>_mean`` / ``<metric>_ci95``), e.g. ``"accuracy"``.
        title: figure title.
    """
    fig = _ci_lines(summary, "label_fraction", metric, 100.0)
    # one labelled tick per measured fraction: plotly's own log ticks read "2 3 ... 10 2 3 4 5"
    fractions = sorted({float(row["label_fraction"]) for row in summary})
    labels = dict(tick_labels or {})
    # a short title and one-line, unrotated labels, with a margin of a tenth of a decade past the
    # end points: at 400 px the long title was cut, plotly rotated the two-line labels and dropped
    # the last one (50 %) at the plot's edge
    ends = np.log10([100.0 * fractions[0], 100.0 * fractions[-1]]) if fractions else np.array([0.0, 2.0])
    fig.update_layout(title=title, xaxis=dict(title="labelled fraction (log scale)", type="log", tickangle=0,
                                              range=[float(ends[0]) - 0.1, float(ends[1]) + 0.1],
                                              tickvals=[100.0 * f for f in fractions],
                                              ticktext=[labels.get(f, f"{100.0 * f:g} %") for f in fractions]),
                      yaxis_title=_METRIC_TITLES.get(metric, metric))
    return _legend_on_top(fig)


# Sequential blues (colour-blind safe), white only at exactly 0 (in fractions of zmax).
_CONFUSION_SCALE = [[0.0, "#ffffff"], [1e-6, "#c6dbef"], [0.2, "#6baed6"], [0.5, "#2171b5"], [1.0, "#08306b"]]


def confusion_matrix_figure(cm, class_names: Sequence[str], *, normalize: bool = True,
                            title: str = "Confusion matrix") -> go.Figure:
    """Heat map of a ``(K, K)`` confusion matrix (rows: true class, columns: predicted).

    With ``normalize`` each row is divided by its count (recall per class, %); rows with no
    samples stay 0. The axes label each class by its :func:`~mmhar_lite.viz_latent.legend_name`. Zero is white and any non-zero cell is at least a light blue, with most of
    the ramp spent below 20 %: an error of one sample in sixteen (6 %) must stand out from the
    empty cells, which a linear scale from 0 to 100 % does not do.

    Args:
        cm: ``(K, K)`` counts, e.g. ``sklearn.metrics.confusion_matrix``'s.
        class_names: the ``K`` class names, in the matrix's order.
        normalize: divide each row by its count (%) instead of showing counts.
        title: figure title.
    """
    m = _array("cm", cm, ndim=2)
    k = len(class_names)
    if m.shape != (k, k):
        raise ValueError(f"cm: expected shape ({k}, {k}) for {k} class_names, got {m.shape}")
    if np.any(m < 0):
        raise ValueError("cm: counts must be >= 0")
    counts = m.sum(axis=1, keepdims=True)
    z = np.divide(100 * m, counts, out=np.zeros_like(m), where=counts > 0) if normalize else m
    fig = go.Figure(go.Heatmap(
        z=z, x=list(class_names), y=list(class_names), colorscale=_CONFUSION_SCALE,
        zmin=0, zmax=100 if normalize else None,
        colorbar=dict(title="% of true class" if normalize else "count"),
        customdata=m, hovertemplate="true %{y}<br>predicted %{x}<br>%{z:.1f}"
        + (" % (%{customdata:.0f} samples)" if normalize else "") + "<extra></extra>",
        texttemplate="%{z:.0f}" if k <= 12 else None,
    ))
    # every class labelled (plotly would otherwise label every other column of 27), by its short
    # name: shorter labels leave the cells more of the width (the hover keeps the full name)
    ticks = dict(tickmode="array", tickvals=list(class_names),
                 ticktext=[legend_name(c) for c in class_names], tickfont=dict(size=11 if k > 12 else 12))
    # many columns: upright labels, one per column, do not touch their neighbours
    fig.update_layout(title=title, xaxis=dict(title="predicted class", tickangle=-90 if k > 12 else -60,
                                              **ticks),
                      yaxis=dict(title="true class", autorange="reversed", **ticks),
                      # no fixed width: the figure takes the text column's width (a fixed 894 px
                      # hid the last columns and the colour bar)
                      height=max(450, 16 * k + 330), margin=dict(r=10))
    return fig


def regimes_figure(summary: Sequence[Mapping], *, metric: str = "accuracy", head: str = "multimodal",
                   title: str = "Hard negatives across difficulty regimes") -> go.Figure:
    """Mean and 95 % interval over seeds per method, regime and batch size (one panel per
    batch size); the intervals are clipped to [0, 100] % and drawn from 3 seeds on.

    Args:
        summary: the rows of :func:`~mmhar_lite.results.summarize` grouped by ``regime``,
            ``batch_size``, ``finetune_modality`` and ``method``, of
            :func:`~mmhar_lite.regimes.run_regimes` records (fractions in [0, 1]).
        head: which fine-tuning head's rows to draw (``finetune_modality``).
        metric: the record key plotted (``<metric>_mean`` / ``<metric>_ci95``), e.g. ``"accuracy"``.
        title: figure title.
    """
    _summary_rows(summary, metric, "ci95", extra=("regime", "batch_size", "finetune_modality"))
    rows = [row for row in summary if row["finetune_modality"] == head]
    if not rows:
        raise ValueError(f"summary: no rows with finetune_modality {head!r} "
                         f"(has {sorted({r['finetune_modality'] for r in summary})})")
    regimes = list(dict.fromkeys(row["regime"] for row in rows))
    batches = sorted({int(row["batch_size"]) for row in rows})
    methods = list(dict.fromkeys(row["method"] for row in rows))
    fig = make_subplots(rows=1, cols=len(batches), shared_yaxes=True, horizontal_spacing=0.1,
                        subplot_titles=[f"batch size {b}" for b in batches])
    # the methods of one regime side by side, far enough apart that their markers do not cover
    # each other in a 400 px panel
    width = 0.8 / max(len(methods), 1)
    for k, method in enumerate(methods):
        colour, symbol = PALETTE[k % len(PALETTE)], SYMBOLS[k % len(SYMBOLS)]
        for col, batch in enumerate(batches, start=1):
            chosen = [r for r in rows if r["method"] == method and int(r["batch_size"]) == batch]
            chosen.sort(key=lambda r: regimes.index(r["regime"]))
            mean = np.array([100 * r[f"{metric}_mean"] for r in chosen])
            # No t-interval from fewer than 3 seeds: with 2, t = 12.7 and the bar says nothing.
            half = np.array([100 * r[f"{metric}_ci95"] if r["n"] >= 3 else 0.0 for r in chosen])
            upper, lower = np.minimum(mean + half, 100.0) - mean, mean - np.maximum(mean - half, 0.0)
            x = np.array([regimes.index(r["regime"]) for r in chosen]) + (k - (len(methods) - 1) / 2) * width
            fig.add_trace(go.Scatter(
                x=x, y=mean, mode="markers", name=method, legendgroup=method, showlegend=col == 1,
                marker=dict(color=colour, symbol=symbol, size=10),
                error_y=dict(type="data", symmetric=False, array=upper, arrayminus=lower, color=colour),
                customdata=np.stack([[r["regime"] for r in chosen], half, [r["n"] for r in chosen]], axis=1),
                hovertemplate=f"{method}, batch {batch}<br>%{{customdata[0]}}: %{{y:.2f}} ± %{{customdata[1]:.2f}} % "
                              "(n = %{customdata[2]})<extra></extra>",
            ), row=1, col=col)
            # horizontal where they fit (a desktop), else vertical: slanted ones of neighbouring
            # regimes touched in a 400 px panel
            fig.update_xaxes(tickvals=list(range(len(regimes))), ticktext=regimes, title_text="regime",
                             autotickangles=[0, 90],
                             range=[-0.5, len(regimes) - 0.5], row=1, col=col)
    fig.update_yaxes(title_text=f"{_METRIC_TITLES.get(metric, metric)}, {'IMU-only' if head == 'imu' else head} head", row=1, col=1)
    # The legend sits at the bottom of the figure box, under the axis titles whatever the
    # width (a legend placed relative to the plot area landed on them at 400 px).
    fig.update_layout(title=title, height=520, margin=dict(b=125),
                      legend=dict(title_text="method", orientation="h", x=0, y=0, yref="container", yanchor="bottom"))
    return fig
