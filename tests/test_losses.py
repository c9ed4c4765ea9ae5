"""Tests for mmhar_lite.losses: exactness against a per-anchor loop, reductions, gradients,
numerical stability, argument checks and the importance weights."""

from __future__ import annotations

import math
from contextlib import nullcontext
from unittest import mock

import pytest
import torch
import torch.nn.functional as F
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mmhar_lite import losses
from mmhar_lite.losses import (
    DebiasedInfoNCELoss,
    HardNegativeLoss,
    InfoNCELoss,
    debiased_info_nce,
    hard_negative_info_nce,
    hard_negative_weights,
    info_nce,
)


# ------------------------------------------------------------------------------------------
# brute force, written straight from REFERENCE.md section 1 (one anchor at a time)


def anchors_of(a, b, negatives, labels=None):
    """List of (anchor, positive, [negatives]) unit vectors, in the order of the loss."""
    batch = a.shape[0]
    za, zb = F.normalize(a, dim=1), F.normalize(b, dim=1)

    def keep(j, k, lab):
        return lab is None or lab[j] != lab[k]

    if negatives == "cross":
        out = [(za[k], zb[k], [zb[j] for j in range(batch) if j != k and keep(j, k, labels)]) for k in range(batch)]
        out += [(zb[k], za[k], [za[j] for j in range(batch) if j != k and keep(j, k, labels)]) for k in range(batch)]
        return out
    z = torch.cat([za, zb])
    lab = None if labels is None else torch.cat([labels, labels])
    out = []
    for i in range(2 * batch):
        p = (i + batch) % (2 * batch)
        out.append((z[i], z[p], [z[j] for j in range(2 * batch) if j not in (i, p) and keep(j, i, lab)]))
    return out


def reference_loss(a, b, *, temperature, tau_plus, beta, negatives, labels=None):
    losses_ = []
    for x, x_pos, negs in anchors_of(a, b, negatives, labels):
        pos = torch.exp(x @ x_pos / temperature)
        s = torch.stack([x @ n for n in negs]) / temperature
        neg = torch.exp(s)
        w = torch.exp(beta * s)  # not detached
        m = len(negs)
        reweighted = m * (w * neg).sum() / w.sum()
        ng = (reweighted - tau_plus * m * pos) / (1 - tau_plus)
        ng = torch.clamp(ng, min=m * math.exp(-1 / temperature))
        losses_.append(-torch.log(pos / (pos + ng)))
    return torch.stack(losses_).mean()


def make_pair(seed, batch, dim, kind, dtype=torch.float64):
    """Random (B, E) pairs: independent, with exact ties, aligned or anti-aligned positives."""
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(batch, dim, generator=g, dtype=dtype)
    b = torch.randn(batch, dim, generator=g, dtype=dtype)
    if kind == "ties":  # rows drawn from two vectors: many exactly equal similarities
        pool = torch.randn(2, dim, generator=g, dtype=dtype)
        a = pool[torch.randint(0, 2, (batch,), generator=g)]
        b = pool[torch.randint(0, 2, (batch,), generator=g)]
    elif kind == "aligned":
        b = 3.0 * a
    elif kind == "anti":
        b = -a
    return a, b


def grads(fn, a, b):
    a = a.clone().requires_grad_()
    b = b.clone().requires_grad_()
    loss = fn(a, b)
    ga, gb = torch.autograd.grad(loss, (a, b))
    return loss.detach(), ga, gb


