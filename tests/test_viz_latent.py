"""Tests for mmhar_lite.viz_latent: reductions, alignment, latent maps and one anchor's weights on them."""

import numpy as np
import pytest
from figure_checks import slider_labels

from mmhar_lite import viz, viz_latent


def test_reduce_2d_pca_is_top_principal_plane(rng):
    x = rng.normal(size=(40, 6)) * np.array([5.0, 3.0, 1.0, 0.5, 0.2, 0.1])
    z = viz_latent.reduce_2d(x, "pca")
    assert z.shape == (40, 2)
    eig = np.sort(np.linalg.eigvalsh(np.cov(x.T)))[::-1]
    np.testing.assert_allclose(z.var(axis=0, ddof=1), eig[:2], rtol=1e-10)
    # signs follow the loadings, not the SVD's arbitrary choice: mirrored data, mirrored plot
    np.testing.assert_allclose(viz_latent.reduce_2d(-x, "pca"), -z, atol=1e-12)
    np.testing.assert_allclose(viz_latent.reduce_2d(x[::-1], "pca"), z[::-1], atol=1e-12)


def test_reduce_2d_errors(rng):
    with pytest.raises(ValueError, match="method"):
        viz_latent.reduce_2d(rng.normal(size=(10, 3)), "tsne")
    with pytest.raises(ValueError, match="features"):
        viz_latent.reduce_2d(rng.normal(size=(2, 3)), "pca")


def random_rotation(rng, e):
    q, r = np.linalg.qr(rng.normal(size=(e, e)))
    return q * np.sign(np.diag(r))


def test_align_embeddings_undoes_a_rotation_and_keeps_every_cosine(rng):
    x = rng.normal(size=(30, 6))
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    rotated = 2.5 * x @ random_rotation(rng, 6)  # another model: same geometry, other orientation and scale
    other = rng.normal(size=(30, 6))
    aligned = viz_latent.align_embeddings([x, rotated, other])
    np.testing.assert_allclose(aligned[0], unit, atol=1e-12)
    np.testing.assert_allclose(aligned[1], unit, atol=1e-10)
    other_unit = other / np.linalg.norm(other, axis=1, keepdims=True)
    np.testing.assert_allclose(aligned[2] @ aligned[2].T, other_unit @ other_unit.T, atol=1e-12)  # cosines kept


def test_align_embeddings_errors(rng):
    with pytest.raises(ValueError, match=r"embeddings\[1\]: expected shape \(5, 3\)"):
        viz_latent.align_embeddings([rng.normal(size=(5, 3)), rng.normal(size=(4, 3))])
    with pytest.raises(ValueError, match="a row is zero"):
        viz_latent.align_embeddings([np.zeros((5, 3))])
    with pytest.raises(ValueError, match="at least one"):
        viz_latent.align_embeddings([])


def test_joint_layout_puts_every_beta_in_one_frame(rng):
    x = rng.normal(size=(20, 5)) * np.array([4.0, 2.0, 1.0, 0.5, 0.1])
    rotated = x @ random_rotation(rng, 5)
    layout = viz_latent.joint_layout({1.0: rotated, 0.0: x}, "pca")
    assert list(layout) == [0.0, 1.0] and layout[0.0].shape == (20, 2)
    np.testing.assert_allclose(layout[1.0], layout[0.0], atol=1e-9)  # the same geometry lands on the same points
    # separate reductions would not put them in one frame: PCA of each is only defined up to the plot's axes
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    np.testing.assert_allclose(layout[0.0], viz_latent.reduce_2d(np.concatenate([unit, unit]), "pca")[:20], atol=1e-9)


def latent_inputs(rng, n=24):
    coords = {b: rng.normal(size=(n, 2)) for b in (0.0, 1.0, 2.0)}
    labels = np.arange(n) % 4
    return coords, labels


def anchor_weights(rng, n, anchor, betas=(0.0, 1.0, 2.0)):
    sim = rng.uniform(-1, 1, size=n)
    out = {}
    for b in betas:
        w = np.exp(10 * b * sim)
        w[anchor] = 0.0
        out[b] = w / w.sum()
    return out


