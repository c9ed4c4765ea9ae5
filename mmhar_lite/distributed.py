"""Data-parallel pre-training across processes (``torchrun``), equal to one process.

``torchrun --standalone --nproc-per-node W -m mmhar_lite pretrain ...`` starts ``W``
processes (ranks); :func:`init_from_env` joins them into one process group (gloo on the CPU,
nccl on CUDA, chosen from the device) and :func:`mmhar_lite.training.pretrain` then trains
data-parallel. Every rank draws the same shuffled global batch of ``B`` rows and keeps one
contiguous slice of it, its shard of ``n`` rows (:meth:`Replicas.shard`; when ``W`` does not
divide ``B``, shards differ by one row). Then

* :func:`gather` collects every rank's embeddings WITH their gradients, so that each loss sees
  all ``B`` anchors and all their negatives exactly as one process with batch ``B`` does
  (without it, ``W`` ranks would each train a different loss with ``B/W - 1`` negatives);
* :class:`GlobalBatchNorm` takes batch statistics over all ``B`` rows (torch's SyncBatchNorm
  refuses CPU tensors, so it cannot run under gloo);
* DistributedDataParallel averages parameter gradients over the ranks.

Every rank computes the loss of the whole gathered batch (the losses stay pure functions of
embeddings); the gather's backward sums the ranks' gradients and DDP divides by ``W``, so the
update is that of one process. ``tests/test_distributed.py`` checks loss and gradients against
one process rather than relying on this argument.

Shapes: W processes (ranks), B global batch, n rows of this rank's shard, E embedding size.
"""
from __future__ import annotations

import datetime
import os
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator

import torch
import torch.distributed as dist
from torch import nn

__all__ = [
    "TIMEOUT_ENV",
    "launched",
    "init_from_env",
    "shutdown",
    "world_size",
    "rank",
    "is_main",
    "shard_sizes",
    "gather",
    "GlobalBatchNorm",
    "global_batchnorm",
    "Replicas",
    "replicate",
]

# Seconds a collective waits for the other ranks before the job fails (instead of hanging).
TIMEOUT_ENV = "MMHAR_DIST_TIMEOUT"
_DEFAULT_TIMEOUT_S = 600.0


def launched() -> bool:
    """Whether this process was started by ``torchrun`` (or another launcher setting ``WORLD_SIZE``)."""
    return "WORLD_SIZE" in os.environ and "RANK" in os.environ


def _timeout() -> datetime.timedelta:
    raw = os.environ.get(TIMEOUT_ENV, str(_DEFAULT_TIMEOUT_S))
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise ValueError(f"environment variable {TIMEOUT_ENV} must be a number of seconds > 0, got {raw!r}")
    return datetime.timedelta(seconds=seconds)


def init_from_env(device: str = "auto") -> torch.device:
    """Join the process group described by torchrun's environment (``RANK``, ``WORLD_SIZE``,
    ``MASTER_ADDR``, ``MASTER_PORT``, ``LOCAL_RANK``) and return this rank's device.

    ``device`` (``"auto"`` | ``"cpu"`` | ``"cuda"``) picks the backend: nccl with one GPU per
    local rank on CUDA, gloo on the CPU. Collectives time out after ``MMHAR_DIST_TIMEOUT``
    seconds (default 600), so a rank that stops answering ends the job with an error.

    Args:
        device: ``"auto"`` (CUDA when available), ``"cpu"`` or ``"cuda"``.
    """
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValueError(f"device {device!r} requested but torch.cuda.is_available() is False")
        local = int(os.environ.get("LOCAL_RANK", "0"))
        if local >= torch.cuda.device_count():
            raise ValueError(f"LOCAL_RANK {local} but only {torch.cuda.device_count()} GPU(s) on this machine")
        torch.cuda.set_device(local)
        chosen, backend = torch.device("cuda", local), "nccl"
    elif device == "cpu":
        chosen, backend = torch.device("cpu"), "gloo"
    else:
        raise ValueError(f"device must be 'auto', 'cpu' or 'cuda', got {device!r}")
    if not dist.is_initialized():
        dist.init_process_group(backend, timeout=_timeout())
    return chosen


def shutdown() -> None:
    """Leave the process group (no-op when none is initialised)."""
    if dist.is_initialized():
        dist.destroy_process_group()


def world_size() -> int:
    """Number of ranks; 1 without a process group."""
    return dist.get_world_size() if dist.is_initialized() else 1


def rank() -> int:
    """This process's rank; 0 without a process group."""
    return dist.get_rank() if dist.is_initialized() else 0


def is_main() -> bool:
    """Whether this process writes files (rank 0, or the only process)."""
    return rank() == 0