# ------------------------------------------------------------------------------------------
# exactness


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    batch=st.integers(2, 6),
    dim=st.integers(1, 4),
    kind=st.sampled_from(["random", "ties", "aligned", "anti"]),
    temperature=st.floats(0.2, 2.0),
    tau_plus=st.sampled_from([0.0, 0.05, 0.3, 0.9]),
    beta=st.sampled_from([0.0, 0.5, 1.0, 4.0]),
    negatives=st.sampled_from(["cross", "all"]),
    use_labels=st.booleans(),
    blocks=st.sampled_from(["whole", "tiny", "single"]),
)
def test_hard_negative_matches_per_anchor_loop(
    seed, batch, dim, kind, temperature, tau_plus, beta, negatives, use_labels, blocks
):
    a, b = make_pair(seed, batch, dim, kind)
    labels = None
    if use_labels:
        # two or more distinct labels, so every anchor keeps a negative
        labels = torch.arange(batch) % max(2, (seed % batch) + 1)
    kwargs = dict(temperature=temperature, tau_plus=tau_plus, beta=beta, negatives=negatives)
    # "tiny" forces many row blocks, exercising the online column statistics and the
    # recomputation of the exponentials for the gradient; "single" a block path whose block
    # size exceeds the batch (capped to one block of all rows)
    patches = {"tiny": dict(_BLOCK_ELEMENTS=3, _WHOLE_ELEMENTS=0), "single": dict(_BLOCK_ELEMENTS=10**6, _WHOLE_ELEMENTS=0)}
    with mock.patch.multiple(losses, **patches[blocks]) if blocks in patches else nullcontext():
        got, ga, gb = grads(lambda x, y: hard_negative_info_nce(x, y, labels=labels, **kwargs), a, b)
    want, wa, wb = grads(lambda x, y: reference_loss(x, y, labels=labels, **kwargs), a, b)
    assert got.dtype == torch.float64
    torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(ga, wa, rtol=1e-8, atol=1e-10)
    torch.testing.assert_close(gb, wb, rtol=1e-8, atol=1e-10)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    batch=st.integers(2, 7),
    kind=st.sampled_from(["random", "ties", "aligned", "anti"]),
    temperature=st.floats(0.05, 2.0),
    tau_plus=st.floats(0.0, 0.95),
    negatives=st.sampled_from(["cross", "all"]),
)
# An anchor whose positive beats its negative by more than 20 logits: F.softplus's cut-off
# once dropped its exp(-21) of loss here.
@example(seed=2, batch=2, kind="random", temperature=0.0546875, tau_plus=0.0, negatives="cross")
def test_reductions(seed, batch, kind, temperature, tau_plus, negatives):
    a, b = make_pair(seed, batch, 5, kind)
    hnl0 = hard_negative_info_nce(a, b, temperature=temperature, tau_plus=tau_plus, beta=0.0, negatives=negatives)
    deb = debiased_info_nce(a, b, temperature=temperature, tau_plus=tau_plus, negatives=negatives)
    torch.testing.assert_close(hnl0, deb, rtol=1e-10, atol=1e-10)
    plain = hard_negative_info_nce(a, b, temperature=temperature, tau_plus=0.0, beta=0.0, negatives=negatives)
    torch.testing.assert_close(plain, info_nce(a, b, temperature=temperature, negatives=negatives), rtol=1e-10, atol=1e-10)


def test_info_nce_all_equals_nt_xent_cross_entropy():
    a, b = make_pair(3, 6, 4, "random")
    t = 0.3
    z = F.normalize(torch.cat([a, b]), dim=1)
    n = z.shape[0]
    sim = z @ z.T / t
    positive = torch.cat([torch.arange(6, 12), torch.arange(0, 6)])
    pos = sim[torch.arange(n), positive]
    keep = ~torch.eye(n, dtype=torch.bool)
    keep[torch.arange(n), positive] = False
    logits = torch.cat([pos[:, None], sim[keep].view(n, n - 2)], dim=1)  # positive in column 0
    want = F.cross_entropy(logits, torch.zeros(n, dtype=torch.long))
    torch.testing.assert_close(info_nce(a, b, temperature=t, negatives="all"), want, rtol=1e-10, atol=1e-10)


