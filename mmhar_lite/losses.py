r"""Contrastive objectives: InfoNCE, debiased InfoNCE and the hard-negative loss.

Every function takes two batches of embeddings ``a`` and ``b`` of shape ``(B, E)``; row ``k`` of
``a`` and row ``k`` of ``b`` form the positive pair. Rows are L2-normalised inside, so the
similarity of two rows is their cosine, and the logit of a pair of rows :math:`u, v` is
:math:`s = \cos(u, v) / t`, :math:`t` the temperature.

Which negatives an anchor sees:

* ``negatives="cross"`` (CMC, the paper's multimodal setting): anchor ``a_k`` is contrasted
  with the ``B - 1`` rows ``b_j, j != k`` and anchor ``b_k`` with the ``B - 1`` rows
  ``a_j, j != k``; the loss averages both directions (``2B`` anchors).
* ``negatives="all"`` (SimCLR / NT-Xent, one modality, two views): each of the ``2B`` rows of
  ``cat(a, b)`` is contrasted with the ``2B - 2`` rows that are neither itself nor its positive.
* ``labels`` (hard-negative loss only) turns on the oracle variant: candidates that share the
  anchor's label are dropped, so the number of negatives ``M`` varies per anchor.

The hard-negative estimator follows the reference implementation of the hard-negative paper
:cite:p:`robinson2021hard`, which the paper :cite:p:`choi2023multimodal` prints, in its Eq. 3,
with typos (see
:func:`hard_negative_info_nce`). Everything is computed in log space with a per-row shift, in
float32 (or float64 when given float64), so it stays finite for any cosine in ``[-1, 1]``,
temperatures down to 0.01, large ``beta`` and under bf16/fp16 autocast.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.autograd.function import once_differentiable

__all__ = [
    "info_nce",
    "debiased_info_nce",
    "hard_negative_info_nce",
    "hard_negative_weights",
    "cmkm_loss",
    "InfoNCELoss",
    "DebiasedInfoNCELoss",
    "HardNegativeLoss",
]

NEGATIVE_SETS = ("cross", "all")

# Up to _WHOLE_ELEMENTS logits (B = 256 for "cross", B = 128 for "all") the hard-negative loss
# keeps the (N, N) logit matrix whole, stacked with its transpose for "cross", and reuses its
# exponentials for the gradient: at such sizes the time goes into the number of operations, not
# their size. Larger matrices are processed in blocks of rows of about _BLOCK_ELEMENTS float32
# values (1 MiB), which stay in cache across the dozen element-wise passes applied to them and
# hold no (N, N) temporaries; their exponentials are recomputed for the gradient. (Keeping a
# stacked matrix whole was measured slower than blocks from B = 1024 on, and uses more memory.)
_BLOCK_ELEMENTS = 1 << 18
_WHOLE_ELEMENTS = 1 << 16
_LOG2_E = 1.0 / math.log(2.0)
# F.normalize divides by max(|x|, eps) with this eps
_NORM_EPS = 1e-12


# --------------------------------------------------------------------------------------------
# argument checks (shared by the functions and the nn.Module wrappers)


def _check_temperature(temperature: float) -> float:
    value = float(temperature)
    if not (math.isfinite(value) and value > 0.0):
        raise ValueError(f"temperature must be a finite number > 0, got {temperature!r}")
    return value


def _check_tau_plus(tau_plus: float) -> float:
    value = float(tau_plus)
    if not (math.isfinite(value) and 0.0 <= value < 1.0):
        raise ValueError(f"tau_plus (class prior) must lie in [0, 1), got {tau_plus!r}")
    return value


def _check_beta(beta: float) -> float:
    value = float(beta)
    if not (math.isfinite(value) and value >= 0.0):
        raise ValueError(f"beta (concentration) must be a finite number >= 0, got {beta!r}")
    return value


def _check_negatives(negatives: str) -> str:
    if negatives not in NEGATIVE_SETS:
        raise ValueError(f"negatives must be one of {NEGATIVE_SETS}, got {negatives!r}")
    return negatives


def _check_embeddings(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    """Validate a pair of ``(B, E)`` batches and return them as float32/float64 tensors."""
    for name, x in (("a", a), ("b", b)):
        if not isinstance(x, Tensor):
            raise ValueError(f"{name} must be a torch.Tensor of shape (B, D), got {type(x).__name__}")
        if x.ndim != 2:
            raise ValueError(f"{name} must have shape (B, D), got shape {tuple(x.shape)}")
        if not x.is_floating_point():
            raise ValueError(f"{name} must be a floating-point tensor, got dtype {x.dtype}")
    if a.shape != b.shape:
        raise ValueError(
            f"a and b must have the same shape (B, D), got a {tuple(a.shape)} and b {tuple(b.shape)}"
        )
    if a.shape[0] < 2:
        raise ValueError(f"a and b need a batch size B >= 2 to have any negative, got B={a.shape[0]}")
    # Half-precision logits overflow once (1 + beta) / temperature passes ~11: always reduce in
    # float32, or in float64 if either input is float64 (the exactness tests use it).
    dtype = torch.float64 if torch.float64 in (a.dtype, b.dtype) else torch.float32
    a, b = a.to(dtype), b.to(dtype)
    for name, x in (("a", a), ("b", b)):
        if not bool(torch.isfinite(x).all()):
            raise ValueError(f"{name} contains NaN or inf values")
    return a, b


def _check_labels(labels: Tensor | None, batch: int) -> Tensor | None:
    if labels is None:
        return None
    if not isinstance(labels, Tensor) or labels.shape != (batch,):
        shape = tuple(labels.shape) if isinstance(labels, Tensor) else type(labels).__name__
        raise ValueError(f"labels must be a tensor of shape (B,) = ({batch},), got {shape}")
    if labels.is_floating_point() or labels.is_complex():
        raise ValueError(f"labels must be an integer tensor, got dtype {labels.dtype}")
    return labels


# --------------------------------------------------------------------------------------------
# shared pieces: which pairs are positives / negatives


def _arrange(z: Tensor, negatives: str) -> tuple[Tensor, Tensor, bool]:
    """Arrange unit rows ``z = cat(za, zb)`` ``(2B, E)`` as anchors against candidates.

    Returns ``(anchors, candidates, two_sided)``; the logit matrix is
    ``anchors @ candidates.T / t``, ``(N, N)``. ``"cross"``: ``za`` against ``zb`` (``N = B``),
    and ``two_sided`` because its columns are the anchors of the ``b -> a`` direction, so both
    row and column reductions are needed. ``"all"``: ``z`` against itself (``N = 2B``), rows
    only. Either way the ``2B`` anchors (rows, then columns for ``"cross"``) are in the order of
    ``z``, and anchors ``k`` and ``k + B`` have the positive logit ``cos(za[k], zb[k]) / t``.
    """
    if negatives == "cross":
        batch = z.shape[0] // 2
        return z[:batch], z[batch:], True
    return z, z, False


def _exclusions(batch: int, negatives: str, labels: Tensor | None) -> tuple[Tensor | None, tuple[int, ...]]:
    """Which entries of the ``(N, N)`` logit matrix are not negatives: ``(groups, offsets)``.

    With ``labels``, ``groups`` ``(N,)`` holds them (for rows and columns alike) and a
    candidate is a negative iff its group differs from the anchor's. Without, ``groups`` is
    ``None`` and only row ``i``'s columns ``i + offset`` are excluded: its positive for
    ``"cross"``; itself and its positive ``i +- B`` for ``"all"``.
    """
    if negatives == "cross":
        return labels, (0,)
    return (None if labels is None else torch.cat([labels, labels])), (0, batch, -batch)


def _negative_counts(groups: Tensor) -> Tensor:
    """``M`` per anchor ``(N,)``: the number of candidates outside the anchor's group."""
    _, inverse, counts = torch.unique(groups, return_inverse=True, return_counts=True)
    return groups.numel() - counts[inverse]


