"""Preprocessing, splits, limited-label subsets and the torch Dataset."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from mmhar_lite.data import (
    DatasetError,
    PairedDataset,
    RawDataset,
    Sample,
    apply_imu_standardizer,
    default_split,
    fit_imu_standardizer,
    mmact_cross_session_split,
    mmact_cross_subject_split,
    prepare,
    stratified_subset,
    utd_cross_subject_split,
)
from mmhar_lite.data.datasets import normalize_skeleton_sequence


@pytest.fixture(scope="module")
def data(small_synthetic):
    return prepare(small_synthetic)


def test_prepare_shapes_and_types(data, small_synthetic):
    n = len(small_synthetic.samples)
    assert data.skeleton.shape == (n, 3, 50, 20) and data.skeleton.dtype == np.float32
    assert data.imu.shape == (n, 6, 50) and data.imu.dtype == np.float32
    for array in (data.labels, data.subjects, data.trials, data.sessions):
        assert array.shape == (n,) and array.dtype == np.int64
    assert data.class_names == small_synthetic.class_names and data.name == "synthetic"
    assert prepare(small_synthetic, length=32).imu.shape == (n, 6, 32)


def test_each_modality_resampled_on_its_own():
    # One period of a sine over each stream's own length (200 IMU samples, 70 skeleton frames)
    # becomes one period over the 50 output steps in both: no assumed frame ratio.
    def period(n: int) -> np.ndarray:
        return np.sin(2 * np.pi * np.arange(n) / n)

    sample = Sample(skeleton=np.broadcast_to(period(70), (20, 3, 70)).astype(np.float32),
                    imu=np.broadcast_to(period(200)[:, None], (200, 6)).astype(np.float32),
                    label=0, subject=1, trial=1)
    raw = RawDataset(name="utd-mhad", samples=[sample], class_names=["a"], skeleton_layout="kinect_v1",
                     imu_channels=list("abcdef"))
    data = prepare(raw, normalize_skeleton=False)
    np.testing.assert_allclose(data.imu[0], np.broadcast_to(period(50), (6, 50)), atol=1e-5)
    np.testing.assert_allclose(data.skeleton[0], np.broadcast_to(period(50)[:, None], (3, 50, 20)), atol=1e-5)


def test_skeleton_normalisation_kinect():
    rng = np.random.default_rng(0)
    skeleton = rng.normal(size=(20, 3, 30)) + np.array([0.1, 0.2, 2.6])[None, :, None]
    out = normalize_skeleton_sequence(skeleton, "kinect_v1")
    np.testing.assert_allclose(out[2, :, 0], 0.0, atol=1e-12)  # spine at the origin at frame 0
    assert np.linalg.norm(out[1, :, 0] - out[2, :, 0]) == pytest.approx(1.0)
    # The same affine map for every frame: frame differences are only scaled.
    scale = np.linalg.norm(skeleton[1, :, 0] - skeleton[2, :, 0])
    np.testing.assert_allclose(np.diff(out, axis=2), np.diff(skeleton, axis=2) / scale, atol=1e-12)


def test_skeleton_normalisation_coco_uses_mid_hip_and_mid_shoulder():
    rng = np.random.default_rng(1)
    skeleton = rng.uniform(0, 500, size=(17, 2, 10))
    out = normalize_skeleton_sequence(skeleton, "coco17")
    np.testing.assert_allclose(out[[11, 12], :, 0].mean(0), 0.0, atol=1e-9)
    assert np.linalg.norm(out[[5, 6], :, 0].mean(0)) == pytest.approx(1.0)


def test_degenerate_torso_names_the_source():
    with pytest.raises(DatasetError, match="trial_7.npy.*torso length"):
        normalize_skeleton_sequence(np.zeros((17, 2, 5)), "coco17", source="trial_7.npy")


def test_imu_standardizer_uses_given_statistics(data):
    split = default_split(data)
    mean, std = fit_imu_standardizer(data.imu[split.train])
    assert mean.shape == std.shape == (6,)
    train = apply_imu_standardizer(data.imu[split.train], mean, std)
    np.testing.assert_allclose(train.mean(axis=(0, 2)), 0.0, atol=1e-4)
    np.testing.assert_allclose(train.std(axis=(0, 2)), 1.0, atol=1e-3)
    # Test data are transformed with the training statistics, not their own.
    test = apply_imu_standardizer(data.imu[split.test], mean, std)
    np.testing.assert_allclose(test, (data.imu[split.test] - mean[:, None]) / std[:, None], rtol=1e-5, atol=1e-5)
    assert not np.allclose(test.mean(axis=(0, 2)), 0.0, atol=1e-3)


def test_values_near_the_float32_limit_are_an_error_naming_the_file():
    # 3e38 is a float32, but resampling a step between -3e38 and 3e38 overshoots past its range.
    imu = np.full((120, 6), 3e38, dtype=np.float32)
    imu[60:] = -3e38
    sample = Sample(skeleton=np.ones((20, 3, 40), dtype=np.float32), imu=imu, label=0, subject=1, trial=1,
                    source="Inertial/a1_s1_t1_inertial.mat;Skeleton/a1_s1_t1_skeleton.mat")
    raw = RawDataset(name="utd-mhad", samples=[sample], class_names=["a"], skeleton_layout="kinect_v1",
                     imu_channels=list("abcdef"))
    with pytest.raises(DatasetError, match=r"a1_s1_t1_inertial.mat.*field 'imu' overflows float32"):
        prepare(raw, normalize_skeleton=False)


def test_imu_standardizer_of_large_values_is_finite():
    imu = np.random.default_rng(0).normal(size=(8, 6, 50)).astype(np.float32) * np.float32(1e30)
    mean, std = fit_imu_standardizer(imu)
    assert np.isfinite(std).all() and np.allclose(std, imu.astype(np.float64).std(axis=(0, 2)), rtol=1e-5)
    assert np.isfinite(apply_imu_standardizer(imu, mean, std)).all()


def test_utd_split_odd_train_even_test_and_validation_subject():
    subjects = np.repeat(np.arange(1, 9), 3)
    split = utd_cross_subject_split(subjects)
    assert set(subjects[split.train]) == {1, 3, 5, 7} and set(subjects[split.test]) == {2, 4, 6, 8}
    assert split.val.size == 0
    held = utd_cross_subject_split(subjects, val_subject=7)
    assert set(subjects[held.val]) == {7} and set(subjects[held.train]) == {1, 3, 5}
    np.testing.assert_array_equal(held.test, split.test)
    with pytest.raises(ValueError, match="odd"):
        utd_cross_subject_split(subjects, val_subject=2)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 20), min_size=1, max_size=200), st.sets(st.integers(1, 16), max_size=3))
def test_cross_subject_splits_are_subject_disjoint_partitions(subjects, val_subjects):
    subjects = np.array(subjects)
    for split in (utd_cross_subject_split(subjects),
                  mmact_cross_subject_split(subjects, val_subjects=tuple(sorted(val_subjects)))):
        parts = [split.train, split.val, split.test]
        np.testing.assert_array_equal(np.sort(np.concatenate(parts)), np.arange(len(subjects)))
        owners = [set(subjects[p]) for p in parts]
        assert not (owners[0] & owners[1]) and not (owners[0] & owners[2]) and not (owners[1] & owners[2])
    split = mmact_cross_subject_split(subjects)
    assert (subjects[split.train] <= 16).all() and (subjects[split.test] > 16).all()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 4), st.integers(1, 5)), min_size=1, max_size=100))
def test_cross_session_split_trains_on_earlier_sessions(pairs):
    subjects, sessions = (np.array(x) for x in zip(*pairs))
    split = mmact_cross_session_split(subjects, sessions)
    np.testing.assert_array_equal(np.sort(np.concatenate([split.train, split.test])), np.arange(len(subjects)))
    for subject in np.unique(subjects):
        train = sessions[split.train][subjects[split.train] == subject]
        test = sessions[split.test][subjects[split.test] == subject]
        assert train.size > 0
        if test.size:
            assert train.max() < test.min()
        if len(np.unique(sessions[subjects == subject])) == 5:
            assert len(np.unique(train)) == 4  # 80 % of 5 sessions


def test_default_split_per_dataset(data):
    split = default_split(data)
    assert set(data.subjects[split.train]) == {1} and set(data.subjects[split.test]) == {2}
    with pytest.raises(ValueError, match="cross-session"):
        default_split(data, "cross-session")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 9), min_size=1, max_size=300),
    st.sampled_from([0.02, 0.05, 0.1, 0.25, 0.5, 1.0]),
    st.integers(0, 2**16),
)
def test_stratified_subset(labels, fraction, seed):
    labels = np.array(labels)
    chosen = stratified_subset(labels, fraction, seed=seed)
    assert len(np.unique(chosen)) == len(chosen) and ((0 <= chosen) & (chosen < len(labels))).all()
    for label in np.unique(labels):
        n = int((labels == label).sum())
        assert int((labels[chosen] == label).sum()) == max(1, round(fraction * n))
    np.testing.assert_array_equal(chosen, stratified_subset(labels, fraction, seed=seed))


def test_stratified_subset_depends_on_seed():
    labels = np.repeat(np.arange(5), 40)
    draws = {tuple(stratified_subset(labels, 0.1, seed=s)) for s in range(5)}
    assert len(draws) == 5
    with pytest.raises(ValueError, match="fraction"):
        stratified_subset(labels, 0.0, seed=0)


def test_paired_dataset_items_and_batches(data):
    split = default_split(data)
    dataset = PairedDataset(data, split.test)
    assert len(dataset) == len(split.test)
    skeleton, imu, label = dataset[3]
    assert skeleton.shape == (3, 50, 20) and imu.shape == (6, 50) and label.dtype == torch.int64
    np.testing.assert_array_equal(imu.numpy(), data.imu[split.test[3]])
    batch = next(iter(torch.utils.data.DataLoader(dataset, batch_size=8)))
    assert [tuple(x.shape) for x in batch] == [(8, 3, 50, 20), (8, 6, 50), (8,)]


def test_subset_keeps_rows(data):
    part = data.subset(np.array([4, 1]))
    assert len(part) == 2 and part.labels.tolist() == data.labels[[4, 1]].tolist()
    np.testing.assert_array_equal(part.skeleton[1], data.skeleton[1])
