r"""Contrastive objectives: InfoNCE, debiased InfoNCE and the hard-negative loss.

Every function takes two batches of embeddings ``a`` and ``b`` of shape ``(B, D)``; row ``k`` of
``a`` and row ``k`` of ``b`` form the positive pair. Rows are L2-normalised inside, so the
similarity of two rows is their cosine, and the logit of a pair is ``s = cos / temperature``.

Which negatives an anchor sees:

* ``negatives="cross"`` (CMC, the paper's multimodal setting): anchor ``a_k`` is contrasted
  with the ``B - 1`` rows ``b_j, j != k`` and anchor ``b_k`` with the ``B - 1`` rows
  ``a_j, j != k``; the loss averages both directions (``2B`` anchors).
* ``negatives="all"`` (SimCLR / NT-Xent, one modality, two views): each of the ``2B`` rows of
  ``cat(a, b)`` is contrasted with the ``2B - 2`` rows that are neither itself nor its positive.
* ``labels`` (hard-negative loss only) turns on the oracle variant: candidates that share the
  anchor's label are dropped, so the number of negatives ``M`` varies per anchor.

The hard-negative estimator follows the reference implementation of Robinson et al. (ICLR 2021,
ref. [45] of the paper), which the paper's Eq. 3 prints with typos (see
:func:`hard_negative_info_nce`). Everything is computed in log space with a per-row shift, in
float32 (or float64 when given float64), so it stays finite for any cosine in ``[-1, 1]``,
temperatures down to 0.01, large ``beta`` and under bf16/fp16 autocast.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    "info_nce",
    "debiased_info_nce",
    "hard_negative_info_nce",
    "hard_negative_weights",
    "InfoNCELoss",
    "DebiasedInfoNCELoss",
    "HardNegativeLoss",
]

NEGATIVE_SETS = ("cross", "all")

# Number of logits processed per block by the fused estimator. A block of this many float32
# values (1 MiB) stays in cache across the dozen element-wise passes applied to it, which is
# what makes the hard-negative loss cheaper than an un-fused (B, B) implementation.
_BLOCK_ELEMENTS = 1 << 18
_LN2 = math.log(2.0)


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
    """Validate a pair of ``(B, D)`` batches and return them as float32/float64 tensors."""
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
    # float32 (or keep float64, which the exactness tests use).
    a = a if a.dtype == torch.float64 else a.float()
    b = b if b.dtype == torch.float64 else b.float()
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


def _views(a: Tensor, b: Tensor, negatives: str, labels: Tensor | None, temperature: float):
    """Arrange a batch as anchors against candidates.

    Returns ``(anchors, candidates, groups, pos, two_sided)``:

    * ``anchors`` ``(R, D)``: normalised anchor rows already divided by the temperature, so
      ``anchors @ candidates.T`` are the logits ``s``.
    * ``candidates`` ``(R, D)``: normalised candidate rows.
    * ``groups`` ``(R,)``: a candidate is a negative of an anchor iff their groups differ. The
      group is the sample index (so only the positive pair and the anchor itself are excluded)
      or, with ``labels``, the label (so every same-label candidate is excluded too). The same
      vector serves rows and columns.
    * ``pos`` ``(2B,)``: positive logit of every anchor, in the order of the per-anchor losses.
    * ``two_sided``: for ``"cross"`` the columns of the logit matrix are the anchors of the
      ``b -> a`` direction, so both row and column reductions are needed.
    """
    batch = a.shape[0]
    za = F.normalize(a, dim=1)
    zb = F.normalize(b, dim=1)
    pos = (za * zb).sum(dim=1) / temperature
    ids = torch.arange(batch, device=a.device) if labels is None else labels.to(a.device)
    if negatives == "cross":
        return za / temperature, zb, ids, torch.cat([pos, pos]), True
    z = torch.cat([za, zb])
    return z / temperature, z, torch.cat([ids, ids]), torch.cat([pos, pos]), False


def _negative_counts(groups: Tensor) -> Tensor:
    """``M`` per anchor ``(R,)``: the number of candidates outside the anchor's group."""
    _, inverse, counts = torch.unique(groups, return_inverse=True, return_counts=True)
    return groups.numel() - counts[inverse]


