r"""Measures to watch while contrastive pre-training runs, on rows it does not train on.

The loss values of different estimators (InfoNCE, debiased, hard-negative at any beta or
tau_plus) are not comparable with each other; these measures are, because they look only at
the embeddings:

- **cross-modal retrieval** (top-1 / top-5): for each IMU embedding, is the skeleton
  embedding of the same recording the nearest of all skeleton embeddings (cosine), or among
  the 5 nearest; and the other way round. Chance is ``k / N``.
- **alignment** and **uniformity** :cite:p:`wang2020understanding` of the L2-normalised
  embeddings: :math:`\mathrm{align} = \mathbb{E}\,\lVert f(x) - f(y) \rVert^2` over positive
  pairs (0 = every pair coincides, 4 = antipodal) and
  :math:`\mathrm{uniform} = \log \mathbb{E}\, e^{-2 \lVert f(x) - f(y) \rVert^2}` over pairs
  of different rows (0 = collapsed to one point, -8 the bound for antipodal pairs; about
  -4 for many points spread evenly over a high-dimensional sphere). Lower is better for both.

:func:`holdout_split` cuts the fixed slice of a training pool that is watched;
:func:`cross_modal_monitor` computes the measures of a run's current weights (eval mode, no
augmentation, no random numbers drawn, so watching a run does not change it);
:func:`postfix` and :func:`write_scalars` hand one epoch's record to the progress bar and to
a TensorBoard-style writer (anything with ``add_scalar(tag, value, step)``);
:func:`tensorboard_writer` makes the real one when the optional ``tensorboard`` package is
installed.

Shapes: N rows, E embedding size.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Mapping, Protocol

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "RETRIEVAL_KEYS",
    "EMBEDDING_KEYS",
    "holdout_split",
    "retrieval_accuracy",
    "alignment",
    "uniformity",
    "embedding_metrics",
    "cross_modal_monitor",
    "weight_concentration",
    "postfix",
    "ScalarWriter",
    "write_scalars",
    "tensorboard_writer",
]

#: History keys of the retrieval accuracies (fractions in [0, 1]).
RETRIEVAL_KEYS = ("imu_to_skeleton_top1", "imu_to_skeleton_top5", "skeleton_to_imu_top1", "skeleton_to_imu_top5")
#: Every key :func:`embedding_metrics` returns (and a monitored run adds to each history record).
EMBEDDING_KEYS = RETRIEVAL_KEYS + ("alignment", "uniformity")
# Progress-bar names: short, so the bar fits a terminal line.
_SHORT = {"imu_to_skeleton_top1": "i2s@1", "skeleton_to_imu_top1": "s2i@1", "alignment": "align", "uniformity": "unif"}


def holdout_split(indices: np.ndarray, fraction: float = 0.1, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Split a training pool into ``(fit, watch)``: a fixed, seeded ``fraction`` of the rows
    (at least 2) is held out of training to be watched, the rest is trained on.

    Both parts are sorted; the same ``indices``, ``fraction`` and ``seed`` give the same split
    (use one seed for every run, so that runs of several seeds watch the same rows).

    Args:
        indices: the training pool's rows.
        fraction: the share of them held out to be watched.
        seed: the seed of the held-out choice.
    """
    pool = np.asarray(indices, dtype=np.int64)
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"holdout fraction must be in (0, 1), got {fraction}")
    n_watch = max(2, int(round(fraction * pool.size)))
    if pool.size - n_watch < 2:
        raise ValueError(f"holdout of {fraction} leaves {pool.size - n_watch} of {pool.size} rows to train on; need >= 2")
    chosen = np.random.default_rng(seed).permutation(pool.size)[:n_watch]
    watch = np.zeros(pool.size, dtype=bool)
    watch[chosen] = True
    return np.sort(pool[~watch]), np.sort(pool[watch])


