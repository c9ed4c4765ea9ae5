"""Encoders and heads of the paper (Section 3.3), as the public CMC-CMKM code builds them.

Shapes use B (batch), C (IMU channels), T (time steps), J (joints), D (coordinate dimensions),
F (encoder feature size).

* :class:`ImuEncoder` -- CSSHAR-style :cite:p:`khaertdinov2021csshar`: three ``Conv1d(kernel 5) -> BatchNorm -> ReLU`` blocks
  (32/64/128 channels, no padding), a sinusoidal positional encoding and a Transformer encoder
  (d_model 128, 2 heads, 2 layers, dropout 0.1); the output sequence is flattened.
* :class:`SkeletonEncoder` -- HCN (hierarchical co-occurrence network) :cite:p:`li2018hcn`: a joint stream and a
  motion stream (frame differences), each ``1x1 conv -> 64``, ``(3x1) temporal conv -> 32``,
  then the joint axis becomes the channel axis (co-occurrence across all joints),
  ``3x3 conv -> 32 + max-pool``, ``3x3 conv -> 64 + max-pool``; the streams are concatenated
  on channels, then ``3x3 conv -> 128`` and ``-> 256`` with max-pooling and a final linear
  layer to a 256-d feature. Every convolution and the final linear layer are followed by
  BatchNorm, as in the public CMC-CMKM HCN (see :class:`SkeletonEncoder` for why it matters).
* :class:`ProjectionHead` -- ``Linear(F, 256) -> BatchNorm -> ReLU -> Linear(256, 128)``.
* :class:`MultimodalClassifier` / :class:`LinearClassifier` -- the fine-tuning heads.
* :func:`stage_shapes` / :func:`format_stage_shapes` -- the tensor shape after every stage of
  a module (the walk-through of :doc:`chapter 2 (Encoders) </notebooks/02_encoders>`).

Two size presets: ``"paper"`` (the sizes above) and ``"lite"`` (about half the width, one
transformer layer) for fast book builds.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

__all__ = [
    "SIZES",
    "EncoderSize",
    "ImuEncoder",
    "SkeletonEncoder",
    "ProjectionHead",
    "MultimodalClassifier",
    "LinearClassifier",
    "build_encoders",
    "stage_shapes",
    "format_stage_shapes",
    "MODALITIES",
]

MODALITIES = ("skeleton", "imu")


@dataclass(frozen=True)
class EncoderSize:
    """Widths of both encoders for one size preset (``"paper"`` or ``"lite"``, the entries of
    ``models.SIZES``).

    Attributes:
        imu_channels: output channels of the IMU encoder's three ``Conv1d`` blocks; the last
            is the transformer's ``d_model``.
        imu_heads: attention heads of each transformer layer.
        imu_layers: transformer encoder layers.
        imu_feedforward: width of the transformer's feed-forward layers.
        skeleton_stream: output channels of each HCN stream's 1x1 convolution, (3x1)
            convolution and first and second 3x3 convolutions.
        skeleton_fused: output channels of the two 3x3 convolutions after the joint and motion
            streams are fused.
        skeleton_out: ``F`` of the skeleton encoder, the width of its final linear layer.
    """

    imu_channels: tuple[int, int, int]
    imu_heads: int
    imu_layers: int
    imu_feedforward: int
    skeleton_stream: tuple[int, int, int, int]  # 1x1 conv, (3x1) conv, 1st 3x3, 2nd 3x3
    skeleton_fused: tuple[int, int]  # the two 3x3 convs after fusion
    skeleton_out: int


SIZES: dict[str, EncoderSize] = {
    # Widths of the public CMC-CMKM code (paper) and a half-width variant (lite). The feed-forward width of the transformer is not given by the paper;
    # 2 * d_model keeps it small enough for the 5-minute CPU budget.
    "paper": EncoderSize((32, 64, 128), 2, 2, 256, (64, 32, 32, 64), (128, 256), 256),
    "lite": EncoderSize((16, 32, 64), 2, 1, 128, (32, 16, 16, 32), (64, 128), 128),
}


def _size(size: str) -> EncoderSize:
    if size not in SIZES:
        raise ValueError(f"size must be one of {sorted(SIZES)}, got {size!r}")
    return SIZES[size]


def sinusoidal_encoding(length: int, dim: int) -> torch.Tensor:
    """Sinusoidal positional encoding of the Transformer :cite:p:`vaswani2017attention`, shape ``(length, dim)``."""
    position = torch.arange(length, dtype=torch.float32).unsqueeze(1)
    frequency = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    table = torch.zeros(length, dim)
    table[:, 0::2] = torch.sin(position * frequency)
    table[:, 1::2] = torch.cos(position * frequency[: dim // 2])
    return table


class ImuEncoder(nn.Module):
    """CSSHAR-style IMU encoder.

    Args:
        in_channels: C, number of IMU channels (6 for UTD-MHAD, 12 for MMAct).
        length: T, number of time steps of the input (after resampling).
        size: ``"paper"`` or ``"lite"``.

    Forward: ``x (B, C, T) -> features (B, F)`` with ``F = (T - 12) * d_model``
    (three unpadded kernel-5 convolutions shorten the sequence by 12 steps).
    """

    def __init__(self, in_channels: int, length: int = 50, size: str = "paper") -> None:
        super().__init__()
        spec = _size(size)
        if in_channels < 1:
            raise ValueError(f"in_channels must be >= 1, got {in_channels}")
        if length < 13:
            raise ValueError(f"length must be >= 13 (three kernel-5 convolutions), got {length}")
        blocks: list[nn.Module] = []
        previous = in_channels
        for width in spec.imu_channels:
            blocks += [nn.Conv1d(previous, width, kernel_size=5), nn.BatchNorm1d(width), nn.ReLU()]
            previous = width
        self.convolutions = nn.Sequential(*blocks)
        d_model = spec.imu_channels[-1]
        self.register_buffer("position", sinusoidal_encoding(length - 12, d_model), persistent=False)
        layer = nn.TransformerEncoderLayer(
            d_model, spec.imu_heads, dim_feedforward=spec.imu_feedforward, dropout=0.1, batch_first=True
        )
        # enable_nested_tensor only matters with padding masks, which we never use.
        self.transformer = nn.TransformerEncoder(layer, spec.imu_layers, enable_nested_tensor=False)
        self.in_channels = in_channels
        self.length = length
        self.out_features = (length - 12) * d_model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x (B, C, T) -> (B, F)``."""
        if x.ndim != 3 or x.shape[1] != self.in_channels or x.shape[2] != self.length:
            raise ValueError(
                f"ImuEncoder expects (B, {self.in_channels}, {self.length}), got {tuple(x.shape)}"
            )
        h = self.convolutions(x).transpose(1, 2)  # (B, T', d_model): tokens are time steps
        h = self.transformer(h + self.position)
        return h.flatten(1)


