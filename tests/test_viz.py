"""Tests for mmhar_lite.viz: figure structure, frames and sliders, numbers drawn, input errors."""

import subprocess
import sys

import numpy as np
import plotly.graph_objects as go
import pytest
from scipy import stats

from mmhar_lite import viz

UTD_CHANNELS = ["acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"]


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def kinect_sequence(rng, t=12):
    sk = rng.normal(scale=0.3, size=(20, 3, t))
    sk[:, 2] += 2.5  # depth of a subject in front of the sensor
    return sk


def slider_labels(fig):
    return [step.label for step in fig.layout.sliders[0].steps]


# --------------------------------------------------------------------------------------------
# skeleton


def test_skeleton_animation_3d_frames_slider_and_bones(rng):
    sk = kinect_sequence(rng, t=12)
    fig = viz.skeleton_animation(sk, rate_hz=30.0)
    assert isinstance(fig, go.Figure)
    assert len(fig.data) == 4  # trunk, left, right bones + joints
    assert len(fig.frames) == 12
    assert slider_labels(fig)[:3] == ["0.00", "0.03", "0.07"]
    assert [b.label for b in fig.layout.updatemenus[0].buttons] == ["Play", "Pause"]
    # joints of frame 5 are the input's frame 5
    joints = fig.frames[5].data[3]
    np.testing.assert_allclose(np.column_stack([joints.x, joints.y, joints.z]), sk[:, :, 5])
    assert list(joints.text) == list(viz.KINECT_V1.joint_names)
    # every Kinect bone appears once per frame: 3 entries (two ends and a None break) each
    n_points = sum(len(tr.x) for tr in fig.frames[0].data[:3])
    assert n_points == 3 * len(viz.KINECT_V1.edges)
    left = fig.frames[0].data[1]
    # the first left bone is left_shoulder (4) -> left_elbow (5)
    assert (left.x[0], left.x[1]) == (sk[4, 0, 0], sk[5, 0, 0])
    assert not np.allclose(fig.frames[0].data[3].x, fig.frames[1].data[3].x)


def test_skeleton_animation_3d_equal_aspect_and_camera(rng):
    fig = viz.skeleton_animation(kinect_sequence(rng))
    scene = fig.layout.scene
    spans = [ax.range[1] - ax.range[0] for ax in (scene.xaxis, scene.yaxis, scene.zaxis)]
    np.testing.assert_allclose(spans, spans[0])
    assert scene.aspectmode == "cube"
    assert (scene.camera.up.x, scene.camera.up.y, scene.camera.up.z) == (0, 1, 0)
    assert scene.camera.eye.z < 0  # looking from the sensor's side
    names = [tr.name for tr in fig.data]
    assert "subject's left limbs" in names and "subject's right limbs" in names  # whose side, said
    assert "(m)" in scene.xaxis.title.text


def test_skeleton_animation_2d_pixels(rng):
    sk = rng.uniform(100, 400, size=(17, 2, 8))
    fig = viz.skeleton_animation(sk)
    assert len(fig.frames) == 8 and slider_labels(fig)[-1] == "7"
    assert fig.layout.yaxis.range[0] > fig.layout.yaxis.range[1]  # image y grows downwards
    assert fig.layout.yaxis.scaleanchor == "x"
    assert "(px)" in fig.layout.xaxis.title.text


def test_skeleton_animation_errors(rng):
    with pytest.raises(ValueError, match="skeleton"):
        viz.skeleton_animation(rng.normal(size=(20, 3)))
    with pytest.raises(ValueError, match="layout"):
        viz.skeleton_animation(rng.normal(size=(11, 3, 5)))
    with pytest.raises(ValueError, match=r"skeleton.*\(J=17"):
        viz.skeleton_animation(rng.normal(size=(20, 3, 5)), layout="coco17")
    bad = kinect_sequence(rng)
    bad[3, 1, 2] = np.nan
    with pytest.raises(ValueError, match="skeleton: contains NaN"):
        viz.skeleton_animation(bad)
    with pytest.raises(ValueError, match="rate_hz"):
        viz.skeleton_animation(kinect_sequence(rng), rate_hz=0)


# --------------------------------------------------------------------------------------------
# IMU


def test_imu_traces_groups_units_and_time(rng):
    imu = rng.normal(size=(100, 6))
    fig = viz.imu_traces(imu, UTD_CHANNELS, rate_hz=50.0)
    assert len(fig.data) == 6
    assert fig.layout.yaxis.title.text == "g" and fig.layout.yaxis2.title.text == "deg/s"
    assert fig.layout.xaxis2.title.text == "time (s)"
    assert fig.data[0].x[-1] == pytest.approx(99 / 50.0)
    np.testing.assert_allclose(fig.data[4].y, imu[:, 4])
    # channels-first input gives the same figure
    same = viz.imu_traces(imu.T, UTD_CHANNELS, layout="CT")
    np.testing.assert_allclose(same.data[4].y, imu[:, 4])
    # one legend entry per axis, drawn in that axis's colour in every sensor
    shown = [(tr.name, tr.line.color) for tr in fig.data if tr.showlegend]
    assert [name for name, _ in shown] == ["sensor x", "sensor y", "sensor z"]
    assert len({colour for _, colour in shown}) == 3
    assert fig.data[3].line.color == fig.data[0].line.color and fig.data[3].legendgroup == "sensor x"
    # the legend in one row at the bottom of the figure, not a column taking plot width
    assert fig.layout.legend.orientation == "h" and fig.layout.legend.yref == "container"
    assert fig.layout.legend.y == 0 and fig.layout.margin.b >= 80


def test_imu_traces_twelve_channels_four_groups(rng):
    names = [f"{s}_{a}" for s in ("acc_phone", "acc_watch", "gyro", "orientation") for a in "xyz"]
    fig = viz.imu_traces(rng.normal(size=(40, 12)), names, units={"acc_phone": "m/s²"})
    assert len(fig.data) == 12
    titles = [fig.layout[f"yaxis{k if k > 1 else ''}"].title.text for k in range(1, 5)]
    assert titles == ["m/s²", "g", "deg/s", "deg"]
    assert [a.text for a in fig.layout.annotations] == ["acc_phone", "acc_watch", "gyro", "orientation"]


def test_imu_traces_errors(rng):
    with pytest.raises(ValueError, match="channel_names: 5 channel names for 6"):
        viz.imu_traces(rng.normal(size=(10, 6)), UTD_CHANNELS[:5])
    with pytest.raises(ValueError, match="layout"):
        viz.imu_traces(rng.normal(size=(10, 6)), layout="TCX")
    bad = rng.normal(size=(10, 6))
    bad[0, 0] = np.inf
    with pytest.raises(ValueError, match="imu: contains NaN or infinite"):
        viz.imu_traces(bad)
    with pytest.raises(ValueError, match="imu: expected 2 dimensions"):
        viz.imu_traces(rng.normal(size=(2, 10, 6)))


