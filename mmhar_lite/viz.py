"""Plotly figures for the book: signals, augmentations, hard-negative weights, latent spaces, results.

Every public function is pure: it takes numpy arrays (or plain records) and returns a
``plotly.graph_objects.Figure``. Interactivity uses only plotly frames plus layout sliders and
play buttons, so each figure keeps working in a static HTML page with no kernel (no
``FigureWidget``, whose JavaScript comes from a CDN at run time). Bad input raises ``ValueError`` naming the argument.

Shape letters: J joints, D coordinate dims (3 for Kinect, 2 for COCO pixels), T time steps,
C IMU channels, N points, F feature size, M negatives of one anchor, K classes.
Result figures take the summary rows of ``experiments.summarize`` (viz sits below experiments
and does not import it).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from mmhar_lite.book import MIN_SEEDS_FOR_CI  # one rule for the prose and the figures: no interval below it
from mmhar_lite.data import COCO17_JOINTS, KINECT_V1_JOINTS, SKELETON_EDGES

__all__ = [
    "PALETTE",
    "SYMBOLS",
    "CLASS_PALETTE",
    "CLASS_SYMBOLS",
    "KINECT_V1",
    "COCO17",
    "SkeletonLayout",
    "AnchorWeights",
    "class_style",
    "skeleton_layout_for",
    "skeleton_animation",
    "imu_traces",
    "augmentation_gallery",
    "anchor_negative_weights",
    "negative_weights_figure",
    "reduce_2d",
    "align_embeddings",
    "joint_layout",
    "latent_space_figure",
    "anchor_weights_figure",
    "loss_curves",
    "coinciding_curves",
    "monitor_curves",
    "results_bar",
    "beta_sweep_figure",
    "limited_labels_figure",
    "confusion_matrix_figure",
    "regimes_figure",
]

# Okabe & Ito (2008): distinguishable under the common colour-vision deficiencies.
PALETTE: tuple[str, ...] = (
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
)
# With more classes than colours (UTD-MHAD has 27) the marker symbol carries the rest, so
# classes stay distinct without relying on hue alone.
SYMBOLS: tuple[str, ...] = ("circle", "square", "diamond", "triangle-up", "cross", "x")
# Classes: nine colours at least 40 CIELAB units apart (Okabe & Ito's eight have two pairs
# within 35: blue / sky blue, orange / vermillion) times three outlines that differ at a phone's
# marker size (circle, square and diamond do not), so 27 classes never repeat a style and two
# classes of one symbol never have similar colours.
CLASS_PALETTE: tuple[str, ...] = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#7b3294", "#8c564b", "#000000", "#17becf", "#f781bf",
)
CLASS_SYMBOLS: tuple[str, ...] = ("circle", "triangle-up", "x")
# Line styles of the methods of one figure: two methods with equal means stay visible as two lines.
DASHES: tuple[str, ...] = ("solid", "dash", "dot", "dashdot")
_GREY = "#8c8c8c"


def class_style(k: int) -> tuple[str, str]:
    """Colour and marker symbol of class ``k`` (same in every figure of the book)."""
    return CLASS_PALETTE[k % len(CLASS_PALETTE)], CLASS_SYMBOLS[(k // len(CLASS_PALETTE)) % len(CLASS_SYMBOLS)]


# --------------------------------------------------------------------------------------------
# input validation


def _array(name: str, x, *, ndim: int | tuple[int, ...], finite: bool = True) -> np.ndarray:
    """``x`` as a float64 array of the given rank, else ValueError naming ``name``."""
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: expected a numeric array, got {type(x).__name__}") from exc
    ranks = (ndim,) if isinstance(ndim, int) else ndim
    if arr.ndim not in ranks:
        raise ValueError(f"{name}: expected {' or '.join(map(str, ranks))} dimensions, got shape {arr.shape}")
    if finite and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: contains NaN or infinite values")
    return arr


def _by_beta(name: str, mapping: Mapping[float, object], *, ndim: int) -> dict[float, np.ndarray]:
    """A non-empty {beta: array} dict sorted by beta, each array validated."""
    if not isinstance(mapping, Mapping) or len(mapping) == 0:
        raise ValueError(f"{name}: expected a non-empty dict {{beta: array}}, got {mapping!r:.80}")
    out = {}
    for beta in sorted(mapping):
        if not np.isfinite(float(beta)) or float(beta) < 0:
            raise ValueError(f"{name}: beta must be a finite number >= 0, got {beta!r}")
        out[float(beta)] = _array(f"{name}[{beta!r}]", mapping[beta], ndim=ndim)
    return out


def _beta_label(beta: float) -> str:
    return f"{beta:g}"


def _slider(labels: Sequence[str], frame_names: Sequence[str], *, prefix: str, duration: int = 0,
            x: float = 0.0, active: int = 0) -> dict:
    """A layout slider whose step k shows frame ``frame_names[k]``, from ``x`` to the right edge,
    standing at step ``active`` (the figure's own data must be that frame's)."""
    steps = [
        dict(
            method="animate",
            label=label,
            args=[[frame], dict(mode="immediate", frame=dict(duration=duration, redraw=True),
                                transition=dict(duration=0))],
        )
        for label, frame in zip(labels, frame_names)
    ]
    return dict(active=active, steps=steps, currentvalue=dict(prefix=prefix), pad=dict(t=40),
                x=x, len=1.0 - x, xanchor="left")


#: Where a slider starts when Play / Pause buttons sit on its left (stacked, so they never overlap it).
_SLIDER_AFTER_BUTTONS = 0.14


def _play_buttons(frame_ms: int) -> dict:
    return dict(
        type="buttons", direction="down", x=_SLIDER_AFTER_BUTTONS, y=0.0, xanchor="right", yanchor="top",
        pad=dict(t=40, r=10), showactive=False,
        buttons=[
            dict(label="Play", method="animate",
                 args=[None, dict(frame=dict(duration=frame_ms, redraw=True), fromcurrent=True,
                                  transition=dict(duration=0), mode="immediate")]),
            dict(label="Pause", method="animate",
                 args=[[None], dict(frame=dict(duration=0, redraw=False), mode="immediate",
                                    transition=dict(duration=0))]),
        ],
    )


# --------------------------------------------------------------------------------------------
# skeletons


@dataclass(frozen=True)
class SkeletonLayout:
    """Joint names and bones of a skeleton format; ``left``/``right`` colour the limbs."""

    name: str
    joint_names: tuple[str, ...]
    edges: tuple[tuple[int, int], ...]
    left: frozenset[int]
    right: frozenset[int]


def _layout_from_data(name: str, joint_names: Sequence[str]) -> SkeletonLayout:
    """A layout from the data layer's joint names and edges; sides read off the joint names."""
    return SkeletonLayout(
        name=name,
        joint_names=tuple(joint_names),
        edges=tuple(tuple(edge) for edge in SKELETON_EDGES[name]),
        left=frozenset(j for j, n in enumerate(joint_names) if n.startswith("left_")),
        right=frozenset(j for j, n in enumerate(joint_names) if n.startswith("right_")),
    )


