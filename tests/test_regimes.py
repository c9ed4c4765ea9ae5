"""mmhar_lite.regimes: the grid runner, its records and files, paired differences, the CLI."""
from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

from mmhar_lite import cli, regimes
from mmhar_lite.data.synthetic import Difficulty
from mmhar_lite.experiments import ConfigError

TINY = {"today": Difficulty(), "hard": Difficulty(confusion=0.8, imbalance=2.0, nuisance=2.0)}


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("regimes")
    records = regimes.run_regimes(
        TINY, methods=("cmc", "cmc-hnl-oracle"), batch_sizes=(8, 16), seeds=2, size="lite", out=out, quiet=True,
        overrides={"epochs": 1}, finetune_overrides={"epochs": 1}, n_subjects=2, n_trials=2,
        cache_dir=out / "cache",
    )
    return records, out


def test_grid_has_one_record_per_run_and_head(tiny_run):
    records, _ = tiny_run
    assert len(records) == 2 * 2 * 2 * 2 * 2  # regimes x batch sizes x methods x seeds x heads
    keys = {(r["regime"], r["batch_size"], r["method"], r["seed"], r["finetune_modality"]) for r in records}
    assert len(keys) == len(records)
    # Setting by setting: all seeds and methods of (today, 8) first.
    assert {(r["regime"], r["batch_size"]) for r in records[:8]} == {("today", 8)}
    assert {(r["seed"], r["method"]) for r in records[:8]} == {(s, m) for s in (0, 1) for m in ("cmc", "cmc-hnl-oracle")}
    for r in records:
        assert 0 <= r["accuracy"] <= 1 and r["pretrain_epochs"] == 1 and r["finetune_epochs"] == 1
        assert (r["confusion"], r["imbalance"], r["nuisance"]) == tuple(vars(TINY[r["regime"]]).values())
        assert r["tau_plus"] == round(1 / 27, 4) and r["size"] == "lite"
    sizes = {r["regime"]: r["n_train"] + r["n_test"] for r in records}
    assert sizes["today"] == 27 * 2 * 2 and sizes["hard"] < sizes["today"]  # imbalance drops trials


def test_results_files_and_run_histories(tiny_run):
    records, out = tiny_run
    assert json.loads((out / "results.json").read_text()) == records
    assert (out / "results.csv").read_text().splitlines()[0].startswith("method,")
    markdown = (out / "results.md").read_text()
    assert markdown.startswith("# regimes: synthetic")
    assert "| hard | 16 | imu | cmc-hnl-oracle | 2 |" in markdown
    runs = sorted(p.name for p in (out / "runs").iterdir())
    assert len(runs) == 16 and "hard-b16-cmc-hnl-oracle-seed1" in runs
    history = json.loads((out / "runs" / "today-b8-cmc-seed0" / "history.json").read_text())
    assert history["config"]["batch_size"] == 8 and len(history["pretrain"]) == 1
    assert set(history) >= {"finetune_multimodal", "finetune_imu"}


def test_a_second_run_reads_the_cache_and_gives_the_same_numbers(tiny_run):
    records, out = tiny_run
    again = regimes.run_regimes(
        {"hard": TINY["hard"]}, methods=("cmc-hnl-oracle",), batch_sizes=(16,), seeds=[1], size="lite", quiet=True,
        overrides={"epochs": 1}, finetune_overrides={"epochs": 1}, n_subjects=2, n_trials=2, cache_dir=out / "cache",
    )
    before = [r for r in records if (r["regime"], r["batch_size"], r["method"], r["seed"]) == ("hard", 16, "cmc-hnl-oracle", 1)]
    assert [r["accuracy"] for r in again] == [r["accuracy"] for r in before]
    assert [r["pretrain_seconds"] for r in again] == [r["pretrain_seconds"] for r in before]  # not retrained


def _records(values: dict) -> list[dict]:
    return [{"regime": "r", "batch_size": 32, "finetune_modality": "multimodal", "method": m, "seed": s,
             "accuracy": a, "macro_f1": a} for m, accs in values.items() for s, a in enumerate(accs)]


def test_paired_differences_match_seed_by_seed():
    recs = _records({"cmc": [0.90, 0.80, 0.85], "cmc-hnl": [0.92, 0.83, 0.85]})
    (row,) = regimes.paired_differences(recs)
    diffs = np.array([0.02, 0.03, 0.0])
    assert row["method"] == "cmc-hnl" and row["n"] == 3 and row["baseline"] == "cmc"
    assert row["diff_mean"] == pytest.approx(diffs.mean())
    assert row["diff_ci95"] == pytest.approx(stats.t.ppf(0.975, 2) * diffs.std(ddof=1) / np.sqrt(3))
    # A seed that the baseline lacks is not paired.
    (row,) = regimes.paired_differences(_records({"cmc": [0.9, 0.8], "cmc-hnl": [0.92, 0.83, 0.5]}))
    assert row["n"] == 2 and row["diff_mean"] == pytest.approx(0.025)
    assert regimes.paired_differences(_records({"cmc-hnl": [0.9]})) == []


