"""Measures watched during pre-training: retrieval, alignment, uniformity (properties and values
by hand), the held-out slice, and the hook in `training.pretrain` (history, progress bar,
writer), which must not change the run it watches."""
import math
import sys

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mmhar_lite import metrics, training
from mmhar_lite.data import default_split, generate_synthetic, prepare
from mmhar_lite.training import PretrainConfig

pytestmark = pytest.mark.usefixtures("one_thread")

finite = st.floats(-10, 10, allow_nan=False, width=32)


def embeddings(min_rows=2, max_rows=12, dims=(2, 8)):
    """(N, E) float arrays whose rows are not close to zero (normalisable)."""
    shape = st.tuples(st.integers(min_rows, max_rows), st.integers(*dims))
    return shape.flatmap(lambda s: arrays(np.float64, s, elements=finite)).filter(
        lambda x: np.linalg.norm(x, axis=1).min() > 1e-3)


def distinct_directions(x: np.ndarray) -> bool:
    z = x / np.linalg.norm(x, axis=1, keepdims=True)
    cos = z @ z.T
    np.fill_diagonal(cos, -1)
    return cos.max() < 1 - 1e-6


@settings(max_examples=60, deadline=None)
@given(embeddings())
def test_alignment_is_zero_for_identical_pairs_and_bounded(x):
    t = torch.from_numpy(x)
    assert metrics.alignment(t, t) == pytest.approx(0.0, abs=1e-12)
    assert metrics.alignment(t, -t) == pytest.approx(4.0)
    other = torch.from_numpy(np.roll(x, 1, axis=0))
    value = metrics.alignment(t, other)
    assert -1e-12 <= value <= 4 + 1e-12
    # ||x - y||^2 = 2 - 2 cos for unit vectors
    cos = torch.nn.functional.cosine_similarity(t, other, dim=1).mean().item()
    assert value == pytest.approx(2 - 2 * cos, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(embeddings(), st.floats(0.5, 4))
def test_uniformity_bounds(x, t):
    value = metrics.uniformity(torch.from_numpy(x), t=t)
    assert -4 * t - 1e-9 <= value <= 1e-12
    collapsed = torch.from_numpy(np.repeat(x[:1], len(x), axis=0))
    assert metrics.uniformity(collapsed, t=t) == pytest.approx(0.0, abs=1e-12)


def test_uniformity_by_hand():
    antipodal = torch.tensor([[1.0, 0.0], [-1.0, 0.0]])
    assert metrics.uniformity(antipodal) == pytest.approx(-8.0)  # ||x - y||^2 = 4, t = 2
    square = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
    # 4 pairs at squared distance 2, 2 pairs at 4
    assert metrics.uniformity(square) == pytest.approx(math.log((4 * math.exp(-4) + 2 * math.exp(-8)) / 6))


@settings(max_examples=60, deadline=None)
@given(embeddings(min_rows=3).filter(distinct_directions), st.randoms(use_true_random=False))
def test_retrieval_is_perfect_for_identical_embeddings_and_zero_for_a_derangement(x, rnd):
    t = torch.from_numpy(x)
    assert metrics.retrieval_accuracy(t, t) == {1: 1.0, 5: 1.0}
    n = len(x)
    shift = rnd.randrange(1, n)
    deranged = torch.from_numpy(np.roll(x, shift, axis=0))  # key i is query i - shift: no row keeps its own
    assert metrics.retrieval_accuracy(t, deranged, ks=(1,))[1] == 0.0


@settings(max_examples=60, deadline=None)
@given(embeddings(min_rows=2), embeddings(min_rows=2))
def test_top5_is_at_least_top1_and_both_in_range(a, b):
    n, e = min(len(a), len(b)), min(a.shape[1], b.shape[1])
    acc = metrics.retrieval_accuracy(torch.from_numpy(a[:n, :e]), torch.from_numpy(b[:n, :e]), ks=(1, 5))
    assert 0.0 <= acc[1] <= acc[5] <= 1.0
    if n <= 5:
        assert acc[5] == 1.0  # every key is among the 5 nearest


def test_retrieval_by_hand_and_collapse():
    queries = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
    keys = torch.tensor([[1.0, 0.0], [0.8, 0.6], [-0.6, 0.8]])  # query 1's own key (cos 0.6) is 2nd to key 2 (0.8)
    assert metrics.retrieval_accuracy(queries, keys, ks=(1, 2)) == {1: pytest.approx(2 / 3), 2: 1.0}
    same = torch.ones(4, 3)
    assert metrics.retrieval_accuracy(same, same, ks=(1,))[1] == 0.0  # ties go against the match


def test_embedding_metrics_keys_and_directions():
    z = torch.eye(6)
    out = metrics.embedding_metrics(z, z)
    assert tuple(out) == metrics.EMBEDDING_KEYS
    assert [out[k] for k in metrics.RETRIEVAL_KEYS] == [1.0, 1.0, 1.0, 1.0]
    assert out["alignment"] == pytest.approx(0.0)
    assert out["uniformity"] == pytest.approx(-4.0)  # orthonormal rows: every pair at squared distance 2
    with pytest.raises(ValueError, match="two .* tensors of one shape"):
        metrics.embedding_metrics(torch.eye(6), torch.eye(5))


@given(st.integers(4, 300), st.floats(0.05, 0.5), st.integers(0, 3))
def test_holdout_split_partitions_the_pool(n, fraction, seed):
    pool = np.arange(0, 3 * n, 3)
    fit, watch = metrics.holdout_split(pool, fraction, seed=seed)
    assert np.array_equal(np.sort(np.concatenate([fit, watch])), pool)
    assert np.intersect1d(fit, watch).size == 0
    assert len(watch) == max(2, round(fraction * n)) and len(fit) >= 2
    again = metrics.holdout_split(pool, fraction, seed=seed)
    assert np.array_equal(again[1], watch)


def test_holdout_split_rejects_bad_fractions():
    with pytest.raises(ValueError, match=r"fraction must be in \(0, 1\)"):
        metrics.holdout_split(np.arange(10), 1.0)
    with pytest.raises(ValueError, match="leaves 1 of 3 rows"):
        metrics.holdout_split(np.arange(3), 0.5)


@given(st.integers(1, 4), st.integers(5, 40), st.integers(0, 2**32 - 1))
def test_weight_concentration_between_uniform_and_one_hot(a, m, seed):
    rng = np.random.default_rng(seed)
    same = rng.random((a, m)) < 0.3
    uniform = metrics.weight_concentration(np.full((a, m), 1 / m), same)
    assert uniform["effective_negatives"] == pytest.approx(m)
    assert uniform["top_share"] == pytest.approx(min(5, m) / m)
    assert uniform["same_class_share"] == pytest.approx(same.mean())
    one_hot = metrics.weight_concentration(np.eye(m)[rng.integers(0, m, size=a)], same)
    assert one_hot["effective_negatives"] == pytest.approx(1.0) and one_hot["top_share"] == pytest.approx(1.0)
    q = rng.dirichlet(np.ones(m), size=a)
    mixed = metrics.weight_concentration(q, same)
    assert 1 - 1e-9 <= mixed["effective_negatives"] <= m + 1e-9
    assert min(5, m) / m - 1e-9 <= mixed["top_share"] <= 1 + 1e-9


def test_weight_concentration_rejects_unnormalised_weights():
    with pytest.raises(ValueError, match="sum to 1"):
        metrics.weight_concentration(np.ones((2, 4)), np.zeros((2, 4), bool))


def test_postfix_shows_the_watched_measures():
    record = {"epoch": 3, "loss": 4.25, "lr": 1e-3, "time_s": 1.0, "imu_to_skeleton_top1": 0.125,
              "imu_to_skeleton_top5": 0.5, "skeleton_to_imu_top1": 0.25, "skeleton_to_imu_top5": 0.5,
              "alignment": 1.5, "uniformity": -2.0}
    assert metrics.postfix(record) == {"loss": "4.2500", "lr": "1.0e-03", "i2s@1": "0.125", "s2i@1": "0.25",
                                       "align": "1.5", "unif": "-2"}
    assert metrics.postfix({"loss": 1.0, "lr": 0.1}) == {"loss": "1.0000", "lr": "1.0e-01"}


class FakeWriter:
    def __init__(self):
        self.scalars, self.flushes, self.closed = [], 0, False

    def add_scalar(self, tag, value, step):
        self.scalars.append((tag, value, step))

    def flush(self):
        self.flushes += 1

    def close(self):
        self.closed = True


def test_tensorboard_writer_needs_the_optional_package(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)  # import fails as if not installed
    with pytest.raises(ValueError, match="optional 'tensorboard' package is not installed"):
        metrics.tensorboard_writer(tmp_path / "tb")


# ----------------------------------------------------------------------------- the hook in pretrain


@pytest.fixture(scope="module")
def small():
    data = prepare(generate_synthetic(n_subjects=2, n_trials=1, seed=0))
    fit, watch = metrics.holdout_split(default_split(data).train, 0.3, seed=0)
    return data, fit, watch


def config(method="cmc-hnl", **kw):
    values = dict(method=method, epochs=2, batch_size=8, size="lite", augmentation="synthetic", beta=1.0)
    values.update(kw)
    return PretrainConfig(**values)


def test_watching_records_the_measures_and_does_not_change_the_run(small):
    data, fit, watch = small
    plain = training.pretrain(data, fit, config(), quiet=True)
    writer = FakeWriter()
    watched = training.pretrain(data, fit, config(), quiet=True, monitor_indices=watch, writer=writer)
    assert [h["loss"] for h in watched.history] == [h["loss"] for h in plain.history]
    for name, tensor in plain.encoders.state_dict().items():
        assert torch.equal(tensor, watched.encoders.state_dict()[name]), name
    for record in watched.history:
        assert set(metrics.EMBEDDING_KEYS) <= set(record)
        assert all(0 <= record[k] <= 1 for k in metrics.RETRIEVAL_KEYS)
        assert 0 <= record["alignment"] <= 4 and -8 <= record["uniformity"] <= 0
    # the last epoch's measures are those of the returned model on the watched rows
    z = training.embed(watched, data, watch)
    final = metrics.embedding_metrics(torch.from_numpy(z["skeleton"]), torch.from_numpy(z["imu"]))
    assert final == pytest.approx({k: watched.history[-1][k] for k in metrics.EMBEDDING_KEYS})
    # the writer got exactly the history's numbers, one step per epoch
    expected = [(f"pretrain/{k}", float(v), rec["epoch"]) for rec in watched.history for k, v in rec.items() if k != "epoch"]
    assert writer.scalars == expected and writer.flushes == 2


def test_monitor_restores_modes_and_draws_no_random_numbers(small):
    data, fit, watch = small
    run = training.pretrain(data, fit, config(epochs=0))
    run.encoders.train()
    run.heads["imu"].train()
    run.heads["skeleton"].eval()
    skeleton, imu, _ = training._tensors(data, watch, torch.device("cpu"))
    measure = metrics.cross_modal_monitor(run.encoders, run.heads, skeleton, imu, batch_size=4)
    state = torch.get_rng_state()
    first = measure()
    assert torch.equal(state, torch.get_rng_state())
    assert run.encoders.training and run.heads["imu"].training and not run.heads["skeleton"].training
    assert measure() == first  # eval mode: deterministic, and the BatchNorm statistics did not move


def test_watching_is_refused_for_trained_rows_and_single_modality_methods(small):
    data, fit, watch = small
    with pytest.raises(ValueError, match="also trained on"):
        training.pretrain(data, fit, config(), quiet=True, monitor_indices=fit[:4])
    with pytest.raises(ValueError, match="cross-modal method"):
        training.pretrain(data, fit, config("simclr", modality="imu"), quiet=True, monitor_indices=watch)


def test_cached_runs_keep_watched_and_plain_histories_apart(small, tmp_path):
    data, fit, watch = small
    plain = training.pretrain(data, fit, config(epochs=1), quiet=True, cache_dir=tmp_path)
    watched = training.pretrain(data, fit, config(epochs=1), quiet=True, cache_dir=tmp_path, monitor_indices=watch)
    again = training.pretrain(data, fit, config(epochs=1), quiet=True, cache_dir=tmp_path, monitor_indices=watch)
    assert len(list(tmp_path.glob("*.pt"))) == 2
    assert "alignment" not in plain.history[0] and "alignment" in watched.history[0]
    assert again.history == watched.history
