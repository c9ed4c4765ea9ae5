"""What the figure modules of :mod:`mmhar_lite.viz` share: the colours, symbols and line styles
(one style per class in every figure of the book), input checks that name the bad argument, and
the slider and Play / Pause buttons of the animated figures.

Private: the public names (``PALETTE``, ``class_style``, ...) are documented and imported as
``mmhar_lite.viz.<name>``; the figure modules import them from here, so that ``viz`` can import
the figure modules without a cycle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np


# Okabe & Ito (2008): distinguishable under the common colour-vision deficiencies.
PALETTE: tuple[str, ...] = (
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
)
# With more classes than colours (UTD-MHAD has 27) the marker symbol carries the rest, so
# classes stay distinct without relying on hue alone.
SYMBOLS: tuple[str, ...] = ("circle", "square", "diamond", "triangle-up", "cross", "x")
# Classes: nine colours at least 40 CIELAB units apart (Okabe & Ito's eight have two pairs
# within 35: blue / sky blue, orange / vermillion), with one blue only (steel blue and cyan, 42
# units apart, still read as one colour at a phone's marker size; the ninth colour is a mustard
# yellow instead), times three outlines that differ at a phone's marker size (circle, square and
# diamond do not), so 27 classes never repeat a style and two classes of one symbol never have
# similar colours.
CLASS_PALETTE: tuple[str, ...] = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#7b3294", "#8c564b", "#000000", "#c9b200", "#f781bf",
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


# --------------------------------------------------------------------------------------------
# sliders and buttons of the animated figures


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
# axes


def _cube_ranges(points: np.ndarray, margin: float = 0.05) -> list[list[float]]:
    """Axis ranges of equal span around ``points`` (P, D), so one unit is equally long on each axis."""
    lo, hi = points.min(axis=0), points.max(axis=0)
    half = 0.5 * float(np.max(hi - lo)) * (1 + margin) or 1.0
    centre = 0.5 * (lo + hi)
    return [[float(c - half), float(c + half)] for c in centre]


def _legend_under_title(title: str, height: int, legend_px: int) -> dict:
    """Layout keys of a figure ``height`` px tall whose title sits at the top and whose
    horizontal legend starts ``legend_px`` below the top edge, across the full width: a legend on
    the right takes a phone's plot width, and one inside the plot covers the data. The caller's
    top margin keeps the legend's rows clear of the plot."""
    return dict(
        height=height,
        title=dict(text=title, y=1, yref="container", yanchor="top", pad=dict(t=12)),
        legend=dict(orientation="h", x=0, xanchor="left", y=1 - legend_px / height, yanchor="top",
                    yref="container"),
    )
