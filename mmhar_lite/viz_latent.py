"""2-D maps of embeddings: the reductions (PCA, UMAP) and the alignment that puts the models of
every beta in one frame, the classes on that map, and one anchor's weights over it.

Shape letters: N points, F feature size, E embedding size, K classes, M negatives of one anchor
(``N - 1``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from mmhar_lite._viz_common import (
    _GREY, PALETTE, _array, _beta_label, _by_beta, _cube_ranges, _slider, class_style,
)

__all__ = [
    "reduce_2d",
    "align_embeddings",
    "joint_layout",
    "latent_space_figure",
    "anchor_weights_figure",
    "legend_name",
]


def reduce_2d(features, method: str = "umap", *, seed: int = 0, n_neighbors: int = 15) -> np.ndarray:
    """Project ``features`` ``(N, F)`` to ``(N, 2)`` with UMAP or PCA.

    PCA signs are fixed (largest-magnitude loading positive) so equal inputs give equal
    plots. UMAP is imported here, not at module import, because importing it takes seconds.

    Args:
        features: ``(N, F)`` array, at least 3 rows.
        method: ``"umap"`` or ``"pca"``.
        seed: UMAP's random state.
        n_neighbors: UMAP's neighbourhood size (UMAP only), capped at ``N - 1``.
    """
    x = _array("features", features, ndim=2)
    if x.shape[0] < 3:
        raise ValueError(f"features: need at least 3 points, got shape {x.shape}")
    if method == "pca":
        centred = x - x.mean(axis=0)
        _, _, vt = np.linalg.svd(centred, full_matrices=False)
        comps = vt[:2]
        comps *= np.sign(comps[np.arange(len(comps)), np.abs(comps).argmax(axis=1)])[:, None]
        out = centred @ comps.T
        return np.pad(out, ((0, 0), (0, 2 - out.shape[1])))  # F == 1 leaves one component
    if method == "umap":
        import umap  # noqa: PLC0415  (lazy: import costs ~16 s cold on this machine)

        reducer = umap.UMAP(n_components=2, n_neighbors=min(n_neighbors, x.shape[0] - 1),
                            random_state=seed)
        return np.asarray(reducer.fit_transform(x), dtype=np.float64)
    raise ValueError(f"method: expected 'umap' or 'pca', got {method!r}")


def align_embeddings(embeddings: Sequence[object]) -> list[np.ndarray]:
    """L2-normalise ``(N, E)`` embeddings of the same N samples and rotate each onto the first.

    Each model's embedding space has its own arbitrary orientation on the unit sphere; the
    orthogonal matrix that best maps one onto the first (Procrustes, in all E dimensions)
    changes no cosine similarity, hence no weight q_beta and no retrieval result, but puts all
    models in one frame, so that one reduction can be fitted on all of them together.
    """
    if len(embeddings) == 0:
        raise ValueError("embeddings: expected at least one (N, E) array")
    arrays = [_array(f"embeddings[{k}]", e, ndim=2) for k, e in enumerate(embeddings)]
    units = []
    for k, x in enumerate(arrays):
        if x.shape != arrays[0].shape:
            raise ValueError(f"embeddings[{k}]: expected shape {arrays[0].shape} like embeddings[0], got {x.shape}")
        norms = np.linalg.norm(x, axis=1, keepdims=True)
        if np.any(norms == 0):
            raise ValueError(f"embeddings[{k}]: a row is zero and has no direction")
        units.append(x / norms)
    out = []
    for y in units:
        u, _, vt = np.linalg.svd(y.T @ units[0], full_matrices=False)
        out.append(y @ (u @ vt))
    return out


def joint_layout(embeddings_by_beta: Mapping[float, object], method: str = "umap", *, seed: int = 0) -> dict[float, np.ndarray]:
    """One 2-D frame for the models trained at every beta: embeddings ``(N, E)`` aligned by
    :func:`align_embeddings`, then ONE reduction (:func:`reduce_2d`) fitted on all of them
    stacked, so that a point of the slider's frames can be followed from beta to beta.

    Returns beta → ``(N, 2)``, sorted by beta.
    """
    embeddings = _by_beta("embeddings_by_beta", embeddings_by_beta, ndim=2)
    betas = list(embeddings)
    aligned = align_embeddings([embeddings[b] for b in betas])
    flat = reduce_2d(np.concatenate(aligned), method, seed=seed)
    return dict(zip(betas, np.split(flat, len(betas))))


def _labels(labels, n: int, class_names: Sequence[str]) -> np.ndarray:
    lab = _array("labels", labels, ndim=1)
    if lab.shape != (n,):
        raise ValueError(f"labels: expected shape ({n},) to match the coordinates, got {lab.shape}")
    if not np.array_equal(lab, np.round(lab)):
        raise ValueError("labels: expected integer class indices")
    lab = lab.astype(int)
    k = len(class_names)
    if lab.size and (lab.min() < 0 or lab.max() >= k):
        raise ValueError(f"labels: expected values in [0, {k}) for {k} class_names, got [{lab.min()}, {lab.max()}]")
    return lab


def _coords(coords_by_beta: Mapping[float, object]) -> tuple[dict[float, np.ndarray], int]:
    coords = _by_beta("coords_by_beta", coords_by_beta, ndim=2)
    n = next(iter(coords.values())).shape[0]
    for beta, c in coords.items():
        if c.shape != (n, 2):
            raise ValueError(f"coords_by_beta[{beta!r}]: expected shape ({n}, 2), got {c.shape}")
    return coords, n


def _square_axes(fig: go.Figure, coords: Mapping[float, np.ndarray], height: int) -> None:
    """Both axes over the same span (one frame for every slider position), but not pinned to one
    scale: with ``scaleanchor`` a phone's narrow plot forces the y range to the width and the
    points shrink into a band with empty space above and below. The plot area's shape follows
    the screen (about square at a desktop's column width)."""
    ranges = _cube_ranges(np.concatenate(list(coords.values())), margin=0.1)
    fig.update_layout(
        xaxis=dict(title="2-D map, axis 1 (a.u.)", range=ranges[0], autorange=False),
        yaxis=dict(title="2-D map, axis 2 (a.u.)", range=ranges[1], autorange=False),
        height=height,
    )


def legend_name(class_name: str) -> str:
    """A class name short enough for a two-column legend on a phone (the hover keeps the full
    name): UTD-MHAD's circle classes end in "_counter_clockwise" / "_clockwise". Prose that names a
    class of a figure uses this name too."""
    return class_name.replace("_counter_clockwise", "_ccw").replace("_clockwise", "_cw")


#: Marker size of the class map's points (px); the legend keeps its own, constant size.
CLASS_MARKER_PX = 7


def latent_space_figure(
    coords_by_beta: Mapping[float, object],
    labels,
    class_names: Sequence[str],
    *,
    start: int = 0,
    slider_prefix: str = "β = ",
    title: str = "Embeddings at each beta",
) -> go.Figure:
    """2-D embeddings of the models pre-trained at each beta, by class, switched by a beta slider.

    Args:
        coords_by_beta: beta → ``(N, 2)`` coordinates of the same N samples in one frame
            (:func:`joint_layout`).
        labels: ``(N,)`` class index per sample, in ``[0, len(class_names))``.
        class_names: ``K`` class names (legend and hover).
        start: index into the betas of the model the figure opens at (default the first).
        slider_prefix: the text before the slider's current beta value.
        title: figure title.

    Returns:
        One trace per class, with the colour and symbol of :func:`~mmhar_lite.viz.class_style` (no
        two classes share both), fixed across frames; one frame per beta; the slider shows "β = x".
    """
    coords, n = _coords(coords_by_beta)
    betas = list(coords)
    lab = _labels(labels, n, class_names)
    present = sorted(set(lab.tolist()))
    hover = np.array([f"{class_names[c]}<br>sample {i}" for i, c in enumerate(lab)], dtype=object)

    def traces(beta: float) -> list:
        xy = coords[beta]
        out = []
        for c in present:
            mask = lab == c
            colour, symbol = class_style(c)
            out.append(go.Scatter(
                x=xy[mask, 0], y=xy[mask, 1], mode="markers", name=legend_name(class_names[c]),
                text=hover[mask], hovertemplate="%{text}<extra></extra>",
                # small enough that a phone's 300 px plot shows the clusters, not a carpet of markers
                marker=dict(color=colour, symbol=symbol, size=CLASS_MARKER_PX, opacity=0.8,
                            line=dict(width=0.5, color="white")),
            ))
        return out

    names = [f"beta={_beta_label(b)}" for b in betas]
    if not -len(betas) <= start < len(betas):
        raise ValueError(f"start: expected an index into the {len(betas)} betas, got {start}")
    start %= len(betas)
    fig = go.Figure(data=traces(betas[start]),
                    frames=[go.Frame(data=traces(b), name=nm) for b, nm in zip(betas, names)])
    _square_axes(fig, coords, height=1000)
    fig.update_layout(
        title=title,
        # the slider's value label 20 px further down than the shared default, clear of the
        # x-axis title (on a phone the two otherwise read as one line of text)
        sliders=[{**_slider([_beta_label(b) for b in betas], names, prefix=slider_prefix, active=start),
                  "pad": dict(t=60)}],
        # two columns at the bottom of the figure (not beside the plot, which would take a narrow
        # screen's width; not relative to the plot, whose height follows the screen's width).
        # One trace per class and no legend groups: grouped entries are laid out one per row with
        # gaps, and plotly then squeezes the legend into a scroll box (maxheight: never).
        legend=dict(orientation="h", x=0, y=0, yref="container", yanchor="bottom", itemsizing="constant",
                    entrywidth=0.5, entrywidthmode="fraction", font=dict(size=10), maxheight=1.0),
        margin=dict(l=50, r=10, t=60, b=440),
    )
    return fig


#: Height of one legend row of :func:`anchor_weights_figure` (px): an 11 px name and its gap.
_LEGEND_ROW_PX = 20
#: Open markers of the heaviest negatives of :func:`anchor_weights_figure`, heaviest first: shapes
#: that differ at a phone's marker size even where two of the points coincide.
RANK_SYMBOLS: tuple[str, ...] = ("circle-open", "triangle-up-open", "square-open", "diamond-open", "x-open")




def anchor_weights_figure(
    coords_by_beta: Mapping[float, object],
    labels,
    class_names: Sequence[str],
    weights_by_anchor: Mapping[int, Mapping[float, object]],
    *,
    top_k: int = 3,
    floor: float = 1e-3,
    start: int = -1,
    slider_prefix: str = "β = ",
    title: str | None = None,
) -> go.Figure:
    """The weight q_beta that one IMU anchor gives each skeleton negative, coloured on a log scale.

    Args:
        coords_by_beta: beta → ``(N, 2)`` coordinates of the N plotted (skeleton) embeddings of
            the model trained at that beta, in one frame (:func:`joint_layout`).
        labels: ``(N,)`` class per sample.
        class_names: ``K`` names.
        weights_by_anchor: anchor row → {beta → ``(N,)`` weights of that anchor's negatives
            under that model (:meth:`~mmhar_lite.viz_weights.AnchorWeights.per_point`: sum 1, 0 at
            the anchor's own row, its positive)}; every anchor needs the betas of ``coords_by_beta``.
        top_k: the ``top_k`` heaviest negatives are marked (one open shape per rank,
            :data:`RANK_SYMBOLS`) and named by class in the legend, at most
            ``len(RANK_SYMBOLS)``.
        floor: colours are ``log10(q M)`` (weight relative to the uniform ``1/M``), clipped below
            at ``log10(floor)``.
        start: index into the betas of the model the figure opens at; by default the last (the
            largest beta of a sweep: at beta = 0 every weight is uniform, one colour).
        slider_prefix: the text before the slider's current beta value (each step is another
            model, which the notebook may say here).
        title: figure title (plotly's HTML); ``None``: "One anchor's weights q_β", with β as a
            subscript.

    Returns:
        Per anchor ``4 + top_k`` traces (negatives coloured by weight, one shared colour bar;
        their legend key, drawn as the negatives' markers at the uniform weight; a ring on each
        negative of the anchor's class; the positive as a star; then one trace per rank, the
        k-th heaviest negative's shape, named "heaviest k: class" in the legend and left out of
        it where all weights are equal), one frame per beta with the data of every anchor, a beta slider and, with
        more than one anchor, a dropdown that shows one anchor's traces at a time.
    """
    if title is None:
        title = "One anchor's weights q<sub>β</sub>"
    coords, n = _coords(coords_by_beta)
    betas = list(coords)
    lab = _labels(labels, n, class_names)
    if not isinstance(weights_by_anchor, Mapping) or not weights_by_anchor:
        raise ValueError("weights_by_anchor: expected a non-empty dict {anchor: {beta: weights}}")
    if not 0 < floor < 1 or not 0 <= top_k <= len(RANK_SYMBOLS):
        raise ValueError(f"floor must be in (0, 1) and 0 <= top_k <= {len(RANK_SYMBOLS)}, "
                         f"got floor={floor}, top_k={top_k}")
    anchors = list(weights_by_anchor)
    weights: dict[int, dict[float, np.ndarray]] = {}
    for a in anchors:
        if not 0 <= int(a) < n:
            raise ValueError(f"weights_by_anchor: anchor {a} outside [0, {n})")
        w = _by_beta(f"weights_by_anchor[{a}]", weights_by_anchor[a], ndim=1)
        if list(w) != betas:
            raise ValueError(f"weights_by_anchor[{a}]: expected betas {betas} like coords_by_beta, got {list(w)}")
        for beta, q in w.items():
            if q.shape != (n,) or np.any(q < 0) or not np.isclose(q.sum(), 1.0):
                raise ValueError(f"weights_by_anchor[{a}][{beta!r}]: expected ({n},) non-negative weights summing to 1")
        weights[int(a)] = w
    lo = math.log10(floor)
    relative = {a: {b: np.log10(np.maximum(q * (n - 1), floor)) for b, q in w.items()} for a, w in weights.items()}
    # symmetric around the uniform weight (white): red above 1/M, blue below, as far as the data reach
    reach = max(0.5, max(float(np.abs(r[np.arange(n) != a]).max()) for a, w in relative.items() for r in w.values()))
    hover = np.array([f"{class_names[c]}<br>sample {i}" for i, c in enumerate(lab)], dtype=object)

    def traces(a: int, beta: float) -> list:
        xy, q, rel = coords[beta], weights[a][beta], relative[a][beta]
        negative = np.arange(n) != a
        same = negative & (lab == lab[a])
        # with equal weights (beta = 0) no negative is heavier than another: name none
        heavy = np.argsort(-q, kind="stable")[:top_k] if np.ptp(q[negative]) > 1e-9 * q.max() else np.array([], int)
        return [
            go.Scatter(
                x=xy[negative, 0], y=xy[negative, 1], mode="markers", name="negatives", text=hover[negative],
                showlegend=False,  # a colour-scaled trace's legend symbol is not its markers: the key below is
                customdata=np.stack([q[negative], q[negative] * (n - 1)], axis=1),
                hovertemplate="%{text}<br>q = %{customdata[0]:.3g} (%{customdata[1]:.3g} x uniform)<extra></extra>",
                marker=dict(color=rel[negative], coloraxis="coloraxis", size=8, line=dict(width=0.5, color=_GREY)),
            ),
            go.Scatter(  # legend key only (draws nothing): the negatives' marker at the uniform weight (white)
                x=[None], y=[None], mode="markers", name="negatives (colour: weight)", hoverinfo="skip",
                marker=dict(color="#ffffff", size=8, line=dict(width=0.5, color=_GREY)),
            ),
            go.Scatter(
                x=xy[same, 0], y=xy[same, 1], mode="markers", name=f"same class as the anchor:<br>{legend_name(class_names[lab[a]])}",
                hoverinfo="skip", marker=dict(symbol="circle-open", size=14, color=PALETTE[2], line=dict(width=2)),
            ),
            go.Scatter(
                x=xy[[a], 0], y=xy[[a], 1], mode="markers", name="the anchor's own skeleton (positive)",
                text=[f"positive: {class_names[lab[a]]}<br>sample {a}"], hovertemplate="%{text}<extra></extra>",
                marker=dict(symbol="star", size=18, color="#000000", line=dict(width=1.5, color="white")),
            ),
        ] + [
            # the names go in the legend, one shape per rank: names drawn on the map lay on other
            # negatives, and the heaviest often coincide there (a reader found both in a column of
            # names beside them); the shapes still tell two coinciding ones apart
            go.Scatter(
                x=xy[heavy[r:r + 1], 0] if r < len(heavy) else [None],
                y=xy[heavy[r:r + 1], 1] if r < len(heavy) else [None],
                mode="markers", showlegend=r < len(heavy), legendgroup="heaviest",
                legendgrouptitle=dict(text="the heaviest negatives, by rank:"),
                name=f"{r + 1}: {legend_name(class_names[lab[heavy[r]]])}" if r < len(heavy) else f"{r + 1}",
                hovertemplate=f"heaviest negative {r + 1}<extra></extra>",
                marker=dict(symbol=RANK_SYMBOLS[r], size=17, color="#000000", line=dict(width=1.5)),
            )
            for r in range(top_k)
        ]

    per_anchor = 4 + top_k
    names = [f"beta={_beta_label(b)}" for b in betas]
    if not -len(betas) <= start < len(betas):
        raise ValueError(f"start: expected an index into the {len(betas)} betas, got {start}")
    start %= len(betas)
    data = [t for a in anchors for t in traces(a, betas[start])]
    for k, trace in enumerate(data):
        trace.visible = k // per_anchor == 0  # the menu shows one anchor at a time
    fig = go.Figure(data=data, frames=[go.Frame(data=[t for a in anchors for t in traces(a, b)], name=nm)
                                       for b, nm in zip(betas, names)])
    # the legend lists one entry per row (a phone's width holds one long class name per row, and
    # one column at every width leaves no blank band that changes with the screen), right under
    # the colour bar: 3 entries, the class name of the ring's on a second row, the title of the
    # heaviest negatives and their top_k names, a group gap; the plot area stays 520 px high
    legend_px = _LEGEND_ROW_PX * (5 + top_k) + 30
    height = 820 + legend_px
    _square_axes(fig, coords, height=height)
    step = 1.0 if reach >= 2 else 0.5
    ticks = [k * step for k in range(-int(reach / step), int(reach / step) + 1)]
    fig.update_layout(
        title=title,
        coloraxis=dict(
            cmin=-reach, cmax=reach, cmid=0.0, colorscale="RdBu_r",
            colorbar=dict(title=dict(text="weight q<sub>β</sub> relative to uniform 1/M (log scale)", side="bottom"),
                          tickvals=ticks,
                          ticktext=[("<= " if t <= lo else "") + f"{10.0 ** t:.2g}" for t in ticks],
                          # just above the legend: higher, it left a blank band between the two
                          orientation="h", x=0.5, xanchor="center", y=(legend_px + 4) / height, yref="container",
                          yanchor="bottom",
                          len=0.9, thickness=12),
        ),
        # the slider's value label 20 px further down than the shared default, clear of the
        # x-axis title (on a phone the two otherwise read as one line of text)
        sliders=[{**_slider([_beta_label(b) for b in betas], names, prefix=slider_prefix, active=start),
                  "pad": dict(t=60)}],
        legend=dict(orientation="h", x=0, y=legend_px / height, yref="container", yanchor="top",
                    font=dict(size=11), entrywidth=1.0, entrywidthmode="fraction", itemsizing="constant"),
        margin=dict(l=60, r=15, t=100, b=200 + legend_px),
    )
    if len(anchors) > 1:
        buttons = [dict(label=f"anchor {a}: {legend_name(class_names[lab[a]])}", method="restyle",
                        args=[{"visible": [k // per_anchor == j for k in range(len(data))]}])
                   for j, a in enumerate(anchors)]
        fig.update_layout(updatemenus=[dict(type="dropdown", buttons=buttons, x=0, xanchor="left", y=1.0,
                                            yanchor="bottom", pad=dict(b=6), showactive=True)],
                          margin=dict(t=110))
    return fig
