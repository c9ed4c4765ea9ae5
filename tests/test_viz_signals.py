"""Tests for mmhar_lite.viz_signals: skeleton animations, IMU traces and augmentation galleries."""

import numpy as np
import plotly.graph_objects as go
import pytest
from figure_checks import slider_labels

from mmhar_lite import viz_signals


UTD_CHANNELS = ["acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"]


# --------------------------------------------------------------------------------------------
# skeleton


def kinect_sequence(rng, t=12):
    sk = rng.normal(scale=0.3, size=(20, 3, t))
    sk[:, 2] += 2.5  # depth of a subject in front of the sensor
    return sk


def test_skeleton_animation_3d_frames_slider_and_bones(rng):
    sk = kinect_sequence(rng, t=12)
    fig = viz_signals.skeleton_animation(sk, rate_hz=30.0)
    assert isinstance(fig, go.Figure)
    assert len(fig.data) == 4  # trunk, left, right bones + joints
    assert len(fig.frames) == 12
    assert slider_labels(fig)[:3] == ["0.00", "0.03", "0.07"]
    assert [b.label for b in fig.layout.updatemenus[0].buttons] == ["Play", "Pause"]
    # joints of frame 5 are the input's frame 5
    joints = fig.frames[5].data[3]
    np.testing.assert_allclose(np.column_stack([joints.x, joints.y, joints.z]), sk[:, :, 5])
    assert list(joints.text) == list(viz_signals.KINECT_V1.joint_names)
    # every Kinect bone appears once per frame: 3 entries (two ends and a None break) each
    n_points = sum(len(tr.x) for tr in fig.frames[0].data[:3])
    assert n_points == 3 * len(viz_signals.KINECT_V1.edges)
    left = fig.frames[0].data[1]
    # the first left bone is left_shoulder (4) -> left_elbow (5)
    assert (left.x[0], left.x[1]) == (sk[4, 0, 0], sk[5, 0, 0])
    assert not np.allclose(fig.frames[0].data[3].x, fig.frames[1].data[3].x)


def test_skeleton_animation_3d_equal_aspect_and_camera(rng):
    fig = viz_signals.skeleton_animation(kinect_sequence(rng))
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
    fig = viz_signals.skeleton_animation(sk)
    assert len(fig.frames) == 8 and slider_labels(fig)[-1] == "7"
    assert fig.layout.yaxis.range[0] > fig.layout.yaxis.range[1]  # image y grows downwards
    assert fig.layout.yaxis.scaleanchor == "x"
    assert "(px)" in fig.layout.xaxis.title.text


def test_skeleton_animation_errors(rng):
    with pytest.raises(ValueError, match="skeleton"):
        viz_signals.skeleton_animation(rng.normal(size=(20, 3)))
    with pytest.raises(ValueError, match="layout"):
        viz_signals.skeleton_animation(rng.normal(size=(11, 3, 5)))
    with pytest.raises(ValueError, match=r"skeleton.*\(J=17"):
        viz_signals.skeleton_animation(rng.normal(size=(20, 3, 5)), layout="coco17")
    bad = kinect_sequence(rng)
    bad[3, 1, 2] = np.nan
    with pytest.raises(ValueError, match="skeleton: contains NaN"):
        viz_signals.skeleton_animation(bad)
    with pytest.raises(ValueError, match="rate_hz"):
        viz_signals.skeleton_animation(kinect_sequence(rng), rate_hz=0)


# --------------------------------------------------------------------------------------------
# IMU


def test_imu_traces_groups_units_and_time(rng):
    imu = rng.normal(size=(100, 6))
    fig = viz_signals.imu_traces(imu, UTD_CHANNELS, rate_hz=50.0)
    assert len(fig.data) == 6
    assert fig.layout.yaxis.title.text == "g" and fig.layout.yaxis2.title.text == "deg/s"
    assert fig.layout.xaxis2.title.text == "time (s)"
    assert fig.data[0].x[-1] == pytest.approx(99 / 50.0)
    np.testing.assert_allclose(fig.data[4].y, imu[:, 4])
    # channels-first input gives the same figure
    same = viz_signals.imu_traces(imu.T, UTD_CHANNELS, layout="CT")
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
    fig = viz_signals.imu_traces(rng.normal(size=(40, 12)), names, units={"acc_phone": "m/s²"})
    assert len(fig.data) == 12
    titles = [fig.layout[f"yaxis{k if k > 1 else ''}"].title.text for k in range(1, 5)]
    assert titles == ["m/s²", "g", "deg/s", "deg"]
    assert [a.text for a in fig.layout.annotations] == ["acc_phone", "acc_watch", "gyro", "orientation"]