# --------------------------------------------------------------------------------------------
# augmentation gallery


def test_augmentation_gallery_imu(rng):
    imu = rng.normal(size=(50, 6))
    aug = {"jitter": imu + 0.05, "scaling": 1.2 * imu, "permutation": imu[::-1]}
    fig = viz.augmentation_gallery(imu, aug, kind="imu", channel_names=UTD_CHANNELS)
    assert len(fig.data) == 3 * 6 * 2  # per augmentation and channel: original + augmented
    # one horizontal title over each panel, augmentation and sensor
    assert [a.text for a in fig.layout.annotations][:3] == ["jitter: acc", "jitter: gyro", "scaling: acc"]
    assert all(not a.textangle for a in fig.layout.annotations)
    scaled = [tr for tr in fig.data if tr.name == "sensor y" and tr.xaxis == "x3"]  # scaling, acc
    np.testing.assert_allclose(scaled[0].y, 1.2 * imu[:, 1])
    # the legend lies across the top, in the top margin above the first panel's title
    legend = fig.layout.legend
    assert legend.orientation == "h" and legend.yref == "container" and legend.yanchor == "top"
    assert (1 - legend.y) * fig.layout.height < fig.layout.margin.t - 60


def test_augmentation_gallery_skeleton(rng):
    sk = kinect_sequence(rng, t=10)
    aug = {"jitter": sk + 0.1, "scale": 0.8 * sk}
    fig = viz.augmentation_gallery(sk, aug, kind="skeleton", frame=4)
    assert len(fig.data) == 2 * (4 + 4)  # original + augmented, each 3 bone groups + joints
    joints = [tr for tr in fig.data if tr.name == "augmented: joints" and tr.xaxis == "x2"][0]  # "scale"
    np.testing.assert_allclose(joints.x, 0.8 * sk[:, 0, 4])
    assert "frame 4" in fig.layout.title.text
    # one grey entry for the original, one per bone group of the augmented view, words apart
    shown = [tr.name for tr in fig.data if tr.showlegend is not False]
    assert shown == ["original (grey)", "augmented: trunk", "augmented: subject's left limbs",
                     "augmented: subject's right limbs", "augmented: joints"]
    # seen from the camera: camera-space x (the subject's right) grows to the viewer's left
    assert fig.layout.xaxis.range[0] > fig.layout.xaxis.range[1]
    assert "seen from the camera" in fig.layout.title.text
    # axes with ticks and units, as shared axes: x under each column, y left of the first one
    assert (fig.layout.xaxis.title.text, fig.layout.xaxis2.title.text) == ("x (m)", "x (m)")
    assert (fig.layout.yaxis.title.text, fig.layout.yaxis2.title.text) == ("y (m)", None)
    assert (fig.layout.yaxis.showticklabels, fig.layout.yaxis2.showticklabels) == (True, False)
    normalised = viz.augmentation_gallery(sk, aug, kind="skeleton", coordinate_unit="torso lengths")
    assert normalised.layout.yaxis.title.text == "y (torso lengths)"


def test_augmentation_gallery_skeleton_two_columns_and_pixels_as_imaged(rng):
    sk = kinect_sequence(rng, t=10)
    fig = viz.augmentation_gallery(sk, {name: sk + 0.01 * k for k, name in enumerate("abcde")}, kind="skeleton")
    assert [a.text for a in fig.layout.annotations] == list("abcde")
    assert fig.layout.xaxis2.domain[0] > 0.5 and fig.layout.xaxis3.domain[0] < 0.5  # 2 panels a row
    # 5 panels in 3 rows: "d" (row 2, right) has no panel under it, so it carries an x title too
    axes = [fig.layout[f"xaxis{'' if k == 1 else k}"] for k in range(1, 6)]
    assert [k for k, ax in enumerate(axes, 1) if ax.title.text] == [4, 5]
    assert [k for k, ax in enumerate(axes, 1) if ax.showticklabels] == [4, 5]  # ticks only where titled
    pixels = rng.uniform(0, 640, size=(17, 2, 6))
    image = viz.augmentation_gallery(pixels, {"x": pixels}, kind="skeleton")
    assert image.layout.xaxis.range[0] < image.layout.xaxis.range[1]  # image x grows to the right
    assert image.layout.yaxis.range[0] > image.layout.yaxis.range[1]  # image rows grow downwards
    assert image.layout.xaxis.title.text == "x (px)"


def test_augmentation_gallery_errors(rng):
    imu = rng.normal(size=(50, 6))
    with pytest.raises(ValueError, match=r"augmented\['bad'\]: 5 channels"):
        viz.augmentation_gallery(imu, {"bad": imu[:, :5]}, kind="imu")
    with pytest.raises(ValueError, match="kind"):
        viz.augmentation_gallery(imu, {"x": imu}, kind="audio")
    with pytest.raises(ValueError, match="augmented"):
        viz.augmentation_gallery(imu, {}, kind="imu")
    sk = kinect_sequence(rng, t=6)
    with pytest.raises(ValueError, match="frame"):
        viz.augmentation_gallery(sk, {"x": sk}, kind="skeleton", frame=6)


# --------------------------------------------------------------------------------------------
# hard-negative weights


def test_anchor_negative_weights_match_the_formula(rng):
    a, b = rng.normal(size=(10, 5)), rng.normal(size=(10, 5))
    t, anchor = 0.2, 3
    w = viz.anchor_negative_weights(a, b, anchor=anchor, temperature=t, betas=[2.0, 0.0])
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
        viz.anchor_negative_weights(a, a, anchor=6, temperature=0.1, betas=[1.0])
    with pytest.raises(ValueError, match="a, b"):
        viz.anchor_negative_weights(a, a[:5], anchor=0, temperature=0.1, betas=[1.0])
    with pytest.raises(ValueError, match="betas"):
        viz.anchor_negative_weights(a, a, anchor=0, temperature=0.1, betas=[])


