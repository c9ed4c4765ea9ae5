"""Encoders and heads: shapes for both dataset layouts and both sizes, and input checks."""
import pytest
import torch

from mmhar_lite.models import (
    ImuEncoder,
    LinearClassifier,
    MultimodalClassifier,
    ProjectionHead,
    SkeletonEncoder,
    build_encoders,
)

# (IMU channels, skeleton dims, joints): UTD-MHAD / synthetic and MMAct.
LAYOUTS = {"utd-mhad": (6, 3, 20), "mmact": (12, 2, 17)}


@pytest.mark.parametrize("size,imu_out,skeleton_out", [("paper", 38 * 128, 256), ("lite", 38 * 64, 128)])
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_encoder_shapes(layout, size, imu_out, skeleton_out):
    channels, dims, joints = LAYOUTS[layout]
    encoders = build_encoders(imu_channels=channels, skeleton_dims=dims, n_joints=joints, size=size).eval()
    imu = encoders["imu"](torch.randn(3, channels, 50))
    skeleton = encoders["skeleton"](torch.randn(3, dims, 50, joints))
    assert imu.shape == (3, imu_out) == (3, encoders["imu"].out_features)
    assert skeleton.shape == (3, skeleton_out) == (3, encoders["skeleton"].out_features)
    assert torch.isfinite(imu).all() and torch.isfinite(skeleton).all()


def test_lite_is_much_smaller_than_paper():
    def n_params(size):
        return sum(p.numel() for p in build_encoders(imu_channels=6, skeleton_dims=3, n_joints=20, size=size).parameters())

    assert n_params("lite") < n_params("paper") / 3


def test_other_lengths_work():
    assert ImuEncoder(6, length=30).eval()(torch.randn(2, 6, 30)).shape == (2, 18 * 128)
    assert SkeletonEncoder(3, 20, length=32).eval()(torch.randn(2, 3, 32, 20)).shape == (2, 256)


def test_skeleton_motion_stream_sees_movement():
    # A static pose and the same pose moving differ only through the motion stream and the
    # joint values; two static poses at different offsets differ in the joint stream.
    torch.manual_seed(0)
    encoder = SkeletonEncoder(3, 20).eval()
    still = torch.randn(1, 3, 1, 20).expand(1, 3, 50, 20).contiguous()
    moving = still + torch.linspace(0, 1, 50).view(1, 1, 50, 1)
    assert not torch.allclose(encoder(still), encoder(moving))


def test_heads_shapes():
    assert ProjectionHead(100).eval()(torch.randn(4, 100)).shape == (4, 128)
    assert MultimodalClassifier(256, 300, 27).eval()(torch.randn(4, 256), torch.randn(4, 300)).shape == (4, 27)
    assert LinearClassifier(300, 35)(torch.randn(4, 300)).shape == (4, 35)


def test_wrong_input_shapes_are_named():
    with pytest.raises(ValueError, match=r"ImuEncoder expects \(B, 6, 50\)"):
        ImuEncoder(6)(torch.randn(2, 12, 50))
    with pytest.raises(ValueError, match=r"SkeletonEncoder expects \(B, 3, 50, 20\)"):
        SkeletonEncoder(3, 20)(torch.randn(2, 2, 50, 17))
    with pytest.raises(ValueError, match="size must be one of"):
        ImuEncoder(6, size="huge")
    with pytest.raises(ValueError, match="length must be >= 13"):
        ImuEncoder(6, length=10)
