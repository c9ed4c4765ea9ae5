"""Pre-training, fine-tuning, feature caching, checkpoints and metrics.

Every method of the paper's Tables 2-3 goes through :func:`pretrain`, which returns trained
encoders (and, for ``supervised``, the classifier trained with them); :func:`finetune` then
freezes the encoders, computes their features ONCE and trains a head on the cached features.

Speed (the paper protocol must fit a 2-core CPU): the whole training set lives in memory as
tensors on the training device, batches are index slices of it, augmentations run batched on
those tensors (:mod:`mmhar_lite.augment`), and the loss is read back once per epoch.

Shapes: B batch, C IMU channels, T time steps, J joints, D coordinate dimensions, F features.

Methods (the CLI spells them the same way):

.. table::
   :class: mmhar-prose-table

   ===================  ==========================================================================
   ``supervised``       encoders + classifier, end to end (cross-entropy)
   ``simclr``           one modality, two augmented views, ``info_nce(negatives="all")``
   ``simclr-hnl``       the same with ``hard_negative_info_nce(negatives="all")``
   ``cmc``              skeleton vs IMU, ``info_nce(negatives="cross")``
   ``cmc-debiased``     ``debiased_info_nce(negatives="cross")`` :cite:p:`chuang2020debiased`
   ``cmc-hnl``          ``hard_negative_info_nce(negatives="cross")``: the paper's method
   ``cmc-hnl-oracle``   the same, same-class negatives removed (teaching aid)
   ``cmc-cmkm``         :func:`~mmhar_lite.losses.cmkm_loss` :cite:p:`brinzea2022cmkm`
   ``random-init``      no pre-training: random frozen encoders (a floor)
   ===================  ==========================================================================
"""
from __future__ import annotations

import ast
import contextlib
import functools
import hashlib
import json
import math
import os
import sys
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from mmhar_lite import checkpoints, distributed, files, losses, metrics
from mmhar_lite.augment import imu_augmentation, sample_generators, skeleton_augmentation
from mmhar_lite.data import ArrayData
from mmhar_lite.models import (
    MODALITIES,
    LinearClassifier,
    MultimodalClassifier,
    ProjectionHead,
    build_encoders,
)

__all__ = [
    "METHODS",
    "METHOD_MODALITIES",
    "PretrainConfig",
    "FinetuneConfig",
    "PretrainResult",
    "FinetuneResult",
    "TrainingDiverged",
    "resolve_device",
    "progress",
    "input_shapes",
    "pretrain",
    "run_key",
    "extract_features",
    "embed",
    "train_head",
    "predict",
    "finetune",
    "save_checkpoint",
    "load_checkpoint",
    "accuracy",
    "macro_f1",
    "confusion_matrix",
    "most_confused",
    "evaluate",
    "write_history",
]

# Pre-training modalities each method accepts (the first is its default).
METHOD_MODALITIES: dict[str, tuple[str, ...]] = {
    "supervised": ("multimodal", "imu", "skeleton"),
    "simclr": ("imu", "skeleton"),
    "simclr-hnl": ("imu", "skeleton"),
    "cmc": ("multimodal",),
    "cmc-debiased": ("multimodal",),
    "cmc-hnl": ("multimodal",),
    "cmc-hnl-oracle": ("multimodal",),
    "cmc-cmkm": ("multimodal",),
    "random-init": ("multimodal",),
}
METHODS = tuple(METHOD_MODALITIES)
# torch.manual_seed takes 64-bit integers, numpy's default_rng non-negative ones.
MAX_SEED = 2**63 - 1
FINETUNE_MODALITIES = ("multimodal", "imu", "skeleton")
AUGMENTATIONS = ("synthetic", "utd-mhad", "mmact")


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


@dataclass
class PretrainConfig:
    """Hyper-parameters of one pre-training run (defaults: UTD-MHAD CMC-HNL, Table 1; every
    dataset's and method's values are in :data:`~mmhar_lite.presets.PRESETS`).

    ``tau_plus`` and ``beta`` are used by the debiased / hard-negative methods only.
    The learning rate is multiplied by ``factor`` (halved by default) when the epoch's mean
    training loss has not improved for ``patience`` epochs (ReduceLROnPlateau, as in the paper).

    Attributes:
        method: the pre-training method, one of ``training.METHODS`` (``"cmc-hnl"``, ...).
        modality: what is pre-trained: ``"multimodal"`` (both encoders), ``"imu"`` or
            ``"skeleton"`` (one encoder; SimCLR and the supervised baseline).
        epochs: pre-training epochs.
        batch_size: B, recordings per batch.
        lr: initial Adam learning rate.
        temperature: t, the logits are cosines divided by it.
        tau_plus: τ⁺, the class prior of the debiased and hard-negative losses.
        beta: β, the concentration of the hard-negative weights (``beta = 0``: the debiased loss).
        size: the encoders' size preset, ``"paper"`` or ``"lite"`` (:class:`~mmhar_lite.models.EncoderSize`).
        seed: fixes initialisation, batch order, augmentations and dropout.
        augmentation: which dataset's augmentation pipelines to use (``"synthetic"``,
            ``"utd-mhad"`` or ``"mmact"``; :func:`mmhar_lite.augment.imu_augmentation`).
        patience: epochs without a lower mean training loss before the learning rate drops.
        factor: what the learning rate is multiplied by when it drops, in ``(0, 1)``.
    """

    method: str = "cmc-hnl"
    modality: str = "multimodal"
    epochs: int = 150
    batch_size: int = 64
    lr: float = 1e-3
    temperature: float = 0.1
    tau_plus: float = 0.037
    beta: float = 1.0
    size: str = "paper"
    seed: int = 0
    augmentation: str = "utd-mhad"
    patience: int = 20
    factor: float = 0.5

    def __post_init__(self) -> None:
        _check(self.method in METHOD_MODALITIES, f"method must be one of {', '.join(METHODS)}; got {self.method!r}")
        allowed = METHOD_MODALITIES[self.method]
        _check(self.modality in allowed, f"method {self.method} takes modality {' | '.join(allowed)}; got {self.modality!r}")
        _check_common(self)
        _check(math.isfinite(self.temperature) and self.temperature > 0, f"temperature must be > 0, got {self.temperature}")
        _check(0.0 <= self.tau_plus < 1.0, f"tau_plus must be in [0, 1), got {self.tau_plus}")
        _check(math.isfinite(self.beta) and self.beta >= 0.0, f"beta must be >= 0, got {self.beta}")
        _check(self.size in ("paper", "lite"), f"size must be 'paper' or 'lite', got {self.size!r}")
        _check(self.augmentation in AUGMENTATIONS, f"augmentation must be one of {AUGMENTATIONS}, got {self.augmentation!r}")


