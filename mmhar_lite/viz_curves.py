"""Training curves: the loss (and learning rate) per epoch of pre-training runs, and the
retrieval, alignment and uniformity of watched runs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from mmhar_lite._viz_common import _GREY, PALETTE, SYMBOLS

__all__ = [
    "loss_curves",
    "coinciding_curves",
    "monitor_curves",
]


def coinciding_curves(histories: Mapping[str, Sequence[Mapping]], *, key: str = "loss",
                      rel_tol: float = 0.02) -> dict[str, tuple[str, float]]:
    """Runs whose curve would hide under an earlier run's: ``{later: (earlier, largest gap)}``.

    Two curves coincide when, over the epochs both have, ``key`` never differs by more than
    ``rel_tol`` of the span of all the curves' values (the figure's axis): closer than a marker.
    Each run is matched to the first earlier run it coincides with.
    """
    values = {name: {rec["epoch"]: float(rec[key]) for rec in hist} for name, hist in histories.items()}
    every = [v for curve in values.values() for v in curve.values()]
    span = (max(every) - min(every)) if every else 0.0
    names = list(values)
    out: dict[str, tuple[str, float]] = {}
    for k, name in enumerate(names):
        for earlier in names[:k]:
            shared = sorted(set(values[name]) & set(values[earlier]))
            if not shared:
                continue
            gap = max(abs(values[name][e] - values[earlier][e]) for e in shared)
            if gap <= rel_tol * span:
                out[name] = (earlier, gap)
                break
    return out


#: Height of the loss figure's plot area (px) and of one legend row under it.
LOSS_PLOT_PX, LEGEND_ROW_PX = 420, 26


def loss_curves(histories: Mapping[str, Sequence[Mapping]], *, title: str = "Pre-training") -> go.Figure:
    """Training loss (and learning rate, when recorded) per epoch, one line per run.

    Args:
        histories: run name → per-epoch records with at least ``epoch`` and ``loss``;
            ``val_loss`` (dotted line) and ``lr`` (second panel, log scale) are drawn when
            present; other keys are ignored.
        title: figure title.
    """
    if not isinstance(histories, Mapping) or not histories:
        raise ValueError("histories: expected a non-empty dict {run name: list of epoch records}")
    for name, hist in histories.items():
        if not hist:
            raise ValueError(f"histories[{name!r}]: empty history")
        for i, rec in enumerate(hist):
            for key in ("epoch", "loss"):
                if key not in rec:
                    raise ValueError(f"histories[{name!r}][{i}]: missing key {key!r} (has {sorted(rec)})")
    has_lr = any("lr" in rec for hist in histories.values() for rec in hist)
    fig = make_subplots(rows=2 if has_lr else 1, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        row_heights=[0.7, 0.3] if has_lr else None)
    dashes = ("solid", "dash", "dot", "dashdot")
    # small enough that five nested runs still leave the lines readable on a phone
    sizes = {name: 5 + 2 * (len(histories) - 1 - k) for k, name in enumerate(histories)}
    hidden = coinciding_curves(histories)
    for k, (name, hist) in enumerate(histories.items()):
        colour = PALETTE[k % len(PALETTE)]
        epochs = [rec["epoch"] for rec in hist]
        # markers too: a one-epoch run (the smoke profile) is a single point, which a line does not draw.
        # Runs that coincide must stay visible: each later run is drawn smaller, in its own symbol and
        # dash, so it sits nested inside the earlier one's markers instead of hiding them; a run that
        # stays within a marker of an earlier one all along gets open markers larger than that
        # run's (a ring around them) and says so in the legend.
        size, symbol, label = sizes[name], SYMBOLS[k % len(SYMBOLS)], name
        if name in hidden:
            under, gap = hidden[name]
            size, symbol = sizes[under] + 5, f"{symbol}-open"
            label = f"{name} (on {under}, ≤ {gap:.2g})"
        fig.add_trace(go.Scatter(x=epochs, y=[rec["loss"] for rec in hist], mode="lines+markers",
                                 name=label, legendgroup=name, line=dict(color=colour, dash=dashes[k % len(dashes)]),
                                 marker=dict(size=size, symbol=symbol, line=dict(width=2, color=colour))),
                      row=1, col=1)
        val = [(rec["epoch"], rec["val_loss"]) for rec in hist if rec.get("val_loss") is not None]
        if val:
            fig.add_trace(go.Scatter(x=[e for e, _ in val], y=[v for _, v in val], mode="lines+markers",
                                     name=f"{name} (validation)", legendgroup=name,
                                     line=dict(color=colour, dash="dot"), marker=dict(size=5)), row=1, col=1)
        lr = [(rec["epoch"], rec["lr"]) for rec in hist if "lr" in rec]
        if lr:
            fig.add_trace(go.Scatter(x=[e for e, _ in lr], y=[v for _, v in lr], mode="lines+markers",
                                     name=f"{name} lr", legendgroup=name, showlegend=False,
                                     line=dict(color=colour), marker=dict(size=4)), row=2, col=1)
    fig.update_yaxes(title_text="loss (nats)", row=1, col=1)
    if has_lr:
        rates = sorted({rec["lr"] for hist in histories.values() for rec in hist if "lr" in rec})
        # ticks only at rates the runs used (at most three: the panel is short), written "1e-3",
        # not plotly's SI "1m" / "100μ" or its 1-2-5 labels of every decade, which run together
        ticks = rates if len(rates) <= 3 else [rates[0], rates[len(rates) // 2], rates[-1]]
        fig.update_yaxes(title_text="learning rate", type="log", tickvals=ticks, ticktext=[_sci(v) for v in ticks],
                         range=[math.log10(rates[0]) - 0.3, math.log10(rates[-1]) + 0.3], row=2, col=1)
    fig.update_xaxes(title_text="epoch", row=2 if has_lr else 1, col=1)
    # The legend in the figure's bottom margin, two entries a row: beside the plot it would take
    # half a phone's width, above it it would run into the title. The plot keeps a fixed height
    # of its own (the figure's height less the margins), so the legend never squeezes it.
    rows = -(-sum(tr.showlegend is not False for tr in fig.data) // 2)
    fig.update_layout(title=title, height=LOSS_PLOT_PX + 110 + LEGEND_ROW_PX * rows,
                      margin=dict(l=55, r=10, t=60, b=50 + LEGEND_ROW_PX * rows),
                      legend=dict(orientation="h", x=0, xanchor="left", y=0, yref="container", yanchor="bottom",
                                  itemsizing="constant"))
    return fig


def _sci(value: float) -> str:
    """``value`` as ``1e-3`` / ``2.5e-4``: short, and unambiguous at any magnitude."""
    mantissa, exponent = f"{value:.2e}".split("e")
    return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"


def monitor_curves(histories: Mapping[str, Sequence[Mapping]], *, n_rows: int | None = None,
                   title: str = "Watched during pre-training") -> go.Figure:
    """Per-epoch retrieval, alignment and uniformity of watched pre-training runs, one colour per run.

    Args:
        histories: run name → per-epoch records with ``epoch`` and the keys of
            :data:`mmhar_lite.metrics.EMBEDDING_KEYS` (a run pre-trained with ``monitor_indices``).
        n_rows: the number of watched rows; draws the chance levels ``1/N`` and ``5/N`` of retrieval
            (dotted lines, named with their values by a legend entry).
        title: figure title.

    Returns:
        A figure of three panels that share the epoch axis (retrieval top-1, solid, and top-5,
        dashed, in %, the mean of IMU → skeleton and skeleton → IMU; alignment; uniformity).
        The legend names the runs (colours), the two line styles and the chance levels.
    """
    if not isinstance(histories, Mapping) or not histories:
        raise ValueError("histories: expected a non-empty dict {run name: list of epoch records}")
    keys = ("epoch", "imu_to_skeleton_top1", "imu_to_skeleton_top5", "skeleton_to_imu_top1", "skeleton_to_imu_top5",
            "alignment", "uniformity")
    for name, hist in histories.items():
        if not hist:
            raise ValueError(f"histories[{name!r}]: empty history")
        for i, rec in enumerate(hist):
            missing = [k for k in keys if k not in rec]
            if missing:
                raise ValueError(f"histories[{name!r}][{i}]: missing {missing} (pre-train with monitor_indices)")
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.06, row_heights=[0.44, 0.28, 0.28])
    for k, (name, hist) in enumerate(histories.items()):
        colour = PALETTE[k % len(PALETTE)]
        epochs = [rec["epoch"] for rec in hist]
        for top, dash in ((1, "solid"), (5, "dash")):
            y = [50 * (rec[f"imu_to_skeleton_top{top}"] + rec[f"skeleton_to_imu_top{top}"]) for rec in hist]
            fig.add_trace(go.Scatter(x=epochs, y=y, mode="lines+markers", name=name if top == 1 else f"{name}, top-5",
                                     legendgroup=name, showlegend=top == 1, line=dict(color=colour, dash=dash),
                                     marker=dict(size=4),
                                     hovertemplate=f"{name}<br>top-{top}, mean of both directions: %{{y:.1f}} %<extra></extra>"),
                          row=1, col=1)
        for row, key in ((2, "alignment"), (3, "uniformity")):
            fig.add_trace(go.Scatter(x=epochs, y=[rec[key] for rec in hist], mode="lines+markers", name=name,
                                     legendgroup=name, showlegend=False, line=dict(color=colour), marker=dict(size=4),
                                     hovertemplate=f"{name}<br>{key}: %{{y:.3f}}<extra></extra>"), row=row, col=1)
    # Line styles and chance levels are named in the legend, not on the axis (a two-line axis title
    # is cut on a phone) nor by labels on the lines (with many watched rows the two chance lines lie
    # a few % apart, and labels on them overlap). A one-point "lines" trace is a legend entry only.
    first = next(iter(histories.values()))[0]["epoch"]
    for top, dash in ((1, "solid"), (5, "dash")):
        fig.add_trace(go.Scatter(x=[first], y=[0.0], mode="lines", line=dict(dash=dash, color=_GREY),
                                 name=f"top-{top}, mean of IMU→skel. and skel.→IMU", hoverinfo="skip"), row=1, col=1)
    if n_rows:
        chance = [100 * min(top, n_rows) / n_rows for top in (1, 5)]
        for y in chance:
            fig.add_hline(y=y, line=dict(dash="dot", color=_GREY), row=1, col=1)
        fig.add_trace(go.Scatter(x=[first], y=[chance[0]], mode="lines", line=dict(dash="dot", color=_GREY),
                                 name=f"chance: top-1 {chance[0]:.1f} %, top-5 {chance[1]:.1f} %",
                                 hoverinfo="skip"), row=1, col=1)
    fig.update_yaxes(title_text="mean retrieval (%)", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(title_text="alignment", row=2, col=1)
    fig.update_yaxes(title_text="uniformity", row=3, col=1)
    fig.update_xaxes(title_text="epoch", row=3, col=1)
    # plotly's default 80 px each side left a phone half its width for the plot
    fig.update_layout(title=title, height=640, legend=dict(orientation="h", x=0, y=-0.12, yanchor="top"),
                      margin=dict(l=60, r=15))
    return fig
