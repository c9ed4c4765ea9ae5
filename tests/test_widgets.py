"""Tests for mmhar_lite.widgets: apps build without a browser and redraw when a control moves."""

from pathlib import Path

import ipywidgets as W
import numpy as np
import pytest

from mmhar_lite import viz, widgets

N = 12


@pytest.fixture
def model_outputs():
    rng = np.random.default_rng(1)
    embeddings = {b: (rng.normal(size=(N, 4)), rng.normal(size=(N, 4))) for b in (0.0, 1.0)}
    coords = {b: rng.normal(size=(N, 2)) for b in embeddings}
    labels = np.arange(N) % 3
    return coords, embeddings, labels


def test_latent_space_app_redraws_on_every_control(model_outputs):
    coords, embeddings, labels = model_outputs
    app = widgets.latent_space_app(coords, embeddings, labels, ["walk", "sit", "wave"], anchor=2)
    assert isinstance(app.widget, W.VBox)
    assert set(app.controls) == {"beta", "temperature", "anchor"}
    first = app.figure
    assert first.frames == () and first.layout.sliders == ()
    negatives = np.delete(np.arange(N), 2)
    np.testing.assert_allclose(first.data[0].x, coords[0.0][negatives, 0])
    # beta = 0: uniform weights, every negative at q M = 1 (log10: 0)
    np.testing.assert_allclose(first.data[0].marker.color, 0.0)

    app.controls["beta"].value = 1.0
    moved = app.figure
    assert moved is not first
    np.testing.assert_allclose(moved.data[0].x, coords[1.0][negatives, 0])
    assert "beta = 1" in moved.layout.title.text
    expected = viz.anchor_negative_weights(*embeddings[1.0], anchor=2, temperature=0.1, betas=[1.0])
    np.testing.assert_allclose(np.asarray(moved.data[0].customdata)[:, 0], expected.weights_by_beta[1.0])

    app.controls["temperature"].value = 0.5
    # a higher temperature flattens q_beta, so the colours spread less
    assert np.ptp(app.figure.data[0].marker.color) < np.ptp(moved.data[0].marker.color)

    app.controls["anchor"].value = 7
    star = next(t for t in app.figure.data if t.name.startswith("the anchor's own skeleton"))
    np.testing.assert_allclose([star.x[0], star.y[0]], coords[1.0][7])


def test_latent_space_app_errors(model_outputs):
    coords, embeddings, labels = model_outputs
    with pytest.raises(ValueError, match="embeddings_by_beta: expected betas"):
        widgets.latent_space_app(coords, {0.0: embeddings[0.0]}, labels, list("abc"))
    with pytest.raises(ValueError, match="anchor"):
        widgets.latent_space_app(coords, embeddings, labels, list("abc"), anchor=N)
    with pytest.raises(ValueError, match="temperature"):
        widgets.latent_space_app(coords, embeddings, labels, list("abc"), temperature=5.0)


def test_weights_app_redraws(model_outputs):
    _, embeddings, labels = model_outputs
    a, b = embeddings[0.0]
    app = widgets.weights_app(a, b, labels=labels, class_names=["walk", "sit", "wave"], beta=0.0, anchor=0)
    fig = app.figure
    *points, uniform = fig.data  # the last trace is the dashed 1/M reference line
    assert [tr.name for tr in points] == ["true negatives", "same class as anchor"]
    assert uniform.name.startswith("uniform 1/M")
    np.testing.assert_allclose(np.concatenate([tr.y for tr in points]), 1 / (N - 1))
    app.controls["beta"].value = 4.0
    y = np.concatenate([tr.y for tr in app.figure.data[:-1]])
    assert np.ptp(y) > 0
    assert y.sum() == pytest.approx(1.0)
    assert "β = 4" in app.figure.layout.title.text
    app.controls["anchor"].value = 3
    # the anchor's own row is its positive, never one of its negatives
    assert all("sample 3<" not in text for tr in app.figure.data[:-1] for text in tr.text)


def test_weights_app_errors(model_outputs):
    _, embeddings, labels = model_outputs
    a, b = embeddings[0.0]
    with pytest.raises(ValueError, match="labels"):
        widgets.weights_app(a, b, labels=labels[:-1])
    with pytest.raises(ValueError, match="beta"):
        widgets.weights_app(a, b, beta=20.0)


def test_every_control_label_reads_in_full(model_outputs):
    coords, embeddings, labels = model_outputs
    for app in (widgets.latent_space_app(coords, embeddings, labels, list("abc")),
                widgets.weights_app(*embeddings[0.0])):
        # ipywidgets' default description width cuts "temperature" to "temperat…"
        assert {name: c.style.description_width for name, c in app.controls.items()} == \
            {name: "initial" for name in ("beta", "temperature", "anchor")}
        assert app.widget.children[0].layout.flex_flow == "row wrap"  # controls wrap on a phone


def test_every_app_carries_the_class_the_site_greys_out(model_outputs):
    coords, embeddings, labels = model_outputs
    css = (Path(__file__).resolve().parents[1] / "book" / "_static" / "mmhar.css").read_text()
    assert f".{widgets.LIVE_APP_CLASS} > .widget-hbox" in css and "pointer-events: none" in css
    for app in (widgets.latent_space_app(coords, embeddings, labels, list("abc")),
                widgets.weights_app(*embeddings[0.0])):
        assert widgets.LIVE_APP_CLASS in app.widget._dom_classes