@dataclass
class FinetuneConfig:
    """Frozen-encoder evaluation (the paper's "linear evaluation"; the multimodal head is an MLP,
    see :func:`train_head`). As in pre-training, the learning rate drops by ``factor`` when the
    epoch's mean training loss has not improved for ``patience`` epochs (ReduceLROnPlateau).

    Attributes:
        modality: the features the head classifies: ``"multimodal"`` (both encoders' features), ``"imu"``
            or ``"skeleton"``.
        epochs: training epochs of the head.
        batch_size: recordings per batch.
        lr: initial Adam learning rate of the head.
        seed: fixes the head's initialisation and the batch order.
        patience: epochs without a lower mean training loss before the learning rate drops.
        factor: what the learning rate is multiplied by when it drops, in ``(0, 1)``.
    """

    modality: str = "multimodal"
    epochs: int = 100
    batch_size: int = 64
    lr: float = 1e-3
    seed: int = 0
    patience: int = 20
    factor: float = 0.5

    def __post_init__(self) -> None:
        _check(self.modality in FINETUNE_MODALITIES, f"finetune modality must be one of {FINETUNE_MODALITIES}, got {self.modality!r}")
        _check_common(self)


def _check_common(config: PretrainConfig | FinetuneConfig) -> None:
    _check(isinstance(config.epochs, int) and config.epochs >= 0, f"epochs must be an integer >= 0, got {config.epochs}")
    _check(isinstance(config.batch_size, int) and config.batch_size >= 2, f"batch_size must be an integer >= 2, got {config.batch_size}")
    _check(math.isfinite(config.lr) and config.lr > 0, f"lr must be > 0, got {config.lr}")
    _check(isinstance(config.seed, int) and 0 <= config.seed <= MAX_SEED,
           f"seed must be an integer in [0, 2**63 - 1], got {config.seed}")
    _check(config.patience >= 0, f"patience must be >= 0, got {config.patience}")
    _check(0.0 < config.factor < 1.0, f"factor must be in (0, 1), got {config.factor}")


@dataclass
class PretrainResult:
    """Encoders (``"skeleton"``, ``"imu"``) and heads of a pre-training run.

    ``heads`` holds the projection heads of contrastive methods or the ``"classifier"`` of
    ``supervised``. ``history`` has one record per epoch: ``epoch``, ``loss`` (mean over the
    epoch's batches), ``lr``, ``time_s``, and the watched measures
    (:data:`mmhar_lite.metrics.EMBEDDING_KEYS`) of a run that :func:`pretrain` was given
    ``monitor_indices``.

    Attributes:
        config: the run's configuration.
        encoders: the trained encoders, by modality.
        heads: the projection heads (by modality) or the ``"classifier"``.
        shapes: the input dimensions the encoders were built for (:func:`input_shapes`).
        history: one record per epoch, as above.
        seconds: wall-clock time of the training.
    """

    config: PretrainConfig
    encoders: nn.ModuleDict
    heads: nn.ModuleDict
    shapes: dict
    history: list[dict] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class FinetuneResult:
    """A trained head and its history; ``metrics`` (see :func:`evaluate`) when a test set was given.

    Attributes:
        config: the fine-tuning configuration.
        head: the trained head (eval mode).
        history: one record per epoch (``epoch``, ``loss``, ``lr``, ``time_s``).
        metrics: :func:`evaluate` on the test rows, or ``None`` without them.
        seconds: wall-clock time of feature extraction, training and evaluation.
    """

    config: FinetuneConfig
    head: nn.Module
    history: list[dict]
    metrics: dict | None = None
    seconds: float = 0.0


