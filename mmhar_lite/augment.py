"""Batched, seeded augmentations for IMU windows and skeleton sequences, as the public CMC-CMKM code has
them :cite:p:`brinzea2022cmkmcode`, with its axis mix-ups corrected.

Every transform is called as `transform(x, generator)` on a whole batch and returns a tensor
of the same shape, dtype and device:

- IMU: x is (B, C, T); time is the last axis, channels the middle one.
- Skeleton: x is (B, D, T, J); D = 3 (x, y, z) or 2 (image x, y).

Each sample draws its own parameters, and each transform is applied to a sample with
probability `p`. Random numbers come from the given `torch.Generator` (on the CPU), so
the same generator state gives the same augmented batch on any device. Pre-training passes
:class:`SampleGenerators` instead, one generator per sample seeded from that sample's index
(:func:`sample_generators`): a sample's augmentation then does not depend on which other
samples share its batch, so a batch split across processes is augmented exactly as it is in
one process.
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

import torch

__all__ = [
    "ImuJitter",
    "ImuScaling",
    "ImuPermutation",
    "ImuChannelShuffle",
    "ImuRotation",
    "SkeletonJitter",
    "SkeletonCrop",
    "SkeletonScale",
    "SkeletonRotation",
    "SkeletonShear",
    "Compose",
    "imu_augmentation",
    "skeleton_augmentation",
    "random_rotation_matrices",
    "SampleGenerators",
    "sample_generators",
]

_MASK64 = (1 << 64) - 1


class SampleGenerators:
    """One CPU `torch.Generator` per sample of a batch (row ``k`` draws from ``generators[k]``).

    Args:
        seeds: ``(B,)`` one seed per sample, in batch order.
    """

    def __init__(self, seeds: Sequence[int]) -> None:
        self.generators = tuple(torch.Generator().manual_seed(int(seed)) for seed in seeds)

    def __len__(self) -> int:
        return len(self.generators)

    def __iter__(self):
        return iter(self.generators)


def _mix64(value: int) -> int:
    """splitmix64's finaliser: a bijection of 64-bit integers that scatters nearby inputs."""
    value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9 & _MASK64
    value = (value ^ (value >> 27)) * 0x94D049BB133111EB & _MASK64
    return value ^ (value >> 31)


def sample_generators(key: int, indices: Sequence[int] | torch.Tensor, stream: int = 0) -> SampleGenerators:
    """Per-sample generators for the samples ``indices`` (B,): the seed of each is a hash of
    ``(key, index, stream)``, so it depends on the sample and not on its batch. ``key`` changes
    per step (e.g. drawn from the run's seeded generator); ``stream`` tells apart several draws
    of one sample in a step (two views, two modalities).

    Args:
        key: the step's key.
        indices: ``(B,)`` dataset indices of the batch's samples.
        stream: which draw of the step this is.
    """
    if isinstance(indices, torch.Tensor):
        indices = indices.tolist()
    base = _mix64((int(key) & _MASK64) ^ _mix64(int(stream) + 0x9E3779B97F4A7C15 & _MASK64))
    return SampleGenerators([_mix64(base ^ _mix64(int(i) & _MASK64)) for i in indices])


Generator = torch.Generator | SampleGenerators | None


def _draw(fn: Callable, shape: Sequence[int], generator: Generator, *, axis: int = 0, **kwargs) -> torch.Tensor:
    """``fn(shape, generator=...)`` (``torch.rand``, ``torch.randn``): in one call from a single
    generator, or row by row along the batch ``axis`` from :class:`SampleGenerators`."""
    shape = tuple(shape)
    if not isinstance(generator, SampleGenerators):
        return fn(shape, generator=generator, **kwargs)
    if len(generator) != shape[axis]:
        raise ValueError(f"{len(generator)} sample generators for a batch of {shape[axis]}")
    row = shape[:axis] + shape[axis + 1:]
    return torch.stack([fn(row, generator=g, **kwargs) for g in generator], dim=axis)


def _row_generators(generator: Generator, batch: int) -> Sequence[torch.Generator | None]:
    """The generator each of ``batch`` rows draws from when a transform loops over rows."""
    return generator.generators if isinstance(generator, SampleGenerators) else [generator] * batch


def _rand(shape: Sequence[int], generator: Generator, like: torch.Tensor, axis: int = 0) -> torch.Tensor:
    """U(0, 1) draws on the CPU generator(s), moved to `like`'s device and dtype; `axis` is the batch axis."""
    return _draw(torch.rand, shape, generator, axis=axis).to(device=like.device, dtype=like.dtype)