def test_info_nce_cross_is_mean_of_both_directions():
    a, b = make_pair(4, 5, 3, "random")
    t = 0.2
    sim = F.normalize(a, dim=1) @ F.normalize(b, dim=1).T / t
    target = torch.arange(5)
    # Eq. 1 sums l^{s->i} + l^{i->s}; the function returns the mean over the 2B anchors
    want = (F.cross_entropy(sim, target, reduction="sum") + F.cross_entropy(sim.T, target, reduction="sum")) / 10
    torch.testing.assert_close(info_nce(a, b, temperature=t), want, rtol=1e-10, atol=1e-10)


# ------------------------------------------------------------------------------------------
# gradients


@pytest.mark.parametrize("negatives", ["cross", "all"])
@pytest.mark.parametrize("use_labels", [False, True])
def test_gradcheck(negatives, use_labels):
    a, b = make_pair(7, 5, 3, "random")
    labels = torch.tensor([0, 1, 0, 2, 1]) if use_labels else None
    a.requires_grad_()
    b.requires_grad_()
    for fn in (
        lambda x, y: hard_negative_info_nce(x, y, temperature=0.5, tau_plus=0.1, beta=1.5, negatives=negatives, labels=labels),
        lambda x, y: debiased_info_nce(x, y, temperature=0.5, tau_plus=0.1, negatives=negatives),
        lambda x, y: info_nce(x, y, temperature=0.5, negatives=negatives),
    ):
        assert torch.autograd.gradcheck(fn, (a, b))