def shard_sizes(n: int, size: int) -> list[int]:
    """Rows of each of ``size`` ranks when ``n`` rows are split in contiguous parts (sizes differ
    by at most one; the first ranks take the extra rows).

    Args:
        n: rows to split (``B``, the global batch).
        size: ``W``, the number of ranks.
    """
    return [n // size + (r < n % size) for r in range(size)]


class _GatherWithGrad(torch.autograd.Function):
    """All ranks' ``(n_r, ...)`` rows concatenated in rank order; the backward sums the
    gradient of the concatenation over the ranks and returns this rank's rows of it."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, sizes: list[int]) -> torch.Tensor:
        ctx.rows = (sum(sizes[: dist.get_rank()]), x.shape[0])
        padded = x.new_zeros((max(sizes), *x.shape[1:]))  # all_gather needs equal shapes
        padded[: x.shape[0]] = x
        parts = [torch.empty_like(padded) for _ in sizes]
        dist.all_gather(parts, padded)
        return torch.cat([part[:n] for part, n in zip(parts, sizes)])

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        grad = grad.contiguous().clone()
        dist.all_reduce(grad)  # every rank's loss depends on these rows
        start, n = ctx.rows
        return grad[start : start + n], None


class _SumWithGrad(torch.autograd.Function):
    """The sum of ``x`` over the ranks; the backward sums the incoming gradients likewise
    (torch.distributed.nn.functional.all_reduce does the same but is deprecated)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        total = x.clone(memory_format=torch.contiguous_format)
        dist.all_reduce(total)
        return total

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        return _SumWithGrad.apply(grad)


def gather(x: torch.Tensor) -> torch.Tensor:
    """Every rank's rows of ``x`` ``(n_r, ...)``, concatenated in rank order ``(sum n_r, ...)``,
    with gradients flowing back to the rank that owns each row. Ranks may hold different row
    counts (also zero): the counts are gathered first, the rows padded and trimmed. Without a
    process group (or with one rank) ``x`` itself is returned.

    Args:
        x: this rank's rows ``(n_r, ...)``, e.g. its embeddings ``(n, E)``.
    """
    if world_size() == 1:
        return x
    count = torch.tensor([x.shape[0]], dtype=torch.int64, device=x.device)
    counts = [torch.empty_like(count) for _ in range(world_size())]
    dist.all_gather(counts, count)
    return _GatherWithGrad.apply(x, [int(c) for c in counts])


class GlobalBatchNorm(nn.modules.batchnorm._BatchNorm):
    """BatchNorm (1-D or 2-D) whose training-mode statistics are taken over the rows of every
    rank, so ``W`` ranks x ``n`` rows normalise as one process with ``W n`` rows; gradients flow
    through the all-reduced sums. Same parameters, buffers and state-dict keys as the
    BatchNorm it replaces (:func:`global_batchnorm`); in eval mode, or with one rank, it is
    that BatchNorm. Statistics are computed in two passes (mean, then variance), in float32 for
    half-precision inputs.

    Args:
        num_features: the size of dimension 1 of the input, ``F`` of ``(B, F)`` or ``(B, F, T)``
            (as ``BatchNorm1d``) or of a 4-dimensional ``(B, F, ·, ·)`` (as ``BatchNorm2d``);
            ``F`` counts the features, or channels, of the layer it follows.
        eps: added to the variance before its square root, as in ``torch.nn.BatchNorm1d``.
        momentum: weight of the newest batch in the running statistics (``None``: a
            cumulative average), as in ``torch.nn.BatchNorm1d``.
        affine: whether a learnable per-channel scale (and shift, see ``bias``) follows.
        track_running_stats: whether running mean and variance are kept for eval mode.
        bias: with ``affine``, whether the learnable shift is kept; ``False`` gives a
            learnable scale only.
        device (torch.device | str | None): where the parameters and buffers are made.
        dtype (torch.dtype | None): the dtype of the parameters and buffers.
    """

    def _check_input_dim(self, x: torch.Tensor) -> None:
        if x.dim() < 2:
            raise ValueError(f"GlobalBatchNorm expects (B, C, ...) input, got shape {tuple(x.shape)}")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._check_input_dim(x)
        if not (self.training and world_size() > 1):
            return super().forward(x)
        dims = [0, *range(2, x.dim())]
        shape = [1, -1] + [1] * (x.dim() - 2)
        h = x.float() if x.dtype in (torch.float16, torch.bfloat16) else x
        local = torch.cat([h.sum(dims), h.new_tensor([h.numel() / max(h.shape[1], 1)])])
        total = _SumWithGrad.apply(local)
        count = total[-1].detach()
        mean = total[:-1] / count
        var = _SumWithGrad.apply(((h - mean.view(shape)) ** 2).sum(dims)) / count
        if self.track_running_stats:
            with torch.no_grad():
                self.num_batches_tracked.add_(1)
                momentum = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
                self.running_mean.mul_(1 - momentum).add_(mean.detach(), alpha=momentum)
                unbiased = var.detach() * count / (count - 1).clamp(min=1)
                self.running_var.mul_(1 - momentum).add_(unbiased, alpha=momentum)
        out = (h - mean.view(shape)) * torch.rsqrt(var.view(shape) + self.eps)
        if self.affine:
            out = out * self.weight.view(shape) + self.bias.view(shape)
        return out.to(x.dtype)


@contextmanager
def global_batchnorm(module: nn.Module) -> Iterator[nn.Module]:
    """Within the block, every BatchNorm below ``module`` is a :class:`GlobalBatchNorm` sharing
    its parameters and buffers; afterwards the original modules are back in place, holding
    the trained values.

    Args:
        module: the modules to train (the encoders and heads of a run).
    """
    swapped: list[tuple[nn.Module, str, nn.Module]] = []
    for parent in list(module.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, nn.modules.batchnorm._BatchNorm) and not isinstance(child, GlobalBatchNorm):
                replacement = GlobalBatchNorm(child.num_features, child.eps, child.momentum, child.affine,
                                              child.track_running_stats)
                for key, value in list(child._parameters.items()) + list(child._buffers.items()):
                    setattr(replacement, key, value)  # shared, so training updates the original
                replacement.train(child.training)
                parent._modules[name] = replacement
                swapped.append((parent, name, child))
    try:
        yield module
    finally:
        for parent, name, child in swapped:
            child.train(parent._modules[name].training)
            parent._modules[name] = child


class _Call(nn.Module):
    """``forward(fn, *args) = fn(*args)`` over the trained modules: DDP arms its gradient
    hooks in ``forward``, so every use of the parameters in a step runs inside one call."""

    def __init__(self, trained: nn.Module) -> None:
        super().__init__()
        self.trained = trained

    def forward(self, fn: Callable, *args):
        return fn(*args)


@dataclass
class Replicas:
    """What a training step needs to run data-parallel (one process: every method is the identity).

    Made by :func:`replicate`, not by hand.

    Attributes:
        size: ``W``, the number of ranks (1: one process).
        rank: this process's rank, in ``[0, W)``.
    """

    size: int = 1
    rank: int = 0
    _model: nn.Module | None = None

    def shard(self, idx: torch.Tensor) -> torch.Tensor:
        """This rank's contiguous part of the global batch ``idx`` (B,) -> (n,)."""
        if self.size == 1:
            return idx
        sizes = shard_sizes(idx.shape[0], self.size)
        start = sum(sizes[: self.rank])
        return idx[start : start + sizes[self.rank]]

    def forward(self, fn: Callable, *args):
        """``fn(*args)``, through DistributedDataParallel when there are several ranks.

        Args:
            fn: a function of the replicated model's modules, e.g. the forward pass of a batch.
            *args: its arguments.
        """
        return fn(*args) if self._model is None else self._model(fn, *args)

    def gather(self, x: torch.Tensor) -> torch.Tensor:
        """:func:`gather`: the global batch's rows of ``x``, in the order of ``idx``."""
        return x if self.size == 1 else gather(x)

    def seed_dropout(self, seed: int, epoch: int) -> None:
        """Give each rank its own dropout stream for ``epoch`` (the global RNG, seeded
        identically for initialisation, would otherwise draw the same masks on every rank);
        reseeding per epoch makes a resumed run continue as the uninterrupted one."""
        if self.size > 1:
            torch.manual_seed(hash((seed, epoch, self.rank)) & ((1 << 63) - 1))


@contextmanager
def replicate(trained: nn.Module, device: torch.device) -> Iterator[Replicas]:
    """:class:`Replicas` for the modules ``trained``: with a process group of several ranks,
    BatchNorm made global (:func:`global_batchnorm`) and the modules wrapped in
    DistributedDataParallel (parameters broadcast from rank 0, gradients averaged); otherwise
    plain one-process calls. On exit the modules are as they were (plain BatchNorm, no DDP)
    and, after a normal exit, every rank has reached it.

    Args:
        trained: the modules one training step updates.
        device: this rank's device (from :func:`init_from_env`).
    """
    size = world_size()
    if size == 1:
        yield Replicas()
        return
    with global_batchnorm(trained):
        # BatchNorm buffers come out equal on every rank (global statistics): no broadcast needed.
        model = nn.parallel.DistributedDataParallel(
            _Call(trained), device_ids=[torch.cuda.current_device()] if device.type == "cuda" else None,
            forward_sync_buffers=False,
        )
        try:
            yield Replicas(size=size, rank=rank(), _model=model)
        finally:
            del model
        dist.barrier()  # every rank returns once rank 0 has written its files (not after an error: no hang)