KINECT_V1 = _layout_from_data("kinect_v1", KINECT_V1_JOINTS)
COCO17 = _layout_from_data("coco17", COCO17_JOINTS)
_LAYOUTS = {layout.name: layout for layout in (KINECT_V1, COCO17)}


def skeleton_layout_for(layout: str | int | SkeletonLayout) -> SkeletonLayout:
    """Resolve a layout given by name ("kinect_v1", "coco17"), joint count (20, 17) or object."""
    if isinstance(layout, SkeletonLayout):
        return layout
    if isinstance(layout, str):
        if layout not in _LAYOUTS:
            raise ValueError(f"layout: expected one of {sorted(_LAYOUTS)}, got {layout!r}")
        return _LAYOUTS[layout]
    by_joints = {len(lay.joint_names): lay for lay in _LAYOUTS.values()}
    if int(layout) not in by_joints:
        raise ValueError(
            f"layout: no known skeleton layout has {layout} joints (known: "
            f"{ {k: v.name for k, v in by_joints.items()} }); pass a SkeletonLayout"
        )
    return by_joints[int(layout)]


def _check_skeleton(name: str, skeleton, layout: SkeletonLayout) -> np.ndarray:
    sk = _array(name, skeleton, ndim=3)
    if sk.shape[0] != len(layout.joint_names) or sk.shape[1] not in (2, 3):
        raise ValueError(
            f"{name}: expected shape (J={len(layout.joint_names)}, D=2|3, T) for layout "
            f"{layout.name!r}, got {sk.shape}"
        )
    return sk


def _bone_groups(layout: SkeletonLayout) -> list[tuple[str, str, list[tuple[int, int]]]]:
    """Bones split into (name, colour, edges) groups: trunk, left limbs, right limbs."""
    groups = {"trunk": [], "left": [], "right": []}
    for i, j in layout.edges:
        side = "left" if {i, j} <= layout.left else "right" if {i, j} <= layout.right else "trunk"
        groups[side].append((i, j))
    colours = {"trunk": "#000000", "left": PALETTE[0], "right": PALETTE[5]}
    return [(side, colours[side], edges) for side, edges in groups.items() if edges]


def _bone_xyz(frame: np.ndarray, edges: Sequence[tuple[int, int]]) -> list[list[float | None]]:
    """Per axis, the bone end points of one (J, D) frame separated by None (one line trace)."""
    coords: list[list[float | None]] = [[] for _ in range(frame.shape[1])]
    for i, j in edges:
        for d in range(frame.shape[1]):
            coords[d].extend([float(frame[i, d]), float(frame[j, d]), None])
    return coords


#: Legend names of the bone groups: "left" alone leaves open whose left (the viewer's or the subject's).
_SIDE_LABELS = {"left": "subject's left limbs", "right": "subject's right limbs"}


def _skeleton_traces(frame: np.ndarray, layout: SkeletonLayout, *, colour: str | None = None,
                     name: str = "", opacity: float = 1.0, showlegend: bool = True) -> list:
    """Traces (bones per group, then joints) drawing one (J, D) frame in 2-D or 3-D."""
    three_d = frame.shape[1] == 3
    line_cls = go.Scatter3d if three_d else go.Scatter
    traces = []
    for side, side_colour, edges in _bone_groups(layout):
        xyz = _bone_xyz(frame, edges)
        kw = dict(z=xyz[2]) if three_d else {}
        label = _SIDE_LABELS.get(side, side)
        traces.append(line_cls(
            x=xyz[0], y=xyz[1], **kw, mode="lines", name=f"{name} {label}".strip(), opacity=opacity,
            legendgroup=f"{name} {side}".strip() if colour is None else name or None,
            line=dict(color=colour or side_colour, width=6 if three_d else 3),
            hoverinfo="skip", showlegend=showlegend,
        ))
    kw = dict(z=frame[:, 2]) if three_d else {}
    traces.append(line_cls(
        x=frame[:, 0], y=frame[:, 1], **kw, mode="markers", name=f"{name} joints".strip(),
        opacity=opacity, marker=dict(size=4 if three_d else 6, color=colour or "#000000"),
        legendgroup=name or None,
        text=list(layout.joint_names), hovertemplate="%{text}<extra></extra>", showlegend=showlegend,
    ))
    return traces


def _cube_ranges(points: np.ndarray, margin: float = 0.05) -> list[list[float]]:
    """Axis ranges of equal span around ``points`` (P, D), so one unit is equally long on each axis."""
    lo, hi = points.min(axis=0), points.max(axis=0)
    half = 0.5 * float(np.max(hi - lo)) * (1 + margin) or 1.0
    centre = 0.5 * (lo + hi)
    return [[float(c - half), float(c + half)] for c in centre]


