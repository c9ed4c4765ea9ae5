"""Presets (Table 1), experiment data, reproduce / sweeps on a tiny synthetic set, results files."""
import json
import math

import numpy as np
import pytest
from scipy import stats

from mmhar_lite import experiments, training
from mmhar_lite.data import generate_synthetic
from mmhar_lite.data.datasets import stratified_subset
from mmhar_lite.experiments import ConfigError

TINY = dict(epochs=1, batch_size=16)


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture
def tiny_data(monkeypatch):
    """The synthetic dataset with 2 subjects x 1 trial (27 train / 27 test pairs)."""
    raw = generate_synthetic(n_subjects=2, n_trials=1, seed=0)
    monkeypatch.setattr(experiments, "load_dataset", lambda name, root=None, **_: raw)
    return experiments.load_experiment_data("synthetic")


def test_table1_presets():
    c = experiments.pretrain_config("utd-mhad", "simclr", "skeleton")
    assert (c.batch_size, c.lr, c.temperature, c.epochs, c.augmentation) == (64, 0.005, 0.5, 150, "utd-mhad")
    c = experiments.pretrain_config("utd-mhad", "cmc-hnl")
    assert (c.batch_size, c.lr, c.temperature, c.tau_plus, c.beta) == (64, 0.001, 0.1, 0.037, 1.0)
    c = experiments.pretrain_config("utd-mhad", "cmc-debiased")
    assert (c.tau_plus, c.beta) == (0.037, 0.0)
    c = experiments.pretrain_config("mmact-xsub", "cmc-hnl")
    assert (c.batch_size, c.temperature, c.tau_plus, c.beta, c.augmentation) == (128, 0.5, 0.027, 1.5, "mmact")
    c = experiments.pretrain_config("mmact-xsession", "simclr-hnl", "imu")
    assert (c.batch_size, c.temperature, c.beta) == (64, 0.4, 0.5)
    c = experiments.pretrain_config("mmact-xsession", "simclr", "skeleton")
    assert c.temperature == 0.5
    # synthetic: UTD-MHAD's Table 1 with tau_plus the class prior of the data
    c = experiments.pretrain_config("synthetic", "cmc-hnl", n_classes=27)
    assert (c.temperature, c.beta, c.tau_plus) == (0.1, 1.0, round(1 / 27, 4))
    f = experiments.finetune_config("utd-mhad", "imu")
    assert (f.modality, f.epochs, f.batch_size, f.lr) == ("imu", 100, 64, 0.001)


def test_overrides_and_epoch_scale():
    c = experiments.pretrain_config("utd-mhad", "cmc-hnl", epochs_scale=0.1, beta=2.0, size="lite", seed=5)
    assert (c.epochs, c.beta, c.size, c.seed) == (15, 2.0, "lite", 5)
    assert experiments.pretrain_config("utd-mhad", "cmc", epochs_scale=1e-6).epochs == 1
    assert experiments.finetune_config("utd-mhad", epochs_scale=0.5).epochs == 50


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


def test_results_markdown_shows_the_papers_numbers():
    records = [dict(method="cmc-hnl", pretrain_modality="multimodal", finetune_modality=f, dataset=d, seed=s,
                    accuracy=0.9 + 0.01 * s, macro_f1=0.8, size="lite", pretrain_epochs=1, finetune_epochs=1)
               for s in (0, 1) for f in ("multimodal", "imu") for d in ("x",)]
    utd = experiments.results_markdown(records, "utd-mhad")
    assert "| cmc-hnl | 96.20 | multimodal | multimodal | 2 | 90.50 | 80.00 |" in utd
    assert "| cmc-hnl | 75.73 | multimodal | imu | 2 | 90.50 | 80.00 |" in utd
    xsub = experiments.results_markdown(records, "mmact-xsub")
    assert "| cmc-hnl | 81.64 | 83.61 |" in xsub and "| cmc-hnl | 54.18 | 55.74 |" in xsub
    assert "Values (%): mean over the 2 seeds, no spread below 3." in utd
    # one seed: no "mean ± std" promise, and the row is the run's value alone
    one = experiments.results_markdown([r for r in records if r["seed"] == 0], "utd-mhad")
    assert "Values (%): one seed, so no spread." in one and "± std" not in one
    assert "| cmc-hnl | 96.20 | multimodal | multimodal | 1 | 90.00 | 80.00 |" in one


