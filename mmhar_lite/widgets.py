"""ipywidgets apps for a live kernel: the beta / temperature / anchor explorers of the book.

These need a running kernel (moving a slider re-computes the weights in Python); the static
book uses the frame-and-slider figures of :mod:`mmhar_lite.viz` instead. Each app redraws a
plain ``plotly.graph_objects.Figure`` into an ``ipywidgets.Output`` (no ``FigureWidget``,
which needs a CDN script), and keeps the last figure drawn in ``app.figure``.

Shape letters: N points (``B`` rows of the embedding batches), E embedding size.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import ipywidgets as W
from ipywidgets import ValueWidget
import numpy as np
import plotly.graph_objects as go
from IPython.display import display

from mmhar_lite import viz

_PLOTLY_MIME = "application/vnd.plotly.v1+json"
#: ipywidgets gives a description a fixed width and cuts longer ones ("temperat…"); "initial"
#: sizes it to its text, so every label reads in full.
_FULL_LABEL = {"description_width": "initial"}

#: The CSS class of every app's outer box; ``book/_static/mmhar.css`` marks it inert in the static site.
LIVE_APP_CLASS = "mmhar-live-app"

__all__ = ["FigureApp", "LIVE_APP_CLASS", "latent_space_app", "weights_app"]


class FigureApp:
    """Controls above a plotly figure that is redrawn whenever a control's value changes.

    Args:
        controls: name → control, an ipywidgets ``ValueWidget`` (a slider, a dropdown: any
            widget with a ``value``); each change of a value redraws the figure.
        draw (Callable[..., plotly.graph_objects.Figure]): called as ``draw(**{name: value})`` with every control's value; returns the
            plotly figure to show.

    Attributes:
        controls: name → widget (``"beta"``, ``"temperature"``, ``"anchor"``).
        output: the ``Output`` widget showing the figure.
        figure: the figure drawn last.
        widget: the whole app (a ``VBox``); displaying the app displays it.
    """

    def __init__(self, controls: Mapping[str, ValueWidget], draw) -> None:
        self.controls = dict(controls)
        self.output = W.Output()
        # the controls wrap onto further lines on a narrow screen instead of running off it
        self.widget = W.VBox([W.HBox(list(self.controls.values()), layout=W.Layout(flex_flow="row wrap")),
                              self.output])
        # the site's stylesheet greys the controls of this class out: without a kernel they do nothing
        self.widget.add_class(LIVE_APP_CLASS)
        self._draw = draw
        self.figure: go.Figure | None = None
        for control in self.controls.values():
            control.observe(lambda _change: self.redraw(), names="value")
        self.redraw()

    def redraw(self) -> None:
        """Draw the figure for the controls' current values."""
        self.figure = self._draw(**{name: c.value for name, c in self.controls.items()})
        # Set the Output's content directly instead of `with output: display(...)`: that path
        # captures kernel messages through the client, and hung nbclient's execution of the
        # latent-space chapter (kernel idle, client waiting) on this machine.
        self.output.outputs = (
            {"output_type": "display_data", "data": {_PLOTLY_MIME: json.loads(self.figure.to_json())}, "metadata": {}},
        )

    def _ipython_display_(self) -> None:
        display(self.widget)


def _temperature_slider(temperature: float) -> W.FloatLogSlider:
    if not 0.01 <= temperature <= 1.0:
        raise ValueError(f"temperature: expected a value in [0.01, 1], got {temperature!r}")
    return W.FloatLogSlider(value=temperature, base=10, min=-2, max=0, step=0.05,
                            description="temperature", readout_format=".3f", style=_FULL_LABEL)


def _anchor_slider(anchor: int, n: int) -> W.IntSlider:
    if not 0 <= anchor < n:
        raise ValueError(f"anchor: expected 0 <= anchor < {n}, got {anchor}")
    return W.IntSlider(value=anchor, min=0, max=n - 1, description="anchor", style=_FULL_LABEL)


def _single_frame(fig: go.Figure) -> go.Figure:
    """Drop the frames and slider: in the app the ipywidgets controls choose beta."""
    fig.frames = ()
    fig.layout.sliders = ()
    return fig