def _masked_logits(
    anchors: Tensor, candidates: Tensor, temperature: float, rows: slice, groups: Tensor | None,
    offsets: tuple[int, ...], positive_offset: int = 0,
) -> tuple[Tensor, Tensor]:
    """Logits ``(rows, N)`` of unit anchor rows ``rows`` against all unit candidates, ``-inf``
    where not a negative, and, taken before masking, the positive logits
    ``(k, k + positive_offset)`` of the rows that have one (``k < B``)."""
    # dividing the (rows, N) product, not the anchors, keeps no scaled (N, E) copy around
    logits = (anchors[rows] @ candidates.T).mul_(1.0 / temperature)
    positives = logits.diagonal(rows.start + positive_offset).clone()
    if groups is not None:
        return logits.masked_fill_(groups[rows, None] == groups[None, :], -math.inf), positives
    for offset in offsets:  # out-of-range diagonals are empty
        logits.diagonal(rows.start + offset).fill_(-math.inf)
    return logits, positives


# --------------------------------------------------------------------------------------------
# the hard-negative estimator: log-mass of the re-weighted negatives and its exact gradient
#
# Per anchor, with negative logits s_k and w_k = exp(beta s_k),
#   log R = log M + lse((1 + beta) s) - lse(beta s)          (log R = lse(s) when beta = 0)
#   d log R / d s_k = (1 + beta) softmax((1 + beta) s)_k - beta softmax(beta s)_k.
# Both need exp((1 + beta)(s - shift)) and exp(beta (s - shift)) with a per-anchor shift. The
# functions below compute them once per entry of the logit matrix and, when the matrix is kept
# whole, reuse them for the gradient.


class _Sums(NamedTuple):
    """Shifted exponential sums along one direction of a block of logits.

    ``x = sum_k exp((1 + beta)(s_k - shift))`` and ``y = sum_k exp(beta (s_k - shift))``
    (``None`` when ``beta = 0``), flat ``(r,)`` for rows or ``(N,)`` for columns; ``shift`` keeps
    its broadcasting shape ``(r, 1)`` or ``(1, N)``. With the maximum as shift, both sums lie in
    ``[1, M]`` (the largest term is ``exp(0)``).
    """

    shift: Tensor
    x: Tensor
    y: Tensor | None


