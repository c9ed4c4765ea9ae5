"""Training engine: every method trains, losses fall, runs repeat exactly, fine-tuning leaves
frozen encoders untouched, checkpoints round-trip and resume exactly, metrics are right."""
import math

import numpy as np
import pytest
import torch

from mmhar_lite import checkpoints, training
from mmhar_lite.data import default_split, generate_synthetic, prepare
from mmhar_lite.training import FinetuneConfig, PretrainConfig


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def small():
    """27 classes x 2 subjects x 1 trial: subject 1 trains (27 pairs), subject 2 tests."""
    data = prepare(generate_synthetic(n_subjects=2, n_trials=1, seed=0))
    return data, default_split(data)


def config(method="cmc-hnl", modality="multimodal", **kw):
    values = dict(method=method, modality=modality, epochs=2, batch_size=16, size="lite", augmentation="synthetic",
                  temperature=0.1, tau_plus=0.037, beta=1.0)
    values.update(kw)
    return PretrainConfig(**values)


def state(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def same_state(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize(
    "method,modality",
    [("supervised", "imu"), ("simclr", "skeleton"), ("simclr-hnl", "imu"), ("cmc", "multimodal"),
     ("cmc-debiased", "multimodal"), ("cmc-hnl-oracle", "multimodal")],
)
def test_each_method_trains_its_encoders_only(small, method, modality):
    data, split = small
    before = training.pretrain(data, split.train, config(method, modality, epochs=0))
    after = training.pretrain(data, split.train, config(method, modality))
    assert [h["epoch"] for h in after.history] == [1, 2]
    assert all(math.isfinite(h["loss"]) and h["lr"] > 0 and h["time_s"] > 0 for h in after.history)
    for m in ("skeleton", "imu"):
        moved = not same_state(state(before.encoders[m]), state(after.encoders[m]))
        assert moved == (modality in (m, "multimodal")), m


def test_simclr_skeleton_features_stay_usable_by_a_linear_head(small):
    # Issue 10: at Table 1's lr (5e-3) the skeleton SimCLR features of the HCN without BatchNorm
    # grew without bound (mean |h| 14 after 10 epochs and 300 after 30 here, ~1e3 on UTD-MHAD),
    # and the fine-tuning head started at a loss of 20-5000 instead of about log(27).
    data, split = small
    run = training.pretrain(data, split.train, config("simclr", "skeleton", epochs=10, lr=5e-3, temperature=0.5))
    features = training.extract_features(torch.nn.ModuleDict({"skeleton": run.encoders["skeleton"]}), data, split.train)
    assert features["skeleton"].abs().mean() < 3.0
    head = training.finetune(run.encoders, data, split.train, FinetuneConfig(modality="skeleton", epochs=1, batch_size=16))
    assert head.history[0]["loss"] < 2 * math.log(data.n_classes)


@pytest.mark.parametrize("method", ["cmc-hnl", "supervised"])
def test_loss_decreases(small, method):
    data, split = small
    result = training.pretrain(data, split.train, config(method, epochs=8, batch_size=32))
    losses = [h["loss"] for h in result.history]
    assert np.mean(losses[-2:]) < np.mean(losses[:2])


def test_same_seed_repeats_exactly_and_other_seed_differs(small):
    data, split = small
    a = training.pretrain(data, split.train, config(seed=3))
    b = training.pretrain(data, split.train, config(seed=3))
    c = training.pretrain(data, split.train, config(seed=4))
    assert [h["loss"] for h in a.history] == [h["loss"] for h in b.history]
    assert same_state(state(a.encoders), state(b.encoders))
    assert not same_state(state(a.encoders), state(c.encoders))
    tune = FinetuneConfig(epochs=3, batch_size=16)
    ra = training.finetune(a.encoders, data, split.train, tune, test_indices=split.test)
    rb = training.finetune(b.encoders, data, split.train, tune, test_indices=split.test)
    assert ra.metrics == rb.metrics and ra.history[-1]["loss"] == rb.history[-1]["loss"]


def test_pretrain_does_not_touch_the_callers_rng(small):
    data, split = small
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    training.pretrain(data, split.train, config(epochs=1))
    assert torch.equal(torch.rand(3), expected)


def test_cmkm_needs_teachers_and_trains_with_them(small):
    data, split = small
    with pytest.raises(ValueError, match="cmc-cmkm needs teachers"):
        training.pretrain(data, split.train, config("cmc-cmkm"))
    teachers = training.pretrain(data, split.train, config("random-init")).encoders
    result = training.pretrain(data, split.train, config("cmc-cmkm"), teachers=teachers)
    assert len(result.history) == 2 and all(math.isfinite(h["loss"]) for h in result.history)


def test_finetune_leaves_frozen_encoders_untouched(small):
    data, split = small
    pretrained = training.pretrain(data, split.train, config(epochs=1))
    pretrained.encoders.train()  # even if a caller left them in training mode
    before = state(pretrained.encoders)
    result = training.finetune(pretrained.encoders, data, split.train, FinetuneConfig(epochs=3, batch_size=8),
                               test_indices=split.test)
    after = state(pretrained.encoders)
    assert same_state(before, after)  # weights AND BatchNorm running stats / counters
    assert any("running_mean" in k for k in before)
    assert not any(encoder.training for encoder in pretrained.encoders.values())
    assert set(result.metrics) == {"accuracy", "macro_f1", "confusion_matrix"}
    assert np.asarray(result.metrics["confusion_matrix"]).sum() == split.test.size


@pytest.mark.parametrize("modality", ["multimodal", "imu", "skeleton"])
def test_heads_for_each_finetune_modality(small, modality):
    data, split = small
    pretrained = training.pretrain(data, split.train, config("random-init"))
    result = training.finetune(pretrained.encoders, data, split.train, FinetuneConfig(modality=modality, epochs=2),
                               test_indices=split.test)
    assert 0.0 <= result.metrics["accuracy"] <= 1.0 and len(result.history) == 2


def test_extract_features_shapes_and_batches(small):
    data, split = small
    encoders = training.pretrain(data, split.train, config("random-init")).encoders
    whole = training.extract_features(encoders, data, split.test)
    chunked = training.extract_features(encoders, data, split.test, batch_size=4)
    assert whole["skeleton"].shape == (split.test.size, encoders["skeleton"].out_features)
    assert whole["imu"].shape == (split.test.size, encoders["imu"].out_features)
    torch.testing.assert_close(whole["imu"], chunked["imu"])


def test_embed_projects_the_test_set(small):
    data, split = small
    run = training.pretrain(data, split.train, config("cmc", epochs=1))
    run.heads.train()  # even if a caller left them in training mode
    z = training.embed(run, data, split.test)
    assert set(z) == {"skeleton", "imu"}
    for m in ("skeleton", "imu"):
        assert isinstance(z[m], np.ndarray) and z[m].dtype == np.float32
        assert z[m].shape == (split.test.size, run.heads[m].net[-1].out_features) == (split.test.size, 128)
    assert not any(module.training for module in run.heads.modules())
    assert not any(module.training for module in run.encoders.modules())
    again = training.embed(run, data, split.test)
    assert all(np.array_equal(z[m], again[m]) for m in z)
    # the same numbers as the heads on the cached features, and rows follow `indices`
    features = training.extract_features(run.encoders, data, split.test)
    with torch.no_grad():
        np.testing.assert_array_equal(z["imu"], run.heads["imu"](features["imu"]).numpy())
    some = split.test[[5, 0, 3]]
    np.testing.assert_allclose(training.embed(run, data, some)["skeleton"], z["skeleton"][[5, 0, 3]], rtol=1e-5, atol=1e-6)


def test_embed_needs_projection_heads(small):
    data, split = small
    run = training.pretrain(data, split.train, config("random-init"))
    with pytest.raises(ValueError, match="embed needs projection heads"):
        training.embed(run, data, split.test)


def test_checkpoint_round_trip(small, tmp_path):
    data, split = small
    result = training.pretrain(data, split.train, config(epochs=1))
    training.save_checkpoint(result, tmp_path / "run.pt")
    loaded = training.load_checkpoint(tmp_path / "run.pt", device="cpu")
    assert loaded.config == result.config and loaded.history == result.history
    assert same_state(state(loaded.encoders), state(result.encoders))
    assert same_state(state(loaded.heads), state(result.heads))
    # the file holds only tensors and plain Python values
    assert isinstance(torch.load(tmp_path / "run.pt", weights_only=True), dict)


def test_resume_continues_exactly(small, tmp_path):
    data, split = small
    straight = training.pretrain(data, split.train, config(epochs=4))
    path = tmp_path / "ckpt.pt"
    training.pretrain(data, split.train, config(epochs=2), checkpoint=path)
    resumed = training.pretrain(data, split.train, config(epochs=4), checkpoint=path, resume=True)
    assert [h["loss"] for h in resumed.history] == [h["loss"] for h in straight.history]
    assert same_state(state(resumed.encoders), state(straight.encoders))
    with pytest.raises(ValueError, match="different configuration"):
        training.pretrain(data, split.train, config(epochs=4, lr=0.01), checkpoint=path, resume=True)


def test_checkpoints_record_the_seconds_trained(small, tmp_path):
    data, split = small
    result = training.pretrain(data, split.train, config(epochs=2), checkpoint=tmp_path / "run.pt", quiet=True)
    recorded = training.load_checkpoint(tmp_path / "run.pt", device="cpu").seconds
    assert 0 < recorded <= result.seconds and recorded >= sum(h["time_s"] for h in result.history)


@pytest.mark.parametrize("method, epochs", [("cmc", 0), ("random-init", 2)])
def test_an_untrained_run_writes_its_checkpoint(small, tmp_path, method, epochs):
    data, split = small
    result = training.pretrain(data, split.train, config(method, epochs=epochs), checkpoint=tmp_path / "run.pt")
    loaded = training.load_checkpoint(tmp_path / "run.pt", device="cpu")
    assert loaded.history == [] and same_state(state(loaded.encoders), state(result.encoders))


def test_divergence_names_the_epoch_and_the_lr(small):
    data, split = small
    with pytest.raises(training.TrainingDiverged, match=r"training diverged at epoch 1 with lr 1e\+30"):
        training.pretrain(data, split.train, config("cmc", lr=1e30), quiet=True)
    with pytest.raises(training.TrainingDiverged, match=r"supervised imu: training diverged at epoch \d+ with lr 1e\+30"):
        training.pretrain(data, split.train, config("supervised", "imu", lr=1e30), quiet=True)


def test_metrics_by_hand():
    y_true = [0, 0, 1, 1, 2, 2]
    y_pred = [0, 1, 1, 1, 0, 2]
    cm = training.confusion_matrix(y_true, y_pred, 4)
    assert cm.tolist() == [[1, 1, 0, 0], [0, 2, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]]
    assert training.accuracy(y_true, y_pred) == pytest.approx(4 / 6)
    # per-class F1: 2*1/(2+2)=0.5, 2*2/(2+3)=0.8, 2*1/(2+1)=2/3; class 3 absent -> not averaged
    assert training.macro_f1(y_true, y_pred, 4) == pytest.approx((0.5 + 0.8 + 2 / 3) / 3)
    assert training.evaluate(y_true, y_pred, 4)["confusion_matrix"] == cm.tolist()
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 2\)"):
        training.confusion_matrix([0, 2], [0, 1], 2)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(method="byol"), "method must be one of"),
        (dict(method="simclr", modality="multimodal"), "takes modality imu | skeleton"),
        (dict(lr=0.0), "lr must be > 0"),
        (dict(batch_size=1), "batch_size must be an integer >= 2"),
        (dict(temperature=-1.0), "temperature must be > 0"),
        (dict(tau_plus=1.0), r"tau_plus must be in \[0, 1\)"),
        (dict(beta=-0.5), "beta must be >= 0"),
        (dict(size="huge"), "size must be 'paper' or 'lite'"),
        (dict(seed=2**64), r"seed must be an integer in \[0, 2\*\*63 - 1\], got 18446744073709551616"),
        (dict(seed=-1), "seed must be an integer in"),
    ],
)
def test_config_validation(kwargs, message):
    with pytest.raises(ValueError, match=message):
        PretrainConfig(**kwargs)