def test_markdown_reports_intervals_and_paired_differences():
    extra = {"confusion": 0.0, "imbalance": 1.0, "nuisance": 1.0, "size": "lite", "pretrain_epochs": 30, "finetune_epochs": 50}
    recs = [{**r, **extra} for r in _records({"cmc": [0.90, 0.80, 0.85], "cmc-hnl": [0.92, 0.83, 0.85]})]
    text = regimes.regimes_markdown(recs)
    half = 100 * stats.t.ppf(0.975, 2) * np.std([0.9, 0.8, 0.85], ddof=1) / np.sqrt(3)
    assert f"| r | 32 | multimodal | cmc | 3 | 85.00 ± {half:.2f} |" in text
    assert "| r | 32 | multimodal | cmc-hnl | 3 | 86.67" in text and "| 1.67 ± " in text
    assert "pre-training epochs: 30, fine-tuning epochs: 50" in text
    two = regimes.regimes_markdown([r for r in recs if r["seed"] < 2])
    assert "| r | 32 | multimodal | cmc | 2 | 85.00 | " in two and "no interval" not in two
    assert "Rows with n < 3 give the mean alone, without an interval." in two
    assert "Rows with n < 3" not in text


@pytest.mark.parametrize("kwargs, message", [
    ({"regimes": {}}, "no regimes given"),
    ({"regimes": {"x": 0.5}}, "regime 'x' must be a Difficulty"),
    ({"methods": ("simclr",)}, "cross-modal contrastive methods"),
    ({"methods": ("cmc-cmkm",)}, "cross-modal contrastive methods"),
    ({"batch_sizes": (1,)}, "batch sizes must be integers >= 2"),
    ({"finetune_modalities": ("audio",)}, "fine-tuning modalities"),
    ({"seeds": []}, "seeds must not be empty"),
    ({"seeds": 0}, "seeds must be >= 1 and at most 1000"),
    ({"seeds": 10 ** 20}, "seeds must be >= 1 and at most 1000"),
    ({"epochs_scale": 0.0}, "epochs_scale must be > 0"),
    ({"device": "tpu"}, "device"),
    ({"overrides": {"batch_size": 8}}, "give batch sizes with batch_sizes"),
])
def test_bad_requests_fail_before_any_data_or_training(kwargs, message, monkeypatch):
    monkeypatch.setattr(regimes, "generate_synthetic", lambda **_: pytest.fail("generated data"))
    kwargs = {"regimes": TINY, **kwargs}
    with pytest.raises(ConfigError, match=message):
        regimes.run_regimes(kwargs.pop("regimes"), **kwargs)


def test_cli_passes_the_grid_to_run_regimes(monkeypatch, capsys, tmp_path):
    seen = {}

    def fake(chosen, **kwargs):
        seen.update(kwargs, regimes=chosen)
        return []

    monkeypatch.setattr(regimes, "run_regimes", fake)
    code = cli.main(["regimes", "--regimes", "hard", "today", "--batch-sizes", "16", "64", "--seeds", "2",
                     "--size", "lite", "--epochs", "5", "--finetune-epochs", "7", "--out", str(tmp_path), "--quiet"])
    assert code == 0
    assert list(seen["regimes"]) == ["hard", "today"] and seen["regimes"]["hard"] == regimes.REGIMES["hard"]
    assert seen["batch_sizes"] == [16, 64] and seen["seeds"] == 2 and seen["methods"] == regimes.REGIME_METHODS
    assert seen["overrides"] == {"epochs": 5} and seen["finetune_overrides"] == {"epochs": 7}
    assert "no records" in capsys.readouterr().out


def test_cli_errors_are_one_line(capsys):
    assert cli.main(["regimes", "--methods", "simclr"]) == 1
    assert cli.main(["regimes", "--batch-size", "8"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and err[0].startswith("mmhar regimes: error: regimes compares")
    assert "--batch-sizes" in err[1]


@pytest.mark.parametrize("mean, half, n, verdict", [
    (0.02, 0.01, 3, "higher"), (-0.02, 0.01, 3, "lower"), (0.02, 0.03, 3, "indistinguishable"),
    (-0.01, 0.01, 3, "indistinguishable"), (0.5, 0.0, 2, "too few seeds"),
])
def test_paired_verdict_reads_the_interval(mean, half, n, verdict):
    assert regimes.paired_verdict({"diff_mean": mean, "diff_ci95": half, "n": n}) == verdict