def _exp_terms(
    logits: Tensor, shift: Tensor, beta: float, dim: int, overwrite: bool = False
) -> tuple[Tensor, Tensor | None, _Sums]:
    """``exp((1+beta) z)``, ``exp(beta z)`` of ``z = logits - shift`` and their sums along ``dim``
    (``overwrite``: ``logits`` is not needed afterwards and holds ``exp(beta z)``)."""
    shifted = logits.sub_(shift) if overwrite else logits - shift
    # exp(u) as exp2(u log2(e)): the same rounding of one product, and torch's exp2 kernel is
    # several times faster than its exp on CPU
    e1 = (shifted * ((1.0 + beta) * _LOG2_E)).exp2_()
    e2 = shifted.mul_(beta * _LOG2_E).exp2_() if beta > 0.0 else None
    return e1, e2, _Sums(shift, e1.sum(dim=dim), None if e2 is None else e2.sum(dim=dim))


def _merge_columns(running: _Sums | None, logits: Tensor, beta: float) -> tuple[Tensor, Tensor | None, _Sums]:
    """Column terms of a block of rows, with sums merged online into earlier blocks' (as in flash attention)."""
    block_max = logits.amax(dim=0, keepdim=True)
    if running is None:
        # A column whose entries in this block are all masked has max -inf; the smallest finite
        # shift keeps -inf - shift = -inf (exp 0) instead of NaN.
        return _exp_terms(logits, block_max.clamp_min_(torch.finfo(logits.dtype).min), beta, 0)
    shift = torch.maximum(running.shift, block_max)
    e1, e2, block = _exp_terms(logits, shift, beta, 0)
    delta = (running.shift - shift).view(-1)
    x = block.x.addcmul_(running.x, torch.exp((1.0 + beta) * delta))
    y = None if e2 is None else block.y.addcmul_(running.y, torch.exp(beta * delta))
    return e1, e2, _Sums(shift, x, y)


def _accumulate(grad: Tensor | None, terms: tuple[Tensor, Tensor | None], coefficients: list[Tensor | None]) -> Tensor:
    """``grad + c1 e1 + c2 e2`` for ``terms = (e1, e2)`` (in place; in ``e1`` when ``grad`` is ``None``)."""
    for term, coefficient in zip(terms, coefficients):
        if term is not None:
            grad = term.mul_(coefficient) if grad is None else grad.addcmul_(term, coefficient)
    return grad


class _Counts(NamedTuple):
    """Per-anchor constants: ``M / (1 - tau_plus)``, ``log M - 1/t``, ``log(|c| / (1 - tau_plus))`` and ``c > 0``.

    Here ``c = tau_plus (M + 1) - 1``. Python numbers when every anchor has the same ``M`` (no
    labels), else tensors that broadcast against the ``(2, B)`` anchor layout.
    """

    m_scaled: float | Tensor
    log_floor: float | Tensor
    log_c_scaled: float | Tensor
    c_positive: bool | Tensor


def _counts(m: int | Tensor, temperature: float, tau_plus: float) -> _Counts:
    c = tau_plus * (m + 1) - 1
    log_kappa = math.log1p(-tau_plus)
    if isinstance(m, Tensor):
        return _Counts(m / (1.0 - tau_plus), torch.log(m) - 1.0 / temperature, torch.log(c.abs()) - log_kappa, c > 0)
    log_c = math.log(abs(c)) if c != 0 else -math.inf
    return _Counts(m / (1.0 - tau_plus), math.log(m) - 1.0 / temperature, log_c - log_kappa, c > 0)


def _softplus(x: Tensor) -> Tensor:
    """``log(1 + exp(x))`` without ``F.softplus``'s cut-off: past ``x = 20`` that returns ``x``
    itself, dropping up to ``exp(-20)`` from every anchor's loss (measurable in float64)."""
    return torch.logaddexp(x, x.new_zeros(()))


def _log1m_signed(ratio: Tensor, positive: bool | Tensor) -> Tensor:
    """``log(1 - sign exp(ratio))``: ``log(-expm1(ratio))`` where ``positive``, else ``softplus(ratio)``.

    NaN where ``positive`` and ``ratio >= 0`` (an anchor on the clamp's floor, see :func:`_anchor_losses`).
    """
    if isinstance(positive, bool):
        return torch.log(-torch.expm1(ratio)) if positive else _softplus(ratio)
    return torch.where(positive, torch.log(-torch.expm1(ratio)), _softplus(ratio))


def _anchor_losses(log_r_scaled: Tensor, pos: Tensor, counts: _Counts) -> tuple[Tensor, Tensor, Tensor]:
    """Per-anchor loss, ``d loss / d log R`` and ``-d loss / d s+`` (all ``(2, B)``).

    Inputs: ``log(R / (1 - tau_plus))`` ``(2, B)`` and the positive logits ``s+`` ``(B,)``.
    ``loss = log(pos + Ng) - s+`` with ``Ng = max((R - tau_plus M pos) / (1 - tau_plus), M exp(-1/t))``.
    Off the floor, ``pos + Ng = (R - c pos) / (1 - tau_plus)``: one subtraction instead of two
    keeps it accurate however close ``R`` comes to ``tau_plus M pos``. With ``q = c pos / R``
    that is ``log(R / (1 - tau_plus)) + log(1 - q) - s+``, whose derivatives w.r.t. ``log R``
    and ``s+`` are ``+-1 / (1 - q)``. On the floor the loss is ``softplus(log M - 1/t - s+)``.
    As ``log`` is increasing, the clamp is the larger of the two (``fmax`` also drops the NaN
    of ``R - c pos <= 0``, which only happens on the floor).
    """
    gap = log_r_scaled - pos
    log_one_minus_q = _log1m_signed(counts.log_c_scaled - gap, counts.c_positive)
    free = gap.add_(log_one_minus_q)
    to_floor = counts.log_floor - pos
    floored = _softplus(to_floor)
    off_floor = free >= floored
    grad_log_r = torch.where(off_floor, torch.exp(-log_one_minus_q), 0.0)
    # on the floor, -d loss / d s+ = sigmoid(log M - 1/t - s+)
    return torch.fmax(free, floored), grad_log_r, torch.where(off_floor, grad_log_r, torch.sigmoid(to_floor))