@pytest.mark.parametrize("negatives", ["cross", "all"])
def test_clamp_region_has_no_gradient_through_negatives(negatives):
    # Near-aligned positives and a large class prior: R - tau_plus M pos < 0 for every anchor,
    # so Ng sits on its floor M exp(-1/t) and the loss depends on the positives only.
    g = torch.Generator().manual_seed(1)
    a = torch.randn(6, 8, generator=g, dtype=torch.float64)
    b = a + 0.05 * torch.randn(6, 8, generator=g, dtype=torch.float64)
    t, tau_plus = 0.5, 0.9
    m = 5 if negatives == "cross" else 10

    def floor_only(x, y):
        pos = (F.normalize(x, dim=1) * F.normalize(y, dim=1)).sum(1) / t
        return torch.log1p(m * math.exp(-1 / t) / torch.exp(pos)).mean()

    got, ga, gb = grads(lambda x, y: hard_negative_info_nce(x, y, temperature=t, tau_plus=tau_plus, beta=1.0, negatives=negatives), a, b)
    want, wa, wb = grads(floor_only, a, b)
    torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(ga, wa, rtol=1e-8, atol=1e-12)
    torch.testing.assert_close(gb, wb, rtol=1e-8, atol=1e-12)
    ref = reference_loss(a, b, temperature=t, tau_plus=tau_plus, beta=1.0, negatives=negatives)
    torch.testing.assert_close(got, ref, rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------------------------------
# stability


def extreme_pairs(batch=12, dim=6):
    g = torch.Generator().manual_seed(0)
    v = F.normalize(torch.randn(dim, generator=g), dim=0)
    a = torch.randn(batch, dim, generator=g)
    signs = torch.where(torch.arange(batch) % 2 == 0, 1.0, -1.0)[:, None]
    return {
        "aligned": (a, a.clone()),  # cos(pos) = 1
        "anti": (a, -a),  # cos(pos) = -1
        "all_equal": (v.repeat(batch, 1), v.repeat(batch, 1)),  # every cos = 1
        "plus_minus": (signs * v, signs * v),  # every cos = +-1
        "random": (a, torch.randn(batch, dim, generator=g)),
    }


@pytest.mark.parametrize("negatives", ["cross", "all"])
@pytest.mark.parametrize("temperature,beta,tau_plus", [(0.01, 20.0, 0.0), (0.01, 20.0, 0.5), (0.01, 0.0, 0.9), (0.05, 5.0, 0.037)])
def test_finite_in_float32_at_extremes(negatives, temperature, beta, tau_plus):
    for name, (a, b) in extreme_pairs().items():
        for fn in (
            lambda x, y: hard_negative_info_nce(x, y, temperature=temperature, tau_plus=tau_plus, beta=beta, negatives=negatives),
            lambda x, y: info_nce(x, y, temperature=temperature, negatives=negatives),
        ):
            loss, ga, gb = grads(fn, a, b)
            assert loss.dtype == torch.float32
            assert torch.isfinite(loss), name
            assert torch.isfinite(ga).all() and torch.isfinite(gb).all(), name


def test_float32_stays_close_to_float64_where_naive_overflows():
    # (1 + beta) / t = 210 overflows exp in float32; the log-space form must still be accurate
    a, b = make_pair(11, 8, 4, "random", dtype=torch.float64)
    kwargs = dict(temperature=0.05, tau_plus=0.1, beta=9.5)
    want = hard_negative_info_nce(a, b, **kwargs)
    got = hard_negative_info_nce(a.float(), b.float(), **kwargs)
    assert torch.isfinite(got)
    torch.testing.assert_close(got.double(), want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_autocast_inputs_are_reduced_in_float32(dtype):
    g = torch.Generator().manual_seed(2)
    layer = torch.nn.Linear(8, 6)
    x, y = torch.randn(10, 8, generator=g), torch.randn(10, 8, generator=g)
    with torch.autocast("cpu", dtype=dtype):
        a, b = layer(x), layer(y)
        assert a.dtype == dtype
        loss = hard_negative_info_nce(a, b, temperature=0.1, tau_plus=0.05, beta=1.0)
        plain = info_nce(a, b, temperature=0.1)
    assert loss.dtype == torch.float32 and plain.dtype == torch.float32
    # upcast inputs, then everything in float32: the same as calling with float32 copies
    torch.testing.assert_close(loss, hard_negative_info_nce(a.float(), b.float(), temperature=0.1, tau_plus=0.05, beta=1.0))
    loss.backward()
    assert torch.isfinite(layer.weight.grad).all()


# ------------------------------------------------------------------------------------------
# argument checks


def _ok():
    return make_pair(0, 4, 3, "random", dtype=torch.float32)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(temperature=0.0), "temperature"),
        (dict(temperature=-1.0), "temperature"),
        (dict(temperature=float("nan")), "temperature"),
        (dict(temperature=float("inf")), "temperature"),
        (dict(tau_plus=1.0), "tau_plus"),
        (dict(tau_plus=-0.1), "tau_plus"),
        (dict(beta=-0.5), "beta"),
        (dict(beta=float("inf")), "beta"),
        (dict(negatives="intra"), "negatives"),
        (dict(labels=torch.tensor([0, 1, 2])), "labels"),
        (dict(labels=torch.tensor([[0, 1, 2, 3]])), "labels"),
        (dict(labels=torch.tensor([0.0, 1.0, 0.0, 1.0])), "labels"),
        (dict(labels=torch.tensor([1, 1, 1, 1])), "labels"),
    ],
)
def test_invalid_arguments_name_the_argument(kwargs, match):
    a, b = _ok()
    args = dict(temperature=0.1, tau_plus=0.1, beta=1.0)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        hard_negative_info_nce(a, b, **args)