def skeleton_animation(
    skeleton,
    layout: str | int | SkeletonLayout | None = None,
    *,
    title: str = "Skeleton",
    rate_hz: float | None = None,
    units: str | None = None,
    frame_ms: int = 40,
) -> go.Figure:
    """Animated skeleton with a play button and a frame slider.

    Args:
        skeleton: ``(J, D, T)`` joint positions, the ``Sample.skeleton`` layout (for a row of
            ``ArrayData.skeleton``, ``(D, T, J)``, pass ``x.transpose(2, 0, 1)``). ``D = 3``:
            Kinect camera space in metres (x, y up, z depth away from the sensor), drawn in 3-D
            seen from the sensor; ``D = 2``: image pixels (y down), drawn in 2-D.
        layout: skeleton layout name, joint count or :class:`SkeletonLayout`; default inferred
            from ``J`` (20 Kinect v1, 17 COCO).
        title: figure title.
        rate_hz: frame rate; when given the slider shows seconds instead of frame indices.
        units: axis unit; default "m" for 3-D, "px" for 2-D.
        frame_ms: milliseconds per frame when playing.

    Returns:
        Figure with one frame per time step; the subject's left limbs blue, right limbs vermilion
        (3-D: seen from the camera, so the subject's right is on the viewer's left).
    """
    sk_raw = _array("skeleton", skeleton, ndim=3)
    lay = skeleton_layout_for(sk_raw.shape[0] if layout is None else layout)
    sk = _check_skeleton("skeleton", sk_raw, lay)
    if rate_hz is not None and not rate_hz > 0:
        raise ValueError(f"rate_hz: expected a positive frame rate, got {rate_hz!r}")
    n_joints, dims, n_frames = sk.shape
    unit = units or ("m" if dims == 3 else "px")
    frames_jd = np.transpose(sk, (2, 0, 1))  # (T, J, D)
    names = [str(t) for t in range(n_frames)]
    labels = [f"{t / rate_hz:.2f}" for t in range(n_frames)] if rate_hz else names
    fig = go.Figure(
        data=_skeleton_traces(frames_jd[0], lay),
        frames=[go.Frame(data=_skeleton_traces(f, lay), name=n) for f, n in zip(frames_jd, names)],
    )
    ranges = _cube_ranges(frames_jd.reshape(-1, dims))
    if dims == 3:
        fig.update_layout(scene=dict(
            xaxis=dict(title=f"x ({unit})", range=ranges[0], autorange=False),
            yaxis=dict(title=f"y, up ({unit})", range=ranges[1], autorange=False),
            zaxis=dict(title=f"z, depth ({unit})", range=ranges[2], autorange=False),
            aspectmode="cube",
            # Kinect: y is up and the sensor looks along +z, so view from slightly in front of
            # the sensor (negative z) to see the subject as the camera did.
            # (far enough that the axis titles stay inside the figure)
            camera=dict(up=dict(x=0, y=1, z=0), eye=dict(x=0.8, y=0.65, z=-2.2)),
        ), height=680, margin=dict(l=10, r=10, t=60, b=40))
    else:
        fig.update_layout(
            xaxis=dict(title=f"x ({unit})", range=ranges[0], autorange=False),
            # image rows grow downwards; equal aspect so limbs keep their lengths
            yaxis=dict(title=f"y ({unit})", range=ranges[1][::-1], autorange=False,
                       scaleanchor="x", scaleratio=1),
        )
    fig.update_layout(
        title=title,
        updatemenus=[_play_buttons(frame_ms)],
        sliders=[_slider(labels, names, prefix="t (s) = " if rate_hz else "frame = ",
                         x=_SLIDER_AFTER_BUTTONS)],
        legend=dict(itemclick=False, itemdoubleclick=False),
    )
    return fig


# --------------------------------------------------------------------------------------------
# IMU


# Units by sensor keyword; UTD-MHAD: acc in g, gyro in deg/s (the UTD-MHAD release's README). MMAct's
# CSVs carry no units, so pass ``units`` for data whose units differ.
_IMU_UNITS = {"acc": "g", "gyro": "deg/s", "ori": "deg"}


def _imu_array(name: str, imu, layout: str) -> np.ndarray:
    """``imu`` as (T, C) float64 from a ``layout`` "TC" or "CT" array."""
    if layout not in ("TC", "CT"):
        raise ValueError(f"layout: expected 'TC' (time, channels) or 'CT', got {layout!r}")
    arr = _array(name, imu, ndim=2)
    return arr if layout == "TC" else arr.T


def _imu_groups(channel_names: Sequence[str]) -> list[tuple[str, list[int]]]:
    """Channels grouped by sensor: the name without its trailing axis ("acc_x" -> "acc")."""
    groups: dict[str, list[int]] = {}
    for c, ch in enumerate(channel_names):
        stem, sep, axis = ch.rpartition("_")
        key = stem if sep and axis.lower() in ("x", "y", "z") else ch
        groups.setdefault(key, []).append(c)
    return list(groups.items())


_AXIS_DASH = ("solid", "dash", "dot", "dashdot")


def _channel_style(names: Sequence[str], c: int, k: int, group_index: int) -> tuple[str, str, str]:
    """(legend name, colour, dash) of channel ``c``, the ``k``-th of its sensor group.

    An ``_x/_y/_z`` channel is drawn in its axis's colour in every sensor and named "sensor x"
    (one legend entry per axis, the subplot says the sensor; "sensor" tells it from the plot's
    time axis); any other channel gets its own name, and a dash per sensor group, so that no
    two legend entries look alike.
    """
    axis = names[c].rpartition("_")[2].lower()
    if axis in ("x", "y", "z") and "_" in names[c]:
        return f"sensor {axis}", PALETTE["xyz".index(axis)], "solid"
    return names[c], PALETTE[k % len(PALETTE)], _AXIS_DASH[group_index % len(_AXIS_DASH)]


