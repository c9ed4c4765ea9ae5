"""Encoders and heads: shapes for both dataset layouts and both sizes, input checks, and the
per-stage shape table of chapter 2."""
import pytest
import torch

from mmhar_lite.models import (
    ImuEncoder,
    LinearClassifier,
    MultimodalClassifier,
    ProjectionHead,
    SkeletonEncoder,
    build_encoders,
    format_stage_shapes,
    stage_shapes,
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


@pytest.mark.parametrize("size", ["paper", "lite"])
def test_skeleton_feature_scale_does_not_follow_its_weights(size):
    # SimCLR's projection head starts with Linear -> BatchNorm, so its loss cannot see the scale of
    # the encoder's features, and Adam let that scale drift to |h| ~ 1e3 (issue 10): the encoder
    # itself must fix it. Scaling every weight of the encoder (the drift) leaves its training-mode
    # features unchanged, and they stay O(1) for inputs in metres or in torso lengths alike.
    torch.manual_seed(0)
    encoder = SkeletonEncoder(3, 20, 50, size).train()
    x = torch.randn(16, 3, 50, 20)

    def features(inputs):
        torch.manual_seed(1)  # the same dropout masks
        with torch.no_grad():
            return encoder(inputs)

    before = features(x)
    with torch.no_grad():
        for module in encoder.modules():
            if isinstance(module, (torch.nn.Conv2d, torch.nn.Linear)):
                module.weight.mul_(30.0)
                module.bias.mul_(30.0)
    assert torch.allclose(features(x), before, atol=1e-3)
    for scale in (0.3, 1.0, 100.0):
        assert 0.1 < features(scale * x).abs().mean() < 2.0


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


def _no_hooks_left(model):
    return all(not module._forward_hooks for module in model.modules())


@pytest.mark.parametrize("size", ["paper", "lite"])
@pytest.mark.parametrize("kind", ["imu", "skeleton"])
def test_stage_shapes_follow_the_batch(kind, size):
    torch.manual_seed(0)
    if kind == "imu":
        model, x = ImuEncoder(6, 50, size), torch.randn(4, 6, 50)
    else:
        model, x = SkeletonEncoder(3, 20, 50, size), torch.randn(4, 3, 50, 20)
    model.train()
    rows, out_shape = stage_shapes(model, x)
    assert not model.training and not any(m.training for m in model.modules())
    assert _no_hooks_left(model)
    with torch.no_grad():
        expected = tuple(model(x).shape)
    assert out_shape == expected == (4, model.out_features)
    assert all(len(row) == 4 and all(isinstance(d, int) for d in row[2] + row[3]) for row in rows)
    assert rows[0][2] == tuple(x.shape)  # the first stage reads the batch itself
    names = [name for name, *_ in rows]
    assert len(set(names)) == len(names)
    assert not any("Dropout" in row[1] for row in rows)
    last = rows[-1][3]
    if kind == "skeleton":
        # fc.0 (Linear) -> fc.1 (BatchNorm1d) -> fc.2 (ReLU) -> features
        assert [row[1] for row in rows[-3:]] == ["Linear", "BatchNorm1d", "ReLU"] and last == out_shape
    else:
        # the IMU encoder flattens its last transformer layer's (B, T', d_model) in forward()
        assert rows[-1][1] == "TransformerEncoderLayer"
        assert last[0] == out_shape[0] and last[1] * last[2] == out_shape[1]
        assert not any(name.startswith("transformer.layers.0.") for name in names)  # one row per layer


def test_stage_shapes_removes_its_hooks_on_error():
    model = ImuEncoder(6)
    with pytest.raises(ValueError, match="ImuEncoder expects"):
        stage_shapes(model, torch.randn(2, 12, 50))
    assert _no_hooks_left(model)


def test_format_stage_shapes_is_one_line_per_stage():
    model, x = ImuEncoder(6, 50, "lite"), torch.zeros(2, 6, 50)
    rows, out_shape = stage_shapes(model, x)
    lines = format_stage_shapes(model, x).splitlines()
    assert _no_hooks_left(model)
    assert lines[0].startswith("input") and lines[0].endswith(str((2, 6, 50)))
    assert len(lines) == len(rows) + 2
    assert lines[1].startswith("convolutions.0") and lines[1].endswith(f"-> {rows[0][3]}")
    assert lines[-1].startswith("output (features)") and lines[-1].endswith(str(out_shape))