@pytest.mark.parametrize(
    "a,b,match",
    [
        (torch.randn(1, 3), torch.randn(1, 3), "B >= 2"),
        (torch.randn(4, 3), torch.randn(4, 2), "same shape"),
        (torch.randn(4, 3), torch.randn(5, 3), "same shape"),
        (torch.randn(4), torch.randn(4), "shape \\(B, D\\)"),
        (torch.randn(4, 3), torch.arange(12).view(4, 3), "b must be a floating"),
        (torch.tensor([[0.0, 1.0], [float("nan"), 1.0]]), torch.randn(2, 2), "a contains NaN"),
        (torch.randn(2, 2), torch.tensor([[0.0, float("inf")], [1.0, 1.0]]), "b contains NaN or inf"),
    ],
)
def test_invalid_embeddings(a, b, match):
    for call in (
        lambda: info_nce(a, b, temperature=0.1),
        lambda: debiased_info_nce(a, b, temperature=0.1, tau_plus=0.1),
        lambda: hard_negative_info_nce(a, b, temperature=0.1, tau_plus=0.1, beta=1.0),
        lambda: hard_negative_weights(a, b, temperature=0.1, beta=1.0),
    ):
        with pytest.raises(ValueError, match=match):
            call()


def test_modules_validate_at_construction_and_match_functions():
    with pytest.raises(ValueError, match="beta"):
        HardNegativeLoss(temperature=0.1, tau_plus=0.1, beta=-1.0)
    with pytest.raises(ValueError, match="tau_plus"):
        DebiasedInfoNCELoss(temperature=0.1, tau_plus=1.5)
    with pytest.raises(ValueError, match="temperature"):
        InfoNCELoss(temperature=0.0)
    a, b = _ok()
    labels = torch.tensor([0, 1, 0, 1])
    hnl = HardNegativeLoss(temperature=0.2, tau_plus=0.1, beta=2.0, negatives="all")
    assert torch.equal(hnl(a, b, labels), hard_negative_info_nce(a, b, temperature=0.2, tau_plus=0.1, beta=2.0, negatives="all", labels=labels))
    assert torch.equal(DebiasedInfoNCELoss(0.2, 0.1)(a, b), debiased_info_nce(a, b, temperature=0.2, tau_plus=0.1))
    assert torch.equal(InfoNCELoss(0.2)(a, b), info_nce(a, b, temperature=0.2))


# ------------------------------------------------------------------------------------------
# importance weights