def _pairs(a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    if a.ndim != 2 or a.shape != b.shape or a.shape[0] < 2:
        raise ValueError(f"embeddings must be two (N >= 2, E) tensors of one shape, got {tuple(a.shape)} and {tuple(b.shape)}")
    return F.normalize(a.double(), dim=1), F.normalize(b.double(), dim=1)


def retrieval_accuracy(queries: torch.Tensor, keys: torch.Tensor, ks: tuple[int, ...] = (1, 5)) -> dict[int, float]:
    """Fraction of queries whose own key (same row) is among the ``k`` most similar keys.

    Args:
        queries, keys: ``(N, E)``; row ``i`` of ``keys`` is the match of query ``i``.
        ks: the ``k`` values (each capped at ``N``).

    Returns:
        ``{k: accuracy}``. The rank of the match counts every other key at least as similar
        (ties go against the match), so a collapsed embedding scores 0, not 1.
    """
    q, k = _pairs(queries, keys)
    similarity = q @ k.T  # (N, N) cosine
    own = similarity.diagonal()
    rank = (similarity >= own[:, None]).sum(dim=1) - 1  # other keys at least as close as the match
    return {top: float((rank < top).double().mean()) for top in ks}


def alignment(a: torch.Tensor, b: torch.Tensor) -> float:
    """Mean squared distance of positive pairs ``(a_i, b_i)`` after L2 normalisation, in [0, 4].

    Args:
        a, b: embeddings ``(N, E)``; ``a[i]``, ``b[i]`` are a positive pair.
    """
    x, y = _pairs(a, b)
    return float((x - y).pow(2).sum(dim=1).mean())


def uniformity(x: torch.Tensor, t: float = 2.0) -> float:
    """``log`` of the mean Gaussian potential ``exp(-t ||x_i - x_j||^2)`` over pairs ``i < j``
    of L2-normalised rows ``x`` ``(N, E)``: in ``[-4 t, 0]``, 0 only when all rows coincide.

    Args:
        x: embeddings ``(N, E)``.
        t: the potential's scale (2 in :cite:p:`wang2020understanding`).
    """
    z, _ = _pairs(x, x)
    distances = torch.pdist(z).pow(2)
    return float(torch.logsumexp(-t * distances, dim=0) - np.log(distances.numel()))


def embedding_metrics(skeleton: torch.Tensor, imu: torch.Tensor) -> dict[str, float]:
    """Retrieval both ways (top-1, top-5), alignment of the pairs and uniformity (the mean of
    the two modalities') of paired embeddings ``(N, E)``; keys :data:`EMBEDDING_KEYS`.

    Args:
        skeleton: skeleton embeddings ``(N, E)``.
        imu: IMU embeddings ``(N, E)``; row ``i`` of both is one recording.
    """
    i2s, s2i = retrieval_accuracy(imu, skeleton), retrieval_accuracy(skeleton, imu)
    return {
        "imu_to_skeleton_top1": i2s[1], "imu_to_skeleton_top5": i2s[5],
        "skeleton_to_imu_top1": s2i[1], "skeleton_to_imu_top5": s2i[5],
        "alignment": alignment(skeleton, imu),
        "uniformity": 0.5 * (uniformity(skeleton) + uniformity(imu)),
    }


def cross_modal_monitor(
    encoders: nn.ModuleDict, heads: nn.ModuleDict, skeleton: torch.Tensor, imu: torch.Tensor, *, batch_size: int = 256,
) -> Callable[[], dict[str, float]]:
    """A function computing :func:`embedding_metrics` of the projections ``heads[m](encoders[m](x))``
    of fixed rows (skeleton ``(N, D, T, J)``, imu ``(N, C, T)``, on the modules' device).

    Each call runs the modules in eval mode (BatchNorm running statistics, no dropout), without
    gradients and augmentation, then puts them back in the mode they were in; it draws no
    random numbers, so a monitored run trains exactly as an unmonitored one.

    Args:
        encoders: the run's encoders, by modality.
        heads: its projection heads, by modality.
        skeleton: the watched rows' skeletons ``(N, D, T, J)``.
        imu: their IMU windows ``(N, C, T)``.
        batch_size: rows per forward pass (memory only).
    """
    modules = nn.ModuleList([encoders["skeleton"], encoders["imu"], heads["skeleton"], heads["imu"]])
    inputs = {"skeleton": skeleton, "imu": imu}

    @torch.no_grad()
    def measure() -> dict[str, float]:
        modes = [m.training for m in modules.modules()]
        modules.eval()
        try:
            z = {m: torch.cat([heads[m](encoders[m](x[i : i + batch_size])).float() for i in range(0, x.shape[0], batch_size)])
                 for m, x in inputs.items()}
        finally:
            for module, mode in zip(modules.modules(), modes):
                module.training = mode
        return embedding_metrics(z["skeleton"], z["imu"])

    return measure


def weight_concentration(q: np.ndarray, same_class: np.ndarray, *, top: int = 5) -> dict[str, float]:
    """How concentrated hard-negative weights are, averaged over anchors.

    Args:
        q: ``(A, M)`` weights of each anchor's ``M`` negatives (rows sum to 1), e.g. from
            :func:`mmhar_lite.losses.hard_negative_weights`.
        same_class: ``(A, M)`` bool, negative of the anchor's own class (a false negative).
        top: how many of the heaviest negatives ``top_share`` counts.

    Returns:
        A dict of three means over the anchors. ``effective_negatives`` is the mean of
        ``1 / sum q^2`` (``M`` for uniform weights, 1 when one negative takes all), ``top_share``
        the mean mass on the ``top`` heaviest negatives (``top / M`` for uniform weights) and
        ``same_class_share`` the mean mass on same-class negatives.
    """
    w = np.asarray(q, dtype=np.float64)
    same = np.asarray(same_class, dtype=bool)
    if w.ndim != 2 or same.shape != w.shape or w.shape[1] < 1:
        raise ValueError(f"q and same_class must be (A, M) arrays of one shape, got {w.shape} and {same.shape}")
    if np.any(w < 0) or not np.allclose(w.sum(axis=1), 1.0):
        raise ValueError("q: expected non-negative rows that sum to 1")
    heaviest = -np.sort(-w, axis=1)[:, :top]
    return {
        "effective_negatives": float((1.0 / (w ** 2).sum(axis=1)).mean()),
        "top_share": float(heaviest.sum(axis=1).mean()),
        "same_class_share": float((w * same).sum(axis=1).mean()),
    }


def postfix(record: Mapping[str, float]) -> dict[str, str]:
    """The progress-bar postfix of one epoch's record: loss, lr and, when watched, top-1
    retrieval both ways, alignment and uniformity.

    Args:
        record: one epoch's record of ``PretrainResult.history``.
    """
    out = {"loss": f"{record['loss']:.4f}", "lr": f"{record['lr']:.1e}"}
    out.update({short: f"{record[key]:.3g}" for key, short in _SHORT.items() if key in record})
    return out


class ScalarWriter(Protocol):
    """What :func:`write_scalars` needs of a writer (``torch.utils.tensorboard.SummaryWriter`` has it)."""

    def add_scalar(self, tag: str, scalar_value: float, global_step: int) -> None: ...


def write_scalars(writer: ScalarWriter, record: Mapping[str, float], *, prefix: str = "pretrain") -> None:
    """Every number of one epoch's history record but ``epoch`` as ``prefix/key`` at step ``epoch``.

    Args:
        writer: anything with ``add_scalar(tag, value, step)``.
        record: one epoch's record of ``PretrainResult.history``.
        prefix: the tags' prefix.
    """
    step = int(record["epoch"])
    for key, value in record.items():
        if key != "epoch" and isinstance(value, (int, float)):
            writer.add_scalar(f"{prefix}/{key}", float(value), step)
    if hasattr(writer, "flush"):
        writer.flush()  # so that a TensorBoard watching the folder sees each epoch as it ends


def tensorboard_writer(log_dir: str | Path) -> ScalarWriter:
    """A ``SummaryWriter`` writing event files to ``log_dir``; ValueError (one line) when the
    optional ``tensorboard`` package is not installed.

    Args:
        log_dir: the folder of the event files.
    """
    try:
        from torch.utils.tensorboard import SummaryWriter  # noqa: PLC0415 (optional extra)
    except ImportError:
        raise ValueError(f"--tensorboard {log_dir}: the optional 'tensorboard' package is not installed "
                         "(pip install tensorboard)") from None
    return SummaryWriter(log_dir=str(log_dir))