def _default_channels(n: int) -> list[str]:
    if n % 3:
        return [f"ch{c}" for c in range(n)]
    return [f"sensor{g}_{a}" for g in range(n // 3) for a in "xyz"]


def _unit_for(group: str, units: Mapping[str, str] | None) -> str:
    if units and group in units:
        return units[group]
    for key, unit in _IMU_UNITS.items():
        if key in group.lower():
            return unit
    return "a.u."


def _imu_channel_names(name: str, channel_names: Sequence[str] | None, n: int) -> list[str]:
    names = list(channel_names) if channel_names is not None else _default_channels(n)
    if len(names) != n:
        raise ValueError(f"{name}: {len(names)} channel names for {n} channels")
    return names


def imu_traces(
    imu,
    channel_names: Sequence[str] | None = None,
    *,
    rate_hz: float = 50.0,
    layout: str = "TC",
    units: Mapping[str, str] | None = None,
    title: str = "IMU",
) -> go.Figure:
    """IMU channels against time, one subplot per sensor (acc, gyro, ...).

    Args:
        imu: ``(T, C)`` when ``layout="TC"`` (``Sample.imu``) or ``(C, T)`` when ``layout="CT"``
            (a row of ``ArrayData.imu``).
        layout: ``"TC"`` or ``"CT"``, the axis order of ``imu``.
        channel_names: ``C`` names such as ``"acc_x"``; channels sharing a stem before the last
            ``_x/_y/_z`` share a subplot. Default: ``sensor<k>_<axis>`` triplets.
        rate_hz: sampling rate of the time axis (UTD-MHAD: 50 Hz).
        units: unit per sensor stem, e.g. ``{"acc_phone": "m/s²"}``; default by keyword
            (acc: g, gyro: deg/s, ori: deg, else a.u.).
        title: figure title.
    """
    x = _imu_array("imu", imu, layout)
    if not rate_hz > 0:
        raise ValueError(f"rate_hz: expected a positive sampling rate, got {rate_hz!r}")
    names = _imu_channel_names("channel_names", channel_names, x.shape[1])
    groups = _imu_groups(names)
    t = np.arange(x.shape[0]) / rate_hz
    fig = make_subplots(rows=len(groups), cols=1, shared_xaxes=True, vertical_spacing=0.06,
                        subplot_titles=[g for g, _ in groups])
    named: set[str] = set()
    for row, (group, chans) in enumerate(groups, start=1):
        for k, c in enumerate(chans):
            legend, colour, dash = _channel_style(names, c, k, row - 1)
            fig.add_trace(go.Scatter(
                x=t, y=x[:, c], mode="lines", name=legend, legendgroup=legend,
                showlegend=legend not in named, line=dict(color=colour, width=1.5, dash=dash),
                hovertemplate=f"{names[c]}<br>t=%{{x:.2f}} s<br>%{{y:.3g}}<extra></extra>",
            ), row=row, col=1)
            named.add(legend)
        # plotly rounds range / nticks UP to 1, 2 or 5 x 10^n: 6 still gave a 1200 deg/s
        # gyroscope range a 500 step (two ticks); 8 gives it 200
        fig.update_yaxes(title_text=_unit_for(group, units), nticks=8, row=row, col=1)
    fig.update_xaxes(title_text="time (s)", row=len(groups), col=1)
    # the legend in one row under the figure: on the right it takes a phone's plot width
    # r=20: nothing is drawn right of the plot, and plotly's default 80 px is a quarter of a phone
    fig.update_layout(title=title, height=220 * len(groups) + 140, hovermode="x unified",
                      margin=dict(b=100, r=20), legend=dict(orientation="h", x=0, xanchor="left", y=0,
                                                      yanchor="bottom", yref="container"))
    return fig


# --------------------------------------------------------------------------------------------
# augmentation gallery


def augmentation_gallery(
    original,
    augmented: Mapping[str, object],
    *,
    kind: str,
    channel_names: Sequence[str] | None = None,
    layout: str = "TC",
    skeleton_layout: str | int | SkeletonLayout | None = None,
    frame: int | None = None,
    rate_hz: float = 50.0,
    units: Mapping[str, str] | None = None,
    coordinate_unit: str | None = None,
    title: str = "Augmentations",
) -> go.Figure:
    """Small multiples: each augmentation of one recording drawn over the original (grey).

    Args:
        original: ``kind="imu"``: ``(T, C)`` or ``(C, T)`` per ``layout``; ``kind="skeleton"``:
            ``(J, D, T)`` as in :func:`skeleton_animation`.
        augmented: augmentation name -> array shaped like ``original`` (``T`` may differ).
        kind: "imu" (one row per augmentation, one column per sensor) or "skeleton" (one panel
            per augmentation, the front view x-y of frame ``frame``).
        channel_names, layout, rate_hz, units: IMU only, as in :func:`imu_traces`.
        skeleton_layout: skeleton only, as ``layout`` in :func:`skeleton_animation`.
        frame: skeleton only; time step shown, default the middle one.
        coordinate_unit: skeleton only; unit of the coordinates for the axis titles, default
            "m" (3-D camera space) or "px" (2-D keypoints); e.g. "torso lengths" once normalised.
        title: figure title.
    """
    if kind not in ("imu", "skeleton"):
        raise ValueError(f"kind: expected 'imu' or 'skeleton', got {kind!r}")
    if not isinstance(augmented, Mapping) or not augmented:
        raise ValueError("augmented: expected a non-empty dict {name: array}")
    if kind == "imu":
        return _imu_gallery(original, augmented, channel_names, layout, rate_hz, units, title)
    return _skeleton_gallery(original, augmented, skeleton_layout, frame, coordinate_unit, title)


def _imu_gallery(original, augmented, channel_names, layout, rate_hz, units, title) -> go.Figure:
    base = _imu_array("original", original, layout)
    names = _imu_channel_names("channel_names", channel_names, base.shape[1])
    views = {k: _imu_array(f"augmented[{k!r}]", v, layout) for k, v in augmented.items()}
    for k, v in views.items():
        if v.shape[1] != base.shape[1]:
            raise ValueError(f"augmented[{k!r}]: {v.shape[1]} channels, original has {base.shape[1]}")
    groups = _imu_groups(names)
    # one panel per (augmentation, sensor), stacked: side-by-side sensor columns leave a phone
    # too little room between them for the right-hand column's axis labels
    # a horizontal title over each panel: a rotated row title on the right is small on a phone
    fig = make_subplots(
        rows=len(views) * len(groups), cols=1, shared_xaxes=True, vertical_spacing=0.035,
        subplot_titles=[f"{aug_name}: {group}" for aug_name in views for group, _ in groups],
    )
    t0 = np.arange(base.shape[0]) / rate_hz
    named: set[str] = set()
    for v, (aug_name, view) in enumerate(views.items()):
        t = np.arange(view.shape[0]) / rate_hz
        for g, (group, chans) in enumerate(groups):
            row = v * len(groups) + g + 1
            for k, c in enumerate(chans):
                legend, colour, dash = _channel_style(names, c, k, g)
                fig.add_trace(go.Scatter(
                    x=t0, y=base[:, c], mode="lines", name="original (grey, dotted)",
                    legendgroup="original", showlegend="original" not in named,
                    line=dict(color=_GREY, width=1, dash="dot"), hoverinfo="skip",
                ), row=row, col=1)
                named.add("original")
                fig.add_trace(go.Scatter(
                    x=t, y=view[:, c], mode="lines", name=legend, legendgroup=legend,
                    showlegend=legend not in named, line=dict(color=colour, width=1.5, dash=dash),
                    hovertemplate=f"{aug_name}: {names[c]}<br>t=%{{x:.2f}} s<br>%{{y:.3g}}<extra></extra>",
                ), row=row, col=1)
                named.add(legend)
            fig.update_yaxes(title_text=_unit_for(group, units), row=row, col=1)
    fig.update_xaxes(title_text="time (s)", row=len(views) * len(groups), col=1)
    # the legend between the title and the first panel, across the full width (on the right it
    # would take a phone's plot width); from 48 px down, clear of the title above and, in up to
    # three rows (a phone), of the first panel's title at the 130 px margin
    height = 150 * len(views) * len(groups) + 150
    fig.update_layout(title=dict(text=title, y=1, yref="container", yanchor="top", pad=dict(t=12)),
                      height=height, margin=dict(t=130, r=20),  # r: as in imu_traces
                      legend=dict(orientation="h", x=0, xanchor="left", y=1 - 48 / height,
                                  yanchor="top", yref="container"))
    return fig


def _skeleton_gallery(original, augmented, skeleton_layout, frame, unit, title) -> go.Figure:
    raw = _array("original", original, ndim=3)
    lay = skeleton_layout_for(raw.shape[0] if skeleton_layout is None else skeleton_layout)
    base = _check_skeleton("original", raw, lay)
    views = {k: _check_skeleton(f"augmented[{k!r}]", v, lay) for k, v in augmented.items()}
    for k, v in views.items():
        if v.shape[1] != base.shape[1]:
            raise ValueError(f"augmented[{k!r}]: D={v.shape[1]}, original has D={base.shape[1]}")
    n_frames = min([base.shape[2]] + [v.shape[2] for v in views.values()])
    t = n_frames // 2 if frame is None else frame
    if not 0 <= t < n_frames:
        raise ValueError(f"frame: expected 0 <= frame < {n_frames} (shortest sequence), got {frame}")
    pixels = base.shape[1] == 2
    unit = unit or ("px" if pixels else "m")
    cols = min(len(views), 2)  # three panels a row leave a phone ~110 px per skeleton
    rows = math.ceil(len(views) / cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=list(views),
                        horizontal_spacing=0.04, vertical_spacing=0.16 / rows)
    points = np.concatenate([base[:, :2, t]] + [v[:, :2, t] for v in views.values()])
    # each axis spans the points (a body is tall and narrow: tall panels, not squares)
    lo, hi = points.min(axis=0), points.max(axis=0)
    pad = 0.05 * float(np.max(hi - lo)) or 1.0
    x_range, y_range = [float(lo[0] - pad), float(hi[0] + pad)], [float(lo[1] - pad), float(hi[1] + pad)]
    # Camera space (x to the subject's right) is drawn as the camera sees a subject facing it:
    # x grows to the left, so the subject's right limbs are on the viewer's left. Pixels: as imaged.
    for k, (aug_name, view) in enumerate(views.items()):
        row, col = divmod(k, cols)
        # the original is one grey legend entry; the augmented view's trunk / left / right
        # bones (and its joints) are named once, from the first panel
        for i, trace in enumerate(_skeleton_traces(base[:, :2, t], lay, colour=_GREY, name="original",
                                                   opacity=0.6, showlegend=False)):
            trace.update(name="original (grey)", showlegend=k == 0 and i == 0)
            fig.add_trace(trace, row=row + 1, col=col + 1)
        for trace in _skeleton_traces(view[:, :2, t], lay, name="augmented", showlegend=k == 0):
            trace.update(name=f"augmented: {trace.name.removeprefix('augmented ')}")
            fig.add_trace(trace, row=row + 1, col=col + 1)
        axis = "" if k == 0 else str(k + 1)
        # one scale per panel and the same for all, so the augmentations compare by eye
        # ticks and titles as on shared axes: x under the lowest panel of each column, y left of
        # the first column (the ranges are the same everywhere; a phone gives a panel ~170 px)
        x_shown, y_shown = k + cols >= len(views), col == 0
        fig.update_xaxes(range=x_range if pixels else x_range[::-1], nticks=4, showticklabels=x_shown,
                         title_text=f"x ({unit})" if x_shown else None, row=row + 1, col=col + 1)
        fig.update_yaxes(range=y_range[::-1] if pixels else y_range, scaleanchor=f"x{axis}",
                         scaleratio=1, nticks=6, showticklabels=y_shown,
                         title_text=f"y ({unit})" if y_shown else None, row=row + 1, col=col + 1)
    view_name = "as imaged" if pixels else "seen from the camera"  # the legend names the subject's sides
    height = 330 * rows + 250
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    fig.update_layout(
        title=f"{title}, frame {t}, {view_name}", height=height,
        # under the bottom row's tick labels and axis title (about 60 px below the plot area)
        legend=dict(orientation="h", x=0, xanchor="left", y=-60 / (height - 100), yanchor="top"),
        margin=dict(l=10, r=10, t=90, b=10),
    )
    return fig


# --------------------------------------------------------------------------------------------
# hard-negative weights


@dataclass(frozen=True)
class AnchorWeights:
    """The hard-negative weights q_beta of one anchor's negatives, for several beta values.

    Attributes:
        anchor: row of ``a`` used as the anchor.
        indices: ``(M,)`` rows of ``b`` that are its negatives (every row but the anchor's).
        similarities: ``(M,)`` cosine similarity between the anchor and each negative.
        weights_by_beta: beta -> ``(M,)`` normalised weights (sum 1) from
            :func:`mmhar_lite.losses.hard_negative_weights`.
        n_points: number of rows of ``b`` (``B``).
    """

    anchor: int
    indices: np.ndarray
    similarities: np.ndarray
    weights_by_beta: dict[float, np.ndarray]
    n_points: int

    def per_point(self) -> dict[float, np.ndarray]:
        """beta -> ``(B,)`` weights over all rows of ``b``; 0 at the anchor's own positive."""
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
    title: str = "Hard-negative weights q<sub>β</sub> of one anchor's negatives",
    initial_beta: float | None = None,
) -> go.Figure:
    """Weight q_beta of each negative against its cosine similarity to the anchor, with a beta slider.

    Args:
        weights_by_beta: beta -> ``(M,)`` normalised weights of the anchor's ``M`` negatives.
        similarities: ``(M,)`` cosine similarity of each negative to the anchor.
        negative_labels: optional ``(M,)`` class of each negative; with ``anchor_label``,
            same-class negatives (false negatives) are drawn in a separate, highlighted trace.
        anchor_label: the anchor's class.
        class_names: optional names for hover text.
        indices: optional ``(M,)`` sample index of each negative for hover text (default 0..M-1).
        log_y: logarithmic weight axis.
        initial_beta: the beta the figure opens at (its points drawn, its slider step active),
            one of ``weights_by_beta``; default the smallest.
        title: figure title.

    Returns:
        One frame per beta (sorted); slider steps labelled with the beta values and a dashed
        line at the uniform weight ``1/M`` (beta = 0), named in a legend between the title and the plot.
    """
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
        height=height, margin=dict(t=130),
        legend=dict(orientation="h", x=0, xanchor="left", y=1 - 48 / height, yanchor="top", yref="container"),
        title=dict(text=title, y=1, yref="container", yanchor="top", pad=dict(t=12)),
        xaxis=dict(title="cosine similarity to the anchor", range=x_range),
        yaxis=dict(title="weight q<sub>β</sub> (sums to 1)", automargin=True, **yaxis),
        sliders=[_slider([_beta_label(b) for b in betas], names, prefix="β = ")],
    )
    fig.layout.sliders[0].active = betas.index(start)
    return fig