@pytest.mark.parametrize("negatives,m", [("cross", 5), ("all", 10)])
def test_weights_match_the_definition(negatives, m):
    a, b = make_pair(5, 6, 4, "random")
    t, beta = 0.3, 1.7
    q = hard_negative_weights(a, b, temperature=t, beta=beta, negatives=negatives)
    assert q.shape == (12, m)
    for row, (x, _, negs) in zip(q, anchors_of(a, b, negatives)):
        s = torch.stack([x @ n for n in negs]) / t
        torch.testing.assert_close(row, torch.softmax(beta * s, dim=0), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(q.sum(1), torch.ones(12, dtype=q.dtype))


def test_weights_uniform_at_beta_zero_and_concentrate_with_beta():
    a, b = make_pair(6, 8, 4, "random")
    uniform = hard_negative_weights(a, b, temperature=0.5, beta=0.0)
    torch.testing.assert_close(uniform, torch.full_like(uniform, 1 / 7))
    sims = torch.stack([torch.stack([x @ n for n in negs]) for x, _, negs in anchors_of(a, b, "cross")])
    hardest = sims.argmax(1)
    previous = uniform
    for beta in (0.5, 2.0, 8.0):
        q = hard_negative_weights(a, b, temperature=0.5, beta=beta)
        top = q.gather(1, hardest[:, None])
        assert (top > previous.gather(1, hardest[:, None])).all()
        # more similar negatives always weigh more
        order = sims.argsort(1)
        assert (q.gather(1, order).diff(dim=1) >= 0).all()
        previous = q


# ------------------------------------------------------------------------------------------
# CMC-CMKM (cross-modal knowledge mining)


def test_cmkm_loss_matches_a_per_anchor_loop():
    torch.manual_seed(0)
    batch, t = 5, 0.2
    zs, zi = torch.randn(batch, 8, dtype=torch.float64), torch.randn(batch, 8, dtype=torch.float64)
    ns, ni = torch.tensor([1, 0, 3, 2, 0]), torch.tensor([2, 3, 0, 4, 1])
    got = losses.cmkm_loss(zs, zi, ns, ni, temperature=t)

    def cos(u, v):
        return float(torch.dot(u, v) / (u.norm() * v.norm()))

    terms = []
    for anchor, other, own_n, other_n in ((zs, zi, ns, ni), (zi, zs, ni, ns)):
        for k in range(batch):
            positives = {("x", k), ("x", int(other_n[k])), ("s", int(own_n[k]))}
            candidates = [("x", j) for j in range(batch)] + [("s", j) for j in range(batch) if j != k]

            def e(c):
                return math.exp(cos(anchor[k], (other if c[0] == "x" else anchor)[c[1]]) / t)

            terms.append(-math.log(sum(e(c) for c in positives) / sum(e(c) for c in candidates)))
    # cmkm_loss computes in float32, hence the tolerance.
    assert float(got) == pytest.approx(sum(terms) / len(terms), rel=1e-5)


@pytest.mark.parametrize("temperature", [0.0, -1.0, float("nan")])
def test_cmkm_loss_rejects_bad_temperature(temperature):
    z, n = torch.randn(4, 8), torch.tensor([1, 0, 3, 2])
    with pytest.raises(ValueError, match="temperature"):
        losses.cmkm_loss(z, z, n, n, temperature=temperature)


def test_cmkm_loss_rejects_mismatched_shapes():
    n = torch.tensor([1, 0, 3, 2])
    with pytest.raises(ValueError, match=r"z_skeleton and z_imu.*\(4, 8\) and \(4, 6\)"):
        losses.cmkm_loss(torch.randn(4, 8), torch.randn(4, 6), n, n, temperature=0.1)


# ------------------------------------------------------------------------------------------
# the benchmark (smoke test; the figures themselves are in benchmarks/results/losses.md)


def test_benchmark_naive_form_is_the_same_loss():
    from benchmarks import losses as bench

    a, b = make_pair(8, 6, 5, "random", dtype=torch.float32)
    want = hard_negative_info_nce(a, b, temperature=bench.TEMPERATURE, tau_plus=bench.TAU_PLUS, beta=bench.BETA)
    torch.testing.assert_close(bench.naive_hard_negative(a, b), want)


def test_benchmark_quick_run(capsys):
    from benchmarks import losses as bench

    bench.main(["--quick"])
    time_row, memory_row, ratio_row = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| 16 |")]
    for row, n_cells in ((time_row, 5), (memory_row, 5), (ratio_row, 4)):
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert len(cells) == n_cells and all(math.isfinite(float(c)) for c in cells)


def test_benchmark_peak_memory_sees_the_logit_matrices():
    """The profiler-based peak grows with B^2 and ranks the naive form's masked copies above
    the fused loss, so the memory column measures the losses, not noise."""
    from benchmarks import losses as bench

    small, large = bench.peak_memory("hard_negative", 32), bench.peak_memory("hard_negative", 512)
    assert 0 < small < large and large > 512 * 512 * 4  # at least one (B, B) float32 matrix
    assert bench.peak_memory("naive", 512) > large


def test_benchmark_goals_text_names_every_missed_target():
    from benchmarks import losses as bench

    met = bench.goals_text([(64, 1.19, 1.36, 1.2), (1024, 0.97, 0.41, 2.83)])  # naive/HNL counts from B = 1024 only
    assert "Met by this run's medians" in met and "Missed" not in met
    assert "the closest to its limit, HNL / InfoNCE time 1.19 at B = 64 (limit 1.25), is 5 % inside it" in met
    missed = bench.goals_text([(64, 1.30, 1.36, 1.51), (1024, 0.97, 1.60, 1.40)])
    assert missed.endswith("Missed in this run: HNL / InfoNCE time 1.30 at B = 64; HNL / InfoNCE memory 1.60 at B = 1024; "
                           "naive / HNL time 1.40 at B = 1024.")