def test_sweep_results_markdown_prints_no_interval_below_three_seeds():
    def records(n_seeds):
        return [dict(method="cmc-hnl", pretrain_modality="multimodal", finetune_modality="multimodal", seed=s,
                     beta=1.0, accuracy=0.9 + 0.01 * s, macro_f1=0.8, size="lite", pretrain_epochs=1,
                     finetune_epochs=1) for s in range(n_seeds)]
    # 1 and 2 seeds: "–" (no zero-width interval, no t = 12.7 one); 3 seeds: the t half-width
    assert "| cmc-hnl | multimodal | 1 | 1 | 90.00 | – | 80.00 |" in experiments.results_markdown(records(1), "x", "sweep-beta")
    assert "| 1 | 2 | 90.50 | – |" in experiments.results_markdown(records(2), "x", "sweep-beta")
    half = experiments.mean_ci([90.0, 91.0, 92.0])[2]
    assert f"| 1 | 3 | 91.00 ± 1.00 | {half:.2f} |" in experiments.results_markdown(records(3), "x", "sweep-beta")
    assert experiments.MIN_SEEDS_FOR_CI == 3


def test_comparison_markdown_puts_the_paper_beside_each_source():
    def rec(method, pre, fine, seed, acc):
        return dict(method=method, pretrain_modality=pre, finetune_modality=fine, seed=seed, accuracy=acc, macro_f1=0.5)
    real = [rec("cmc", "multimodal", "multimodal", s, a) for s, a in enumerate((0.90, 0.92, 0.94))]
    real += [rec("random-init", "none", "multimodal", 0, 0.80)]
    synthetic = [rec("cmc", "multimodal", "multimodal", 0, 0.99)]
    text = experiments.comparison_markdown({"real": real, "synthetic": synthetic}, experiments.TABLE2_ROWS)
    lines = text.splitlines()
    assert lines[0] == "| method | pre-training | fine-tuning | paper (utd-mhad) | real (n) | synthetic (n) |"
    assert "| cmc | multimodal | multimodal | 95.35 | 92.00 ± 2.00 (3) | 99.00 (1) |" in lines
    # a row a source lacks, and a row the paper lacks, say so instead of leaving a blank
    assert "| random-init | none | multimodal | – | 80.00 (1) | – |" in lines
    assert "| supervised | imu | imu | 74.65 | – | – |" in lines
    assert len(lines) == 2 + len(experiments.TABLE2_ROWS)
    table3 = experiments.comparison_markdown({"real": real}, experiments.TABLE3_ROWS, paper=None)
    assert table3.splitlines()[0] == "| method | pre-training | fine-tuning | real (n) |"
    assert "| cmc | multimodal | imu | – |" in table3


def test_comparison_markdown_short_columns():
    rec = dict(method="cmc", pretrain_modality="multimodal", finetune_modality="imu", seed=0, accuracy=0.9, macro_f1=0.5)
    lines = experiments.comparison_markdown({"synthetic": [rec]}, [("cmc", "multimodal", "imu"), ("simclr", "skeleton", "imu")],
                                            short=True).splitlines()
    assert lines[0] == "| method | pre-train | fine-tune | paper | synthetic (n) |"
    assert lines[2] == "| cmc | mm | imu | 69.77 | 90.00 (1) |"
    assert lines[3].startswith("| simclr | skel | imu |")


def test_distinct_label_sets_agree_with_the_selected_rows():
    labels = np.repeat(np.arange(27), 16)  # the synthetic training split: 16 recordings per class
    records = [dict(method=m, seed=s, label_fraction=f, n_labelled=int(stratified_subset(labels, f, seed=s).size))
               for m in ("supervised", "cmc") for s in range(3) for f in experiments.LABEL_FRACTIONS]
    groups = experiments.distinct_label_sets(records)
    assert groups == {0.02: (0.02, 0.05), 0.1: (0.1,), 0.25: (0.25,), 0.5: (0.5,)}
    for first, same in groups.items():  # the rows themselves: equal inside a group, different across
        for s in range(3):
            rows = [stratified_subset(labels, f, seed=s).tolist() for f in same]
            assert all(r == rows[0] for r in rows)
    firsts = list(groups)
    assert all(stratified_subset(labels, a, seed=0).size != stratified_subset(labels, b, seed=0).size
               for a, b in zip(firsts, firsts[1:]))
    # one seed with a different count keeps the fractions apart
    changed = [dict(r, n_labelled=28) if (r["seed"], r["label_fraction"]) == (1, 0.05) else r for r in records]
    assert experiments.distinct_label_sets(changed)[0.02] == (0.02,)


def test_mean_ci_is_the_t_interval():
    values = [0.8, 0.85, 0.9, 0.7]
    mean, std, half = experiments.mean_ci(values)
    assert mean == pytest.approx(np.mean(values)) and std == pytest.approx(np.std(values, ddof=1))
    assert half == pytest.approx(stats.t.ppf(0.975, 3) * std / math.sqrt(4))
    assert experiments.mean_ci([0.5]) == (0.5, 0.0, 0.0)


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


def test_table_row_puts_random_init_in_the_multimodal_rows():
    assert experiments.table_row({"method": "random-init", "pretrain_modality": "none",
                                  "finetune_modality": "imu"}) == ("random-init", "multimodal", "imu")
    assert experiments.table_row({"method": "simclr", "pretrain_modality": "skeleton",
                                  "finetune_modality": "skeleton"}) in experiments.TABLE2_ROWS
