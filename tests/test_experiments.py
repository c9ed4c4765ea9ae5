"""Experiment data, reproduce / sweeps on a tiny synthetic set and the files they write, the
requests they refuse (the presets: test_presets.py; results tables: test_results.py)."""
import json

import numpy as np
import pytest

from mmhar_lite import experiments, training
from mmhar_lite.data import generate_synthetic
from mmhar_lite.experiments import ConfigError

TINY = dict(epochs=1, batch_size=16)


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture
def tiny_data(monkeypatch):
    """The synthetic dataset with 2 subjects x 1 trial (27 train / 27 test pairs)."""
    raw = generate_synthetic(n_subjects=2, n_trials=1, seed=0)
    monkeypatch.setattr(experiments, "load_dataset", lambda name, root=None, **_: raw)
    return experiments.load_experiment_data("synthetic")


@pytest.mark.parametrize(
    "call,message",
    [
        (lambda: experiments.pretrain_config("utd-mhad", "moco"), "unknown method 'moco'"),
        (lambda: experiments.pretrain_config("kinetics", "cmc"), "unknown preset 'kinetics'"),
        (lambda: experiments.pretrain_config("utd-mhad", "cmc", "imu"), "takes modality multimodal"),
        (lambda: experiments.pretrain_config("utd-mhad", "cmc", lr=-1.0), "lr must be > 0"),
        (lambda: experiments.pretrain_config("utd-mhad", "cmc", tau_plus=1.2), "tau_plus must be in"),
        (lambda: experiments.pretrain_config("utd-mhad", "cmc", warmup=3), "unknown PretrainConfig field 'warmup'"),
        (lambda: experiments.pretrain_config("utd-mhad", "cmc", epochs_scale=0), "epochs_scale must be > 0"),
        (lambda: experiments.pretrain_config("synthetic", "cmc"), "needs n_classes"),
        (lambda: experiments.finetune_config("utd-mhad", "audio"), "finetune modality must be one of"),
        (lambda: experiments.load_experiment_data("utd-mhad"), "needs --root"),
        (lambda: experiments.load_experiment_data("ntu"), "unknown dataset 'ntu'"),
        (lambda: experiments._seed_list(10**20), "seeds must be >= 1 and at most 1000"),
        (lambda: experiments._seed_list([0, 2**64]), "seeds must be integers from 0 to"),
    ],
)
def test_config_errors(call, message):
    with pytest.raises(ConfigError, match=message):
        call()


def test_experiment_data(tiny_data):
    exp = tiny_data
    train_imu = exp.data.imu[exp.split.train]
    np.testing.assert_allclose(train_imu.mean(axis=(0, 2)), 0, atol=1e-4)
    np.testing.assert_allclose(train_imu.std(axis=(0, 2)), 1, atol=1e-3)
    assert set(exp.data.subjects[exp.split.train]) == {1} and set(exp.data.subjects[exp.split.test]) == {2}


def test_cmkm_teachers_follow_the_epochs_override_when_the_experiment_has_no_simclr_rows(tiny_data, monkeypatch):
    trained = []
    real_pretrain = experiments.training.pretrain

    def pretrain(data, rows, config, **kwargs):
        trained.append((config.method, config.modality, config.epochs))
        return real_pretrain(data, rows, config, **kwargs)

    monkeypatch.setattr(experiments.training, "pretrain", pretrain)
    experiments.reproduce(methods=["cmc-cmkm"], seeds=1, size="lite", quiet=True, overrides={**TINY, "epochs": 1},
                          finetune_overrides=dict(epochs=1), experiment=tiny_data)
    # both teachers trained for the requested epoch, not the preset's 150, then CMKM itself
    assert trained == [("simclr", "skeleton", 1), ("simclr", "imu", 1), ("cmc-cmkm", "multimodal", 1)]


def test_preset_must_fit_the_data(tiny_data):
    with pytest.raises(ConfigError, match="preset mmact-xsub expects 12 IMU channels, 17 joints, 2-D skeletons; "
                                          "dataset synthetic has 6 channels, 20 joints, 3-D"):
        experiments.load_experiment_data("synthetic", preset="mmact-xsub")