def _add_positive(grad_logits: Tensor, grad_pos: Tensor, start: int, offset: int) -> None:
    """Add ``grad_pos`` ``(B,)`` at entries ``(k, k + offset)`` of the rows ``start, start + 1, ...``
    that ``grad_logits`` ``(r, N)`` holds (in place; rows past ``B`` have no such entry)."""
    diagonal = grad_logits.diagonal(start + offset)
    diagonal.add_(grad_pos[start:start + diagonal.numel()])


def _hard_negative_loss_and_grad(
    a: Tensor, b: Tensor, labels: Tensor | None, temperature: float, tau_plus: float, beta: float,
    negatives: str, need_grad: bool,
) -> tuple[Tensor, Tensor | None]:
    """Mean hard-negative loss ``()`` of ``a, b`` ``(B, E)`` and, if asked, its gradient w.r.t. ``cat(a, b)`` ``(2B, E)``.

    Up to ``_WHOLE_ELEMENTS`` logits, the matrix is one block: for ``"cross"`` it is stacked
    with its transpose, ``(2, B, B)``, so that both directions' anchors are rows and every step
    is one operation on both, and its exponentials are reused for the gradient (small batches
    are dominated by the number of operations, not their size). Larger matrices are processed
    in blocks of about ``_BLOCK_ELEMENTS`` rows: pass 1 computes the per-row sums and, online,
    the per-column ones; pass 2 recomputes each block's exponentials, forms the gradient with
    respect to its logits and multiplies it into the embeddings, so no ``(N, N)`` temporaries
    are held. The normalisation (as ``F.normalize``) is differentiated here too.
    """
    batch = a.shape[0]
    z = torch.cat([a, b])
    norm = torch.linalg.vector_norm(z, dim=1, keepdim=True)
    clamped_norm = norm.clamp_min(_NORM_EPS)
    z.div_(clamped_norm)
    anchors, candidates, two_sided = _arrange(z, negatives)
    groups, offsets = _exclusions(batch, negatives, labels)
    n = anchors.shape[0]
    # the positive logit of anchors k and k + B, za[k] . zb[k] / t, is entry (k, k + offset)
    positive_offset = 0 if two_sided else batch
    whole = n * n <= _WHOLE_ELEMENTS
    if whole:
        logits, pos = _masked_logits(anchors, candidates, temperature, slice(0, n), groups, offsets, positive_offset)
        if two_sided:
            logits = torch.stack([logits, logits.T])
        e1, e2, sums = _exp_terms(logits, logits.amax(dim=-1, keepdim=True), beta, -1, overwrite=True)
        sums = _Sums(*(None if s is None else s.view(2, batch) for s in sums))
    else:
        step = min(n, max(1, _BLOCK_ELEMENTS // n))
        row_sums, columns, positives = [], None, []
        for start in range(0, n, step):
            logits, block_positives = _masked_logits(
                anchors, candidates, temperature, slice(start, start + step), groups, offsets, positive_offset
            )
            positives.append(block_positives)
            row_sums.append(_exp_terms(logits, logits.amax(dim=1, keepdim=True), beta, 1)[2])
            columns = _merge_columns(columns, logits, beta)[2] if two_sided else None
        # sums of the 2B anchors (rows, then columns for "cross"), (2, B) in the order of z
        sums = _Sums(*(
            None if parts[0] is None else torch.cat([p.view(-1) for p in parts]).view(2, batch)
            for parts in zip(*row_sums, *([columns] if two_sided else []))
        ))
        pos = torch.cat(positives)
    if groups is None:
        counts = _counts(n - (1 if two_sided else 2), temperature, tau_plus)
    else:
        m = _negative_counts(groups).to(z.dtype)
        if bool((m == 0).any()):
            raise ValueError("labels leave an anchor with no negative (every sample of the batch has its label)")
        counts = _counts(m if two_sided else m.view(2, batch), temperature, tau_plus)
    # log(R / (1 - tau_plus)) = log(M x / ((1 - tau_plus) y)) + shift; x / y lies in [1/M, M]
    mass = sums.x * counts.m_scaled / sums.y if beta > 0.0 else sums.x * (1.0 / (1.0 - tau_plus))
    loss, grad_log_r, grad_neg_pos = _anchor_losses(mass.log_().add_(sums.shift), pos, counts)
    if not need_grad:
        return loss.mean(), None
    # d mean / d logits, divided by t so that it multiplies the unit rows directly
    scale = 1.0 / (2 * batch * temperature)
    coefficients = [grad_log_r * (scale * (1.0 + beta)) / sums.x]
    coefficients.append(grad_log_r * (-scale * beta) / sums.y if beta > 0.0 else None)
    # the positive logits' gradient joins the negatives' in the same matrix products
    grad_pos = grad_neg_pos.sum(dim=0).mul_(-scale)
    grad_z = torch.empty_like(z)
    grad_anchors, grad_candidates = (grad_z[:batch], grad_z[batch:]) if two_sided else (grad_z, torch.empty_like(z))
    if whole:
        layout = (2, batch, 1) if two_sided else (n, 1)
        grad_logits = _accumulate(None, (e1, e2), [None if c is None else c.view(layout) for c in coefficients])
        if two_sided:
            grad_logits = grad_logits[0].add_(grad_logits[1].T)
        _add_positive(grad_logits, grad_pos, 0, positive_offset)
        torch.mm(grad_logits, candidates, out=grad_anchors)
        torch.mm(grad_logits.T, anchors, out=grad_candidates)
    else:
        row_coefficients = [None if c is None else c.view(-1, 1)[:n] for c in coefficients]
        col_coefficients = [None if c is None else c.view(1, -1)[:, n:] for c in coefficients]
        for start in range(0, n, step):
            block = slice(start, start + step)
            logits = _masked_logits(anchors, candidates, temperature, block, groups, offsets, positive_offset)[0]
            row = _exp_terms(logits, sums.shift.view(-1, 1)[block], beta, 1)
            grad_logits = _accumulate(None, row[:2], [None if c is None else c[block] for c in row_coefficients])
            if two_sided:
                grad_logits = _accumulate(grad_logits, _exp_terms(logits, columns.shift, beta, 0)[:2], col_coefficients)
            _add_positive(grad_logits, grad_pos, start, positive_offset)
            torch.mm(grad_logits, candidates, out=grad_anchors[block])
            if start == 0:
                torch.mm(grad_logits.T, anchors[block], out=grad_candidates)
            else:
                grad_candidates.addmm_(grad_logits.T, anchors[block])
    if not two_sided:
        grad_z.add_(grad_candidates)
    # through z = x / max(|x|, eps): the radial part is removed where the norm is not clamped
    radial = torch.linalg.vecdot(z, grad_z).unsqueeze_(1).mul_(norm > _NORM_EPS)
    return loss.mean(), grad_z.addcmul_(z, radial, value=-1.0).div_(clamped_norm)


class _HardNegativeObjective(torch.autograd.Function):
    """Autograd wrapper of :func:`_hard_negative_loss_and_grad` on ``a, b`` ``(B, E)``.

    The loss is a scalar, so its gradient is computed in the forward pass (the exponentials
    are at hand there, and no graph of small operations is recorded) and the backward pass
    only scales it. The gradient is exact (the importance weights are not detached); it is not
    differentiable again.
    """

    @staticmethod
    def forward(ctx, a, b, labels, temperature, tau_plus, beta, negatives, need_grad):
        loss, grad = _hard_negative_loss_and_grad(a, b, labels, temperature, tau_plus, beta, negatives, need_grad)
        ctx.save_for_backward(grad)
        return loss

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_loss):
        grad = ctx.saved_tensors[0] * grad_loss
        batch = grad.shape[0] // 2
        return grad[:batch], grad[batch:], None, None, None, None, None, None


def _hard_negative_core(
    a: Tensor, b: Tensor, temperature: float, tau_plus: float, beta: float, negatives: str, labels: Tensor | None
) -> Tensor:
    """Mean per-anchor hard-negative loss (arguments already validated)."""
    with torch.autocast(a.device.type, enabled=False):
        need_grad = torch.is_grad_enabled() and (a.requires_grad or b.requires_grad)
        labels = None if labels is None else labels.to(a.device)
        return _HardNegativeObjective.apply(a, b, labels, temperature, tau_plus, beta, negatives, need_grad)


# --------------------------------------------------------------------------------------------
# public API


def info_nce(a: Tensor, b: Tensor, *, temperature: float, negatives: str = "cross") -> Tensor:
    r"""InfoNCE loss (paper Eq. 1), mean over anchors.

    .. math::
        \ell_k &= -\log \frac{e^{s_{kk^+}}}{e^{s_{kk^+}} + \sum_{j \in N(k)} e^{s_{kj}}}, \\
        s_{kj} &= \frac{\cos(z_k, z_j)}{t}

    for anchor :math:`z_k` with positive :math:`z_{k^+}` and negatives :math:`N(k)`, and
    :math:`t` the temperature (the paper's :math:`\tau`). The paper prints Eq. 1 with
    :math:`\exp(s)/\tau` in numerator and denominator (where the temperature would cancel); the
    intended, standard form divides the similarity by :math:`t` inside the exponential, as
    here. Eq. 1 sums :math:`\ell^{s\to i} + \ell^{i\to s}`, the losses of the skeleton anchors
    against the IMU rows and of the IMU anchors against the skeleton rows;
    this returns their mean over the ``2B`` anchors, so the scale does not depend on ``B``.

    Computed as a softmax cross-entropy over the rows of the logit matrix.

    Args:
        a, b: embeddings ``(B, E)``; ``a[k]``, ``b[k]`` are a positive pair. Normalised inside.
        temperature: :math:`t > 0`.
        negatives: ``"cross"`` (``B - 1`` cross-modal negatives, both directions) or ``"all"``
            (NT-Xent: the ``2B - 2`` other rows of ``cat(a, b)``).

    Returns:
        Scalar loss ``()`` in float32 (float64 for float64 inputs).
    """
    temperature = _check_temperature(temperature)
    negatives = _check_negatives(negatives)
    a, b = _check_embeddings(a, b)
    with torch.autocast(a.device.type, enabled=False):
        batch = a.shape[0]
        za, zb = F.normalize(a, dim=1), F.normalize(b, dim=1)
        if negatives == "cross":
            logits = (za / temperature) @ zb.T
            target = torch.arange(batch, device=a.device)
            return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target))
        z = torch.cat([za, zb])
        logits = ((z / temperature) @ z.T).fill_diagonal_(-math.inf)
        target = torch.arange(2 * batch, device=a.device).roll(batch)
        return F.cross_entropy(logits, target)