# ----------------------------------------------------------------------------- helpers


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"`` -> CUDA when available else CPU; ``"cuda"`` without a GPU raises ValueError.

    Args:
        device: ``"auto"``, ``"cpu"``, ``"cuda"`` / ``"cuda:K"``, or a ``torch.device`` (returned
            as it is).
    """
    if isinstance(device, torch.device):
        return device
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device not in ("cpu", "cuda") and not device.startswith("cuda:"):
        raise ValueError(f"device must be 'auto', 'cpu' or 'cuda', got {device!r}")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} requested but torch.cuda.is_available() is False")
    return torch.device(device)


def progress(iterable, *, desc: str, quiet: bool = False, leave: bool = False):
    """A tqdm bar over ``iterable``, shown only to a person at a terminal: never with
    ``quiet``, under CI or when stderr is not a tty (log files, papermill).

    Args:
        iterable (Iterable): what the bar counts (its length, if it has one, is the bar's total).
        desc: the bar's label.
        quiet: never show the bar.
        leave: keep the finished bar on the terminal.
    """
    show = not quiet and not os.environ.get("CI") and sys.stderr.isatty()
    return tqdm(iterable, desc=desc, disable=not show, leave=leave)


def input_shapes(data: ArrayData) -> dict:
    """Input dimensions encoders are built for.

    Args:
        data: the prepared arrays.

    Returns:
        ``{"skeleton_dims": D, "n_joints": J, "imu_channels": C, "length": T, "n_classes": K}``.
    """
    _, dims, length, joints = data.skeleton.shape
    return {
        "skeleton_dims": int(dims),
        "n_joints": int(joints),
        "imu_channels": int(data.imu.shape[1]),
        "length": int(length),
        "n_classes": int(data.n_classes),
    }


def _tensors(data: ArrayData, indices: np.ndarray, device: torch.device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """skeleton (N, D, T, J), imu (N, C, T) float32 and labels (N,) int64 on ``device``."""
    idx = np.asarray(indices, dtype=np.int64)
    _check(idx.size > 0, "no samples selected (empty index array)")
    return (
        torch.as_tensor(data.skeleton[idx], dtype=torch.float32, device=device),
        torch.as_tensor(data.imu[idx], dtype=torch.float32, device=device),
        torch.as_tensor(data.labels[idx], dtype=torch.int64, device=device),
    )


def _batches(n: int, batch_size: int, generator: torch.Generator, device: torch.device) -> list[torch.Tensor]:
    """A shuffled epoch as index batches; a last batch of one sample is dropped (BatchNorm and
    contrastive losses need at least two)."""
    order = torch.randperm(n, generator=generator).to(device)
    size = min(batch_size, n)
    return [b for b in order.split(size) if b.numel() >= 2]


def _head(modality: str, feature_sizes: dict[str, int], n_classes: int) -> nn.Module:
    if modality == "multimodal":
        return MultimodalClassifier(feature_sizes["skeleton"], feature_sizes["imu"], n_classes)
    return LinearClassifier(feature_sizes[modality], n_classes)


def _modalities(modality: str) -> tuple[str, ...]:
    return ("skeleton", "imu") if modality == "multimodal" else (modality,)


def _apply_head(head: nn.Module, features: dict[str, torch.Tensor], modality: str) -> torch.Tensor:
    if modality == "multimodal":
        return head(features["skeleton"], features["imu"])
    return head(features[modality])


def _autocast(device: torch.device, amp: bool):
    # bf16 needs no loss scaling; losses are computed in float32 (see `_contrastive_loss`).
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=amp and device.type == "cuda")


class TrainingDiverged(FloatingPointError):
    """Training produced NaN/inf (loss or embeddings); the message names the epoch and the lr."""


def _diverged(description: str, epoch: int, optimizer: torch.optim.Optimizer, what: str) -> TrainingDiverged:
    lr = optimizer.param_groups[0]["lr"]
    return TrainingDiverged(f"{description}: training diverged at epoch {epoch + 1} with lr {lr:g} ({what}); "
                            "expected finite losses: try a smaller learning rate")


def _run_epochs(
    *,
    epochs: int,
    start_epoch: int,
    n: int,
    batch_size: int,
    step_loss: Callable[[torch.Tensor], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.ReduceLROnPlateau,
    generator: torch.Generator,
    device: torch.device,
    history: list[dict],
    description: str,
    quiet: bool,
    after_epoch: Callable[[int], None] | None = None,
) -> None:
    """The shared optimisation loop: Adam steps over shuffled index batches, one scheduler
    step per epoch on the epoch's mean loss, one history record per epoch."""
    bar = progress(range(start_epoch, epochs), desc=description, quiet=quiet)
    for epoch in bar:
        started = time.perf_counter()
        total = torch.zeros((), device=device)
        batches = _batches(n, batch_size, generator, device)
        for idx in batches:
            try:
                loss = step_loss(idx)
            except ValueError as error:
                # The losses refuse NaN/inf embeddings: once the weights have been updated, those
                # come from weights (or activations) that blew up, not from the (checked) data.
                updated = epoch > start_epoch or idx is not batches[0]
                if not updated or "NaN" not in str(error):
                    raise
                raise _diverged(description, epoch, optimizer, "the embeddings became NaN/inf") from None
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.detach()
        mean_loss = float(total) / max(len(batches), 1)  # the epoch's only device sync
        if not math.isfinite(mean_loss):
            raise _diverged(description, epoch, optimizer, f"the loss became {mean_loss}")
        lr = optimizer.param_groups[0]["lr"]
        scheduler.step(mean_loss)
        history.append({"epoch": epoch + 1, "loss": mean_loss, "lr": lr, "time_s": time.perf_counter() - started})
        if after_epoch is not None:
            after_epoch(epoch + 1)  # may add the epoch's watched measures to history[-1]
        bar.set_postfix(metrics.postfix(history[-1]))


# ----------------------------------------------------------------------------- CMKM


def _mined_neighbours(features: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """Per batch row, the batch position of its most similar other row under ``features``
    (L2-normalised teacher features of the whole training set, ``(N, F)``)."""
    f = features[idx]
    similarity = f @ f.T
    similarity.fill_diagonal_(float("-inf"))
    return similarity.argmax(dim=1)


# ----------------------------------------------------------------------------- pretrain


def _contrastive_loss(config: PretrainConfig, a: torch.Tensor, b: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    negatives = "all" if config.method.startswith("simclr") else "cross"
    a, b = a.float(), b.float()
    if config.method in ("simclr", "cmc"):
        return losses.info_nce(a, b, temperature=config.temperature, negatives=negatives)
    if config.method == "cmc-debiased":
        return losses.debiased_info_nce(a, b, temperature=config.temperature, tau_plus=config.tau_plus, negatives=negatives)
    return losses.hard_negative_info_nce(
        a,
        b,
        temperature=config.temperature,
        tau_plus=config.tau_plus,
        beta=config.beta,
        negatives=negatives,
        labels=labels if config.method == "cmc-hnl-oracle" else None,
    )


def _build(config: PretrainConfig, shapes: dict, device: torch.device) -> tuple[nn.ModuleDict, nn.ModuleDict]:
    """Encoders and heads, initialised from the global RNG (seeded by the caller)."""
    encoders = build_encoders(
        imu_channels=shapes["imu_channels"],
        skeleton_dims=shapes["skeleton_dims"],
        n_joints=shapes["n_joints"],
        length=shapes["length"],
        size=config.size,
    )
    sizes = {m: encoders[m].out_features for m in encoders}
    if config.method == "supervised":
        heads = nn.ModuleDict({"classifier": _head(config.modality, sizes, shapes["n_classes"])})
    elif config.method == "random-init":
        heads = nn.ModuleDict()
    else:
        heads = nn.ModuleDict({m: ProjectionHead(sizes[m]) for m in _modalities(config.modality)})
    return encoders.to(device), heads.to(device)


def pretrain(
    data: ArrayData,
    train_indices: np.ndarray,
    config: PretrainConfig,
    *,
    teachers: nn.ModuleDict | None = None,
    device: str | torch.device = "auto",
    amp: bool = False,
    quiet: bool = False,
    checkpoint: str | Path | None = None,
    checkpoint_every: int = 10,
    resume: bool = False,
    cache_dir: str | Path | None = None,
    monitor_indices: np.ndarray | None = None,
    writer: metrics.ScalarWriter | None = None,
) -> PretrainResult:
    """Pre-train encoders with ``config.method`` on ``data`` rows ``train_indices``.

    Args:
        data: the whole dataset as arrays (skeleton ``(N, D, T, J)``, imu ``(N, C, T)``).
        train_indices: rows used for training (labels are read only by ``supervised`` and
            ``cmc-hnl-oracle``).
        config: hyper-parameters; ``config.seed`` fixes initialisation, batch order,
            augmentations and dropout, so a CPU run repeats exactly. Augmentations are drawn
            per sample, so under ``torchrun`` (an initialised process group, see
            :mod:`mmhar_lite.distributed`) the ranks train exactly as one process does
            (dropout masks aside); only rank 0 writes files.
        teachers: for ``cmc-cmkm`` only, frozen unimodal encoders ``{"skeleton", "imu"}``
            (e.g. SimCLR's) whose features mine the positives.
        device: ``"auto"`` | ``"cpu"`` | ``"cuda"``.
        amp: bf16 autocast on CUDA (ignored on the CPU).
        quiet: no progress bar.
        checkpoint: path written every ``checkpoint_every`` epochs and at the end.
        checkpoint_every: epochs between two checkpoints.
        resume: load an existing ``checkpoint`` file and continue training from it.
        cache_dir: a folder of finished runs. A run whose configuration, data, training rows,
            teachers and training code (:func:`run_key`) match one there is loaded instead of
            trained again; otherwise it is trained and stored there. The book's chapters share
            runs this way.
        monitor_indices: rows (not in ``train_indices``, e.g. from
            :func:`mmhar_lite.metrics.holdout_split`) on which every epoch's history record and
            progress bar get cross-modal retrieval, alignment and uniformity
            (:data:`mmhar_lite.metrics.EMBEDDING_KEYS`); cross-modal methods only. Watching
            does not change the run.
        writer: each epoch's history record is also written there as scalars
            (:func:`mmhar_lite.metrics.write_scalars`, e.g. a TensorBoard ``SummaryWriter``).

    Returns:
        A :class:`PretrainResult` with encoders in eval mode.
    """
    if cache_dir is not None and config.method != "random-init" and config.epochs > 0:
        key = run_key(config, data, train_indices, teachers)
        if monitor_indices is not None:  # the history differs, the weights do not
            key += "-watch" + hashlib.sha256(np.asarray(monitor_indices, dtype=np.int64).tobytes()).hexdigest()[:8]
        path = Path(cache_dir) / f"{config.method}-{config.modality}-seed{config.seed}-{key}.pt"
        cached = _load_cached(path, key, config, resolve_device(device)) if path.exists() else None
        if cached is not None:
            return cached
        result = pretrain(data, train_indices, config, teachers=teachers, device=device, amp=amp, quiet=quiet,
                          checkpoint=checkpoint, checkpoint_every=checkpoint_every, resume=resume,
                          monitor_indices=monitor_indices, writer=writer)
        if distributed.is_main():
            try:
                save_checkpoint(result, path, cache_key=key)
            except OSError as error:  # a full or read-only cache must not cost the run just trained
                warnings.warn(f"run cache: cannot store {path} ({type(error).__name__}: {error}); the run is not cached",
                              checkpoints.RunCacheWarning, stacklevel=2)
        return result
    device = resolve_device(device)
    shapes = input_shapes(data)
    if config.method == "cmc-cmkm":
        _check(teachers is not None and {"skeleton", "imu"} <= set(teachers.keys()),
               "cmc-cmkm needs teachers={'skeleton': ..., 'imu': ...} (frozen unimodal SimCLR encoders)")
    # fork_rng: seeding the global RNG (initialisation, dropout) must not leak to the caller.
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []), contextlib.ExitStack() as stack:
        torch.manual_seed(config.seed)
        encoders, heads = _build(config, shapes, device)
        generator = torch.Generator().manual_seed(config.seed)
        result = PretrainResult(config=config, encoders=encoders, heads=heads, shapes=shapes)
        if config.method == "random-init" or config.epochs == 0:
            encoders.eval()
            if checkpoint is not None and distributed.is_main():  # the initialisation is the run: finetune can read it
                save_checkpoint(result, checkpoint, epoch=0)
            return result
        skeleton, imu, labels = _tensors(data, train_indices, device)
        active = _modalities(config.modality)
        trained = nn.ModuleList([encoders[m] for m in active] + list(heads.values()))
        optimizer = torch.optim.Adam(trained.parameters(), lr=config.lr)
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=config.factor, patience=config.patience)
        start = 0
        if resume and checkpoint is not None and Path(checkpoint).exists():
            start = _restore(Path(checkpoint), result, optimizer, scheduler, generator, device)
        replicas = stack.enter_context(distributed.replicate(trained, device))
        replicas.seed_dropout(config.seed, start)
        step_loss = _step_function(config, encoders, heads, skeleton, imu, labels, teachers, generator, device, amp, replicas)
        watch = _monitor(config, encoders, heads, data, train_indices, monitor_indices, device)

        resumed_seconds = result.seconds

        def save(epoch: int) -> None:
            replicas.seed_dropout(config.seed, epoch)
            if watch is not None:
                result.history[-1].update(watch())
            if writer is not None:
                metrics.write_scalars(writer, result.history[-1])
            result.seconds = resumed_seconds + time.perf_counter() - started  # what the checkpoint records
            if checkpoint is not None and distributed.is_main() and (epoch % checkpoint_every == 0 or epoch == config.epochs):
                save_checkpoint(result, checkpoint, optimizer=optimizer, scheduler=scheduler, generator=generator, epoch=epoch)

        started = time.perf_counter()
        encoders.train()
        heads.train()
        _run_epochs(
            epochs=config.epochs, start_epoch=start, n=labels.shape[0], batch_size=config.batch_size,
            step_loss=step_loss, optimizer=optimizer, scheduler=scheduler, generator=generator,
            device=device, history=result.history, description=f"{config.method} {config.modality}",
            quiet=quiet or not distributed.is_main(), after_epoch=save,
        )
        result.seconds = resumed_seconds + time.perf_counter() - started
    encoders.eval()
    heads.eval()
    return result


def _monitor(config, encoders, heads, data, train_indices, monitor_indices, device):
    """The per-epoch measures of ``monitor_indices`` (None when not asked for)."""
    if monitor_indices is None:
        return None
    _check({"skeleton", "imu"} <= set(heads.keys()),
           f"monitor_indices: watching needs a cross-modal method with two projection heads, not {config.method!r}")
    overlap = np.intersect1d(monitor_indices, train_indices)
    _check(overlap.size == 0, f"monitor_indices: {overlap.size} of the watched rows are also trained on")
    skeleton, imu, _ = _tensors(data, monitor_indices, device)
    return metrics.cross_modal_monitor(encoders, heads, skeleton, imu)


def source_fingerprint(sources: Sequence[str]) -> bytes:
    """A digest of Python ``sources`` that follows their code and ignores their comments,
    docstrings and layout: the syntax trees with every docstring removed, so that mending the
    documentation of a training module keeps its cached runs while any code change drops them."""
    digest = hashlib.sha256()
    for source in sources:
        tree = ast.parse(source)
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if (isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and body
                    and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                    and isinstance(body[0].value.value, str)):
                node.body = body[1:] or [ast.Pass()]
        digest.update(ast.dump(tree, include_attributes=False).encode())
    return digest.digest()


@functools.cache
def _code_fingerprint() -> bytes:
    """The code of the modules a run's weights depend on, so that a code change invalidates
    cached runs (the data is hashed by value in :func:`run_key`)."""
    package = Path(__file__).parent
    names = ("augment.py", "distributed.py", "losses.py", "metrics.py", "models.py", "training.py")
    return source_fingerprint([(package / name).read_text() for name in names])


def run_key(config: PretrainConfig, data: ArrayData, train_indices: np.ndarray, teachers: nn.ModuleDict | None = None) -> str:
    """A 20-hex-digit fingerprint of everything a pre-training run's result depends on:
    the configuration, the data arrays and training rows, the teachers' weights and the code.

    Args:
        config: the run's configuration.
        data: the arrays it trains on.
        train_indices: ``(n,)`` the rows of ``data`` it trains on.
        teachers: the frozen SimCLR encoders of ``cmc-cmkm``, else ``None``.
    """
    digest = hashlib.sha256(json.dumps(asdict(config), sort_keys=True).encode())
    for array in (data.skeleton, data.imu, data.labels, np.asarray(train_indices)):
        digest.update(np.ascontiguousarray(array).tobytes())
    if teachers is not None:
        for name, tensor in sorted(teachers.state_dict().items()):
            digest.update(name.encode())
            digest.update(tensor.detach().cpu().numpy().tobytes())
    digest.update(_code_fingerprint())
    return digest.hexdigest()[:20]


def _step_function(config, encoders, heads, skeleton, imu, labels, teachers, generator, device, amp, replicas):
    """The loss of one batch (global index tensor -> scalar) for ``config.method``.

    Each rank embeds its part of the batch (``replicas.shard``) inside ``replicas.forward``
    and gathers the outputs with their gradients, so the loss is that of the whole batch;
    with one process these are plain calls. Augmentations draw from one generator per
    sample, seeded from a per-step key of ``generator`` and the sample's row, so the
    batch's split over ranks does not change them."""
    augment = {"skeleton": skeleton_augmentation(config.augmentation), "imu": imu_augmentation(config.augmentation)}
    inputs = {"skeleton": skeleton, "imu": imu}

    def embed(views: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return {m: heads[m](encoders[m](x)) for m, x in views.items()}

    def augmented(m: str, part: torch.Tensor, key: int, stream: int) -> torch.Tensor:
        return augment[m](inputs[m][part], sample_generators(key, part, stream))

    def step_key() -> int:
        return int(torch.randint(2**62, (), generator=generator))

    if config.method == "supervised":
        active = _modalities(config.modality)

        def classify(part: torch.Tensor) -> torch.Tensor:
            features = {m: encoders[m](inputs[m][part]) for m in active}
            return _apply_head(heads["classifier"], features, config.modality)

        def supervised(idx):
            with _autocast(device, amp):
                logits = replicas.forward(classify, replicas.shard(idx))
            return F.cross_entropy(replicas.gather(logits).float(), labels[idx])

        return supervised

    if config.method.startswith("simclr"):
        m = config.modality

        def simclr(idx):
            part, key = replicas.shard(idx), step_key()
            views = torch.cat([augmented(m, part, key, 0), augmented(m, part, key, 1)])
            with _autocast(device, amp):
                z = replicas.forward(embed, {m: views})[m]  # both views in one pass: one BatchNorm batch, half the calls
            pairs = replicas.gather(torch.stack([z[: len(part)], z[len(part):]], dim=1))
            return _contrastive_loss(config, pairs[:, 0], pairs[:, 1], labels[idx])

        return simclr

    neighbours = None
    if config.method == "cmc-cmkm":
        # Teachers are frozen, so their features of the (un-augmented) training set are
        # computed once; each batch then mines its neighbours from a (B, B) similarity.
        frozen = nn.ModuleDict({m: teachers[m] for m in ("skeleton", "imu")}).to(device)
        neighbours = {m: F.normalize(f, dim=1) for m, f in extract_features(frozen, inputs).items()}

    def cmc(idx):
        part, key = replicas.shard(idx), step_key()
        views = {m: augmented(m, part, key, stream) for stream, m in enumerate(("skeleton", "imu"))}
        with _autocast(device, amp):
            z = replicas.forward(embed, views)
        pairs = replicas.gather(torch.stack([z["skeleton"], z["imu"]], dim=1))
        if neighbours is not None:
            return losses.cmkm_loss(
                pairs[:, 0], pairs[:, 1],
                _mined_neighbours(neighbours["skeleton"], idx), _mined_neighbours(neighbours["imu"], idx),
                temperature=config.temperature,
            )
        return _contrastive_loss(config, pairs[:, 0], pairs[:, 1], labels[idx])

    return cmc


# ----------------------------------------------------------------------------- features, heads


@torch.no_grad()
def extract_features(
    encoders: nn.ModuleDict,
    inputs: ArrayData | dict[str, torch.Tensor],
    indices: np.ndarray | None = None,
    *,
    batch_size: int = 256,
) -> dict[str, torch.Tensor]:
    """Features of frozen encoders, ``{"skeleton": (N, F_s), "imu": (N, F_i)}`` (float32).

    The encoders are put in eval mode (BatchNorm uses its running statistics and is not
    updated, dropout is off) and stay there. ``inputs`` is an ArrayData (rows ``indices``,
    default all) or a dict of input tensors ``{"skeleton": (N, D, T, J), "imu": (N, C, T)}``;
    only the modalities present in ``encoders`` are computed, on the encoders' device.

    Args:
        encoders: the frozen encoders, by modality.
        inputs: the data, as above.
        indices: ``(N,)`` rows of an ArrayData ``inputs`` (default: all); not used with a dict.
        batch_size: rows per forward pass (memory only; the features do not depend on it).
    """
    device = next(encoders.parameters()).device
    if isinstance(inputs, ArrayData):
        idx = np.arange(len(inputs)) if indices is None else indices
        skeleton, imu, _ = _tensors(inputs, idx, device)
        inputs = {"skeleton": skeleton, "imu": imu}
    encoders.eval()
    out = {}
    for m in encoders.keys():
        x = inputs[m]
        out[m] = torch.cat([encoders[m](x[i : i + batch_size].to(device)).float() for i in range(0, x.shape[0], batch_size)])
    return out


@torch.no_grad()
def embed(
    result: PretrainResult,
    data: ArrayData | dict[str, torch.Tensor],
    indices: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Projections ``z = g(h)`` of a contrastive run: encoder features through its projection heads.

    The space the contrastive loss acts on (before its L2 normalisation), e.g. to plot or to
    measure the embedding. The features come from :func:`extract_features` (encoders in eval
    mode); the heads are put in eval mode (BatchNorm uses its running statistics) and stay
    there, and each projection head runs once over all rows, without gradients and without
    augmentation.

    Args:
        result: a pre-training run with projection heads (any method but ``supervised`` and
            ``random-init``); SimCLR runs have one head, CMC runs one per modality.
        data: an ArrayData or a dict of input tensors, as ``inputs`` of :func:`extract_features`.
        indices: the rows of an ArrayData ``data`` to embed (default all); unused for a dict.

    Returns:
        ``{"skeleton": (N, E), "imu": (N, E)}`` float32 arrays on the CPU, ``N = len(indices)``
        and ``E`` the projection size (128), for the modalities that have a projection head.
    """
    modalities = [m for m in MODALITIES if m in result.heads]
    _check(bool(modalities), f"embed needs projection heads; the {result.config.method!r} run has {sorted(result.heads)}")
    features = extract_features(result.encoders, data, indices)
    result.heads.eval()
    return {m: result.heads[m](features[m]).cpu().numpy() for m in modalities}


def train_head(
    features: dict[str, torch.Tensor],
    labels: torch.Tensor,
    n_classes: int,
    config: FinetuneConfig,
    *,
    quiet: bool = False,
) -> tuple[nn.Module, list[dict]]:
    """Train a fresh fine-tuning head on cached features (no augmentation).

    Args:
        features: ``{"skeleton": (N, F_s), "imu": (N, F_i)}`` (only the modalities the head
            needs are read), all on one device.
        labels: ``(N,)`` int64 on the same device.
        n_classes: number of outputs of the head.
        config: ``modality`` picks the head: multimodal, an MLP (per-modality Linear-BN-ReLU,
            concatenated, Linear: :class:`~mmhar_lite.models.MultimodalClassifier`), or a
            unimodal linear classifier (:class:`~mmhar_lite.models.LinearClassifier`).
        quiet: no progress bar.

    Returns:
        The head (eval mode) and its per-epoch history (``epoch``, ``loss``, ``lr``, ``time_s``).
    """
    device = labels.device
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(config.seed)
        sizes = {m: features[m].shape[1] for m in _modalities(config.modality)}
        head = _head(config.modality, sizes, n_classes).to(device)
        generator = torch.Generator().manual_seed(config.seed)
        optimizer = torch.optim.Adam(head.parameters(), lr=config.lr)
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=config.factor, patience=config.patience)
        history: list[dict] = []

        def step_loss(idx):
            return F.cross_entropy(_apply_head(head, {m: features[m][idx] for m in sizes}, config.modality), labels[idx])

        head.train()
        _run_epochs(
            epochs=config.epochs, start_epoch=0, n=labels.shape[0], batch_size=config.batch_size,
            step_loss=step_loss, optimizer=optimizer, scheduler=scheduler, generator=generator,
            device=device, history=history, description=f"fine-tune {config.modality}", quiet=quiet,
        )
    head.eval()
    return head, history


@torch.no_grad()
def predict(head: nn.Module, features: dict[str, torch.Tensor], modality: str) -> np.ndarray:
    """Predicted labels ``(N,)`` of an eval-mode head on cached features.

    Args:
        head: a head from :func:`train_head` (put in eval mode here).
        features: ``{"skeleton": (N, F_s), "imu": (N, F_i)}`` from :func:`extract_features`.
        modality: the head's input: ``"multimodal"``, ``"skeleton"`` or ``"imu"``.
    """
    head.eval()
    return _apply_head(head, features, modality).argmax(dim=1).cpu().numpy()


def finetune(
    encoders: nn.ModuleDict,
    data: ArrayData,
    train_indices: np.ndarray,
    config: FinetuneConfig,
    *,
    test_indices: np.ndarray | None = None,
    quiet: bool = False,
) -> FinetuneResult:
    """Frozen-encoder evaluation (the paper's "linear evaluation", though only the unimodal head
    is linear): frozen encoders (eval mode), features cached once, head trained.

    The encoders' weights and BatchNorm buffers are not modified. With ``test_indices`` the
    result carries :func:`evaluate` metrics on those rows.

    Args:
        encoders: pre-trained encoders by modality (``PretrainResult.encoders``); frozen here.
        data: the prepared arrays.
        train_indices: ``(n,)`` the labelled rows of ``data`` the head is trained on.
        config: epochs, batch size, learning rate and the head's modality.
        test_indices: ``(n_test,)`` rows to evaluate on (default: no evaluation).
        quiet: no progress bar.

    Returns:
        The head, its per-epoch history and, with ``test_indices``, its metrics.
    """
    started = time.perf_counter()
    modalities = _modalities(config.modality)
    frozen = nn.ModuleDict({m: encoders[m] for m in modalities})
    train_features = extract_features(frozen, data, train_indices)
    labels = torch.as_tensor(data.labels[np.asarray(train_indices)], device=train_features[modalities[0]].device)
    head, history = train_head(train_features, labels, data.n_classes, config, quiet=quiet)
    metrics = None
    if test_indices is not None:
        test_features = extract_features(frozen, data, test_indices)
        metrics = evaluate(data.labels[np.asarray(test_indices)], predict(head, test_features, config.modality), data.n_classes)
    return FinetuneResult(config=config, head=head, history=history, metrics=metrics, seconds=time.perf_counter() - started)


# ----------------------------------------------------------------------------- checkpoints


def save_checkpoint(
    result: PretrainResult,
    path: str | Path,
    *,
    optimizer: torch.optim.Optimizer | None = None,
    scheduler=None,
    generator: torch.Generator | None = None,
    epoch: int | None = None,
    cache_key: str | None = None,
) -> None:
    """Save a run as plain tensors and Python scalars (loadable with ``weights_only=True``),
    atomically and with its content hash (:mod:`mmhar_lite.checkpoints`).

    With optimiser, scheduler and generator states (as :func:`pretrain` writes them) the run
    can be resumed exactly on the CPU.

    Args:
        result: the run to save.
        path: the file written.
        optimizer: its state is saved, with ``scheduler``'s and ``generator``'s (all three
            together, or none).
        scheduler (torch.optim.lr_scheduler.ReduceLROnPlateau | None): the learning-rate scheduler
            of ``optimizer``.
        generator: the ``torch.Generator`` that draws batches and augmentations.
        epoch: epochs done (default: the length of ``result.history``).
        cache_key: marks a file of the run cache with the :func:`run_key` it is stored under,
            checked when the cache reads it back.
    """
    state = {
        "config": asdict(result.config),
        "shapes": dict(result.shapes),
        "epoch": len(result.history) if epoch is None else epoch,
        "history": list(result.history),
        "seconds": result.seconds,
        "encoders": result.encoders.state_dict(),
        "heads": result.heads.state_dict(),
    }
    if optimizer is not None:
        state["optimizer"] = optimizer.state_dict()
        state["scheduler"] = scheduler.state_dict()
        state["rng"] = {"torch": torch.get_rng_state(), "generator": generator.get_state()}
    if cache_key is not None:
        state["cache_key"] = cache_key
    checkpoints.write_state(state, path)


def _load(path: Path, device: torch.device) -> tuple[PretrainResult, dict]:
    """The run saved at ``path`` (encoders in eval mode) and its checked state."""
    state = checkpoints.read_state(path, device)
    config = checkpoints.build_config(PretrainConfig, state, path)
    shapes = checkpoints.check_shapes(state, path)
    try:
        encoders, heads = _build(config, shapes, device)
    except Exception as error:  # shapes no encoder can be built for (too short, ...)
        raise checkpoints.CheckpointError(
            f"checkpoint {path}: cannot build the encoders its config and shapes describe ({type(error).__name__}: "
            f"{str(error).splitlines()[0] if str(error) else 'no detail'})") from None
    checkpoints.load_weights(encoders, state["encoders"], path, "encoders")
    checkpoints.load_weights(heads, state["heads"], path, "heads")
    encoders.eval()
    heads.eval()
    result = PretrainResult(config=config, encoders=encoders, heads=heads, shapes=shapes,
                            history=list(state["history"]), seconds=float(state["seconds"]))
    return result, state


def load_checkpoint(path: str | Path, *, device: str | torch.device = "auto") -> PretrainResult:
    """Rebuild a :class:`PretrainResult` (encoders in eval mode) from :func:`save_checkpoint`.

    Raises :class:`mmhar_lite.checkpoints.CheckpointError` (a ValueError), in one line, for a
    file that cannot be used (see :func:`mmhar_lite.checkpoints.read_state`) or whose weights
    do not fit the architecture its own config and shapes describe.

    Args:
        path: a file written by :func:`save_checkpoint`.
        device: where the encoders and heads are put (``"auto"``: CUDA when available).
    """
    return _load(Path(path), resolve_device(device))[0]


def _load_cached(path: Path, key: str, config: PretrainConfig, device: torch.device) -> PretrainResult | None:
    """The cached run at ``path`` when it passes every check and is this run (its stored key and
    config match); otherwise a :class:`RunCacheWarning` saying why, and None (retrain)."""
    try:
        result, state = _load(path, device)
        if state.get("cache_key") != key:
            raise checkpoints.CheckpointError(
                f"checkpoint {path}: stored under key {key} but records key {state.get('cache_key')}; expected "
                "the file of this run")
        if asdict(result.config) != asdict(config):
            raise checkpoints.CheckpointError(f"checkpoint {path}: records another configuration than run {key}'s")
    except checkpoints.CheckpointError as error:
        warnings.warn(f"run cache: {error}; training the run again", checkpoints.RunCacheWarning, stacklevel=3)
        return None
    return result


def _restore(path: Path, result: PretrainResult, optimizer, scheduler, generator, device) -> int:
    """Load a checkpoint into a freshly built run; returns the epoch to continue from."""
    state = checkpoints.read_state(path, device)
    saved = checkpoints.build_config(PretrainConfig, state, path)
    _check(
        {k: v for k, v in asdict(saved).items() if k != "epochs"} == {k: v for k, v in asdict(result.config).items() if k != "epochs"},
        f"checkpoint {path} was written with a different configuration; only epochs may change on resume",
    )
    _check("optimizer" in state, f"checkpoint {path} has no optimiser state to resume from")
    checkpoints.load_weights(result.encoders, state["encoders"], path, "encoders")
    checkpoints.load_weights(result.heads, state["heads"], path, "heads")
    try:
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        torch.set_rng_state(state["rng"]["torch"].cpu())
        generator.set_state(state["rng"]["generator"].cpu())
    except Exception as error:  # states of another optimiser / torch version
        raise checkpoints.CheckpointError(
            f"checkpoint {path}: optimiser, scheduler or random state cannot be restored ({type(error).__name__}: "
            f"{str(error).splitlines()[0] if str(error) else 'no detail'}); expected a checkpoint of `mmhar pretrain`") from None
    result.history[:] = state["history"]
    result.seconds = float(state["seconds"])
    return int(state["epoch"])


# ----------------------------------------------------------------------------- metrics


def confusion_matrix(y_true: Sequence[int], y_pred: Sequence[int], n_classes: int) -> np.ndarray:
    """``(K, K)`` int64 counts; rows are true classes, columns predicted classes.

    Args:
        y_true: ``(N,)`` true class indices.
        y_pred: ``(N,)`` predicted class indices.
        n_classes: ``K``; every label lies in ``[0, K)``.
    """
    t, p = np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)
    _check(t.shape == p.shape and t.ndim == 1, f"y_true and y_pred must be 1-D of equal length, got {t.shape} and {p.shape}")
    _check(t.size == 0 or (min(t.min(), p.min()) >= 0 and max(t.max(), p.max()) < n_classes),
           f"labels must lie in [0, {n_classes})")
    return np.bincount(t * n_classes + p, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def most_confused(cm: np.ndarray, *, both_directions: bool = False) -> tuple[int, int, int]:
    """The off-diagonal cell of a ``(K, K)`` confusion matrix with the most samples:
    ``(true class, predicted class, count)``. With ``both_directions`` the count of a pair is
    ``cm[i, j] + cm[j, i]`` (samples of either class taken for the other), and ``i < j``.

    Args:
        cm: ``(K, K)`` counts from :func:`confusion_matrix`.
        both_directions: count a pair of classes in both directions, as above.
    """
    counts = np.asarray(cm)
    _check(counts.ndim == 2 and counts.shape[0] == counts.shape[1] and counts.shape[0] > 1,
           f"most_confused needs a (K, K) confusion matrix with K > 1, got shape {counts.shape}")
    off = counts + counts.T if both_directions else counts.copy()
    np.fill_diagonal(off, 0)
    i, j = np.unravel_index(off.argmax(), off.shape)
    if both_directions:
        i, j = min(i, j), max(i, j)
    return int(i), int(j), int(off[i, j])


def accuracy(y_true: Sequence[int], y_pred: Sequence[int]) -> float:
    """Fraction of correct predictions, in [0, 1].

    Args:
        y_true: ``(N,)`` true class indices.
        y_pred: ``(N,)`` predicted class indices.
    """
    t, p = np.asarray(y_true), np.asarray(y_pred)
    _check(t.shape == p.shape and t.size > 0, "accuracy needs two non-empty label arrays of equal shape")
    return float((t == p).mean())


def macro_f1(y_true: Sequence[int], y_pred: Sequence[int], n_classes: int) -> float:
    """Unweighted mean of per-class F1 over the classes that occur in ``y_true`` or ``y_pred``
    (the convention of scikit-learn's ``f1_score(average="macro")``); a class with no true
    positive scores 0.

    Args:
        y_true: ``(N,)`` true class indices.
        y_pred: ``(N,)`` predicted class indices.
        n_classes: ``K``; every label lies in ``[0, K)``.
    """
    cm = confusion_matrix(y_true, y_pred, n_classes)
    tp = np.diag(cm).astype(np.float64)
    support, predicted = cm.sum(axis=1), cm.sum(axis=0)
    present = (support + predicted) > 0
    f1 = np.divide(2 * tp, support + predicted, out=np.zeros_like(tp), where=present)
    return float(f1[present].mean()) if present.any() else 0.0


def evaluate(y_true: Sequence[int], y_pred: Sequence[int], n_classes: int) -> dict:
    """``{"accuracy", "macro_f1", "confusion_matrix" (list of lists)}`` of predictions.

    Args:
        y_true: ``(N,)`` true class indices.
        y_pred: ``(N,)`` predicted class indices.
        n_classes: ``K``; every label lies in ``[0, K)``.
    """
    return {
        "accuracy": accuracy(y_true, y_pred),
        "macro_f1": macro_f1(y_true, y_pred, n_classes),
        "confusion_matrix": confusion_matrix(y_true, y_pred, n_classes).tolist(),
    }


def write_history(path: str | Path, histories: dict[str, list[dict]]) -> None:
    """Write ``{"pretrain": [...], "finetune": [...]}``-style per-epoch histories as JSON.

    Args:
        path: the file written (atomically).
        histories: name -> per-epoch records (and any other JSON value, such as the config).
    """
    files.write_text(path, json.dumps(histories, indent=1))