def test_reproduce_rows_and_files(tiny_data, tmp_path):
    records = experiments.reproduce(
        methods=["cmc-hnl", "simclr", "cmc-cmkm", "random-init", "supervised"], seeds=[0, 1], size="lite",
        out=tmp_path, quiet=True, overrides=TINY, finetune_overrides=dict(epochs=2), experiment=tiny_data,
    )
    rows = {(r["method"], r["pretrain_modality"], r["finetune_modality"]) for r in records}
    assert rows == {
        ("cmc-hnl", "multimodal", "multimodal"), ("cmc-hnl", "multimodal", "imu"),
        ("cmc-cmkm", "multimodal", "multimodal"), ("cmc-cmkm", "multimodal", "imu"),
        ("random-init", "none", "multimodal"), ("random-init", "none", "imu"),
        ("simclr", "imu", "imu"), ("simclr", "skeleton", "skeleton"),
        ("supervised", "imu", "imu"), ("supervised", "skeleton", "skeleton"), ("supervised", "multimodal", "multimodal"),
    }
    assert len(records) == 2 * len(rows)
    assert all(0 <= r["accuracy"] <= 1 and 0 <= r["macro_f1"] <= 1 and r["dataset"] == "synthetic" for r in records)
    assert json.loads((tmp_path / "results.json").read_text()) == records
    assert (tmp_path / "results.csv").read_text().splitlines()[0].startswith("method,pretrain_modality,finetune_modality")
    md = (tmp_path / "results.md").read_text()
    assert "no published numbers" in md and "paper acc." not in md
    assert "| cmc-hnl | multimodal | imu | 2 |" in md
    history = json.loads((tmp_path / "runs" / "cmc-hnl-multimodal-seed1" / "history.json").read_text())
    assert len(history["pretrain"]) == 1 and len(history["finetune_imu"]) == 2
    assert set(history["pretrain"][0]) == {"epoch", "loss", "lr", "time_s"}


def test_sweep_beta_records(tiny_data, tmp_path):
    records = experiments.sweep_beta(betas=[0.0, 2.0], seeds=1, size="lite", out=tmp_path, quiet=True,
                                     overrides=TINY, experiment=tiny_data, epochs_scale=0.02)
    assert [r["beta"] for r in records] == [0.0, 2.0]
    assert all(r["method"] == "cmc-hnl" for r in records)
    assert "Figure 3" in (tmp_path / "results.md").read_text()
    with pytest.raises(ConfigError, match="hard-negative method"):
        experiments.sweep_beta(method="cmc", experiment=tiny_data)


def test_limited_labels_uses_stratified_subsets(tiny_data, tmp_path):
    records = experiments.limited_labels(fractions=[0.5, 1.0], methods=["supervised", "cmc"], seeds=1, size="lite",
                                         out=tmp_path, quiet=True, overrides=TINY, experiment=tiny_data,
                                         epochs_scale=0.02)
    assert [(r["method"], r["label_fraction"]) for r in records] == [
        ("supervised", 0.5), ("supervised", 1.0), ("cmc", 0.5), ("cmc", 1.0)]
    # 27 classes with one training sample each: every class keeps its sample at any fraction
    assert {r["n_labelled"] for r in records} == {27}
    assert "Figure 4" in (tmp_path / "results.md").read_text()
    with pytest.raises(ConfigError, match=r"fractions must lie in \(0, 1\]"):
        experiments.limited_labels(fractions=[0.0], experiment=tiny_data)


def test_reproduce_validates_everything_before_training(tiny_data, monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(training, "pretrain", fail)
    with pytest.raises(ConfigError, match="unknown method 'byol'"):
        experiments.reproduce(methods=["cmc", "byol"], experiment=tiny_data)
    with pytest.raises(ConfigError, match="beta must be >= 0"):
        experiments.reproduce(methods=["cmc"], overrides=dict(beta=-1.0), experiment=tiny_data)
    with pytest.raises(ConfigError, match="seeds must be >= 1"):
        experiments.reproduce(seeds=0, experiment=tiny_data)


def test_a_preset_of_another_name_fits_its_dataset(tiny_data):
    # utd-mhad-public-simclr is made for UTD-MHAD's shapes, which the synthetic set shares
    exp = experiments.load_experiment_data("synthetic", preset="utd-mhad-public-simclr")
    assert exp.preset == "utd-mhad-public-simclr"
    with pytest.raises(ConfigError, match="unknown preset 'utd-mhad-tuned'"):
        experiments.load_experiment_data("synthetic", preset="utd-mhad-tuned")