def debiased_info_nce(
    a: Tensor, b: Tensor, *, temperature: float, tau_plus: float, negatives: str = "cross"
) -> Tensor:
    r"""Debiased contrastive loss :cite:p:`chuang2020debiased`: Eq. 3 of the paper with
    :math:`\beta = 0`.

    .. math::
        N_g &= \max\Big(\frac{\sum_{j=1}^{M} e^{s_j} - \tau^+ M e^{s^+}}{1 - \tau^+},\\
            &\qquad\quad M e^{-1/t}\Big), \\
        \ell &= -\log\frac{e^{s^+}}{e^{s^+} + N_g}

    with :math:`s^+ = \cos(z, z^+)/t` the logit of the anchor :math:`z` and its positive,
    :math:`s_j = \cos(z, z^-_j)/t` that of its negative :math:`j` of :math:`M`. The sum over negatives contains false negatives with probability
    :math:`\tau^+` (the class prior, about ``1 / n_classes``); the correction subtracts their
    expected share. ``tau_plus = 0`` gives :func:`info_nce`. See :func:`hard_negative_info_nce`
    for the printed typos of Eq. 3; this is that function with ``beta = 0``.

    Args:
        a, b: embeddings ``(B, E)``; ``a[k]``, ``b[k]`` are a positive pair. Normalised inside.
        temperature: :math:`t > 0`.
        tau_plus: class prior :math:`\tau^+ \in [0, 1)`.
        negatives: ``"cross"`` (``M = B - 1`` cross-modal negatives, directions ``a -> b`` and
            ``b -> a`` averaged) or ``"all"`` (``M = 2B - 2`` other rows of ``cat(a, b)``).

    Returns:
        Scalar loss ``()``, the mean over the ``2B`` anchors.
    """
    return hard_negative_info_nce(
        a, b, temperature=temperature, tau_plus=tau_plus, beta=0.0, negatives=negatives
    )


