"""The hard-negative weights q_beta that one anchor gives its negatives: computed with the loss's
own function, and drawn against each negative's cosine similarity to the anchor, with a beta slider.

Shape letters: B rows of a batch, E embedding size, M negatives of one anchor (``B - 1``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from mmhar_lite._viz_common import _GREY, PALETTE, _array, _beta_label, _by_beta, _legend_under_title, _slider

__all__ = [
    "AnchorWeights",
    "anchor_negative_weights",
    "negative_weights_figure",
    "weight_tilt_figure",
]


@dataclass(frozen=True)
class AnchorWeights:
    """The hard-negative weights q_beta of one anchor's negatives, for several beta values.

    Attributes:
        anchor: row of ``a`` used as the anchor.
        indices: ``(M,)`` rows of ``b`` that are its negatives (every row but the anchor's).
        similarities: ``(M,)`` cosine similarity between the anchor and each negative.
        weights_by_beta: beta → ``(M,)`` normalised weights (sum 1) from
            :func:`mmhar_lite.losses.hard_negative_weights`.
        n_points: number of rows of ``b`` (``B``).
    """

    anchor: int
    indices: np.ndarray
    similarities: np.ndarray
    weights_by_beta: dict[float, np.ndarray]
    n_points: int

    def per_point(self) -> dict[float, np.ndarray]:
        """beta → ``(B,)`` weights over all rows of ``b``; 0 at the anchor's own positive."""
        out = {}
        for beta, w in self.weights_by_beta.items():
            full = np.zeros(self.n_points)
            full[self.indices] = w
            out[beta] = full
        return out


def anchor_negative_weights(a, b, *, anchor: int, temperature: float,
                            betas: Sequence[float]) -> AnchorWeights:
    """Weights q_beta that the hard-negative loss gives each negative of anchor ``a[anchor]``.

    Uses the CMC negative set (``negatives="cross"``): the anchor ``a_i`` is contrasted with
    the ``B - 1`` rows ``b_j, j != i``.

    Args:
        a: ``(B, E)`` anchor embeddings (e.g. IMU projections); L2-normalised inside.
        b: ``(B, E)`` embeddings of the other modality; row ``i`` is the anchor's positive.
        anchor: index ``i`` of the anchor row.
        temperature: the loss temperature ``t``; the weights are ``exp(beta * cos / t)``.
        betas: concentration values to evaluate.
    """
    import torch  # deferred: only this helper needs torch, not the figure functions

    from mmhar_lite.losses import hard_negative_weights

    a_np, b_np = _array("a", a, ndim=2), _array("b", b, ndim=2)
    if a_np.shape != b_np.shape or a_np.shape[0] < 2:
        raise ValueError(f"a, b: expected the same shape (B >= 2, E), got {a_np.shape} and {b_np.shape}")
    n = a_np.shape[0]
    if not 0 <= anchor < n:
        raise ValueError(f"anchor: expected 0 <= anchor < {n}, got {anchor}")
    if len(betas) == 0:
        raise ValueError("betas: expected at least one beta value")
    a_t, b_t = torch.from_numpy(a_np), torch.from_numpy(b_np)
    weights = {}
    for beta in sorted(float(x) for x in betas):
        with torch.no_grad():
            q = hard_negative_weights(a_t, b_t, temperature=temperature, beta=beta, negatives="cross")
        # row i holds the a_i -> b weights (rows B.. are the b -> a direction, when present)
        weights[beta] = q[anchor].double().numpy().copy()
    indices = np.delete(np.arange(n), anchor)
    a_n = a_np[anchor] / np.linalg.norm(a_np[anchor])
    b_n = b_np[indices] / np.linalg.norm(b_np[indices], axis=1, keepdims=True)
    return AnchorWeights(anchor=anchor, indices=indices, similarities=b_n @ a_n,
                         weights_by_beta=weights, n_points=n)


def negative_weights_figure(
    weights_by_beta: Mapping[float, object],
    similarities,
    *,
    negative_labels=None,
    anchor_label: int | None = None,
    class_names: Sequence[str] | None = None,
    indices=None,
    log_y: bool = False,
    title: str | None = None,
    initial_beta: float | None = None,
) -> go.Figure:
    """Weight q_beta of each negative against its cosine similarity to the anchor, with a beta slider.

    Args:
        weights_by_beta: beta → ``(M,)`` normalised weights of the anchor's ``M`` negatives.
        similarities (numpy.ndarray | torch.Tensor): ``(M,)`` cosine similarity of each negative to the anchor.
        negative_labels (numpy.ndarray | torch.Tensor | None): optional ``(M,)`` class of each negative; with ``anchor_label``,
            same-class negatives (false negatives) are drawn in a separate, highlighted trace.
        anchor_label: the anchor's class.
        class_names: optional names for hover text.
        indices: optional ``(M,)`` sample index of each negative for hover text (default 0..M-1).
        log_y: logarithmic weight axis.
        initial_beta: the beta the figure opens at (its points drawn, its slider step active),
            one of ``weights_by_beta``; default the smallest.
        title: figure title (plotly's HTML); ``None``: "Hard-negative weights q_β of one anchor's
            negatives", with β as a subscript.

    Returns:
        One frame per beta (sorted); slider steps labelled with the beta values and a dashed
        line at the uniform weight ``1/M`` (beta = 0), named in a legend between the title and the plot.
    """
    if title is None:
        title = "Hard-negative weights q<sub>β</sub> of one anchor's negatives"
    weights = _by_beta("weights_by_beta", weights_by_beta, ndim=1)
    sim = _array("similarities", similarities, ndim=1)
    m = sim.shape[0]
    for beta, w in weights.items():
        if w.shape != (m,):
            raise ValueError(f"weights_by_beta[{beta!r}]: expected shape ({m},) like similarities, got {w.shape}")
        if np.any(w < 0):
            raise ValueError(f"weights_by_beta[{beta!r}]: weights must be >= 0")
    idx = np.arange(m) if indices is None else _array("indices", indices, ndim=1).astype(int)
    if idx.shape != (m,):
        raise ValueError(f"indices: expected shape ({m},), got {idx.shape}")
    if (negative_labels is None) != (anchor_label is None):
        raise ValueError("negative_labels, anchor_label: give both or neither")
    if negative_labels is not None:
        labels = _array("negative_labels", negative_labels, ndim=1).astype(int)
        if labels.shape != (m,):
            raise ValueError(f"negative_labels: expected shape ({m},), got {labels.shape}")
        groups = [("true negatives", labels != anchor_label, PALETTE[0], "circle"),
                  ("same class as anchor", labels == anchor_label, PALETTE[5], "diamond")]
    else:
        labels = None
        groups = [("negatives", np.ones(m, bool), PALETTE[0], "circle")]

    def hover(mask: np.ndarray) -> list[str]:
        out = []
        for k in np.flatnonzero(mask):
            text = f"sample {idx[k]}"
            if labels is not None:
                name = class_names[labels[k]] if class_names is not None else f"class {labels[k]}"
                text += f"<br>{name}"
            out.append(text)
        return out

    def traces(w: np.ndarray) -> list:
        return [go.Scatter(
            x=sim[mask], y=w[mask], mode="markers", name=name, text=hover(mask),
            marker=dict(color=colour, symbol=symbol, size=8, line=dict(width=0.5, color="white")),
            hovertemplate="%{text}<br>cos = %{x:.3f}<br>q = %{y:.3g}<extra></extra>",
        ) for name, mask, colour, symbol in groups]

    betas = list(weights)
    names = [f"beta={_beta_label(b)}" for b in betas]
    start = betas[0] if initial_beta is None else float(initial_beta)
    if start not in weights:
        raise ValueError(f"initial_beta: expected one of {betas}, got {initial_beta!r}")
    fig = go.Figure(data=traces(weights[start]),
                    frames=[go.Frame(data=traces(weights[b]), name=n) for b, n in zip(betas, names)])
    y_all = np.concatenate(list(weights.values()))
    if log_y:
        positive = y_all[y_all > 0]
        lo = math.log10(positive.min()) - 0.2 if positive.size else -6
        yaxis = dict(type="log", range=[lo, math.log10(max(y_all.max(), 1.0 / m)) + 0.2])
    else:
        # a little below 0, so that the markers of near-zero weights are not cut in half by the axis
        top = max(1.08 * y_all.max(), 1.7 / m)
        yaxis = dict(range=[-0.04 * top, top])
    # At beta = 0 every weight is 1/M: the markers then sit on this line. It is named in the legend,
    # not labelled on the line, where a label would lie on the markers.
    # the x axis spans the cosines there are (not all of [-1, 1]): the many near-zero weights of
    # far negatives then spread out instead of merging into one band on a phone
    margin = 0.05 * max(float(np.ptp(sim)), 0.2)
    x_range = [max(-1.05, float(sim.min()) - margin), min(1.05, float(sim.max()) + margin)]
    fig.add_scatter(x=x_range, y=[1.0 / m, 1.0 / m], mode="lines", line=dict(dash="dash", color=_GREY),
                    name="uniform 1/M: every weight at β = 0", hoverinfo="skip")
    # the legend between the title and the plot, across the full width: inside the plot it would
    # cover a phone's whole plot width, and the highest weights with it; from 48 px down, in up to
    # three rows at 400 px, clear of the plot area at the 130 px margin
    height = 560
    fig.update_layout(
        **_legend_under_title(title, height, 48), margin=dict(t=130),
        xaxis=dict(title="cosine similarity to the anchor", range=x_range),
        yaxis=dict(title="weight q<sub>β</sub> (sums to 1)", automargin=True, **yaxis),
        sliders=[_slider([_beta_label(b) for b in betas], names, prefix="β = ")],
    )
    fig.layout.sliders[0].active = betas.index(start)
    return fig


def weight_tilt_figure(
    weights: AnchorWeights,
    *,
    title: str = "What β alone does: one anchor's weights on one embedding",
) -> go.Figure:
    """Weight relative to uniform, ``q_j M``, against each negative's cosine to the anchor, one
    line per beta, all on the same embedding: the tilt that beta alone gives the weights.

    Because ``q_j`` is proportional to ``exp(beta cos_j / t)``, ``log(q_j M)`` is a straight line
    in the cosine whose slope grows with beta: flat (every ``q_j M = 1``) at beta = 0. A figure
    whose slider switches between models moves the points as well; this one holds them still.

    Args:
        weights: one anchor's weights at several betas (:func:`anchor_negative_weights`), computed
            on one model's embeddings.
        title: figure title.

    Returns:
        One trace per beta (markers joined in order of cosine, legend "β = x"), a log y axis and
        a dashed line at the uniform weight (``q M = 1``).
    """
    if not isinstance(weights, AnchorWeights):
        raise ValueError(f"weights: expected an AnchorWeights, got {type(weights).__name__}")
    sim = np.asarray(weights.similarities, float)
    m = sim.shape[0]
    order = np.argsort(sim, kind="stable")
    margin = 0.05 * max(float(np.ptp(sim)), 0.05)
    x_range = [float(sim.min()) - margin, float(sim.max()) + margin]
    fig = go.Figure()
    # first, so that the beta = 0 line (on it) is drawn over it, not under it
    fig.add_scatter(x=x_range, y=[1.0, 1.0], mode="lines", line=dict(dash="dash", color=_GREY),
                    name="uniform (q·M = 1)", hoverinfo="skip")
    rel = {}
    for k, (beta, w) in enumerate(sorted(weights.weights_by_beta.items())):
        r = np.asarray(w, float)[order] * m
        if np.any(r <= 0):
            raise ValueError(f"weights.weights_by_beta[{beta!r}]: a log axis needs weights > 0")
        rel[beta] = r
        fig.add_scatter(
            x=sim[order], y=r, mode="lines+markers", name=f"β = {_beta_label(beta)}",
            line=dict(color=PALETTE[k % len(PALETTE)], width=1.5),
            marker=dict(color=PALETTE[k % len(PALETTE)], size=5),
            hovertemplate="cos = %{x:.3f}<br>q·M = %{y:.3g}<extra>" + f"β = {_beta_label(beta)}</extra>",
        )
    ys = np.concatenate(list(rel.values()))
    lo, hi = math.log10(ys.min()), math.log10(ys.max())
    pad = 0.1 * max(hi - lo, 0.5)
    # ticks at powers of 2 of the uniform weight: plotly's own log ticks label 0.9 as "9"
    k_lo, k_hi = math.floor((lo - pad) / math.log10(2)), math.ceil((hi + pad) / math.log10(2))
    ticks = [2.0 ** k for k in range(k_lo, k_hi + 1)]
    if len(ticks) > 8:  # a wide range (large beta / t): every `step` powers of 10, 1 among them
        step = max(1, math.ceil((hi - lo + 2 * pad) / 7))
        ticks = [10.0 ** (k * step) for k in range(math.floor((lo - pad) / step), math.ceil((hi + pad) / step) + 1)]
    height = 520
    fig.update_layout(
        # the legend between the title and the plot: inside, it would cover the steepest lines
        **_legend_under_title(title, height, 44), margin=dict(t=120),
        xaxis=dict(title="cosine of the negative to the IMU anchor", range=x_range),
        yaxis=dict(title="q<sub>β</sub>·M: weight relative to uniform (log)", type="log",
                   range=[lo - pad, hi + pad], automargin=True, tickvals=ticks,
                   ticktext=[f"{t:g}" for t in ticks]),
    )
    return fig