def test_device_resolution():
    assert training.resolve_device("cpu") == torch.device("cpu")
    assert training.resolve_device("auto").type in ("cpu", "cuda")
    with pytest.raises(ValueError, match="device must be"):
        training.resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="torch.cuda.is_available"):
            training.resolve_device("cuda")


def test_cache_dir_reuses_only_an_identical_run(small, tmp_path, monkeypatch):
    data, split = small
    first = training.pretrain(data, split.train, config("cmc"), quiet=True, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("cmc-multimodal-seed0-*.pt"))) == 1
    # The same run again must come from the cache: training would call _run_epochs.
    monkeypatch.setattr(training, "_run_epochs", lambda **_: pytest.fail("a cached run was trained again"))
    again = training.pretrain(data, split.train, config("cmc"), quiet=True, cache_dir=tmp_path)
    assert same_state(state(first.encoders), state(again.encoders))
    assert again.history == first.history
    monkeypatch.undo()
    # Any change of configuration, training rows or data is a different run.
    keys = {
        training.run_key(config("cmc"), data, split.train),
        training.run_key(config("cmc", seed=1), data, split.train),
        training.run_key(config("cmc"), data, split.train[:-1]),
        training.run_key(config("cmc"), data.subset(np.arange(len(data.labels) - 1)), split.train),
    }
    assert len(keys) == 4
    training.pretrain(data, split.train, config("cmc", seed=1), quiet=True, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("cmc-multimodal-seed*.pt"))) == 2