def hard_negative_info_nce(
    a: Tensor,
    b: Tensor,
    *,
    temperature: float,
    tau_plus: float,
    beta: float,
    negatives: str = "cross",
    labels: Tensor | None = None,
) -> Tensor:
    r"""Hard-negative contrastive loss (paper Eq. 2-3, :cite:p:`robinson2021hard`), mean over anchors.

    For an anchor with positive logit :math:`s^+` and negative logits :math:`s_1 \dots s_M`
    (:math:`s^+ = \cos(z, z^+)/t` and :math:`s_j = \cos(z, z^-_j)/t` for the anchor :math:`z`, its
    positive :math:`z^+` and its negatives :math:`z^-_j`), importance weights
    :math:`w_j = e^{\beta s_j}` (Eq. 2's
    :math:`q_\beta`, not detached) re-weight the negatives:

    .. math::
        R &= M \frac{\sum_j w_j e^{s_j}}{\sum_j w_j}, \\
        N_g &= \max\Big(\frac{R - \tau^+ M e^{s^+}}{1 - \tau^+},\; M e^{-1/t}\Big), \\
        \ell &= -\log\frac{e^{s^+}}{e^{s^+} + N_g}

    Printed typos in the paper: Eq. 3 omits the temperature (it writes
    :math:`e^{f(x)^\top f(x^-)}`); the reference code, followed here, divides every cosine by
    the temperature :math:`t`, including inside the weights, so the concentration on cosine is
    :math:`\beta/t`. The paper divides by :math:`\tau^-`, the share of true negatives among the
    negatives, which is :math:`1-\tau^+`: hence the :math:`1/(1-\tau^+)` above. The pseudo-code figure of
    Robinson et al. :cite:p:`robinson2021hard` with ``beta * neg / neg.mean()`` is a typo, as the authors answered in the reference
    implementation's issue tracker :cite:p:`robinson2020hclissue1,robinson2021hclissue5`; the exponential
    weight above is the intended one. ``beta = 0`` gives :func:`debiased_info_nce`;
    ``beta = 0, tau_plus = 0`` gives :func:`info_nce` (the clamp cannot bind then).

    Computed in log space (per-anchor shifted log-sum-exp), so it is finite for any cosine,
    ``temperature`` down to 0.01 and large ``beta``, in float32 and for half-precision inputs
    (upcast to float32). The logit matrix is kept whole up to ``B = 256`` (``"cross"``), else
    processed in blocks of rows; the exact gradient (weights not detached) is formed in the
    forward pass, so the result cannot be differentiated twice.

    Args:
        a, b: embeddings ``(B, E)``; ``a[k]``, ``b[k]`` are a positive pair. Normalised inside.
        temperature: :math:`t > 0`.
        tau_plus: class prior :math:`\tau^+ \in [0, 1)`.
        beta: concentration :math:`\beta \ge 0`.
        negatives: ``"cross"`` (``M = B - 1`` cross-modal negatives, directions ``a -> b`` and
            ``b -> a`` averaged) or ``"all"`` (``M = 2B - 2`` other rows of ``cat(a, b)``).
        labels: optional ``(B,)`` integer labels: the oracle variant that drops every candidate
            sharing the anchor's label (``M`` then varies per anchor).

    Returns:
        Scalar loss ``()``, the mean over the ``2B`` anchors.
    """
    temperature = _check_temperature(temperature)
    tau_plus = _check_tau_plus(tau_plus)
    beta = _check_beta(beta)
    negatives = _check_negatives(negatives)
    a, b = _check_embeddings(a, b)
    labels = _check_labels(labels, a.shape[0])
    return _hard_negative_core(a, b, temperature, tau_plus, beta, negatives, labels)