def test_latent_space_figure_frames_slider_and_class_styles(rng):
    coords, labels = latent_inputs(rng)
    names = ["walk", "sit", "wave", "clap"]
    fig = viz_latent.latent_space_figure(coords, labels, names)
    assert [tr.name for tr in fig.data] == names
    assert len(fig.frames) == 3 and slider_labels(fig) == ["0", "1", "2"]
    assert fig.layout.sliders[0].currentvalue.prefix == "β = "
    for frame, beta in zip(fig.frames, (0.0, 1.0, 2.0)):
        np.testing.assert_allclose(frame.data[2].x, coords[beta][labels == 2, 0])
        assert [(tr.marker.color, tr.marker.symbol) for tr in frame.data] == [viz.class_style(c) for c in range(4)]
    assert fig.data[1].text[0] == "sit<br>sample 1"
    assert fig.layout.xaxis.title.text and fig.layout.yaxis.title.text
    # a flat two-column legend that is never squeezed into a scroll box (grouped entries would be)
    assert not any(tr.legendgroup for tr in fig.data)
    assert fig.layout.legend.entrywidth == 0.5 and fig.layout.legend.maxheight == 1.0
    # a phone's 300 px plot: small markers, a legend of constant-size keys, the slider's value
    # label pushed below the x-axis title (the two ran together at 400 px)
    assert all(tr.marker.size == viz_latent.CLASS_MARKER_PX <= 8 for tr in fig.data)
    assert fig.layout.legend.itemsizing == "constant" and fig.layout.sliders[0].pad.t >= 60
    everything = np.concatenate(list(coords.values()))
    assert fig.layout.xaxis.range[0] <= everything[:, 0].min() and fig.layout.xaxis.range[1] >= everything[:, 0].max()


def test_latent_space_figure_skips_absent_classes_and_checks_input(rng):
    coords, labels = latent_inputs(rng)
    assert len(viz_latent.latent_space_figure(coords, labels, list("abcde")).data) == 4  # class "e" has no point
    names = list("abcd")
    with pytest.raises(ValueError, match=r"labels: expected shape \(24,\)"):
        viz_latent.latent_space_figure(coords, labels[:-1], names)
    with pytest.raises(ValueError, match="labels: expected integer"):
        viz_latent.latent_space_figure(coords, labels + 0.5, names)
    with pytest.raises(ValueError, match="labels: expected values in"):
        viz_latent.latent_space_figure(coords, labels, names[:3])
    bad = dict(coords)
    bad[1.0] = coords[1.0][:20]
    with pytest.raises(ValueError, match=r"coords_by_beta\[1\.0\]"):
        viz_latent.latent_space_figure(bad, labels, names)
    nan = dict(coords)
    nan[2.0] = np.where(np.arange(48).reshape(24, 2) == 7, np.nan, coords[2.0])
    with pytest.raises(ValueError, match="NaN"):
        viz_latent.latent_space_figure(nan, labels, names)