# --------------------------------------------------------------------------------------------
# latent space


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

    Returns beta -> ``(N, 2)``, sorted by beta.
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


def latent_space_figure(
    coords_by_beta: Mapping[float, object],
    labels,
    class_names: Sequence[str],
    *,
    title: str = "Embeddings at each beta",
) -> go.Figure:
    """2-D embeddings of the models pre-trained at each beta, by class, switched by a beta slider.

    Args:
        coords_by_beta: beta -> ``(N, 2)`` coordinates of the same N samples in one frame
            (:func:`joint_layout`).
        labels: ``(N,)`` class index per sample, in ``[0, len(class_names))``.
        class_names: ``K`` class names (legend and hover).
        title: figure title.

    Returns:
        One trace per class, with the colour and symbol of :func:`class_style` (no two classes
        share both), fixed across frames; one frame per beta; the slider shows "β = x".
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
                marker=dict(color=colour, symbol=symbol, size=10, opacity=0.85, line=dict(width=0.5, color="white")),
            ))
        return out

    names = [f"beta={_beta_label(b)}" for b in betas]
    fig = go.Figure(data=traces(betas[0]), frames=[go.Frame(data=traces(b), name=nm) for b, nm in zip(betas, names)])
    _square_axes(fig, coords, height=1000)
    fig.update_layout(
        title=title,
        sliders=[_slider([_beta_label(b) for b in betas], names, prefix="β = ")],
        # two columns at the bottom of the figure (not beside the plot, which would take a narrow
        # screen's width; not relative to the plot, whose height follows the screen's width).
        # One trace per class and no legend groups: grouped entries are laid out one per row with
        # gaps, and plotly then squeezes the legend into a scroll box (maxheight: never).
        legend=dict(orientation="h", x=0, y=0, yref="container", yanchor="bottom", itemsizing="constant",
                    entrywidth=0.5, entrywidthmode="fraction", font=dict(size=10), maxheight=1.0),
        margin=dict(l=60, r=15, b=420),
    )
    return fig


def _label_column(points: np.ndarray, ranges: Sequence[Sequence[float]], *, plot_h_px: float,
                  pitch_px: float = 20.0, offset: float = 0.05) -> tuple[np.ndarray, str]:
    """Where the names of a few points go: one column beside them, one name per ``pitch_px``.

    Args:
        points: ``(L, 2)`` labelled points.
        ranges: the x and y ranges of the axes (data units); the plot is ``plot_h_px`` high.
        pitch_px: vertical distance between two names (a line of text and a gap).
        offset: gap between the points and the column, as a fraction of the x range.

    Returns:
        ``(L, 2)`` label anchors, in the points' order, and the ``textposition`` of all of them:
        "middle right" (column right of the points, names running right) where the points lie in
        the left 55 % of the x range, else "middle left". Names at one x and ``pitch_px`` apart
        cannot overlap at any plot width (the plot's height is fixed, its width is the screen's);
        the caller draws a leader line from each point to its name.
    """
    pts = np.asarray(points, float).reshape(-1, 2)
    (x_lo, x_hi), (y_lo, y_hi) = ranges
    if not len(pts):
        return pts, "middle right"
    pitch = pitch_px * (y_hi - y_lo) / plot_h_px
    right = pts[:, 0].max() <= x_lo + 0.55 * (x_hi - x_lo)
    x = pts[:, 0].max() + offset * (x_hi - x_lo) if right else pts[:, 0].min() - offset * (x_hi - x_lo)
    order = np.argsort(-pts[:, 1], kind="stable")  # top to bottom, as the points lie
    y = pts[order, 1].copy()
    for k in range(1, len(y)):
        y[k] = min(y[k], y[k - 1] - pitch)
    y += pts[:, 1].mean() - y.mean()  # centred on the points
    y -= max(0.0, y[0] - (y_hi - pitch / 2)) - max(0.0, (y_lo + pitch / 2) - y[-1])  # inside the axes
    out = np.empty_like(pts)
    out[order, 0], out[order, 1] = x, y
    return out, "middle right" if right else "middle left"


# anchor_weights_figure's fixed height and margins (px): its plot area is _ANCHOR_PLOT_PX high
_ANCHOR_HEIGHT_PX, _ANCHOR_TOP_PX, _ANCHOR_BOTTOM_PX = 900, 100, 280
_ANCHOR_PLOT_PX = _ANCHOR_HEIGHT_PX - _ANCHOR_TOP_PX - _ANCHOR_BOTTOM_PX


def anchor_weights_figure(
    coords_by_beta: Mapping[float, object],
    labels,
    class_names: Sequence[str],
    weights_by_anchor: Mapping[int, Mapping[float, object]],
    *,
    top_k: int = 3,
    floor: float = 1e-3,
    start: int = -1,
    title: str = "One anchor's weights q<sub>β</sub>",
) -> go.Figure:
    """The weight q_beta that one IMU anchor gives each skeleton negative, coloured on a log scale.

    Args:
        coords_by_beta: beta -> ``(N, 2)`` coordinates of the N plotted (skeleton) embeddings of
            the model trained at that beta, in one frame (:func:`joint_layout`).
        labels: ``(N,)`` class per sample.
        class_names: ``K`` names.
        weights_by_anchor: anchor row -> {beta -> ``(N,)`` weights of that anchor's negatives
            under that model (:meth:`AnchorWeights.per_point`: sum 1, 0 at the anchor's own row,
            its positive)}; every anchor needs the betas of ``coords_by_beta``.
        top_k: the ``top_k`` heaviest negatives are circled and named by class.
        floor: colours are ``log10(q M)`` (weight relative to the uniform ``1/M``), clipped below
            at ``log10(floor)``.
        start: index into the betas of the model the figure opens at; by default the last (the
            largest beta of a sweep: at beta = 0 every weight is uniform, one colour).
        title: figure title.

    Returns:
        Per anchor five traces (negatives coloured by weight, one shared colour bar; their legend
        key, drawn as the negatives' markers at the uniform weight; a ring on
        each negative of the anchor's class; the positive as a star; the ``top_k`` heaviest,
        named), one frame per beta with the data of every anchor, a beta slider and, with
        more than one anchor, a dropdown that shows one anchor's traces at a time.
    """
    coords, n = _coords(coords_by_beta)
    betas = list(coords)
    lab = _labels(labels, n, class_names)
    if not isinstance(weights_by_anchor, Mapping) or not weights_by_anchor:
        raise ValueError("weights_by_anchor: expected a non-empty dict {anchor: {beta: weights}}")
    if not 0 < floor < 1 or top_k < 0:
        raise ValueError(f"floor must be in (0, 1) and top_k >= 0, got floor={floor}, top_k={top_k}")
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
    ranges = _cube_ranges(np.concatenate(list(coords.values())), margin=0.1)

    def traces(a: int, beta: float) -> list:
        xy, q, rel = coords[beta], weights[a][beta], relative[a][beta]
        negative = np.arange(n) != a
        same = negative & (lab == lab[a])
        # with equal weights (beta = 0) no negative is heavier than another: name none
        heavy = np.argsort(-q, kind="stable")[:top_k] if np.ptp(q[negative]) > 1e-9 * q.max() else np.array([], int)
        names = [f"{r + 1}: {legend_name(class_names[lab[i]])}" for r, i in enumerate(heavy)]
        # the heaviest negatives lie close together: names beside each marker ran into each other,
        # names in one column, each with a leader line to its marker, cannot
        ends, side = _label_column(xy[heavy], ranges, plot_h_px=_ANCHOR_PLOT_PX)
        path = np.full((3 * len(heavy), 2), np.nan)
        path[0::3], path[1::3] = xy[heavy], ends
        path_x = [None if np.isnan(v) else float(v) for v in path[:, 0]]
        path_y = [None if np.isnan(v) else float(v) for v in path[:, 1]]
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
                x=xy[same, 0], y=xy[same, 1], mode="markers", name=f"same class as the anchor ({legend_name(class_names[lab[a]])})",
                hoverinfo="skip", marker=dict(symbol="circle-open", size=14, color=PALETTE[2], line=dict(width=2)),
            ),
            go.Scatter(
                x=xy[[a], 0], y=xy[[a], 1], mode="markers", name="the anchor's own skeleton (positive)",
                text=[f"positive: {class_names[lab[a]]}<br>sample {a}"], hovertemplate="%{text}<extra></extra>",
                marker=dict(symbol="star", size=18, color="#000000", line=dict(width=1.5, color="white")),
            ),
            go.Scatter(  # per named negative: its circle, a leader line, its name at the line's end
                x=path_x, y=path_y, mode="lines+markers+text", name=f"the {top_k} heaviest negatives",
                # " ", not "": with empty strings plotly.js dropped the middle name (measured in chromium)
                text=[t for name in names for t in (" ", name, " ")], textposition=side,
                # a white halo keeps a label readable where it crosses a negative's marker
                textfont=dict(size=11, shadow="auto"), hoverinfo="skip", line=dict(width=1, color="#000000"),
                marker=dict(symbol="circle-open", size=[16, 0, 0] * len(heavy), color="#000000",
                            line=dict(width=1.5)),
            ),
        ]

    per_anchor = 5
    names = [f"beta={_beta_label(b)}" for b in betas]
    if not -len(betas) <= start < len(betas):
        raise ValueError(f"start: expected an index into the {len(betas)} betas, got {start}")
    start %= len(betas)
    data = [t for a in anchors for t in traces(a, betas[start])]
    for k, trace in enumerate(data):
        trace.visible = k // per_anchor == 0  # the menu shows one anchor at a time
    fig = go.Figure(data=data, frames=[go.Frame(data=[t for a in anchors for t in traces(a, b)], name=nm)
                                       for b, nm in zip(betas, names)])
    _square_axes(fig, coords, height=_ANCHOR_HEIGHT_PX)
    step = 1.0 if reach >= 2 else 0.5
    ticks = [k * step for k in range(-int(reach / step), int(reach / step) + 1)]
    fig.update_layout(
        title=title,
        coloraxis=dict(
            cmin=-reach, cmax=reach, cmid=0.0, colorscale="RdBu_r",
            colorbar=dict(title=dict(text="weight q<sub>β</sub> relative to uniform 1/M (log scale)", side="bottom"),
                          tickvals=ticks,
                          ticktext=[("<= " if t <= lo else "") + f"{10.0 ** t:.2g}" for t in ticks],
                          # just above the legend (two rows on a desktop, four on a phone): higher, it
                          # left a blank band between the two
                          orientation="h", x=0.5, xanchor="center", y=0.11, yref="container", yanchor="bottom",
                          len=0.9, thickness=12),
        ),
        sliders=[_slider([_beta_label(b) for b in betas], names, prefix="β = ", active=start)],
        legend=dict(orientation="h", x=0, y=0, yref="container", yanchor="bottom", font=dict(size=11)),
        margin=dict(l=60, r=15, t=_ANCHOR_TOP_PX, b=_ANCHOR_BOTTOM_PX),
    )
    if len(anchors) > 1:
        buttons = [dict(label=f"anchor {a}: {legend_name(class_names[lab[a]])}", method="restyle",
                        args=[{"visible": [k // per_anchor == j for k in range(len(data))]}])
                   for j, a in enumerate(anchors)]
        fig.update_layout(updatemenus=[dict(type="dropdown", buttons=buttons, x=0, xanchor="left", y=1.0,
                                            yanchor="bottom", pad=dict(b=6), showactive=True)],
                          margin=dict(t=110))
    return fig


# --------------------------------------------------------------------------------------------
# training curves and results


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


def loss_curves(histories: Mapping[str, Sequence[Mapping]], *, title: str = "Pre-training") -> go.Figure:
    """Training loss (and learning rate, when recorded) per epoch, one line per run.

    Args:
        histories: run name -> per-epoch records with at least ``epoch`` and ``loss``;
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
    sizes = {name: 5 + 3 * (len(histories) - 1 - k) for k, name in enumerate(histories)}
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
            size, symbol = sizes[under] + 6, f"{symbol}-open"
            label = f"{name} (on {under}: within {gap:.2g})"
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
    # the legend in the figure's bottom margin (run names such as "beta=1, tau+=0.037" take three
    # rows on a phone: above the plot they would run into the title)
    fig.update_layout(title=title, height=520, margin=dict(b=160),
                      legend=dict(orientation="h", x=0, xanchor="left", y=0, yref="container", yanchor="bottom"))
    return fig