def hard_negative_weights(
    a: Tensor, b: Tensor, *, temperature: float, beta: float, negatives: str = "cross"
) -> Tensor:
    r"""Normalised importance weights :math:`q_\beta` of every negative of every anchor (Eq. 2).

    .. math::
        q_j &= \frac{e^{\beta s_j}}{\sum_{i=1}^{M} e^{\beta s_i}}, \\
        s_j &= \cos(z, z^-_j)/t

    (Eq. 2 prints :math:`e^{\beta f(x)^\top f(x^-)}` without the temperature; as in the loss, the
    reference code divides by :math:`t`.) ``beta = 0`` gives the uniform :math:`1/M`.

    Args:
        a, b: embeddings ``(B, E)``; ``a[k]``, ``b[k]`` are a positive pair. Normalised inside.
        temperature: :math:`t > 0`.
        beta: concentration :math:`\beta \ge 0`.
        negatives: ``"cross"`` or ``"all"``, the negatives of :func:`hard_negative_info_nce`.

    Returns:
        The weights, shape ``(2B, M)``, each row summing to 1. With ``negatives="cross"``, rows
        ``0..B-1`` are the anchors ``a_k`` against ``b_j`` and rows ``B..2B-1`` the anchors
        ``b_k`` against ``a_j``, ``M = B - 1``, negatives in index order with ``j = k`` left
        out; with ``"all"``, row ``i`` is row ``i`` of ``cat(a, b)`` against the others,
        ``M = 2B - 2``, in index order without itself and its positive.
    """
    temperature = _check_temperature(temperature)
    beta = _check_beta(beta)
    negatives = _check_negatives(negatives)
    a, b = _check_embeddings(a, b)
    with torch.autocast(a.device.type, enabled=False):
        anchors, candidates, two_sided = _arrange(F.normalize(torch.cat([a, b]), dim=1), negatives)
        groups, offsets = _exclusions(a.shape[0], negatives, None)
        logits = _masked_logits(anchors, candidates, temperature, slice(0, anchors.shape[0]), groups, offsets)[0]
        if two_sided:
            logits = torch.cat([logits, logits.T])
        negatives_only = logits[torch.isfinite(logits)].view(logits.shape[0], -1)
        return torch.softmax(beta * negatives_only, dim=1)