class _HcnStream(nn.Module):
    """One HCN stream: ``(B, D, T, J) -> (B, c4, T/4, c2/4)``."""

    def __init__(self, in_dims: int, n_joints: int, widths: tuple[int, int, int, int]) -> None:
        super().__init__()
        point, temporal, co1, co2 = widths
        self.point = nn.Sequential(nn.Conv2d(in_dims, point, kernel_size=1), nn.BatchNorm2d(point), nn.ReLU())
        self.temporal = nn.Sequential(
            nn.Conv2d(point, temporal, kernel_size=(3, 1), padding=(1, 0)), nn.BatchNorm2d(temporal)
        )
        # After the transpose the J joints are channels, so each 3x3 kernel sees all joints at
        # once: that is HCN's "co-occurrence" learning.
        self.cooccurrence = nn.Sequential(
            nn.Conv2d(n_joints, co1, kernel_size=3, padding=1),
            nn.BatchNorm2d(co1),
            nn.MaxPool2d(2),
            nn.Conv2d(co1, co2, kernel_size=3, padding=1),
            nn.BatchNorm2d(co2),
            nn.Dropout2d(0.1),
            nn.MaxPool2d(2),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.temporal(self.point(x))  # (B, c2, T, J)
        h = h.permute(0, 3, 2, 1)  # (B, J, T, c2): joints as channels
        return self.cooccurrence(h)


class SkeletonEncoder(nn.Module):
    """HCN skeleton encoder with a joint stream and a motion stream.

    Args:
        in_dims: D, coordinate dimensions per joint (3 for UTD-MHAD, 2 for MMAct).
        n_joints: J (20 for UTD-MHAD's Kinect v1 layout, 17 for MMAct's COCO keypoints).
        length: T, number of frames of the input (after resampling).
        size: ``"paper"`` or ``"lite"``.

    Forward: ``x (B, D, T, J) -> features (B, F)`` with ``F = 256`` (paper) or 128 (lite).

    BatchNorm follows every convolution and the final linear layer (as in the public CMC-CMKM
    HCN). Without it nothing fixes the scale of the features: SimCLR's projection head starts
    with Linear -> BatchNorm, so the contrastive loss does not change when ``h`` is scaled, its
    gradient is orthogonal to the last layer's weights, and every Adam step (of size ~lr
    whatever the gradient's size; SimCLR's lr is 5e-3 in the paper's Table 1) lengthens them;
    seven stacked un-normalised layers multiply those growths, and a linear head on the frozen
    features then cannot converge. ``tests/test_models.py`` and ``tests/test_training.py`` check
    that the feature scale does not follow the weights and that SimCLR features stay usable.
    """

    def __init__(self, in_dims: int, n_joints: int, length: int = 50, size: str = "paper") -> None:
        super().__init__()
        spec = _size(size)
        if in_dims < 1 or n_joints < 1:
            raise ValueError(f"in_dims and n_joints must be >= 1, got {in_dims}, {n_joints}")
        if length < 16:
            raise ValueError(f"length must be >= 16 (four 2x poolings), got {length}")
        self.joint_stream = _HcnStream(in_dims, n_joints, spec.skeleton_stream)
        self.motion_stream = _HcnStream(in_dims, n_joints, spec.skeleton_stream)
        fused_in = 2 * spec.skeleton_stream[3]
        c5, c6 = spec.skeleton_fused
        self.fusion = nn.Sequential(
            nn.Conv2d(fused_in, c5, kernel_size=3, padding=1),
            nn.BatchNorm2d(c5),
            nn.ReLU(),
            nn.Dropout2d(0.1),
            nn.MaxPool2d(2),
            nn.Conv2d(c5, c6, kernel_size=3, padding=1),
            nn.BatchNorm2d(c6),
            nn.ReLU(),
            nn.Dropout2d(0.1),
            nn.MaxPool2d(2),
        )
        # Spatial extent after four 2x poolings: time T/16, "feature" axis c2/16 (at least 1).
        with torch.no_grad():
            flat = self._convolve(torch.zeros(2, in_dims, length, n_joints)).shape[1]  # BatchNorm: 2 samples
        self.fc = nn.Sequential(nn.Linear(flat, spec.skeleton_out), nn.BatchNorm1d(spec.skeleton_out), nn.ReLU())
        # oneDNN convolutions run ~1.4x faster on CPU in channels-last layout (measured in
        # benchmarks/training.py); the layout changes speed only, never values or state_dict keys.
        self.to(memory_format=torch.channels_last)
        self.in_dims = in_dims
        self.n_joints = n_joints
        self.length = length
        self.out_features = spec.skeleton_out

    def _convolve(self, x: torch.Tensor) -> torch.Tensor:
        # Motion = frame difference, zero-padded at the end so both streams keep T frames.
        motion = torch.nn.functional.pad(x[:, :, 1:] - x[:, :, :-1], (0, 0, 0, 1))
        fused = torch.cat([self.joint_stream(x), self.motion_stream(motion)], dim=1)
        return self.fusion(fused).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x (B, D, T, J) -> (B, F)``."""
        if x.ndim != 4 or x.shape[1] != self.in_dims or x.shape[2] != self.length or x.shape[3] != self.n_joints:
            raise ValueError(
                f"SkeletonEncoder expects (B, {self.in_dims}, {self.length}, {self.n_joints}), "
                f"got {tuple(x.shape)}"
            )
        return self.fc(self._convolve(x.contiguous(memory_format=torch.channels_last)))


class ProjectionHead(nn.Module):
    """``Linear(F, hidden) -> BatchNorm -> ReLU -> Linear(hidden, out)``: ``(B, F) -> (B, out)``.

    Args:
        in_features: ``F``, the encoder's feature size.
        hidden: width of the hidden layer.
        out: ``E``, the size of the embeddings the losses compare.
    """

    def __init__(self, in_features: int, hidden: int = 256, out: int = 128) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(in_features, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Linear(hidden, out)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class MultimodalClassifier(nn.Module):
    """Fine-tuning head of the paper: per modality ``m`` (feature size ``F_m``: ``F_s`` of the
    skeleton, ``F_i`` of the IMU encoder) ``Linear(F_m, hidden) -> BatchNorm -> ReLU``, the two
    concatenated, then ``Linear(2 * hidden, n_classes)`` (``hidden = 256`` in the paper).

    Forward: ``skeleton (B, F_s), imu (B, F_i) -> logits (B, n_classes)``.

    Args:
        skeleton_features: ``F_s``.
        imu_features: ``F_i``.
        n_classes: ``K``, the number of logits.
        hidden: width of each modality's hidden layer.
    """

    def __init__(self, skeleton_features: int, imu_features: int, n_classes: int, hidden: int = 256) -> None:
        super().__init__()

        def branch(n: int) -> nn.Sequential:
            return nn.Sequential(nn.Linear(n, hidden), nn.BatchNorm1d(hidden), nn.ReLU())

        self.skeleton = branch(skeleton_features)
        self.imu = branch(imu_features)
        self.classifier = nn.Linear(2 * hidden, n_classes)

    def forward(self, skeleton: torch.Tensor, imu: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.cat([self.skeleton(skeleton), self.imu(imu)], dim=1))


class LinearClassifier(nn.Module):
    """Unimodal fine-tuning head: one ``Linear(F, n_classes)``, ``(B, F) -> (B, n_classes)``.

    Args:
        in_features: ``F``, the encoder's feature size.
        n_classes: ``K``, the number of logits.
    """

    def __init__(self, in_features: int, n_classes: int) -> None:
        super().__init__()
        self.linear = nn.Linear(in_features, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x)


def build_encoders(
    *, imu_channels: int, skeleton_dims: int, n_joints: int, length: int = 50, size: str = "paper"
) -> nn.ModuleDict:
    """Both encoders of one run, keyed ``"skeleton"`` and ``"imu"``.

    Args:
        imu_channels: ``C``.
        skeleton_dims: ``D``, coordinates per joint.
        n_joints: ``J``.
        length: ``T``, time steps of every input.
        size: ``"paper"`` or ``"lite"`` (see above).
    """
    return nn.ModuleDict(
        {
            "skeleton": SkeletonEncoder(skeleton_dims, n_joints, length, size),
            "imu": ImuEncoder(imu_channels, length, size),
        }
    )


StageShape = tuple[str, str, tuple[int, ...], tuple[int, ...]]


def stage_shapes(model: nn.Module, x: torch.Tensor) -> tuple[list[StageShape], tuple[int, ...]]:
    """The input and output shape of every stage of ``model`` on the batch ``x``.

    A stage is a leaf module, except that a ``TransformerEncoderLayer`` counts as one stage
    (its sub-modules are not listed) and dropout layers, which keep shapes, are left out.
    Reshapes done inside ``forward`` (a permutation, a flatten) are not modules, so they show
    only as a change of shape between consecutive rows.

    The model is put in eval mode (and left there) and run once under ``torch.no_grad``;
    forward hooks are attached for that call only and removed afterwards, even on error.

    Args:
        model: any module, e.g. :class:`ImuEncoder` with ``x`` of shape ``(B, C, T)`` or
            :class:`SkeletonEncoder` with ``x`` of shape ``(B, D, T, J)``.
        x: one input batch.

    Returns:
        ``(rows, output_shape)``: ``rows`` lists, in call order, one tuple per stage, of its
        name, its type's name and its input and output shapes, e.g.
        ``("convolutions.0", "Conv1d", (4, 6, 50), (4, 32, 46))`` for an IMU encoder's first
        convolution. ``output_shape`` is the shape of ``model(x)``, e.g. ``(B, F)``.
    """
    rows: list[StageShape] = []
    hooks = []
    inside: set[str] = set()

    def record(name: str):
        def hook(module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
            rows.append((name, type(module).__name__, tuple(inputs[0].shape), tuple(output.shape)))

        return hook

    try:
        for name, module in model.named_modules():
            if isinstance(module, nn.TransformerEncoderLayer):
                inside.update(f"{name}.{sub}" for sub, _ in module.named_modules() if sub)
            elif (
                not name
                or name in inside
                or list(module.children())
                or isinstance(module, (nn.Dropout, nn.Dropout2d))
            ):
                continue
            hooks.append(module.register_forward_hook(record(name)))
        model.eval()
        with torch.no_grad():
            out = model(x)
    finally:
        for hook in hooks:
            hook.remove()
    return rows, tuple(out.shape)


def format_stage_shapes(model: nn.Module, x: torch.Tensor) -> str:
    """:func:`stage_shapes` as a text table: an ``input`` line with the shape of ``x``, one
    ``name  type  input shape -> output shape`` line per stage, and an ``output (features)``
    line with the shape of ``model(x)``. No trailing newline (meant for ``print``).

    Args:
        model: any module, as in :func:`stage_shapes`.
        x: one input batch.
    """
    rows, out_shape = stage_shapes(model, x)
    lines = [f"{'input':<34} {'':<24} {str(tuple(x.shape)):>16}"]
    lines += [f"{name:<34} {kind:<24} {str(shape_in):>16} -> {shape_out}" for name, kind, shape_in, shape_out in rows]
    lines.append(f"{'output (features)':<34} {'':<24} {'':>16}    {out_shape}")
    return "\n".join(lines)