def test_imu_traces_errors(rng):
    with pytest.raises(ValueError, match="channel_names: 5 channel names for 6"):
        viz_signals.imu_traces(rng.normal(size=(10, 6)), UTD_CHANNELS[:5])
    with pytest.raises(ValueError, match="layout"):
        viz_signals.imu_traces(rng.normal(size=(10, 6)), layout="TCX")
    bad = rng.normal(size=(10, 6))
    bad[0, 0] = np.inf
    with pytest.raises(ValueError, match="imu: contains NaN or infinite"):
        viz_signals.imu_traces(bad)
    with pytest.raises(ValueError, match="imu: expected 2 dimensions"):
        viz_signals.imu_traces(rng.normal(size=(2, 10, 6)))


# --------------------------------------------------------------------------------------------
# augmentation gallery


def test_augmentation_gallery_imu(rng):
    imu = rng.normal(size=(50, 6))
    aug = {"jitter": imu + 0.05, "scaling": 1.2 * imu, "permutation": imu[::-1]}
    fig = viz_signals.augmentation_gallery(imu, aug, kind="imu", channel_names=UTD_CHANNELS)
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
    fig = viz_signals.augmentation_gallery(sk, aug, kind="skeleton", frame=4)
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
    normalised = viz_signals.augmentation_gallery(sk, aug, kind="skeleton", coordinate_unit="torso lengths")
    assert normalised.layout.yaxis.title.text == "y (torso lengths)"


def test_augmentation_gallery_skeleton_two_columns_and_pixels_as_imaged(rng):
    sk = kinect_sequence(rng, t=10)
    fig = viz_signals.augmentation_gallery(sk, {name: sk + 0.01 * k for k, name in enumerate("abcde")}, kind="skeleton")
    assert [a.text for a in fig.layout.annotations] == list("abcde")
    assert fig.layout.xaxis2.domain[0] > 0.5 and fig.layout.xaxis3.domain[0] < 0.5  # 2 panels a row
    # 5 panels in 3 rows: "d" (row 2, right) has no panel under it, so it carries an x title too
    axes = [fig.layout[f"xaxis{'' if k == 1 else k}"] for k in range(1, 6)]
    assert [k for k, ax in enumerate(axes, 1) if ax.title.text] == [4, 5]
    assert [k for k, ax in enumerate(axes, 1) if ax.showticklabels] == [4, 5]  # ticks only where titled
    pixels = rng.uniform(0, 640, size=(17, 2, 6))
    image = viz_signals.augmentation_gallery(pixels, {"x": pixels}, kind="skeleton")
    assert image.layout.xaxis.range[0] < image.layout.xaxis.range[1]  # image x grows to the right
    assert image.layout.yaxis.range[0] > image.layout.yaxis.range[1]  # image rows grow downwards
    assert image.layout.xaxis.title.text == "x (px)"


def test_augmentation_gallery_errors(rng):
    imu = rng.normal(size=(50, 6))
    with pytest.raises(ValueError, match=r"augmented\['bad'\]: 5 channels"):
        viz_signals.augmentation_gallery(imu, {"bad": imu[:, :5]}, kind="imu")
    with pytest.raises(ValueError, match="kind"):
        viz_signals.augmentation_gallery(imu, {"x": imu}, kind="audio")
    with pytest.raises(ValueError, match="augmented"):
        viz_signals.augmentation_gallery(imu, {}, kind="imu")
    sk = kinect_sequence(rng, t=6)
    with pytest.raises(ValueError, match="frame"):
        viz_signals.augmentation_gallery(sk, {"x": sk}, kind="skeleton", frame=6)