def _randn(shape: Sequence[int], generator: Generator, like: torch.Tensor) -> torch.Tensor:
    """N(0, 1) draws on the CPU generator(s), moved to `like`'s device and dtype (batch axis first)."""
    return _draw(torch.randn, shape, generator).to(device=like.device, dtype=like.dtype)


def _argsort_rand(shape: Sequence[int], generator: Generator, device: torch.device) -> torch.Tensor:
    """Independent uniform random permutations along the last axis of `shape` (batch axis first)."""
    return _draw(torch.rand, shape, generator).argsort(dim=-1).to(device)


class _Random:
    """Base: apply `transform` to each sample of the batch with probability `p`."""

    def __init__(self, p: float) -> None:
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p must be in [0, 1], got {p}")
        self.p = p

    def transform(self, x: torch.Tensor, generator: Generator) -> torch.Tensor:
        raise NotImplementedError

    def __call__(self, x: torch.Tensor, generator: Generator = None) -> torch.Tensor:
        # The apply-mask is drawn first so that a transform's own draws never shift it.
        apply = _draw(torch.rand, (x.shape[0],), generator).to(x.device) < self.p
        out = self.transform(x, generator)
        return torch.where(apply.view(-1, *([1] * (x.dim() - 1))), out, x)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"


class ImuJitter(_Random):
    r"""Additive Gaussian noise :math:`\mathcal{N}(0, \sigma^2)` on every value of ``(B, C, T)``.

    Args:
        sigma: the noise's standard deviation :math:`\sigma`.
        p: probability that a sample is transformed.
    """

    def __init__(self, sigma: float = 0.05, p: float = 0.8) -> None:
        super().__init__(p)
        self.sigma = sigma

    def transform(self, x: torch.Tensor, generator: Generator) -> torch.Tensor:
        return x + self.sigma * _randn(x.shape, generator, x)


class ImuScaling(_Random):
    r"""Multiply each channel of each sample by its own factor
    :math:`\sim \mathcal{N}(1, \sigma^2)`.

    Args:
        sigma: the factors' standard deviation :math:`\sigma`.
        p: probability that a sample is transformed.
    """

    def __init__(self, sigma: float = 0.1, p: float = 0.8) -> None:
        super().__init__(p)
        self.sigma = sigma

    def transform(self, x: torch.Tensor, generator: Generator) -> torch.Tensor:
        factors = 1.0 + self.sigma * _randn((x.shape[0], x.shape[1], 1), generator, x)
        return x * factors


class ImuPermutation(_Random):
    """Cut the TIME axis into 2..max_segments random segments and shuffle their order.

    Every channel of a sample moves together, so each channel keeps its multiset of values.

    Args:
        max_segments: the most segments a sample is cut into (at least 2).
        p: probability that a sample is transformed.
    """

    def __init__(self, max_segments: int = 5, p: float = 0.8) -> None:
        super().__init__(p)
        if max_segments < 2:
            raise ValueError(f"max_segments must be >= 2, got {max_segments}")
        self.max_segments = max_segments

    def _order(self, length: int, generator: Generator) -> torch.Tensor:
        """A (length,) index array: the time steps with their segments reordered."""
        n_segments = int(torch.randint(2, self.max_segments + 1, (1,), generator=generator))
        n_segments = min(n_segments, length)
        cuts = torch.randperm(length - 1, generator=generator)[: n_segments - 1].sort().values + 1
        segments = torch.tensor_split(torch.arange(length), cuts)
        order = torch.randperm(len(segments), generator=generator)
        return torch.cat([segments[i] for i in order])

    def transform(self, x: torch.Tensor, generator: Generator) -> torch.Tensor:
        batch, channels, length = x.shape
        index = torch.stack([self._order(length, g) for g in _row_generators(generator, batch)]).to(x.device)
        return x.gather(2, index[:, None, :].expand(batch, channels, length))


class ImuChannelShuffle(_Random):
    """Randomly permute the CHANNEL axis of each sample (time order untouched).

    Args:
        p: probability that a sample is transformed.
    """

    def __init__(self, p: float = 0.8) -> None:
        super().__init__(p)

    def transform(self, x: torch.Tensor, generator: Generator) -> torch.Tensor:
        batch, channels, length = x.shape
        index = _argsort_rand((batch, channels), generator, x.device)
        return x.gather(1, index[:, :, None].expand(batch, channels, length))


def random_rotation_matrices(n: int, generator: Generator = None, dtype=torch.float32) -> torch.Tensor:
    """(n, 3, 3) rotation matrices drawn uniformly from SO(3) (normalised Gaussian quaternions).

    Args:
        n: number of matrices.
        generator: source of the random numbers (a CPU ``torch.Generator``; None: the global one).
        dtype (torch.dtype): dtype of the result (drawn in float64, then cast).

    Returns:
        ``(n, 3, 3)`` rotation matrices.
    """
    return _quaternion_rotations(torch.randn(n, 4, generator=generator, dtype=torch.float64)).to(dtype)


