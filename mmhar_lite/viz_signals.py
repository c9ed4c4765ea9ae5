"""Figures of the recordings themselves: skeleton layouts and animations, IMU traces, and
galleries of augmentations drawn over the original recording.

Shape letters: J joints, D coordinate dims (3 for Kinect, 2 for COCO pixels), T time steps,
C IMU channels.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from mmhar_lite._viz_common import (
    _GREY, _SLIDER_AFTER_BUTTONS, PALETTE, _array, _cube_ranges, _legend_under_title, _play_buttons,
    _slider,
)
from mmhar_lite.data import COCO17_JOINTS, KINECT_V1_JOINTS, SKELETON_EDGES

__all__ = [
    "KINECT_V1",
    "COCO17",
    "SkeletonLayout",
    "skeleton_layout_for",
    "skeleton_animation",
    "imu_traces",
    "augmentation_gallery",
]


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
    """Channels grouped by sensor: the name without its trailing axis ("acc_x" → "acc")."""
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


def _channel_line(t: np.ndarray, y: np.ndarray, legend: str, colour: str, dash: str,
                  named: set[str], hover_name: str) -> go.Scatter:
    """One IMU channel's line, (T,) values ``y`` at times ``t`` (s); its legend entry only the
    first time ``legend`` is drawn (``named``: the entries drawn so far)."""
    return go.Scatter(
        x=t, y=y, mode="lines", name=legend, legendgroup=legend, showlegend=legend not in named,
        line=dict(color=colour, width=1.5, dash=dash),
        hovertemplate=f"{hover_name}<br>t=%{{x:.2f}} s<br>%{{y:.3g}}<extra></extra>",
    )


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
            fig.add_trace(_channel_line(t, x[:, c], legend, colour, dash, named, names[c]),
                          row=row, col=1)
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
        augmented: augmentation name → array shaped like ``original`` (``T`` may differ).
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
                fig.add_trace(_channel_line(t, view[:, c], legend, colour, dash, named,
                                            f"{aug_name}: {names[c]}"), row=row, col=1)
                named.add(legend)
            fig.update_yaxes(title_text=_unit_for(group, units), row=row, col=1)
    fig.update_xaxes(title_text="time (s)", row=len(views) * len(groups), col=1)
    # the legend between the title and the first panel, across the full width (on the right it
    # would take a phone's plot width); from 48 px down, clear of the title above and, in up to
    # three rows (a phone), of the first panel's title at the 130 px margin
    height = 150 * len(views) * len(groups) + 150
    fig.update_layout(**_legend_under_title(title, height, 48),
                      margin=dict(t=130, r=20))  # r: as in imu_traces
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