def _sci(value: float) -> str:
    """``value`` as ``1e-3`` / ``2.5e-4``: short, and unambiguous at any magnitude."""
    mantissa, exponent = f"{value:.2e}".split("e")
    return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"


def monitor_curves(histories: Mapping[str, Sequence[Mapping]], *, n_rows: int | None = None,
                   title: str = "Watched during pre-training") -> go.Figure:
    """Per-epoch retrieval, alignment and uniformity of watched pre-training runs, one colour per run.

    Args:
        histories: run name -> per-epoch records with ``epoch`` and the keys of
            :data:`mmhar_lite.metrics.EMBEDDING_KEYS` (a run pre-trained with ``monitor_indices``).
        n_rows: the number of watched rows; draws the chance levels ``1/N`` and ``5/N`` of retrieval
            (dotted lines, named with their values by a legend entry).
        title: figure title.

    Returns:
        A figure of three panels that share the epoch axis (retrieval top-1, solid, and top-5,
        dashed, in %, the mean of IMU -> skeleton and skeleton -> IMU; alignment; uniformity).
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
    """Row name: method, plus its modalities (pre-training -> fine-tuning) when present."""
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
    """Mean +- std over seeds per method (Table 2/3 analogue), beside published numbers.

    Horizontal bars, one row per method, top to bottom in row order: the method names sit on the
    y axis, where they stay readable on a narrow screen. Rows from one seed have no error bar.

    Args:
        summary: rows of ``experiments.summarize(records)``: ``method``, ``pretrain_modality``,
            ``finetune_modality``, ``n`` and ``<metric>_mean`` / ``<metric>_std`` as fractions
            in [0, 1] (plotted as %); extra keys are ignored. One bar per row, in row order.
        metric: "accuracy" or "macro_f1".
        paper: optional published numbers in %, keyed by
            ``(method, pretrain_modality, finetune_modality)``, e.g.
            ``{k: v["utd-mhad"]["accuracy"] for k, v in experiments.PAPER_RESULTS.items()}``;
            drawn as a second bar per row (None or absent: no bar).
        paper_name: legend name of the published bars.
        run_name: legend name of the summary's bars ("this run", "committed run").
        zoom: start the axis at the multiple of 5 % at least 5 points below the lowest bar or
            error-bar end (and published bar) instead of 0, so that bars close to 100 % can be told apart while the
            shortest bar stays a bar, not a stub; the axis title says so.
        title: figure title.
        flagged: ``(method, pretrain_modality, finetune_modality)`` of rows that are not
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
    low = 0.0
    if zoom:
        published = [paper.get((r["method"], r.get("pretrain_modality"), r.get("finetune_modality"))) for r in summary] if paper else []
        lowest = min([m - sd for m, sd in zip(means, stds)] + [v for v in published if v is not None])
        low = _axis_floor(lowest - 5)
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
                      xaxis=dict(title_text=axis_title, range=[low, 100], **_start_ticks(low)),
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