def test_negative_weights_figure_beta_slider(rng):
    sim = rng.uniform(-1, 1, size=15)
    weights = {b: np.exp(b * sim / 0.1) / np.exp(b * sim / 0.1).sum() for b in (1.0, 0.0, 0.5)}
    labels = np.arange(15) % 3
    fig = viz.negative_weights_figure(weights, sim, negative_labels=labels, anchor_label=1,
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
    bunched = viz.negative_weights_figure({0.0: np.full(4, 0.25)}, np.array([0.1, 0.2, 0.3, 0.4]))
    assert bunched.layout.xaxis.range == pytest.approx((0.085, 0.415)) and list(bunched.data[-1].x) == pytest.approx([0.085, 0.415])


def test_negative_weights_figure_opens_at_initial_beta(rng):
    sim = rng.uniform(-1, 1, size=15)
    weights = {b: np.exp(b * sim / 0.1) / np.exp(b * sim / 0.1).sum() for b in (0.0, 0.5, 1.0)}
    fig = viz.negative_weights_figure(weights, sim, initial_beta=1.0)
    assert fig.layout.sliders[0].active == 2
    np.testing.assert_allclose(fig.data[0].y, weights[1.0])
    with pytest.raises(ValueError, match=r"initial_beta: expected one of \[0.0, 0.5, 1.0\], got 2.0"):
        viz.negative_weights_figure(weights, sim, initial_beta=2.0)


def test_negative_weights_figure_errors(rng):
    sim = rng.uniform(-1, 1, size=5)
    with pytest.raises(ValueError, match=r"weights_by_beta\[1\.0\]: expected shape \(5,\)"):
        viz.negative_weights_figure({1.0: np.full(4, 0.25)}, sim)
    with pytest.raises(ValueError, match="weights_by_beta"):
        viz.negative_weights_figure({}, sim)
    with pytest.raises(ValueError, match="beta must be"):
        viz.negative_weights_figure({-1.0: np.full(5, 0.2)}, sim)
    with pytest.raises(ValueError, match="similarities: contains NaN"):
        viz.negative_weights_figure({1.0: np.full(5, 0.2)}, np.full(5, np.nan))
    with pytest.raises(ValueError, match="give both"):
        viz.negative_weights_figure({1.0: np.full(5, 0.2)}, sim, negative_labels=np.zeros(5))


# --------------------------------------------------------------------------------------------
# latent space


def test_reduce_2d_pca_is_top_principal_plane(rng):
    x = rng.normal(size=(40, 6)) * np.array([5.0, 3.0, 1.0, 0.5, 0.2, 0.1])
    z = viz.reduce_2d(x, "pca")
    assert z.shape == (40, 2)
    eig = np.sort(np.linalg.eigvalsh(np.cov(x.T)))[::-1]
    np.testing.assert_allclose(z.var(axis=0, ddof=1), eig[:2], rtol=1e-10)
    # signs follow the loadings, not the SVD's arbitrary choice: mirrored data, mirrored plot
    np.testing.assert_allclose(viz.reduce_2d(-x, "pca"), -z, atol=1e-12)
    np.testing.assert_allclose(viz.reduce_2d(x[::-1], "pca"), z[::-1], atol=1e-12)


def test_reduce_2d_errors(rng):
    with pytest.raises(ValueError, match="method"):
        viz.reduce_2d(rng.normal(size=(10, 3)), "tsne")
    with pytest.raises(ValueError, match="features"):
        viz.reduce_2d(rng.normal(size=(2, 3)), "pca")


def test_viz_import_does_not_import_umap():
    code = "import sys, mmhar_lite.viz; print('umap' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def random_rotation(rng, e):
    q, r = np.linalg.qr(rng.normal(size=(e, e)))
    return q * np.sign(np.diag(r))


def test_align_embeddings_undoes_a_rotation_and_keeps_every_cosine(rng):
    x = rng.normal(size=(30, 6))
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    rotated = 2.5 * x @ random_rotation(rng, 6)  # another model: same geometry, other orientation and scale
    other = rng.normal(size=(30, 6))
    aligned = viz.align_embeddings([x, rotated, other])
    np.testing.assert_allclose(aligned[0], unit, atol=1e-12)
    np.testing.assert_allclose(aligned[1], unit, atol=1e-10)
    other_unit = other / np.linalg.norm(other, axis=1, keepdims=True)
    np.testing.assert_allclose(aligned[2] @ aligned[2].T, other_unit @ other_unit.T, atol=1e-12)  # cosines kept


def test_align_embeddings_errors(rng):
    with pytest.raises(ValueError, match=r"embeddings\[1\]: expected shape \(5, 3\)"):
        viz.align_embeddings([rng.normal(size=(5, 3)), rng.normal(size=(4, 3))])
    with pytest.raises(ValueError, match="a row is zero"):
        viz.align_embeddings([np.zeros((5, 3))])
    with pytest.raises(ValueError, match="at least one"):
        viz.align_embeddings([])


def test_joint_layout_puts_every_beta_in_one_frame(rng):
    x = rng.normal(size=(20, 5)) * np.array([4.0, 2.0, 1.0, 0.5, 0.1])
    rotated = x @ random_rotation(rng, 5)
    layout = viz.joint_layout({1.0: rotated, 0.0: x}, "pca")
    assert list(layout) == [0.0, 1.0] and layout[0.0].shape == (20, 2)
    np.testing.assert_allclose(layout[1.0], layout[0.0], atol=1e-9)  # the same geometry lands on the same points
    # separate reductions would not put them in one frame: PCA of each is only defined up to the plot's axes
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    np.testing.assert_allclose(layout[0.0], viz.reduce_2d(np.concatenate([unit, unit]), "pca")[:20], atol=1e-9)


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
    fig = viz.latent_space_figure(coords, labels, names)
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
    everything = np.concatenate(list(coords.values()))
    assert fig.layout.xaxis.range[0] <= everything[:, 0].min() and fig.layout.xaxis.range[1] >= everything[:, 0].max()


def test_class_styles_never_repeat_for_27_classes():
    assert len({viz.class_style(k) for k in range(27)}) == 27


def test_latent_space_figure_skips_absent_classes_and_checks_input(rng):
    coords, labels = latent_inputs(rng)
    assert len(viz.latent_space_figure(coords, labels, list("abcde")).data) == 4  # class "e" has no point
    names = list("abcd")
    with pytest.raises(ValueError, match=r"labels: expected shape \(24,\)"):
        viz.latent_space_figure(coords, labels[:-1], names)
    with pytest.raises(ValueError, match="labels: expected integer"):
        viz.latent_space_figure(coords, labels + 0.5, names)
    with pytest.raises(ValueError, match="labels: expected values in"):
        viz.latent_space_figure(coords, labels, names[:3])
    bad = dict(coords)
    bad[1.0] = coords[1.0][:20]
    with pytest.raises(ValueError, match=r"coords_by_beta\[1\.0\]"):
        viz.latent_space_figure(bad, labels, names)
    nan = dict(coords)
    nan[2.0] = np.where(np.arange(48).reshape(24, 2) == 7, np.nan, coords[2.0])
    with pytest.raises(ValueError, match="NaN"):
        viz.latent_space_figure(nan, labels, names)


def test_anchor_weights_figure_colours_names_and_anchor_menu(rng):
    coords, labels = latent_inputs(rng)
    names = ["walk", "sit", "wave", "clap"]
    weights = {5: anchor_weights(rng, 24, 5), 10: anchor_weights(rng, 24, 10)}
    fig = viz.anchor_weights_figure(coords, labels, names, weights, top_k=3, floor=1e-3)
    assert len(fig.data) == 10 and len(fig.frames) == 3 and slider_labels(fig) == ["0", "1", "2"]
    assert [tr.visible for tr in fig.data] == [True] * 5 + [False] * 5
    menu = fig.layout.updatemenus[0]
    assert [b.label for b in menu.buttons] == ["anchor 5: sit", "anchor 10: wave"]
    assert menu.buttons[1].args[0]["visible"] == [False] * 5 + [True] * 5
    negatives = np.delete(np.arange(24), 10)
    for frame, beta in zip(fig.frames, (0.0, 1.0, 2.0)):
        q = weights[10][beta]
        dots, key, ring, star, heavy = frame.data[5:]
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
        assert [t for t in heavy.text if t.strip()] == [f"{r + 1}: {names[labels[i]]}" for r, i in enumerate(top)]
        assert all("visible" not in t.to_plotly_json() for t in frame.data)  # the menu's choice survives the slider
    np.testing.assert_allclose(fig.frames[0].data[0].marker.color, 0.0)  # beta = 0: uniform, q M = 1
    assert fig.layout.coloraxis.cmin == -3 and fig.layout.coloraxis.cmax >= 0
    assert fig.layout.coloraxis.colorbar.ticktext[0] == "<= 0.001"
    single = viz.anchor_weights_figure(coords, labels, names, {5: weights[5]})
    assert not single.layout.updatemenus
    # it opens at the largest beta (at beta = 0 every point is white): slider and data agree
    assert fig.layout.sliders[0].active == 2
    np.testing.assert_allclose(fig.data[0].marker.color, fig.frames[2].data[0].marker.color)
    first = viz.anchor_weights_figure(coords, labels, names, weights, start=0)
    assert first.layout.sliders[0].active == 0
    np.testing.assert_allclose(first.data[0].marker.color, 0.0)


def test_anchor_weights_figure_errors(rng):
    coords, labels = latent_inputs(rng)
    names = list("abcd")
    with pytest.raises(ValueError, match="non-empty dict"):
        viz.anchor_weights_figure(coords, labels, names, {})
    with pytest.raises(ValueError, match=r"anchor 30 outside \[0, 24\)"):
        viz.anchor_weights_figure(coords, labels, names, {30: anchor_weights(rng, 24, 0)})
    with pytest.raises(ValueError, match="expected betas"):
        viz.anchor_weights_figure(coords, labels, names, {1: anchor_weights(rng, 24, 1, betas=(0.0,))})
    bad = anchor_weights(rng, 24, 1)
    bad[1.0] = 2 * bad[1.0]
    with pytest.raises(ValueError, match="summing to 1"):
        viz.anchor_weights_figure(coords, labels, names, {1: bad})
    with pytest.raises(ValueError, match="floor must be in"):
        viz.anchor_weights_figure(coords, labels, names, {1: anchor_weights(rng, 24, 1)}, floor=2.0)
    with pytest.raises(ValueError, match="start: expected an index into the 3 betas, got 3"):
        viz.anchor_weights_figure(coords, labels, names, {1: anchor_weights(rng, 24, 1)}, start=3)


# --------------------------------------------------------------------------------------------
# training curves and results


def test_loss_curves():
    hist = {
        "cmc": [{"epoch": e, "loss": 5 - 0.1 * e, "lr": 1e-3, "time": 0.5, "extra": 1} for e in range(5)],
        "cmc-hnl": [{"epoch": e, "loss": 5 - 0.2 * e, "val_loss": 5.0, "lr": 1e-3} for e in range(5)],
    }
    fig = viz.loss_curves(hist)
    assert [tr.name for tr in fig.data] == ["cmc", "cmc lr", "cmc-hnl", "cmc-hnl (validation)", "cmc-hnl lr"]
    np.testing.assert_allclose(fig.data[2].y, [5 - 0.2 * e for e in range(5)])
    assert fig.layout.yaxis2.type == "log"
    # a flat rate: one tick, "1e-3", in the middle of the panel (not plotly's "1m" / "100μ")
    assert list(fig.layout.yaxis2.tickvals) == [1e-3] and list(fig.layout.yaxis2.ticktext) == ["1e-3"]
    assert fig.layout.yaxis2.range[0] < -3 < fig.layout.yaxis2.range[1]
    # under the plot, not beside it (a phone's width) nor above it (into the title)
    assert fig.layout.legend.orientation == "h" and fig.layout.legend.yref == "container"
    assert all("markers" in tr.mode for tr in fig.data)  # a one-epoch run is still drawn
    # coinciding runs stay visible: the later one nested inside the earlier's markers, own symbol and dash
    cmc, hnl = fig.data[0], fig.data[2]
    assert hnl.marker.size < cmc.marker.size and hnl.marker.symbol != cmc.marker.symbol
    assert hnl.line.dash != cmc.line.dash
    halved = [{"epoch": e, "loss": 1.0, "lr": 1e-3 * 0.5 ** (e // 30)} for e in range(150)]
    axis = viz.loss_curves({"long": halved}).layout.yaxis2
    assert list(axis.ticktext) == ["6.25e-5", "2.5e-4", "1e-3"]  # at most three, at rates the run used
    with pytest.raises(ValueError, match=r"histories\['x'\]\[1\]: missing key 'loss'"):
        viz.loss_curves({"x": [{"epoch": 0, "loss": 1.0}, {"epoch": 1}]})


def test_coinciding_curves_ring_and_name_the_hidden_run():
    base = [{"epoch": e, "loss": 5 - 0.1 * e} for e in range(1, 21)]
    near = [{"epoch": r["epoch"], "loss": r["loss"] - 0.01} for r in base]  # 0.01 of a span of 1.9
    far = [{"epoch": r["epoch"], "loss": r["loss"] - 0.5} for r in base]
    hist = {"a": base, "b": far, "c": near}
    found = viz.coinciding_curves(hist)
    assert list(found) == ["c"] and found["c"][0] == "a" and found["c"][1] == pytest.approx(0.01)
    assert viz.coinciding_curves(hist, rel_tol=0.001) == {}
    assert viz.coinciding_curves({"a": base, "x": [{"epoch": 99, "loss": 5.0}]}) == {}  # no shared epoch
    fig = viz.loss_curves(hist)
    a, c = fig.data[0], fig.data[2]
    # the hidden run: open markers larger than those it sits on, and a legend entry that says so
    assert c.marker.symbol.endswith("-open") and c.marker.size > a.marker.size
    assert c.name == "c (on a: within 0.01)" and fig.data[1].name == "b"


def records(rng):
    """Per-seed result records shaped like experiments' (fractions), with sweep keys."""
    out = []
    for method in ("cmc", "cmc-hnl"):
        for seed in range(3):
            for beta in (0.5, 1.0):
                for fraction in (0.1, 0.5):
                    out.append(dict(method=method, pretrain_modality="multimodal",
                                    finetune_modality="multimodal", dataset="synthetic", seed=seed,
                                    accuracy=float(rng.uniform(0.6, 0.9)), macro_f1=0.7, beta=beta,
                                    label_fraction=fraction, temperature=0.1))
    return out


def summary_row(method, pre, fine, accs, **keys):
    accs = np.asarray(accs)
    half = stats.t.ppf(0.975, accs.size - 1) * accs.std(ddof=1) / np.sqrt(accs.size)
    return dict(method=method, pretrain_modality=pre, finetune_modality=fine, n=accs.size, **keys,
                accuracy_mean=accs.mean(), accuracy_std=accs.std(ddof=1), accuracy_ci95=half)


def test_results_bar_rows_and_paper_numbers():
    summary = [summary_row("cmc", "multimodal", "multimodal", [0.80, 0.90], note="ignored"),
               summary_row("cmc-hnl", "multimodal", "imu", [0.70, 0.72, 0.74])]
    paper = {("cmc", "multimodal", "multimodal"): 95.35, ("cmc-hnl", "multimodal", "imu"): None}
    fig = viz.results_bar(summary, paper=paper)
    ours, published = fig.data
    # horizontal bars: short method names on the y axis, first row on top
    assert ours.orientation == published.orientation == "h"
    assert list(ours.y) == ["cmc (mm)", "cmc-hnl (mm → imu)"]
    assert fig.layout.yaxis.autorange == "reversed"
    np.testing.assert_allclose(ours.x, [85.0, 72.0])
    np.testing.assert_allclose(ours.error_x.array, [100 * np.std([0.8, 0.9], ddof=1), 2.0])
    assert list(published.x) == [95.35, None]
    assert fig.layout.xaxis.title.text == "accuracy (%)" and ours.name == "this run, mean ± std"
    with pytest.raises(ValueError, match=r"summary\[0\]: missing keys \['macro_f1_mean', 'macro_f1_std'\]"):
        viz.results_bar(summary, metric="macro_f1")
    with pytest.raises(ValueError, match="summary"):
        viz.results_bar([])


def test_results_bar_clips_error_bars_at_100_and_zooms_on_request():
    summary = [summary_row("cmc", "multimodal", "multimodal", [0.97, 0.99, 1.0]),
               summary_row("random-init", "none", "multimodal", [0.86, 0.88, 0.90])]
    paper = {("cmc", "multimodal", "multimodal"): 95.35}
    fig = viz.results_bar(summary, paper=paper, run_name="committed run", zoom=True)
    ours = fig.data[0]
    std = 100 * np.std([0.97, 0.99, 1.0], ddof=1)
    np.testing.assert_allclose(ours.error_x.array[0], 100 - 100 * np.mean([0.97, 0.99, 1.0]))
    np.testing.assert_allclose(ours.error_x.arrayminus[0], std)
    assert ours.name == "committed run, mean ± std"
    # the lowest bar minus its std is 86 %: the axis starts at the multiple of 5 at least 5 points below
    # it (so the shortest bar is not a stub), and says so, with the cmc bar's std cut at 100 %
    assert list(fig.layout.xaxis.range) == [80.0, 100.0]
    assert fig.layout.xaxis.title.text == "accuracy (%)<br>axis starts at 80 %<br>error bars cut at 100 %"
    uncut = [summary_row("cmc", "multimodal", "multimodal", [0.90, 0.91, 0.92])]
    assert viz.results_bar(uncut, zoom=True).layout.xaxis.title.text == "accuracy (%)<br>axis starts at 85 %"
    assert list(viz.results_bar(summary).layout.xaxis.range) == [0, 100]
    # a tick at the start the title names (plotly's own ticks began at the next multiple of 10)
    assert (fig.layout.xaxis.tickmode, fig.layout.xaxis.tick0, fig.layout.xaxis.dtick) == ("linear", 80.0, 5)
    wide = [summary_row("cmc", "multimodal", "multimodal", [0.30, 0.32, 0.34])]
    assert (viz.results_bar(wide, zoom=True).layout.xaxis.tick0, viz.results_bar(wide, zoom=True).layout.xaxis.dtick) == (25.0, 20)
    assert viz.results_bar(summary).layout.xaxis.tickmode is None  # unzoomed: plotly's ticks from 0


def test_results_bar_marks_flagged_rows_and_says_why():
    summary = [summary_row("simclr", "skeleton", "skeleton", [0.70, 0.72]),
               summary_row("cmc", "multimodal", "multimodal", [0.97, 0.99])]
    paper = {("simclr", "skeleton", "skeleton"): 80.0}
    fig = viz.results_bar(summary, paper=paper, flagged=[("simclr", "skeleton", "skeleton")],
                          flag_note="older encoder")
    ours, published = fig.data
    assert list(ours.y) == list(published.y) == ["simclr (skel) *", "cmc (mm)"]
    assert list(published.x) == [80.0, None]
    assert fig.layout.xaxis.title.text.endswith("<br>* older encoder")
    assert "*" not in viz.results_bar(summary, flagged=[("cmc", "imu", "imu")]).layout.xaxis.title.text
    with pytest.raises(ValueError, match="flag_note"):
        viz.results_bar(summary, flagged=[("cmc", "multimodal", "multimodal")])


def test_results_bar_row_names_of_two_lines_do_not_overlap():
    # 12 rows of two-line names ("cmc-hnl<br>(mm → imu)") at 22 px a row ran into each other
    methods = ["supervised", "simclr", "simclr-hnl", "cmc", "cmc-cmkm", "cmc-hnl"]
    summary = [{"method": m, "pretrain_modality": "multimodal", "finetune_modality": "imu", "n": 3,
                "accuracy_mean": 0.9, "accuracy_std": 0.01} for m in methods * 2]
    for paper in (None, {("cmc", "multimodal", "imu"): 90.0}):
        for zoom in (False, True):
            fig = viz.results_bar(summary, paper=paper, zoom=zoom)
            font = fig.layout.yaxis.tickfont.size
            lines = max(t.count("<br>") + 1 for t in fig.layout.yaxis.ticktext)
            assert lines == 2
            plot = fig.layout.height - fig.layout.margin.t - fig.layout.margin.b
            # a row (the plot's height over its rows) holds its name's lines at plotly's 1.25 line
            # height and a gap to the next name, whatever the screen's width
            assert plot / len(summary) >= lines * 1.25 * font + 6
            # the bottom margin holds the tick labels and every line of the axis title
            title_lines = fig.layout.xaxis.title.text.count("<br>") + 1
            assert fig.layout.margin.b >= 20 + title_lines * 16


def test_results_bar_clips_error_bars_at_0_too():
    # mean 2 %, std 3 points: the drawn bar must not reach below 0 %
    low = [summary_row("random-init", "none", "imu", [0.0, 0.01, 0.05])]
    bar = viz.results_bar(low).data[0]
    mean = 100 * np.mean([0.0, 0.01, 0.05])
    assert 100 * np.std([0.0, 0.01, 0.05], ddof=1) > mean
    np.testing.assert_allclose(bar.error_x.arrayminus[0], mean)
    assert bar.x[0] - bar.error_x.arrayminus[0] >= 0.0 and bar.x[0] + bar.error_x.array[0] <= 100.0


def test_results_bar_draws_no_error_bar_from_one_seed():
    one = [dict(summary_row("cmc", "multimodal", "multimodal", [0.8, 0.9]), n=1, accuracy_std=0.0),
           dict(summary_row("random-init", "none", "imu", [0.8, 0.9]), n=1, accuracy_std=0.0)]
    bar = viz.results_bar(one).data[0]
    assert bar.error_x.visible is False and bar.name == "this run, one seed"
    assert list(bar.y) == ["cmc (mm)", "random-init (imu)"]  # never pre-trained: its head only


def test_results_bar_from_experiments_summarize(rng):
    from mmhar_lite import experiments

    recs = records(rng)
    fig = viz.results_bar(experiments.summarize(recs))
    cmc = np.array([r["accuracy"] for r in recs if r["method"] == "cmc"]) * 100
    assert list(fig.data[0].y) == ["cmc (mm)", "cmc-hnl (mm)"]
    assert fig.data[0].x[0] == pytest.approx(cmc.mean())
    assert fig.data[0].error_x.array[0] == pytest.approx(cmc.std(ddof=1))


def test_beta_sweep_ci_band_from_experiments_summarize(rng):
    from mmhar_lite import experiments

    recs = records(rng)
    fig = viz.beta_sweep_figure(experiments.summarize(recs, ("method", "finetune_modality", "beta")))
    band, line = fig.data[2], fig.data[3]  # the second method
    assert line.name == "cmc-hnl"  # one head for every row: the method names the line
    assert list(line.x) == [0.5, 1.0]
    # every swept beta has a labelled tick
    assert list(fig.layout.xaxis.tickvals) == [0.5, 1.0] and list(fig.layout.xaxis.ticktext) == ["0.5", "1"]
    accs = np.array([r["accuracy"] for r in recs if r["method"] == "cmc-hnl" and r["beta"] == 1.0]) * 100
    half = stats.t.ppf(0.975, accs.size - 1) * accs.std(ddof=1) / np.sqrt(accs.size)
    assert line.y[1] == pytest.approx(accs.mean())
    assert np.asarray(line.customdata)[1, 0] == pytest.approx(half)
    # the band's upper edge runs left to right, its lower edge back
    np.testing.assert_allclose(band.y[:2], line.y + np.asarray(line.customdata)[:, 0])
    np.testing.assert_allclose(band.y[2:], (line.y - np.asarray(line.customdata)[:, 0])[::-1])


def test_limited_labels_figure():
    summary = [summary_row("cmc-hnl", None, "multimodal", [0.5, 0.6, 0.7], label_fraction=f) for f in (0.5, 0.02)]
    fig = viz.limited_labels_figure(summary)
    assert len(fig.data) == 2
    assert list(fig.data[1].x) == [2.0, 50.0]  # sorted, in percent
    assert fig.layout.xaxis.type == "log"
    # one labelled tick per measured fraction, not plotly's "2 3 ... 10 2 3 4 5"
    assert list(fig.layout.xaxis.tickvals) == [2.0, 50.0]
    assert list(fig.layout.xaxis.ticktext) == ["2 %", "50 %"]
    named = viz.limited_labels_figure(summary, tick_labels={0.02: "2 = 5 %"})
    assert list(named.layout.xaxis.ticktext) == ["2 = 5 %", "50 %"]
    mixed = summary + [summary_row("cmc-hnl", None, "imu", [0.5, 0.6, 0.7], label_fraction=0.5)]
    assert {tr.name for tr in viz.limited_labels_figure(mixed).data} >= {"cmc-hnl (multimodal)", "cmc-hnl (imu)"}


def test_ci_band_needs_three_seeds_and_stays_within_0_100():
    two = [summary_row("cmc", None, "multimodal", [0.5, 0.6], label_fraction=f) for f in (0.1, 0.5)]
    only_line = viz.limited_labels_figure(two).data
    assert [tr.name for tr in only_line] == ["cmc"]  # no band
    assert "no interval" in only_line[0].text[0] and "±" not in only_line[0].text[0]
    wide = [summary_row("cmc", None, "multimodal", [0.02, 0.5, 0.99], label_fraction=f) for f in (0.1, 0.5)]
    band, line = viz.limited_labels_figure(wide).data
    half = np.asarray(line.customdata)[:, 0]
    assert max(line.y + half) > 100 and min(line.y - half) < 0  # the interval itself is wider
    assert min(band.y) == 0.0 and max(band.y) == 100.0
    with pytest.raises(ValueError, match="label_fraction"):
        viz.limited_labels_figure([summary_row("cmc", None, "imu", [0.5, 0.6])])


def test_ci_lines_axis_holds_every_band_and_equal_lines_stay_apart():
    # a band reaching 49.35 % (as in a committed Figure 4) must not be cut by an axis starting at 50
    accs = [0.50, 0.55, 0.60]
    rows = [summary_row(m, None, "multimodal", accs, label_fraction=f) for m in ("cmc", "cmc-hnl") for f in (0.1, 0.5)]
    fig = viz.limited_labels_figure(rows)
    bands = [tr for tr in fig.data if tr.fill == "toself"]
    lowest, highest = min(min(b.y) for b in bands), max(max(b.y) for b in bands)
    assert lowest < 50
    y0, y1 = fig.layout.yaxis.range
    assert y0 <= lowest and y1 >= highest and y0 % 5 == 0 and 0 <= y0 < y1 <= 100
    assert all(b.mode == "lines" for b in bands)  # no markers at the band's corners
    # the two methods have equal means: they differ in dash and marker, the later one drawn smaller
    cmc, hnl = [tr for tr in fig.data if tr.mode == "lines+markers"]
    np.testing.assert_allclose(cmc.y, hnl.y)
    assert cmc.line.dash != hnl.line.dash and cmc.marker.symbol != hnl.marker.symbol
    assert cmc.marker.size > hnl.marker.size
    # one seed, every mean at 100 %: the axis still has a height
    top = [dict(summary_row("cmc", None, "multimodal", [1.0, 1.0]), n=1, label_fraction=0.5)]
    assert list(viz.limited_labels_figure(top).layout.yaxis.range) == [95.0, 100.0]


def test_confusion_matrix_single_errors_stand_out_from_empty_cells():
    cm = np.diag([15, 16, 16]); cm[0, 1] = 1  # one error in sixteen: 6.25 % of the row
    heat = viz.confusion_matrix_figure(cm, ["a", "b", "c"]).data[0]
    stops = [(float(v), c) for v, c in heat.colorscale]
    assert stops[0] == (0.0, "#ffffff")
    # the colour of 6.25 % (of zmax 100) lies past the first non-white stop, so it is not white
    first_colour_at = stops[1][0]
    assert 0 < first_colour_at < 0.0625 and heat.zmin == 0 and heat.zmax == 100


def test_confusion_matrix_figure():
    cm = np.array([[8, 2, 0], [0, 5, 5], [0, 0, 0]])
    fig = viz.confusion_matrix_figure(cm, ["a", "b", "c"])
    z = np.asarray(fig.data[0].z)
    np.testing.assert_allclose(z[0], [80, 20, 0])
    np.testing.assert_allclose(z[2], 0)  # no samples: stays 0, no division by zero
    counts = viz.confusion_matrix_figure(cm, ["a", "b", "c"], normalize=False)
    np.testing.assert_allclose(np.asarray(counts.data[0].z), cm)
    assert fig.layout.width is None  # takes the text column's width, never a fixed one
    with pytest.raises(ValueError, match=r"cm: expected shape \(2, 2\)"):
        viz.confusion_matrix_figure(cm, ["a", "b"])


def test_class_style_distinct_for_27_classes():
    styles = {viz.class_style(k) for k in range(27)}
    assert len(styles) == 27


def _regime_records():
    """Records of two regimes x two batch sizes x two methods x 3 seeds, one near 100 %."""
    recs = []
    for regime, base in (("today", 0.99), ("hard", 0.6)):
        for batch in (32, 128):
            for k, method in enumerate(("cmc", "cmc-hnl")):
                for seed, noise in enumerate((-0.02, 0.0, 0.02)):
                    acc = min(1.0, base + 0.01 * k + noise * (3 if regime == "today" else 1))
                    recs.append({"regime": regime, "batch_size": batch, "finetune_modality": "multimodal",
                                 "method": method, "seed": seed, "accuracy": acc, "macro_f1": acc})
    return recs


def test_regimes_figure_panels_styles_and_clipped_intervals():
    from mmhar_lite import experiments

    summary = experiments.summarize(_regime_records(), ("regime", "batch_size", "finetune_modality", "method"))
    fig = viz.regimes_figure(summary)
    assert [a.text for a in fig.layout.annotations] == ["batch size 32", "batch size 128"]
    assert len(fig.data) == 4  # 2 methods x 2 panels
    styles = {(t.name, t.marker.color, t.marker.symbol) for t in fig.data}
    assert len({(c, s) for _, c, s in styles}) == len({n for n, _, _ in styles}) == 2
    assert [t.showlegend for t in fig.data] == [True, False, True, False]
    assert fig.layout.title.text and fig.layout.xaxis.title.text and fig.layout.yaxis.title.text
    for trace in fig.data:
        y = np.asarray(trace.y)
        assert np.all(y + np.asarray(trace.error_y.array) <= 100 + 1e-9)
        assert np.all(y - np.asarray(trace.error_y.arrayminus) >= -1e-9)
    # cmc-hnl, batch 32: regime order kept (today, hard); the means are the records' means in %.
    hnl = fig.data[2]
    accs = [100 * r["accuracy"] for r in _regime_records() if r["method"] == "cmc-hnl" and r["batch_size"] == 32]
    assert hnl.y[0] == pytest.approx(np.mean(accs[:3])) and hnl.y[1] == pytest.approx(np.mean(accs[3:]))
    assert hnl.x[0] < 0.5 < hnl.x[1]
    # today's cmc-hnl interval would pass 100 %: it is clipped there, the lower arm is not.
    half = float(np.asarray(hnl.customdata)[0, 1])
    assert hnl.y[0] + half > 100 and hnl.error_y.array[0] == pytest.approx(100 - hnl.y[0])
    assert hnl.error_y.arrayminus[0] == pytest.approx(half)
    two_seeds = experiments.summarize([r for r in _regime_records() if r["seed"] < 2],
                                      ("regime", "batch_size", "finetune_modality", "method"))
    assert all(np.all(np.asarray(t.error_y.array) == 0) for t in viz.regimes_figure(two_seeds).data)
    with pytest.raises(ValueError, match="no rows with finetune_modality 'imu'"):
        viz.regimes_figure(summary, head="imu")
    with pytest.raises(ValueError, match="regime"):
        viz.regimes_figure([{k: v for k, v in row.items() if k != "regime"} for row in summary])


def watched_history(n_epochs=3):
    return [{"epoch": e, "loss": 4.0 - e, "imu_to_skeleton_top1": 0.1 * e, "imu_to_skeleton_top5": 0.2 * e,
             "skeleton_to_imu_top1": 0.05 * e, "skeleton_to_imu_top5": 0.3 * e, "alignment": 2.0 - 0.1 * e,
             "uniformity": -0.5 * e} for e in range(1, n_epochs + 1)]


def test_monitor_curves_draw_the_history():
    fig = viz.monitor_curves({"CMC": watched_history(), "CMC-HNL": watched_history(2)}, n_rows=50)
    assert len(fig.data) == 2 * 4 + 3  # per run: top-1, top-5, alignment, uniformity; then the legend keys
    top1, top5, align, unif = fig.data[:4]
    np.testing.assert_allclose(top1.y, [7.5, 15.0, 22.5])  # % mean of both directions
    np.testing.assert_allclose(top5.y, [25.0, 50.0, 75.0])
    np.testing.assert_allclose(align.y, [1.9, 1.8, 1.7])
    np.testing.assert_allclose(unif.y, [-0.5, -1.0, -1.5])
    assert [s.y0 for s in fig.layout.shapes] == [2.0, 10.0]  # chance 1/N and 5/N
    # named by one legend entry, not by two labels that overlap when the lines are close
    assert not fig.layout.annotations
    keys = fig.data[-3:]  # one-point lines: legend entries that draw nothing
    both = ", mean of IMU→skel. and skel.→IMU"  # the panel plots the mean of the two directions
    assert [(k.name, k.line.dash) for k in keys] == [("top-1" + both, "solid"), ("top-5" + both, "dash"),
                                                      ("chance: top-1 2.0 %, top-5 10.0 %", "dot")]
    assert all(len(k.x) == 1 and k.mode == "lines" for k in keys)
    assert fig.layout.yaxis.title.text == "mean retrieval (%)"  # one line: a two-line title is cut on a phone
    assert [tr.name for tr in viz.monitor_curves({"CMC": watched_history()}).data][-2:] == ["top-1" + both,
                                                                                          "top-5" + both]
    assert fig.layout.xaxis3.title.text == "epoch"
    with pytest.raises(ValueError, match="missing .*alignment"):
        viz.monitor_curves({"x": [{"epoch": 1, "loss": 1.0}]})


def test_figures_name_classes_by_their_short_legend_name(rng):
    coords, labels = latent_inputs(rng)
    names = ["walk", "circle_clockwise", "circle_counter_clockwise", "clap"]
    assert [viz.legend_name(c) for c in names] == ["walk", "circle_cw", "circle_ccw", "clap"]
    anchor = int(np.flatnonzero(labels == 1)[0])
    fig = viz.anchor_weights_figure(coords, labels, names, {anchor: anchor_weights(rng, 24, anchor)})
    ring, heavy = fig.frames[-1].data[2], fig.frames[-1].data[4]
    assert ring.name == "same class as the anchor (circle_cw)"  # the name the prose quotes
    assert all(t.split(": ")[1] in {viz.legend_name(c) for c in names} for t in heavy.text if t.strip())
    assert {tr.name for tr in viz.latent_space_figure(coords, labels, names).data} >= {"circle_cw", "circle_ccw"}


def _cielab(colour: str) -> np.ndarray:
    """sRGB hex -> CIELAB (D65), for colour distances."""
    rgb = np.array([int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    rgb = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ rgb
    f = np.cbrt(np.maximum(xyz / np.array([0.95047, 1.0, 1.08883]), 0.008856))
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def test_classes_of_one_symbol_have_clearly_different_colours():
    # the reader could not tell blue from sky blue, nor orange from vermillion, at a phone's size
    styles = [viz.class_style(k) for k in range(27)]
    for a in range(27):
        for b in range(a + 1, 27):
            if styles[a][1] == styles[b][1]:
                distance = np.linalg.norm(_cielab(styles[a][0]) - _cielab(styles[b][0]))
                assert distance >= 40, (a, b, styles[a], styles[b], distance)
    # circle, square and diamond look alike at a phone's marker size: at most one of them is used
    assert len({s for _, s in styles} & {"circle", "square", "diamond"}) <= 1


def _label_boxes(ends, texts, side, ranges, width_px, height_px, char_px=6.5, line_px=14.0):
    """Pixel boxes (x0, y0, x1, y1) of names drawn at ``ends`` on a width_px x height_px plot."""
    (x_lo, x_hi), (y_lo, y_hi) = ranges
    boxes = []
    for (x, y), text in zip(ends, texts):
        px = (x - x_lo) / (x_hi - x_lo) * width_px
        py = (y - y_lo) / (y_hi - y_lo) * height_px
        w = len(text) * char_px
        x0 = px if side == "middle right" else px - w
        boxes.append((x0, py - line_px / 2, x0 + w, py + line_px / 2))
    return boxes


def _overlap(a, b):
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_label_column_names_never_overlap_at_phone_or_desktop_width():
    ranges = [(-1.0, 0.6), (-1.0, 0.6)]
    texts = ["1: right_hand_catch", "2: squat", "3: arm_curl_standing"]
    # three points a pixel apart (the reader's case) and three spread out, left and right
    for points in (np.array([[-0.5, -0.4], [-0.5, -0.401], [-0.499, -0.4]]),
                   np.array([[0.3, 0.5], [0.35, -0.9], [0.2, 0.0]])):
        ends, side = viz._label_column(points, ranges, plot_h_px=520)
        assert side == ("middle right" if points[:, 0].max() < -0.1 else "middle left")
        assert np.ptp(ends[:, 0]) == 0  # one column
        for width in (330, 1000):  # the plot area at 400 and 1300 px
            boxes = _label_boxes(ends, texts, side, ranges, width, 520)
            assert not any(_overlap(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:]), (points, width)
            assert all(0 <= b[1] and b[3] <= 520 for b in boxes)  # inside the axes
    # the names keep the points' vertical order, so the leader lines do not cross
    ends, _ = viz._label_column(np.array([[0.0, 0.1], [0.0, 0.3], [0.0, 0.2]]), ranges, plot_h_px=520)
    assert list(np.argsort(-ends[:, 1])) == [1, 2, 0]


def test_anchor_weights_figure_names_sit_in_a_column_with_leader_lines(rng):
    coords, labels = latent_inputs(rng)
    coords = {b: np.zeros_like(c) + rng.normal(0, 1e-3, c.shape) for b, c in coords.items()}  # all points together
    coords[2.0][0] = [5.0, 5.0]  # and one far away: the axes span it
    weights = {1: anchor_weights(rng, len(labels), 1)}
    fig = viz.anchor_weights_figure(coords, labels, ["walk", "sit", "wave", "clap"], weights)
    heavy = fig.frames[-1].data[4]
    texts = list(heavy.text)
    ends = np.array([[heavy.x[i], heavy.y[i]] for i in range(1, len(texts), 3)])
    names = [texts[i] for i in range(1, len(texts), 3)]
    assert len(names) == 3 and all(texts[i] == " " for i in range(len(texts)) if i % 3 != 1)
    assert list(heavy.marker.size) == [16, 0, 0] * 3 and heavy.x[2] is None  # circle, name, gap
    ranges = [fig.layout.xaxis.range, fig.layout.yaxis.range]
    height = fig.layout.height - fig.layout.margin.t - fig.layout.margin.b
    for width in (330, 1000):
        boxes = _label_boxes(ends, names, heavy.textposition, ranges, width, height)
        assert not any(_overlap(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    assert heavy.textfont.shadow == "auto"


def test_phone_width_figures_have_narrow_side_margins(rng):
    # plotly's default 80 px each side left a 400 px phone half its width for the plot
    summary = [{"method": "cmc", "pretrain_modality": "multimodal", "finetune_modality": "imu", "n": 1,
                "accuracy_mean": 0.9, "accuracy_std": 0.0}]
    bar = viz.results_bar(summary)
    monitor = viz.monitor_curves({"CMC": watched_history()}, n_rows=50)
    for fig in (bar, monitor):
        assert fig.layout.margin.r <= 20 and fig.layout.margin.l <= 60
    assert list(bar.layout.yaxis.ticktext) == ["cmc<br>(mm → imu)"] and list(bar.layout.yaxis.tickvals) == ["cmc (mm → imu)"]


def test_regime_ticks_turn_only_when_they_do_not_fit():
    from mmhar_lite import experiments

    summary = experiments.summarize(_regime_records(), ("regime", "batch_size", "finetune_modality", "method"))
    fig = viz.regimes_figure(summary)
    for axis in (fig.layout.xaxis, fig.layout.xaxis2):
        assert tuple(axis.autotickangles) == (0, 90) and axis.tickangle is None
