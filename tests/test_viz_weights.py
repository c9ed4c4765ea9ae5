"""Tests for mmhar_lite.viz_weights: one anchor's hard-negative weights and their beta slider."""

import numpy as np
import pytest
from figure_checks import slider_labels

from mmhar_lite import viz_weights


def test_anchor_negative_weights_match_the_formula(rng):
    a, b = rng.normal(size=(10, 5)), rng.normal(size=(10, 5))
    t, anchor = 0.2, 3
    w = viz_weights.anchor_negative_weights(a, b, anchor=anchor, temperature=t, betas=[2.0, 0.0])
    assert list(w.weights_by_beta) == [0.0, 2.0]
    np.testing.assert_array_equal(w.indices, [0, 1, 2, 4, 5, 6, 7, 8, 9])
    an = a[anchor] / np.linalg.norm(a[anchor])
    bn = b / np.linalg.norm(b, axis=1, keepdims=True)
    cos = bn[w.indices] @ an
    np.testing.assert_allclose(w.similarities, cos)
    expected = np.exp(2.0 * cos / t) / np.exp(2.0 * cos / t).sum()
    np.testing.assert_allclose(w.weights_by_beta[2.0], expected, rtol=1e-10)
    np.testing.assert_allclose(w.weights_by_beta[0.0], 1 / 9)
    full = w.per_point()[2.0]
    assert full.shape == (10,) and full[anchor] == 0 and full.sum() == pytest.approx(1.0)


def test_anchor_negative_weights_errors(rng):
    a = rng.normal(size=(6, 4))
    with pytest.raises(ValueError, match="anchor"):
        viz_weights.anchor_negative_weights(a, a, anchor=6, temperature=0.1, betas=[1.0])
    with pytest.raises(ValueError, match="a, b"):
        viz_weights.anchor_negative_weights(a, a[:5], anchor=0, temperature=0.1, betas=[1.0])
    with pytest.raises(ValueError, match="betas"):
        viz_weights.anchor_negative_weights(a, a, anchor=0, temperature=0.1, betas=[])


def test_negative_weights_figure_beta_slider(rng):
    sim = rng.uniform(-1, 1, size=15)
    weights = {b: np.exp(b * sim / 0.1) / np.exp(b * sim / 0.1).sum() for b in (1.0, 0.0, 0.5)}
    labels = np.arange(15) % 3
    fig = viz_weights.negative_weights_figure(weights, sim, negative_labels=labels, anchor_label=1,
                                              class_names=["walk", "sit", "wave"])
    assert len(fig.frames) == 3
    assert slider_labels(fig) == ["0", "0.5", "1"]
    assert fig.layout.sliders[0].currentvalue.prefix == "β = "
    true_neg, same_class = fig.frames[2].data
    np.testing.assert_allclose(same_class.x, sim[labels == 1])
    np.testing.assert_allclose(same_class.y, weights[1.0][labels == 1])
    assert all("sit" in text for text in same_class.text)
    assert not np.allclose(fig.frames[0].data[0].y, fig.frames[2].data[0].y)
    uniform = fig.data[-1]  # the reference line, named in the legend, not redrawn by the frames
    assert uniform.name.startswith("uniform 1/M") and list(uniform.y) == pytest.approx([1 / 15, 1 / 15])
    assert all(len(frame.data) == len(fig.data) - 1 for frame in fig.frames)
    assert fig.layout.yaxis.range[1] >= max(w.max() for w in weights.values())
    # the legend lies above the plot area (container coordinates, over the top margin), not on the data
    legend = fig.layout.legend
    assert legend.yref == "container" and legend.orientation == "h"
    assert legend.y * fig.layout.height >= fig.layout.height - fig.layout.margin.t
    # the axis starts below 0, so that a zero weight's marker is drawn whole
    assert fig.layout.yaxis.range[0] < 0
    assert fig.layout.sliders[0].active == 0  # opens at the smallest beta by default
    np.testing.assert_allclose(fig.data[0].y, weights[0.0][labels != 1])
    # the x axis holds every cosine and little else: far negatives are spread, not one band
    lo, hi = fig.layout.xaxis.range
    assert lo < sim.min() and hi > sim.max() and hi - lo <= 1.11 * np.ptp(sim)
    bunched = viz_weights.negative_weights_figure({0.0: np.full(4, 0.25)}, np.array([0.1, 0.2, 0.3, 0.4]))
    assert bunched.layout.xaxis.range == pytest.approx((0.085, 0.415)) and list(bunched.data[-1].x) == pytest.approx([0.085, 0.415])