def _start_ticks(low: float) -> dict:
    """Tick settings of a percentage axis from ``low`` to 100: where it is zoomed (``low > 0``), a
    tick at ``low`` itself (plotly's own ticks began at the next multiple of 10, so the start that
    the axis title names had no label), every 5, 10 or 20 points as the span allows."""
    if low <= 0:
        return {}
    span = 100 - low
    return dict(tickmode="linear", tick0=low, dtick=5 if span <= 25 else 10 if span <= 60 else 20)


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




def _ci_lines(summary: Sequence[Mapping], x_key: str, metric: str, x_scale: float) -> go.Figure:
    """Per method: mean line with markers and a shaded 95 % confidence band over seeds, clipped
    to [0, 100] %, drawn only from :data:`MIN_SEEDS_FOR_CI` seeds on. The y axis runs between
    multiples of 5 % that hold every mean and band; each method has its own dash."""
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
                fill="toself", fillcolor=colour, opacity=0.2, line=dict(width=0), hoverinfo="skip",
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
        summary: ``experiments.summarize(records, ("method", "finetune_modality", "beta"))``
            rows (``<metric>_mean`` and ``<metric>_ci95`` fractions, ``n``, ``beta``).
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
        summary: ``experiments.summarize(records, ("method", "finetune_modality",
            "label_fraction"))`` rows; ``label_fraction`` in (0, 1], plotted in % on a log axis.
        tick_labels: ``{fraction: label}`` for ticks that need more than "2 %" (a point standing
            for several fractions with the same labelled subset: "2 = 5 %").
        metric: the record key plotted (``<metric>_mean`` / ``<metric>_ci95``), e.g. ``"accuracy"``.
        title: figure title.
    """
    fig = _ci_lines(summary, "label_fraction", metric, 100.0)
    # one labelled tick per measured fraction: plotly's own log ticks read "2 3 ... 10 2 3 4 5"
    fractions = sorted({float(row["label_fraction"]) for row in summary})
    labels = dict(tick_labels or {})
    fig.update_layout(title=title, xaxis=dict(title="label fraction, the share asked for per class (log scale)", type="log",
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
    samples stay 0. Zero is white and any non-zero cell is at least a light blue, with most of
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
    # every class labelled (plotly would otherwise label every other column of 27)
    ticks = dict(tickmode="array", tickvals=list(class_names), ticktext=list(class_names),
                 tickfont=dict(size=11 if k > 12 else 12))
    fig.update_layout(title=title, xaxis=dict(title="predicted class", tickangle=-60, **ticks),
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
        summary: ``experiments.summarize(records, ("regime", "batch_size", "finetune_modality",
            "method"))`` rows of ``regimes.run_regimes`` records (fractions in [0, 1]).
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