def _masked_logits(anchors: Tensor, candidates: Tensor, groups: Tensor, rows: slice) -> Tensor:
    """Logits of anchor rows ``rows`` against all candidates, ``-inf`` where not a negative."""
    logits = anchors[rows] @ candidates.T
    return logits.masked_fill_(groups[rows, None] == groups[None, :], -math.inf)


# --------------------------------------------------------------------------------------------
# fused log-mass of the (re-weighted) negatives


class _NegativeLogMass(torch.autograd.Function):
    r"""Per-anchor :math:`\log R = \log\big(M \sum_k w_k e^{s_k} / \sum_k w_k\big)`, :math:`w_k = e^{\beta s_k}`.

    Inputs: ``anchors`` ``(R, D)`` (already divided by the temperature), ``candidates``
    ``(R, D)``, ``groups`` ``(R,)`` and ``log_m`` ``(R,)`` (log of each anchor's ``M``, the same
    for rows and columns because rows and columns share ``groups``). Output ``(R,)``, or
    ``(2R,)`` rows then columns when ``two_sided``. For ``beta = 0``, :math:`\log R` is the
    plain :math:`\log\sum_k e^{s_k}` and the weight sums are skipped.

    Computed block by block over anchor rows: the forward pass keeps only per-row and
    per-column shifts and sums, the backward pass recomputes each block's logits (unless the
    whole matrix is one block, which is then kept), so no ``(R, R)`` temporaries are held.
    The gradient is the exact one (the weights are not detached):
    :math:`\partial \log R/\partial s_k = (1+\beta)\,\mathrm{softmax}((1+\beta)s)_k - \beta\,\mathrm{softmax}(\beta s)_k`.
    """

    @staticmethod
    def forward(ctx, anchors: Tensor, candidates: Tensor, groups: Tensor, log_m: Tensor, beta: float, two_sided: bool):
        n = candidates.shape[0]
        step = max(1, _BLOCK_ELEMENTS // n)
        row_stats = []
        # Column statistics are accumulated online (as in flash attention). The running maximum
        # starts at the smallest finite value, so no -inf - -inf appears for columns whose
        # entries in the blocks seen so far are all masked.
        col_shift = torch.full((n,), torch.finfo(anchors.dtype).min, dtype=anchors.dtype, device=anchors.device)
        col_x = torch.zeros_like(col_shift)
        col_y = torch.zeros_like(col_shift)
        for start in range(0, anchors.shape[0], step):
            logits = _masked_logits(anchors, candidates, groups, slice(start, start + step))
            shift = logits.amax(dim=1)
            row_stats.append((shift, *_exp_sums(logits - shift[:, None], beta, dim=1)))
            if two_sided:
                new_shift = torch.maximum(col_shift, logits.amax(dim=0))
                delta = col_shift - new_shift
                x, y = _exp_sums(logits - new_shift, beta, dim=0)
                col_x = col_x * torch.exp((1.0 + beta) * delta) + x
                col_y = col_y * torch.exp(beta * delta) + y
                col_shift = new_shift
        sides = [tuple(torch.cat(t) for t in zip(*row_stats))]
        if two_sided:
            sides.append((col_shift, col_x, col_y))
        single_block = step >= anchors.shape[0]
        ctx.save_for_backward(anchors, candidates, groups, logits if single_block else None, *[t for side in sides for t in side])
        ctx.beta = beta
        return torch.cat([_log_mass(*side, log_m, beta) for side in sides])

    @staticmethod
    def backward(ctx, grad_out: Tensor):
        anchors, candidates, groups, kept_logits, *saved = ctx.saved_tensors
        beta = ctx.beta
        r = anchors.shape[0]
        grad_rows, grad_cols = grad_out[:r], grad_out[r:]
        grad_anchors = torch.empty_like(anchors)
        grad_candidates = torch.zeros_like(candidates)
        step = max(1, _BLOCK_ELEMENTS // candidates.shape[0])
        for start in range(0, r, step):
            rows = slice(start, start + step)
            logits = kept_logits if kept_logits is not None else _masked_logits(anchors, candidates, groups, rows)
            shift, x, y = saved[:3]
            grad_logits = _log_mass_grad(logits, shift[rows, None], x[rows, None], y[rows, None], beta)
            grad_logits.mul_(grad_rows[rows, None])
            if len(saved) > 3:
                shift, x, y = saved[3:]
                grad_logits.addcmul_(_log_mass_grad(logits, shift, x, y, beta), grad_cols)
            grad_anchors[rows] = grad_logits @ candidates
            grad_candidates.addmm_(grad_logits.T, anchors[rows])
        return grad_anchors, grad_candidates, None, None, None, None


def _exp_sums(shifted: Tensor, beta: float, dim: int) -> tuple[Tensor, Tensor]:
    """Sums of ``exp((1 + beta) z)`` and of ``exp(beta z)`` along ``dim`` (the latter only for beta > 0)."""
    x = torch.exp(shifted * (1.0 + beta)).sum(dim=dim)
    y = torch.exp(shifted.mul_(beta)).sum(dim=dim) if beta > 0.0 else x  # y unused when beta = 0
    return x, y


def _log_mass(shift: Tensor, x: Tensor, y: Tensor, log_m: Tensor, beta: float) -> Tensor:
    """``log R = log M + lse((1+beta) s) - lse(beta s)`` from the shifted sums."""
    if beta == 0.0:  # R is the plain sum of exp(s_k)
        return shift + torch.log(x)
    return log_m + shift + torch.log(x) - torch.log(y)


def _log_mass_grad(logits: Tensor, shift: Tensor, x: Tensor, y: Tensor, beta: float) -> Tensor:
    """``d log R / d s = (1+beta) softmax((1+beta) s) - beta softmax(beta s)`` from the saved sums."""
    shifted = logits - shift
    grad = torch.exp(shifted * (1.0 + beta)).mul_((1.0 + beta) / x)
    if beta > 0.0:
        grad.sub_(torch.exp(shifted.mul_(beta)).mul_(beta / y))
    return grad


def _log1mexp(x: Tensor) -> Tensor:
    """``log(1 - exp(x))`` for ``x < 0``, accurate at both ends (Maechler, 2012)."""
    # Each branch only sees inputs on its own side, so the discarded one stays finite.
    near_zero = x > -_LN2
    return torch.where(
        near_zero, torch.log(-torch.expm1(x.clamp(min=-_LN2))), torch.log1p(-torch.exp(x.clamp(max=-_LN2)))
    )


def _hard_negative_core(
    a: Tensor, b: Tensor, temperature: float, tau_plus: float, beta: float, negatives: str, labels: Tensor | None
) -> Tensor:
    """Mean per-anchor hard-negative loss (arguments already validated)."""
    with torch.autocast(a.device.type, enabled=False):
        anchors, candidates, groups, pos, two_sided = _views(a, b, negatives, labels, temperature)
        if labels is None:  # every anchor loses only its positive (and, for "all", itself)
            counts = torch.full_like(groups, groups.numel() - (1 if two_sided else 2), dtype=pos.dtype)
        else:
            counts = _negative_counts(groups).to(pos.dtype)
            if bool((counts == 0).any()):
                raise ValueError("labels leave an anchor with no negative (every sample of the batch has its label)")
        log_counts = torch.log(counts)
        log_r = _NegativeLogMass.apply(anchors, candidates, groups, log_counts, beta, two_sided)
        m = torch.cat([counts, counts]) if two_sided else counts  # (2B,), like pos and log_r
        log_m = torch.log(m)
        # loss = log(pos + Ng) - log(pos). Unclamped, pos + Ng = (R - c pos) / (1 - tau_plus) with
        # c = tau_plus (M + 1) - 1: one subtraction instead of two keeps the gradient bounded
        # (by c / (1 - tau_plus)) however close R comes to tau_plus M pos.
        log_floor = log_m - 1.0 / temperature
        with torch.no_grad():
            # Ng < M exp(-1/t)  <=>  R < tau_plus M pos + (1 - tau_plus) M exp(-1/t)
            bound = log_floor + math.log1p(-tau_plus)
            if tau_plus > 0.0:
                bound = torch.logaddexp(bound, math.log(tau_plus) + log_m + pos)
            clamped = log_r < bound
        c = tau_plus * (m + 1.0) - 1.0
        ratio = torch.log(c.abs()) + pos - log_r  # log(|c| pos / R)
        # log1mexp only sees anchors where it is used (there ratio < 0 is guaranteed), so the
        # branch torch.where discards cannot put NaN into the gradient.
        subtracting = (c > 0) & ~clamped
        correction = torch.where(
            subtracting, _log1mexp(torch.where(subtracting, ratio, -1.0)), F.softplus(ratio)
        )
        free = log_r + correction - math.log1p(-tau_plus) - pos
        floored = F.softplus(log_floor - pos)  # log(pos + M exp(-1/t)) - log(pos)
        return torch.where(clamped, floored, free).mean()


# --------------------------------------------------------------------------------------------
# public API


def info_nce(a: Tensor, b: Tensor, *, temperature: float, negatives: str = "cross") -> Tensor:
    r"""InfoNCE loss (paper Eq. 1), mean over anchors.

    .. math::
        \ell_k = -\log \frac{\exp(s_{kk^+})}{\exp(s_{kk^+}) + \sum_{j \in N(k)} \exp(s_{kj})},
        \qquad s_{kj} = \frac{\cos(z_k, z_j)}{\tau}

    The paper prints Eq. 1 with :math:`\exp(s)/\tau` in numerator and denominator (where the
    temperature would cancel); the intended, standard form divides the similarity by
    :math:`\tau` inside the exponential, as here. Eq. 1 sums :math:`\ell^{s\to i} + \ell^{i\to s}`;
    this returns their mean over the ``2B`` anchors, so the scale does not depend on ``B``.

    Computed as a softmax cross-entropy over the rows of the logit matrix.

    Args:
        a, b: embeddings ``(B, D)``; ``a[k]``, ``b[k]`` are a positive pair. Normalised inside.
        temperature: :math:`\tau > 0`.
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
    r"""Debiased contrastive loss of Chuang et al. (ref. [11]): Eq. 3 of the paper with :math:`\beta = 0`.

    .. math::
        N_g = \max\Big(\frac{\sum_{k=1}^{M} e^{s_k} - \tau^+ M e^{s^+}}{1 - \tau^+},\; M e^{-1/\tau}\Big),
        \qquad \ell = -\log\frac{e^{s^+}}{e^{s^+} + N_g}

    with :math:`s = \cos/\tau`. The sum over negatives contains false negatives with probability
    :math:`\tau^+` (the class prior, about ``1 / n_classes``); the correction subtracts their
    expected share. ``tau_plus = 0`` gives :func:`info_nce`. See :func:`hard_negative_info_nce`
    for the printed typos of Eq. 3 and the shapes; this is that function with ``beta = 0``.
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
    r"""Hard-negative contrastive loss (paper Eq. 2-3; Robinson et al., ICLR 2021), mean over anchors.

    For an anchor with positive logit :math:`s^+` and negative logits :math:`s_1 \dots s_M`
    (:math:`s = \cos/\tau`), importance weights :math:`w_k = e^{\beta s_k}` (Eq. 2's
    :math:`q_\beta`, not detached) re-weight the negatives:

    .. math::
        R = M \frac{\sum_k w_k e^{s_k}}{\sum_k w_k}, \qquad
        N_g = \max\Big(\frac{R - \tau^+ M e^{s^+}}{1 - \tau^+},\; M e^{-1/\tau}\Big), \qquad
        \ell = -\log\frac{e^{s^+}}{e^{s^+} + N_g}

    Printed typos in the paper: Eq. 3 omits the temperature (it writes
    :math:`e^{f(x)^\top f(x^-)}`); the reference code, followed here, divides every cosine by
    :math:`\tau`, including inside the weights, so the concentration on cosine is
    :math:`\beta/\tau`. Its :math:`1/\tau^-` is :math:`1/(1-\tau^+)`. The published pseudo-code
    figure with ``beta * neg / neg.mean()`` is a typo confirmed by the authors; the exponential
    weight above is the intended one. ``beta = 0`` gives :func:`debiased_info_nce`;
    ``beta = 0, tau_plus = 0`` gives :func:`info_nce` (the clamp cannot bind then).

    Computed in log space (per-row shifted log-sum-exp, blocks of rows, no ``(2B, 2B)``
    matrix is held), so it is finite for any cosine, ``temperature`` down to 0.01 and large
    ``beta``, in float32 and for half-precision inputs (upcast to float32).

    Args:
        a, b: embeddings ``(B, D)``; ``a[k]``, ``b[k]`` are a positive pair. Normalised inside.
        temperature: :math:`\tau > 0`.
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
        q_k = \frac{e^{\beta s_k}}{\sum_{j=1}^{M} e^{\beta s_j}}, \qquad s = \cos/\tau

    (Eq. 2 prints :math:`e^{\beta f(x)^\top f(x^-)}` without the temperature; as in the loss, the
    reference code divides by :math:`\tau`.) ``beta = 0`` gives the uniform :math:`1/M`.

    Returns:
        ``(2B, M)``. For ``"cross"``: rows ``0..B-1`` are anchors ``a_k`` against ``b_j``,
        rows ``B..2B-1`` anchors ``b_k`` against ``a_j``, ``M = B - 1``, negatives in index
        order with ``j = k`` left out. For ``"all"``: row ``i`` is row ``i`` of ``cat(a, b)``
        against the others, ``M = 2B - 2``, in index order without itself and its positive.
    """
    temperature = _check_temperature(temperature)
    beta = _check_beta(beta)
    negatives = _check_negatives(negatives)
    a, b = _check_embeddings(a, b)
    with torch.autocast(a.device.type, enabled=False):
        anchors, candidates, groups, _, two_sided = _views(a, b, negatives, None, temperature)
        logits = _masked_logits(anchors, candidates, groups, slice(None))
        if two_sided:
            logits = torch.cat([logits, logits.T])
        negatives_only = logits[torch.isfinite(logits)].view(logits.shape[0], -1)
        return torch.softmax(beta * negatives_only, dim=1)


# --------------------------------------------------------------------------------------------
# nn.Module wrappers (hyper-parameters validated at construction)


class InfoNCELoss(nn.Module):
    """:func:`info_nce` as a module: ``forward(a (B, D), b (B, D)) -> ()``."""

    def __init__(self, temperature: float, negatives: str = "cross") -> None:
        super().__init__()
        self.temperature = _check_temperature(temperature)
        self.negatives = _check_negatives(negatives)

    def forward(self, a: Tensor, b: Tensor) -> Tensor:
        return info_nce(a, b, temperature=self.temperature, negatives=self.negatives)

    def extra_repr(self) -> str:
        return f"temperature={self.temperature}, negatives={self.negatives!r}"


class HardNegativeLoss(nn.Module):
    """:func:`hard_negative_info_nce` as a module: ``forward(a, b, labels=None) -> ()``."""

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
    """:func:`debiased_info_nce` as a module (:class:`HardNegativeLoss` with ``beta = 0``)."""

    def __init__(self, temperature: float, tau_plus: float, negatives: str = "cross") -> None:
        super().__init__(temperature, tau_plus, 0.0, negatives)