def test_run_cache_reports_and_retrains_a_file_that_fails_its_checks(small, tmp_path):
    data, split = small
    first = training.pretrain(data, split.train, config("cmc", epochs=1), quiet=True, cache_dir=tmp_path)
    [path] = tmp_path.glob("*.pt")
    key = training.run_key(config("cmc", epochs=1), data, split.train)
    other = training.pretrain(data, split.train, config("cmc", epochs=1, seed=1), quiet=True)
    intact = path.read_bytes()

    def flipped():
        damaged = bytearray(intact)
        for where in range(len(damaged) // 4, len(damaged), len(damaged) // 10):
            damaged[where] ^= 0xFF
        path.write_bytes(bytes(damaged))

    def nan_weights():
        saved = torch.load(path, weights_only=True)
        next(iter(saved["encoders"].values())).view(-1)[0] = float("nan")
        checkpoints.write_state(saved, path)

    damages = [
        (flipped, "cannot be read|content hash"),
        (nan_weights, "NaN/inf"),
        (lambda: training.save_checkpoint(other, path, cache_key=training.run_key(other.config, data, split.train)),
         f"stored under key {key} but records key"),
        (lambda: training.save_checkpoint(other, path, cache_key=key), "records another configuration"),
        (lambda: training.save_checkpoint(first, path), "records key None"),
    ]
    for damage, reason in damages:
        damage()
        with pytest.warns(checkpoints.RunCacheWarning, match=reason):
            again = training.pretrain(data, split.train, config("cmc", epochs=1), quiet=True, cache_dir=tmp_path)
        assert same_state(state(again.encoders), state(first.encoders))  # retrained (runs repeat exactly)
        stored = training.load_checkpoint(path, device="cpu")  # and stored again, as this run
        assert same_state(state(stored.encoders), state(first.encoders)) and stored.config == first.config


def test_a_cache_that_cannot_be_written_costs_no_run(small, tmp_path):
    data, split = small
    (tmp_path / "cache").write_text("a file, not a folder")
    with pytest.warns(checkpoints.RunCacheWarning, match="cannot store"):
        result = training.pretrain(data, split.train, config("cmc", epochs=1), quiet=True, cache_dir=tmp_path / "cache")
    assert len(result.history) == 1


def test_most_confused_one_direction_and_both():
    cm = np.array([[5, 3, 0], [2, 6, 4], [0, 1, 7]])
    assert training.most_confused(cm) == (1, 2, 4)  # class 1 taken for class 2 four times
    assert training.most_confused(cm, both_directions=True) == (0, 1, 5)  # 3 + 2 beats 4 + 1
    with pytest.raises(ValueError, match=r"\(K, K\)"):
        training.most_confused(np.zeros((2, 3)))


def test_source_fingerprint_follows_code_not_documentation() -> None:
    code = 'def f(x):\n    """Twice x."""\n    return 2 * x  # doubled\n'
    base = training.source_fingerprint([code])
    mended = 'def f(x):\n    """Two times ``x``, mended."""\n\n    return 2 * x\n'
    assert training.source_fingerprint([mended]) == base
    assert training.source_fingerprint(['def f(x):\n    return 2 * x\n']) == base  # docstring removed
    assert training.source_fingerprint([code.replace("2 * x", "3 * x")]) != base
    assert training.source_fingerprint([code, ""]) != base  # a module more
    # a string that is code, not a docstring, counts
    assert training.source_fingerprint(['def f(x):\n    y = "a"\n    return y\n']) != \
        training.source_fingerprint(['def f(x):\n    y = "b"\n    return y\n'])