def test_negative_weights_figure_opens_at_initial_beta(rng):
    sim = rng.uniform(-1, 1, size=15)
    weights = {b: np.exp(b * sim / 0.1) / np.exp(b * sim / 0.1).sum() for b in (0.0, 0.5, 1.0)}
    fig = viz_weights.negative_weights_figure(weights, sim, initial_beta=1.0)
    assert fig.layout.sliders[0].active == 2
    np.testing.assert_allclose(fig.data[0].y, weights[1.0])
    with pytest.raises(ValueError, match=r"initial_beta: expected one of \[0.0, 0.5, 1.0\], got 2.0"):
        viz_weights.negative_weights_figure(weights, sim, initial_beta=2.0)


def test_negative_weights_figure_errors(rng):
    sim = rng.uniform(-1, 1, size=5)
    with pytest.raises(ValueError, match=r"weights_by_beta\[1\.0\]: expected shape \(5,\)"):
        viz_weights.negative_weights_figure({1.0: np.full(4, 0.25)}, sim)
    with pytest.raises(ValueError, match="weights_by_beta"):
        viz_weights.negative_weights_figure({}, sim)
    with pytest.raises(ValueError, match="beta must be"):
        viz_weights.negative_weights_figure({-1.0: np.full(5, 0.2)}, sim)
    with pytest.raises(ValueError, match="similarities: contains NaN"):
        viz_weights.negative_weights_figure({1.0: np.full(5, 0.2)}, np.full(5, np.nan))
    with pytest.raises(ValueError, match="give both"):
        viz_weights.negative_weights_figure({1.0: np.full(5, 0.2)}, sim, negative_labels=np.zeros(5))


def test_weight_tilt_figure_is_flat_at_beta_0_and_steeper_with_beta(rng):
    a, b = rng.normal(size=(12, 6)), rng.normal(size=(12, 6))
    w = viz_weights.anchor_negative_weights(a, b, anchor=2, temperature=0.1, betas=[2.0, 0.0, 1.0])
    fig = viz_weights.weight_tilt_figure(w, title="tilt")
    lines = [tr for tr in fig.data if tr.name.startswith("β")]
    assert [tr.name for tr in lines] == ["β = 0", "β = 1", "β = 2"]
    assert fig.layout.yaxis.type == "log" and fig.layout.title.text == "tilt"
    assert "cosine" in fig.layout.xaxis.title.text and "uniform" in fig.layout.yaxis.title.text
    m = len(w.similarities)
    # one fixed embedding: every beta has the same x, in order of cosine
    for tr in lines:
        np.testing.assert_allclose(tr.x, np.sort(w.similarities))
    np.testing.assert_allclose(lines[0].y, 1.0)
    np.testing.assert_allclose(np.sort(lines[2].y), np.sort(w.weights_by_beta[2.0] * m))
    # log(q M) is a line in the cosine whose slope is beta / t
    slopes = [np.polyfit(tr.x, np.log(tr.y), 1)[0] for tr in lines]
    np.testing.assert_allclose(slopes, [0.0, 10.0, 20.0], atol=1e-8)
    # readable log ticks that include the uniform weight, over a narrow range and a wide one
    assert 1.0 in fig.layout.yaxis.tickvals and len(fig.layout.yaxis.tickvals) <= 10
    mild = viz_weights.anchor_negative_weights(a, b, anchor=2, temperature=10.0, betas=[0.0, 1.0])
    ticks = viz_weights.weight_tilt_figure(mild).layout.yaxis
    assert 1.0 in ticks.tickvals and len(ticks.tickvals) <= 8 and "1" in ticks.ticktext
    uniform = [tr for tr in fig.data if not tr.name.startswith("β")]
    assert len(uniform) == 1 and list(uniform[0].y) == [1.0, 1.0]
    with pytest.raises(ValueError, match="AnchorWeights"):
        viz_weights.weight_tilt_figure({0.0: np.ones(3)})