def cmkm_loss(
    z_skeleton: torch.Tensor,
    z_imu: torch.Tensor,
    neighbour_skeleton: torch.Tensor,
    neighbour_imu: torch.Tensor,
    *,
    temperature: float,
) -> torch.Tensor:
    r"""Cross-modal knowledge mining loss of CMC-CMKM :cite:p:`brinzea2022cmkm`.

    Our formulation, with :math:`s(u, v) = \cos(u, v) / t` (the temperature is applied to
    EVERY term, intra-modal ones included; the public code :cite:p:`brinzea2022cmkmcode`,
    ``MM_NTXent_CVKM`` in ``models/cmc_cvkm.py``, omits it on the intra-modal terms). For a
    skeleton anchor :math:`z^s_k`, with :math:`n^s_k` / :math:`n^i_k` its top-1 most similar
    other sample of the batch under the frozen unimodal (SimCLR) skeleton / IMU encoders:

    * positives :math:`P_k`: :math:`z^i_k` (its own IMU), :math:`z^i_{n^i_k}` (cross-modal
      positive mined in the IMU teacher's space) and :math:`z^s_{n^s_k}` (intra-modal positive
      mined in the skeleton teacher's space);
    * negatives :math:`N_k`: every other IMU embedding :math:`z^i_j` (cross-modal) and every
      other skeleton embedding :math:`z^s_j, j \ne k` (intra-modal negatives);

    .. math::
        \ell_k = -\log \frac{\sum_{p \in P_k} e^{s(z^s_k,\, p)}}{\sum_{c \in P_k \cup N_k} e^{s(z^s_k,\, c)}}

    IMU anchors mirror this (roles of the modalities swapped); the loss is the mean over the
    ``2B`` anchors. Computed with log-sum-exp, so it is stable at any temperature.

    Args:
        z_skeleton, z_imu: ``(B, E)`` projections (normalised inside).
        neighbour_skeleton: ``(B,)`` :math:`n^s_k`, the index of each sample's mined neighbour
            (never itself) under the skeleton teacher.
        neighbour_imu: ``(B,)`` :math:`n^i_k`, the same under the IMU teacher.
        temperature: :math:`t > 0`.

    Returns:
        Scalar loss ``()`` in float32, the mean over the ``2B`` anchors.
    """
    temperature = _check_temperature(temperature)
    if z_skeleton.shape != z_imu.shape or z_skeleton.ndim != 2:
        raise ValueError(
            f"z_skeleton and z_imu must both have shape (B, E), got {tuple(z_skeleton.shape)} and {tuple(z_imu.shape)}"
        )
    batch = z_skeleton.shape[0]
    zs = F.normalize(z_skeleton.float(), dim=1)
    zi = F.normalize(z_imu.float(), dim=1)
    rows = torch.arange(batch, device=zs.device)
    eye = torch.eye(batch, dtype=torch.bool, device=zs.device)

    def direction(anchor, other, own_neighbour, other_neighbour):
        # columns: [cross-modal candidates (B) | intra-modal candidates (B)]
        logits = torch.cat([anchor @ other.T, anchor @ anchor.T], dim=1) / temperature
        valid = torch.cat([torch.ones_like(eye), ~eye], dim=1)
        positive = torch.zeros_like(valid)
        positive[rows, rows] = True
        positive[rows, other_neighbour] = True
        positive[rows, batch + own_neighbour] = True
        masked = logits.masked_fill(~valid, float("-inf"))
        return torch.logsumexp(masked, dim=1) - torch.logsumexp(logits.masked_fill(~positive, float("-inf")), dim=1)

    return torch.cat(
        [direction(zs, zi, neighbour_skeleton, neighbour_imu), direction(zi, zs, neighbour_imu, neighbour_skeleton)]
    ).mean()


# --------------------------------------------------------------------------------------------
# nn.Module wrappers (hyper-parameters validated at construction)


class InfoNCELoss(nn.Module):
    """:func:`info_nce` as a module: ``forward(a (B, E), b (B, E)) -> ()``.

    Args:
        temperature: :math:`t > 0`.
        negatives: ``"cross"`` or ``"all"``, as in :func:`info_nce`.
    """

    def __init__(self, temperature: float, negatives: str = "cross") -> None:
        super().__init__()
        self.temperature = _check_temperature(temperature)
        self.negatives = _check_negatives(negatives)

    def forward(self, a: Tensor, b: Tensor) -> Tensor:
        return info_nce(a, b, temperature=self.temperature, negatives=self.negatives)

    def extra_repr(self) -> str:
        return f"temperature={self.temperature}, negatives={self.negatives!r}"


class HardNegativeLoss(nn.Module):
    r""":func:`hard_negative_info_nce` as a module: ``forward(a (B, E), b (B, E), labels=None)
    -> ()``, ``labels`` an optional ``(B,)`` tensor for the oracle variant.

    Args:
        temperature: :math:`t > 0`.
        tau_plus: class prior :math:`\tau^+ \in [0, 1)`.
        beta: concentration :math:`\beta \ge 0`.
        negatives: ``"cross"`` or ``"all"``, as in :func:`hard_negative_info_nce`.
    """

    def __init__(self, temperature: float, tau_plus: float, beta: float, negatives: str = "cross") -> None:
        super().__init__()
        self.temperature = _check_temperature(temperature)
        self.tau_plus = _check_tau_plus(tau_plus)
        self.beta = _check_beta(beta)
        self.negatives = _check_negatives(negatives)

    def forward(self, a: Tensor, b: Tensor, labels: Tensor | None = None) -> Tensor:
        return hard_negative_info_nce(
            a, b, temperature=self.temperature, tau_plus=self.tau_plus, beta=self.beta,
            negatives=self.negatives, labels=labels,
        )

    def extra_repr(self) -> str:
        return (
            f"temperature={self.temperature}, tau_plus={self.tau_plus}, beta={self.beta}, "
            f"negatives={self.negatives!r}"
        )


class DebiasedInfoNCELoss(HardNegativeLoss):
    r""":func:`debiased_info_nce` as a module (:class:`HardNegativeLoss` with ``beta = 0``).

    Args:
        temperature: :math:`t > 0`.
        tau_plus: class prior :math:`\tau^+ \in [0, 1)`.
        negatives: ``"cross"`` or ``"all"``, as in :func:`debiased_info_nce`.
    """

    def __init__(self, temperature: float, tau_plus: float, negatives: str = "cross") -> None:
        super().__init__(temperature, tau_plus, 0.0, negatives)
