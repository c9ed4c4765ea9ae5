"""Augmentations: shapes kept, seeded, and each acting on the axis it claims."""
from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from mmhar_lite.augment import (
    Compose,
    ImuChannelShuffle,
    ImuJitter,
    ImuPermutation,
    ImuRotation,
    ImuScaling,
    SkeletonCrop,
    SkeletonJitter,
    SkeletonRotation,
    SkeletonScale,
    SkeletonShear,
    imu_augmentation,
    random_rotation_matrices,
    skeleton_augmentation,
)

IMU = [ImuJitter(p=1), ImuScaling(p=1), ImuPermutation(p=1), ImuChannelShuffle(p=1), ImuRotation(p=1)]
SKELETON = [SkeletonJitter(p=1), SkeletonCrop(p=1), SkeletonScale(p=1), SkeletonRotation(p=1), SkeletonShear(p=1)]


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _imu(batch: int = 16, channels: int = 6, length: int = 50) -> torch.Tensor:
    return torch.randn(batch, channels, length, generator=_gen(99))


def _skeleton(batch: int = 8, dims: int = 3) -> torch.Tensor:
    return torch.randn(batch, dims, 50, 20, generator=_gen(98))


@pytest.mark.parametrize("transform", IMU + SKELETON, ids=lambda t: type(t).__name__)
def test_shape_dtype_seeded_and_p(transform):
    x = _imu() if type(transform).__name__.startswith("Imu") else _skeleton()
    out = transform(x, _gen(1))
    assert out.shape == x.shape and out.dtype == x.dtype
    assert not torch.equal(out, x)
    torch.testing.assert_close(transform(x, _gen(1)), out)  # same generator state, same batch
    transform.p = 0.0
    assert torch.equal(transform(x, _gen(1)), x)
    transform.p = 1.0


def test_probability_applies_per_sample():
    x = _imu(batch=400)
    changed = (ImuJitter(p=0.3)(x, _gen(2)) != x).flatten(1).any(1).float().mean()
    assert 0.2 < changed < 0.4


def test_scaling_multiplies_each_channel_by_one_factor():
    x = _imu().abs() + 0.5
    ratio = ImuScaling(sigma=0.1, p=1)(x, _gen(3)) / x
    torch.testing.assert_close(ratio, ratio[:, :, :1].expand_as(ratio))
    assert ratio[:, :, 0].std() > 0.03


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(4, 60), st.integers(2, 8))
def test_permutation_reorders_time_keeping_channels_together(seed, length, max_segments):
    batch, channels = 6, 4
    # Channel c holds 1000 c + t, so the time index of every value is recoverable.
    t = torch.arange(length, dtype=torch.float32)
    x = (1000 * torch.arange(channels, dtype=torch.float32)[:, None] + t).expand(batch, channels, length)
    out = ImuPermutation(max_segments=max_segments, p=1)(x, _gen(seed))
    order = out[:, 0, :]
    torch.testing.assert_close(out - order[:, None, :], x - x[:, :1, :])  # same time order in every channel
    torch.testing.assert_close(order.sort(dim=1).values, t.expand(batch, length))  # multiset of values kept
    # Runs of consecutive time steps survive: at most max_segments - 1 breaks.
    breaks = (order.diff(dim=1) != 1).sum(dim=1)
    assert (breaks <= max_segments - 1).all()


def test_permutation_changes_time_order():
    x = torch.arange(50, dtype=torch.float32).expand(32, 6, 50)
    out = ImuPermutation(p=1)(x, _gen(4))
    assert (out != x).flatten(1).any(1).float().mean() > 0.5


def test_channel_shuffle_permutes_whole_channels():
    x = _imu()
    out = ImuChannelShuffle(p=1)(x, _gen(5))
    for b in range(x.shape[0]):
        match = (out[b][:, None, :] == x[b][None, :, :]).all(-1)  # (C_out, C_in) identical rows
        assert (match.sum(1) == 1).all() and (match.sum(0) == 1).all()
    assert any(not torch.equal(out[b], x[b]) for b in range(x.shape[0]))