def test_anchor_weights_figure_colours_names_and_anchor_menu(rng):
    coords, labels = latent_inputs(rng)
    names = ["walk", "sit", "wave", "clap"]
    weights = {5: anchor_weights(rng, 24, 5), 10: anchor_weights(rng, 24, 10)}
    fig = viz_latent.anchor_weights_figure(coords, labels, names, weights, top_k=3, floor=1e-3)
    assert len(fig.data) == 14 and len(fig.frames) == 3 and slider_labels(fig) == ["0", "1", "2"]
    assert [tr.visible for tr in fig.data] == [True] * 7 + [False] * 7
    menu = fig.layout.updatemenus[0]
    assert [b.label for b in menu.buttons] == ["anchor 5: sit", "anchor 10: wave"]
    assert menu.buttons[1].args[0]["visible"] == [False] * 7 + [True] * 7
    negatives = np.delete(np.arange(24), 10)
    for frame, beta in zip(fig.frames, (0.0, 1.0, 2.0)):
        q = weights[10][beta]
        dots, key, ring, star, *heavy = frame.data[7:]
        # the negatives' legend key is their marker (size, outline) at the uniform weight, and draws nothing
        assert dots.showlegend is False and key.name.startswith("negatives") and list(key.x) == [None]
        assert (key.marker.size, key.marker.line.width, key.marker.line.color) == \
            (dots.marker.size, dots.marker.line.width, dots.marker.line.color)
        np.testing.assert_allclose(dots.x, coords[beta][negatives, 0])
        np.testing.assert_allclose(dots.marker.color, np.log10(np.maximum(q[negatives] * 23, 1e-3)))
        np.testing.assert_allclose(np.asarray(dots.customdata)[:, 0], q[negatives])
        np.testing.assert_allclose(ring.x, coords[beta][negatives[labels[negatives] == 2], 0])  # anchor 10 is "wave"
        np.testing.assert_allclose([star.x[0], star.y[0]], coords[beta][10])
        top = np.argsort(-q)[:3] if beta > 0 else []  # beta = 0: all equal, none named
        assert [t.name for t in heavy if t.showlegend] == [f"{r + 1}: {names[labels[i]]}" for r, i in enumerate(top)]
        for r, i in enumerate(top):  # each rank's shape on its negative
            assert (heavy[r].x[0], heavy[r].y[0]) == tuple(coords[beta][i])
        assert all("visible" not in t.to_plotly_json() for t in frame.data)  # the menu's choice survives the slider
    np.testing.assert_allclose(fig.frames[0].data[0].marker.color, 0.0)  # beta = 0: uniform, q M = 1
    assert fig.layout.coloraxis.cmin == -3 and fig.layout.coloraxis.cmax >= 0
    assert fig.layout.coloraxis.colorbar.ticktext[0] == "<= 0.001"
    single = viz_latent.anchor_weights_figure(coords, labels, names, {5: weights[5]})
    assert not single.layout.updatemenus
    # it opens at the largest beta (at beta = 0 every point is white): slider and data agree
    assert fig.layout.sliders[0].active == 2
    np.testing.assert_allclose(fig.data[0].marker.color, fig.frames[2].data[0].marker.color)
    first = viz_latent.anchor_weights_figure(coords, labels, names, weights, start=0)
    assert first.layout.sliders[0].active == 0
    np.testing.assert_allclose(first.data[0].marker.color, 0.0)


def test_anchor_weights_figure_errors(rng):
    coords, labels = latent_inputs(rng)
    names = list("abcd")
    with pytest.raises(ValueError, match="non-empty dict"):
        viz_latent.anchor_weights_figure(coords, labels, names, {})
    with pytest.raises(ValueError, match=r"anchor 30 outside \[0, 24\)"):
        viz_latent.anchor_weights_figure(coords, labels, names, {30: anchor_weights(rng, 24, 0)})
    with pytest.raises(ValueError, match="expected betas"):
        viz_latent.anchor_weights_figure(coords, labels, names, {1: anchor_weights(rng, 24, 1, betas=(0.0,))})
    bad = anchor_weights(rng, 24, 1)
    bad[1.0] = 2 * bad[1.0]
    with pytest.raises(ValueError, match="summing to 1"):
        viz_latent.anchor_weights_figure(coords, labels, names, {1: bad})
    with pytest.raises(ValueError, match="floor must be in"):
        viz_latent.anchor_weights_figure(coords, labels, names, {1: anchor_weights(rng, 24, 1)}, floor=2.0)
    with pytest.raises(ValueError, match="start: expected an index into the 3 betas, got 3"):
        viz_latent.anchor_weights_figure(coords, labels, names, {1: anchor_weights(rng, 24, 1)}, start=3)
    with pytest.raises(ValueError, match="0 <= top_k <= 5"):
        viz_latent.anchor_weights_figure(coords, labels, names, {1: anchor_weights(rng, 24, 1)}, top_k=6)