def latent_space_app(
    coords_by_beta: Mapping[float, object],
    embeddings_by_beta: Mapping[float, tuple[object, object]],
    labels,
    class_names: Sequence[str],
    *,
    temperature: float = 0.1,
    anchor: int = 0,
) -> FigureApp:
    """Latent space of the models pre-trained at each beta, coloured by one anchor's weights.

    Args:
        coords_by_beta: beta → ``(N, 2)`` 2-D coordinates of the ``b`` embeddings of that
            model, in one frame for all betas (see :func:`mmhar_lite.viz_latent.joint_layout`).
        embeddings_by_beta: beta → ``(a, b)``, each ``(N, E)``: the anchor modality and the
            plotted modality of the same model; ``a[anchor]``'s negatives are the rows of ``b``.
        labels: ``(N,)`` class per sample.
        class_names: ``K`` names.
        temperature: initial temperature of the weights (slider, log scale 0.01-1).
        anchor: initial anchor index.

    Returns:
        A :class:`FigureApp` with controls ``beta`` (the model, and the beta of q_beta),
        ``temperature`` and ``anchor``, drawing :func:`mmhar_lite.viz_latent.anchor_weights_figure`.
    """
    betas = sorted(float(b) for b in coords_by_beta)
    if sorted(float(b) for b in embeddings_by_beta) != betas:
        raise ValueError(f"embeddings_by_beta: expected betas {betas} like coords_by_beta, "
                         f"got {sorted(embeddings_by_beta)}")
    coords = {float(b): c for b, c in coords_by_beta.items()}
    embeddings = {float(b): e for b, e in embeddings_by_beta.items()}
    n = len(labels)

    def draw(beta: float, temperature: float, anchor: int) -> go.Figure:
        a, b = embeddings[beta]
        weights = viz.anchor_negative_weights(a, b, anchor=anchor, temperature=temperature, betas=[beta])
        fig = viz.anchor_weights_figure({beta: coords[beta]}, labels, class_names, {anchor: weights.per_point()},
                                        title=f"beta = {beta:g}, t = {temperature:.3f}")
        return _single_frame(fig)

    controls = {
        "beta": W.SelectionSlider(options=[(f"{b:g}", b) for b in betas], value=betas[0],
                                  description="beta", style=_FULL_LABEL),
        "temperature": _temperature_slider(temperature),
        "anchor": _anchor_slider(anchor, n),
    }
    return FigureApp(controls, draw)


def weights_app(
    a,
    b,
    *,
    labels=None,
    class_names: Sequence[str] | None = None,
    beta: float = 1.0,
    temperature: float = 0.1,
    anchor: int = 0,
    max_beta: float = 10.0,
) -> FigureApp:
    """The weights q_beta of one anchor's negatives against cosine similarity, live.

    Args:
        a: ``(N, E)`` anchor embeddings.
        b: ``(N, E)`` the other modality (row ``i`` is the positive of ``a[i]``, the other rows
            its negatives).
        labels: optional ``(N,)`` classes, to mark same-class (false) negatives.
        class_names: optional names for hover text.
        beta: initial value of the ``beta`` control, in ``[0, max_beta]``.
        temperature: initial value of the ``temperature`` control (t, dividing the cosine).
        anchor: initial value of the ``anchor`` control, a row index of ``a`` in ``[0, N)``.
        max_beta: the upper end of the ``beta`` control.

    Returns:
        A :class:`FigureApp` with controls ``beta``, ``temperature`` and ``anchor``.
    """
    if not 0 <= beta <= max_beta:
        raise ValueError(f"beta: expected a value in [0, {max_beta}], got {beta!r}")
    n = len(a)
    lab = None if labels is None else np.asarray(labels)
    if lab is not None and lab.shape != (n,):
        raise ValueError(f"labels: expected shape ({n},) like a, got {lab.shape}")

    def draw(beta: float, temperature: float, anchor: int) -> go.Figure:
        weights = viz.anchor_negative_weights(a, b, anchor=anchor, temperature=temperature, betas=[beta])
        fig = viz.negative_weights_figure(
            weights.weights_by_beta, weights.similarities,
            negative_labels=None if lab is None else lab[weights.indices],
            anchor_label=None if lab is None else int(lab[anchor]),
            class_names=class_names, indices=weights.indices,
            title=f"q<sub>β</sub> of anchor {anchor}'s negatives (β = {beta:g}, t = {temperature:.3f})",
        )
        return _single_frame(fig)

    controls = {
        "beta": W.FloatSlider(value=beta, min=0.0, max=max_beta, step=0.25, description="beta", style=_FULL_LABEL),
        "temperature": _temperature_slider(temperature),
        "anchor": _anchor_slider(anchor, n),
    }
    return FigureApp(controls, draw)