def _quaternion_rotations(q: torch.Tensor) -> torch.Tensor:
    """(n, 3, 3) rotation matrices of (n, 4) quaternions (normalised here)."""
    n = q.shape[0]
    w, x, y, z = (q / q.norm(dim=1, keepdim=True)).unbind(1)
    rows = [
        1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
        2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
        2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y),
    ]
    return torch.stack(rows, dim=1).view(n, 3, 3)


class ImuRotation(_Random):
    """Rotate each xyz triplet of channels (0-2, 3-5, ...) by its own uniform random 3-D
    rotation, per sample; C must be a multiple of 3. Norms of every triplet are preserved.

    Args:
        p: probability that a sample is transformed.
    """

    def __init__(self, p: float = 0.8) -> None:
        super().__init__(p)

    def transform(self, x: torch.Tensor, generator: Generator) -> torch.Tensor:
        batch, channels, length = x.shape
        if channels % 3:
            raise ValueError(f"ImuRotation needs channels in xyz triplets (C % 3 == 0), got C={channels}")
        groups = channels // 3
        quaternions = _draw(torch.randn, (batch, groups, 4), generator, dtype=torch.float64)
        rotations = _quaternion_rotations(quaternions.view(-1, 4)).to(x.device, x.dtype)
        triplets = x.view(batch, groups, 3, length)
        rotated = torch.einsum("bgij,bgjt->bgit", rotations.view(batch, groups, 3, 3), triplets)
        return rotated.reshape(batch, channels, length)


class SkeletonJitter(_Random):
    r"""Additive Gaussian noise :math:`\mathcal{N}(0, \sigma^2)` on every coordinate of
    ``(B, D, T, J)``.

    Args:
        sigma: the noise's standard deviation :math:`\sigma`.
        p: probability that a sample is transformed.
    """

    def __init__(self, sigma: float = 0.1, p: float = 0.8) -> None:
        super().__init__(p)
        self.sigma = sigma

    def transform(self, x: torch.Tensor, generator: Generator) -> torch.Tensor:
        return x + self.sigma * _randn(x.shape, generator, x)


class SkeletonCrop(_Random):
    """Keep a random contiguous window of ``min_frac`` to ``max_frac`` of the frames, then
    stretch it back to ``T`` frames by linear interpolation along TIME.

    Args:
        min_frac: the shortest window, as a share of the frames (in ``(0, max_frac]``).
        max_frac: the longest window (at most 1).
        p: probability that a sample is transformed.
    """

    def __init__(self, min_frac: float = 0.8, max_frac: float = 0.9, p: float = 0.8) -> None:
        super().__init__(p)
        if not 0.0 < min_frac <= max_frac <= 1.0:
            raise ValueError(f"need 0 < min_frac <= max_frac <= 1, got {min_frac}, {max_frac}")
        self.min_frac, self.max_frac = min_frac, max_frac

    def transform(self, x: torch.Tensor, generator: Generator) -> torch.Tensor:
        batch, dims, length, joints = x.shape
        span = (self.min_frac + (self.max_frac - self.min_frac) * _rand((batch, 1), generator, x)) * (length - 1)
        start = _rand((batch, 1), generator, x) * (length - 1 - span)
        position = start + span * torch.linspace(0, 1, length, device=x.device, dtype=x.dtype)  # (B, T)
        lower = position.floor().long().clamp(0, length - 1)
        upper = (lower + 1).clamp(max=length - 1)
        weight = (position - lower.to(x.dtype))[:, None, :, None]

        def frames(index: torch.Tensor) -> torch.Tensor:
            return x.gather(2, index[:, None, :, None].expand(batch, dims, length, joints))

        return frames(lower) * (1 - weight) + frames(upper) * weight


class SkeletonScale(_Random):
    r"""Scale each coordinate axis of each sample by its own factor
    :math:`\sim \mathcal{U}(\mathrm{low}, \mathrm{high})`.

    Args:
        low: the smallest factor.
        high: the largest factor.
        p: probability that a sample is transformed.
    """

    def __init__(self, low: float = 0.7, high: float = 1.2, p: float = 0.8) -> None:
        super().__init__(p)
        self.low, self.high = low, high

    def transform(self, x: torch.Tensor, generator: Generator) -> torch.Tensor:
        factors = self.low + (self.high - self.low) * _rand((x.shape[0], x.shape[1], 1, 1), generator, x)
        return x * factors