def test_rotation_preserves_each_triplet_norm_and_is_a_true_rotation():
    x = _imu(channels=12)
    out = ImuRotation(p=1)(x, _gen(6))
    for g in range(4):
        torch.testing.assert_close(out[:, 3 * g:3 * g + 3].norm(dim=1), x[:, 3 * g:3 * g + 3].norm(dim=1))
    # Not a per-element sign flip: values change magnitude.
    assert not torch.allclose(out.abs(), x.abs(), atol=1e-3)
    # One rotation per triplet and sample: the same for all time steps of that triplet.
    rotation = torch.linalg.lstsq(x[0, :3].T, out[0, :3].T).solution.T
    torch.testing.assert_close(rotation @ rotation.T, torch.eye(3), atol=1e-4, rtol=0)
    assert torch.linalg.det(rotation) == pytest.approx(1.0, abs=1e-4)
    with pytest.raises(ValueError, match="triplets"):
        ImuRotation(p=1)(_imu(channels=7), _gen(0))


def test_random_rotations_are_proper_and_spread():
    r = random_rotation_matrices(2000, _gen(7), dtype=torch.float64)
    torch.testing.assert_close(r @ r.transpose(1, 2), torch.eye(3, dtype=torch.float64).expand(2000, 3, 3))
    torch.testing.assert_close(torch.linalg.det(r), torch.ones(2000, dtype=torch.float64))
    # Uniform on SO(3): the rotated z axis is uniform on the sphere (mean ~ 0).
    assert r[:, :, 2].mean(0).abs().max() < 0.06


def test_skeleton_crop_takes_80_to_90_percent_of_frames_in_order():
    t = torch.arange(50, dtype=torch.float32)
    x = t[None, None, :, None].expand(64, 3, 50, 20)
    out = SkeletonCrop(p=1)(x, _gen(8))
    frames = out[:, 0, :, 0]
    span = frames[:, -1] - frames[:, 0]
    assert (span >= 0.8 * 49 - 1e-4).all() and (span <= 0.9 * 49 + 1e-4).all()
    assert (frames.diff(dim=1) > 0).all() and (frames[:, 0] >= 0).all() and (frames[:, -1] <= 49).all()
    torch.testing.assert_close(out, frames[:, None, :, None].expand_as(out))  # joints and axes untouched


def test_skeleton_scale_is_per_axis_within_range():
    x = _skeleton()
    ratio = SkeletonScale(p=1)(x, _gen(9)) / x
    torch.testing.assert_close(ratio, ratio[:, :, :1, :1].expand_as(ratio), rtol=1e-4, atol=1e-4)
    assert ((ratio >= 0.7 - 1e-5) & (ratio <= 1.2 + 1e-5)).all()


@pytest.mark.parametrize("dims", [2, 3])
def test_skeleton_rotation_preserves_lengths_and_bounds_angle(dims):
    x = _skeleton(batch=64, dims=dims)
    out = SkeletonRotation(max_degrees=10, p=1)(x, _gen(10))
    torch.testing.assert_close(out.norm(dim=1), x.norm(dim=1), rtol=1e-4, atol=1e-4)
    cosine = ((out * x).sum(1) / (out.norm(dim=1) * x.norm(dim=1))).clamp(-1, 1)
    limit = 10 if dims == 2 else 10 * math.sqrt(3)  # three axis angles of at most 10 degrees each
    assert torch.rad2deg(torch.acos(cosine)).max() <= limit + 0.1


def test_skeleton_shear_has_unit_diagonal():
    x = _skeleton(batch=4)
    out = SkeletonShear(p=1)(x, _gen(11))
    for b in range(4):
        points, moved = x[b].reshape(3, -1).T, out[b].reshape(3, -1).T
        matrix = torch.linalg.lstsq(points, moved).solution.T
        torch.testing.assert_close(torch.diagonal(matrix), torch.ones(3), atol=1e-4, rtol=0)
        assert (matrix - torch.eye(3)).abs().max() > 1e-3


def test_presets_per_dataset():
    assert [type(t) for t in imu_augmentation("utd-mhad").transforms] == [
        ImuJitter, ImuScaling, ImuPermutation, ImuChannelShuffle]
    assert [type(t) for t in imu_augmentation("mmact").transforms] == [ImuScaling, ImuRotation]
    assert len(skeleton_augmentation("synthetic").transforms) == 5
    pipeline = Compose([ImuScaling(p=1), ImuRotation(p=1)])
    assert pipeline(_imu(channels=12), _gen(0)).shape == (16, 12, 50)
    with pytest.raises(ValueError, match="unknown dataset"):
        imu_augmentation("kinetics")