def test_figures_name_classes_by_their_short_legend_name(rng):
    coords, labels = latent_inputs(rng)
    names = ["walk", "circle_clockwise", "circle_counter_clockwise", "clap"]
    assert [viz_latent.legend_name(c) for c in names] == ["walk", "circle_cw", "circle_ccw", "clap"]
    anchor = int(np.flatnonzero(labels == 1)[0])
    fig = viz_latent.anchor_weights_figure(coords, labels, names, {anchor: anchor_weights(rng, 24, anchor)})
    ring, heavy = fig.frames[-1].data[2], fig.frames[-1].data[4:]
    assert ring.name == "same class as the anchor:<br>circle_cw"  # the name the prose quotes
    assert all(t.name.split(": ")[1] in {viz_latent.legend_name(c) for c in names} for t in heavy)
    assert {tr.name for tr in viz_latent.latent_space_figure(coords, labels, names).data} >= {"circle_cw", "circle_ccw"}


def test_anchor_weights_figure_names_the_heaviest_in_the_legend_not_on_the_map(rng):
    # the reader found names drawn on the map lying on other negatives, and two heaviest that
    # coincided told apart only by their leader lines
    coords, labels = latent_inputs(rng)
    coords = {b: np.zeros_like(c) + rng.normal(0, 1e-3, c.shape) for b, c in coords.items()}  # all points together
    names = ["walk", "sit", "wave", "clap"]
    for top_k in (3, len(viz_latent.RANK_SYMBOLS)):
        fig = viz_latent.anchor_weights_figure(coords, labels, names, {1: anchor_weights(rng, len(labels), 1)},
                                               top_k=top_k)
        heavy = fig.frames[-1].data[4:]
        assert len(heavy) == top_k
        assert all(t.mode == "markers" for t in fig.frames[-1].data)  # no text drawn on the map
        assert all(t.showlegend and t.legendgroup == "heaviest" for t in heavy)
        assert heavy[0].legendgrouptitle.text == "the heaviest negatives, by rank:"
        # one shape per rank: two coinciding heaviest negatives stay two marks
        assert len({t.marker.symbol for t in heavy}) == top_k
        # the legend: one entry per row, all of its rows under the colour bar and above the bottom
        legend, bar, height = fig.layout.legend, fig.layout.coloraxis.colorbar, fig.layout.height
        assert (legend.entrywidth, legend.entrywidthmode, legend.yanchor) == (1.0, "fraction", "top")
        rows = 3 + 1 + 1 + top_k  # three entries, the ring's class name, the group's title, the ranks
        assert legend.y * height >= rows * viz_latent._LEGEND_ROW_PX
        assert bar.yanchor == "bottom" and bar.y > legend.y
        plot = height - fig.layout.margin.t - fig.layout.margin.b
        assert plot >= 500  # the map keeps its height whatever the legend needs
    # at beta = 0 all weights are equal: no negative is named, the legend lists none
    assert not any(t.showlegend for t in fig.frames[0].data[4:])


def test_both_maps_open_on_the_same_beta_with_a_named_slider(rng):
    coords, labels = latent_inputs(rng)
    names = ["walk", "sit", "wave", "clap"]
    n = len(labels)
    classes = viz_latent.latent_space_figure(coords, labels, names, start=-1, slider_prefix="model at β = ")
    assert classes.layout.sliders[0].active == 2
    assert classes.layout.sliders[0].currentvalue.prefix == "model at β = "
    np.testing.assert_allclose(classes.data[0].x, coords[2.0][labels == 0, 0])
    with pytest.raises(ValueError, match="start"):
        viz_latent.latent_space_figure(coords, labels, names, start=3)
    q = np.full(n, 1.0 / (n - 1))
    q[0] = 0.0
    weights = viz_latent.anchor_weights_figure(coords, labels, names, {0: {b: q for b in coords}},
                                               slider_prefix="model at β = ")
    assert weights.layout.sliders[0].active == classes.layout.sliders[0].active
    assert weights.layout.sliders[0].currentvalue.prefix == "model at β = "