def _axis_rotation(angle: torch.Tensor, axis: int) -> torch.Tensor:
    """(B, 3, 3) rotations by `angle` (B,) radians about coordinate axis 0, 1 or 2."""
    c, s = angle.cos(), angle.sin()
    i, j = [a for a in range(3) if a != axis]
    rotation = torch.zeros(angle.shape[0], 3, 3, dtype=angle.dtype, device=angle.device)
    rotation[:, axis, axis] = 1
    rotation[:, i, i], rotation[:, i, j] = c, -s
    rotation[:, j, i], rotation[:, j, j] = s, c
    return rotation


def _apply_linear(x: torch.Tensor, matrices: torch.Tensor) -> torch.Tensor:
    """Apply per-sample (B, D, D) matrices to the coordinate axis of (B, D, T, J)."""
    return torch.einsum("bij,bjtk->bitk", matrices, x)


class SkeletonRotation(_Random):
    r"""Rotate each sample by angles :math:`\sim \mathcal{U}(-m, m)`, :math:`m` =
    ``max_degrees``: about each of x, y, z in 3-D (composed :math:`R_z R_y R_x`, x first), or
    about the image normal in 2-D.

    Args:
        max_degrees: the largest angle :math:`m`, in degrees.
        p: probability that a sample is transformed.
    """

    def __init__(self, max_degrees: float = 10.0, p: float = 0.8) -> None:
        super().__init__(p)
        self.max_degrees = max_degrees

    def transform(self, x: torch.Tensor, generator: Generator) -> torch.Tensor:
        batch, dims = x.shape[:2]
        if dims not in (2, 3):
            raise ValueError(f"SkeletonRotation needs D in (2, 3), got D={dims}")
        angles = math.radians(self.max_degrees) * (2 * _rand((3, batch), generator, x, axis=1) - 1)
        if dims == 2:
            return _apply_linear(x, _axis_rotation(angles[0], 2)[:, :2, :2])
        rotation = _axis_rotation(angles[2], 2) @ _axis_rotation(angles[1], 1) @ _axis_rotation(angles[0], 0)
        return _apply_linear(x, rotation)


class SkeletonShear(_Random):
    r"""Apply a shear matrix (ones on the diagonal, :math:`\mathcal{N}(0, \sigma^2)` off it)
    per sample.

    Args:
        sigma: the standard deviation :math:`\sigma` of the off-diagonal entries.
        p: probability that a sample is transformed.
    """

    def __init__(self, sigma: float = 0.2, p: float = 0.8) -> None:
        super().__init__(p)
        self.sigma = sigma

    def transform(self, x: torch.Tensor, generator: Generator) -> torch.Tensor:
        batch, dims = x.shape[:2]
        eye = torch.eye(dims, device=x.device, dtype=x.dtype)
        shear = eye + self.sigma * _randn((batch, dims, dims), generator, x) * (1 - eye)
        return _apply_linear(x, shear)


class Compose:
    """Apply transforms in order, all drawing from the same generator.

    Args:
        transforms: the transforms, first applied first.
    """

    def __init__(self, transforms: Sequence[Callable[[torch.Tensor, Generator], torch.Tensor]]) -> None:
        self.transforms = list(transforms)

    def __call__(self, x: torch.Tensor, generator: Generator = None) -> torch.Tensor:
        for transform in self.transforms:
            x = transform(x, generator)
        return x

    def __repr__(self) -> str:
        return f"Compose({self.transforms!r})"


def _check_dataset(dataset: str) -> None:
    if dataset not in ("synthetic", "utd-mhad", "mmact"):
        raise ValueError(f"unknown dataset {dataset!r}; expected 'synthetic', 'utd-mhad' or 'mmact'")


def imu_augmentation(dataset: str) -> Compose:
    """The IMU pipeline used in pre-training: UTD-MHAD / synthetic: jitter, scaling, time
    permutation, channel shuffle; MMAct: scaling, rotation.

    Args:
        dataset: ``"synthetic"``, ``"utd-mhad"`` or ``"mmact"``.
    """
    _check_dataset(dataset)
    if dataset == "mmact":
        return Compose([ImuScaling(), ImuRotation()])
    return Compose([ImuJitter(), ImuScaling(), ImuPermutation(), ImuChannelShuffle()])


def skeleton_augmentation(dataset: str) -> Compose:
    """The skeleton pipeline used in pre-training (all datasets): jitter, crop-and-resize,
    per-axis scale, rotation, shear.

    Args:
        dataset: ``"synthetic"``, ``"utd-mhad"`` or ``"mmact"`` (the same pipeline for each).
    """
    _check_dataset(dataset)
    return Compose([SkeletonJitter(), SkeletonCrop(), SkeletonScale(), SkeletonRotation(), SkeletonShear()])
